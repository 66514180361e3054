"""Study ``rescaling-invariance``: Gribonval, "Frugality in machine learning: sparsity, a
value for the future?"; Gonon, Brisebarre, Riccietti, Gribonval, ICLR 2024 (path-norm
toolkit) and ICML 2025 (path-metrics, path-magnitude pruning).

A small ReLU CNN (Conv-BN-ReLU-MaxPool, Conv-ReLU-MaxPool, two Linear layers) is trained on
scikit-learn's digits while its path-norms are tracked. A random power-of-two neuron-wise
rescaling (the {1, 2^7, 2^12} attack of the ICML 2025 code) leaves the function, the
path-norms and the path-magnitude masks exactly unchanged, and breaks magnitude pruning;
rebalancing returns a canonical point of the orbit. The classical side checks that weight
decay on a Hadamard product parameterization w = u ⊙ v is the Lasso, on a compressed-sensing
instance solved by scikit-learn's Lasso and OMP.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from theorylab._core import parallel
from theorylab._core.rng import as_generator
from theorylab.sparsity import (
    CRITERIA,
    digits_cnn,
    digits_split,
    hadamard_min_norm,
    hadamard_regression,
    path_norms,
    prune,
    random_rescaling,
    rebalance,
    rebalance_info,
    resnet,
    sensing_problem,
    sparse_recovery,
    sum_of_squares,
    support,
)
from theorylab.studies.base import Claim, Section, Study, Table

SHAPE = (1, 8, 8)
# the papers the claims cite
TOOLKIT = "Gonon, Brisebarre, Riccietti, Gribonval, ICLR 2024"
PATH_METRICS = "Gonon, Brisebarre, Riccietti, Gribonval, ICML 2025"
PATH_SGD = "Neyshabur, Salakhutdinov, Srebro, NeurIPS 2015"
HADAMARD = "Hoff 2017 (Hadamard product parametrization of the Lasso)"
OURS = "this library's measurement"


@dataclass(frozen=True)
class Config:
    """``quick()`` trains for a few epochs and checks 6 sparsities; ``full()`` trains
    longer on a wider net, with a finer sparsity grid and larger sensing problems."""

    seed: int = 0
    channels: tuple[int, int] = (8, 16)
    hidden: int = 32
    epochs: int = 25
    lr: float = 0.01
    batch_size: int = 64
    sparsities: tuple[float, ...] = (0.2, 0.4, 0.5, 0.6, 0.7, 0.8)
    factors: tuple[float, ...] = (1.0, 128.0, 4096.0)
    n_measurements: int = 48
    n_features: int = 96
    cs_sparsity: int = 5
    alpha: float = 0.01
    hadamard_steps: int = 5000
    deep_width: int = 4
    deep_size: int = 32

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(
            channels=(16, 32),
            hidden=64,
            epochs=40,
            sparsities=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
            n_measurements=100,
            n_features=256,
            cs_sparsity=10,
            alpha=0.002,  # the Lasso threshold scales like alpha * n_measurements
            hadamard_steps=20_000,
            deep_width=16,
            deep_size=64,
        )


@torch.no_grad()
def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(X).argmax(1) == y).float().mean())


def _train(cfg: Config, data):
    Xtr, ytr, Xte, yte = data
    model = digits_cnn(cfg.channels, cfg.hidden, seed=cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    history = []

    def record(epoch: int) -> None:
        model.eval()
        l1, l2, l4 = path_norms(model, SHAPE, [1, 2, 4])
        history.append((epoch, l1, l2, l4, _accuracy(model, Xte, yte)))

    record(0)
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(len(Xtr), generator=gen)
        for i in range(0, len(Xtr), cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            opt.zero_grad()
            nn.functional.cross_entropy(model(Xtr[idx]), ytr[idx]).backward()
            opt.step()
        record(epoch)
    model.eval()
    return model, history


def _prune_sweep(model: nn.Module, cfg: Config, X, y) -> tuple[dict, dict]:
    """Accuracy and masks after one-shot global pruning, per (criterion, sparsity)."""
    acc, masks = {}, {}
    for c in CRITERIA:
        for s in cfg.sparsities:
            pruned = copy.deepcopy(model)
            masks[c, s] = prune(pruned, s, c, input_shape=SHAPE, seed=cfg.seed)
            acc[c, s] = _accuracy(pruned, X, y)
    return acc, masks


def _invariance_section(cfg: Config, model: nn.Module, rescaled: nn.Module, data):
    Xte = data[2]
    with torch.no_grad():
        gap = float((model(Xte) - rescaled(Xte)).abs().max())
    qs = [1, 2, 4]
    pn, pn_r = path_norms(model, SHAPE, qs), path_norms(rescaled, SHAPE, qs)
    rel = max(abs(a - b) / a for a, b in zip(pn, pn_r, strict=True))
    ss, ss_r = sum_of_squares(model), sum_of_squares(rescaled)
    table = Table(
        "Random power-of-two rescaling (factors {1, 2^7, 2^12} per neuron)",
        ["quantity", "trained net", "rescaled net"],
        [[f"L{q} path-norm", a, b] for q, a, b in zip(qs, pn, pn_r, strict=True)]
        + [["sum of squared weights", ss, ss_r]],
    )
    claims = [
        Claim.at_most(
            "Rescaling a neuron's incoming weights and bias by λ > 0 and its outgoing weights "
            "by 1/λ leaves the function unchanged (max |f(x) − f_rescaled(x)| on the test "
            "set; powers of two make it bit-exact)",
            gap,
            0.0,
            source=f"{PATH_SGD}; power-of-two factors as in {PATH_METRICS}, random rescaling",
        ),
        Claim.at_most(
            "Path-norms are invariant under neuron-wise rescaling (max relative change of "
            "the L1, L2, L4 path-norms)",
            rel,
            1e-12,
            source=f"{TOOLKIT}, abstract",
        ),
        Claim.at_least(
            "Weight magnitudes are not function-intrinsic: the same function has a sum of "
            "squared weights many times larger after rescaling (ratio)",
            ss_r / ss,
            100.0,
            source=f"{PATH_SGD} (weight norms are not rescaling-invariant)",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _pruning_section(cfg: Config, model, rescaled, data):
    _, _, Xte, yte = data
    dense = _accuracy(model, Xte, yte)
    acc, masks = _prune_sweep(model, cfg, Xte, yte)
    acc_r, masks_r = _prune_sweep(rescaled, cfg, Xte, yte)
    bal, bal_r = rebalance(model), rebalance(rescaled)
    acc_b = {s: _accuracy(_pruned(bal, s, cfg), Xte, yte) for s in cfg.sparsities}
    acc_br = {s: _accuracy(_pruned(bal_r, s, cfg), Xte, yte) for s in cfg.sparsities}
    diff_masks = sum(
        int((masks["path-magnitude", s][k] != masks_r["path-magnitude", s][k]).sum())
        for s in cfg.sparsities
        for k in masks["path-magnitude", s]
    )
    diff_mag = sum(
        int((masks["magnitude", s][k] != masks_r["magnitude", s][k]).sum())
        for s in cfg.sparsities
        for k in masks["magnitude", s]
    )
    sp = cfg.sparsities
    drop_mag = np.mean([acc["magnitude", s] - acc_r["magnitude", s] for s in sp])
    drop_pm = max(abs(acc["path-magnitude", s] - acc_r["path-magnitude", s]) for s in sp)
    moderate = [s for s in sp if s <= 0.6] or list(sp[:1])
    pm_vs_mag = float(np.mean([acc["path-magnitude", s] - acc["magnitude", s] for s in moderate]))
    pm_vs_random = float(np.mean([acc["path-magnitude", s] - acc["random", s] for s in sp]))
    bal_gap = max(abs(acc_b[s] - acc_br[s]) for s in sp)
    rows = [
        [
            s,
            acc["magnitude", s],
            acc_r["magnitude", s],
            acc["path-magnitude", s],
            acc_r["path-magnitude", s],
            acc["random", s],
            acc_b[s],
            acc_br[s],
        ]
        for s in sp
    ]
    table = Table(
        f"Test accuracy after one-shot global pruning (dense: {dense:.4f})",
        [
            "sparsity",
            "magnitude",
            "magnitude, rescaled",
            "path-magnitude",
            "path-magnitude, rescaled",
            "random",
            "magnitude, rebalanced",
            "magnitude, rescaled then rebalanced",
        ],
        rows,
    )
    fig, ax = plt.subplots(figsize=(6.5, 4))
    colours = {"magnitude": "C0", "path-magnitude": "C1", "random": "C2"}
    for c in CRITERIA:
        ax.plot(sp, [acc[c, s] for s in sp], "o-", color=colours[c], label=c)
        ax.plot(sp, [acc_r[c, s] for s in sp], "x--", color=colours[c], label=f"{c}, rescaled")
    ax.axhline(dense, color="k", lw=0.8, ls=":", label="dense")
    ax.set(
        xlabel="sparsity (fraction of weights pruned)",
        ylabel="test accuracy",
        title="one-shot pruning before (solid) / after (dashed) random rescaling",
    )
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    fig.tight_layout()
    claims = [
        Claim.equal(
            "Path-magnitude pruning masks are totally immune to neuron-wise rescalings "
            "(mask entries that differ, summed over all sparsities)",
            diff_masks,
            0,
            source=f"{PATH_METRICS}, abstract",
        ),
        Claim.at_most(
            "Path-magnitude pruning is unaffected by the rescaling (max accuracy change "
            "over sparsities)",
            drop_pm,
            0.0,
            source=f"{PATH_METRICS}, abstract",
        ),
        Claim.at_least(
            "Magnitude pruning after a random rescaling loses far more accuracy than "
            "before (mean accuracy loss over sparsities, in fraction of the test set)",
            float(drop_mag),
            0.2,
            source=f"{PATH_METRICS}, ResNet-18 ImageNet pruning results (62% vs 69% top-1 at "
            "40% sparsity after the rescaling)",
        ),
        Claim.at_least(
            "The rescaling changes the magnitude-pruning masks (mask entries that differ)",
            diff_mag,
            1,
            source=f"{OURS} (the rescaling attack of {PATH_METRICS})",
        ),
        Claim.at_least(
            "Path-magnitude pruning matches magnitude pruning at moderate sparsity (mean "
            f"accuracy difference, sparsity <= {max(moderate)})",
            pm_vs_mag,
            -0.03,
            source=f"{PATH_METRICS}, abstract ('matches magnitude pruning')",
        ),
        Claim.at_least(
            "Path-magnitude pruning is better than random pruning (mean accuracy gain)",
            pm_vs_random,
            0.0,
            source=f"{OURS} (sanity check of the criterion)",
        ),
        Claim.at_most(
            "Rebalancing is a canonical point of the rescaling orbit: magnitude pruning "
            "after rebalancing gives the same accuracy with or without the attack (max "
            "difference over sparsities)",
            bal_gap,
            0.01,
            source=f"{OURS} (rebalancing is this library's construction)",
        ),
    ]
    caption = (
        "Solid lines are before the rescaling, dashed after: the two path-magnitude curves "
        "coincide while magnitude pruning of the rescaled net falls towards chance (0.1)."
    )
    return Section(
        claims=claims,
        tables=[table],
        figures={"pruning_accuracy": fig},
        captions={"pruning_accuracy": caption},
    )


def _pruned(model: nn.Module, s: float, cfg: Config) -> nn.Module:
    out = copy.deepcopy(model)
    prune(out, s, "magnitude")
    return out


def _rebalance_section(cfg: Config, model: nn.Module, rescaled: nn.Module, data):
    _, _, Xte, _ = data
    m64, r64 = copy.deepcopy(model).double(), copy.deepcopy(rescaled).double()
    info, info_r = rebalance_info(m64), rebalance_info(r64)
    bal = info.model
    with torch.no_grad():
        x = Xte.double()
        gap = float((bal(x) - m64(x)).abs().max() / m64(x).abs().max())
    canon = abs(info.after - info_r.after) / info.after
    table = Table(
        "Rebalancing (per-neuron balance, block-coordinate descent)",
        ["start", "sum of squares before", "after", "sweeps"],
        [
            ["trained net", info.before, info.after, info.sweeps],
            ["rescaled net", info_r.before, info_r.after, info_r.sweeps],
        ],
    )
    claims = [
        Claim.at_most(
            "Rebalancing lowers the sum of squared weights (after / before, trained net)",
            info.after / info.before,
            1.0 - 1e-9,
            source=f"{OURS} (block-coordinate descent on the rescaling orbit)",
        ),
        Claim.at_most(
            "Rebalancing does not change the outputs (max relative output change, float64)",
            gap,
            1e-10,
            source=f"{PATH_SGD} (rescaling invariance)",
        ),
        Claim.at_most(
            "Rebalancing the trained and the rescaled net reaches the same minimal sum of "
            "squares (relative difference)",
            canon,
            1e-8,
            source=f"{OURS} (the sum of squares is convex in the log-factors)",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _classical_section(cfg: Config):
    rng = as_generator(cfg.seed)
    w = rng.standard_normal(12)
    w[rng.integers(12)] = 0.0
    had = hadamard_min_norm(w, seed=cfg.seed)
    prob = sensing_problem(
        cfg.n_measurements, cfg.n_features, cfg.cs_sparsity, noise=0.01, seed=cfg.seed
    )
    lasso = sparse_recovery(prob.A, prob.y, "lasso", alpha=cfg.alpha)
    omp = sparse_recovery(prob.A, prob.y, "omp", n_nonzero=cfg.cs_sparsity)
    fit = hadamard_regression(prob.A, prob.y, cfg.alpha, steps=cfg.hadamard_steps, seed=cfg.seed)

    def jaccard(a, b) -> float:
        a, b = set(a.tolist()), set(b.tolist())
        return len(a & b) / max(len(a | b), 1)

    sup_true = prob.support
    j_had = jaccard(support(fit.w), support(lasso))
    dev = float(np.abs(fit.w - lasso).max() / np.abs(lasso).max())
    j_omp = jaccard(support(omp), sup_true)
    recall_lasso = len(set(support(lasso).tolist()) & set(sup_true.tolist())) / len(sup_true)
    table = Table(
        f"Compressed sensing ({cfg.n_measurements} measurements, {cfg.n_features} features, "
        f"{cfg.cs_sparsity}-sparse, noise 0.01)",
        ["method", "support size", "Jaccard with true support", "relative error"],
        [
            [
                name,
                len(support(x)),
                jaccard(support(x), sup_true),
                float(np.linalg.norm(x - prob.x) / np.linalg.norm(prob.x)),
            ]
            for name, x in [
                ("Lasso (sklearn)", lasso),
                ("OMP (sklearn)", omp),
                ("u ⊙ v + weight decay", fit.w),
            ]
        ],
    )
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    idx = np.arange(cfg.n_features)
    ax.stem(idx, prob.x, linefmt="k-", markerfmt="ko", basefmt=" ", label="true x")
    ax.plot(idx, lasso, "C0s", ms=4, mfc="none", label="Lasso")
    ax.plot(idx, fit.w, "C1x", ms=4, label="u ⊙ v with weight decay")
    ax.set(xlabel="coordinate", ylabel="value", title="weight decay on u ⊙ v = Lasso")
    ax.legend(fontsize=7)
    fig.tight_layout()
    claims = [
        Claim.close(
            "min ‖u‖² + ‖v‖² subject to u ⊙ v = w equals 2‖w‖₁ (SLSQP on the constrained "
            "problem vs 2‖w‖₁)",
            had,
            2 * float(np.abs(w).sum()),
            rtol=1e-6,
            source=HADAMARD,
        ),
        Claim.equal(
            "Training u ⊙ v with weight decay recovers the Lasso support (Jaccard index)",
            j_had,
            1.0,
            source=f"{HADAMARD}; the Lasso of Tibshirani 1996",
        ),
        Claim.at_most(
            "... and the Lasso coefficients (max deviation relative to max |w_lasso|)",
            dev,
            1e-4,
            source=f"{HADAMARD}: the two objectives have the same minimizers",
        ),
        Claim.equal(
            "Sparse recovery: OMP finds the true support and the Lasso support contains it "
            "(smaller of OMP's Jaccard index and the Lasso's recall)",
            min(j_omp, recall_lasso),
            1.0,
            source="compressed sensing (Candès, Romberg, Tao 2006; Donoho 2006)",
        ),
    ]
    caption = (
        "The u ⊙ v weights (crosses) land on the Lasso coefficients (squares), and both are "
        "nonzero where the true sparse vector (stems) is."
    )
    return Section(
        claims=claims,
        tables=[table],
        figures={"hadamard_lasso": fig},
        captions={"hadamard_lasso": caption},
    )


def _training_section(history) -> Section:
    h = np.array(history)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    for j, q in ((1, 1), (2, 2), (3, 4)):
        ax[0].semilogy(h[:, 0], h[:, j], "o-", ms=3, label=f"L{q} path-norm")
    ax[0].set(xlabel="epoch", ylabel="path-norm", title="path-norms during training")
    ax[0].legend(fontsize=8)
    ax[1].plot(h[:, 0], h[:, 4], "o-", ms=3)
    ax[1].set(xlabel="epoch", ylabel="test accuracy", title="digits CNN")
    fig.tight_layout()
    table = Table(
        "Path-norms during training",
        ["epoch", "L1 path-norm", "L2 path-norm", "L4 path-norm", "test accuracy"],
        [list(r) for r in history],
    )
    claim = Claim.at_least(
        "The trained CNN classifies the digits (test accuracy)",
        history[-1][4],
        0.9,
        source=f"{OURS} (the network this study attacks)",
    )
    caption = (
        "Left: how the L1, L2 and L4 path-norms (log scale) move over the training epochs; "
        "right: the test accuracy at the same epochs."
    )
    return Section(
        claims=[claim],
        tables=[table],
        figures={"pathnorm_training": fig},
        captions={"pathnorm_training": caption},
    )


def _deep_section(cfg: Config) -> Section:
    net = resnet(152, width=cfg.deep_width, num_classes=10, seed=cfg.seed).eval()
    shape = (3, cfg.deep_size, cfg.deep_size)
    direct = path_norms(net, shape, [1])[0]
    logv = path_norms(net, shape, [1], log=True)[0]
    log32 = path_norms(net, shape, [1], log=True, dtype=torch.float32)[0]
    claims = [
        Claim.at_most(
            "The log-domain pass gives log ‖Φ‖₁ of a ResNet-152-shaped network equal to "
            "the log of the float64 value (|difference|; "
            f"‖Φ‖₁ = 10^{math.log10(direct):.1f})",
            abs(logv - math.log(direct)),
            1e-9,
            source=f"{OURS} (log-domain pass; the one-pass recipe is {TOOLKIT}, Thm. A.1)",
        ),
        Claim.at_most(
            "... and stays accurate in float32, whose direct range (3.4e38) the norm exceeds "
            "(relative error of log ‖Φ‖₁)",
            abs(log32 - logv) / abs(logv),
            1e-5,
            source=f"{OURS} (log-domain pass; the one-pass recipe is {TOOLKIT}, Thm. A.1)",
        ),
    ]
    return Section(claims=claims)


class RescalingInvariance(Study):
    """A ReLU CNN on scikit-learn's digits under a random power-of-two rescaling: path-norms,
    pruning, rebalancing; weight decay on u ⊙ v as the Lasso (see the module docstring)."""

    name = "rescaling-invariance"
    title = "Rescaling invariance, path-norms and invariance-aware pruning of ReLU networks"
    citation = (
        "Gribonval, 'Frugality in machine learning: sparsity, a value for the future?'; "
        "Gonon, Brisebarre, Riccietti, Gribonval, ICLR 2024 and ICML 2025"
    )
    summary = (
        "A ReLU CNN trained on scikit-learn's digits is attacked by a random power-of-two "
        "neuron-wise rescaling. Path-norms (one |w|^q forward pass, traced with torch.fx) "
        "and path-magnitude pruning masks do not move; magnitude pruning collapses; "
        "rebalancing restores a canonical parameterization. On the classical side, weight "
        "decay on w = u ⊙ v is the Lasso."
    )
    Config = Config

    def sections(self, config: Config) -> Iterator[Section]:
        """Invariance, pruning, rebalancing, classical sparsity, the deep log-domain check and
        training, in this order. Runs single-threaded: the networks are tiny, and thread
        hand-offs cost more than they save (restored afterwards)."""
        with parallel.torch_threads(1):
            data = digits_split(test_size=0.3, seed=config.seed)
            model, history = _train(config, data)
            rescaled = random_rescaling(model, seed=config.seed, factors=config.factors)
            yield _invariance_section(config, model, rescaled, data)
            yield _pruning_section(config, model, rescaled, data)
            yield _rebalance_section(config, model, rescaled, data)
            yield _classical_section(config)
            yield _deep_section(config)
            yield _training_section(history)


def __getattr__(name: str):  # the module-level protocol of before, deprecated
    old = {"NAME": "name", "TITLE": "title", "CITATION": "citation", "run": "run"}
    if name not in old:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"theorylab.studies.rescaling_invariance.{name} is deprecated; use "
        f"theorylab.studies.load('rescaling-invariance').{old[name]}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(RescalingInvariance(), old[name])
