"""Riemannian trust-region method on the oblique manifold (Absil, Baker, Gallivan, FoCM
7(3), 2007, Alg. 10; truncated CG of Steihaug–Toint, Alg. 11), specialised to
``f(Y) = <C, Y Y^T>`` with the gradient ``2 S Y`` and Hessian ``2 Proj_Y(S U)`` of
:mod:`theorylab.sdp.problem`, caching ``C Y`` and ``lambda`` per iterate (one product ``C U``
per inner iteration). Inner products are elementwise sums (no BLAS call: multithreaded BLAS
is slow on such small products).
"""

from __future__ import annotations

import math
import time

import numpy as np

from theorylab.sdp.mixing import HAVE_NUMBA, _jit
from theorylab.sdp.problem import Cost, inner, project, retract, row_dots


@_jit
def _hess_csr(indptr, indices, data, Y, lam, D, out):  # type: ignore[no-untyped-def]
    """``out = 2 Proj_Y(C D - Diag(lam) D)`` in one pass over the CSR rows; returns
    ``<D, out>`` (fused kernel: no temporaries)."""
    n, p = Y.shape
    tmp = np.empty(p)
    tot = 0.0
    for i in range(n):
        li = lam[i]
        for a in range(p):
            tmp[a] = -li * D[i, a]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            c = data[k]
            for a in range(p):
                tmp[a] += c * D[j, a]
        dot = 0.0
        for a in range(p):
            dot += tmp[a] * Y[i, a]
        for a in range(p):
            v = 2.0 * (tmp[a] - dot * Y[i, a])
            out[i, a] = v
            tot += D[i, a] * v
    return tot


@_jit
def _cg_step(eta, Heta, r, d, Hd, alpha):  # type: ignore[no-untyped-def]
    """``eta += alpha d``, ``Heta += alpha Hd``, ``r += alpha Hd``; returns ``<r, r>``."""
    n, p = eta.shape
    rr = 0.0
    for i in range(n):
        for a in range(p):
            eta[i, a] += alpha * d[i, a]
            Heta[i, a] += alpha * Hd[i, a]
            v = r[i, a] + alpha * Hd[i, a]
            r[i, a] = v
            rr += v * v
    return rr


@_jit
def _cg_dir(d, r, beta):  # type: ignore[no-untyped-def]
    """``d = -r + beta d`` in place."""
    n, p = d.shape
    for i in range(n):
        for a in range(p):
            d[i, a] = -r[i, a] + beta * d[i, a]


class _Point:
    __slots__ = ("CY", "Y", "f", "grad", "lam")

    def __init__(self, cost: Cost, Y: np.ndarray) -> None:
        self.Y = Y
        self.CY = cost.dot(Y)
        self.lam = row_dots(self.CY, Y)
        self.f = float(self.lam.sum())
        self.grad = 2.0 * (self.CY - self.lam[:, None] * Y)


def _hess(cost: Cost, x: _Point, U: np.ndarray) -> np.ndarray:
    return 2.0 * project(x.Y, cost.dot(U) - x.lam[:, None] * U)


def _tcg(
    cost: Cost, x: _Point, radius: float, max_inner: int, kappa: float, theta: float
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Truncated CG on the model ``<g, e> + <e, H e>/2`` inside the radius. Returns the step,
    its Hessian image, the inner iterations and whether the boundary was hit."""
    fused = HAVE_NUMBA and cost.sparse
    if fused:
        M = cost.mat
        ip = M.indptr.astype(np.int64, copy=False)
        ix = M.indices.astype(np.int64, copy=False)
    g = x.grad
    eta = np.zeros_like(g)
    Heta = np.zeros_like(g)
    Hd = np.empty_like(g)
    r = g.copy()
    rr = inner(r, r)
    r0 = math.sqrt(rr)
    d = -r
    e_e = 0.0
    e_d = 0.0
    d_d = rr
    for j in range(1, max_inner + 1):
        if fused:
            dHd = _hess_csr(ip, ix, M.data, x.Y, x.lam, d, Hd)
        else:
            Hd = _hess(cost, x, d)
            dHd = inner(d, Hd)
        alpha = rr / dHd if dHd > 0 else 0.0
        new_norm2 = e_e + 2 * alpha * e_d + alpha * alpha * d_d
        if dHd <= 0 or new_norm2 >= radius * radius:
            tau = (-e_d + math.sqrt(max(e_d * e_d + d_d * (radius * radius - e_e), 0.0))) / d_d
            return eta + tau * d, Heta + tau * Hd, j, True
        e_e = new_norm2
        if fused:
            rr_new = _cg_step(eta, Heta, r, d, Hd, alpha)
        else:
            eta += alpha * d
            Heta += alpha * Hd
            r += alpha * Hd
            rr_new = inner(r, r)
        if math.sqrt(rr_new) <= r0 * min(r0**theta, kappa):
            return eta, Heta, j, False
        beta = rr_new / rr
        rr = rr_new
        if fused:
            _cg_dir(d, r, beta)
        else:
            d = -r + beta * d
        e_d = beta * (e_d + alpha * d_d)
        d_d = rr + beta * beta * d_d
    return eta, Heta, max_inner, False


def rtr(
    cost: Cost,
    Y: np.ndarray,
    *,
    grad_tol: float,
    max_iter: int = 1000,
    max_inner: int | None = None,
    deadline: float | None = None,
    loose_tol: float | None = None,
    extra_time: float = 0.25,
) -> tuple[np.ndarray, int, float]:
    """Minimize ``<C, Y Y^T>`` over unit-row ``Y`` from ``Y`` until ``||grad f|| <=
    grad_tol`` (Frobenius), ``max_iter`` outer iterations or the deadline. Returns
    ``(Y, iterations, gradient norm)``.

    Once ``||grad f|| <= loose_tol`` (if given), the run continues towards ``grad_tol`` for
    at most ``extra_time`` times the time spent so far: fast (superlinear) runs reach the
    tight tolerance at little cost, slow ones (ill-conditioned grids, where the gradient
    norm stalls and oscillates) stop early and leave the decision to the certificate."""
    n, p = Y.shape
    x = _Point(cost, Y)
    delta_bar = math.sqrt(n) * math.pi
    radius = delta_bar / 8.0
    max_inner = max_inner or min(n * max(p - 1, 1), 500)
    gnorm = math.sqrt(inner(x.grad, x.grad))
    it = 0
    start = time.perf_counter()
    soft_deadline = None
    while it < max_iter and gnorm > grad_tol:
        now = time.perf_counter()
        if deadline is not None and now > deadline:
            break
        if soft_deadline is None and loose_tol is not None and gnorm <= loose_tol:
            soft_deadline = now + extra_time * (now - start)
        if soft_deadline is not None and now >= soft_deadline:
            break
        it += 1
        eta, Heta, _, hit = _tcg(cost, x, radius, max_inner, kappa=0.1, theta=1.0)
        model_dec = -(inner(x.grad, eta) + 0.5 * inner(eta, Heta))
        x_new = _Point(cost, retract(x.Y, eta))
        actual = x.f - x_new.f
        # regularised ratio (Manopt's rho_regularization) against round-off near optimum
        reg = max(1.0, abs(x.f)) * 1e3 * np.finfo(float).eps
        rho = (actual + reg) / (model_dec + reg) if model_dec + reg > 0 else -1.0
        if rho < 0.25:
            radius *= 0.25
        elif rho > 0.75 and hit:
            radius = min(2.0 * radius, delta_bar)
        if rho > 0.1 and actual >= -reg:
            x = x_new
            gnorm = math.sqrt(inner(x.grad, x.grad))
        if radius < 1e-14 * delta_bar:
            break
    return x.Y, it, gnorm


__all__ = ["rtr"]
