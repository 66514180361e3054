"""Item distributions for simulations: the truncated Zipf law used throughout the LDP
literature (Wang et al. 2017; Feldman, Nelson, Nguyen, Talwar 2022, Section 6)."""

from __future__ import annotations

import numpy as np

from theorylab._core.validation import check_int, check_real


def zipf_frequencies(k: int, s: float) -> np.ndarray:
    """Zipf(s) truncated to ``k`` items: ``p_i ∝ (i + 1)^-s``, shape ``(k,)``."""
    k = check_int(k, "k", min_value=1)
    s = check_real(s, "s", min_value=0.0)
    p = np.arange(1, k + 1, dtype=np.float64) ** -s
    return p / p.sum()


__all__ = ["zipf_frequencies"]
