"""Graphs and costs for MaxCut and synchronization: the G-set/rudy reader, input coercion,
seeded generators (Erdős–Rényi of a given average degree, toroidal grids with ±1 weights, as
in the G-set families of Helmberg & Rendl 2000; Gaussian generic costs), and the Z2
synchronization model with its recovery metric (e.g. Bandeira, Boumal, Singer 2017; Mei et
al. 2017)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int, check_real


def read_gset(path: str | os.PathLike[str]) -> sp.csr_matrix:
    """Read a G-set / rudy text file (the MaxCut benchmark graphs of Helmberg & Rendl 2000,
    made with Rinaldi's rudy generator) into a symmetric sparse weight matrix (CSR, float64).

    Format (rudy output): first line ``n m``; then ``m`` lines ``i j w`` with 1-based vertex
    indices and a (usually integer, possibly negative) weight. Self-loops, repeated edges,
    out-of-range indices, non-finite weights and a wrong edge count raise a ``ValueError``
    naming the file and the line.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path: no such G-set/rudy file {str(p)!r}")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: cannot read G-set file {str(p)!r}: {exc}") from exc
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"path: G-set file {str(p)!r} is empty (expected a first line 'n m')")
    head = lines[0].split()
    try:
        if len(head) != 2:
            raise ValueError
        n, m = int(head[0]), int(head[1])
    except ValueError:
        raise ValueError(
            f"path: malformed G-set header in {str(p)!r}: expected 'n m', got {lines[0]!r}"
        ) from None
    if n < 1 or m < 0:
        raise ValueError(f"path: G-set header of {str(p)!r} needs n >= 1, m >= 0; got {n} {m}")
    if len(lines) - 1 != m:
        raise ValueError(
            f"path: G-set file {str(p)!r} declares m = {m} edges but has {len(lines) - 1}"
        )
    if m == 0:
        return sp.csr_matrix((n, n), dtype=np.float64)
    try:
        rows = [ln.split() for ln in lines[1:]]
        bad = next((k for k, r in enumerate(rows) if len(r) != 3), None)
        if bad is not None:
            raise ValueError(f"line {bad + 2} has {len(rows[bad])} fields, expected 'i j w'")
        arr = np.array(rows, dtype=object)
        ii = np.array([int(x) for x in arr[:, 0]], dtype=np.int64)
        jj = np.array([int(x) for x in arr[:, 1]], dtype=np.int64)
        ww = np.array([float(x) for x in arr[:, 2]], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"path: malformed edge line in G-set file {str(p)!r}: {exc}") from None
    for name, idx in (("i", ii), ("j", jj)):
        out = np.flatnonzero((idx < 1) | (idx > n))
        if out.size:
            k = int(out[0])
            raise ValueError(
                f"path: vertex {name} = {idx[k]} out of range 1..{n} on line {k + 2} of {str(p)!r}"
            )
    if not np.isfinite(ww).all():
        k = int(np.flatnonzero(~np.isfinite(ww))[0])
        raise ValueError(f"path: non-finite weight on line {k + 2} of {str(p)!r}")
    loops = np.flatnonzero(ii == jj)
    if loops.size:
        raise ValueError(f"path: self-loop on line {int(loops[0]) + 2} of {str(p)!r}")
    lo, hi = np.minimum(ii, jj) - 1, np.maximum(ii, jj) - 1
    keys = lo * n + hi
    uniq, counts = np.unique(keys, return_counts=True)
    if uniq.size != m:
        k = int(np.sort(np.flatnonzero(np.isin(keys, uniq[counts > 1])))[1])
        raise ValueError(f"path: repeated edge on line {k + 2} of {str(p)!r}")
    A = sp.coo_matrix((ww, (lo, hi)), shape=(n, n))
    return (A + A.T).tocsr()


def as_adjacency(graph: Any, name: str = "graph") -> sp.csr_matrix:
    """A symmetric sparse weight matrix (CSR, float64, zero diagonal, sorted indices) from
    ``graph``: a SciPy sparse matrix, a dense array, a networkx graph (edge attribute
    ``weight``, default 1) or the path of a G-set/rudy file. Self-loops carry no cut weight
    and are dropped (this library's input convention for MaxCut, Goemans & Williamson 1995).
    This is the one validation of a graph; the input is never modified.
    """
    if isinstance(graph, (str, os.PathLike)):
        return read_gset(graph)
    if type(graph).__module__.startswith("networkx"):
        import networkx as nx

        nodes = list(graph.nodes())
        A = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="weight", format="csr")
        if graph.is_directed():
            raise ValueError(f"{name} must be an undirected networkx graph")
        A = sp.csr_matrix(A, dtype=np.float64)
    elif sp.issparse(graph):
        A = sp.csr_matrix(graph, dtype=np.float64, copy=True)
    else:
        try:
            arr = np.asarray(graph, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be a SciPy sparse matrix, a dense array, a networkx graph or a "
                f"path to a G-set file; got {type(graph).__name__}"
            ) from exc
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a square 2-d matrix; got shape {arr.shape}")
        A = sp.csr_matrix(arr)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {A.shape}")
    if A.shape[0] < 1:
        raise ValueError(f"{name} must have at least one vertex")
    if not np.isfinite(A.data).all():
        raise ValueError(f"{name} must have finite weights; it contains NaN or inf")
    A.sum_duplicates()  # canonical CSR: sorted indices, no repeats
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    A.data[rows == A.indices] = 0.0  # self-loops
    A.eliminate_zeros()
    asym = abs(A - A.T)
    scale = max(abs(A).max() if A.nnz else 0.0, 1.0)
    if asym.nnz and asym.max() > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric (an undirected weighted graph)")
    return ((A + A.T) * 0.5).tocsr()


def erdos_renyi(n: int, avg_degree: float, *, seed: SeedLike = None) -> sp.csr_matrix:
    """Unweighted Erdős–Rényi graph G(n, q) (Gilbert 1959) with ``q = avg_degree / (n - 1)``
    (like G-set's random families, e.g. G43 with n = 1000 and average degree 20), as a
    symmetric CSR 0/1 matrix. Memory O(edges). ``seed``: int, None or a numpy/torch
    Generator."""
    n = check_int(n, "n", min_value=1)
    d = check_real(avg_degree, "avg_degree", min_value=0.0)
    rng = as_generator(seed)
    if n == 1 or d == 0:
        return sp.csr_matrix((n, n), dtype=np.float64)
    q = min(1.0, d / (n - 1))
    m = int(rng.binomial(n * (n - 1) // 2, q))
    keys = np.empty(0, dtype=np.int64)
    while keys.size < m:  # uniform distinct pairs i < j by rejection of repeats
        a = rng.integers(0, n, size=2 * (m - keys.size) + 8)
        b = rng.integers(0, n, size=a.size)
        ok = a != b
        new = np.minimum(a, b)[ok] * n + np.maximum(a, b)[ok]
        keys = np.concatenate([keys, new[np.sort(np.unique(new, return_index=True)[1])]])
        keys = keys[np.sort(np.unique(keys, return_index=True)[1])]
    keys = keys[:m]
    i, j = keys // n, keys % n
    A = sp.coo_matrix((np.ones(m), (i, j)), shape=(n, n))
    return (A + A.T).tocsr()


def toroidal_grid(
    rows: int, cols: int, *, signed: bool = True, seed: SeedLike = None
) -> sp.csr_matrix:
    """The ``rows x cols`` toroidal grid (4-regular), with i.i.d. uniform ±1 weights when
    ``signed`` (like the G-set toroidal graphs G11 and G81, Helmberg & Rendl 2000), else
    weights 1. Symmetric CSR. ``seed``: int, None or a numpy/torch Generator."""
    r = check_int(rows, "rows", min_value=3)
    c = check_int(cols, "cols", min_value=3)
    rng = as_generator(seed)
    idx = np.arange(r * c).reshape(r, c)
    src = np.concatenate([idx.ravel(), idx.ravel()])
    dst = np.concatenate([np.roll(idx, -1, axis=1).ravel(), np.roll(idx, -1, axis=0).ravel()])
    w = rng.choice([-1.0, 1.0], size=src.size) if signed else np.ones(src.size)
    A = sp.coo_matrix((w, (src, dst)), shape=(r * c, r * c))
    return (A + A.T).tocsr()


def z2_synchronization(
    n: int, snr: float, *, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Z2 synchronization: ``A = (snr / n) x x^T + W / sqrt(n)`` with ``x`` uniform in
    {±1}^n and ``W`` a GOE matrix (off-diagonal N(0, 1), diagonal N(0, 2)). Returns the
    dense symmetric data ``A`` (n x n) and the planted ``x``. The SDP relaxation is
    ``max <A, X>`` s.t. ``diag(X) = 1``, i.e. ``solve_diag_sdp(-A)`` (Bandeira, Boumal,
    Singer 2017; Javanmard, Montanari, Ricci-Tersenghi 2016). Recovery is possible above
    ``snr = 1``. ``seed``: int, None or a numpy/torch Generator."""
    n = check_int(n, "n", min_value=2)
    snr = check_real(snr, "snr", min_value=0.0)
    rng = as_generator(seed)
    x = rng.choice([-1.0, 1.0], size=n)
    G = rng.standard_normal((n, n))
    W = (G + G.T) / np.sqrt(2.0)
    A = (snr / n) * np.outer(x, x) + W / np.sqrt(n)
    return A, x


def goe_cost(n: int, *, seed: SeedLike = None) -> np.ndarray:
    """A generic dense symmetric cost ``(G + G^T) / sqrt(2 n)`` (``(n, n)``, ``G`` i.i.d.
    N(0, 1)): a GOE matrix scaled to spectral radius about 2 (Mehta 2004, Ch. 2), the kind
    of "almost every C" of Boumal, Voroninski, Bandeira 2016, Thm 2. ``seed``: int, None or
    a numpy/torch Generator."""
    n = check_int(n, "n", min_value=1)
    G = as_generator(seed).standard_normal((n, n))
    return (G + G.T) / np.sqrt(2 * n)


def sync_overlap(Y: np.ndarray, x: np.ndarray) -> float:
    """Recovery metric of Z2 synchronization: ``|<sign(u), x>| / n`` with ``u`` the leading
    left singular vector of the factor ``Y`` (the top eigenvector of ``X = Y Y^T``); 1 is
    exact recovery (up to the global sign), about 0 is chance (the overlap of Javanmard,
    Montanari, Ricci-Tersenghi 2016)."""
    Y = np.asarray(Y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).ravel()
    if Y.ndim != 2 or Y.shape[0] != x.size:
        raise ValueError(f"Y must have shape (n, p) with n = len(x) = {x.size}; got {Y.shape}")
    u = np.linalg.svd(Y, full_matrices=False)[0][:, 0]
    s = np.where(u >= 0, 1.0, -1.0)
    return float(abs(s @ x) / x.size)


__all__ = [
    "as_adjacency",
    "erdos_renyi",
    "goe_cost",
    "read_gset",
    "sync_overlap",
    "toroidal_grid",
    "z2_synchronization",
]
