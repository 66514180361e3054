"""Study ``perturbed-optimizers``: Berthet, Blondel, Teboul, Cuturi, Vert, Bach (NeurIPS 2020),
"Learning with Differentiable Perturbed Optimizers".

Re-runs the claims on Warcraft-like maps generated locally (:mod:`theorylab.perturbed.warcraft`,
no downloads). A small CNN maps the image of a map to one cost per cell and is trained end to
end through the perturbed shortest path, once with the perturbed Fenchel-Young loss and once
with the squared loss on ``y*_eps`` (same noise, samples, optimiser and data), and once more
with the squared loss at 10x the samples: at small M its only signal, the Monte-Carlo Jacobian,
is mostly noise (it stays at its initial accuracy); with 10x the samples it learns, still below
the Fenchel-Young loss. Claims, in report order:

- the Fenchel-Young loss reaches a higher perfect-path test accuracy than the squared loss
  (the paper's Warcraft shortest-path experiment);
- the Gumbel-perturbed argmax equals ``softmax(theta / eps)`` (the Gumbel-max trick), forward
  and Jacobian, and the README example of the authors' code;
- the Monte-Carlo gradient error falls like ``1/sqrt(M)`` (slope -1/2 in log-log).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from theorylab._core import parallel
from theorylab._core.rng import spawn_seeds
from theorylab.perturbed import FenchelYoungLoss, perturbed, solvers, warcraft
from theorylab.perturbed.warcraft import CostNet, WarcraftMaps, warcraft_maps
from theorylab.studies.base import Claim, Section, Study, Table

PAPER = "Berthet, Blondel, Teboul, Cuturi, Vert, Bach 2020 (NeurIPS)"
# the paper's Warcraft 12x12 perfect-path accuracy curves, as digitised by third parties
# (a plotting script of the I-MLE authors, Niepert et al. 2021); shown for context only
PAPER_CURVE = {
    "epoch": (0, 5, 10, 20, 30, 50),
    "fy": (0.62, 0.88, 0.89, 0.90, 0.92, 0.92),
    "squared": (0.25, 0.75, 0.79, 0.82, 0.835, 0.86),
}


@dataclass(frozen=True)
class Config:
    """Parameters of the study. ``quick()`` takes about 10 s on 2 cores (8x8 maps, few
    epochs); ``full()`` uses 12x12 maps as in the Warcraft benchmark, more data and epochs."""

    seed: int = 0
    grid: int = 8
    pixels: int = 4
    n_train: int = 600
    n_test: int = 200
    epochs: int = 10
    batch: int = 20
    lr: float = 1e-2
    n_samples: int = 3
    sigma: float = 0.3
    hidden: int = 16
    pixel_noise: float = 0.12
    gumbel_samples: int = 20_000
    grad_ms: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000)
    grad_repeats: int = 8

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(
            grid=12,
            n_train=2000,
            n_test=500,
            epochs=30,
            batch=50,
            lr=1e-2,
            hidden=32,
            grad_ms=(10, 30, 100, 300, 1000, 3000, 10_000),
            grad_repeats=20,
        )


# ------------------------------------------------------------------------------ training
def grid_path(costs: torch.Tensor) -> torch.Tensor:
    """The 8-neighbour grid shortest path on costs clipped at 0: additive noise can push a
    cost below 0 (rarely, with the model's costs >= 0.05 and eps = 0.3), and the path is only
    defined for non-negative costs."""
    return solvers.shortest_path_grid(costs.clamp(min=0))


grid_path.event_dims = 2  # type: ignore[attr-defined]


def train(args: tuple[str, Config]) -> dict[str, object]:
    """Train one CostNet with ``loss`` in {"fy", "squared"}; test accuracy after each epoch
    (epoch 0 = at initialisation) and the final model's test predictions."""
    loss_name, cfg = args
    torch.set_num_threads(1)  # tiny tensors: one thread avoids OpenMP contention
    s_train, s_test, s_init, s_noise, s_order = spawn_seeds(cfg.seed, 5)
    maps = {"grid": cfg.grid, "pixels": cfg.pixels, "pixel_noise": cfg.pixel_noise}
    train_set = warcraft_maps(cfg.n_train, seed=s_train, **maps)
    test_set = warcraft_maps(cfg.n_test, seed=s_test, **maps)
    model = CostNet(cfg.pixels, cfg.hidden, seed=s_init)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    # the Warcraft schedule of Berthet et al.'s code: the learning rate / 10 at 60% and again
    # at 80% of the epochs
    milestones = [round(0.6 * cfg.epochs), round(0.8 * cfg.epochs)]
    schedule = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.1)
    common = {"n_samples": cfg.n_samples, "sigma": cfg.sigma, "event_dims": 2}
    if loss_name == "fy":
        fy = FenchelYoungLoss(grid_path, maximize=False, seed=s_noise, **common)

        def loss_fn(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return fy(theta, y)

    else:
        layer = perturbed(grid_path, seed=s_noise, **common)

        def loss_fn(theta: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return ((layer(theta) - y) ** 2).sum(dim=(1, 2)).mean()

    order_gen = torch.Generator().manual_seed(s_order)
    acc = [warcraft.path_accuracy(model, test_set)]
    for _ in range(cfg.epochs):
        perm = torch.randperm(cfg.n_train, generator=order_gen)
        for i in range(0, cfg.n_train, cfg.batch):
            idx = perm[i : i + cfg.batch]
            opt.zero_grad()
            loss_fn(model(train_set.images[idx]), train_set.paths[idx]).backward()
            opt.step()
        schedule.step()
        acc.append(warcraft.path_accuracy(model, test_set))
    with torch.no_grad():
        pred = solvers.shortest_path_grid(model(test_set.images[:3]))
    return {
        "accuracy": acc,
        "examples": {
            "images": test_set.images[:3].numpy(),
            "true": test_set.paths[:3].numpy(),
            "pred": pred.numpy(),
        },
    }


# ------------------------------------------------------------------------------ gradients
def _softmax_vjp(theta: torch.Tensor, v: torch.Tensor, sigma: float) -> torch.Tensor:
    s = torch.softmax(theta / sigma, dim=-1)
    return (s * v - s * (s * v).sum(-1, keepdim=True)) / sigma


def _mc_vjp(layer, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
    th = theta.clone().requires_grad_()
    (g,) = torch.autograd.grad((layer(th) * v).sum(), th)
    return g


def gradient_error(args: tuple[int, int, int]) -> float:
    """Mean relative L2 error of the Gumbel-argmax MC gradient (16 x 10, sigma = 1) against the
    exact softmax Jacobian-vector product, at ``M`` samples over ``repeats`` draws."""
    m, repeats, seed = args
    gen = torch.Generator().manual_seed(1234)
    theta, v = torch.randn(16, 10, generator=gen), torch.randn(16, 10, generator=gen)
    exact = _softmax_vjp(theta, v, 1.0)
    layer = perturbed(solvers.argmax, n_samples=m, noise="gumbel", seed=seed)
    errs = [float((_mc_vjp(layer, theta, v) - exact).norm() / exact.norm()) for _ in range(repeats)]
    return float(np.mean(errs))


# ------------------------------------------------------------------------------ sections
def _warcraft_section(cfg: Config) -> Section:
    # the squared loss also with 10x the samples: its Monte-Carlo Jacobian is the only signal
    # it gets, and at small M that signal is mostly noise
    more = replace(cfg, n_samples=10 * cfg.n_samples)
    jobs = [("fy", cfg), ("squared", cfg), ("squared", more)]
    fy, sq, sq_more = parallel.map(train, jobs, label="training")
    acc_fy, acc_sq, acc_more = fy["accuracy"], sq["accuracy"], sq_more["accuracy"]
    epochs = list(range(cfg.epochs + 1))
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(epochs, acc_fy, "o-", label="perturbed Fenchel-Young loss")
    ax.plot(epochs, acc_sq, "s-", label="squared loss on y*_eps")
    ax.plot(epochs, acc_more, "^--", label=f"squared loss, M = {more.n_samples}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("perfect-path test accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        f"{cfg.grid}x{cfg.grid} Warcraft-like maps, M = {cfg.n_samples}, eps = {cfg.sigma}"
    )
    ax.legend()
    fig.tight_layout()
    ex = fy["examples"]
    maps, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    p = cfg.pixels
    for k, a in enumerate(axes):
        a.imshow(ex["images"][k].transpose(1, 2, 0))
        for key, colour, off in (("true", "white", -0.12), ("pred", "red", 0.12)):
            rr, cc = np.nonzero(ex[key][k])
            a.plot(
                (cc + 0.5 + off) * p - 0.5,
                (rr + 0.5 + off) * p - 0.5,
                "s",
                ms=3,
                color=colour,
                label={"true": "true path", "pred": "predicted (FY)"}[key],
            )
        a.set_xticks([])
        a.set_yticks([])
    axes[0].legend(loc="lower left", fontsize=7)
    maps.suptitle("test maps: true path (white) and the FY model's path (red)")
    maps.tight_layout()
    curve = Table(
        "Perfect-path test accuracy per epoch (epoch 0 = initialisation)",
        ["epoch", "Fenchel-Young", "squared loss on y*_eps", f"squared, M = {more.n_samples}"],
        [list(r) for r in zip(epochs, acc_fy, acc_sq, acc_more, strict=True)],
    )
    paper = Table(
        "For context: Berthet et al.'s Warcraft 12x12 curves (third-party digitised, other "
        "data and network)",
        ["epoch", "Fenchel-Young", "squared loss"],
        [list(r) for r in zip(*PAPER_CURVE.values(), strict=True)],
    )
    experiment = f"{PAPER}, Warcraft shortest-path experiment"
    claims = [
        Claim.at_least(
            "The perturbed Fenchel-Young loss learns better than the squared loss on y*_eps: "
            "final perfect-path accuracy, FY minus squared (points)",
            100 * (acc_fy[-1] - acc_sq[-1]),
            5.0,
            source=f"{experiment} (Fenchel-Young vs squared loss)",
        ),
        Claim.at_least(
            "... at every epoch after the first: minimum over epochs >= 1 of FY minus squared "
            "accuracy (points)",
            100 * min(a - b for a, b in zip(acc_fy[1:], acc_sq[1:], strict=True)),
            0.0,
            source=f"{experiment} (accuracy curves per epoch)",
        ),
        Claim.at_least(
            "Trained end to end through the perturbed shortest path, the CNN finds the optimal "
            "path on most test maps: final FY accuracy",
            acc_fy[-1],
            0.6,
            source=f"{experiment} (perfect-path accuracy)",
        ),
    ]
    return Section(
        claims=claims,
        tables=[curve, paper],
        figures={"accuracy_vs_epoch": fig, "example_paths": maps},
        captions={
            "accuracy_vs_epoch": "Perfect-path test accuracy per epoch: the Fenchel-Young curve "
            "(circles) should lie above both squared-loss curves from epoch 1 on.",
            "example_paths": "Three test maps with the true cheapest path (white) and the path "
            "on the Fenchel-Young model's costs (red): where the two coincide the model found "
            "the optimal path.",
        },
    )


def _gumbel_section(cfg: Config) -> Section:
    gen = torch.Generator().manual_seed(cfg.seed)
    theta, v = torch.randn(16, 10, generator=gen), torch.randn(16, 10, generator=gen)
    layer = perturbed(solvers.argmax, n_samples=cfg.gumbel_samples, noise="gumbel", seed=cfg.seed)
    fwd = float((layer(theta) - torch.softmax(theta, -1)).abs().max())
    exact = _softmax_vjp(theta, v, 1.0)
    rel = float((_mc_vjp(layer, theta, v) - exact).norm() / exact.norm())
    readme = torch.tensor([-0.6, 1.9, -0.2, 1.1, -1.0], dtype=torch.float64)
    big = perturbed(solvers.argmax, n_samples=1_000_000, sigma=0.5, noise="gumbel", seed=cfg.seed)
    y_readme = big(readme)
    soft = torch.softmax(readme / 0.5, -1)
    table = Table(
        "Gumbel-perturbed argmax vs softmax(theta / sigma) (the README vector of Berthet et "
        "al.'s code, sigma = 0.5)",
        ["entry", "perturbed argmax (M = 10^6)", "softmax(theta / sigma)"],
        [[i, float(a), float(b)] for i, (a, b) in enumerate(zip(y_readme, soft, strict=True))],
    )
    gumbel_max = f"{PAPER}, perturbed maximizers: Gumbel noise on the simplex gives softmax"
    claims = [
        Claim.at_most(
            "With Gumbel noise the perturbed argmax is softmax(theta/eps) (Gumbel-max trick): "
            f"max-abs forward error at M = {cfg.gumbel_samples}, 16 x 10, eps = 1",
            fwd,
            0.02,
            source=gumbel_max,
        ),
        Claim.at_most(
            "... and its Monte-Carlo Jacobian is the softmax Jacobian: relative L2 error of the "
            f"VJP at M = {cfg.gumbel_samples}",
            rel,
            0.15,
            source=f"{PAPER}, Jacobian of the perturbed maximizer by integration by parts, "
            "checked against the softmax Jacobian",
        ),
        Claim.at_most(
            "The README example of Berthet et al.'s code (sigma = 0.5, 10^6 samples): max-abs "
            "gap to softmax",
            float((y_readme - soft).abs().max()),
            2e-3,
            source=f"{PAPER}, README example of the authors' code "
            "(google-research/google-research, perturbations/README.md)",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _gradient_section(cfg: Config) -> Section:
    seeds = spawn_seeds(cfg.seed + 1, len(cfg.grad_ms))
    errs = parallel.map(
        gradient_error,
        [(m, cfg.grad_repeats, s) for m, s in zip(cfg.grad_ms, seeds, strict=True)],
        label="gradient error vs M",
    )
    ms = np.array(cfg.grad_ms, dtype=float)
    slope, intercept = np.polyfit(np.log(ms), np.log(errs), 1)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.loglog(ms, errs, "o-", label="measured (Gumbel argmax, 16 x 10)")
    ax.loglog(ms, np.exp(intercept) * ms**-0.5, "k--", label="slope -1/2")
    ax.set_xlabel("Monte-Carlo samples M")
    ax.set_ylabel("relative L2 error of the gradient")
    ax.set_title(f"fitted slope {slope:.3f}")
    ax.legend()
    fig.tight_layout()
    table = Table(
        "Relative error of the Monte-Carlo gradient vs the exact softmax Jacobian (eps = 1)",
        ["M", "mean relative L2 error", "error x sqrt(M)"],
        [[int(m), e, e * math.sqrt(m)] for m, e in zip(ms, errs, strict=True)],
    )
    claim = Claim.within(
        "The Monte-Carlo Jacobian's error decays like 1/sqrt(M): log-log slope of the gradient "
        "error against M",
        float(slope),
        -0.6,
        -0.4,
        source=f"{PAPER}, Monte-Carlo estimator of the Jacobian (average of M i.i.d. terms); "
        "the slope is this library's measurement",
    )
    return Section(
        claims=[claim],
        tables=[table],
        figures={"gradient_error_vs_m": fig},
        captions={
            "gradient_error_vs_m": "Relative error of the Monte-Carlo gradient against the "
            "exact softmax Jacobian: the points should follow the dashed line of slope -1/2."
        },
    )


class PerturbedOptimizers(Study):
    """Differentiable perturbed optimizers (Berthet et al. 2020): Fenchel-Young vs squared
    loss on Warcraft-like maps, the Gumbel-max identity and the 1/sqrt(M) gradient error (see
    the module docstring)."""

    name = "perturbed-optimizers"
    title = (
        "Differentiable perturbed optimizers: Fenchel-Young vs squared loss on Warcraft-like maps"
    )
    citation = (
        "Berthet, Blondel, Teboul, Cuturi, Vert, Bach, 'Learning with Differentiable Perturbed "
        "Optimizers', NeurIPS 2020 (arXiv:2002.08676)"
    )
    summary = (
        "Warcraft-like maps are generated locally: five terrain types with hidden costs "
        "(0.8, 1.2, 5.3, 7.7, 9.2), colours and textures, rendered with noise. Both models "
        "use theorylab.perturbed's batched 8-neighbour shortest path (Bellman-Ford in "
        "PyTorch) under additive normal noise with the same M and eps (as in the Warcraft "
        "configuration of Berthet et al.'s code); only the loss differs. (Multiplicative noise "
        "makes the FY loss positively homogeneous in theta, and training then shrinks the "
        "costs towards 0.) The squared loss learns through the Monte-Carlo Jacobian, which is "
        "noisy at small M and vanishes where the perturbed paths do not change; the FY "
        "gradient y_eps - y needs no Jacobian. A path counts as perfect when its hidden "
        "cost is optimal. The gradient checks use the Gumbel argmax, whose perturbed map "
        "is softmax(theta/eps) exactly."
    )
    Config = Config

    def sections(self, config: Config) -> Iterator[Section]:
        """The Warcraft training, the Gumbel-max checks, the gradient error vs M."""
        with parallel.torch_threads(1):
            yield _warcraft_section(config)
            yield _gumbel_section(config)
            yield _gradient_section(config)


# ------------------------------------------------------------------------------ old names
def _make_dataset(n: int, cfg: Config, seed: int) -> dict[str, torch.Tensor]:
    maps = warcraft_maps(
        n, grid=cfg.grid, pixels=cfg.pixels, pixel_noise=cfg.pixel_noise, seed=seed
    )
    return {f: getattr(maps, f) for f in ("images", "costs", "paths", "optimal", "types")}


def _path_accuracy(model: torch.nn.Module, data: dict[str, torch.Tensor] | WarcraftMaps) -> float:
    return warcraft.path_accuracy(
        model, data if isinstance(data, WarcraftMaps) else WarcraftMaps(**data)
    )


# module-level names of the old study protocol and of the data set that moved to
# theorylab.perturbed.warcraft: still readable, with a DeprecationWarning
_MOVED: dict[str, tuple[str, Any]] = {
    "NAME": ("PerturbedOptimizers.name", PerturbedOptimizers.name),
    "TITLE": ("PerturbedOptimizers.title", PerturbedOptimizers.title),
    "CITATION": ("PerturbedOptimizers.citation", PerturbedOptimizers.citation),
    "run": ("PerturbedOptimizers().run", PerturbedOptimizers().run),
    "B20_CURVE": ("PAPER_CURVE", PAPER_CURVE),
    "TERRAIN": ("theorylab.perturbed.warcraft.TERRAIN", warcraft.TERRAIN),
    "make_dataset": ("theorylab.perturbed.warcraft_maps", _make_dataset),
    "path_accuracy": ("theorylab.perturbed.warcraft.path_accuracy", _path_accuracy),
    "terrain_maps": ("theorylab.perturbed.warcraft_maps(...).types", warcraft._terrain_types),
    "render": ("theorylab.perturbed.warcraft_maps(...).images", warcraft._render),
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        new, value = _MOVED[name]
        warnings.warn(
            f"theorylab.studies.perturbed_optimizers.{name} is deprecated; use {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
