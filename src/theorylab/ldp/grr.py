"""Generalized (k-ary) randomized response (Warner 1965; Kairouz, Oh, Viswanath 2014;
Wang, Blocki, Li, Jha 2017, Section 4.1 "Direct Encoding")."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from theorylab.ldp.base import IndexReports, SupportOracle, calibrate
from theorylab.ldp.sampling import RandomSource, realized, threshold


class GRR(IndexReports, SupportOracle):
    """k-ary randomized response: report x with probability ``P1 = e^eps / (e^eps + k - 1)``,
    otherwise a uniform *other* item (Wang et al. 2017, Section 4.1).

    Reports: int64 array ``(n,)`` in ``[0, k)``; ``bits = ceil(log2 k)``. Per-user variance
    factor ``V = (e^eps + k - 2) / (e^eps - 1)^2``. The keep probability is realised as
    ``M / 2^53`` (rounded down, then calibrated so the ratio is <= e^eps exactly).
    """

    name = "GRR"

    def __init__(self, k: int, epsilon: float) -> None:
        super().__init__(k, epsilon)
        e = math.exp(self.epsilon)
        k1 = self.k - 1
        self._keep = calibrate(
            threshold(e / (e + k1), direction="down"),
            lambda m: realized(m) * k1 / (1 - realized(m)),
            self.epsilon,
            -1,
        )
        self._p1 = realized(self._keep)
        self._p0 = (1 - self._p1) / k1

    @property
    def output_size(self) -> int:
        return self.k

    @property
    def worst_ratio(self) -> Fraction:
        return self._p1 / self._p0

    @staticmethod
    def _map(items: np.ndarray, keep: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Deterministic part of the sampler: ``other`` in [0, k-1) skips the true item."""
        return np.where(keep, items, other + (other >= items))

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        keep = src.bernoulli(self._keep, n)
        other = src.integers(self.k - 1, n)
        return self._map(items, keep, other)

    def _probabilities(self, item: int) -> np.ndarray:
        out = np.zeros(self.k)
        other = np.arange(self.k - 1)
        x = np.full(other.shape, item)
        keep = np.ones_like(other, bool)
        np.add.at(out, self._map(x, keep, other), float(self._p1) / (self.k - 1))
        np.add.at(out, self._map(x, np.zeros_like(other, bool), other), float(self._p0))
        return out

    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        return counts
