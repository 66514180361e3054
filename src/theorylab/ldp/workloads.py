"""Item distributions for simulations: the truncated Zipf law used throughout the LDP
literature (Wang et al. 2017; the Zipf workloads of Feldman, Nelson, Nguyen, Talwar 2022)."""

from __future__ import annotations

import numpy as np

from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int, check_real


def zipf_frequencies(k: int, s: float) -> np.ndarray:
    """Zipf(s) truncated to ``k`` items: ``p_i ∝ (i + 1)^-s``, shape ``(k,)`` (the workload
    of Wang, Blocki, Li, Jha 2017 and Feldman, Nelson, Nguyen, Talwar 2022)."""
    k = check_int(k, "k", min_value=1)
    s = check_real(s, "s", min_value=0.0)
    p = np.arange(1, k + 1, dtype=np.float64) ** -s
    return p / p.sum()


def zipf_items(k: int, n: int, s: float, *, seed: SeedLike = None) -> np.ndarray:
    """``n`` i.i.d. items drawn from :func:`zipf_frequencies` ``(k, s)``, int64 shape ``(n,)``
    (the simulated users of Wang et al. 2017 and Feldman et al. 2022; one
    ``Generator.choice`` call, so ``seed=12345`` gives ``default_rng(12345).choice(...)``)."""
    n = check_int(n, "n", min_value=0)
    p = zipf_frequencies(k, s)
    return as_generator(seed).choice(p.size, size=n, p=p)


__all__ = ["zipf_frequencies", "zipf_items"]
