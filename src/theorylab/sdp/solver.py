"""Burer–Monteiro solver with the Riemannian staircase and certificates.

``solve_diag_sdp(C)`` solves ``min <C, X>`` s.t. ``diag(X) = 1``, ``X`` PSD by factoring
``X = Y Y^T`` (Burer & Monteiro 2003) and optimizing over unit-row ``Y`` with the mixing
method (Wang, Chang, Kolter 2017) and/or Riemannian trust regions (Absil, Baker, Gallivan
2007). With ``rank="auto"`` it climbs the Riemannian staircase (Boumal 2015, Alg. 1): from a
small rank, solve, certify; when the slack ``S`` has a negative eigenvalue with eigenvector
``u``, append a column and step along the escape direction ``[0, u]`` (curvature
``2 u^T S u < 0``), never past the Boumal–Voroninski–Bandeira rank ``p(p+1)/2 > n``
unless ``max_rank`` asks for more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from theorylab._core.deprecation import deprecated_alias
from theorylab._core.results import SKIP, Certified, Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_choice, check_int, check_real
from theorylab.sdp.certificate import Certificate, _certificate
from theorylab.sdp.mixing import HAVE_NUMBA, mixing
from theorylab.sdp.problem import (
    Cost,
    _normalized,
    _random_point,
    _unit_rows,
    _value,
    as_cost,
    retract,
)
from theorylab.sdp.ranks import rank_threshold
from theorylab.sdp.rtr import rtr

# First staircase rank: ceil(sqrt(n)/2), at most _P0_CAP. Measured numerical ranks of MaxCut
# SDP solutions are 6-24 (G-set n = 800-20000, measured), so a cap of 32 rarely needs an
# escape step, while every mixing sweep and Hessian product costs O(nnz p).
_P0_CAP = 32
# RTR aims at ``gfac`` (1e-2, then tightened by 1e-2 per round when the certificate asks), but
# may stop soon after the gradient is ``_LOOSE`` times larger when progress is slow (see
# ``rtr(loose_tol=...)``); the certificate then decides whether to go on.
_LOOSE = 1e3
METHODS = ("auto", "mixing", "rtr")


@dataclass(frozen=True, slots=True)
class SDPResult(Certified, Result):
    """Result of :func:`solve_diag_sdp` in min form (Burer & Monteiro 2003; certificate of
    Boumal, Voroninski, Bandeira 2016, §4).

    ``Y`` the factor (unit rows, ``X = Y Y^T``); ``value = <C, Y Y^T>`` (an upper bound on
    the SDP value); ``bound`` the certified lower bound (formerly ``lower_bound``, still
    readable with a ``DeprecationWarning``); ``gap = value - bound``, ``rel_gap``, ``lower``
    and ``upper`` as for every certified result; ``certified`` whether the proved gap is
    ``<= tol * |value|``; ``lambda_min`` the smallest eigenvalue estimate of the slack
    ``S`` and ``lambda_interval`` its proved bracket; ``rank`` the final number of columns;
    ``ranks`` the staircase visited; ``iterations`` mixing sweeps plus trust-region
    iterations; ``certificate`` the final :class:`~theorylab.sdp.Certificate`.
    ``to_dict()`` leaves out ``Y`` (``n p`` numbers) and ``certificate`` (whose numbers
    are the fields above)."""

    sense: ClassVar[str] = "min"
    Y: np.ndarray = field(metadata=SKIP)
    value: float
    bound: float
    certified: bool
    lambda_min: float
    lambda_interval: tuple[float, float]
    rigorous: bool
    rank: int
    iterations: int
    seconds: float
    method: str
    ranks: tuple[int, ...] = ()
    certificate: Certificate | None = field(default=None, metadata=SKIP)

    lower_bound = deprecated_alias("bound", "lower_bound")


def _check_rank(rank: Any, n: int) -> int | None:
    if isinstance(rank, str):
        if rank != "auto":
            raise ValueError(f"rank must be 'auto' or an int >= 1; got {rank!r}")
        return None
    return check_int(rank, "rank", min_value=1, max_value=max(n, 1))


def _escape_step(cost: Cost, Y: np.ndarray, u: np.ndarray, mu: float, grow: bool) -> np.ndarray:
    """One staircase step: at ``[Y, 0]`` (``grow``) or, for a rank-deficient ``Y``, at ``Y``
    itself along ``u w^T`` with ``Y w = 0``; Armijo backtracking on ``f`` (Boumal 2015)."""
    n, p = Y.shape
    if grow:
        Y0 = np.hstack([Y, np.zeros((n, 1))])
        U = np.zeros((n, p + 1))
        U[:, p] = u
    else:
        w = np.linalg.svd(Y, full_matrices=False)[2][-1]
        Y0, U = Y, np.outer(u, w)
    f0 = _value(cost, Y0)
    alpha = math.sqrt(n)
    for _ in range(60):
        Y1 = retract(Y0, alpha * U)
        if _value(cost, Y1) <= f0 + 0.25 * alpha * alpha * mu:
            return Y1
        alpha *= 0.5
    return retract(Y0, alpha * U)


def _rank_deficient(Y: np.ndarray) -> bool:
    s = np.linalg.svd(Y, compute_uv=False)
    return bool(s[-1] <= 1e-7 * s[0])


def _solve(
    cost: Cost,
    *,
    rank: Any,
    method: str,
    tol: float,
    max_time: float | None,
    seed: SeedLike,
    max_rank: int | None,
    Y0: Any,
    gap_scale: Callable[[float], float],
) -> SDPResult:
    start = time.perf_counter()
    n = cost.n
    fixed = _check_rank(rank, n)
    method = check_choice(method, "method", METHODS)
    tol = check_real(tol, "tol", min_value=0.0, strict_min=True)
    deadline = None
    if max_time is not None:
        deadline = start + check_real(max_time, "max_time", min_value=0.0, strict_min=True)
    p_max = (
        min(rank_threshold(n), n)
        if max_rank is None
        else check_int(max_rank, "max_rank", min_value=1)
    )
    if fixed is not None:
        p_max = fixed
    rng = as_generator(seed)
    if Y0 is not None:
        Y = _normalized(Y0, n, "Y0")
        if fixed is not None and Y.shape[1] != fixed:
            raise ValueError(f"Y0 has {Y.shape[1]} columns but rank = {fixed}")
    else:
        p_auto = max(2, min(_P0_CAP, math.ceil(math.sqrt(n) / 2)))
        p0 = fixed if fixed is not None else min(p_max, p_auto)
        Y = _random_point(n, p0, rng)
    use_mixing = method == "mixing" or (method == "auto" and HAVE_NUMBA)
    use_rtr = method == "rtr" or method == "auto"
    csr = cost.csr() if use_mixing else None
    scale = cost.abs_row_sum_max() + 1e-300
    mix_tol = 1e-6
    gfac = 1e-2  # ||grad f|| <= gfac * tol * scale(f) / sqrt(n): per-row residual ~ tol scale / n
    loose = _LOOSE
    stopped_early = False
    iterations = 0
    ranks = [Y.shape[1]]
    cert: Certificate | None = None
    for _round in range(100 + 4 * p_max):  # a cap on the outer loop (escapes + tightenings)
        if use_mixing:
            Y, k = mixing(csr, Y, rel_tol=mix_tol, deadline=deadline)
            iterations += k
        if use_rtr:
            f_now = gap_scale(_value(cost, Y)) + 1e-12 * scale
            grad_tol = max(gfac * tol * f_now / math.sqrt(n), 1e-14 * scale * math.sqrt(n))
            Y, k, gnorm = rtr(
                cost, Y, grad_tol=grad_tol, deadline=deadline, loose_tol=loose * grad_tol
            )
            stopped_early = gnorm > grad_tol
            iterations += k
        Y = _unit_rows(Y)
        f = _value(cost, Y)
        target = tol * gap_scale(f)
        cert = _certificate(cost, Y, target_gap=target, seed=int(rng.integers(2**31)), tight=False)
        if cert.gap <= target:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        CY = cost.dot(Y)
        G = CY - np.einsum("ij,ij->i", CY, Y)[:, None] * Y
        gmax = float(np.sqrt(np.einsum("ij,ij->i", G, G)).max())
        genuine = cert.escape is not None and cert.lambda_min < -max(10.0 * gmax, target / n)
        p = Y.shape[1]
        if genuine and _rank_deficient(Y):
            Y = _escape_step(cost, Y, cert.escape, cert.lambda_min, grow=False)
        elif genuine and p < p_max:
            Y = _escape_step(cost, Y, cert.escape, cert.lambda_min, grow=True)
            loose = _LOOSE
            ranks.append(Y.shape[1])
        elif genuine:
            break  # a genuine negative direction at the rank cap: not optimal at this rank
        elif stopped_early and loose > 1.0:
            loose = 1.0  # RTR stopped short of grad_tol: finish it before tightening
        else:
            if gfac < 1e-9 and (mix_tol < 1e-15 or not use_mixing):
                break  # stalled: nothing more to gain at this rank
            gfac *= 1e-2
            mix_tol *= 1e-2
    assert cert is not None
    target = tol * gap_scale(cert.value)
    if cert.gap > target and cost.sparse:  # report the tight proved bracket
        cert = _certificate(cost, Y, target_gap=target, seed=0, tight=True)
    return SDPResult(
        Y=Y,
        value=cert.value,
        bound=cert.bound,
        certified=bool(cert.gap <= target and cert.rigorous),
        lambda_min=cert.lambda_min,
        lambda_interval=cert.lambda_interval,
        rigorous=cert.rigorous,
        rank=Y.shape[1],
        iterations=iterations,
        seconds=time.perf_counter() - start,
        method=method if method != "auto" else ("mixing+rtr" if use_mixing else "rtr"),
        ranks=tuple(ranks),
        certificate=cert,
    )


def solve_diag_sdp(
    C: Any,
    *,
    rank: int | str = "auto",
    method: str = "auto",
    tol: float = 1e-6,
    max_time: float | None = None,
    seed: SeedLike = None,
    max_rank: int | None = None,
    Y0: Any = None,
) -> SDPResult:
    """Solve ``min <C, X>`` s.t. ``diag(X) = 1``, ``X`` PSD (``C`` symmetric ``(n, n)``,
    dense or SciPy sparse) by Burer–Monteiro factorization with a certificate.

    ``rank``: ``"auto"`` (Riemannian staircase from a small rank up to
    ``min(p_BVB, n)`` or ``max_rank``; Boumal 2015) or a fixed int ``p >= 1``.
    ``method``: ``"mixing"`` (Wang–Chang–Kolter 2017, numba), ``"rtr"`` (Riemannian trust
    regions, Absil–Baker–Gallivan 2007) or ``"auto"`` (mixing warm start, then RTR polish;
    RTR alone without numba). Stops when the certified gap is ``<= tol * |value|``, at
    ``max_time`` seconds, or when no progress is possible. ``Y0`` is an optional start;
    ``seed`` (int, None or a numpy/torch Generator) draws the random start and the
    eigensolver start vectors of the certificates. Returns an :class:`SDPResult`.
    """
    cost = as_cost(C)
    return _solve(
        cost,
        rank=rank,
        method=method,
        tol=tol,
        max_time=max_time,
        seed=seed,
        max_rank=max_rank,
        Y0=Y0,
        gap_scale=abs,
    )


__all__ = ["METHODS", "SDPResult", "solve_diag_sdp"]
