"""Dense primal–dual interior-point baseline for ``min <C, X>`` s.t. ``diag(X) = 1``
(Helmberg, Rendl, Vanderbei, Wolkowicz, "An interior-point method for semidefinite
programming", SIAM J. Optim. 6(2), 1996). O(n^3) per iteration and dense n x n memory: a
cross-check for small ``n`` (up to ~2000), independent of Burer–Monteiro."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.linalg as sla

from theorylab._core.results import SKIP, Certified, Result
from theorylab._core.validation import check_int, check_real
from theorylab.sdp.problem import as_cost


@dataclass(frozen=True, slots=True)
class IPMResult(Certified, Result):
    """Result of :func:`hrvw` (Helmberg, Rendl, Vanderbei, Wolkowicz 1996) in min form:
    ``X`` (dense, ``diag(X) = 1``, PD) and the bracket ``bound <= SDP* <= value`` of the SDP
    value (``value = <C, X>``; ``bound``, also ``lower``, the dual objective of the iterate
    ``y``, kept positive definite by Cholesky tests: an interior-point bracket, not the
    rounding-proof bound of :func:`~theorylab.sdp.certificate`); ``gap`` and ``rel_gap`` as
    for every certified result; ``certified`` whether the method stopped on its duality-gap test
    (``<= tol * max(1, |dual|)``) rather than on ``max_iter``; ``iterations``.
    ``to_dict()`` leaves out ``X``."""

    sense: ClassVar[str] = "min"
    X: np.ndarray = field(metadata=SKIP)
    value: float
    bound: float
    iterations: int
    certified: bool = False


def _is_pd(M: np.ndarray) -> bool:
    try:
        sla.cholesky(M, check_finite=False)
    except sla.LinAlgError:
        return False
    return True


def _step(M: np.ndarray, dM: np.ndarray) -> float:
    alpha = 1.0
    while not _is_pd(M + alpha * dM):
        alpha *= 0.8
        if alpha < 1e-12:
            return 0.0
    return alpha if alpha == 1.0 else 0.95 * alpha


def hrvw(C: Any, *, tol: float = 1e-8, max_iter: int = 100) -> IPMResult:
    """Solve the diagonal-constrained SDP of ``C`` (``(n, n)`` symmetric) by the HRVW
    primal–dual path-following method (Helmberg, Rendl, Vanderbei, Wolkowicz 1996), in its
    max form ``max <B, X>`` with ``B = -C``. Stops when the duality gap is
    ``<= tol * max(1, |dual|)`` or after ``max_iter`` iterations. Returns an
    :class:`IPMResult`."""
    cost = as_cost(C)
    tol = check_real(tol, "tol", min_value=0.0, strict_min=True)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    B = -(cost.mat.toarray() if cost.sparse else cost.mat)
    n = cost.n
    X = np.eye(n)
    y = 1.1 * np.abs(B).sum(axis=1) + 1.0
    Z = np.diag(y) - B
    mu = float(np.sum(X * Z)) / (2 * n)
    it = 0
    converged = False
    while it < max_iter:
        it += 1
        Zi = np.linalg.inv(Z)
        Zi = (Zi + Zi.T) / 2
        dy = np.linalg.solve(Zi * X, mu * np.diag(Zi) - 1.0)
        dX = mu * Zi - X - (Zi * dy[None, :]) @ X
        dX = (dX + dX.T) / 2
        ap = _step(X, dX)
        ad = _step(Z, np.diag(dy))
        X = X + ap * dX
        y = y + ad * dy
        Z = np.diag(y) - B
        mu = float(np.sum(X * Z)) / (2 * n)
        if ap + ad > 1.8:
            mu /= 2
        primal, dual = float(np.sum(B * X)), float(np.sum(y))
        if dual - primal <= tol * max(1.0, abs(dual)):
            converged = True
            break
    # X may drift off diag(X) = 1 slightly: rescale to a feasible point
    d = np.sqrt(np.clip(np.diag(X), 1e-300, None))
    Xf = X / np.outer(d, d)
    return IPMResult(
        X=Xf,
        value=-float(np.sum(B * Xf)),
        bound=-float(np.sum(y)),
        iterations=it,
        certified=converged,
    )


__all__ = ["IPMResult", "hrvw"]
