"""The Burer–Monteiro solver against closed forms, a dense interior-point method, and
itself across methods; staircase; results; seeds; bad input."""

import dataclasses
import json
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from theorylab.sdp import (
    SDPResult,
    erdos_renyi,
    hrvw,
    random_point,
    solve_diag_sdp,
    z2_synchronization,
)
from theorylab.sdp.mixing import HAVE_NUMBA

METHODS = ["rtr", "mixing"] if HAVE_NUMBA else ["rtr"]


def random_sym(n, seed):
    G = np.random.default_rng(seed).standard_normal((n, n))
    return G + G.T


@pytest.mark.parametrize("method", [*METHODS, "auto"])
def test_matches_interior_point(method):
    C = random_sym(40, 11)
    ipm = hrvw(C, tol=1e-11)
    res = solve_diag_sdp(C, method=method, tol=1e-8, seed=0)
    assert res.certified and res.rigorous and ipm.certified
    # both brackets contain SDP*: they must overlap
    assert res.bound <= ipm.value + 1e-9 * abs(ipm.value)
    assert ipm.bound <= res.value + 1e-9 * abs(ipm.value)
    assert (res.lower, res.upper) == (res.bound, res.value)
    assert res.value == pytest.approx(ipm.value, rel=1e-7)
    assert res.gap <= 1e-8 * abs(res.value)
    assert res.rank <= 9  # never past min(p_BVB(40), n) = 9


def test_interior_point_result():
    C = random_sym(15, 2)
    ipm = hrvw(C, tol=1e-10)
    assert ipm.certified and ipm.lower == ipm.bound <= ipm.value == ipm.upper
    assert ipm.gap == pytest.approx(ipm.value - ipm.bound) and ipm.gap <= 1e-9 * abs(ipm.value)
    d = ipm.to_dict()
    json.dumps(d)
    assert "X" not in d and d["iterations"] == ipm.iterations
    np.testing.assert_allclose(np.diag(ipm.X), 1.0)
    short = hrvw(C, max_iter=2)  # stopped by max_iter: a valid but wide bracket
    assert not short.certified and short.bound <= ipm.value + 1e-9 <= short.value + 1e-6


def test_sparse_and_dense_input_agree():
    A = erdos_renyi(150, 8, seed=2)
    r1 = solve_diag_sdp(A, tol=1e-8, seed=0)
    r2 = solve_diag_sdp(A.toarray(), tol=1e-8, seed=0)
    assert r1.certified and r2.certified
    assert r1.value == pytest.approx(r2.value, rel=1e-7)


def test_fixed_rank_and_max_rank():
    C = random_sym(30, 1)
    res = solve_diag_sdp(C, rank=1, tol=1e-8, seed=0)
    assert res.rank == 1 and res.Y.shape == (30, 1)
    assert not res.certified  # a random cost has no rank-1 optimum
    assert res.lambda_min < 0
    res = solve_diag_sdp(C, max_rank=3, tol=1e-10, seed=0)
    assert res.rank <= 3


def test_staircase_escapes_from_low_rank():
    # start at rank 1: the staircase must climb and certify
    C = random_sym(30, 4)
    ipm = hrvw(C, tol=1e-11)
    res = solve_diag_sdp(C, Y0=random_point(30, 1, 0), tol=1e-8, seed=0)
    assert res.ranks[0] == 1 and res.ranks[-1] > 1
    assert res.certified and res.value == pytest.approx(ipm.value, rel=1e-7)


def test_synchronization_recovers_signal():
    from theorylab.sdp import sync_overlap

    A, x = z2_synchronization(300, 4.0, seed=0)
    res = solve_diag_sdp(-A, tol=1e-6, seed=0)
    assert res.certified
    assert sync_overlap(res.Y, x) >= 0.9  # snr 4: far above the threshold 1


def test_seed_reproducible():
    C = random_sym(20, 0)
    a, b = solve_diag_sdp(C, seed=5), solve_diag_sdp(C, seed=5)
    np.testing.assert_array_equal(a.Y, b.Y)
    # a numpy Generator seeded alike gives the same numbers; torch Generators and None work
    c = solve_diag_sdp(C, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.Y, c.Y)
    for seed in (torch.Generator().manual_seed(1), None):
        assert solve_diag_sdp(C, seed=seed).certified
    with pytest.raises(TypeError, match="seed"):
        solve_diag_sdp(C, seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        solve_diag_sdp(C, seed=-1)


def test_result_is_frozen_certified_and_json_ready():
    res = solve_diag_sdp(random_sym(20, 2), tol=1e-8, seed=0)
    assert isinstance(res, SDPResult) and res.sense == "min"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.value = 0.0
    assert res.gap == pytest.approx(res.value - res.bound)
    assert res.rel_gap == pytest.approx(res.gap / abs(res.value))
    assert isinstance(res.ranks, tuple)
    d = res.to_dict()
    json.dumps(d)
    assert "Y" not in d and "certificate" not in d  # the factor and the duplicate numbers
    for key in ("value", "bound", "lower", "upper", "gap", "rel_gap", "certified", "ranks"):
        assert key in d
    assert d["bound"] == res.bound and d["lambda_interval"] == list(res.lambda_interval)
    # the certificate holds the same bracket
    assert (res.certificate.value, res.certificate.bound) == (res.value, res.bound)
    replaced = dataclasses.replace(res, seconds=0.0)  # results change only by replace
    assert replaced.seconds == 0.0 and replaced.bound == res.bound


def test_lower_bound_is_a_deprecated_alias_of_bound():
    res = solve_diag_sdp(random_sym(12, 3), seed=0)
    with pytest.warns(DeprecationWarning, match=r"SDPResult.lower_bound is deprecated, use .bound"):
        old = res.lower_bound
    assert old == res.bound
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert res.bound == old  # the new name does not warn


def test_max_time_is_respected():
    A = erdos_renyi(2000, 20, seed=0)
    res = solve_diag_sdp(A, method="rtr", max_time=0.3, tol=1e-12, seed=0)
    assert res.seconds < 20.0  # the certificates may run past the deadline
    assert res.iterations < 200


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"rank": 0}, ValueError, "rank"),
        ({"rank": "big"}, ValueError, "rank"),
        ({"rank": 2.5}, TypeError, "rank"),
        ({"rank": 100}, ValueError, "rank"),
        ({"method": "sdpt3"}, ValueError, "method"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"max_time": -1.0}, ValueError, "max_time"),
        ({"Y0": np.ones((4, 2))}, ValueError, "Y0"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        solve_diag_sdp(random_sym(5, 0), seed=0, **kwargs)


@pytest.mark.parametrize(
    ("C", "exc", "match"),
    [
        (np.ones((3, 4)), ValueError, "square"),
        (np.triu(np.ones((3, 3))), ValueError, "symmetric"),
        (np.full((2, 2), np.nan), ValueError, "finite"),
        (sp.csr_matrix(np.triu(np.ones((3, 3)))), ValueError, "symmetric"),
        ([["a"]], TypeError, "C must be"),
    ],
)
def test_bad_cost(C, exc, match):
    with pytest.raises(exc, match=match):
        solve_diag_sdp(C)


def test_mixing_sweep_decrease_matches_cost():
    from theorylab.sdp import cost_value
    from theorylab.sdp.mixing import mixing_sweeps

    A = erdos_renyi(40, 6, seed=0)
    Y = random_point(40, 4, 0)
    f0 = cost_value(A, Y)
    dec = mixing_sweeps(A, Y, 3)
    assert (dec >= 0).all()  # exact block-coordinate minimization never increases f
    assert f0 - cost_value(A, Y) == pytest.approx(dec.sum(), rel=1e-10)
    np.testing.assert_allclose(np.linalg.norm(Y, axis=1), 1.0, atol=1e-14)


def test_fused_hessian_kernel_matches_formula():
    from theorylab.sdp import riemannian_hessian
    from theorylab.sdp.problem import project
    from theorylab.sdp.rtr import _hess_csr

    A = erdos_renyi(50, 6, seed=1)
    Y = random_point(50, 3, 0)
    U = project(Y, np.random.default_rng(0).standard_normal((50, 3)))
    lam = np.einsum("ij,ij->i", A @ Y, Y)
    out = np.empty_like(U)
    dot = _hess_csr(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, Y, lam, U, out)
    np.testing.assert_allclose(out, riemannian_hessian(A, Y, U), atol=1e-12)
    assert dot == pytest.approx(np.sum(U * out), rel=1e-12)


def test_rtr_loose_tolerance_stops_early_and_full_run_goes_on():
    from theorylab.sdp import riemannian_gradient
    from theorylab.sdp.problem import as_cost
    from theorylab.sdp.rtr import rtr

    A = erdos_renyi(300, 6, seed=3)
    Y0 = random_point(300, 6, 1)
    g0 = np.linalg.norm(riemannian_gradient(A, Y0))
    # no extra time after the loose tolerance: stop as soon as it holds
    Y, it, g = rtr(as_cost(A), Y0, grad_tol=1e-10, loose_tol=1e-2 * g0, extra_time=0.0)
    assert g == pytest.approx(np.linalg.norm(riemannian_gradient(A, Y)), rel=1e-6)
    assert 1e-10 < g <= 1e-2 * g0
    _, it2, g2 = rtr(as_cost(A), Y0, grad_tol=1e-10)
    assert g2 <= 1e-10 < g and it2 > it
