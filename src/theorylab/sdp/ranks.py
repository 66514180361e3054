"""Rank rules for Burer–Monteiro factorizations of SDPs with ``m`` equality constraints.

- Barvinok (1995), Pataki (1998): an optimal solution of rank ``r`` with ``r(r+1)/2 <= m``
  exists, so rank ``p_BP(m)`` suffices to reach the SDP value.
- Boumal, Voroninski, Bandeira (NIPS 2016; CPAM 2020): if ``p(p+1)/2 > m`` then, for almost
  every cost, every second-order critical point is globally optimal (``p_BVB``).
- Waldspurger, Waters (SIAM J. Optim. 30(3), 2020): for ``p(p+1)/2 + p <= n`` there are
  costs with non-optimal second-order critical points (``p_WW`` is the largest such p).
"""

from __future__ import annotations

import math

from theorylab._core.validation import check_int


def rank_barvinok_pataki(m: int) -> int:
    """Largest ``r`` with ``r(r+1)/2 <= m`` (Barvinok 1995, Pataki 1998)."""
    m = check_int(m, "m", min_value=1)
    return (math.isqrt(8 * m + 1) - 1) // 2


def rank_threshold(n: int, m: int | None = None) -> int:
    """The Boumal–Voroninski–Bandeira rank: the smallest ``p`` with ``p(p+1)/2 > m``.

    ``n`` is the matrix size and ``m`` the number of equality constraints (``m = n`` for the
    diagonal constraints ``diag(X) = 1``, the default). Above it, second-order critical
    points of the Burer–Monteiro problem are optimal for almost every cost (BVB 2016,
    Theorem 2; CPAM 2020). The solvers never climb past ``min(p_BVB, n)`` unless asked.
    """
    n = check_int(n, "n", min_value=1)
    m = n if m is None else check_int(m, "m", min_value=1)
    return rank_barvinok_pataki(m) + 1


def rank_ww(n: int) -> int:
    """Largest ``p`` with ``p(p+1)/2 + p <= n``: the Waldspurger–Waters regime (2020) where
    non-optimal second-order critical points exist for a set of costs of positive measure.
    Returns 0 when no ``p >= 1`` fits."""
    n = check_int(n, "n", min_value=1)
    return (math.isqrt(8 * n + 9) - 3) // 2


__all__ = ["rank_barvinok_pataki", "rank_threshold", "rank_ww"]
