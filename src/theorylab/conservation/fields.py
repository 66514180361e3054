"""Vector fields on a state space, in two representations, with Lie brackets.

- :class:`PolyField`: exact polynomial fields (one sparse sympy polynomial per coordinate,
  rational coefficients). Brackets are exact; evaluation is vectorized in NumPy (float) or
  exact over Q. Every built-in model is polynomial (path-lifting of ReLU nets, products of
  matrices), so its laws can be counted and found exactly.
- :class:`TorchField`: any field given by a PyTorch function of one state vector; brackets
  by forward-mode autodiff, ``[X, Y](θ) = DY(θ)X(θ) − DX(θ)Y(θ)`` (Marcotte, Gribonval,
  Peyré 2023, Sec. 3), evaluated in a batch with ``torch.func.vmap``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
import torch
from sympy.polys.rings import PolyElement, PolyRing


def _support(p: PolyElement) -> list[int]:
    """Indices of the variables that occur in ``p``."""
    return [i for i, d in enumerate(p.degrees()) if d > 0] if p else []


@dataclass(frozen=True, eq=False)
class PolyField:
    """A polynomial vector field: ``comps[j]`` is coordinate j, a polynomial of the ring."""

    ring: PolyRing
    comps: tuple[PolyElement, ...]

    @property
    def dim(self) -> int:
        return len(self.comps)

    def is_zero(self) -> bool:
        return not any(self.comps)

    def bracket(self, other: PolyField) -> PolyField:
        """``[self, other] = D(other)·self − D(self)·other``, exactly."""
        gens = self.ring.gens
        out = []
        for xj, yj in zip(self.comps, other.comps, strict=True):
            acc = self.ring.zero
            for k in _support(yj):
                if self.comps[k]:
                    acc += self.comps[k] * yj.diff(gens[k])
            for k in _support(xj):
                if other.comps[k]:
                    acc -= other.comps[k] * xj.diff(gens[k])
            out.append(acc)
        return PolyField(self.ring, tuple(out))


def gradient_field(ring: PolyRing, p: PolyElement) -> PolyField:
    """The gradient of the polynomial ``p`` as a field."""
    comps = [ring.zero] * ring.ngens
    for i in _support(p):
        comps[i] = p.diff(ring.gens[i])
    return PolyField(ring, tuple(comps))


def eval_poly_fields(fields: Sequence[PolyField], points: np.ndarray) -> np.ndarray:
    """Evaluate fields at points in float64: ``(F, P, n)`` from points ``(P, n)``.

    Monomials are computed as ``sign · exp(α·log|θ|)`` with one sparse product for all
    terms of all fields (points have no zero coordinate).
    """
    n_fields = len(fields)
    P, n = points.shape
    rows, cols, vals, coeffs, targets = [], [], [], [], []
    t = 0
    for f_idx, field in enumerate(fields):
        for j, comp in enumerate(field.comps):
            for monom, coeff in comp.terms():
                nz = [i for i, e in enumerate(monom) if e]
                rows.extend([t] * len(nz))
                cols.extend(nz)
                vals.extend(monom[i] for i in nz)
                coeffs.append(float(coeff))
                targets.append(f_idx * n + j)
                t += 1
    out = np.zeros((n_fields * n, P))
    if t:
        exps = sp.csr_matrix((vals, (rows, cols)), shape=(t, n), dtype=np.float64)
        logabs = np.log(np.abs(points)).T
        parity = (exps @ (points < 0).T.astype(np.float64)) % 2
        mono = np.exp(exps @ logabs) * (1.0 - 2.0 * parity) * np.asarray(coeffs)[:, None]
        np.add.at(out, np.asarray(targets), mono)
    return out.reshape(n_fields, n, P).transpose(0, 2, 1)


def eval_poly_fields_exact(fields: Sequence[PolyField], points: Sequence[Sequence[Fraction]]):
    """Evaluate fields exactly at rational points: a list (per field) of flat lists over Q,
    ordered point-major like :func:`eval_poly_fields` (``P·n`` entries each)."""
    if not fields:
        return []
    dom = fields[0].ring.domain
    pts = [[dom.convert(x) for x in pt] for pt in points]
    out = []
    for field in fields:
        vec = []
        for pt in pts:
            vec.extend(comp(*pt) if comp else dom.zero for comp in field.comps)
        out.append(vec)
    return out


class TorchField:
    """A field given by a PyTorch function ``f(θ) -> Tensor`` of one state vector ``(n,)``.

    Brackets nest forward-mode derivatives, so the cost grows with depth; evaluation is
    batched over points with ``torch.func.vmap``.
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], dim: int, label: str = ""):
        self.fn = fn
        self.dim = dim
        self.label = label

    def is_zero(self) -> bool:
        return False

    def bracket(self, other: TorchField) -> TorchField:
        x, y = self.fn, other.fn

        def br(theta: torch.Tensor) -> torch.Tensor:
            _, dy = torch.func.jvp(y, (theta,), (x(theta),))
            _, dx = torch.func.jvp(x, (theta,), (y(theta),))
            return dy - dx

        return TorchField(br, self.dim, f"[{self.label},{other.label}]")


def eval_torch_fields(fields: Sequence[TorchField], points: np.ndarray) -> np.ndarray:
    """Evaluate torch fields at points in float64: ``(F, P, n)``."""
    pts = torch.as_tensor(points, dtype=torch.float64)
    out = [torch.func.vmap(f.fn)(pts).detach().numpy() for f in fields]
    return np.stack(out) if out else np.zeros((0,) + points.shape)
