"""Certificates against dense eigendecompositions, derivatives against finite differences."""

import dataclasses
import json

import numpy as np
import pytest
import scipy.sparse as sp

from theorylab.sdp import (
    Certificate,
    certificate,
    cost_value,
    erdos_renyi,
    hrvw,
    random_point,
    riemannian_gradient,
    riemannian_hessian,
    toroidal_grid,
)
from theorylab.sdp.problem import project, retract


def random_sym(n, seed):
    G = np.random.default_rng(seed).standard_normal((n, n))
    return G + G.T


def dense_slack(C, Y):
    C = C.toarray() if sp.issparse(C) else C
    lam = np.einsum("ij,ij->i", C @ Y, Y)
    return C - np.diag(lam), lam


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lambda_bracket_contains_true_eigenvalue(sparse, seed):
    C = random_sym(50, seed) if not sparse else erdos_renyi(300, 6, seed=seed)
    Y = random_point(C.shape[0], 3, seed)
    cert = certificate(C, Y, seed=0)
    S, lam = dense_slack(C, Y)
    true = np.linalg.eigvalsh(S)[0]
    lo, hi = cert.lambda_interval
    assert cert.rigorous
    assert lo <= true <= hi + 1e-12 * abs(true)
    assert hi - lo <= 1e-6 * abs(true)  # a tight bracket
    np.testing.assert_allclose(cert.value, lam.sum(), rtol=1e-12)
    # the bound f + n * lambda_min, computed from the dense eigenvalue
    np.testing.assert_allclose(cert.bound, lam.sum() + C.shape[0] * true, rtol=1e-6)
    assert sp.issparse(cert.S) == sparse


@pytest.mark.parametrize("seed", [0, 1])
def test_negative_slack_within_budget_is_certified(seed):
    # lambda_min(S) < 0 but n |lambda_min| is well inside target_gap: the second (wider)
    # shift certifies it; the bracket must still contain the dense eigenvalue
    C = erdos_renyi(300, 6, seed=seed)
    Y = random_point(300, 3, seed)
    S, _ = dense_slack(C, Y)
    true = np.linalg.eigvalsh(S)[0]
    assert true < 0
    target = -10.0 * 300 * true / 3.0  # first shift -target/(10 n) = true/3 fails
    cert = certificate(C, Y, target_gap=target, seed=0)
    lo, hi = cert.lambda_interval
    assert cert.rigorous
    assert lo <= true <= hi + 1e-12 * abs(true)
    assert hi - lo <= 0.05 * abs(true)  # tightened towards the estimate
    assert cert.gap <= target
    np.testing.assert_allclose(cert.gap, -300 * lo, rtol=1e-6)


def test_escape_direction_has_curvature_2_lambda():
    C = random_sym(30, 5)
    Y = random_point(30, 2, 1)
    cert = certificate(C, Y, seed=0)
    U = cert.escape_direction(Y)
    Y0 = np.hstack([Y, np.zeros((30, 1))])
    assert np.abs(np.einsum("ij,ij->i", U, Y0)).max() == 0  # tangent at [Y, 0]
    S, _ = dense_slack(C, Y)
    u = cert.escape
    assert np.isclose(u @ S @ u, cert.lambda_min, rtol=1e-10)
    # f(R([Y,0] + a U)) - f([Y,0]) = a^2 lambda_min + O(a^3): the curvature of the escape
    for a in (1e-2, 3e-3):
        diff = cost_value(C, retract(Y0, a * U)) - cost_value(C, Y0)
        assert diff == pytest.approx(a * a * cert.lambda_min, rel=0.05)


def test_bound_below_independent_ipm_value():
    C = random_sym(40, 7)
    ipm = hrvw(C, tol=1e-10)
    for p in (1, 2, 5):
        cert = certificate(C, random_point(40, p, p), seed=0)
        assert cert.bound <= ipm.value + 1e-9 * abs(ipm.value)
        assert cert.value >= ipm.bound - 1e-9 * abs(ipm.value)


def test_diagonal_shift_invariance():
    C = random_sym(25, 3)
    Y = random_point(25, 4, 0)
    d = np.random.default_rng(1).standard_normal(25)
    c1, c2 = certificate(C, Y, seed=0), certificate(C + np.diag(d), Y, seed=0)
    np.testing.assert_allclose(c1.S, c2.S, atol=1e-12)
    assert c2.value == pytest.approx(c1.value + d.sum(), rel=1e-12)
    assert c1.lambda_min == pytest.approx(c2.lambda_min, rel=1e-9)
    np.testing.assert_allclose(
        riemannian_gradient(C, Y), riemannian_gradient(C + np.diag(d), Y), atol=1e-12
    )


def test_diagonal_slack_is_exact():
    # no off-diagonal entries: S is diagonal and its eigenvalues are known exactly
    cert = certificate(np.diag([1.0, -2.0, 3.0]), random_point(3, 2, 0), seed=0)
    assert cert.lambda_interval[0] == cert.lambda_interval[1]
    assert cert.bound == pytest.approx(2.0) and cert.value == pytest.approx(2.0)


def test_gradient_and_hessian_by_finite_differences():
    rng = np.random.default_rng(0)
    for C in (random_sym(15, 0), toroidal_grid(4, 4, seed=1)):
        n = C.shape[0]
        Y = random_point(n, 3, 2)
        U = project(Y, rng.standard_normal((n, 3)))
        h = 1e-5
        fd = (cost_value(C, retract(Y, h * U)) - cost_value(C, retract(Y, -h * U))) / (2 * h)
        g = riemannian_gradient(C, Y)
        assert np.einsum("ij,ij->", g, U) == pytest.approx(fd, rel=1e-6)
        # Hess[U] = Proj_Y(d/dt grad f(R_Y(tU))) (Riemannian submanifold, Levi-Civita)
        dg = (
            riemannian_gradient(C, retract(Y, h * U)) - riemannian_gradient(C, retract(Y, -h * U))
        ) / (2 * h)
        np.testing.assert_allclose(
            riemannian_hessian(C, Y, U), project(Y, dg), rtol=1e-5, atol=1e-6
        )


def test_certificate_result_and_seeds():
    A = erdos_renyi(200, 6, seed=4)
    Y = random_point(200, 3, 0)
    cert = certificate(A, Y, seed=0)
    assert isinstance(cert, Certificate) and cert.sense == "min"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cert.bound = 0.0
    assert (cert.lower, cert.upper) == (cert.bound, cert.value)
    assert cert.gap == pytest.approx(cert.value - cert.bound) and cert.gap >= 0
    assert cert.rel_gap == pytest.approx(cert.gap / abs(cert.value))
    d = cert.to_dict()
    json.dumps(d)
    assert "S" not in d and d["bound"] == cert.bound and d["rigorous"] is True
    # the seed only draws eigensolver start vectors: every kind gives the same value and a
    # bound equal up to the eigensolver tolerance; a fixed int repeats exactly
    for seed in (3, np.random.default_rng(3), None):
        other = certificate(A, Y, seed=seed)
        assert other.value == cert.value
        assert other.bound == pytest.approx(cert.bound, rel=1e-6)
    np.testing.assert_array_equal(
        certificate(A, Y, seed=7).escape, certificate(A, Y, seed=7).escape
    )
    with pytest.raises(TypeError, match="seed"):
        certificate(A, Y, seed="0")
    with pytest.raises(ValueError, match="target_gap"):
        certificate(A, Y, target_gap=-1.0)


@pytest.mark.parametrize(
    ("C", "Y", "exc", "match"),
    [
        (np.ones((2, 3)), np.ones((2, 1)), ValueError, "C must be a non-empty square"),
        (np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones((2, 1)), ValueError, "symmetric"),
        (np.array([[np.inf, 0.0], [0.0, 0.0]]), np.ones((2, 1)), ValueError, "finite"),
        (np.eye(2), np.ones((3, 1)), ValueError, "Y must have n = 2"),
        (np.eye(2), np.zeros((2, 1)), ValueError, "zero row"),
        (np.eye(2), np.ones(2), ValueError, "Y must have shape"),
        ("abc", np.ones((2, 1)), TypeError, "C must be"),
    ],
)
def test_certificate_bad_input(C, Y, exc, match):
    with pytest.raises(exc, match=match):
        certificate(C, Y)
