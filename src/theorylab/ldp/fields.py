"""Finite fields GF(q), q a prime or a prime power, as vectorised NumPy arithmetic.

Elements are the integers ``0 .. q-1``; for ``q = p^m`` the integer ``sum_i c_i p^i`` is the
polynomial ``sum_i c_i x^i`` modulo a fixed monic irreducible polynomial of degree ``m``
(the "integer representation" of the ``galois`` package, so 0 and 1 are the additive and
multiplicative identities). Prime fields use ``% q``; prime-power fields use q-by-q
addition and multiplication tables (built once, cached; q <= 1024). Used by PGR, HPGR and
OLH (Feldman, Nelson, Nguyen, Talwar 2022, Section 3: the projective-geometry construction
holds verbatim over any finite field).
"""

from __future__ import annotations

import functools
import math

import numpy as np

#: Largest prime-power (non-prime) field for which tables are built.
MAX_TABLE_ORDER = 1024


def is_prime(n: int) -> bool:
    """Deterministic primality for ``n < 3.3e24`` (Miller-Rabin with fixed bases)."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for p in small:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def prime_power(q: int) -> tuple[int, int] | None:
    """``(p, m)`` with ``q = p^m`` and ``p`` prime, or ``None`` if ``q`` is not a prime power."""
    if q < 2:
        return None
    for m in range(int(math.log2(q)) + 1, 0, -1):
        p = round(q ** (1.0 / m))
        for cand in (p - 1, p, p + 1):
            if cand >= 2 and cand**m == q and is_prime(cand):
                return cand, m
    return None


def _poly_mulmod(a: list[int], b: list[int], mod: list[int], p: int) -> list[int]:
    """Product of coefficient lists (low degree first) modulo monic ``mod`` over F_p."""
    m = len(mod) - 1
    prod = [0] * (len(a) + len(b) - 1)
    for i, ai in enumerate(a):
        if ai:
            for j, bj in enumerate(b):
                prod[i + j] = (prod[i + j] + ai * bj) % p
    for deg in range(len(prod) - 1, m - 1, -1):
        c = prod[deg]
        if c:
            for i in range(m + 1):
                prod[deg - m + i] = (prod[deg - m + i] - c * mod[i]) % p
    return (prod + [0] * m)[:m]


def _is_irreducible(poly: list[int], p: int) -> bool:
    """Whether the monic ``poly`` (low degree first) is irreducible over F_p (brute force)."""
    m = len(poly) - 1
    for deg in range(1, m // 2 + 1):
        for low in range(p**deg):
            div = [(low // p**i) % p for i in range(deg)] + [1]
            rem = list(poly)
            for top in range(m, deg - 1, -1):
                c = rem[top]
                if c:
                    for i in range(deg + 1):
                        rem[top - deg + i] = (rem[top - deg + i] - c * div[i]) % p
            if not any(rem[:deg]):
                return False
    return True


@functools.lru_cache(maxsize=64)
def irreducible_poly(p: int, m: int) -> tuple[int, ...]:
    """The lexicographically first monic irreducible polynomial of degree ``m`` over F_p.

    Coefficients are listed low degree first, leading 1 included.
    """
    for low in range(1, p**m):
        poly = [(low // p**i) % p for i in range(m)] + [1]
        if poly[0] and _is_irreducible(poly, p):
            return tuple(poly)
    raise ValueError(f"no irreducible polynomial of degree {m} over F_{p}")  # pragma: no cover


class GF:
    """The finite field of order ``q`` (prime or prime power), vectorised over int64 arrays.

    Methods ``add, sub, neg, mul, inv`` take and return integer arrays (broadcasting); ``dot``
    reduces the last axis. Construct with :func:`field` (cached).
    """

    def __init__(self, q: int) -> None:
        pp = prime_power(q)
        if pp is None:
            raise ValueError(f"q must be a prime or a prime power; got {q}")
        self.q = q
        self.p, self.m = pp
        self.prime = self.m == 1
        if self.prime:
            inv = np.zeros(q, dtype=np.int64)
            if q <= 1 << 22:
                vals = np.arange(1, q, dtype=np.int64)
                inv[1:] = [pow(int(v), q - 2, q) for v in vals]
            self._inv = inv if q <= 1 << 22 else None
            self._add = self._mul = None
            self.poly: tuple[int, ...] = (0, 1)
            return
        if q > MAX_TABLE_ORDER:
            raise ValueError(
                f"prime-power fields are supported up to order {MAX_TABLE_ORDER}; got q={q}"
            )
        p, m = self.p, self.m
        self.poly = irreducible_poly(p, m)
        digits = (np.arange(q)[:, None] // p ** np.arange(m)[None, :]) % p  # (q, m)
        powers = p ** np.arange(m)
        add = ((digits[:, None, :] + digits[None, :, :]) % p) @ powers
        # multiplication: multiply by x repeatedly (shift-and-reduce) to build x^i * b tables
        mul = np.zeros((q, q), dtype=np.int64)
        elems = [[(e // p**i) % p for i in range(m)] for e in range(q)]
        xpow = [0] * m
        xpow[0] = 1  # the polynomial 1
        basis = []  # x^i as element indices
        for _ in range(m):
            basis.append(sum(c * p**i for i, c in enumerate(xpow)))
            xpow = _poly_mulmod(xpow, [0, 1], list(self.poly), p)
        # mul[a, b] = sum_i a_i * (x^i * b); x^i * b computed by table of b -> x * b
        times_x = np.array(
            [
                sum(c * p**i for i, c in enumerate(_poly_mulmod(e, [0, 1], list(self.poly), p)))
                for e in elems
            ],
            dtype=np.int64,
        )
        shifted = np.arange(q, dtype=np.int64)  # x^0 * b
        for i in range(m):
            coeff = digits[:, i]  # a_i for every a
            # add coeff * shifted (scalar multiple over F_p) to row a
            scaled = (coeff[:, None, None] * digits[shifted][None, :, :]) % p  # (q, q, m) digits
            mul = add[mul, scaled @ powers]
            shifted = times_x[shifted]
        self._add = add.astype(np.int64)
        self._mul = mul
        self._neg = ((-digits) % p) @ powers
        inv = np.zeros(q, dtype=np.int64)
        a_idx, b_idx = np.nonzero(mul == 1)
        inv[a_idx] = b_idx
        self._inv = inv

    def __repr__(self) -> str:
        return f"GF({self.q})"

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Field sum, elementwise (broadcasting)."""
        if self.prime:
            return (np.asarray(a) + b) % self.q
        if self.p == 2:
            return np.bitwise_xor(a, b)
        return self._add[a, b]

    def neg(self, a: np.ndarray) -> np.ndarray:
        """Additive inverse, elementwise."""
        if self.prime:
            return (-np.asarray(a)) % self.q
        if self.p == 2:
            return np.asarray(a)
        return self._neg[a]

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Field difference ``a - b``, elementwise."""
        if self.prime:
            return (np.asarray(a) - b) % self.q
        return self.add(a, self.neg(b))

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Field product, elementwise (broadcasting)."""
        if self.prime:
            return (np.asarray(a) * b) % self.q
        return self._mul[a, b]

    def inv(self, a: np.ndarray) -> np.ndarray:
        """Multiplicative inverse, elementwise (the inverse of 0 is returned as 0)."""
        if self._inv is not None:
            return self._inv[a]
        a = np.asarray(a, dtype=object)  # pragma: no cover - huge prime fields only
        return np.vectorize(lambda v: pow(int(v), self.q - 2, self.q) if v else 0)(a)

    def dot(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``sum_i a[..., i] * b[..., i]`` in the field (last axis reduced)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if self.prime:
            return np.sum(a * b, axis=-1) % self.q
        prods = self._mul[a, b]
        if self.p == 2:
            return np.bitwise_xor.reduce(prods, axis=-1)
        out = prods[..., 0]
        for i in range(1, prods.shape[-1]):
            out = self._add[out, prods[..., i]]
        return out


@functools.lru_cache(maxsize=64)
def field(q: int) -> GF:
    """The (cached) :class:`GF` of order ``q``."""
    return GF(q)


def field_orders(low: int, high: int, *, prime_powers: bool = True) -> list[int]:
    """Primes (and prime powers up to :data:`MAX_TABLE_ORDER` if ``prime_powers``) in
    ``[low, high]``, increasing."""
    out = []
    for q in range(max(low, 2), high + 1):
        pp = prime_power(q)
        if pp is None:
            continue
        if pp[1] == 1 or (prime_powers and q <= MAX_TABLE_ORDER):
            out.append(q)
    return out


__all__ = [
    "GF",
    "MAX_TABLE_ORDER",
    "field",
    "field_orders",
    "irreducible_poly",
    "is_prime",
    "prime_power",
]
