"""MaxCut by its Goemans–Williamson SDP relaxation (Goemans & Williamson, J. ACM 42(6),
1995): ``max <L/4, X>`` s.t. ``diag(X) = 1``, ``X`` PSD, solved in the equivalent min form
``min <A, X>`` (``<L/4, X> = (sum_ij a_ij - <A, X>)/4``, since ``diag(X) = 1``) by the
certified Burer–Monteiro solver, then rounded by random hyperplanes (best of several).

The graph is validated once, by :func:`maxcut` (or :func:`gw_round`, :func:`cut_values` when
called directly); the private cores ``_gw_round`` and ``_cut_values`` take the validated
CSR matrix.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from theorylab._core.results import SKIP, Certified, Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int
from theorylab.sdp.graphs import as_adjacency
from theorylab.sdp.problem import _normalized, sparse_cost
from theorylab.sdp.solver import SDPResult, _solve


@dataclass(frozen=True, slots=True)
class MaxCutResult(Certified, Result):
    """Result of :func:`maxcut` in max form (Goemans & Williamson 1995, Sec. 3).

    ``value`` (also readable as ``sdp_value``) ``= <L/4, Y Y^T>``, a lower bound on the SDP
    value; ``bound`` (also ``upper_bound``) the certified upper bound on the SDP value,
    hence on the max cut; ``gap = upper_bound - sdp_value``, ``rel_gap``, ``lower`` and
    ``upper`` as for every certified result; ``certified`` when ``gap <= tol * |sdp_value|``
    with a rigorous bound; ``lambda_min`` the smallest eigenvalue of the slack
    ``A - Diag(diag(A Y Y^T))``; ``cut`` a ±1 vector from hyperplane rounding and
    ``cut_value`` its weight; ``sdp`` the min-form :class:`~theorylab.sdp.SDPResult`.
    ``to_dict()`` leaves out the factor ``Y`` (``n p`` numbers) and keeps ``cut``."""

    sense: ClassVar[str] = "max"
    Y: np.ndarray = field(metadata=SKIP)
    value: float
    bound: float
    certified: bool
    lambda_min: float
    rank: int
    cut: np.ndarray
    cut_value: float
    iterations: int
    seconds: float
    sdp: SDPResult

    @property
    def sdp_value(self) -> float:
        """``value``: the max-form objective ``<L/4, Y Y^T>`` of the factor."""
        return self.value

    @property
    def upper_bound(self) -> float:
        """``bound``: the certified upper bound on the SDP value (and on the max cut)."""
        return self.bound


def _cut_values(A: sp.csr_matrix, X: np.ndarray, total: float) -> np.ndarray:
    return (total - np.einsum("ij,ij->j", X, np.asarray(A @ X))) / 4.0


def cut_values(A: Any, X: Any) -> np.ndarray:
    """Weights of the cuts given by the ±1 columns of ``X`` (``(n, k)``, or one ``(n,)``
    vector): ``(sum_ij a_ij - x^T A x) / 4`` per column, i.e. ``x^T L x / 4`` (Goemans &
    Williamson 1995, Sec. 3). ``A`` is any graph :func:`~theorylab.sdp.as_adjacency`
    accepts."""
    A = as_adjacency(A, "A")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] != A.shape[0]:
        raise ValueError(f"X must have shape ({A.shape[0]}, k) or ({A.shape[0]},); got {X.shape}")
    if not np.isin(X, (-1.0, 1.0)).all():
        raise ValueError("X must hold ±1 entries (one side of the cut per sign)")
    return _cut_values(A, X, float(A.sum()))


def _gw_round(
    A: sp.csr_matrix, Y: np.ndarray, n_rounds: int, gen: np.random.Generator, total: float
) -> tuple[np.ndarray, float]:
    R = gen.standard_normal((Y.shape[1], n_rounds))
    X = np.where(Y @ R >= 0, 1.0, -1.0)
    vals = _cut_values(A, X, total)
    k = int(np.argmax(vals))
    return X[:, k].copy(), float(vals[k])


def gw_round(
    A: Any, Y: Any, *, n_rounds: int = 64, seed: SeedLike = None
) -> tuple[np.ndarray, float]:
    """Goemans–Williamson random-hyperplane rounding of the factor ``Y`` (``(n, p)``):
    ``x = sign(Y r)`` for ``n_rounds`` Gaussian ``r`` (sign(0) = +1), keeping the best cut.
    For weights >= 0, ``E[cut] >= 0.87856 <L/4, Y Y^T>`` (Goemans & Williamson 1995,
    Thm 3.3). ``seed`` (int, None or a numpy/torch Generator) draws the hyperplanes.
    Returns ``(x, cut weight)``."""
    A = as_adjacency(A, "A")
    n_rounds = check_int(n_rounds, "n_rounds", min_value=1)
    Y = _normalized(Y, A.shape[0], "Y")
    return _gw_round(A, Y, n_rounds, as_generator(seed), float(A.sum()))


def maxcut(
    graph: Any,
    *,
    rank: int | str = "auto",
    method: str = "auto",
    tol: float = 1e-6,
    max_time: float | None = None,
    seed: SeedLike = None,
    n_rounds: int = 64,
    max_rank: int | None = None,
) -> MaxCutResult:
    """Solve the MaxCut SDP of ``graph`` (Goemans & Williamson 1995) with a certified bound
    and round it.

    ``graph``: SciPy sparse or dense weight matrix (symmetric; the diagonal is ignored), a
    networkx graph (``weight`` attribute) or the path of a G-set/rudy file. ``rank``,
    ``method``, ``tol``, ``max_time``, ``max_rank`` as in
    :func:`~theorylab.sdp.solve_diag_sdp`; ``tol`` is relative to the max-form value.
    ``seed`` (int, None or a numpy/torch Generator) seeds the solver and the rounding
    (an int seeds each from the start). Returns a :class:`MaxCutResult`. Memory
    O(n p + edges); the graph is converted and checked once.
    """
    if isinstance(graph, (str, os.PathLike)) and not os.path.exists(graph):
        raise ValueError(f"graph: no such file {str(graph)!r}")
    start = time.perf_counter()
    A = as_adjacency(graph, "graph")
    n_rounds = check_int(n_rounds, "n_rounds", min_value=1)
    total = float(A.sum())
    res = _solve(
        sparse_cost(A),
        rank=rank,
        method=method,
        tol=tol,
        max_time=max_time,
        seed=seed,
        max_rank=max_rank,
        Y0=None,
        gap_scale=lambda f: abs(total - f),
    )
    sdp_value = (total - res.value) / 4.0
    upper = (total - res.bound) / 4.0
    gap = max(upper - sdp_value, 0.0)
    x, cut = _gw_round(A, res.Y, n_rounds, as_generator(seed), total)
    certified = res.rigorous and gap <= tol * abs(sdp_value) if sdp_value != 0 else gap == 0
    return MaxCutResult(
        Y=res.Y,
        value=sdp_value,
        bound=upper,
        certified=bool(certified),
        lambda_min=res.lambda_min,
        rank=res.rank,
        cut=x,
        cut_value=cut,
        iterations=res.iterations,
        seconds=time.perf_counter() - start,
        sdp=res,
    )


__all__ = ["MaxCutResult", "cut_values", "gw_round", "maxcut"]
