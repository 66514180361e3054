"""Hadamard response: blocked HR (Acharya, Sun, Zhang 2019, AISTATS, Section 4, as
benchmarked by Feldman, Nelson, Nguyen, Talwar 2022) and recursive HR (Chen, Kairouz,
Ozgur 2020, NeurIPS, Section 4). Both decode with fast Walsh-Hadamard transforms."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab.ldp.base import IndexReports, Oracle, calibrate, ceil_log2
from theorylab.ldp.sampling import DENOMINATOR, RandomSource, ratio_within, realized, threshold


def fwht(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unnormalised Walsh-Hadamard transform along ``axis`` (length a power of two):
    ``out[i] = sum_j (-1)^popcount(i & j) a[j]`` (Sylvester order). O(L log L) per vector."""
    a = np.moveaxis(np.asarray(a), axis, -1)
    shape = a.shape
    length = shape[-1]
    if length & (length - 1):
        raise ValueError(f"fwht needs a power-of-two length; got {length}")
    out = a.reshape(-1, length).copy()
    h = 1
    while h < length:
        v = out.reshape(out.shape[0], length // (2 * h), 2, h)
        x = v[:, :, 0, :].copy()
        v[:, :, 0, :] += v[:, :, 1, :]
        v[:, :, 1, :] = x - v[:, :, 1, :]
        h *= 2
    return np.moveaxis(out.reshape(shape), -1, axis)


def _parity(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a.astype(np.uint64)) & 1


class HR(IndexReports, Oracle):
    """Blocked Hadamard response (Acharya, Sun, Zhang 2019, as the ``HadamardResponse`` of
    the code of Feldman, Nelson, Nguyen, Talwar 2022).

    ``B`` = the largest power of two below ``min(e^eps, 2k)`` blocks of ``b - 1`` items,
    ``b`` the smallest power of two with ``B (b - 1) >= k``. Item ``x`` is row
    ``i = x mod (b-1) + 1`` of block ``j = x div (b-1)``, with set ``C_x`` = the ``c`` in
    ``[b]`` with ``popcount(i & c)`` even. The report ``(j', c)`` has probability
    ``e^eps p`` on ``C_x`` in block ``j`` and ``p`` elsewhere. Estimator:
    ``c_x = F (N(C_x) - N(block j)/2)``, computed for all items with one FWHT per block.
    With ``B = 1`` (eps <= ln 2) this is the basic HR of Acharya et al.

    Reports: int64 ``(n,)`` in ``[0, B b)``; ``bits = log2(B b)``. The error of an item
    depends on how many users share its block (see :meth:`variance`).
    """

    name = "HR"

    def __init__(self, k: int, epsilon: float) -> None:
        super().__init__(k, epsilon)
        e = math.exp(self.epsilon)
        target = min(e, 2.0 * self.k)
        blocks = 1
        while blocks * 2 < target:
            blocks *= 2
        self.B = blocks
        b = 2
        while blocks * (b - 1) < self.k:
            b *= 2
        self.b = b
        st_ideal = (e + 1) / (e - 1 + 2 * blocks)
        self._st = DENOMINATOR if blocks == 1 else threshold(st_ideal, direction="nearest")
        self._ic = threshold(e / (e + 1), direction="down")
        for _ in range(1 << 16):  # calibrate: realised worst ratio <= e^eps
            if ratio_within(self._ratio(self._st, self._ic), self.epsilon):
                break
            if self.B > 1 and self._lows(self._st, self._ic)[1] < self._lows(self._st, self._ic)[0]:
                self._st -= 1
            else:
                self._ic -= 1
        st, ic = realized(self._st), realized(self._ic)
        self._F = 1 / (st * (ic - Fraction(1, 2)))

    def _lows(self, st_m: int, ic_m: int) -> tuple[Fraction, Fraction]:
        st, ic = realized(st_m), realized(ic_m)
        low1 = st * (1 - ic) / Fraction(self.b, 2)
        low2 = (1 - st) / ((self.B - 1) * self.b) if self.B > 1 else low1
        return low1, low2

    def _ratio(self, st_m: int, ic_m: int) -> Fraction:
        st, ic = realized(st_m), realized(ic_m)
        high = st * ic / Fraction(self.b, 2)
        return high / min(self._lows(st_m, ic_m))

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("B", self.B), ("b", self.b))

    @property
    def output_size(self) -> int:
        return self.B * self.b

    @property
    def worst_ratio(self) -> Fraction:
        return self._ratio(self._st, self._ic)

    def _map(
        self,
        items: np.ndarray,
        stay: np.ndarray,
        inside: np.ndarray,
        other_block: np.ndarray,
        c: np.ndarray,
    ) -> np.ndarray:
        j = items // (self.b - 1)
        i = items % (self.b - 1) + 1
        lowbit = i & -i
        wrong = _parity(i & c) != np.where(inside, 0, 1)
        c_in = np.where(wrong, c ^ lowbit, c)
        blk = np.where(stay, j, other_block + (other_block >= j))
        return blk * self.b + np.where(stay, c_in, c)

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        stay = src.bernoulli(self._st, n)
        inside = src.bernoulli(self._ic, n)
        other = src.integers(max(self.B - 1, 1), n)
        c = src.integers(self.b, n)
        return self._map(items, stay, inside, other, c)

    def _probabilities(self, item: int) -> np.ndarray:
        st, ic = float(realized(self._st)), float(realized(self._ic))
        b, nb = self.b, max(self.B - 1, 1)
        out = np.zeros(self.output_size)
        c = np.arange(b)
        for inside, w in ((True, st * ic / b), (False, st * (1 - ic) / b)):
            rep = self._map(np.full(b, item), np.ones(b, bool), np.full(b, inside), c * 0, c)
            np.add.at(out, rep, w)
        if self.B > 1:
            ob, cc = (a.ravel() for a in np.meshgrid(np.arange(nb), c, indexing="ij"))
            m = ob.size
            rep = self._map(np.full(m, item), np.zeros(m, bool), np.ones(m, bool), ob, cc)
            np.add.at(out, rep, (1 - st) / (nb * b))
        return out

    def _estimate_counts(self, counts: np.ndarray, n: int) -> np.ndarray:
        w = fwht(counts.reshape(self.B, self.b).astype(np.float64), axis=1)  # 2N(C) - N(blk)
        est = (float(self._F) / 2) * w[:, 1:].ravel()
        return est[: self.k]

    def _variance(self, n: int, f: np.ndarray, rare: bool) -> np.ndarray:
        st, ic, F = float(realized(self._st)), float(realized(self._ic)), float(self._F)
        v_own = F**2 * (st / 4 - (st * ic - st / 2) ** 2)
        v_same = F**2 * st / 4
        v_other = F**2 * (1 - st) / (4 * (self.B - 1)) if self.B > 1 else v_same
        counts = n * f
        padded = np.zeros(self.B * (self.b - 1))
        padded[: self.k] = counts
        block = np.repeat(padded.reshape(self.B, self.b - 1).sum(axis=1), self.b - 1)[: self.k]
        if rare:
            return np.full(self.k, v_other / n)
        var = counts * v_own + (block - counts) * v_same + (n - block) * v_other
        return var / n**2


class RHR(IndexReports, Oracle):
    """Recursive Hadamard response (Chen, Kairouz, Ozgur 2020), private coin.

    ``K = 2^ceil(log2 k)``, ``b = min(log2 K, ceil(eps log2 e))``, groups of
    ``B = K / 2^(b-1)`` items: item ``x = (hi, lo)``, ``hi = x div B``. The user draws
    ``r`` uniform in ``[B]``, forms the symbol ``(hi, sign H_B[r, lo])`` and applies
    ``2^b``-ary randomized response to it; the report is ``(symbol, r)``. Estimator:
    ``c_x = sum_r H_B[lo, r] Cell[r, hi] / (P - Q)`` with ``Cell`` the signed report counts
    (one FWHT of size B per group), computed in floating point (the authors' C++ truncates
    it to integers, which biases their published RHR errors).

    Reports: int64 ``(n,)`` = ``symbol * B + r`` in ``[0, 2^b B)``; ``bits = b + log2 B``.
    """

    name = "RHR"

    def __init__(self, k: int, epsilon: float) -> None:
        super().__init__(k, epsilon)
        log_k = max(1, ceil_log2(self.k))
        self.K = 1 << log_k
        self.b = max(1, min(log_k, math.ceil(self.epsilon * math.log2(math.e))))
        self.groups = 1 << (self.b - 1)
        self.B = self.K // self.groups
        nsym = 1 << self.b
        e = math.exp(self.epsilon)
        self._keep = calibrate(
            threshold(e / (e + nsym - 1), direction="down"),
            lambda m: realized(m) * (nsym - 1) / (1 - realized(m)),
            self.epsilon,
            -1,
        )
        self._P = realized(self._keep)
        self._Q = (1 - self._P) / (nsym - 1)

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("b", self.b), ("B", self.B))

    @property
    def output_size(self) -> int:
        return (1 << self.b) * self.B

    @property
    def worst_ratio(self) -> Fraction:
        return self._P / self._Q

    def _map(
        self, items: np.ndarray, r: np.ndarray, keep: np.ndarray, other: np.ndarray
    ) -> np.ndarray:
        hi, lo = items // self.B, items % self.B
        sym = 2 * hi + (1 - _parity(r & lo)).astype(np.int64)
        out_sym = np.where(keep, sym, other + (other >= sym))
        return out_sym * self.B + r

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        r = src.integers(self.B, n)
        keep = src.bernoulli(self._keep, n)
        other = src.integers((1 << self.b) - 1, n)
        return self._map(items, r, keep, other)

    def _probabilities(self, item: int) -> np.ndarray:
        nsym = 1 << self.b
        r, other = (a.ravel() for a in np.meshgrid(np.arange(self.B), np.arange(nsym - 1)))
        x = np.full(r.size, item)
        out = np.zeros(self.output_size)
        rr = np.arange(self.B)
        keep = np.ones(self.B, bool)
        np.add.at(out, self._map(x[: self.B], rr, keep, rr * 0), float(self._P) / self.B)
        np.add.at(out, self._map(x, r, np.zeros(r.size, bool), other), float(self._Q) / self.B)
        return out

    def _estimate_counts(self, counts: np.ndarray, n: int) -> np.ndarray:
        h = counts.reshape(self.groups, 2, self.B).astype(np.float64)  # [hi, sign bit, r]
        cell = h[:, 1, :] - h[:, 0, :]  # signed counts, shape (groups, B)
        w = fwht(cell, axis=1) / float(self._P - self._Q)  # [hi, lo]
        return w.ravel()[: self.k]

    def _variance(self, n: int, f: np.ndarray, rare: bool) -> np.ndarray:
        P, Q = float(self._P), float(self._Q)
        counts = n * f
        padded = np.zeros(self.K)
        padded[: self.k] = counts
        group = np.repeat(padded.reshape(self.groups, self.B).sum(axis=1), self.B)[: self.k]
        if rare:
            per = 2 * Q if self.groups > 1 else P + Q
            return np.full(self.k, per / ((P - Q) ** 2 * n))
        var = (group * (P + Q) + (n - group) * 2 * Q) / (P - Q) ** 2 - counts
        return var / n**2
