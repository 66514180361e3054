"""Optional numba acceleration: ``jit(fn)`` compiles ``fn`` when numba is installed.

numba is an optional dependency (the ``fast`` extra). Kernels are written once as plain
Python over NumPy arrays; :func:`jit` returns the compiled version, or ``None`` without
numba so that callers fall back to their vectorised NumPy path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the install
    numba = None
    HAVE_NUMBA = False


def jit(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """``numba.njit(cache=True, nogil=True)(fn)``, or ``None`` when numba is missing."""
    if not HAVE_NUMBA:
        return None
    return numba.njit(cache=True, nogil=True)(fn)


__all__ = ["HAVE_NUMBA", "jit"]
