"""numba acceleration: ``jit(fn)`` compiles ``fn`` when numba can be imported.

numba is a dependency of theorylab, but a platform without a numba build can still run
everything: kernels are written once as plain Python over NumPy arrays, and :func:`jit`
returns the compiled version, or ``None`` without numba so that callers fall back to
their vectorised NumPy path (which the tests compare against the kernels).
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


def jit_or_python(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`jit`, but returns ``fn`` itself (plain, slow Python) without numba."""
    return jit(fn) or fn


__all__ = ["HAVE_NUMBA", "jit", "jit_or_python"]
