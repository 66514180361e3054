"""Study ``conservation-laws``: Marcotte, Gribonval, Peyré (NeurIPS 2023; ICML 2024).

Re-runs the claims: the known laws are complete for linear and ReLU networks (Lie-algebra
count = rank of the known laws), also on random architectures (the authors' protocol of
50 + 50 networks); ReLU networks have no law under momentum while linear networks keep fewer;
the laws are conserved along an integrated gradient flow of a real network, and gradient
descent with step η makes them drift like η².
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from theorylab._core import parallel
from theorylab._core.rng import spawn_seeds
from theorylab.conservation import (
    FlowStalled,
    Mirror,
    Momentum,
    count_laws,
    deep_linear,
    integrate_flow,
    linear2,
    monitor,
    polynomial_laws,
    product,
    random_architecture,
    relu,
)
from theorylab.studies.base import Claim, Section, Study, Table

P1 = "Marcotte, Gribonval, Peyré 2023 (NeurIPS, 'Abide by the law and follow the flow')"
P2 = "Marcotte, Gribonval, Peyré 2024 (ICML, 'Keep the momentum')"
P3 = "Marcotte, Gribonval, Peyré 2025 (ICML, 'Transformative or conservative?')"

# (id, builder, flow, expected number of laws): the test cases of this library, whose counts
# were computed independently (a sympy prototype and the closed-form laws), not copied from a
# paper table
REFERENCE_CASES = [
    ("T1", lambda: product(3), "gradient", 2),
    ("T2", lambda: linear2(1, 1, 1), "gradient", 1),
    ("T3", lambda: linear2(2, 1, 2), "gradient", 1),
    ("T4", lambda: linear2(2, 2, 2), "gradient", 3),
    ("T5", lambda: linear2(3, 2, 2), "gradient", 3),
    ("T6", lambda: linear2(2, 3, 2), "gradient", 6),
    ("T7", lambda: linear2(3, 3, 3), "gradient", 6),
    ("T11", lambda: deep_linear([2, 2, 2, 2]), "gradient", 6),
    ("T12", lambda: deep_linear([2, 3, 2, 2]), "gradient", 9),
    ("T13", lambda: deep_linear([3, 2, 2, 1]), "gradient", 6),
    ("T15", lambda: relu([2, 2, 2]), "gradient", 2),
    ("T16", lambda: relu([2, 2, 2], bias=True), "gradient", 2),
    ("T17", lambda: relu([3, 4, 2]), "gradient", 4),
    ("T18", lambda: relu([1, 3, 1], bias=True), "gradient", 3),
    ("T19", lambda: relu([2, 2, 2, 2], bias=True), "gradient", 4),
    ("T20", lambda: relu([2, 3, 2, 1]), "gradient", 5),
    ("T21", lambda: linear2(2, 2, 2), Momentum(1.0), 1),
    ("T21/τ=0", lambda: linear2(2, 2, 2), Momentum(0.0), 1),
    ("T27", lambda: relu([2, 2, 1]), Momentum(1.0), 0),
    ("T27/bias", lambda: relu([1, 2, 1], bias=True), Momentum(0.0), 0),
    ("T28", lambda: linear2(2, 2, 2), Mirror("entropy"), 2),
    ("T28/r=3", lambda: linear2(2, 3, 2), Mirror("entropy"), 3),
]
_MOMENTUM_RELU = [[1, 2, 1], [2, 2, 1], [2, 2, 2], [1, 3, 1]]


@dataclass(frozen=True)
class Config:
    """Parameters of the study. ``quick()`` runs in seconds; ``full()`` is the authors'
    protocol (50 random linear + 50 random ReLU networks, longer training runs)."""

    seed: int = 0
    n_random: int = 10
    linear_widths: tuple[int, int] = (2, 5)
    relu_widths: tuple[int, int] = (2, 5)
    budget: float = 60.0
    flow_time: float = 1.0
    flow_hidden: tuple[int, ...] = (6, 3)
    flow_samples: int = 32
    gd_steps: int = 10
    etas: tuple[float, ...] = (0.001, 0.002, 0.004, 0.008, 0.016)
    train_steps: int = 200
    hidden: tuple[int, ...] = (8, 8)

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(n_random=50, relu_widths=(2, 9), flow_time=3.0, train_steps=2000)


def _flow_label(flow) -> str:
    return flow if isinstance(flow, str) else str(flow)


def _count_random(
    args: tuple[int, str, tuple[int, int], float],
) -> tuple[str, int, int, bool, float]:
    seed, kind, widths, budget = args
    model = random_architecture(kind, widths, seed=seed)
    c = count_laws(model, seed=seed, max_seconds=budget)
    return model.name, c.number, c.n_known, c.certified, c.seconds


def _mlp(hidden: tuple[int, ...], d_in: int, d_out: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    sizes = [d_in, *hidden, d_out]
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).double()


def _data(seed: int, n: int = 64, d_in: int = 4, d_out: int = 2):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d_in, generator=g, dtype=torch.float64)
    y = torch.randn(n, d_out, generator=g, dtype=torch.float64)
    return x, y


def _counts_section(cfg: Config) -> Section:
    rows, ok_ref, ok_cert, poly_ok, poly_total = [], 0, 0, 0, 0
    for cid, build, flow, ref in REFERENCE_CASES:
        model = build()
        c = count_laws(model, flow, seed=cfg.seed)
        degree = 3 if isinstance(flow, Momentum) and flow.tau > 0 else 2
        n_poly = len(polynomial_laws(model, degree, flow, seed=cfg.seed))
        poly_total += 1
        poly_ok += n_poly == c.number
        ok_ref += c.number == ref
        ok_cert += c.certified
        rows.append(
            [
                cid,
                model.name,
                _flow_label(flow),
                c.state_dim,
                c.number,
                ref,
                c.n_known,
                n_poly,
                c.status,
                round(c.seconds, 4),
            ]
        )
    table = Table(
        "Law counts on the reference cases (Lie-algebra algorithm)",
        [
            "case",
            "model",
            "flow",
            "state dim",
            "laws",
            "reference",
            "known rank",
            "poly laws",
            "status",
            "seconds",
        ],
        rows,
    )
    n = len(REFERENCE_CASES)
    claims = [
        Claim.equal(
            "The number of conservation laws computed from the Lie algebra matches the "
            "reference table in every case (cases matched)",
            ok_ref,
            n,
            source=f"{P1}, Thm 3.3 (N = D − dim Lie(W)(θ)); the expected counts are this "
            "library's independent computation, not a paper table",
        ),
        Claim.equal(
            "The known laws are complete: the count is certified equal to the rank of the "
            "closed-form laws (cases certified)",
            ok_cert,
            n,
            source=f"{P1}, Sec. 4 (linear and ReLU networks); {P2}, Sec. 3-4 (momentum, mirror)",
        ),
        Claim.equal(
            "Where all laws are polynomial, the polynomial-law search finds as many "
            "independent laws as the Lie-algebra count (cases agreeing)",
            poly_ok,
            poly_total,
            source=f"{P1}, Sec. 3.3 (polynomial laws; degree-2 cross-check as in the authors' "
            "get_conserved_polynomials)",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _momentum_section(cfg: Config) -> Section:
    relu_counts = [
        count_laws(relu(d), Momentum(t), seed=cfg.seed).number
        for d in _MOMENTUM_RELU
        for t in (0.0, 1.0)
    ]
    lin_gf = count_laws(linear2(2, 2, 2), seed=cfg.seed).number
    lin_mf = count_laws(linear2(2, 2, 2), Momentum(1.0), seed=cfg.seed).number
    claims = [
        Claim.equal(
            "ReLU networks have no conservation law under momentum flows "
            "(largest count over 4 architectures, τ ∈ {0, 1})",
            max(relu_counts),
            0,
            source=f"{P2}, abstract",
        ),
        Claim.at_most(
            "Linear networks have fewer conservation laws under momentum than under "
            "gradient flow (momentum count for U Vᵀ with n = r = m = 2; GF count is "
            f"{lin_gf})",
            lin_mf,
            lin_gf - 1,
            source=f"{P2}, abstract",
        ),
    ]
    return Section(claims=claims)


def _random_section(cfg: Config) -> Section:
    seeds = spawn_seeds(cfg.seed, 2 * cfg.n_random)
    jobs = [(s, "linear", cfg.linear_widths, cfg.budget) for s in seeds[: cfg.n_random]]
    jobs += [(s, "relu", cfg.relu_widths, cfg.budget) for s in seeds[cfg.n_random :]]
    out = parallel.map(_count_random, jobs, label="random architectures")
    lin = sum(o[3] for o in out[: cfg.n_random])
    rel = sum(o[3] for o in out[cfg.n_random :])
    secs = sum(o[4] for o in out)
    rows = [
        [kind, name, number, known, cert, round(sec, 3)]
        for (_, kind, _, _), (name, number, known, cert, sec) in zip(jobs, out, strict=True)
    ]
    table = Table(
        f"Random architectures ({cfg.n_random} linear + {cfg.n_random} ReLU; "
        f"{secs:.1f} s of counting in total)",
        ["kind", "model", "laws", "known rank", "certified", "seconds"],
        rows,
    )
    claims = [
        Claim.equal(
            f"On random deep linear networks the count equals the known laws' rank "
            f"(networks certified out of {cfg.n_random})",
            lin,
            cfg.n_random,
            source=f"{P1}: the random-architecture protocol of the authors' main.ipynb "
            "(50/50 linear networks)",
        ),
        Claim.equal(
            f"On random deep ReLU networks (biases with probability 1/2) the count equals "
            f"one law per hidden neuron (networks certified out of {cfg.n_random})",
            rel,
            cfg.n_random,
            source=f"{P1}, abstract (one law per hidden neuron, no other); protocol of the "
            "authors' main.ipynb (50/50 ReLU networks)",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _integrate(cfg: Config):
    """Integrate the flow of a small ReLU net; if the flow slides along a kink (no classical
    solution), retry on a shorter horizon."""
    x, y = _data(cfg.seed, n=cfg.flow_samples)
    horizon = cfg.flow_time
    for _ in range(4):
        net = _mlp(cfg.flow_hidden, 4, 2, cfg.seed)
        start = copy.deepcopy(net)
        try:
            traj = integrate_flow(
                net,
                lambda m: ((m(x) - y) ** 2).mean(),
                horizon,
                n_eval=40,
                rtol=1e-9,
                atol=1e-11,
                max_evals=20_000,
            )
            return start, net, traj
        except FlowStalled:
            horizon /= 4
    raise FlowStalled("the gradient flow slid along a ReLU kink at every horizon tried")


def _flow_section(cfg: Config) -> Section:
    net0, net, traj = _integrate(cfg)
    mon = monitor(net)
    mon.remove()
    vector_to_parameters(parameters_to_vector(net0.parameters()), list(net.parameters()))
    wrong0 = mon.values(with_bias=False)  # the negative control: not a law
    params = list(net.parameters())
    laws, wrong = [], []
    for th in traj.params:
        vector_to_parameters(torch.as_tensor(th), params)
        laws.append(mon.values())
        wrong.append(mon.values(with_bias=False))
    laws_t, wrong_t = torch.stack(laws), torch.stack(wrong)
    scale = float(sum(float((p.detach() ** 2).sum()) for p in net.parameters()))
    drift = float((laws_t - laws_t[0]).abs().max() / scale)
    drift_wrong = float((wrong_t - wrong0).abs().max() / scale)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    ax[0].plot(traj.times, traj.losses)
    ax[0].set(
        xlabel="time t", ylabel="loss", title=f"gradient flow (DOP853, {traj.nfev} evaluations)"
    )
    ax[1].plot(
        traj.times, (laws_t - laws_t[0]).abs().amax(1) / scale + 1e-18, label="laws with bias term"
    )
    ax[1].plot(
        traj.times, (wrong_t - wrong0).abs().amax(1) / scale + 1e-18, label="bias term omitted"
    )
    ax[1].set(
        yscale="log", xlabel="time t", ylabel="max relative drift", title="laws along the flow"
    )
    ax[1].legend()
    fig.tight_layout()
    claims = [
        Claim.at_most(
            "The balancedness laws (biases included) are conserved along the gradient "
            "flow of a real ReLU network (max relative drift along an ODE integration)",
            drift,
            1e-6,
            source=f"{P1}, Sec. 2 (laws of the gradient flow) and Sec. 4 (ReLU laws with biases)",
        ),
        Claim.at_least(
            "Omitting the bias term gives a quantity that is not conserved "
            "(its relative drift on the same trajectory, 100x the tolerance above)",
            drift_wrong,
            1e-4,
            source="this library's measurement (the bias-free quantity is the one tracked in "
            f"the authors' Conservation_Laws_MLP.ipynb for {P2})",
        ),
    ]
    return Section(
        claims=claims,
        figures={"gradient_flow_laws": fig},
        captions={
            "gradient_flow_laws": "Right panel: along the integrated gradient flow the laws "
            "with their bias terms stay at round-off level while the bias-free quantity "
            "drifts by orders of magnitude more (left: the loss decreasing along the flow)."
        },
    )


def _gd_drift(net0: nn.Module, x, y, eta: float, steps: int) -> float:
    net = copy.deepcopy(net0)
    opt = torch.optim.SGD(net.parameters(), lr=eta)
    mon = monitor(net, opt)
    for _ in range(steps):
        opt.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        opt.step()
    h = mon.history
    return float((h[-1] - h[0]).abs().max())


def _discrete_section(cfg: Config) -> Section:
    x, y = _data(cfg.seed + 1)
    net0 = _mlp(cfg.hidden, 4, 2, cfg.seed + 1)
    drifts = np.array([_gd_drift(net0, x, y, eta, cfg.gd_steps) for eta in cfg.etas])
    slope = float(np.polyfit(np.log(cfg.etas), np.log(drifts), 1)[0])
    optimizers = {
        "GD (lr 0.05)": lambda p: torch.optim.SGD(p, lr=0.05),
        "heavy ball (lr 0.01, β 0.9)": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "Adam (lr 0.005)": lambda p: torch.optim.Adam(p, lr=0.005),
    }
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    final = {}
    for label, make in optimizers.items():
        net = copy.deepcopy(net0)
        opt = make(net.parameters())
        mon = monitor(net, opt)
        for _ in range(cfg.train_steps):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
        rd = mon.relative_drift().numpy()
        final[label] = float(rd[-1])
        ax[0].plot(np.arange(rd.size), rd + 1e-18, label=label)
    ax[0].set(
        yscale="log", xlabel="step", ylabel="max relative drift", title="drift during training"
    )
    ax[0].legend(fontsize=8)
    ax[1].loglog(cfg.etas, drifts, "o-", label=f"measured (slope {slope:.2f})")
    ref = drifts[0] * (np.asarray(cfg.etas) / cfg.etas[0]) ** 2
    ax[1].loglog(cfg.etas, ref, "k--", label="η² reference")
    ax[1].set(
        xlabel="step size η", ylabel=f"drift after {cfg.gd_steps} GD steps", title="GD drift vs η"
    )
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    table = Table(
        "Relative drift of the laws after training",
        ["optimizer", "steps", "max relative drift"],
        [[k, cfg.train_steps, v] for k, v in final.items()],
    )
    claims = [
        Claim.within(
            "Under gradient descent with step η the laws drift like η² "
            "(fitted log-log slope of the drift vs η)",
            slope,
            1.8,
            2.2,
            source=f"{P3}, Prop. 5.1 (drift bounded by the sum of squared steps); the exact "
            "per-step change η²gᵀAg is this library's derivation",
        )
    ]
    return Section(
        claims=claims,
        tables=[table],
        figures={"training_drift": fig},
        captions={
            "training_drift": "Left: how far GD, heavy ball and Adam let the laws drift "
            "during training; right: the GD drift after a fixed number of steps follows the "
            "dashed η² line as the step size η grows."
        },
    )


class ConservationLaws(Study):
    """The conservation-laws study (see the module docstring; Marcotte, Gribonval, Peyré
    2023, 2024)."""

    name = "conservation-laws"
    title = "Conservation laws of gradient, momentum and mirror flows"
    citation = (
        "Marcotte, Gribonval, Peyré, 'Abide by the law and follow the flow', NeurIPS 2023; "
        "'Keep the momentum', ICML 2024"
    )
    summary = (
        "Counts come from the Lie algebra generated by the flow's fields, evaluated at "
        "generic points (function-space rank test), and are certified against the rank "
        "of the closed-form laws. The trajectories use real PyTorch networks with biases."
    )
    Config = Config

    def sections(self, cfg: Config) -> Iterator[Section]:
        """Reference counts, momentum, random architectures, the integrated flow, GD drift."""
        torch.manual_seed(cfg.seed)
        yield _counts_section(cfg)
        yield _momentum_section(cfg)
        yield _random_section(cfg)
        yield _flow_section(cfg)
        yield _discrete_section(cfg)


# the module-level protocol before the Study class: NAME, TITLE, CITATION and run(config)
_OLD_NAMES = {"NAME": "name", "TITLE": "title", "CITATION": "citation", "run": "run"}


def __getattr__(name: str) -> object:
    if name in _OLD_NAMES:
        new = _OLD_NAMES[name]
        warnings.warn(
            f"theorylab.studies.conservation_laws.{name} is deprecated; use "
            f"ConservationLaws().{new} (or theorylab.studies.load('conservation-laws'))",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(ConservationLaws(), new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
