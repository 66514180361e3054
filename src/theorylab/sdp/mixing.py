"""The mixing method (Wang, Chang, Kolter, "The mixing method: low-rank coordinate descent
for semidefinite programming with diagonal constraints", arXiv 1706.00476, 2017, Alg. 1):
exact block-coordinate minimization of ``<C, V V^T>`` over one unit row at a time,
``v_i <- -g_i / ||g_i||`` with ``g_i = sum_{j != i} c_ij v_j`` (Gauss–Seidel sweeps over a
CSR matrix, O(nnz(C) p) per sweep). The kernel is compiled with numba (a dependency); on a
platform without numba the same loop runs as (slow) plain Python.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from theorylab._core.accel import HAVE_NUMBA
from theorylab._core.accel import jit_or_python as _jit


@_jit
def _sweeps(indptr, indices, data, Y, n_sweeps, out):  # type: ignore[no-untyped-def]
    n, p = Y.shape
    g = np.empty(p)
    for s in range(n_sweeps):
        dec = 0.0
        for i in range(n):
            for a in range(p):
                g[a] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if j != i:
                    c = data[k]
                    for a in range(p):
                        g[a] += c * Y[j, a]
            nrm = 0.0
            dot = 0.0
            for a in range(p):
                nrm += g[a] * g[a]
                dot += g[a] * Y[i, a]
            if nrm > 0.0:
                nrm = math.sqrt(nrm)
                dec += 2.0 * (nrm + dot)
                for a in range(p):
                    Y[i, a] = -g[a] / nrm
        out[s] = dec
    return out


def mixing_sweeps(C_csr: Any, Y: np.ndarray, n_sweeps: int) -> np.ndarray:
    """Run ``n_sweeps`` mixing sweeps in place on ``Y`` (unit rows, C-ordered float64) for
    the CSR matrix ``C_csr``; returns the decrease of ``<C, Y Y^T>`` per sweep."""
    out = np.zeros(n_sweeps)
    _sweeps(
        C_csr.indptr.astype(np.int64, copy=False),
        C_csr.indices.astype(np.int64, copy=False),
        C_csr.data,
        Y,
        n_sweeps,
        out,
    )
    return out


def mixing(
    C_csr: Any,
    Y: np.ndarray,
    *,
    rel_tol: float = 1e-9,
    max_sweeps: int = 100_000,
    deadline: float | None = None,
    f0: float | None = None,
) -> tuple[np.ndarray, int]:
    """Mixing sweeps on ``Y`` (modified in place) until one sweep decreases
    ``f = <C, Y Y^T>`` by less than ``rel_tol * (|f| + scale)`` (a relative rule; the
    C code's absolute ``eps`` depends on the scale of ``C``), the sweep
    budget is spent, or ``time.perf_counter()`` passes ``deadline``. Returns ``(Y, sweeps)``.
    """
    scale = float(np.abs(C_csr.data).sum()) / max(C_csr.shape[0], 1) + 1e-300
    f = abs(f0) if f0 is not None else scale * C_csr.shape[0]
    done = 0
    chunk = 4
    while done < max_sweeps:
        k = min(chunk, max_sweeps - done)
        dec = mixing_sweeps(C_csr, Y, k)
        done += k
        if dec[-1] <= rel_tol * (f + scale):
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        chunk = min(chunk * 2, 64)
    return Y, done


__all__ = ["HAVE_NUMBA", "mixing", "mixing_sweeps"]
