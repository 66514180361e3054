"""MaxCut by its Goemans–Williamson SDP relaxation (Goemans & Williamson, J. ACM 42(6),
1995): ``max <L/4, X>`` s.t. ``diag(X) = 1``, ``X`` PSD, solved in the equivalent min form
``min <A, X>`` (``<L/4, X> = (sum_ij a_ij - <A, X>)/4``, reference §1) by the certified
Burer–Monteiro solver, then rounded by random hyperplanes (best of several)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int
from theorylab.sdp.graphs import as_adjacency
from theorylab.sdp.problem import as_cost, normalize_rows
from theorylab.sdp.solver import SDPResult, _solve


@dataclass
class MaxCutResult:
    """Result of :func:`maxcut` (max form).

    ``sdp_value = <L/4, Y Y^T>`` (a lower bound on the SDP value, an upper bound on nothing);
    ``upper_bound`` the certified upper bound on the SDP value, hence on the max cut;
    ``gap = upper_bound - sdp_value``; ``certified`` when ``gap <= tol * |sdp_value|``;
    ``lambda_min`` the smallest eigenvalue of the slack ``A - Diag(diag(A Y Y^T))``;
    ``cut`` a ±1 vector from hyperplane rounding and ``cut_value`` its weight."""

    Y: np.ndarray
    sdp_value: float
    upper_bound: float
    gap: float
    certified: bool
    lambda_min: float
    rank: int
    cut: np.ndarray
    cut_value: float
    iterations: int
    seconds: float
    sdp: SDPResult

    @property
    def rel_gap(self) -> float:
        if self.gap <= 0:
            return 0.0
        return self.gap / abs(self.sdp_value) if self.sdp_value != 0 else float("inf")


def cut_values(A: Any, X: np.ndarray) -> np.ndarray:
    """Weights of the cuts given by the ±1 columns of ``X`` (``(n, k)``):
    ``(sum_ij a_ij - x^T A x) / 4`` per column."""
    A = as_adjacency(A, "A") if not sp.issparse(A) else A
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    total = float(A.sum())
    return (total - np.einsum("ij,ij->j", X, np.asarray(A @ X))) / 4.0


def gw_round(
    A: Any, Y: np.ndarray, *, n_rounds: int = 64, seed: SeedLike = 0
) -> tuple[np.ndarray, float]:
    """Goemans–Williamson random-hyperplane rounding of the factor ``Y`` (``(n, p)``):
    ``x = sign(Y r)`` for ``n_rounds`` Gaussian ``r`` (seeded; sign(0) = +1), keeping the
    best cut. For weights >= 0, ``E[cut] >= 0.87856 <L/4, Y Y^T>`` (GW 1995, Thm 3.3).
    Returns ``(x, cut weight)``."""
    A = as_adjacency(A, "A")
    n_rounds = check_int(n_rounds, "n_rounds", min_value=1)
    Y = normalize_rows(Y)
    if Y.shape[0] != A.shape[0]:
        raise ValueError(f"Y must have {A.shape[0]} rows; got {Y.shape[0]}")
    R = as_generator(seed).standard_normal((Y.shape[1], n_rounds))
    X = np.where(Y @ R >= 0, 1.0, -1.0)
    vals = cut_values(A, X)
    k = int(np.argmax(vals))
    return X[:, k].copy(), float(vals[k])


def maxcut(
    graph: Any,
    *,
    rank: int | str = "auto",
    method: str = "auto",
    tol: float = 1e-6,
    max_time: float | None = None,
    seed: SeedLike = 0,
    n_rounds: int = 64,
    max_rank: int | None = None,
) -> MaxCutResult:
    """Solve the MaxCut SDP of ``graph`` with a certified bound and round it.

    ``graph``: SciPy sparse or dense weight matrix (symmetric; the diagonal is ignored), a
    networkx graph (``weight`` attribute) or the path of a G-set/rudy file. ``rank``,
    ``method``, ``tol``, ``max_time``, ``seed``, ``max_rank`` as in
    :func:`~theorylab.sdp.solve_diag_sdp`; ``tol`` is relative to the max-form value.
    Returns a :class:`MaxCutResult`. Memory O(n p + edges).
    """
    if isinstance(graph, (str, os.PathLike)) and not os.path.exists(graph):
        raise ValueError(f"graph: no such file {str(graph)!r}")
    start = time.perf_counter()
    A = as_adjacency(graph, "graph")
    total = float(A.sum())
    cost = as_cost(A)
    res = _solve(
        cost,
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
    upper = (total - res.lower_bound) / 4.0
    gap = max(upper - sdp_value, 0.0)
    x, cut = gw_round(A, res.Y, n_rounds=n_rounds, seed=seed)
    certified = res.rigorous and gap <= tol * abs(sdp_value) if sdp_value != 0 else gap == 0
    return MaxCutResult(
        Y=res.Y,
        sdp_value=sdp_value,
        upper_bound=upper,
        gap=gap,
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
