"""Subset selection (Ye and Barg 2018, IEEE Trans. IT, Section III; Wang et al. 2016,
arXiv:1607.08025): report a d-subset of the items that contains the true one more often."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab._core.accel import jit
from theorylab._core.validation import check_int
from theorylab.ldp.base import SupportOracle, calibrate, ceil_log2, check_int_reports, chunk_rows
from theorylab.ldp.sampling import RandomSource, realized, threshold


def ss_variance_factor(k: int, d: int, epsilon: float) -> float:
    """Per-user variance factor ``P0 (1 - P0) / (P1 - P0)^2`` of subset selection with the
    ideal probabilities ``P1 = d e^eps / (d e^eps + k - d)``."""
    e = math.exp(epsilon)
    p1 = d * e / (d * e + k - d)
    p0 = p1 * (d - 1) / (k - 1) + (1 - p1) * d / (k - 1)
    return p0 * (1 - p0) / (p1 - p0) ** 2


def best_subset_size(k: int, epsilon: float) -> int:
    """The ``d`` in ``[1, k-1]`` minimising :func:`ss_variance_factor` (near ``k/(e^eps+1)``)."""
    e = math.exp(epsilon)
    d = np.arange(1, k, dtype=np.float64)
    p1 = d * e / (d * e + k - d)
    p0 = p1 * (d - 1) / (k - 1) + (1 - p1) * d / (k - 1)
    v = p0 * (1 - p0) / (p1 - p0) ** 2
    return int(np.argmin(v)) + 1


def _floyd_kernel(
    items: Any, keep: Any, draws: Any, big_n: int, out: Any
) -> None:  # pragma: no cover - compiled by numba; SS._floyd is the reference
    """:meth:`SS._floyd` one user at a time (numba kernel), with one reusable bitmap:
    ``draws[it, i]`` is user i's uniform draw in ``[0, big_n - d + it]`` at pass ``it``."""
    d, m = draws.shape
    seen = np.zeros(big_n, dtype=np.bool_)
    chosen = np.empty(d, dtype=np.int64)
    for i in range(m):
        x = items[i]
        out[i, 0] = x
        for it in range(d):
            j = big_n - d + it
            t = draws[it, i]
            c = j if seen[t] else t
            chosen[it] = c
            if it == 0 and keep[i]:
                continue
            seen[c] = True
            out[i, it] = c + (1 if c >= x else 0)
        for it in range(d):
            seen[chosen[it]] = False


_floyd_nb = jit(_floyd_kernel)


class SS(SupportOracle):
    """Subset selection (Ye and Barg 2018; Wang et al. 2016): output a d-subset S with
    ``P(S) ∝ e^eps`` if ``x ∈ S``, else ``∝ 1``.

    Exact sampler: with probability ``P1 = d e^eps / (d e^eps + k - d)``
    report ``{x}`` plus ``d - 1`` uniform distinct items of ``[k] \\ {x}``, otherwise ``d``
    uniform distinct items of ``[k] \\ {x}`` (the fill never contains x: the authors' C++ gets
    this wrong). Uniform subsets come from Floyd's algorithm (Bentley and Floyd 1987),
    vectorised over users with a per-chunk bitmap: ``d`` passes, no rejection.

    ``d="auto"`` minimises the exact variance (close to ``k / (e^eps + 1)``). Reports: int16
    (int32 above k = 2^15, int64 above 2^31) array ``(n, d)`` of distinct items (the true
    item, when kept, in column 0). ``bits = ceil(log2 C(k, d))``, the size of an
    enumerative code for the subset.
    """

    name = "SS"

    def __init__(self, k: int, epsilon: float, *, d: int | str = "auto") -> None:
        super().__init__(k, epsilon)
        if isinstance(d, str):
            if d != "auto":
                raise ValueError(f"d must be 'auto' or an int in [1, k-1]; got {d!r}")
            d = best_subset_size(self.k, self.epsilon)
        self.d = check_int(d, "d", min_value=1, max_value=self.k - 1)
        e = math.exp(self.epsilon)
        k, d = self.k, self.d
        self._keep = calibrate(
            threshold(d * e / (d * e + k - d), direction="down"),
            lambda m: realized(m) * (k - d) / ((1 - realized(m)) * d),
            self.epsilon,
            -1,
        )
        self._p1 = realized(self._keep)
        self._p0 = self._p1 * Fraction(d - 1, k - 1) + (1 - self._p1) * Fraction(d, k - 1)
        self._dtype = np.int16 if k <= (1 << 15) else np.int32 if k < (1 << 31) else np.int64

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("d", self.d),)

    @property
    def bits(self) -> int:
        return ceil_log2(math.comb(self.k, self.d))

    @property
    def output_size(self) -> int:
        return math.comb(self.k, self.d)

    @property
    def statistic_size(self) -> int:
        return self.k

    @property
    def worst_ratio(self) -> Fraction:
        return self._p1 * (self.k - self.d) / ((1 - self._p1) * self.d)

    def _floyd(
        self, items: np.ndarray, keep: np.ndarray, draw: Callable[[int, int], np.ndarray]
    ) -> np.ndarray:
        """Deterministic part of the sampler. ``draw(it, j)`` gives the users' uniform draws
        in ``[0, j]`` at pass ``it``; kept users ignore pass 0 and put x in column 0."""
        m = items.shape[0]
        big_n = self.k - 1  # the fill is drawn from [k-1], then shifted past x
        out = np.empty((m, self.d), dtype=self._dtype)
        out[:, 0] = items
        seen = np.zeros((m, big_n), dtype=bool)
        rows = np.arange(m)
        for it, j in enumerate(range(big_n - self.d, big_n)):
            t = draw(it, j)
            choice = np.where(seen[rows, t], j, t)
            if it == 0:
                act = ~keep
                seen[rows[act], choice[act]] = True
                out[act, 0] = choice[act] + (choice[act] >= items[act])
            else:
                seen[rows, choice] = True
                out[:, it] = choice + (choice >= items)
        return out

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        keep = src.bernoulli(self._keep, n)
        out = np.empty((n, self.d), dtype=self._dtype)
        big_n = self.k - 1
        for sl in chunk_rows(n, self.k, budget=1 << 22):
            m = sl.stop - sl.start
            if _floyd_nb is not None:  # same draws, same order as the NumPy path
                draws = np.stack([src.integers(j + 1, m) for j in range(big_n - self.d, big_n)])
                _floyd_nb(items[sl], keep[sl], draws, big_n, out[sl])
                continue

            def draw(it: int, j: int, m: int = m) -> np.ndarray:
                return src.integers(j + 1, m)

            out[sl] = self._floyd(items[sl], keep[sl], draw)
        return out

    def _probabilities(self, item: int) -> np.ndarray:
        big_n = self.k - 1
        highs = [j + 1 for j in range(big_n - self.d, big_n)]
        total = math.prod(highs)
        if total > (1 << 22):
            raise ValueError("probabilities() for SS enumerates at most 2^22 random inputs")
        grids = np.meshgrid(*[np.arange(h) for h in highs], indexing="ij")
        draws = [g.ravel() for g in grids]
        m = draws[0].size
        x = np.full(m, item)
        out = np.zeros(self.output_size)
        for kept, weight in ((True, float(self._p1)), (False, float(1 - self._p1))):
            sub = self._floyd(x, np.full(m, kept), lambda it, j: draws[it])
            ids = self._report_ids(sub)
            # kept users ignore pass 0, so each of their subsets appears highs[0] times
            w = weight / total
            out += np.bincount(ids, minlength=out.size) * w
        return out

    def _check_reports(self, reports: Any) -> np.ndarray:
        arr = check_int_reports(reports, self.k, shape_tail=(self.d,))
        if self.d > 1 and arr.size:
            s = np.sort(arr, axis=1)
            if np.any(s[:, 1:] == s[:, :-1]):
                raise ValueError("each SS report must hold d distinct items")
        return arr

    def _statistic(self, reports: np.ndarray) -> np.ndarray:
        total = np.zeros(self.k, dtype=np.int64)
        for sl in chunk_rows(reports.shape[0], self.d, budget=1 << 20):
            total += np.bincount(reports[sl].ravel(), minlength=self.k)
        return total

    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        return counts

    def _report_ids(self, reports: np.ndarray) -> np.ndarray:
        """Colexicographic rank of each subset: ``sum_i C(s_i, i+1)`` over sorted members."""
        s = np.sort(reports.astype(np.int64), axis=1)
        if self.output_size >= (1 << 62):
            raise ValueError("report_ids needs C(k, d) < 2^62")
        comb = np.array(
            [[math.comb(v, i + 1) for i in range(self.d)] for v in range(self.k)], dtype=np.int64
        )
        return comb[s, np.arange(self.d)[None, :]].sum(axis=1)
