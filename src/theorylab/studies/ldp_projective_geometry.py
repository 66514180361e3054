"""Study ``ldp-projective-geometry``: Feldman, Nelson, Nguyen, Talwar (ICML 2022),
"Private Frequency Estimation via Projective Geometry".

Re-runs the claims: Projective Geometry Response (PGR) has the variance of Subset Selection
(within 0.5% at epsilon = 1 and 2 once the field size may be a prime power) while sending
``ceil(log2 K)`` bits instead of SS's hundreds; every oracle's empirical MSE on a Zipf(1.1)
histogram matches its exact analytic variance and its estimates are unbiased; Hadamard
response (blocked and recursive) pays more error; every randomiser passes the exact
epsilon-LDP audit, while the authors' C++ PGR sampler (``theorylab.ldp.controls``) fails it
by exactly its closed-form factor; the O(K q t) dynamic
programme agrees exactly with the dense and FFT servers, is far faster than the dense one,
and its time grows like K q t.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from theorylab import ldp
from theorylab._core import parallel
from theorylab._core.rng import as_generator, spawn_seeds
from theorylab.ldp.fields import is_prime
from theorylab.ldp.projective import hyperplane_counts
from theorylab.studies.base import Claim, Section, Study, Table

PGR_PAPER = "Feldman, Nelson, Nguyen, Talwar 2022 (ICML)"

LABELS = {
    "grr": "GRR",
    "sue": "SUE (RAPPOR)",
    "oue": "OUE",
    "olh": "OLH",
    "hr": "HR",
    "rhr": "RHR",
    "ss": "SS",
    "pgr": "PGR",
    "hpgr": "HPGR (q'=5)",
}
# per-user factor V at k = 1024 from the closed forms, evaluated by an independent script
# (GRR, SUE, OUE, OLH: Wang et al. 2017; SS: Ye & Barg 2018, with the authors' d =
# ceil(k/(e^eps+1)); PGR: Feldman et al. 2022, with the authors' prime q)
CLOSED_FORM_V = {
    1.0: {"grr": 347.1, "sue": 3.918, "oue": 3.683, "olh": 3.692, "ss": 3.674, "pgr": 3.819},
    2.0: {"grr": 25.22, "sue": 0.9207, "oue": 0.7241, "olh": 0.7246, "ss": 0.7207, "pgr": 0.7382},
    4.0: {
        "grr": 0.3748,
        "sue": 0.1810,
        "oue": 0.07602,
        "olh": 0.07602,
        "ss": 0.07397,
        "pgr": 0.07547,
    },
    5.0: {
        "grr": 0.05386,
        "sue": 0.09742,
        "oue": 0.02732,
        "olh": 0.02732,
        "ss": 0.02534,
        "pgr": 0.02723,
    },
}
# (q, t) cases for the server cross-check: primes and prime powers
SERVER_CASES = [(2, 5), (3, 4), (4, 4), (5, 4), (7, 3), (8, 3), (9, 3), (4, 6), (53, 3)]
DENSE_MAX_K = 3000


@dataclass(frozen=True)
class Config:
    """Parameters of the study. ``quick()`` runs in about 15 s on 2 cores; ``full()`` is the
    paper's comparison at a larger scale (all nine oracles including SUE, k = 2048,
    n = 100,000, six epsilons, 10 repetitions, server timings up to k = 10^6)."""

    seed: int = 0
    k: int = 1024
    n: int = 50_000
    zipf: float = 1.1
    oracles: tuple[str, ...] = ("grr", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr")
    epsilons: tuple[float, ...] = (1.0, 2.0, 4.0)
    repeats: int = 3
    eps_grid: tuple[float, ...] = tuple(np.round(np.linspace(0.5, 5.0, 19), 3).tolist())
    variance_epsilons: tuple[float, ...] = (1.0, 2.0, 4.0, 5.0)
    bits_ks: tuple[int, ...] = tuple(2**i for i in range(4, 18))
    audit_ks: tuple[int, ...] = (6, 10)
    audit_epsilons: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    server_ks: tuple[int, ...] = (1000, 3000, 10_000, 30_000, 100_000)
    server_epsilons: tuple[float, ...] = (1.0, 2.0, 4.0)
    timing_repeats: int = 3

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(
            k=2048,
            n=100_000,
            repeats=10,
            oracles=("grr", "sue", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr"),
            epsilons=(0.5, 1.0, 2.0, 3.0, 4.0, 5.0),
            bits_ks=tuple(2**i for i in range(4, 21)),
            audit_ks=(6, 8, 10, 12),
            server_ks=(1000, 3000, 10_000, 30_000, 100_000, 300_000, 1_000_000),
        )


# ------------------------------------------------------------------------------ helpers
@functools.lru_cache(maxsize=4)
def zipf_items(k: int, n: int, s: float, seed: int) -> np.ndarray:
    """``ldp.zipf_items(k, n, s, seed=seed)``, cached and read-only."""
    items = ldp.zipf_items(k, n, s, seed=seed)
    items.setflags(write=False)
    return items


def authors_q(epsilon: float) -> int:
    """The authors' field size: the smallest odd prime >= ceil(e^eps + 1) (the code of
    Feldman, Nelson, Nguyen, Talwar 2022)."""
    q = max(3, math.ceil(math.exp(epsilon) + 1))
    while not (q % 2 and is_prime(q)):
        q += 1
    return q


def trial(args: tuple[str, int, float, int, float, int, int]) -> tuple[np.ndarray, float, float]:
    """One run of oracle ``name`` on the Zipf data set: ``(estimates (k,), client s, server s)``.

    ``args = (name, k, epsilon, n, zipf, data_seed, seed)``; the same args give the same
    estimates (the data come from ``data_seed``, the randomisers from ``seed``).
    """
    name, k, eps, n, s, data_seed, seed = args
    items = zipf_items(k, n, s, data_seed)
    oracle = ldp.make(name, k, eps)
    t0 = time.perf_counter()
    reports = oracle.privatize(items, seed=seed)
    t1 = time.perf_counter()
    est = oracle.estimate(oracle.aggregate(reports))
    return est, t1 - t0, time.perf_counter() - t1


def _build(label: str, k: int, eps: float, q: int | None) -> ldp.Oracle:
    if label == "authors-pgr":
        return ldp.controls.AuthorsPGR(k, eps, q=q)
    if label == "leaky-grr":
        return ldp.controls.LeakyGRR(k, eps)
    return ldp.make(label, k, eps, **({"q": q} if q else {}))


def audit_case(args: tuple[str, int, float, int | None]) -> tuple[bool, float, float, int]:
    """Exact audit of one configuration ``(label, k, epsilon, q)``: ``(passed, measured eps,
    achieved eps, output size)``. Labels are oracle names plus the negative controls
    ``"authors-pgr"`` and ``"leaky-grr"`` (``ldp.controls.AuthorsPGR`` and ``LeakyGRR``)."""
    label, k, eps, q = args
    oracle = _build(label, k, eps, q)
    res = ldp.audit(oracle)
    return res.passed, res.measured_epsilon, res.achieved_epsilon, oracle.output_size


def _time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# ------------------------------------------------------------------------------ sections
def _variance_section(cfg: Config) -> Section:
    k = 1024
    rows, worst_ref, gap_pp, gap_prime = [], 0.0, [], []
    for eps in cfg.variance_epsilons:
        ss = ldp.SS(k, eps)
        auto = ldp.PGR(k, eps)
        prime = ldp.PGR(k, eps, q=authors_q(eps))
        ss_ref = ldp.SS(k, eps, d=math.ceil(k / (math.exp(eps) + 1)))
        built = {
            "grr": ldp.GRR(k, eps),
            "sue": ldp.SUE(k, eps),
            "oue": ldp.OUE(k, eps),
            "olh": ldp.OLH(k, eps),
            "ss": ss_ref,
            "pgr": prime,
        }
        for name, o in built.items():
            v = o.per_user_variance
            ref = CLOSED_FORM_V.get(eps, {}).get(name)
            if ref is not None:
                worst_ref = max(worst_ref, abs(v / ref - 1))
            param = f"q={o.q}, t={o.t}" if name == "pgr" else f"d={o.d}" if name == "ss" else ""
            rows.append(
                [
                    LABELS[name] + (" (authors' q)" if name == "pgr" else ""),
                    eps,
                    param,
                    v,
                    v / ss.per_user_variance,
                    o.bits,
                    ref if ref else "–",
                ]
            )
        rows.append(
            [f"{LABELS['ss']} (best d)", eps, f"d={ss.d}", ss.per_user_variance, 1.0, ss.bits, "–"]
        )
        rows.append(
            [
                "PGR (q='auto')",
                eps,
                f"q={auto.q}, t={auto.t}",
                auto.per_user_variance,
                auto.per_user_variance / ss.per_user_variance,
                auto.bits,
                "–",
            ]
        )
        if eps in (1.0, 2.0):
            gap_pp.append(auto.per_user_variance / ss.per_user_variance - 1)
            gap_prime.append(prime.per_user_variance / ss.per_user_variance - 1)
    table = Table(
        f"Per-user variance factor V (Var(f̂) ≈ V/n for a rare item), k = {k}",
        ["oracle", "ε", "parameters", "V", "V / SS (best d)", "bits", "closed form"],
        rows,
    )
    claims = [
        Claim.at_most(
            "With the field size chosen over primes and prime powers, PGR's variance "
            "is within 0.5% of Subset Selection at ε = 1 and 2 (k = 1024; worst "
            "relative excess of V)",
            max(gap_pp),
            0.005,
            source=f"{PGR_PAPER}, abstract (error essentially matches Subset Selection, Ye & "
            "Barg 2018); the prime-power field sizes are this library's measurement",
        ),
        Claim.at_least(
            "Rounding q up to a prime, as the authors' code does, costs 2–4% "
            "variance at ε ≤ 2 (smallest relative excess over SS at ε = 1, 2)",
            min(gap_prime),
            0.015,
            source="this library's measurement of the prime-only field size of the code of "
            f"{PGR_PAPER}",
        ),
        Claim.at_most(
            "The exact per-user factors of GRR, SUE, OUE, OLH, SS and PGR (authors' "
            "q) reproduce their closed forms at k = 1024 (largest relative "
            "deviation)",
            worst_ref,
            2e-3,
            source="Wang, Blocki, Li, Jha 2017, Sections 3-4 (GRR, SUE, OUE, OLH); Ye & Barg "
            f"2018 (SS); {PGR_PAPER} (PGR); closed forms evaluated independently",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _sweep_section(cfg: Config) -> Section:
    seeds = spawn_seeds(cfg.seed, 1 + len(cfg.oracles) * len(cfg.epsilons) * cfg.repeats)
    data_seed, run_seeds = seeds[0], iter(seeds[1:])
    jobs = [
        (name, cfg.k, eps, cfg.n, cfg.zipf, data_seed, next(run_seeds))
        for name in cfg.oracles
        for eps in cfg.epsilons
        for _ in range(cfg.repeats)
    ]
    out = parallel.map(trial, jobs, label="oracle × ε × seed")
    f = np.bincount(zipf_items(cfg.k, cfg.n, cfg.zipf, data_seed), minlength=cfg.k) / cfg.n
    top = np.argsort(f)[::-1][:10]
    stats: dict[tuple[str, float], dict[str, float]] = {}
    rows, ratios, zmax = [], [], 0.0
    for i in range(0, len(jobs), cfg.repeats):
        name, _, eps = jobs[i][:3]
        chunk = out[i : i + cfg.repeats]
        est = np.stack([o[0] for o in chunk])
        oracle = ldp.make(name, cfg.k, eps)
        var = oracle.variance(cfg.n, f)
        mses = ((est - f) ** 2).mean(axis=1)
        mse, analytic = float(mses.mean()), float(var.mean())
        z = (est.mean(axis=0) - f)[top] / np.sqrt(var[top] / cfg.repeats)
        zmax = max(zmax, float(np.abs(z).max()))
        ratios.append(mse / analytic)
        stats[name, eps] = {
            "mse": mse,
            "sd": float(mses.std(ddof=1)) if cfg.repeats > 1 else 0.0,
            "analytic": analytic,
        }
        rows.append(
            [
                LABELS[name],
                eps,
                oracle.bits,
                analytic,
                mse,
                mse / analytic,
                float(np.mean([o[1] for o in chunk])),
                float(np.mean([o[2] for o in chunk])),
            ]
        )
    worst = max(ratios, key=lambda r: abs(math.log(r)))
    table = Table(
        f"Zipf({cfg.zipf}) workload: k = {cfg.k}, n = {cfg.n:,}, {cfg.repeats} "
        "repetitions (MSE = mean over items of (f̂ − f)²)",
        [
            "oracle",
            "ε",
            "bits",
            "analytic MSE",
            "empirical MSE",
            "MSE / analytic",
            "client s",
            "server s",
        ],
        rows,
    )
    claims = [
        Claim.within(
            f"The empirical MSE of every oracle matches its exact analytic variance "
            f"(MSE / analytic farthest from 1 over {len(ratios)} (oracle, ε) pairs)",
            worst,
            0.8,
            1.25,
            source="this library's measurement against the exact variances (Wang, Blocki, Li, "
            "Jha 2017, Section 3; Acharya, Sun, Zhang 2019; Feldman et al. 2022)",
        ),
        Claim.at_most(
            "Every oracle is unbiased: the mean estimate of each of the 10 most "
            "frequent items is within a few standard errors of the truth (largest "
            "|z| over all oracles and ε)",
            zmax,
            4.5,
            source="Wang, Blocki, Li, Jha 2017, Section 3 (unbiased support-count estimator); "
            "this library's measurement",
        ),
    ]
    if "pgr" in cfg.oracles and "ss" in cfg.oracles:
        an = max(stats["pgr", e]["analytic"] / stats["ss", e]["analytic"] for e in cfg.epsilons)
        claims.append(
            Claim.at_most(
                "PGR's MSE matches Subset Selection's on the Zipf workload (largest analytic MSE "
                "ratio PGR / SS over the ε of the sweep)",
                an,
                1.05,
                source=f"{PGR_PAPER}, abstract (error essentially matches Subset Selection)",
            )
        )
    # below eps = ln 2 HR has a single block (basic HR, V ~ 4/eps^2 like OUE): the gap closes
    hr = (
        [
            stats[h, e]["mse"] / stats["pgr", e]["mse"]
            for h in ("hr", "rhr")
            if h in cfg.oracles
            for e in cfg.epsilons
            if e >= 1
        ]
        if "pgr" in cfg.oracles
        else []
    )
    if hr:
        claims.append(
            Claim.at_least(
                "Hadamard response (blocked HR and RHR) has larger MSE than PGR at ε ≥ 1 (smallest "
                "empirical MSE ratio HR / PGR or RHR / PGR)",
                min(hr),
                1.2,
                source=f"{PGR_PAPER}, abstract (HR, Acharya, Sun, Zhang 2019, and RHR, Chen, "
                "Kairouz, Özgür 2020, have significantly worse error)",
            )
        )
    return Section(
        claims=claims,
        tables=[table],
        figures={"mse_vs_epsilon": _mse_figure(cfg, f, stats)},
        captions={
            "mse_vs_epsilon": "Each oracle's measured MSE (points) sits on its exact analytic "
            "variance (line); on the right, PGR tracks Subset Selection at 1 while Hadamard "
            "response and GRR stay above it."
        },
    )


def _mse_figure(cfg: Config, f: np.ndarray, stats: dict[tuple[str, float], dict[str, float]]):
    grid = np.asarray(cfg.eps_grid)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.4))
    ss_line = np.array([ldp.SS(cfg.k, e).variance(cfg.n, f).mean() for e in grid])
    for i, name in enumerate(cfg.oracles):
        colour = f"C{i}"
        line = np.array([ldp.make(name, cfg.k, e).variance(cfg.n, f).mean() for e in grid])
        ax[0].plot(grid, line, "-", color=colour, lw=1.2, label=LABELS[name])
        ax[1].plot(grid, line / ss_line, "-", color=colour, lw=1.2, label=LABELS[name])
        eps = np.asarray(cfg.epsilons)
        mse = np.array([stats[name, e]["mse"] for e in cfg.epsilons])
        sd = np.array([stats[name, e]["sd"] for e in cfg.epsilons])
        ax[0].errorbar(eps, mse, yerr=sd, fmt="o", color=colour, ms=4, capsize=2)
        an_ss = np.array(
            [stats["ss", e]["analytic"] if ("ss", e) in stats else np.nan for e in cfg.epsilons]
        )
        ax[1].plot(eps, mse / an_ss, "o", color=colour, ms=4)
    ax[0].set(
        yscale="log",
        xlabel="ε",
        ylabel="MSE (frequency units)",
        title=f"Zipf({cfg.zipf}), k = {cfg.k}, n = {cfg.n:,}: points measured, lines exact",
    )
    ax[1].set(
        yscale="log",
        ylim=(0.9, 4.0),
        xlabel="ε",
        ylabel="MSE / SS analytic MSE",
        title="relative to Subset Selection (GRR mostly above the range)",
    )
    ax[1].axhline(1.0, color="k", lw=0.6, ls=":")
    ax[0].legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def _bits_section(cfg: Config) -> Section:
    ks = np.asarray(cfg.bits_ks)
    names = ("grr", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr")
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    overhead = -math.inf
    for j, eps in enumerate((1.0, 4.0)):
        for i, name in enumerate(names):
            bits = [ldp.make(name, int(k), eps).bits for k in ks]
            ax[j].plot(
                ks,
                bits,
                "o-" if name == "pgr" else ".-",
                color=f"C{i}",
                ms=4,
                lw=2 if name == "pgr" else 1,
                label=LABELS[name],
            )
        ax[j].plot(ks, np.ceil(np.log2(ks)), "k:", label="⌈log₂ k⌉")
        ax[j].set(xscale="log", yscale="log", xlabel="k (items)", title=f"ε = {eps:g}")
    ax[0].set_ylabel("bits per report")
    ax[0].legend(fontsize=8, ncol=2)
    fig.tight_layout()
    for eps in cfg.variance_epsilons:
        for k in ks:
            o = ldp.PGR(int(k), eps)
            overhead = max(overhead, o.bits - math.ceil(math.log2(k)) - math.ceil(math.log2(o.q)))
    pgr_ref = [ldp.PGR(1024, e, q=authors_q(e)).bits for e in (1.0, 4.0)]
    ratio = ldp.SS(1024, 1.0).bits / ldp.PGR(1024, 1.0).bits
    claims = [
        Claim.equal(
            "PGR sends ⌈log₂ K⌉ bits: 12 at k = 1024 with the authors' q, at ε = 1 "
            "(q = 5) and ε = 4 (q = 59) (bits measured, ε = 1 / ε = 4)",
            f"{pgr_ref[0]} / {pgr_ref[1]}",
            "12 / 12",
            source=f"{PGR_PAPER}, abstract (log-size private-coin reports)",
        ),
        Claim.at_most(
            "With K < q·k, PGR's message exceeds ⌈log₂ k⌉ by at most ⌈log₂ q⌉ bits "
            "(largest excess beyond that bound over the k and ε swept; q = 'auto')",
            overhead,
            0,
            source="this library's measurement (K < q k bounds ⌈log₂ K⌉ by ⌈log₂ k⌉ + ⌈log₂ q⌉)",
        ),
        Claim.at_least(
            "Subset Selection needs far more communication: at k = 1024, ε = 1 it "
            "sends ~856 bits against PGR's 11 (ratio of bits per report)",
            ratio,
            50,
            source="Ye & Barg 2018 (a report is a d-subset: ⌈log₂ C(k, d)⌉ bits); "
            f"{PGR_PAPER}, abstract",
        ),
    ]
    return Section(
        claims=claims,
        figures={"bits_vs_k": fig},
        captions={
            "bits_vs_k": "PGR (thick line) stays within a few bits of ⌈log₂ k⌉ (dotted) at "
            "every k, while Subset Selection and the unary encodings grow with k."
        },
    )


def _audit_section(cfg: Config) -> Section:
    names = ("grr", "sue", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr")
    jobs: list[tuple[str, int, float, int | None]] = [
        (name, k, eps, None) for name in names for k in cfg.audit_ks for eps in cfg.audit_epsilons
    ]
    for q in (2, 3, 4, 5, 7, 8, 9):  # PGR with t = 3 over primes and prime powers
        jobs += [("pgr", q * q + q + 1, eps, q) for eps in cfg.audit_epsilons]
    broken = [
        ("authors-pgr", 13, 1.0, 3),
        ("authors-pgr", 31, 1.0, 5),
        ("authors-pgr", 21, 2.0, 4),
        ("leaky-grr", 4, 1.0, None),
    ]
    out = parallel.map(audit_case, jobs + broken, label="exact LDP audits")
    good, bad = out[: len(jobs)], out[len(jobs) :]
    summary: dict[str, list[tuple[bool, float, int]]] = {}
    for (name, _, eps, q), (ok, measured, _, size) in zip(jobs, good, strict=True):
        key = LABELS[name] + (" (explicit q, t = 3)" if q else "")
        summary.setdefault(key, []).append((ok, measured - eps, size))
    rows = [
        [key, len(v), sum(r[0] for r in v), max(r[1] for r in v), max(r[2] for r in v)]
        for key, v in summary.items()
    ]
    excess_err = 0.0
    for (label, _, eps, q), (ok, measured, _, size) in zip(broken, bad, strict=True):
        rows.append(
            [
                f"negative control: {label}" + (f" (q = {q})" if q else ""),
                1,
                int(ok),
                measured - eps,
                size,
            ]
        )
        if label == "authors-pgr":
            t = 3
            exact = math.log((q**t - 1) / (q ** (t - 1) * (q - 1)))
            excess_err = max(excess_err, abs((measured - eps) / exact - 1))
    table = Table(
        "Exact ε-LDP audit (max over outputs y and inputs x, x' of "
        "ln P(y|x)/P(y|x'), from the enumerated output distribution)",
        [
            "randomiser",
            "configurations",
            "passed",
            "max (measured ε − stated ε)",
            "largest output space",
        ],
        rows,
    )
    n_ok = sum(o[0] for o in good)
    claims = [
        Claim.equal(
            f"Every randomiser is exactly ε-LDP as implemented: the exact audit passes "
            f"for all {len(jobs)} configurations (k ∈ {list(cfg.audit_ks)}, ε ∈ "
            f"{list(cfg.audit_epsilons)}, all nine oracles; PGR over GF(2..9), t = 3)",
            n_ok,
            len(jobs),
            source="this library's measurement (exact enumeration of each sampler's output law; "
            "rational probabilities, cf. Mironov 2012)",
        ),
        Claim.equal(
            "The audit catches broken randomisers: the authors' C++ PGR sampler and a "
            "GRR that may report the true item as 'other' fail it (controls caught)",
            sum(not o[0] for o in bad),
            len(bad),
            source="Arcolezi & Gambs 2023 (LDP auditing, arXiv:2309.01597); the PGR sampler of "
            f"the code of {PGR_PAPER}",
        ),
        Claim.at_most(
            "The authors' sampler exceeds ε by exactly ln((q^t − 1)/(q^{t−1}(q − 1))) "
            "(largest relative deviation of the audited excess from that closed form)",
            excess_err,
            1e-9,
            source="this library's derivation and measurement of the sampler in the code of "
            f"{PGR_PAPER}",
        ),
    ]
    return Section(claims=claims, tables=[table])


def _server_section(cfg: Config) -> Section:
    rng = as_generator(cfg.seed)
    hyperplane_counts(np.ones(21, dtype=np.int64), 4, 3)  # warm up (numba cache / JIT)
    rows, mismatches, speedup = [], 0, math.nan
    for q, t in SERVER_CASES:
        K = (q**t - 1) // (q - 1)
        y = rng.integers(0, 50, K)
        dp = hyperplane_counts(y, q, t, method="dp")
        t_dp = _time(
            lambda y=y, q=q, t=t: hyperplane_counts(y, q, t, method="dp"), cfg.timing_repeats
        )
        t_dense, t_fft = math.nan, math.nan
        if K <= DENSE_MAX_K:
            mismatches += int(np.any(hyperplane_counts(y, q, t, method="dense") != dp))
            t_dense = _time(lambda y=y, q=q, t=t: hyperplane_counts(y, q, t, method="dense"), 1)
            if (q, t) == (53, 3):
                speedup = t_dense / t_dp
        if is_prime(q):
            mismatches += int(np.any(hyperplane_counts(y, q, t, method="fft") != dp))
            t_fft = _time(
                lambda y=y, q=q, t=t: hyperplane_counts(y, q, t, method="fft"), cfg.timing_repeats
            )
        rows.append([q, t, K, t_dp, t_dense, t_fft])
    seen, pts = set(), []
    for eps in cfg.server_epsilons:
        for k in cfg.server_ks:
            o = ldp.PGR(k, eps)
            if (o.q, o.t) in seen:
                continue
            seen.add((o.q, o.t))
            y = rng.integers(0, 5, o.K)
            sec = _time(
                lambda y=y, o=o: hyperplane_counts(y, o.q, o.t, method="dp"), cfg.timing_repeats
            )
            pts.append((k, eps, o.q, o.t, o.K, o.K * o.q * o.t, sec))
    work = np.array([p[5] for p in pts], dtype=np.float64)
    secs = np.array([p[6] for p in pts])
    fit = work >= 1e5  # below, fixed per-call overhead dominates
    slope, icpt = np.polyfit(np.log(work[fit]), np.log(secs[fit]), 1)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.loglog(work, secs, "o", label="PGR dynamic programme (q = 'auto')")
    xs = np.geomspace(work[fit].min(), work.max(), 20)
    ax.loglog(xs, np.exp(icpt) * xs**slope, "k--", lw=1, label=f"fit: slope {slope:.2f}")
    dense = [(r[2] ** 2, r[4]) for r in rows if not math.isnan(r[4])]
    ax.loglog(
        [d[0] for d in dense],
        [d[1] for d in dense],
        "s",
        color="C3",
        label="dense incidence product (x-axis: K²)",
    )
    ax.set(
        xlabel="work K·q·t (K² for dense)",
        ylabel="server seconds (best of runs)",
        title="PGR server time",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    table = Table(
        "PGR server: dynamic programme vs dense and FFT (seconds; '–' = not run)",
        ["q", "t", "K", "DP s", "dense s", "FFT s"],
        [[*r[:3], *(x if not math.isnan(x) else "–" for x in r[3:])] for r in rows],
    )
    scaling = Table(
        "PGR server time vs k (q = 'auto')",
        ["k", "ε", "q", "t", "K", "K·q·t", "DP s"],
        [list(p) for p in pts],
    )
    claims = [
        Claim.equal(
            "The O(K q t) dynamic programme gives exactly the hyperplane counts of the "
            "dense incidence product and, for prime q, of the FFT (mismatching cases "
            f"over {len(SERVER_CASES)} (q, t), prime powers included)",
            mismatches,
            0,
            source=f"{PGR_PAPER}, abstract (fast server); this library's measurement",
        ),
        Claim.at_least(
            "The dynamic-programme server is much faster than the brute-force "
            "decode (speed-up over the dense product at q = 53, t = 3, K = 2863)",
            speedup,
            10,
            source=f"{PGR_PAPER}, abstract (fast server reconstruction)",
        ),
        Claim.within(
            "Server time grows like K·q·t (log-log slope of DP time against K·q·t, fit over k)",
            float(slope),
            0.7,
            1.3,
            source=f"{PGR_PAPER}, abstract: O(n + k exp(ε) log k) server time",
        ),
    ]
    return Section(
        claims=claims,
        tables=[table, scaling],
        figures={"server_time": fig},
        captions={
            "server_time": "The dynamic programme's time follows the fitted K·q·t line, far "
            "below the dense incidence product drawn against K²."
        },
    )


class ProjectiveGeometry(Study):
    """PGR against the oracle zoo: variance, accuracy, communication, privacy audits and
    server cost (Feldman, Nelson, Nguyen, Talwar 2022; see the module docstring)."""

    name = "ldp-projective-geometry"
    title = "Locally private frequency estimation: Projective Geometry Response vs the oracle zoo"
    citation = (
        "Feldman, Nelson, Nguyen, Talwar, 'Private Frequency Estimation via Projective "
        "Geometry', ICML 2022 (arXiv:2203.00194)"
    )
    summary = (
        "All oracles come from theorylab.ldp: exact integer/rational samplers, "
        "vectorised clients, exact analytic variances. PGR's field size is chosen "
        "over primes and prime powers (q='auto'); the authors' prime-only q is shown "
        "for comparison. The negative controls (theorylab.ldp.controls) reproduce the output "
        "distribution of the authors' C++ PGR sampler and a GRR with the SS fill bug. Server "
        "timings are wall-clock, best of several runs, on the machine that ran the study."
    )
    Config = Config

    def sections(self, config: Config) -> Iterator[Section]:
        """Variance factors, the Zipf sweep, communication, audits, server (report order)."""
        yield _variance_section(config)
        yield _sweep_section(config)
        yield _bits_section(config)
        yield _audit_section(config)
        yield _server_section(config)
