"""The privacy audit: passes for the library's samplers, catches broken randomisers."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

import theorylab.ldp as L
from theorylab.ldp.controls import AuthorsPGR, LeakyGRR
from theorylab.ldp.sampling import RandomSource, exp_decimal, ratio_within, threshold


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
    emp = L.audit(broken, empirical=True, n=200_000, items=[0, 1, 2, 3], seed=0)
    assert not emp.passed and emp.measured_epsilon > eps
    assert emp.details["fit_pvalue"] > 1e-6  # the control samples the law it declares
    # the library's own sampler passes both
    good = L.PGR(k, eps, q=q)
    assert L.audit(good).passed
    assert L.audit(good, empirical=True, n=200_000, items=[0, 1, 2, 3], seed=0).passed


def test_audit_catches_leaky_grr() -> None:
    broken = LeakyGRR(4, 1.0)
    res = L.audit(broken)
    assert not res.passed and res.measured_epsilon > 1.2
    emp = L.audit(broken, empirical=True, n=50_000, seed=1)
    assert not emp.passed and emp.details["fit_pvalue"] > 1e-6


def test_empirical_audit_catches_sampler_that_lies() -> None:
    broken = UnderstatedOUE(4, 1.0)
    assert L.audit(broken).passed  # the declared distribution is fine ...
    emp = L.audit(broken, empirical=True, n=50_000, seed=2)
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
    res = L.audit(o, empirical=True, n=40_000, seed=3)
    assert res.passed, str(res)
    assert res.details["fit_pvalue"] > 1e-6
    assert "PASS" in str(res)


# measured epsilon of the exact audit of each negative control, as measured by the study
# before the controls moved into theorylab.ldp.controls (same float64 enumeration)
CONTROL_EPSILONS = [
    (lambda: AuthorsPGR(13, 1.0, q=3), 1.3677247801253176),
    (lambda: AuthorsPGR(31, 1.0, q=5), 1.215111379616945),
    (lambda: AuthorsPGR(21, 2.0, q=4), 2.2719337154836414),
    (lambda: LeakyGRR(4, 1.0), 1.531341393483171),
]


@pytest.mark.parametrize(("build", "measured"), CONTROL_EPSILONS)
def test_controls_fail_with_their_exact_epsilon(build, measured: float) -> None:
    control = build()
    res = L.audit(control)
    assert not res.passed
    assert res.measured_epsilon == pytest.approx(measured, rel=1e-14)
    # the control's exact (rational) privacy loss is what the float audit measures
    assert control.achieved_epsilon == pytest.approx(res.measured_epsilon, rel=1e-12)
    assert control.achieved_epsilon > control.epsilon
    if isinstance(control, AuthorsPGR):  # closed form e^eps (q^t - 1)/(q^{t-1}(q - 1))
        q, t = control.q, control.t
        excess = math.log((q**t - 1) / (q ** (t - 1) * (q - 1)))
        assert res.measured_epsilon - control.epsilon == pytest.approx(excess, rel=1e-9)


def test_controls_are_distinct_oracles() -> None:
    pgr, control = L.PGR(13, 1.0, q=3), AuthorsPGR(13, 1.0, q=3)
    assert repr(control).startswith("AuthorsPGR(") and control.config != pgr.config
    x = np.arange(13)
    with pytest.raises(ValueError, match="different oracle configurations"):
        pgr.aggregate(pgr.privatize(x, seed=0)) + control.aggregate(control.privatize(x, seed=0))


def test_audit_seed_and_deprecated_rng() -> None:
    o = L.make("pgr", 6, 1.5, q=4)
    new = L.audit(o, empirical=True, n=20_000, seed=4)
    with pytest.warns(DeprecationWarning, match="rng= is deprecated"):
        old = L.audit(o, empirical=True, n=20_000, rng=4)
    assert old == new
    with pytest.raises(TypeError, match="both"):
        L.audit(o, empirical=True, seed=1, rng=1)
    assert L.audit(o, empirical=True, n=20_000, seed="secure").passed


def test_audit_result_is_frozen_with_to_dict() -> None:
    res = L.audit(L.GRR(4, 1.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.passed = False  # type: ignore[misc]
    d = json.loads(json.dumps(res.to_dict()))
    assert d["passed"] is True and d["method"] == "exact" and d["oracle"] == repr(L.GRR(4, 1.0))
    assert d["details"]["outputs"] == 4


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
