"""Waldspurger–Waters-type spurious second-order critical points and the staircase escape."""

import dataclasses
import json

import numpy as np
import pytest

from theorylab.sdp import (
    CriticalityReport,
    certificate,
    hidden_curvature_ratio,
    hrvw,
    is_second_order_critical,
    random_point,
    solve_diag_sdp,
    spurious_instance,
)


@pytest.mark.parametrize(("n", "p", "seed"), [(20, 4, 0), (20, 4, 1), (30, 5, 0), (14, 4, 2)])
def test_spurious_point_is_second_order_critical_and_not_optimal(n, p, seed):
    C, Y = spurious_instance(n, p, seed=seed)
    assert Y.shape == (n, p) and np.linalg.matrix_rank(Y) == p  # full rank
    rep = is_second_order_critical(C, Y)
    assert rep.critical and rep.grad_norm < 1e-12
    assert rep.second_order and rep.hess_min > 0  # strict modulo rotations
    assert rep.hess_zero_count == rep.orbit_dim == p * (p - 1) // 2
    cert = certificate(C, Y, seed=0)
    assert cert.lambda_interval[1] < 0  # negative certificate
    assert cert.lambda_min == pytest.approx(rep.lambda_min_S, rel=1e-8)
    # not optimal: an independent interior-point method finds a lower value
    ipm = hrvw(C, tol=1e-11)
    assert ipm.value < cert.value - 1e-4


def test_one_staircase_step_escapes_to_the_optimum():
    C, Y = spurious_instance(20, 4, seed=0)
    cert = certificate(C, Y, seed=0)
    U = cert.escape_direction(Y)
    Y1 = np.hstack([Y, np.zeros((20, 1))]) + 0.1 * U
    res = solve_diag_sdp(C, rank=5, Y0=Y1, tol=1e-8, seed=0)
    ipm = hrvw(C, tol=1e-11)
    assert res.certified and res.rank == 5
    assert res.value == pytest.approx(ipm.value, rel=1e-6)
    assert res.value < cert.value - 1e-4


def test_local_stability_at_rank_p():
    # from a small perturbation at rank p, descent returns to the spurious value
    C, Y = spurious_instance(20, 4, seed=0)
    noise = 1e-3 * np.random.default_rng(0).standard_normal(Y.shape)
    res = solve_diag_sdp(C, rank=4, Y0=Y + noise, method="rtr", tol=1e-8, seed=0)
    assert not res.certified
    assert res.value == pytest.approx(0.0, abs=1e-8)  # f(V) = 0


def test_non_critical_point_is_reported():
    C, _ = spurious_instance(20, 4, seed=0)
    rep = is_second_order_critical(C, random_point(20, 4, 3))
    assert not rep.critical and rep.grad_norm > 1e-3


def test_optimum_of_random_cost_is_second_order_critical():
    G = np.random.default_rng(0).standard_normal((15, 15))
    C = G + G.T
    res = solve_diag_sdp(C, rank=6, tol=1e-12, seed=0)
    rep = is_second_order_critical(C, res.Y, grad_tol=1e-6)
    assert rep.ok and rep.lambda_min_S > -1e-8
    assert isinstance(rep, CriticalityReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.critical = False
    d = rep.to_dict()
    json.dumps(d)
    assert d["critical"] is True and d["orbit_dim"] == 15


def test_hidden_curvature_ratio_against_the_dimension_count():
    # rho < 1 exactly when p(p+1)/2 + p <= n (p = 3: the count is 9)
    rng = np.random.default_rng(0)
    for n, hidden in ((8, False), (9, True), (12, True)):
        V = random_point(n, 3, rng)
        Q = np.linalg.qr(V)[0]
        z = rng.standard_normal(n)
        z -= Q @ (Q.T @ z)
        rho = hidden_curvature_ratio(V, z / np.linalg.norm(z))
        assert (rho < 1 - 1e-9) == hidden and rho <= 1 + 1e-9
    with pytest.raises(ValueError, match="z must have n = 9"):
        hidden_curvature_ratio(random_point(9, 3, 0), np.ones(8))
    with pytest.raises(ValueError, match="p >= 2"):
        hidden_curvature_ratio(random_point(9, 1, 0), np.ones(9))


@pytest.mark.parametrize(("n", "p"), [(13, 4), (8, 3), (19, 5)])
def test_outside_ww_regime_raises(n, p):
    with pytest.raises(ValueError, match="Waldspurger"):
        spurious_instance(n, p)


def test_bad_arguments():
    with pytest.raises(ValueError, match="p"):
        spurious_instance(20, 1)
    with pytest.raises(TypeError, match="n"):
        spurious_instance(20.0, 3)
    with pytest.raises(ValueError, match="tau"):
        spurious_instance(20, 4, tau=0.5, seed=0)
    with pytest.raises(TypeError, match="tau"):
        spurious_instance(20, 4, tau="2", seed=0)
    with pytest.raises(ValueError, match="Y must have n = 20"):
        is_second_order_critical(spurious_instance(20, 4, seed=0)[0], np.ones((19, 4)))
