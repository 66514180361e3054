"""Optimized local hashing (OLH, Wang, Blocki, Li, Jha 2017, Section 4.4) with an exactly
universal linear hash family over GF(g)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab._core.validation import check_int
from theorylab.ldp.base import SupportOracle, calibrate, ceil_log2, check_int_reports, chunk_rows
from theorylab.ldp.fields import GF, field, field_orders, prime_power
from theorylab.ldp.sampling import RandomSource, realized, threshold


def olh_variance_factor(g: int, epsilon: float) -> float:
    """Per-user variance factor of local hashing onto ``[g]`` (Wang et al. 2017, Eq. (13)):
    ``V = (e^eps - 1 + g)^2 / ((e^eps - 1)^2 (g - 1))``."""
    e = math.exp(epsilon)
    return (e - 1 + g) ** 2 / ((e - 1) ** 2 * (g - 1))


def best_hash_range(epsilon: float) -> int:
    """The prime or prime power ``g`` minimising :func:`olh_variance_factor` (optimum near
    ``e^eps + 1``)."""
    e = math.exp(epsilon)
    hi = max(8, math.ceil(3 * (e + 1)))
    cands = field_orders(2, min(hi, 1 << 20))
    return min(cands, key=lambda g: olh_variance_factor(g, epsilon))


class OLH(SupportOracle):
    """Local hashing: the user draws a hash ``h_a(x) = <a, digits_g(x)>`` over GF(g) with
    ``a`` uniform in GF(g)^t (``t = ceil(log_g k)``), applies g-ary randomized response to
    ``h_a(x)`` and sends ``(a, y)`` (Wang et al. 2017, Section 4.4).

    The linear family is exactly universal: for ``v != w``, ``P(h_a(v) = h_a(w)) = 1/g``,
    so ``P0 = 1/g`` holds exactly (the xxhash families of the Python peers give it only
    approximately). ``g`` must be a prime or prime power; ``g="auto"`` picks the one that
    minimises the variance (``round(e^eps) + 1`` in the paper is generally not one).

    Reports: int64 ``(n, 2)``: column 0 the seed ``a`` as a base-g integer in ``[0, g^t)``,
    column 1 the value ``y`` in ``[0, g)``. ``bits = ceil((t + 1) log2 g)``. Server: support
    counts for all items in O(n + min(n, g^t) k), vectorised and chunked.
    """

    name = "OLH"

    def __init__(self, k: int, epsilon: float, *, g: int | str = "auto") -> None:
        super().__init__(k, epsilon)
        if isinstance(g, str):
            if g != "auto":
                raise ValueError(f"g must be 'auto' or a prime power >= 2; got {g!r}")
            g = best_hash_range(self.epsilon)
        g = check_int(g, "g", min_value=2)
        if prime_power(g) is None:
            raise ValueError(f"g must be a prime or a prime power (GF(g) hashing); got {g}")
        self.g = g
        self.field: GF = field(g)
        t = 1
        while g**t < self.k:
            t += 1
        self.t = t
        e = math.exp(self.epsilon)
        self._keep = calibrate(
            threshold(e / (e + g - 1), direction="down"),
            lambda m: realized(m) * (g - 1) / (1 - realized(m)),
            self.epsilon,
            -1,
        )
        self._p1 = realized(self._keep)
        self._p0 = Fraction(1, g)
        self._digits = self._to_digits(np.arange(self.k, dtype=np.int64))  # (k, t)

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("g", self.g),)

    def _to_digits(self, values: np.ndarray) -> np.ndarray:
        return (values[:, None] // self.g ** np.arange(self.t, dtype=np.int64)[None, :]) % self.g

    @property
    def bits(self) -> int:
        return ceil_log2(self.g ** (self.t + 1))

    @property
    def output_size(self) -> int:
        return self.g ** (self.t + 1)

    @property
    def statistic_size(self) -> int:
        return self.k

    @property
    def worst_ratio(self) -> Fraction:
        return self._p1 * (self.g - 1) / (1 - self._p1)

    def _map(
        self, items: np.ndarray, seeds: np.ndarray, keep: np.ndarray, other: np.ndarray
    ) -> np.ndarray:
        h = self.field.dot(self._to_digits(seeds), self._digits[items])
        y = np.where(keep, h, other + (other >= h))
        return np.stack([seeds, y], axis=1)

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        seeds = src.integers(self.g**self.t, n)
        keep = src.bernoulli(self._keep, n)
        other = src.integers(self.g - 1, n)
        return self._map(items, seeds, keep, other)

    def _probabilities(self, item: int) -> np.ndarray:
        g, nseeds = self.g, self.g**self.t
        seeds = np.repeat(np.arange(nseeds), g)
        keep = np.tile(np.arange(g) == 0, nseeds)
        other = np.tile(np.r_[0, np.arange(g - 1)], nseeds)
        w_keep = float(self._p1) / nseeds
        w_other = float(1 - self._p1) / (nseeds * (g - 1))
        # keep rows: one per seed (other ignored); other rows: g - 1 per seed
        weights = np.where(keep, w_keep, w_other)
        rep = self._map(np.full(seeds.shape, item), seeds, keep, other)
        return np.bincount(rep[:, 0] * g + rep[:, 1], weights=weights, minlength=nseeds * g)

    def _check_reports(self, reports: Any) -> np.ndarray:
        arr = check_int_reports(reports, max(self.g**self.t, self.g), shape_tail=(2,))
        if arr.size and int(arr[:, 1].max()) >= self.g:
            raise ValueError(f"reports' hash values must lie in [0, {self.g})")
        return arr

    def hash_values(self, seeds: np.ndarray) -> np.ndarray:
        """``h_a(v)`` for every seed (rows) and every item (columns): shape ``(m, k)``."""
        a = self._to_digits(np.asarray(seeds, dtype=np.int64))
        d = self._digits
        F = self.field
        if F.prime and self.t * (self.g - 1) ** 2 < (1 << 24):
            prod = a.astype(np.float32) @ d.T.astype(np.float32)  # exact below 2^24
            return prod.astype(np.int64) % self.g
        small = np.uint8 if self.g <= 256 else np.uint16
        if F.prime:
            h = np.zeros((a.shape[0], self.k), dtype=np.int64)
            for j in range(self.t):
                h = (h + a[:, j, None] * d[None, :, j]) % self.g
            return h
        mul = F._mul.astype(small)
        h = mul[a[:, 0, None], d[None, :, 0]]
        for j in range(1, self.t):
            term = mul[a[:, j, None], d[None, :, j]]
            h = np.bitwise_xor(h, term) if F.p == 2 else F._add.astype(small)[h, term]
        return h

    def _statistic(self, reports: np.ndarray) -> np.ndarray:
        total = np.zeros(self.k, dtype=np.int64)
        nseeds = self.g**self.t
        if reports.shape[0] > nseeds:
            # O(n + g^t k): histogram over (seed, value), then one hash table per seed.
            hist = np.bincount(
                reports[:, 0] * self.g + reports[:, 1], minlength=nseeds * self.g
            ).reshape(nseeds, self.g)
            for sl in chunk_rows(nseeds, self.k):
                h = self.hash_values(np.arange(sl.start, sl.stop))
                total += np.take_along_axis(hist[sl], h.astype(np.int64), axis=1).sum(axis=0)
            return total
        for sl in chunk_rows(reports.shape[0], self.k):  # O(n k)
            h = self.hash_values(reports[sl, 0])
            total += (h == reports[sl, 1, None]).sum(axis=0, dtype=np.int64)
        return total

    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        return counts

    def _report_ids(self, reports: np.ndarray) -> np.ndarray:
        return reports[:, 0].astype(np.int64) * self.g + reports[:, 1]
