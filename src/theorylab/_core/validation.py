"""Argument validation: clear ``TypeError``/``ValueError`` messages that name the argument
and say what was expected, raised at the API boundary instead of deep inside NumPy/PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch


def check_int(
    value: Any, name: str, *, min_value: int | None = None, max_value: int | None = None
) -> int:
    """``value`` as a Python int, or a ``TypeError``/``ValueError`` naming ``name``.

    Booleans and non-integral floats (``2.5``) are refused; integral numpy scalars pass.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            raise TypeError(f"{name} must be an int; got the float {value!r} (use {int(value)})")
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}; got {value}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be <= {max_value}; got {value}")
    return value


def check_real(
    value: Any,
    name: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    strict_min: bool = False,
) -> float:
    """``value`` as a finite Python float within bounds (``strict_min``: ``> min_value``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if min_value is not None:
        if strict_min and value <= min_value:
            raise ValueError(f"{name} must be > {min_value}; got {value}")
        if not strict_min and value < min_value:
            raise ValueError(f"{name} must be >= {min_value}; got {value}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be <= {max_value}; got {value}")
    return value


def check_int_sequence(
    value: Any, name: str, *, min_len: int = 1, min_value: int | None = 1
) -> tuple[int, ...]:
    """A sequence of ints (e.g. layer widths) as a tuple, each checked by :func:`check_int`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of ints; got {type(value).__name__}")
    items = tuple(value)
    if len(items) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries; got {len(items)}")
    return tuple(check_int(v, f"{name}[{i}]", min_value=min_value) for i, v in enumerate(items))


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices`` (strings), else a ``ValueError`` listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(choices)}; got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}")
    return value


def check_finite(value: np.ndarray | torch.Tensor, name: str) -> None:
    """Raise a ``ValueError`` naming ``name`` if the array holds NaN or infinite entries."""
    if isinstance(value, torch.Tensor):
        ok = bool(torch.isfinite(value).all())
    else:
        ok = bool(np.isfinite(np.asarray(value)).all())
    if not ok:
        raise ValueError(f"{name} must be finite; it contains NaN or infinite entries")
