"""Classical sparsity side by side with the network side (Gribonval, "Frugality in machine
learning: sparsity, a value for the future?"): compressed-sensing recovery with
scikit-learn's Lasso and Orthogonal Matching Pursuit, and the Hadamard-product
parameterization w = u ⊙ v, where weight decay on (u, v) is an ℓ1 penalty on w:

    min_{u ⊙ v = w} ‖u‖² + ‖v‖² = 2‖w‖₁     (coordinate-wise, u_i² + w_i²/u_i² ≥ 2|w_i|),

so training (u, v) on (1/2n)‖y − A(u ⊙ v)‖² with weight decay α (penalty α/2·(‖u‖² + ‖v‖²))
has the minimizers of the Lasso (Tibshirani 1996) (1/2n)‖y − Aw‖² + α‖w‖₁ (Hoff 2017;
Tibshirani 2021): the rescaling invariance (u_i, v_i) -> (λu_i, v_i/λ) turned into a
blessing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import Lasso, OrthogonalMatchingPursuit

from theorylab._core.results import Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_choice, check_finite, check_int, check_real


@dataclass(frozen=True, slots=True)
class SensingProblem(Result):
    """A compressed-sensing instance y = A x + noise (Candès, Romberg, Tao 2006; Donoho
    2006): ``A`` (m, n) Gaussian with unit-norm columns, ``x`` (n,) sparse, ``y`` (m,)."""

    A: np.ndarray
    y: np.ndarray
    x: np.ndarray

    @property
    def support(self) -> np.ndarray:
        """Indices of the nonzero entries of ``x``."""
        return np.flatnonzero(self.x)


def sensing_problem(
    n_measurements: int,
    n_features: int,
    sparsity: int,
    *,
    noise: float = 0.0,
    seed: SeedLike = None,
) -> SensingProblem:
    """A random compressed-sensing instance (Candès, Romberg, Tao 2006; Donoho 2006): the
    nonzero entries are ±(1 + |N(0,1)|), so they stay away from zero."""
    m = check_int(n_measurements, "n_measurements", min_value=1)
    n = check_int(n_features, "n_features", min_value=1)
    k = check_int(sparsity, "sparsity", min_value=0, max_value=n)
    noise = check_real(noise, "noise", min_value=0.0)
    rng = as_generator(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0, keepdims=True)
    x = np.zeros(n)
    idx = rng.choice(n, size=k, replace=False)
    x[idx] = rng.choice([-1.0, 1.0], size=k) * (1.0 + np.abs(rng.standard_normal(k)))
    y = A @ x + noise * rng.standard_normal(m)
    return SensingProblem(A, y, x)


def _check_system(A: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A = np.asarray(A, dtype=float)
    y = np.asarray(y, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"A must be a 2-D array (measurements, features); got shape {A.shape}")
    if y.shape != (A.shape[0],):
        raise ValueError(f"y must have shape ({A.shape[0]},); got {y.shape}")
    check_finite(A, "A")
    check_finite(y, "y")
    return A, y


def sparse_recovery(
    A: np.ndarray,
    y: np.ndarray,
    method: str = "lasso",
    *,
    alpha: float = 1e-3,
    n_nonzero: int | None = None,
) -> np.ndarray:
    """Recover a sparse x from y ≈ A x with scikit-learn: ``"lasso"`` minimizes
    (1/2m)‖y − Ax‖² + α‖x‖₁ (coordinate descent); ``"omp"`` runs Orthogonal Matching
    Pursuit (Pati, Rezaiifar, Krishnaprasad 1993) for ``n_nonzero`` atoms."""
    A, y = _check_system(A, y)
    method = check_choice(method, "method", ["lasso", "omp"])
    if method == "lasso":
        alpha = check_real(alpha, "alpha", min_value=0.0, strict_min=True)
        model = Lasso(alpha=alpha, fit_intercept=False, max_iter=100_000, tol=1e-10)
    else:
        k = None if n_nonzero is None else check_int(n_nonzero, "n_nonzero", min_value=1)
        model = OrthogonalMatchingPursuit(n_nonzero_coefs=k, fit_intercept=False)
    return model.fit(A, y).coef_.copy()


def hadamard_min_norm(w: np.ndarray, *, seed: SeedLike = None) -> float:
    """min ‖u‖² + ‖v‖² subject to u ⊙ v = w, solved numerically (SLSQP with the equality
    constraint, from a random start drawn from ``seed``); equals 2‖w‖₁ in theory (Hoff
    2017, the Hadamard product parametrization of the Lasso penalty)."""
    w = np.asarray(w, dtype=float).reshape(-1)
    check_finite(w, "w")
    n = w.size
    rng = as_generator(seed)
    z0 = np.concatenate([np.abs(w) ** 0.5 + 0.5, np.sign(w) * (np.abs(w) ** 0.5 + 0.5)])
    z0 *= np.exp(0.3 * rng.standard_normal(2 * n))
    res = minimize(
        lambda z: float(z @ z),
        z0,
        jac=lambda z: 2 * z,
        constraints=[
            {
                "type": "eq",
                "fun": lambda z: z[:n] * z[n:] - w,
                "jac": lambda z: np.hstack([np.diag(z[n:]), np.diag(z[:n])]),
            }
        ],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    return float(res.x @ res.x)


@dataclass(frozen=True, slots=True)
class HadamardFit(Result):
    """What :func:`hadamard_regression` returns (Hoff 2017): the product ``w = u ⊙ v``
    (n,), the factors ``u`` and ``v`` (n,), and ``objective``, the Lasso objective of
    u ⊙ v every 100 steps."""

    w: np.ndarray
    u: np.ndarray
    v: np.ndarray
    objective: list[float]


def hadamard_regression(
    A: np.ndarray,
    y: np.ndarray,
    alpha: float,
    *,
    steps: int = 20_000,
    lr: float | None = None,
    init_scale: float = 0.1,
    seed: SeedLike = None,
) -> HadamardFit:
    """Train w = u ⊙ v on (1/2m)‖y − A(u ⊙ v)‖² by full-batch gradient descent with
    weight decay ``alpha`` (the update of ``torch.optim.SGD(weight_decay=alpha)``, in
    NumPy), from a small random start. The limit is a Lasso solution with penalty
    ``alpha`` (Hoff 2017; see the module docstring). ``lr`` defaults to
    1/(‖A‖₂²/m · (1 + ‖y‖∞) + alpha). ``objective`` records the Lasso objective of u ⊙ v
    every 100 steps."""
    A, y = _check_system(A, y)
    alpha = check_real(alpha, "alpha", min_value=0.0, strict_min=True)
    steps = check_int(steps, "steps", min_value=1)
    init_scale = check_real(init_scale, "init_scale", min_value=0.0, strict_min=True)
    m, n = A.shape
    if lr is None:
        lr = 1.0 / (np.linalg.norm(A, 2) ** 2 / m * (1.0 + np.abs(y).max()) + alpha)
    lr = check_real(lr, "lr", min_value=0.0, strict_min=True)
    rng = as_generator(seed)
    u = init_scale * rng.standard_normal(n)
    v = init_scale * rng.standard_normal(n)
    history = []
    for step in range(steps):
        w = u * v
        r = A @ w - y
        if step % 100 == 0:
            history.append(0.5 / m * float(r @ r) + alpha * float(np.abs(w).sum()))
        g = A.T @ r / m  # gradient of the data term in w
        # one step of SGD with weight decay alpha on (u, v): grad + alpha * param
        u, v = u - lr * (g * v + alpha * u), v - lr * (g * u + alpha * v)
    return HadamardFit(u * v, u, v, history)


def support(w: np.ndarray, *, rtol: float = 1e-4) -> np.ndarray:
    """Indices of the entries of ``w`` above ``rtol`` times its largest magnitude: the
    numerical support used by this library."""
    w = np.abs(np.asarray(w, dtype=float).reshape(-1))
    top = w.max() if w.size else 0.0
    return np.flatnonzero(w > rtol * top) if top > 0 else np.zeros(0, dtype=int)
