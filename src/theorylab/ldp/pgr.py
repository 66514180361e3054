"""Projective Geometry Response (PGR) and its hybrid (HPGR): Feldman, Nelson, Nguyen,
Talwar, "Private Frequency Estimation via Projective Geometry", ICML 2022 (arXiv:2203.00194).

Items are points of the projective space ``P^{t-1}(GF(q))``; a user holding ``v`` reports a
point ``u`` with probability ∝ ``e^eps`` if ``<u, v> = 0`` and ∝ 1 otherwise. The server
counts, for every ``v``, the reports on the hyperplane ``S_v`` with the O(K q t) dynamic
programme of :mod:`theorylab.ldp.projective`. Unlike the authors' prime-only code, ``q`` may
be any prime power (GF(4), GF(8), ... close the variance gap to subset selection at small
epsilon), and the sampler is rejection-free and exactly epsilon-LDP (this library).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab._core.accel import jit
from theorylab._core.validation import check_choice, check_int
from theorylab.ldp.base import (
    IndexReports,
    Oracle,
    SupportOracle,
    calibrate,
)
from theorylab.ldp.fields import field_orders, prime_power
from theorylab.ldp.projective import (
    ProjectiveSpace,
    _canonical_index_nb,
    field_tables,
    hyperplane_counts,
)
from theorylab.ldp.sampling import RandomSource, realized, threshold

_METHODS = ["auto", "dp", "fft", "dense"]


def smallest_t(q: int, k: int, *, blocks: int = 1) -> int:
    """The smallest ``t >= 2`` with ``blocks * (q^t - 1)/(q - 1) >= k``."""
    t = 2
    while blocks * ((q**t - 1) // (q - 1)) < k:
        t += 1
    return t


def pgr_variance_factor(q: int, t: int, epsilon: float) -> float:
    """Per-user variance factor ``V = r(1 - r)/(s - r)^2`` of PGR over ``GF(q)^t`` with the
    ideal probabilities (Feldman, Nelson, Nguyen, Talwar 2022)."""
    e = math.exp(epsilon)
    K = (q**t - 1) // (q - 1)
    cset = (q ** (t - 1) - 1) // (q - 1)
    cint = (q ** (t - 2) - 1) // (q - 1)
    p = 1.0 / ((e - 1) * cset + K)
    s = e * p * cset
    r = p * ((e - 1) * cint + cset)
    return r * (1 - r) / (s - r) ** 2


def choose_q(
    k: int, epsilon: float, *, prime_powers: bool = True, k_budget: int | None = None
) -> int:
    """The field size minimising PGR's exact variance for ``(k, epsilon)``.

    Candidates are the primes and (if ``prime_powers``) prime powers up to
    ``max(16, 4 (e^eps + 1))``; with ``k_budget`` only those whose padded universe
    ``K <= k_budget`` (cost-aware choice: server time ~ K q t). Ties go to the smaller K.
    """
    e = math.exp(epsilon)
    hi = max(16, math.ceil(4 * (e + 1)))
    best: tuple[float, int, int] | None = None
    for q in field_orders(2, hi, prime_powers=prime_powers):
        t = smallest_t(q, k)
        K = (q**t - 1) // (q - 1)
        if k_budget is not None and K > k_budget:
            continue
        key = (pgr_variance_factor(q, t, epsilon), K, q)
        if best is None or key < best:
            best = key
    if best is None:
        raise ValueError(f"no field size gives K <= k_budget = {k_budget} for k = {k}")
    return best[2]


def _check_q(q: Any, name: str) -> int:
    q = check_int(q, name, min_value=2)
    if prime_power(q) is None:
        raise ValueError(f"{name} must be a prime or a prime power; got {q}")
    return q


def _points_kernel(
    items: Any,
    R: Any,
    c: Any,
    q: int,
    t: int,
    offsets: Any,
    add: Any,
    mul: Any,
    neg: Any,
    inv: Any,
    prime: bool,
    out: Any,
) -> None:  # pragma: no cover - compiled by numba; the NumPy path is the reference
    """:func:`point_from_randomness`, one user at a time (numba kernel, O(t) per user).

    Prime ``q``: arithmetic mod q (``add``, ``mul``, ``neg`` unused); prime powers: the
    field's tables. ``inv`` is the inverse table in both cases."""
    u = np.empty(t, dtype=np.int64)
    v = np.empty(t, dtype=np.int64)
    for i in range(items.shape[0]):
        x = items[i]
        g = 0
        while offsets[g + 1] <= x:
            g += 1
        lead = t - 1 - g
        rem = x - offsets[g]
        r = R[i]
        for p in range(t - 1, -1, -1):  # v's digits and R's digits, least significant first
            if p > lead:
                v[p] = rem % q
                rem //= q
            else:
                v[p] = 1 if p == lead else 0
            if p != lead:
                u[p] = r % q
                r //= q
        acc = 0
        for p in range(lead + 1, t):
            if prime:
                acc = (acc + u[p] * v[p]) % q
            else:
                acc = add[acc, mul[u[p], v[p]]]
        u[lead] = (c[i] - acc) % q if prime else add[c[i], neg[acc]]
        out[i] = _canonical_index_nb(u, t, q, offsets, prime, mul, inv)


_points_nb = jit(_points_kernel)


def point_from_randomness(
    space: ProjectiveSpace,
    items: np.ndarray,
    R: np.ndarray,
    c: np.ndarray,
    *,
    use_numba: bool | None = None,
) -> np.ndarray:
    """Deterministic core of the rejection-free PGR sampler (this library).

    For the point ``v`` = ``items`` (indices), returns the index of the point ``u`` whose
    t-1 coordinates other than v's leading position are the base-q digits of ``R`` (in
    ``[0, q^{t-1})``) and whose leading coordinate makes ``<u, v> = c``. With ``c = 0`` and
    ``R != 0`` this is a bijection onto representatives of ``S_v``; with ``c != 0`` onto the
    representatives of the points off ``S_v``, one each. Runs the numba kernel when numba is
    installed (and ``use_numba`` is not False), else vectorised NumPy; both agree exactly.
    """
    F, q, t = space.field, space.q, space.t
    if use_numba is None:
        use_numba = _points_nb is not None and F._inv is not None
    if use_numba:
        out = np.empty(items.shape[0], dtype=np.int64)
        _points_nb(
            np.ascontiguousarray(items, dtype=np.int64),
            np.ascontiguousarray(R, dtype=np.int64),
            np.ascontiguousarray(c, dtype=np.int64),
            q,
            t,
            space.offsets,
            *field_tables(F),
            F._inv,
            F.prime,
            out,
        )
        return out
    v = space.vectors(items)
    lead = t - 1 - space.group(items)
    n = items.shape[0]
    digits = (R[:, None] // q ** np.arange(t - 2, -1, -1, dtype=np.int64)[None, :]) % q
    pos = np.arange(t - 1)[None, :] + (np.arange(t - 1)[None, :] >= lead[:, None])
    u = np.zeros((n, t), dtype=np.int64)
    u[np.arange(n)[:, None], pos] = digits
    u[np.arange(n), lead] = F.sub(c, F.dot(u, v))  # v[lead] = 1
    return space.indices(space.canonicalize(u))


class PGR(IndexReports, SupportOracle):
    """Projective Geometry Response (Feldman, Nelson, Nguyen, Talwar 2022, ICML).

    Parameters: ``q`` (``"auto"``: the prime or prime power minimising the exact variance,
    see :func:`choose_q`; or an explicit prime power), ``k_budget`` (cap on the padded
    universe K for ``q="auto"``), ``method`` for the server (``"auto"``/``"dp"``/``"fft"``/
    ``"dense"``, see :func:`theorylab.ldp.projective.hyperplane_counts`).

    ``t`` = the smallest ``t >= 2`` with ``K = (q^t - 1)/(q - 1) >= k``; item x is the point
    with index x. Sampler (rejection-free, constant work per user): with probability
    ``s = e^eps p cset`` a uniform point of the hyperplane ``S_v``, else a uniform point off
    it, both from one uniform integer (and a uniform non-zero target ``c``). Estimator:
    ``c_v = (T_v - n r)/(s - r)`` with ``T_v`` the reports on ``S_v``; every pair has the same
    intersection size, so PGR is an exact support-set oracle (``P1 = s``, ``P0 = r``).

    Reports: int64 ``(n,)`` point indices in ``[0, K)``; ``bits = ceil(log2 K)``.
    """

    name = "PGR"

    def __init__(
        self,
        k: int,
        epsilon: float,
        *,
        q: int | str = "auto",
        k_budget: int | None = None,
        method: str = "auto",
    ) -> None:
        super().__init__(k, epsilon)
        if k_budget is not None:
            k_budget = check_int(k_budget, "k_budget", min_value=self.k)
        if isinstance(q, str):
            if q != "auto":
                raise ValueError(f"q must be 'auto' or a prime power; got {q!r}")
            q = choose_q(self.k, self.epsilon, k_budget=k_budget)
        self.q = _check_q(q, "q")
        self.method = check_choice(method, "method", _METHODS)
        self.t = smallest_t(self.q, self.k)
        self.space = ProjectiveSpace(self.q, self.t)
        self.K = self.space.K
        qq, t = self.q, self.t
        self.cset = (qq ** (t - 1) - 1) // (qq - 1)
        self.cint = (qq ** (t - 2) - 1) // (qq - 1)
        e = math.exp(self.epsilon)
        p = 1.0 / ((e - 1) * self.cset + self.K)
        off = self.K - self.cset  # = q^{t-1}
        self._on = calibrate(
            threshold(e * p * self.cset, direction="down"),
            lambda m: realized(m) * off / ((1 - realized(m)) * self.cset),
            self.epsilon,
            -1,
        )
        s = realized(self._on)
        self._p1 = s
        self._p0 = s * Fraction(self.cint, self.cset) + (1 - s) * Fraction(
            self.cset - self.cint, off
        )

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("q", self.q), ("t", self.t))

    @property
    def params(self) -> dict[str, Any]:
        """``q, t, K, cset, cint, s, r, V, bits`` (the parameters of Feldman et al. 2022)."""
        return {
            "q": self.q,
            "t": self.t,
            "K": self.K,
            "cset": self.cset,
            "cint": self.cint,
            "s": self.p1,
            "r": self.p0,
            "V": self.per_user_variance,
            "bits": self.bits,
        }

    @property
    def output_size(self) -> int:
        return self.K

    @property
    def worst_ratio(self) -> Fraction:
        s = self._p1
        return s * (self.K - self.cset) / ((1 - s) * self.cset)

    # ------------------------------------------------------------------ sampler
    def _map(self, items: np.ndarray, R: np.ndarray, c: np.ndarray) -> np.ndarray:
        return point_from_randomness(self.space, items, R, c)

    def _draw(self, n: int, src: RandomSource) -> tuple[np.ndarray, np.ndarray]:
        on = src.bernoulli(self._on, n)
        span = self.q ** (self.t - 1)
        r_on = src.integers(span - 1, n) + 1  # O != 0: a point of S_v
        r_off = src.integers(span, n)
        c_off = src.integers(self.q - 1, n) + 1  # <u, v> = c != 0: a point off S_v
        return np.where(on, r_on, r_off), np.where(on, 0, c_off)

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        out = np.empty(items.shape[0], dtype=np.int64)
        step = 1 << 20
        for i in range(0, items.shape[0], step):
            sl = slice(i, i + step)
            R, c = self._draw(items[sl].shape[0], src)
            out[sl] = self._map(items[sl], R, c)
        return out

    def _randomness_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every value ``(R, c)`` of the sampler's random inputs with its realised probability."""
        span = self.q ** (self.t - 1)
        s = float(self._p1)
        r_on = np.arange(1, span)
        r_off, c_off = (a.ravel() for a in np.meshgrid(np.arange(span), np.arange(1, self.q)))
        R = np.r_[r_on, r_off]
        c = np.r_[np.zeros(r_on.size, dtype=np.int64), c_off]
        w = np.r_[np.full(r_on.size, s / (span - 1)), np.full(r_off.size, (1 - s) / r_off.size)]
        return R, c, w

    def _probabilities(self, item: int) -> np.ndarray:
        R, c, w = self._randomness_table()
        pts = self._map(np.full(R.size, item), R, c)
        return np.bincount(pts, weights=w, minlength=self.K)

    # ------------------------------------------------------------------ server

    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        return hyperplane_counts(counts, self.q, self.t, method=self.method)[: self.k]


class HPGR(IndexReports, Oracle):
    """Hybrid Projective Geometry Response (Feldman, Nelson, Nguyen, Talwar 2022, ICML).

    ``h = max(2, ceil((e^eps + 1)/q'))`` blocks, each a projective space over the small
    field ``GF(q')`` (``q_prime``, default 5; any prime power) with ``b = (q'^t' - 1)/(q' - 1)``
    points, ``t'`` the smallest with ``h b >= k``. Item x is point ``x mod b`` of block
    ``x div b``. The report ``(B', u)`` has probability ``e^eps p'`` if ``B' = B`` and
    ``u ∈ S_v``, else ``p'``. Estimator: ``c_x = alpha N1 + beta N2 + gamma n`` with ``N1``
    the reports on ``(B, S_v)`` and ``N2`` those in block ``B``. Server: h DPs of size b
    (about q/q' times less work than PGR), at a larger and data-dependent variance.

    Reports: int64 ``(n,)`` in ``[0, h b)``; ``bits = ceil(log2(h b))``.
    """

    name = "HPGR"

    def __init__(self, k: int, epsilon: float, *, q_prime: int = 5, method: str = "auto") -> None:
        super().__init__(k, epsilon)
        self.q_prime = _check_q(q_prime, "q_prime")
        self.method = check_choice(method, "method", _METHODS)
        e = math.exp(self.epsilon)
        self.h = max(2, math.ceil((e + 1) / self.q_prime))
        self.t = smallest_t(self.q_prime, self.k, blocks=self.h)
        self.space = ProjectiveSpace(self.q_prime, self.t)
        self.b = self.space.K
        qq, t = self.q_prime, self.t
        self.cset = (qq ** (t - 1) - 1) // (qq - 1)
        self.cint = (qq ** (t - 2) - 1) // (qq - 1)
        self._A = (self.h - 1) * self.b  # outputs in other blocks
        self._C = self.b - self.cset  # outputs in the own block, off the hyperplane
        p = 1.0 / (self.h * self.b + (e - 1) * self.cset)
        self._on = calibrate(
            threshold(e * p * self.cset, direction="down"),
            lambda m: realized(m) * (self._A + self._C) / ((1 - realized(m)) * self.cset),
            self.epsilon,
            -1,
        )
        s = realized(self._on)
        low = (1 - s) / (self._A + self._C)
        cset, cint, b = self.cset, self.cint, self.b
        alpha = 1 / ((cset - cint) * (s / cset - low))
        beta = -alpha * Fraction(cint, cset)
        gamma = -(alpha * low * cset + beta * low * b)
        self._coef = (alpha, beta, gamma)
        blk = s + low * self._C
        # (P(report in (B, S_v)), P(report in block B)) for the three kinds of user
        self._classes = {
            "own": (s, blk),
            "same": (s * Fraction(cint, cset) + low * (cset - cint), blk),
            "other": (low * cset, low * b),
        }

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return (("q_prime", self.q_prime), ("h", self.h), ("t", self.t))

    @property
    def output_size(self) -> int:
        return self.h * self.b

    @property
    def worst_ratio(self) -> Fraction:
        s = realized(self._on)
        return s * (self._A + self._C) / ((1 - s) * self.cset)

    def _map(
        self,
        items: np.ndarray,
        on: np.ndarray,
        other_blk: np.ndarray,
        R: np.ndarray,
        c: np.ndarray,
        anywhere: np.ndarray,
        point: np.ndarray,
    ) -> np.ndarray:
        """``on``: point of S_v in the own block (R, c=0); else ``other_blk`` True: block
        ``anywhere`` (skipping B), uniform ``point``; else own block, off S_v (R, c != 0)."""
        blk, v = items // self.b, items % self.b
        own_pt = point_from_randomness(self.space, v, R, c)
        out_blk = np.where(on | ~other_blk, blk, anywhere + (anywhere >= blk))
        out_pt = np.where(on | ~other_blk, own_pt, point)
        return out_blk * self.b + out_pt

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        n = items.shape[0]
        on = src.bernoulli(self._on, n)
        other_blk = src.integers(self._A + self._C, n) < self._A
        span = self.q_prime ** (self.t - 1)
        R = np.where(on, src.integers(span - 1, n) + 1, src.integers(span, n))
        c = np.where(on, 0, src.integers(self.q_prime - 1, n) + 1)
        anywhere = src.integers(self.h - 1, n)
        point = src.integers(self.b, n)
        return self._map(items, on, other_blk, R, c, anywhere, point)

    def _probabilities(self, item: int) -> np.ndarray:
        s = float(realized(self._on))
        low = (1 - s) / (self._A + self._C)
        span = self.q_prime ** (self.t - 1)
        out = np.zeros(self.output_size)

        def spread(mass: float, on: bool, other: bool, *draws: np.ndarray) -> None:
            """Add ``mass`` uniformly over the joint values of ``draws`` (R, c, block,
            point; missing ones are 0) of one branch of the sampler."""
            grids = [g.ravel() for g in np.meshgrid(*draws)]
            m = grids[0].size
            R, c, blk, pt = grids + [np.zeros(m, np.int64)] * (4 - len(grids))
            flags = np.ones(m, bool)
            pts = self._map(np.full(m, item), flags & on, flags & other, R, c, blk, pt)
            np.add.at(out, pts, mass / m)

        one = np.ones(1, np.int64)
        spread(s, True, False, np.arange(1, span))  # on S_v: R != 0, c = 0
        spread(low * self._C, False, False, np.arange(span), np.arange(1, self.q_prime))
        spread(low * self._A, False, True, one, one, np.arange(self.h - 1), np.arange(self.b))
        return out

    def _estimate_counts(self, counts: np.ndarray, n: int) -> np.ndarray:
        y = counts.reshape(self.h, self.b)
        n1 = hyperplane_counts(y, self.q_prime, self.t, method=self.method).astype(np.float64)
        n2 = y.sum(axis=1, dtype=np.float64)[:, None]
        alpha, beta, gamma = (float(x) for x in self._coef)
        est = alpha * n1 + beta * n2 + gamma * n
        return est.ravel()[: self.k]

    def _class_variance(self, kind: str) -> float:
        alpha, beta, gamma = self._coef
        p_s, p_b = self._classes[kind]
        mean = (alpha + beta + gamma) * p_s + (beta + gamma) * (p_b - p_s) + gamma * (1 - p_b)
        sq = (alpha + beta + gamma) ** 2 * p_s + (beta + gamma) ** 2 * (p_b - p_s)
        sq += gamma**2 * (1 - p_b)
        return float(sq - mean**2)

    def _variance(self, n: int, f: np.ndarray, rare: bool) -> np.ndarray:
        v_own, v_same, v_other = (self._class_variance(c) for c in ("own", "same", "other"))
        if rare:
            return np.full(self.k, v_other / n)
        counts = n * f
        padded = np.zeros(self.h * self.b)
        padded[: self.k] = counts
        block = np.repeat(padded.reshape(self.h, self.b).sum(axis=1), self.b)[: self.k]
        var = counts * v_own + (block - counts) * v_same + (n - block) * v_other
        return var / n**2
