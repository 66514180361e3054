"""Unary encoding: SUE (basic one-time RAPPOR, Erlingsson, Pihur, Korolova 2014) and OUE
(optimized unary encoding, Wang, Blocki, Li, Jha 2017, Section 4.3)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab.ldp.base import SupportOracle, calibrate, chunk_rows
from theorylab.ldp.sampling import DENOMINATOR, RandomSource, realized, threshold


class _Unary(SupportOracle):
    """One-hot vector of length k, each bit reported 1 independently with probability P1
    (the true bit) or P0 (every other bit).

    Reports: ``uint8`` array ``(n, ceil(k/8))``, the bit vectors packed little-endian
    (``numpy.packbits(..., bitorder="little")``); ``bits = k``.
    """

    _m1: int  # threshold of P(bit = 1 | true bit)
    _m0: int  # threshold of P(bit = 1 | other bit)

    @property
    def bits(self) -> int:
        return self.k

    @property
    def output_size(self) -> int:
        return 1 << self.k

    @property
    def statistic_size(self) -> int:
        return self.k

    @property
    def worst_ratio(self) -> Fraction:
        p1, p0 = self._p1, self._p0
        return (p1 / p0) * ((1 - p0) / (1 - p1))

    @property
    def _nbytes(self) -> int:
        return (self.k + 7) // 8

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        out = np.empty((n, self._nbytes), dtype=np.uint8)
        cols = np.arange(self.k)
        for sl in chunk_rows(n, self.k):
            u = src.bits53((sl.stop - sl.start, self.k))
            thr = np.where(cols[None, :] == items[sl, None], self._m1, self._m0).astype(np.uint64)
            out[sl] = np.packbits(u < thr, axis=1, bitorder="little")
        return out

    def _probabilities(self, item: int) -> np.ndarray:
        ids = np.arange(1 << self.k, dtype=np.int64)
        bits = (ids[:, None] >> np.arange(self.k)[None, :]) & 1
        p = np.where(np.arange(self.k) == item, float(self._p1), float(self._p0))
        return np.prod(np.where(bits == 1, p[None, :], 1 - p[None, :]), axis=1)

    def _check_reports(self, reports: Any) -> np.ndarray:
        arr = np.asarray(reports)
        if arr.dtype != np.uint8:
            raise TypeError(
                f"reports must be packed uint8 bit vectors for {self.name}; got dtype {arr.dtype}"
            )
        if arr.ndim != 2 or arr.shape[1] != self._nbytes:
            raise ValueError(
                f"reports must have shape (n, {self._nbytes}) for {self!r}; got {arr.shape} "
                "(reports from another oracle configuration?)"
            )
        if self.k % 8 and arr.size and np.any(arr[:, -1] >> (self.k % 8)):
            raise ValueError(f"reports have bits set beyond item k - 1 = {self.k - 1}")
        return arr

    def _statistic(self, reports: np.ndarray) -> np.ndarray:
        total = np.zeros(self.k, dtype=np.int64)
        for sl in chunk_rows(reports.shape[0], self.k):
            bits = np.unpackbits(reports[sl], axis=1, count=self.k, bitorder="little")
            total += bits.sum(axis=0, dtype=np.int64)
        return total

    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        return counts

    def _report_ids(self, reports: np.ndarray) -> np.ndarray:
        if self.k > 62:
            raise ValueError("report_ids needs k <= 62 for unary oracles")
        weights = np.left_shift(1, 8 * np.arange(self._nbytes, dtype=np.int64))
        return reports.astype(np.int64) @ weights


class SUE(_Unary):
    """Symmetric unary encoding = basic one-time RAPPOR (Erlingsson et al. 2014; Wang et al.
    2017, Section 4.3): every bit of the one-hot vector flips with probability
    ``1 / (e^(eps/2) + 1)``. ``P1 = e^(eps/2)/(e^(eps/2)+1)``, ``P0 = 1 - P1``,
    ``V = e^(eps/2) / (e^(eps/2) - 1)^2``. The flip probability is rounded up to the 2^-53
    grid (then calibrated), which keeps the realised ratio below e^eps.
    """

    name = "SUE"

    def __init__(self, k: int, epsilon: float) -> None:
        super().__init__(k, epsilon)
        h = math.exp(self.epsilon / 2)

        def ratio(m: int) -> Fraction:
            f = realized(m)
            return ((1 - f) / f) ** 2

        flip = calibrate(threshold(1 / (h + 1), direction="up"), ratio, self.epsilon, +1)
        self._m0 = flip
        self._m1 = DENOMINATOR - flip
        self._p0 = realized(self._m0)
        self._p1 = realized(self._m1)


class OUE(_Unary):
    """Optimized unary encoding (Wang et al. 2017, Section 4.3, Eq. (10)): the true bit is 1
    with probability 1/2, every other bit with probability ``1/(e^eps + 1)``;
    ``V = 4 e^eps / (e^eps - 1)^2``. P0 is rounded up to the 2^-53 grid (then calibrated).
    """

    name = "OUE"

    def __init__(self, k: int, epsilon: float) -> None:
        super().__init__(k, epsilon)
        e = math.exp(self.epsilon)
        self._m1 = DENOMINATOR // 2

        def ratio(m: int) -> Fraction:
            p0 = realized(m)
            return (1 - p0) / p0

        self._m0 = calibrate(threshold(1 / (e + 1), direction="up"), ratio, self.epsilon, +1)
        self._p1 = realized(self._m1)
        self._p0 = realized(self._m0)
