"""Negative controls for privacy audits: randomisers that are *not* epsilon-LDP, each
reproducing a bug found in published code, so that :func:`theorylab.ldp.audit` can be seen
to fail on them.

- :class:`AuthorsPGR`: the output law of the PGR sampler in the C++ code of Feldman, Nelson,
  Nguyen, Talwar 2022 (``minilek/private_frequency_oracles``), which under-weights one
  point off the hyperplane; its worst ratio is ``e^eps (q^t - 1) / (q^{t-1} (q - 1))``.
- :class:`LeakyGRR`: randomized response (Wang, Blocki, Li, Jha 2017, Section 4.1) whose
  "other" item may be the true one, the fill bug of the same code's subset selection
  (Ye and Barg 2018).

Both are full oracles: ``probabilities`` gives the buggy law exactly (for the exact audit),
``privatize`` samples it with exact integer draws (for the empirical audit), and
``worst_ratio`` / ``achieved_epsilon`` give its exact privacy loss, which exceeds
``epsilon``. They are for testing auditors only.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.ldp.grr import GRR
from theorylab.ldp.pgr import PGR
from theorylab.ldp.sampling import RandomSource


class AuthorsPGR(PGR):
    """Negative control: PGR with the sampler of the authors' C++ code (Feldman, Nelson,
    Nguyen, Talwar 2022, ``minilek/private_frequency_oracles``).

    That sampler draws a uniform *non-zero* ``u`` in ``GF(q)^t`` and only then overwrites
    its coordinate at ``v``'s leading position, so off the hyperplane the draws whose other
    coordinates are all zero get weight ``(q - 1)/q`` of the others: the point ``e_L`` is
    under-weighted and every other off-point over-weighted. The worst ratio becomes
    ``e^eps (q^t - 1) / (q^{t-1} (q - 1))`` (this library's derivation, checked by the
    exact audit). Same parameters as :class:`~theorylab.ldp.PGR`.
    """

    name = "AuthorsPGR"

    @property
    def worst_ratio(self) -> Fraction:
        """Exact worst ratio of the buggy law (every point an item, ``k = K``): an on-point
        ``s / cset`` against ``e_L``'s ``(1 - s)(q - 1)/(q^t - 1)``."""
        s, q, t = self._p1, self.q, self.t
        return s * (q**t - 1) / ((1 - s) * self.cset * (q - 1))

    def _draw(self, n: int, src: RandomSource) -> tuple[np.ndarray, np.ndarray]:
        on = src.bernoulli(self._on, n)
        span = self.q ** (self.t - 1)
        r_on = src.integers(span - 1, n) + 1
        # the other t-1 coordinates of a uniform non-zero u in GF(q)^t: 0 for q - 1 of the
        # q^t - 1 draws, each non-zero value for q of them
        w = src.integers(self.q * span - 1, n)
        r_off = np.where(w < self.q - 1, 0, 1 + (w - (self.q - 1)) // self.q)
        c_off = src.integers(self.q - 1, n) + 1
        return np.where(on, r_on, r_off), np.where(on, 0, c_off)

    def _randomness_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        R, c, w = super()._randomness_table()
        off = c != 0
        w = w.copy()
        w[off & (R == 0)] *= (self.q - 1) / self.q
        w[off] *= (1 - self.p1) / w[off].sum()
        return R, c, w


class LeakyGRR(GRR):
    """Negative control: k-ary randomized response (Wang, Blocki, Li, Jha 2017, Section 4.1)
    whose "other" item is drawn from all ``k`` items, the true one included: the fill bug of
    subset selection in the C++ code of Feldman, Nelson, Nguyen, Talwar 2022. Its worst
    ratio is ``1 + k P1 / (1 - P1)`` instead of ``e^eps``."""

    name = "LeakyGRR"

    @property
    def worst_ratio(self) -> Fraction:
        """Exact worst ratio ``(P1 + (1 - P1)/k) / ((1 - P1)/k)`` of the buggy law."""
        return 1 + self._p1 * self.k / (1 - self._p1)

    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray:
        keep = src.bernoulli(self._keep, items.size)
        return np.where(keep, items, src.integers(self.k, items.size))

    def _probabilities(self, item: int) -> np.ndarray:
        p1 = float(self._p1)
        out = np.full(self.k, (1 - p1) / self.k)
        out[item] += p1
        return out


__all__ = ["AuthorsPGR", "LeakyGRR"]
