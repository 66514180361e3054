"""Every oracle: exact unbiasedness and variance by enumeration, Monte Carlo checks, exact
privacy audit, closed-form variance values, aggregation and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import theorylab.ldp as L
from theorylab.ldp.base import Oracle

SMALL = [
    ("grr", 5, 1.0, {}),
    ("grr", 7, 3.0, {}),
    ("sue", 5, 1.0, {}),
    ("oue", 6, 2.0, {}),
    ("olh", 6, 1.0, {}),
    ("olh", 7, 2.0, {"g": 7}),
    ("olh", 9, 2.0, {"g": 9}),
    ("hr", 10, 1.0, {}),
    ("hr", 13, 2.5, {}),
    ("hr", 5, 0.4, {}),
    ("rhr", 10, 1.0, {}),
    ("rhr", 13, 2.5, {}),
    ("ss", 7, 1.0, {}),
    ("ss", 8, 0.5, {"d": 3}),
    ("pgr", 10, 1.0, {}),
    ("pgr", 20, 2.0, {"q": 4}),
    ("pgr", 13, 1.0, {"q": 3}),
    ("pgr", 30, 3.0, {"q": 8}),
    ("hpgr", 10, 1.0, {"q_prime": 3}),
    ("hpgr", 20, 2.0, {"q_prime": 4}),
]
IDS = [f"{n}-k{k}-e{e}-{o}" for n, k, e, o in SMALL]


def reports_from_ids(o: Oracle, ids: np.ndarray) -> np.ndarray:
    """Inverse of ``o.report_ids`` (for enumeration)."""
    ids = np.asarray(ids, dtype=np.int64)
    if isinstance(o, (L.SUE, L.OUE)):
        bits = ((ids[:, None] >> np.arange(o.k)[None, :]) & 1).astype(np.uint8)
        return np.packbits(bits, axis=1, bitorder="little")
    if isinstance(o, L.OLH):
        return np.stack([ids // o.g, ids % o.g], axis=1)
    if isinstance(o, L.SS):
        out = np.empty((ids.size, o.d), dtype=np.int64)
        for row, rank in enumerate(ids.tolist()):
            for i in range(o.d, 0, -1):
                v = i - 1
                while math.comb(v + 1, i) <= rank:
                    v += 1
                out[row, i - 1] = v
                rank -= math.comb(v, i)
        return out
    return ids


def per_report_estimates(o: Oracle) -> np.ndarray:
    """``est[y]`` = the count estimate produced by the single report ``y``: ``(Y, k)``."""
    reps = reports_from_ids(o, np.arange(o.output_size))
    assert np.array_equal(o.report_ids(reps), np.arange(o.output_size))
    return np.array(
        [o._estimate_counts(o._statistic(reps[y : y + 1]), 1) for y in range(o.output_size)]
    )


@pytest.mark.parametrize(("name", "k", "eps", "opts"), SMALL, ids=IDS)
def test_exact_unbiased_and_variance(name: str, k: int, eps: float, opts: dict) -> None:
    o = L.make(name, k, eps, **opts)
    P = np.array([o.probabilities(x) for x in range(k)])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    E = per_report_estimates(o)
    mean = P @ E  # mean[x, v] = E[c_v | one user holding x]
    np.testing.assert_allclose(mean, np.eye(k), atol=1e-9)
    var = P @ E**2 - mean**2
    f = np.random.default_rng(k).dirichlet(np.ones(k))
    np.testing.assert_allclose(f @ var, o.variance(1, f), rtol=1e-9)
    n = 1000
    np.testing.assert_allclose(n * (f @ var) / n**2, o.variance(n, f), rtol=1e-9)


@pytest.mark.parametrize(("name", "k", "eps", "opts"), SMALL, ids=IDS)
def test_exact_audit_passes(name: str, k: int, eps: float, opts: dict) -> None:
    o = L.make(name, k, eps, **opts)
    res = L.audit(o)
    assert res.passed, str(res)
    assert abs(res.measured_epsilon - eps) < 1e-9  # tight: the ratio e^eps is attained
    assert o.achieved_epsilon <= eps
    assert eps - o.achieved_epsilon < 1e-12


@pytest.mark.parametrize("name", ["grr", "sue", "oue", "olh", "hr", "rhr", "ss", "pgr", "hpgr"])
@pytest.mark.parametrize("eps", [1.0, 4.0])
def test_monte_carlo_unbiased_and_mse(name: str, eps: float) -> None:
    k, n, reps = 32, 4000, 150
    rng = np.random.default_rng(7)
    p = np.arange(1, k + 1) ** -1.1
    p /= p.sum()
    x = rng.choice(k, size=n, p=p)
    f = np.bincount(x, minlength=k) / n
    o = L.make(name, k, eps)
    reports = o.privatize(np.tile(x, reps), seed=11)
    est = np.array([o.estimate(o.aggregate(reports[i * n : (i + 1) * n])) for i in range(reps)])
    var = o.variance(n, f)
    z = (est.mean(axis=0) - f) / np.sqrt(var / reps)
    assert np.max(np.abs(z)) < 4.5
    assert 0.5 < np.mean(z**2) < 1.7
    mse = np.mean((est - f) ** 2)
    assert mse == pytest.approx(var.mean(), rel=0.15)


def test_reference_variance_factors() -> None:
    """Per-user factors V of reference §4 (k = 1024)."""
    k = 1024
    assert L.GRR(k, 1.0).per_user_variance == pytest.approx(347.1, rel=1e-3)
    assert L.SUE(k, 1.0).per_user_variance == pytest.approx(3.918, rel=1e-3)
    assert L.OUE(k, 1.0).per_user_variance == pytest.approx(3.683, rel=1e-3)
    assert L.OUE(k, 4.0).per_user_variance == pytest.approx(0.07602, rel=1e-3)
    assert L.OLH(k, 1.0).per_user_variance == pytest.approx(3.692, rel=1e-3)
    assert L.SS(k, 1.0, d=276).per_user_variance == pytest.approx(3.674, rel=1e-3)
    assert L.SS(k, 4.0, d=19).per_user_variance == pytest.approx(0.07397, rel=1e-3)
    assert L.PGR(k, 1.0, q=5).per_user_variance == pytest.approx(3.819, rel=1e-3)
    assert L.PGR(k, 4.0, q=59).per_user_variance == pytest.approx(0.07547, rel=1e-3)
    assert L.HR(k, 1.0).variance(1)[0] == pytest.approx(3.874, rel=1e-3)
    assert L.RHR(k, 2.0).variance(1)[0] == pytest.approx(0.705, rel=2e-3)
    assert L.HPGR(k, 1.0, q_prime=5).variance(1)[0] == pytest.approx(4.952, rel=1e-3)


@pytest.mark.parametrize(
    ("eps", "q", "K", "V"),
    [(1.0, 4, 1365, 3.685), (2.0, 8, 4681, 0.7239), (4.0, 53, 2863, 0.07533)],
)
def test_pgr_auto_q_reference_table(eps: float, q: int, K: int, V: float) -> None:
    o = L.PGR(1024, eps)
    assert (o.q, o.K) == (q, K)
    assert o.per_user_variance == pytest.approx(V, rel=5e-4)
    assert o.bits == math.ceil(math.log2(K))
    ss = L.SS(1024, eps)
    if eps <= 2:  # prime-power q brings PGR within 0.5% of subset selection
        assert o.per_user_variance <= 1.005 * ss.per_user_variance
    # the authors' prime-only rule is worse
    authors = {1.0: 5, 2.0: 11, 4.0: 59}[eps]
    assert o.per_user_variance <= L.PGR(1024, eps, q=authors).per_user_variance


def test_pgr_k_budget_and_bits() -> None:
    o = L.PGR(10**6, 4.0, k_budget=3_000_000)
    assert o.K <= 3_000_000 and o.K >= 10**6
    assert o.per_user_variance < 1.1 * L.OUE(10**6, 4.0).per_user_variance
    with pytest.raises(ValueError, match="k_budget"):
        L.PGR(1000, 1.0, k_budget=999)


def test_spike_workload_reference_mse() -> None:
    """Reference §5.3 spike8: k = 22000, n = 10,000 on item 0, eps = ln 4 (count MSE)."""
    k, n = 22000, 10_000
    f = np.zeros(k)
    f[0] = 1.0
    eps = math.log(4)

    def count_mse(o: Oracle) -> float:
        return float(np.mean(o.variance(n, f)) * n**2)

    assert count_mse(L.SS(k, eps, d=math.ceil(k / 5))) == pytest.approx(17784, rel=2e-3)
    assert count_mse(L.PGR(k, eps, q=5)) == pytest.approx(17786, rel=2e-3)
    assert count_mse(L.HR(k, eps)) == pytest.approx(32945, rel=2e-3)
    assert count_mse(L.RHR(k, eps)) == pytest.approx(32946, rel=2e-3)


def test_pgr_gf4_monte_carlo_reference() -> None:
    """Reference L7: GF(4)-PGR at k=1024, eps=1, n=100k Zipf(1.1): MSE ~ 3.686e-5."""
    k, n = 1024, 100_000
    rng = np.random.default_rng(12345)
    p = np.arange(1, k + 1) ** -1.1
    p /= p.sum()
    x = rng.choice(k, size=n, p=p)
    f = np.bincount(x, minlength=k) / n
    o = L.PGR(k, 1.0, q=4)
    assert o.variance(n, f).mean() == pytest.approx(3.686e-5, rel=2e-3)
    mses = [np.mean((o.estimate(o.aggregate(o.privatize(x, seed=s))) - f) ** 2) for s in range(6)]
    assert np.mean(mses) == pytest.approx(3.686e-5, rel=0.1)


def test_bits() -> None:
    assert L.GRR(1024, 1.0).bits == 10
    assert L.OUE(1024, 1.0).bits == 1024
    assert L.HR(1024, 1.0).bits == 11 and L.RHR(1024, 4.0).bits == 11
    assert L.PGR(1024, 1.0, q=5).bits == 12
    assert L.SS(1024, 4.0, d=19).bits == 134
    assert L.SS(1024, 1.0, d=276).bits == 856
    assert L.PGR(10**6, 4.0).bits == math.ceil(math.log2(L.PGR(10**6, 4.0).K))


# --------------------------------------------------------------------- aggregation


@pytest.mark.parametrize("name", ["grr", "oue", "olh", "ss", "pgr", "hpgr", "hr", "rhr"])
def test_merge_equals_whole(name: str) -> None:
    o = L.make(name, 50, 2.0)
    x = np.random.default_rng(0).integers(0, 50, 3000)
    r = o.privatize(x, seed=3)
    whole = o.aggregate(r)
    parts = o.aggregate(r[:1000]) + o.aggregate(r[1000:2500]) + o.aggregate(r[2500:])
    assert parts.n == whole.n == 3000
    assert np.array_equal(parts.counts, whole.counts)
    assert np.array_equal(sum([o.aggregate(r[:10]), o.aggregate(r[10:])]).counts, whole.counts)
    np.testing.assert_allclose(o.estimate(parts), o.estimate(whole))


def test_aggregate_refuses_other_configurations() -> None:
    a = L.PGR(100, 1.0).aggregate(np.array([0, 1, 2]))
    b = L.PGR(100, 2.0).aggregate(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="different oracle configurations"):
        _ = a + b
    with pytest.raises(ValueError, match="built by"):
        L.PGR(100, 2.0).estimate(a)
    with pytest.raises(ValueError, match="built by"):
        L.PGR(100, 1.0, q=5).estimate(a)
    with pytest.raises(TypeError):
        L.PGR(100, 1.0).estimate(np.zeros(100))


def test_bad_chunk_leaves_running_aggregate_intact() -> None:
    o = L.GRR(10, 1.0)
    run = o.aggregate(np.array([1, 2, 3]))
    before = run.counts.copy()
    with pytest.raises(ValueError, match=r"range|lie in"):
        run = run + o.aggregate(np.array([1, 2, 99]))
    assert run.n == 3 and np.array_equal(run.counts, before)
    with pytest.raises(ValueError):
        run.counts[0] = 5  # immutable


def test_dask_aggregate_equals_numpy() -> None:
    da = pytest.importorskip("dask.array")
    import dask

    for o in (L.PGR(300, 2.0), L.OUE(40, 1.0), L.SS(40, 1.0)):
        r = o.privatize(np.random.default_rng(1).integers(0, o.k, 5000), seed=2)
        chunks = (700, *r.shape[1:])
        with dask.config.set(scheduler="synchronous"):
            agg = o.aggregate(da.from_array(r, chunks=chunks))
        assert agg.n == 5000
        assert np.array_equal(agg.counts, o.aggregate(r).counts)
    bad = da.from_array(np.array([0, 1, 10**6]), chunks=2)
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError):
        L.PGR(300, 2.0).aggregate(bad)


def test_normalize_options() -> None:
    o = L.GRR(20, 0.5)
    x = np.random.default_rng(0).integers(0, 3, 500)
    agg = o.aggregate(o.privatize(x, seed=0))
    raw = o.estimate(agg)
    assert raw.min() < 0  # raw estimates go negative at small eps
    clip = o.estimate(agg, normalize="clip")
    proj = o.estimate(agg, normalize="project")
    for v in (clip, proj):
        assert v.min() >= 0 and v.sum() == pytest.approx(1.0)
    # projection is the closest point of the simplex: no other simplex point is closer
    assert np.sum((proj - raw) ** 2) <= np.sum((clip - raw) ** 2) + 1e-12
    with pytest.raises(ValueError, match="normalize"):
        o.estimate(agg, normalize="softmax")


# --------------------------------------------------------------------- randomness & input


def test_seeds_reproducible_and_secure() -> None:
    o = L.PGR(1000, 2.0)
    x = np.arange(1000)
    assert np.array_equal(o.privatize(x, seed=5), o.privatize(x, seed=5))
    assert not np.array_equal(o.privatize(x, seed=5), o.privatize(x, seed=6))
    g = np.random.default_rng(5)
    assert np.array_equal(o.privatize(x, seed=g), o.privatize(x, seed=5))
    for name in L.ORACLES:
        oo = L.make(name, 40, 1.0)
        r = oo.privatize(np.arange(40), seed="secure")
        oo.aggregate(r)
    with pytest.raises(ValueError, match="secure"):
        o.privatize(x, seed="insecure")
    with pytest.raises(TypeError):
        o.privatize(x, seed=1.5)


@pytest.mark.parametrize("name", sorted(set(L.ORACLES) - {"rappor"}))
def test_deprecated_rng_keyword_gives_identical_reports(name: str) -> None:
    o = L.make(name, 40, 1.0)
    x = np.arange(40) % 7
    with pytest.warns(DeprecationWarning, match="rng= is deprecated, use seed="):
        old = o.privatize(x, rng=9)
    assert np.array_equal(old, o.privatize(x, seed=9))
    with pytest.raises(TypeError, match="both"):
        o.privatize(x, seed=1, rng=1)


def test_seed_accepts_torch_generator_and_random_source() -> None:
    torch = pytest.importorskip("torch")
    from theorylab.ldp.sampling import RandomSource, as_source

    o = L.PGR(100, 2.0)
    x = np.arange(100)
    a = o.privatize(x, seed=torch.Generator().manual_seed(3))
    b = o.privatize(x, seed=torch.Generator().manual_seed(3))
    assert np.array_equal(a, b)
    src = RandomSource(seed=4)
    assert as_source(src) is src
    assert np.array_equal(o.privatize(x, seed=src), o.privatize(x, seed=4))
    with pytest.warns(DeprecationWarning):
        old = RandomSource(rng=4)
    assert np.array_equal(old.integers(10, 5), RandomSource(4).integers(10, 5))


def test_aggregate_is_a_frozen_result_with_to_dict() -> None:
    import dataclasses
    import json
    import pickle

    from theorylab._core.results import Result
    from theorylab.ldp import aggregate as agg_module
    from theorylab.ldp import base

    assert base.Aggregate is L.Aggregate is agg_module.Aggregate  # re-exported where it was
    o = L.GRR(5, 1.0)
    a = o.aggregate(np.array([0, 1, 1, 4]))
    assert isinstance(a, Result) and not hasattr(a, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.n = 3  # type: ignore[misc]
    d = json.loads(json.dumps(a.to_dict()))
    assert d["n"] == 4 and d["counts"] == [1, 2, 0, 0, 1] and d["config"][0] == "GRR"
    b = pickle.loads(pickle.dumps(a))
    assert b.config == a.config and np.array_equal(b.counts, a.counts)
    assert not b.counts.flags.writeable
    assert sum([a, b]).n == 8 and repr(a) == "Aggregate(GRR(k=5, epsilon=1.0), n=4)"


def test_aggregation_dispatch_is_a_registry() -> None:
    from theorylab.ldp.aggregate import aggregate_reports

    class Shards(list):
        """Reports held as a list of numpy shards (a user-registered container)."""

    @aggregate_reports.register(Shards)
    def _(reports, oracle):  # type: ignore[no-untyped-def]
        return sum(oracle.aggregate(np.asarray(r)) for r in reports)

    o = L.OUE(8, 1.0)
    r = o.privatize(np.arange(40) % 8, seed=1)
    assert np.array_equal(o.aggregate(Shards([r[:15], r[15:]])).counts, o.aggregate(r).counts)


def test_ldp_imports_run_one_way() -> None:
    import ast
    import pathlib
    import subprocess
    import sys

    import theorylab.ldp.base as base

    tree = ast.parse(pathlib.Path(base.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert "theorylab.ldp.dask" not in imported and not any(m.startswith("dask") for m in imported)
    code = "import sys, theorylab.ldp; assert 'dask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_secure_source_is_uniform() -> None:
    from theorylab.ldp.sampling import RandomSource

    src = RandomSource("secure")
    v = src.integers(7, 70000)
    counts = np.bincount(v, minlength=7)
    assert v.min() >= 0 and v.max() < 7
    assert np.all(np.abs(counts - 10000) < 500)
    hv = src.integers(np.array([3, 1000]), (2,))
    assert hv[0] < 3 and hv[1] < 1000
    assert src.bernoulli(0, 10).sum() == 0 and src.bernoulli(1 << 53, 10).sum() == 10


@pytest.mark.parametrize("name", sorted(set(L.ORACLES)))
def test_bad_input(name: str) -> None:
    with pytest.raises(ValueError, match="epsilon"):
        L.make(name, 10, 0.0)
    with pytest.raises(ValueError, match="epsilon"):
        L.make(name, 10, float("inf"))
    with pytest.raises(ValueError, match="epsilon"):
        L.make(name, 10, float("nan"))
    with pytest.raises(ValueError, match="k"):
        L.make(name, 1, 1.0)
    with pytest.raises(TypeError, match="k"):
        L.make(name, 10.0, 1.0)
    o = L.make(name, 10, 1.0)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        o.privatize(np.array([0, 10]))
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        o.privatize(np.array([-1, 3]))
    with pytest.raises(TypeError, match="integers"):
        o.privatize(np.array([0.0, 1.0]))
    with pytest.raises(TypeError):
        o.privatize(np.array([True, False]))
    other = L.make(name, 1000, 1.0)
    r = other.privatize(np.arange(1000) % 1000, seed=0)
    with pytest.raises((ValueError, TypeError)):
        o.aggregate(r)
    with pytest.raises(ValueError, match="n"):
        o.variance(0)
    with pytest.raises(ValueError, match="freqs"):
        o.variance(10, np.ones(3))
    with pytest.raises(ValueError, match="item"):
        o.probabilities(10)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="q must be a prime"):
        L.PGR(100, 1.0, q=6)
    with pytest.raises(ValueError, match="q_prime"):
        L.HPGR(100, 1.0, q_prime=10)
    with pytest.raises(ValueError, match="d"):
        L.SS(10, 1.0, d=10)
    with pytest.raises(ValueError, match="g must be a prime"):
        L.OLH(10, 1.0, g=6)
    with pytest.raises(ValueError, match="name"):
        L.make("nope", 10, 1.0)
    with pytest.raises(ValueError, match="method"):
        L.PGR(10, 1.0, method="magic")
    with pytest.raises(ValueError, match="enumerates"):
        L.PGR(10**7, 1.0).probabilities(0)


@pytest.mark.parametrize("k, eps", [(40, 0.5), (200, 3.0), (3, 1.0)])
def test_ss_numba_and_numpy_samplers_give_identical_reports(
    k: int, eps: float, monkeypatch
) -> None:
    from theorylab.ldp import subset

    oracle = L.make("ss", k, eps)
    x = np.random.default_rng(k).integers(0, k, 3000)
    fast = oracle.privatize(x, seed=11)
    monkeypatch.setattr(subset, "_floyd_nb", None)
    reference = oracle.privatize(x, seed=11)
    assert np.array_equal(fast, reference)
    # each report: d distinct items, the kept user's item first
    s = np.sort(fast, axis=1)
    assert np.all(s[:, 1:] != s[:, :-1]) and fast.min() >= 0 and fast.max() < k


def test_zipf_frequencies() -> None:
    # k = 3, s = 1: (1, 1/2, 1/3) / (11/6)
    assert np.allclose(L.zipf_frequencies(3, 1.0), [6 / 11, 3 / 11, 2 / 11])
    assert np.allclose(L.zipf_frequencies(4, 0.0), 0.25)
    with pytest.raises(ValueError, match="k"):
        L.zipf_frequencies(0, 1.0)
    with pytest.raises(ValueError, match="s"):
        L.zipf_frequencies(3, -1.0)
