"""Where low rank fails: cost matrices with a non-optimal, full-rank second-order critical
point (Waldspurger & Waters, "Rank optimality for the Burer–Monteiro factorization",
SIAM J. Optim. 30(3), 2020), and a second-order criticality check on OB(p, n).

For ``p(p+1)/2 + p <= n`` the tangent space at a generic ``V`` cannot see every negative
direction of the slack: a unit ``z`` orthogonal to ``col(V)`` has
``rho = max_{U in T_V} ||z^T U||^2 / ||P U||^2 < 1`` (``P`` the projector onto
``col(V)^perp``), which is the dimension count ``n`` equations vs ``p + p(p+1)/2`` unknowns
of WW 2020. With ``tau`` in ``(1, 1/rho)`` the cost ``C = P - tau z z^T`` has ``S(V) = C``,
``S V = 0`` (critical), Hessian form ``2(||PU||^2 - tau ||z^T U||^2) >= 0`` on ``T_V``
(zero only along rotations ``V Omega``), and ``lambda_min(S) = 1 - tau < 0``: ``V`` is a
second-order critical point with a negative certificate, not optimal (a closed-form
construction of this library in the regime of WW 2020; numpy only). Its SDP solution has
rank p + 1, so it shows the failure of rank p, not WW's rank-1 instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla

from theorylab._core.results import Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int, check_real
from theorylab.sdp.problem import _normalized, _random_point, as_cost, normalize_rows, row_dots


def _tangent_basis(V: np.ndarray) -> np.ndarray:
    """``H`` of shape ``(n, p, p-1)``: ``H[i]`` an orthonormal basis of ``v_i^perp``."""
    n, p = V.shape
    H = np.empty((n, p, p - 1))
    for i in range(n):
        H[i] = sla.null_space(V[i][None, :])
    return H


def _kron_form(M: np.ndarray, H: np.ndarray) -> np.ndarray:
    """The matrix of ``U -> (M ⊗ I_p) U`` in the tangent basis: block (i, j) is
    ``M_ij H_i^T H_j`` (size ``n(p-1)``)."""
    n, _, q = H.shape
    K = np.einsum("ij,iak,jal->ikjl", M, H, H, optimize=True)
    return K.reshape(n * q, n * q)


def _rotation_complement(V: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the tangent coordinates orthogonal to the rotation
    directions ``V Omega`` (``Omega`` skew), dimension ``n(p-1) - p(p-1)/2`` for full-rank V."""
    n, p = V.shape
    cols = []
    for a in range(p):
        for b in range(a + 1, p):
            Om = np.zeros((p, p))
            Om[a, b], Om[b, a] = 1.0, -1.0
            W = V @ Om
            cols.append(np.einsum("iak,ia->ik", H, W).ravel())
    if not cols:
        return np.eye(n * (p - 1))
    O = np.array(cols).T
    q, r = np.linalg.qr(O)
    keep = np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)
    q = q[:, keep]
    return sla.null_space(q.T)


def hidden_curvature_ratio(V: np.ndarray, z: np.ndarray) -> float:
    """``rho = max ||z^T U||^2 / ||P U||_F^2`` over tangent ``U`` at ``V`` (``(n, p)``, unit
    rows) with ``P U != 0`` (``P`` the projector onto ``col(V)^perp``, ``z`` a unit vector
    in it, ``(n,)``). ``rho < 1`` means a negative direction ``z`` of the slack can be
    hidden from the tangent space, which happens generically iff ``p(p+1)/2 + p <= n`` (the
    dimension count behind Waldspurger & Waters 2020). Generalized eigenvalue of two
    ``n(p-1)``-square forms, whitened on ``range(K2)``; dense ``O((n p)^3)``."""
    V = normalize_rows(V, "V")
    z = np.asarray(z, dtype=np.float64).ravel()
    if z.size != V.shape[0]:
        raise ValueError(f"z must have n = {V.shape[0]} entries; got {z.size}")
    if V.shape[1] < 2:
        raise ValueError(f"V must have p >= 2 columns; got {V.shape[1]}")
    Q = np.linalg.qr(V)[0]
    P = np.eye(V.shape[0]) - Q @ Q.T
    H = _tangent_basis(V)
    K1 = _kron_form(np.outer(z, z), H)
    K2 = _kron_form(P, H)
    w, W = np.linalg.eigh(K2)
    keep = w > 1e-10 * w.max()
    Wh = W[:, keep] / np.sqrt(w[keep])
    return float(np.linalg.eigvalsh(Wh.T @ K1 @ Wh)[-1])


def spurious_instance(
    n: int, p: int, *, seed: SeedLike = None, tau: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A cost ``C`` (dense ``(n, n)``) and a full-rank factor ``Y`` (``(n, p)``, unit rows)
    that is a second-order critical point of ``min <C, Y Y^T>`` over OB(p, n) but not
    optimal: ``grad f(Y) = 0``, the Hessian is positive definite modulo rotations, and
    ``lambda_min(S(Y)) = 1 - tau < 0``, in the regime of Waldspurger & Waters 2020 (a
    closed-form construction of this library: ``C = P - tau z z^T``, see the module
    docstring; its SDP solution has rank ``p + 1``).

    Needs ``p >= 2`` and ``p(p+1)/2 + p <= n`` (raises ``ValueError`` naming the
    Waldspurger–Waters bound otherwise). ``tau`` in ``(1, 1/rho)``, default the midpoint.
    ``seed`` (int, None or a numpy/torch Generator) draws ``Y`` and ``z``.
    Dense O((n p)^2) work: meant for n up to a few hundred."""
    n = check_int(n, "n", min_value=3)
    p = check_int(p, "p", min_value=2)
    if p * (p + 1) // 2 + p > n:
        raise ValueError(
            f"p = {p} is outside the Waldspurger–Waters regime p(p+1)/2 + p <= n "
            f"({p * (p + 1) // 2 + p} > n = {n})"
        )
    if tau is not None:
        tau = check_real(tau, "tau")
    rng = as_generator(seed)
    V = _random_point(n, p, rng)
    Q = np.linalg.qr(V)[0]
    P = np.eye(n) - Q @ Q.T
    z = P @ rng.standard_normal(n)
    z /= np.linalg.norm(z)
    rho = hidden_curvature_ratio(V, z)
    if not rho < 1.0 - 1e-9:
        raise ValueError(
            f"no hidden negative direction for n = {n}, p = {p} (rho = {rho:.6f}); the "
            "Waldspurger–Waters regime p(p+1)/2 + p <= n is needed"
        )
    if tau is None:
        tau = 0.5 * (1.0 + 1.0 / rho)
    elif not 1.0 < tau < 1.0 / rho:
        raise ValueError(f"tau must lie in (1, 1/rho) = (1, {1 / rho:.6g}); got {tau}")
    C = P - tau * np.outer(z, z)
    return (C + C.T) / 2.0, V


@dataclass(frozen=True, slots=True)
class CriticalityReport(Result):
    """Numbers of :func:`is_second_order_critical` (second-order necessary conditions on a
    Riemannian manifold, Absil, Mahony, Sepulchre 2008, Ch. 6; Boumal, Voroninski, Bandeira
    2016): Riemannian gradient norm (absolute and relative to ``||C||_F``), the smallest
    Hessian eigenvalue on the tangent space modulo rotations (``hess_min``), the number of
    (near-)zero Hessian eigenvalues on the full tangent space and the rotation-orbit
    dimension ``p(p-1)/2``, ``lambda_min(S)``, and the verdicts (``ok``: both hold)."""

    grad_norm: float
    grad_rel: float
    hess_min: float
    hess_zero_count: int
    orbit_dim: int
    lambda_min_S: float
    critical: bool
    second_order: bool

    @property
    def ok(self) -> bool:
        """First- and second-order critical."""
        return self.critical and self.second_order


def is_second_order_critical(
    C: Any, Y: Any, *, grad_tol: float = 1e-8, hess_tol: float = 1e-8
) -> CriticalityReport:
    """Check the second-order necessary conditions of ``min <C, Y Y^T>`` over OB(p, n) at
    ``Y`` (``(n, p)``, rows renormalized; Boumal, Voroninski, Bandeira 2016; Absil, Mahony,
    Sepulchre 2008, Ch. 6): ``||grad f|| <= grad_tol * max(1, ||C||_F)`` and the Hessian
    ``2 Proj_Y(S U)`` on the tangent space, restricted to the complement of the rotation
    directions ``Y Omega``, has eigenvalues ``>= -hess_tol * max(1, ||C||_F)``. Dense,
    ``O((n p)^3)``: for n p up to a few thousand. Returns a :class:`CriticalityReport`."""
    cost = as_cost(C)
    Y = _normalized(Y, cost.n, "Y")
    grad_tol = check_real(grad_tol, "grad_tol", min_value=0.0)
    hess_tol = check_real(hess_tol, "hess_tol", min_value=0.0)
    n, p = Y.shape
    if n * max(p - 1, 1) > 6000:
        raise ValueError(f"n (p - 1) = {n * (p - 1)} is too large for the dense Hessian check")
    Cd = cost.mat.toarray() if cost.sparse else cost.mat
    scale = max(1.0, float(np.linalg.norm(Cd)))
    CY = Cd @ Y
    lam = row_dots(CY, Y)
    S = Cd - np.diag(lam)
    G = 2.0 * (CY - lam[:, None] * Y)
    gnorm = float(np.linalg.norm(G))
    lam_S = float(np.linalg.eigvalsh(S)[0])
    if p == 1:
        return CriticalityReport(gnorm, gnorm / scale, float("inf"), 0, 0, lam_S, True, True)
    H = _tangent_basis(Y)
    Hess = 2.0 * _kron_form(S, H)
    w_full = np.linalg.eigvalsh(Hess)
    zero_count = int(np.sum(np.abs(w_full) <= hess_tol * scale))
    Qc = _rotation_complement(Y, H)
    hmin = float(np.linalg.eigvalsh(Qc.T @ Hess @ Qc)[0]) if Qc.shape[1] else float("inf")
    return CriticalityReport(
        grad_norm=gnorm,
        grad_rel=gnorm / scale,
        hess_min=hmin,
        hess_zero_count=zero_count,
        orbit_dim=p * (p - 1) // 2,
        lambda_min_S=lam_S,
        critical=gnorm <= grad_tol * scale,
        second_order=hmin >= -hess_tol * scale,
    )


__all__ = [
    "CriticalityReport",
    "hidden_curvature_ratio",
    "is_second_order_critical",
    "spurious_instance",
]
