"""Dual certificates for ``min <C, X>`` s.t. ``diag(X) = 1``, ``X`` PSD.

For any factor ``Y`` with unit rows, ``lambda = diag(C Y Y^T)`` and the slack
``S = C - Diag(lambda)``, weak duality gives (Boumal, Voroninski, Bandeira 2016, §4;
Boumal 2015, Prop. 3)::

    f(Y) + n * min(0, lambda_min(S))  <=  SDP*  <=  f(Y) = <C, Y Y^T>.

``lambda_min(S)`` is bracketed: the upper end ``u^T S u`` comes from an eigensolver
(dense ``eigh`` or ARPACK), the lower end from a successful factorization of
``S - t I``: a dense Cholesky (margin from Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., Thm 10.3) or, for sparse ``S``, a sparse ``L D L^T`` without pivoting
(SuperLU) whose distance to the exactly PSD matrix ``L D L^T`` is bounded from the computed
factors (Higham Thm 9.3 plus the measured asymmetry ``U - D L^T``). Either way
``lambda_min(S) >= t - delta`` holds under the standard rounding model (no underflow),
which makes the bound rigorous, not an eigensolver estimate (cf. Rump, BIT 46, 2006).
When ``S`` is not PSD the eigenvector ``u`` gives the escape direction of the Riemannian
staircase (Boumal 2015, §4): ``[0, u]`` at ``[Y, 0]`` has curvature ``2 u^T S u < 0``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from theorylab._core.results import SKIP, Certified, Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_real
from theorylab.sdp.problem import Cost, _normalized, as_cost, row_dots

U_MACH = 2.0**-53
_LANCZOS_CAP = 30  # restarts of the rough estimate that picks the first shift


def _gamma(k: int) -> float:
    return k * U_MACH / (1.0 - k * U_MACH)


@dataclass(frozen=True, slots=True)
class Certificate(Certified, Result):
    """The dual certificate of a factor ``Y`` in min form (weak duality; Boumal,
    Voroninski, Bandeira 2016, §4; Boumal 2015, Prop. 3).

    ``value = f(Y) = <C, Y Y^T>`` (an upper bound on the SDP value); ``bound`` a lower
    bound on it (rigorous when ``rigorous``); ``gap = value - bound``, ``rel_gap``,
    ``lower`` and ``upper`` as for every certified result; ``lambda_min`` the eigensolver
    estimate of ``lambda_min(S)`` (an upper bound on it, as a Rayleigh quotient);
    ``lambda_lower`` the factorization-proved lower bound (``shift``, the same number, is
    the shift the bound came from); ``escape`` a unit vector ``u`` with
    ``u^T S u = lambda_min < 0`` (``None`` when ``S`` is PSD up to the shift tested).
    ``S`` is the slack matrix (CSR for sparse ``C``, dense otherwise); ``to_dict()`` leaves
    it out."""

    sense: ClassVar[str] = "min"
    S: Any = field(metadata=SKIP)
    value: float
    bound: float
    lambda_min: float
    lambda_lower: float
    rigorous: bool
    escape: np.ndarray | None
    shift: float

    @property
    def lambda_interval(self) -> tuple[float, float]:
        """``(lambda_lower, lambda_min)``: a bracket of the smallest eigenvalue of ``S``."""
        return (self.lambda_lower, self.lambda_min)

    def escape_direction(self, Y: np.ndarray) -> np.ndarray | None:
        """Tangent direction ``[0, u]`` at ``[Y, 0]`` (shape ``(n, p + 1)``) along which the
        Hessian form is ``2 u^T S u < 0``; ``None`` when there is no negative curvature."""
        if self.escape is None:
            return None
        n, p = np.shape(Y)
        U = np.zeros((n, p + 1))
        U[:, p] = self.escape
        return U


def _dense_cholesky_lower(S: np.ndarray, t: float) -> float | None:
    """``t - delta(t)`` if the Cholesky factorization of ``S - t I`` completes, else None.
    delta(t) = gamma_{n+1}/(1 - gamma_{n+1}) trace(S - tI) + u max |s_ii - t|."""
    n = S.shape[0]
    B = S.copy()
    d = np.diagonal(S) - t
    B[np.diag_indices(n)] = d
    try:
        sla.cholesky(B, lower=False, overwrite_a=True, check_finite=False)
    except sla.LinAlgError:
        return None
    g = _gamma(n + 1)
    delta = g / (1 - g) * float(np.sum(d)) * (1 + 4 * n * U_MACH) + U_MACH * float(
        np.max(np.abs(d))
    )
    return t - delta


def _sparse_ldl_lower(S: sp.csr_matrix, t: float) -> tuple[float | None, Any]:
    """Factor ``P (S - t I) P^T = L U`` with SuperLU without pivoting (symmetric mode). If
    every pivot is positive, return ``t - delta`` with ``delta`` bounding
    ``||P (S - tI) P^T - L D L^T||_2`` (``D = diag(U)``, so ``L D L^T`` is exactly PSD):
    ``delta = gamma_{n+1} (T + ||L||_F E) + ||L||_F E + u max|s_ii - t|`` with
    ``T = sum_j D_j ||L_:j||^2`` and ``E = ||U - D L^T||_F`` (Higham Thm 9.3). Also return
    the factorization (reused for shift-invert)."""
    n = S.shape[0]
    B = (S - t * sp.identity(n, format="csr")).tocsc()
    d = B.diagonal()
    try:
        lu = spla.splu(
            B,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    except RuntimeError:  # exactly singular pivot
        return None, None
    if not np.array_equal(lu.perm_r, lu.perm_c):
        return None, None
    L, Uf = lu.L.tocsc(), lu.U.tocsc()
    D = Uf.diagonal()
    if not (D > 0).all():
        return None, lu
    Lnorm2 = sp.csc_matrix(L.multiply(L))
    col_sq = np.asarray(Lnorm2.sum(axis=0)).ravel()
    T = float(np.sum(D * col_sq))
    L_F = float(np.sqrt(col_sq.sum()))
    E_mat = Uf - sp.diags(D) @ L.T.tocsc()
    E = float(np.sqrt((E_mat.multiply(E_mat)).sum())) if E_mat.nnz else 0.0
    g = _gamma(n + 1)
    delta = (g * (T + L_F * E) + L_F * E) * (1 + 8 * n * U_MACH) + U_MACH * float(np.max(np.abs(d)))
    return t - delta, lu


def _dense_estimate(S: np.ndarray) -> tuple[float, np.ndarray]:
    _, v = sla.eigh(S, subset_by_index=[0, 0], driver="evr", check_finite=False)
    u = v[:, 0] / np.linalg.norm(v[:, 0])
    return float(u @ (S @ u)), u


def _sparse_estimate(
    S: sp.csr_matrix, seed: int = 0, maxiter: int | None = None
) -> tuple[float, np.ndarray]:
    """Lanczos estimate of the smallest eigenpair (``nan`` if a capped run fails)."""
    n = S.shape[0]
    v0 = np.random.default_rng(seed).standard_normal(n)
    try:
        w, v = spla.eigsh(
            S,
            k=1,
            which="SA",
            tol=1e-6 if maxiter else 1e-10,
            v0=v0,
            ncv=min(n, 48),
            maxiter=maxiter or 20 * n,
        )
        u = v[:, 0]
    except spla.ArpackNoConvergence as exc:
        if exc.eigenvectors.shape[1] == 0:
            if maxiter:
                return float("nan"), v0
            X = np.random.default_rng(seed).standard_normal((n, 4))
            w, v = spla.lobpcg(S, X, largest=False, tol=1e-8, maxiter=500)
            u = v[:, int(np.argmin(w))]
        else:
            u = exc.eigenvectors[:, 0]
    u = u / np.linalg.norm(u)
    return float(u @ (S @ u)), u


def _shift_invert_estimate(S: sp.csr_matrix, lu: Any, seed: int = 0) -> tuple[float, np.ndarray]:
    """Smallest eigenpair of ``S`` from a PD factorization of ``S - t I``: the largest
    eigenvalue of ``(S - t I)^{-1}``."""
    n = S.shape[0]
    if n <= 2:
        return _dense_estimate(S.toarray())
    op = spla.LinearOperator((n, n), matvec=lu.solve, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(n)
    try:
        _, v = spla.eigsh(op, k=1, which="LA", tol=1e-8, v0=v0, ncv=min(n, 24), maxiter=50 * n)
        u = v[:, 0]
    except spla.ArpackNoConvergence as exc:
        if exc.eigenvectors.shape[1] == 0:
            return _sparse_estimate(S, seed)
        u = exc.eigenvectors[:, 0]
    u = u / np.linalg.norm(u)
    return float(u @ (S @ u)), u


def _sparse_negative(
    S: sp.csr_matrix, t1: float, scale: float, seed: int, tight: bool, need: float
) -> tuple[float, np.ndarray, float]:
    """``lambda_min(S) < t1``: estimate it by Lanczos (capped), factor ``S - t I`` as PD
    just below the estimate (stepping down geometrically if needed; Sylvester: then
    ``lambda_min >= t - delta``), refine the eigenpair by shift-invert Lanczos at that
    shift and, if ``tight``, shrink the proved bracket towards it."""
    mu0, _ = _sparse_estimate(S, seed, maxiter=_LANCZOS_CAP)
    t_hi = min(t1, mu0) if np.isfinite(mu0) else t1
    step = max(1e-3 * abs(t_hi), abs(t1), 1e-12 * scale)
    for _ in range(80):
        t = t_hi - step
        lo, lu = _sparse_ldl_lower(S, t)
        if lo is not None:
            break
        t_hi, step = t, step * 8.0
    else:
        mu, u = _sparse_estimate(S, seed)
        return mu, u, -float("inf")
    mu, u = _shift_invert_estimate(S, lu, seed)
    # refine when asked, or when the estimate says the bound could reach ``need``
    for _ in range(
        3 if tight or mu > need else 0
    ):  # shrink towards mu: a tighter proved lower bound
        if mu - t <= 1e-8 * abs(mu) + 1e-13 * scale:
            break
        t_mid = mu - 0.01 * (mu - t)
        lo_mid, _ = _sparse_ldl_lower(S, t_mid)
        if lo_mid is None:
            break
        t, lo = t_mid, lo_mid
    return mu, u, min(lo, mu)


def _lower_search(S: np.ndarray, mu: float, step0: float, trace_abs: float) -> float:
    """Largest proved lower bound found by stepping a dense Cholesky shift down from
    ``mu`` (first step: the larger of ``step0`` and twice the a-priori Cholesky margin)."""
    n = S.shape[0]
    step = max(step0, 2 * _gamma(n + 1) * (trace_abs + n * abs(mu)), 1e-300)
    for _ in range(80):
        low = _dense_cholesky_lower(S, mu - step)
        if low is not None:
            return low
        step *= 4.0
    return -float("inf")


def _int_seed(seed: SeedLike) -> int:
    """``seed`` as an int for the eigensolver start vectors: an int as given (validated),
    else one draw from it."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        as_generator(seed)  # validates: a non-negative int
        return int(seed)
    return int(as_generator(seed).integers(2**31))


def certificate(
    C: Any, Y: Any, *, target_gap: float | None = None, seed: SeedLike = None
) -> Certificate:
    """Certificate of the factor ``Y`` (``(n, p)``, rows renormalized) for
    ``min <C, X>`` s.t. ``diag(X) = 1``, ``X`` PSD, from weak duality with a proved
    bracket of ``lambda_min(S)`` (Boumal, Voroninski, Bandeira 2016, §4; Higham 2002,
    Thm 10.3 and 9.3).

    ``target_gap`` (absolute, optional, >= 0) sets the first shift ``t = -target_gap / (10 n)``
    tested by the factorization; by default it is ``1e-10 (|f(Y)| + n)``. ``seed`` draws
    the start vectors of the sparse eigensolvers (dense ``C`` uses none). Memory stays
    O(nnz(C) + fill) for sparse ``C``: no dense n x n matrix is formed.

    Returns a :class:`Certificate` (value, rigorous lower bound, gap, the bracket of
    ``lambda_min(S)``, and the escape eigenvector when ``S`` is not PSD).
    """
    cost = as_cost(C)
    Yn = _normalized(Y, cost.n, "Y")
    if target_gap is not None:
        target_gap = check_real(target_gap, "target_gap", min_value=0.0)
    return _certificate(cost, Yn, target_gap=target_gap, seed=_int_seed(seed))


def _certificate(
    cost: Cost, Y: np.ndarray, *, target_gap: float | None, seed: int, tight: bool = True
) -> Certificate:
    n = cost.n
    lam = row_dots(cost.dot(Y), Y)
    value = float(lam.sum())
    S = cost.slack(lam)
    scale = max(cost.abs_row_sum_max(), 1e-300)
    dense = not cost.sparse
    sdiag = np.asarray(S.diagonal())
    if dense:
        offdiag = int(np.count_nonzero(S)) - int(np.count_nonzero(sdiag))
    else:
        Soff = S - sp.diags(sdiag)
        Soff.eliminate_zeros()
        offdiag = Soff.nnz
    gap_t = target_gap if target_gap is not None else 1e-10 * (abs(value) + n)
    t1 = -abs(gap_t) / (10.0 * n)
    if offdiag == 0:  # diagonal S: its eigenvalues are its diagonal entries, exactly
        k = int(np.argmin(sdiag))
        mu = lo = float(sdiag[k])
        u = np.zeros(n)
        u[k] = 1.0
        rigorous = True
    else:
        if dense:
            mu, u = _dense_estimate(S)
            lo = _lower_search(S, min(mu, 0.0), abs(t1), float(np.sum(np.abs(sdiag))))
        else:
            lo1, lu = _sparse_ldl_lower(S, t1)
            wide = lo1 is None
            if wide:  # a shift still inside the budget: n |9 t1| = 0.9 target_gap
                lo1, lu = _sparse_ldl_lower(S, 9.0 * t1)
            if lo1 is not None:
                mu, u = _shift_invert_estimate(S, lu, seed)
                lo = lo1
                t_mid = mu - 0.01 * (mu - 9.0 * t1)
                if wide and 9.0 * t1 < t_mid < t1:  # tighten the bracket towards mu
                    lo_mid, _ = _sparse_ldl_lower(S, t_mid)
                    lo = lo if lo_mid is None else max(lo, lo_mid)
            else:
                mu, u, lo = _sparse_negative(S, 9.0 * t1, scale, seed, tight, 10 * t1)
        rigorous = bool(np.isfinite(lo))
        if not rigorous:
            lo = mu
        lo = min(lo, mu)
    # y_i = c_ii - s_ii is dual-feasible after the shift lo: sum with a rounding margin
    y = cost.diagonal() - sdiag
    ysum = float(np.sum(y)) - _gamma(n + 2) * float(np.sum(np.abs(y)))
    bound = ysum + n * min(0.0, lo) * (1 + 4 * U_MACH)
    escape = u if mu < min(t1, -1e-14 * scale) else None
    return Certificate(
        S=S,
        value=value,
        bound=bound,
        lambda_min=float(mu),
        lambda_lower=float(lo),
        rigorous=rigorous,
        escape=escape,
        shift=float(lo),
    )


__all__ = ["Certificate", "certificate"]
