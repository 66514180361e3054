"""The privacy audit: passes for the library's samplers, catches broken randomisers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import theorylab.ldp as L
from theorylab.ldp.sampling import RandomSource, exp_decimal, ratio_within, threshold


class AuthorsPGR(L.PGR):
    """The sampler of the authors' C++ (reference §3.4): it rejects an all-zero draw before
    overwriting u_L, so off-hyperplane draws with O = 0 get weight (q-1)/q."""

    def _randomness_table(self):  # type: ignore[override]
        R, c, w = super()._randomness_table()
        off = c != 0
        w = w.copy()
        w[off & (R == 0)] *= (self.q - 1) / self.q
        w[off] *= (1 - self.p1) / w[off].sum()
        return R, c, w

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        R, c, w = self._randomness_table()
        pick = src.generator.choice(R.size, size=items.size, p=w / w.sum())
        return self._map(items, R[pick], c[pick])


class LeakyGRR(L.GRR):
    """GRR whose 'other' item may be the true one (the fill bug of the authors' SS)."""

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        keep = src.bernoulli(self._keep, items.size)
        return np.where(keep, items, src.integers(self.k, items.size))

    def _probabilities(self, item: int) -> np.ndarray:
        p1 = float(self._p1)
        out = np.full(self.k, (1 - p1) / self.k)
        out[item] += p1
        return out


class UnderstatedOUE(L.OUE):
    """Declares OUE's distribution but keeps the true bit with probability 0.8."""

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        self._m1 = threshold(0.8, direction="down")
        try:
            return super()._privatize(items, src)
        finally:
            self._m1 = 1 << 52


@pytest.mark.parametrize(("q", "t", "expected_ratio"), [(3, 3, 3.926), (5, 3, 3.371)])
def test_audit_catches_authors_pgr_sampler(q: int, t: int, expected_ratio: float) -> None:
    eps = 1.0
    k = (q**t - 1) // (q - 1)
    broken = AuthorsPGR(k, eps, q=q)
    res = L.audit(broken)
    assert not res.passed
    exact = math.e * (q**t - 1) / (q ** (t - 1) * (q - 1))  # reference §3.4 closed form
    assert res.details["max_ratio"] == pytest.approx(exact, rel=1e-9)
    assert res.details["max_ratio"] == pytest.approx(expected_ratio, abs=1e-3)
    # ... and from samples alone
    emp = L.audit(broken, empirical=True, n=200_000, items=[0, 1, 2, 3], rng=0)
    assert not emp.passed and emp.measured_epsilon > eps
    # the library's own sampler passes both
    good = L.PGR(k, eps, q=q)
    assert L.audit(good).passed
    assert L.audit(good, empirical=True, n=200_000, items=[0, 1, 2, 3], rng=0).passed


def test_audit_catches_leaky_grr() -> None:
    broken = LeakyGRR(4, 1.0)
    res = L.audit(broken)
    assert not res.passed and res.measured_epsilon > 1.2
    assert not L.audit(broken, empirical=True, n=50_000, rng=1).passed


def test_empirical_audit_catches_sampler_that_lies() -> None:
    broken = UnderstatedOUE(4, 1.0)
    assert L.audit(broken).passed  # the declared distribution is fine ...
    emp = L.audit(broken, empirical=True, n=50_000, rng=2)
    assert not emp.passed  # ... but the samples are not
    assert emp.details["fit_pvalue"] < 1e-12
    assert emp.measured_epsilon > 1.0  # and they exceed e^eps significantly


@pytest.mark.parametrize(
    ("name", "opts"),
    [
        ("grr", {}),
        ("oue", {}),
        ("olh", {}),
        ("ss", {}),
        ("hr", {}),
        ("rhr", {}),
        ("pgr", {"q": 4}),
        ("hpgr", {"q_prime": 3}),
    ],
)
def test_empirical_audit_passes_correct_samplers(name: str, opts: dict) -> None:
    o = L.make(name, 6, 1.5, **opts)
    res = L.audit(o, empirical=True, n=40_000, rng=3)
    assert res.passed, str(res)
    assert res.details["fit_pvalue"] > 1e-6
    assert "PASS" in str(res)


def test_audit_input_checks() -> None:
    with pytest.raises(TypeError):
        L.audit("grr")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        L.audit(L.GRR(4, 1.0), empirical=True, n=10)


def test_threshold_rounding_is_private() -> None:
    """The realised probabilities are exact rationals whose ratio is <= e^eps."""
    for eps in (0.1, 1.0, math.log(4), 5.0, 9.0):
        for o in (L.GRR(10**7, eps), L.PGR(1000, eps), L.SS(500, eps), L.OUE(100, eps)):
            assert ratio_within(o.worst_ratio, eps)
            # the loss is the 2^-53 grid relative to the smallest branch probability
            # (GRR at k = 10^7: keep probability ~1e-7, so ~1e-9 of epsilon is given up)
            assert 0 <= eps - o.achieved_epsilon < 1e-8
    assert float(exp_decimal(1.0)) == math.e
    from fractions import Fraction

    # the float e is below the true e: accepted; one grid step above it: refused
    assert ratio_within(Fraction(math.e), 1.0)
    assert not ratio_within(Fraction(math.e) * (1 + Fraction(1, 10**12)), 1.0)
