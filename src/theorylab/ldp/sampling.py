"""Exact sampling for local randomisers: integer draws, rational probabilities, achieved epsilon.

Every random choice made by a :mod:`theorylab.ldp` randomiser is one of two kinds:

- a **uniform integer** in ``[0, m)``: drawn with ``numpy.random.Generator.integers``
  (Lemire's unbiased rejection method) or, for ``seed="secure"``, by rejection sampling on
  64-bit words from the operating system; its distribution is exactly uniform;
- a **Bernoulli** draw: realised as ``U < M`` with ``U`` a uniform integer in ``[0, 2^53)``,
  so its probability is *exactly* the dyadic rational ``M / 2^53``.

The ideal probabilities of a mechanism (``e^eps / (e^eps + k - 1)`` and the like) are
irrational, so no finite sampler realises them. Each oracle therefore rounds every
Bernoulli threshold ``M`` in the privacy-safe direction, computes the worst-case output
probability ratio of the *realised* (rational) distribution exactly with
:class:`fractions.Fraction`, checks it against ``e^eps`` with a 60-digit decimal
exponential, and nudges the threshold until the check passes. The oracle's
``achieved_epsilon`` is the natural log of that exact worst-case ratio: it is at most the
stated ``epsilon`` (typically below it by ~1e-15) and is what :func:`theorylab.ldp.audit`
re-derives from the enumerated output distribution. This follows the advice of Mironov
(CCS 2012) and Canonne, Kamath and Steinke (NeurIPS 2020) to realise probabilities as
rationals with integer draws; no float uniform is ever compared with a probability.
"""

from __future__ import annotations

import math
import os
import secrets
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from theorylab._core.deprecation import renamed_kwargs
from theorylab._core.rng import SeedLike, as_generator

#: Bernoulli thresholds live on the grid ``M / 2**PRECISION_BITS``.
PRECISION_BITS = 53
DENOMINATOR = 1 << PRECISION_BITS
_TWO64 = 1 << 64


class RandomSource:
    """Uniform integers and exact Bernoulli draws, from a seeded NumPy generator or the OS
    (this library; integer draws as advised by Mironov 2012).

    ``RandomSource(seed)`` accepts what every ``privatize`` accepts: ``None`` (fresh OS
    entropy seeds a NumPy PCG64 generator), an ``int`` seed, a ``numpy.random.Generator``
    (used as is, its state advances), a ``torch.Generator`` (one draw of it seeds a NumPy
    generator), or the string ``"secure"``: every draw then comes from ``os.urandom`` (the
    kernel CSPRNG), as a real client deployment needs. NumPy's PCG64 is fine for simulation
    and reproducibility but is not a cryptographic generator. ``rng=`` is the deprecated
    spelling of ``seed=``.
    """

    @renamed_kwargs(rng="seed")
    def __init__(self, seed: SeedLike | str | RandomSource = None) -> None:
        if isinstance(seed, RandomSource):
            self.secure: bool = seed.secure
            self.generator: np.random.Generator | None = seed.generator
            return
        if isinstance(seed, str):
            if seed != "secure":
                raise ValueError(
                    "seed must be None, an int, a numpy.random.Generator, a torch.Generator "
                    f"or 'secure'; got the string {seed!r}"
                )
            self.secure = True
            self.generator = None
            return
        self.secure = False
        self.generator = as_generator(seed, name="seed")

    # -- raw words -------------------------------------------------------------------------
    def _words(self, size: int) -> np.ndarray:
        """``size`` uniform 64-bit words from the operating system (secure mode only)."""
        return np.frombuffer(os.urandom(8 * size), dtype=np.uint64).copy()

    def bits53(self, size: int | tuple[int, ...]) -> np.ndarray:
        """Uniform integers in ``[0, 2^53)`` as ``uint64``, shape ``size``."""
        if self.generator is not None:
            return self.generator.integers(0, DENOMINATOR, size=size, dtype=np.uint64)
        count = int(np.prod(size))
        return (self._words(count) >> np.uint64(64 - PRECISION_BITS)).reshape(size)

    def bernoulli(self, threshold: int, size: int | tuple[int, ...]) -> np.ndarray:
        """Boolean array, each entry True with probability exactly ``threshold / 2^53``."""
        if threshold >= DENOMINATOR:
            return np.ones(size, dtype=bool)
        if threshold <= 0:
            return np.zeros(size, dtype=bool)
        return self.bits53(size) < np.uint64(threshold)

    def integers(self, high: int | np.ndarray, size: int | tuple[int, ...]) -> np.ndarray:
        """Uniform integers in ``[0, high)`` (``high`` an int >= 1 or an int array), int64."""
        if self.generator is not None:
            if np.isscalar(high):
                return self.generator.integers(0, int(high), size=size, dtype=np.int64)
            return self.generator.integers(0, high, size=size, dtype=np.int64)
        shape = (size,) if isinstance(size, int) else tuple(size)
        highs = np.broadcast_to(np.asarray(high, dtype=np.uint64), shape).ravel()
        if np.any(highs < 1):
            raise ValueError("high must be >= 1")
        # Rejection: accept w < floor(2^64 / h) * h, return w mod h (exactly uniform).
        limits = (np.uint64(_TWO64 - 1) // highs) * highs  # <= 2^64 - 1 - (2^64 - 1) % h
        out = np.empty(highs.size, dtype=np.uint64)
        todo = np.arange(highs.size)
        while todo.size:
            w = self._words(todo.size)
            ok = w < limits[todo]
            out[todo[ok]] = w[ok] % highs[todo[ok]]
            todo = todo[~ok]
        return out.astype(np.int64).reshape(shape)


@renamed_kwargs(rng="seed")
def as_source(seed: SeedLike | str | RandomSource) -> RandomSource:
    """:class:`RandomSource` from a ``seed`` argument (see its docstring; this library)."""
    return seed if isinstance(seed, RandomSource) else RandomSource(seed)


def threshold(prob: float | Fraction, *, direction: str) -> int:
    """The Bernoulli threshold ``M`` (probability ``M / 2^53``) nearest ``prob``.

    ``direction`` is ``"down"`` (``M / 2^53 <= prob``), ``"up"`` (``>= prob``) or
    ``"nearest"``. The float ``prob`` is converted exactly (every float is a dyadic rational).
    """
    exact = Fraction(prob) * DENOMINATOR
    if direction == "down":
        m = math.floor(exact)
    elif direction == "up":
        m = math.ceil(exact)
    elif direction == "nearest":
        m = round(exact)
    else:  # pragma: no cover - internal
        raise ValueError(f"direction must be 'down', 'up' or 'nearest'; got {direction!r}")
    return min(max(int(m), 0), DENOMINATOR)


def realized(m: int) -> Fraction:
    """The exact probability ``m / 2^53`` realised by threshold ``m``."""
    return Fraction(m, DENOMINATOR)


def exp_decimal(epsilon: float, digits: int = 60) -> Decimal:
    """``e^epsilon`` to ``digits`` significant digits (the float ``epsilon`` taken exactly)."""
    with localcontext() as ctx:
        ctx.prec = digits
        return Decimal(epsilon).exp()


def ratio_within(ratio: Fraction, epsilon: float) -> bool:
    """Whether the exact rational ``ratio <= e^epsilon``, decided with 60-digit arithmetic.

    Values within 1e-50 (relative) of the boundary count as violations, so the answer is
    never wrong in the permissive direction.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        lhs = Decimal(ratio.numerator) / Decimal(ratio.denominator)
        rhs = exp_decimal(epsilon)
        return bool(lhs <= rhs * (1 - Decimal(10) ** -50))


def log_ratio(ratio: Fraction) -> float:
    """``ln(ratio)`` of an exact positive rational, as a float (rounded once)."""
    if ratio <= 0:
        raise ValueError("ratio must be positive")
    with localcontext() as ctx:
        ctx.prec = 60
        value = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).ln()
        return float(value)


def secure_seed() -> int:
    """A 128-bit seed from the OS CSPRNG (for reproducible-but-unpredictable simulations)."""
    return secrets.randbits(128)


__all__ = [
    "DENOMINATOR",
    "PRECISION_BITS",
    "RandomSource",
    "as_source",
    "exp_decimal",
    "log_ratio",
    "ratio_within",
    "realized",
    "secure_seed",
    "threshold",
]
