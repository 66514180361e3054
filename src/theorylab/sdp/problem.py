"""Cost matrices of diagonal-constrained SDPs and the oblique manifold they are solved on.

Min form (Boumal, Voroninski, Bandeira 2016, eq. (1)): minimize ``<C, X>`` s.t.
``diag(X) = 1``, ``X`` PSD. With ``X = Y Y^T`` (Burer & Monteiro 2003) the constraint is
``||y_i|| = 1`` for every row: ``Y`` lies on the oblique manifold OB(p, n), a product of n
spheres. Formulas (Riemannian submanifold geometry, Absil, Mahony, Sepulchre 2008, Ch. 3
and 5; Boumal 2015): ``f(Y) = <C, Y Y^T>``, ``grad f = 2 S Y`` and
``Hess f[U] = 2 Proj_Y(S U)`` with the slack ``S = C - Diag(diag(C Y Y^T))``.

The public functions validate their arguments; the helpers ``sparse_cost``, ``_unit_rows``
and ``_value`` take arrays that are already validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int


@dataclass(frozen=True)
class Cost:
    """A validated symmetric cost: ``mat`` is a CSR matrix or a dense C-ordered array."""

    mat: Any
    n: int
    sparse: bool

    def dot(self, Y: np.ndarray) -> np.ndarray:
        """``C @ Y`` for a dense ``(n, k)`` block."""
        return np.ascontiguousarray(self.mat @ Y)

    def diagonal(self) -> np.ndarray:
        return np.asarray(self.mat.diagonal(), dtype=np.float64)

    def csr(self) -> sp.csr_matrix:
        """The matrix as CSR (a copy for dense input: O(n^2) memory)."""
        return self.mat if self.sparse else sp.csr_matrix(self.mat)

    def slack(self, lam: np.ndarray) -> Any:
        """``S = C - Diag(lam)``, sparse (CSR with a stored diagonal) or dense."""
        if self.sparse:
            return (self.mat - sp.diags(lam)).tocsr()
        S = self.mat.copy()
        S[np.diag_indices(self.n)] -= lam
        return S

    def abs_row_sum_max(self) -> float:
        return float(abs(self.mat).sum(axis=1).max()) if self.n else 0.0


def as_cost(C: Any, name: str = "C") -> Cost:
    """Validate ``C`` (square, finite, symmetric up to 1e-10 relative; dense array or SciPy
    sparse matrix) and return it as a :class:`Cost` (exactly symmetrized)."""
    if isinstance(C, Cost):
        return C
    if sp.issparse(C):
        if C.ndim != 2 or C.shape[0] != C.shape[1]:
            raise ValueError(f"{name} must be a square matrix; got shape {C.shape}")
        M = sp.csr_matrix(C, dtype=np.float64)
        if not np.isfinite(M.data).all():
            raise ValueError(f"{name} must be finite; it contains NaN or infinite entries")
        diff = abs(M - M.T)
        scale = float(abs(M).max()) if M.nnz else 0.0
        if diff.nnz and diff.max() > 1e-10 * max(scale, 1e-300):
            raise ValueError(f"{name} must be symmetric; max |C - C^T| = {diff.max():.3g}")
        return sparse_cost(((M + M.T) * 0.5).tocsr())
    try:
        M = np.array(C, dtype=np.float64, order="C")
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a dense array or a SciPy sparse matrix; got {type(C).__name__}"
        ) from exc
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {M.shape}")
    if not np.isfinite(M).all():
        raise ValueError(f"{name} must be finite; it contains NaN or infinite entries")
    scale = float(np.abs(M).max())
    asym = float(np.abs(M - M.T).max())
    if asym > 1e-10 * max(scale, 1e-300):
        raise ValueError(f"{name} must be symmetric; max |C - C^T| = {asym:.3g}")
    return Cost(np.ascontiguousarray((M + M.T) * 0.5), M.shape[0], False)


def sparse_cost(M: sp.csr_matrix) -> Cost:
    """A :class:`Cost` from an exactly symmetric float64 CSR matrix, without checks (for
    callers that validated it, e.g. :func:`~theorylab.sdp.as_adjacency`); duplicates are
    summed and indices sorted in place."""
    M.sum_duplicates()
    M.sort_indices()
    return Cost(M, M.shape[0], True)


def _unit_rows(Y: np.ndarray) -> np.ndarray:
    """``Y`` divided row-wise by its row norms (a new array; rows must be nonzero)."""
    return Y / np.sqrt(row_dots(Y, Y))[:, None]


def _check_rows(Y: Any, n: int | None, name: str) -> np.ndarray:
    """``Y`` as a C-ordered float64 ``(n, p)`` array (a copy), finite, with ``n`` rows."""
    Y = np.array(Y, dtype=np.float64, order="C")
    if Y.ndim != 2 or Y.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n, p) with p >= 1; got {Y.shape}")
    if n is not None and Y.shape[0] != n:
        raise ValueError(f"{name} must have n = {n} rows; got {Y.shape[0]}")
    if not np.isfinite(Y).all():
        raise ValueError(f"{name} must be finite")
    return Y


def normalize_rows(Y: Any, name: str = "Y") -> np.ndarray:
    """``Y`` (``(n, p)``) with unit rows: its metric projection onto the oblique manifold
    OB(p, n), as a new C-ordered float64 array (this library's helper). A zero or non-finite
    row raises a ``ValueError`` naming ``name``."""
    return _normalized(Y, None, name)


def _normalized(Y: Any, n: int | None, name: str) -> np.ndarray:
    """:func:`normalize_rows` that also checks the number of rows (when ``n`` is given)."""
    Y = _check_rows(Y, n, name)
    norms = np.sqrt(row_dots(Y, Y))
    if (norms == 0).any():
        raise ValueError(f"{name} has a zero row {int(np.flatnonzero(norms == 0)[0])}")
    Y /= norms[:, None]
    return Y


def random_point(n: int, p: int, seed: SeedLike = None) -> np.ndarray:
    """A uniformly random point of OB(p, n) (``(n, p)``): i.i.d. Gaussian rows, normalized,
    hence uniform on each sphere (Muller 1959). ``seed``: int, None, or a numpy/torch
    Generator."""
    n = check_int(n, "n", min_value=1)
    p = check_int(p, "p", min_value=1)
    return _random_point(n, p, as_generator(seed))


def _random_point(n: int, p: int, gen: np.random.Generator) -> np.ndarray:
    return _unit_rows(gen.standard_normal((n, p)))


def row_dots(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``diag(A B^T)``: the row-wise inner products."""
    return np.einsum("ij,ij->i", A, B)


def project(Y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Orthogonal projection of ``Z`` onto the tangent space of OB(p, n) at ``Y``:
    ``z_i - <z_i, y_i> y_i`` row-wise (Absil, Mahony, Sepulchre 2008, §3.6)."""
    return Z - row_dots(Z, Y)[:, None] * Y


def inner(U: np.ndarray, V: np.ndarray) -> float:
    """Frobenius inner product as an elementwise sum (no BLAS call: multithreaded BLAS is
    slow on such small products)."""
    return float(np.einsum("ij,ij->", U, V))


def _value(cost: Cost, Y: np.ndarray) -> float:
    return float(np.einsum("ij,ij->", cost.dot(Y), Y))


def cost_value(C: Any, Y: Any) -> float:
    """``f(Y) = <C, Y Y^T>`` for ``C`` ``(n, n)`` and ``Y`` ``(n, p)``, without forming
    ``Y Y^T``: the Burer–Monteiro objective (Burer & Monteiro 2003)."""
    cost = as_cost(C)
    return _value(cost, _check_rows(Y, cost.n, "Y"))


def riemannian_gradient(C: Any, Y: Any) -> np.ndarray:
    """``grad f(Y) = 2 (C Y - Diag(lambda) Y)`` (``(n, p)``) with ``lambda = diag(C Y Y^T)``,
    i.e. ``2 S Y``: the tangent projection of the Euclidean gradient ``2 C Y`` on OB(p, n)
    (Absil, Mahony, Sepulchre 2008, Ch. 3). ``Y`` should have unit rows."""
    cost = as_cost(C)
    Y = _check_rows(Y, cost.n, "Y")
    CY = cost.dot(Y)
    return 2.0 * (CY - row_dots(CY, Y)[:, None] * Y)


def riemannian_hessian(C: Any, Y: Any, U: Any) -> np.ndarray:
    """``Hess f(Y)[U] = 2 Proj_Y(C U - Diag(lambda) U)`` (``(n, p)``) for a tangent ``U`` at
    a unit-row ``Y``: the Riemannian Hessian on a submanifold (Absil, Mahony, Sepulchre
    2008, Ch. 5; Boumal 2015)."""
    cost = as_cost(C)
    Y = _check_rows(Y, cost.n, "Y")
    U = _check_rows(U, cost.n, "U")
    if U.shape != Y.shape:
        raise ValueError(f"U must have the shape of Y {Y.shape}; got {U.shape}")
    lam = row_dots(cost.dot(Y), Y)
    return 2.0 * project(Y, cost.dot(U) - lam[:, None] * U)


def retract(Y: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Metric-projection retraction ``R_Y(U) = normalize_rows(Y + U)``."""
    Z = Y + U
    return Z / np.sqrt(row_dots(Z, Z))[:, None]


__all__ = [
    "Cost",
    "as_cost",
    "cost_value",
    "inner",
    "normalize_rows",
    "project",
    "random_point",
    "retract",
    "riemannian_gradient",
    "riemannian_hessian",
    "row_dots",
    "sparse_cost",
]
