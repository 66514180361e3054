"""Classical sparsity: Hadamard parameterization vs 2‖w‖₁ and vs scikit-learn's Lasso."""

import numpy as np
import pytest

from theorylab.sparsity import (
    hadamard_min_norm,
    hadamard_regression,
    sensing_problem,
    sparse_recovery,
    support,
)


def test_hadamard_min_norm_is_twice_l1():
    w = np.random.default_rng(0).standard_normal(12)
    w[3] = 0.0
    assert hadamard_min_norm(w) == pytest.approx(2 * np.abs(w).sum(), rel=1e-7)


def test_weight_decay_on_product_is_the_lasso():
    p = sensing_problem(48, 96, 5, noise=0.01, seed=1)
    lasso = sparse_recovery(p.A, p.y, "lasso", alpha=0.01)
    fit = hadamard_regression(p.A, p.y, 0.01, steps=5000, seed=0)
    assert np.array_equal(support(fit.w), support(lasso))
    assert np.abs(fit.w - lasso).max() <= 1e-6 * np.abs(lasso).max()
    assert fit.objective[-1] <= fit.objective[0]


def test_recovery_of_the_true_support():
    p = sensing_problem(64, 128, 6, seed=2)
    omp = sparse_recovery(p.A, p.y, "omp", n_nonzero=6)
    np.testing.assert_allclose(omp, p.x, atol=1e-10)
    lasso = sparse_recovery(p.A, p.y, "lasso", alpha=1e-3)
    assert set(p.support) <= set(support(lasso, rtol=1e-2))


def test_sensing_problem_reproducible():
    a, b = sensing_problem(10, 20, 3, seed=5), sensing_problem(10, 20, 3, seed=5)
    assert np.array_equal(a.A, b.A) and np.array_equal(a.x, b.x)
    assert len(a.support) == 3
