"""Conservation laws in closed form: the polynomial laws of a given degree.

Marcotte, Gribonval, Peyré (2023), Sec. 3.3 (and the authors' ``get_conserved_polynomials``):
with the ansatz P = Σ_α a_α θ^α, the conditions ⟨∇P, X_i⟩ ≡ 0 for every generator X_i are
linear in the coefficients a. We build that sparse system with exact rational entries, take
its kernel exactly over Q, and verify every law symbolically against *all* generators
before returning it. No float kernel, no rounding.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import sympy
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyElement

from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int
from theorylab.conservation.fields import PolyField, eval_poly_fields, gradient_field
from theorylab.conservation.flows import FieldSystem, Flow, as_flow, check_model, system_of
from theorylab.conservation.known import primitive
from theorylab.conservation.lie import _FloatSpan, generic_points
from theorylab.conservation.models import Model

_MAX_UNKNOWNS = 20_000


def _monomials(n: int, degree: int, homogeneous: bool) -> list[tuple[int, ...]]:
    degrees = [degree] if homogeneous else range(1, degree + 1)
    out = []
    for k in degrees:
        for combo in itertools.combinations_with_replacement(range(n), k):
            e = [0] * n
            for i in combo:
                e[i] += 1
            out.append(tuple(e))
    return out


def _independent(
    fields: list[PolyField], points: np.ndarray, rtol: float = 1e-9
) -> list[PolyField]:
    """The fields whose stacked evaluations raise the rank (a basis of their span, generically)."""
    vals = eval_poly_fields(fields, points).reshape(len(fields), -1)
    span = _FloatSpan(vals.shape[1], rtol)
    return [f for f, v in zip(fields, vals, strict=True) if span.add(v) > 0]


def _conserved(p: PolyElement, fields: tuple[PolyField, ...]) -> bool:
    """Exact check that ⟨∇p, X⟩ ≡ 0 for every field X."""
    grad = gradient_field(fields[0].ring, p).comps
    return all(
        not sum((g * x for g, x in zip(grad, f.comps, strict=True) if g and x), fields[0].ring.zero)
        for f in fields
    )


def law_space(
    system: FieldSystem, degree: int, *, homogeneous: bool = False, seed: SeedLike = None
) -> list[PolyElement]:
    """A basis (over Q) of the polynomial laws of degree <= ``degree`` (or exactly
    ``degree`` if ``homogeneous``), each verified exactly. Constants are excluded."""
    R = system.ring
    n = system.dim
    rng = as_generator(seed)
    points = generic_points(rng, 3, system.positive)
    gens = _independent([g for g in system.generators if not g.is_zero()], points)
    monos = _monomials(n, degree, homogeneous)
    if len(monos) > _MAX_UNKNOWNS:
        raise ValueError(
            f"degree {degree} in {n} variables gives {len(monos)} unknown coefficients "
            f"(limit {_MAX_UNKNOWNS}); lower the degree or use count_laws for the number"
        )
    rows: dict[tuple[int, tuple[int, ...]], dict[int, object]] = defaultdict(dict)
    for col, alpha in enumerate(monos):
        m = R.from_dict({alpha: QQ.one})
        support = [j for j, e in enumerate(alpha) if e]
        for i, g in enumerate(gens):
            q = R.zero
            for j in support:
                if g.comps[j]:
                    q += m.diff(R.gens[j]) * g.comps[j]
            for beta, c in q.terms():
                rows[(i, beta)][col] = c
    keys = list(rows)
    A = DomainMatrix({r: rows[k] for r, k in enumerate(keys)}, (max(len(keys), 1), len(monos)), QQ)
    kernel = A.nullspace().to_Matrix() if keys else sympy.eye(len(monos))
    laws = []
    for vec in kernel.tolist():
        p = R.from_dict({monos[c]: QQ.convert(v) for c, v in enumerate(vec) if v != 0})
        p = primitive(p)
        p = -p if p.LC < 0 else p
        if not _conserved(p, system.generators):  # pragma: no cover - exact algebra
            raise ArithmeticError(f"internal error: kernel polynomial {p} is not conserved")
        laws.append(p)
    return laws


def _independent_laws(
    system: FieldSystem, laws: list[PolyElement], seed: SeedLike
) -> list[PolyElement]:
    """A functionally independent subset (rank of gradients at a generic point), preferring
    low degree and few terms."""
    laws = sorted(laws, key=lambda p: (max(sum(m) for m in p.monoms()), len(p.terms())))
    if not laws:
        return []
    rng = as_generator(seed)
    n = system.dim
    point = generic_points(rng, 1, system.positive)
    grads = [gradient_field(system.ring, p) for p in laws]
    vals = eval_poly_fields(grads, point).reshape(len(laws), -1)
    span = _FloatSpan(n, 1e-9)
    return [p for p, v in zip(laws, vals, strict=True) if span.add(v) > 0]


def polynomial_laws(
    model: Model,
    degree: int = 2,
    flow: Flow = "gradient",
    *,
    seed: SeedLike = None,
    homogeneous: bool = False,
    independent: bool = True,
) -> list[sympy.Expr]:
    """Polynomial conservation laws of ``flow`` for ``model`` with exact rational (in fact
    integer, gcd 1) coefficients, each verified symbolically before it is returned.

    ``seed`` draws the generic points that pick the independent generators and the
    independent subset (the laws themselves are exact whatever the seed).
    ``degree``: the ansatz degree (no automatic bound: use 2 for linear/ReLU gradient flows,
    3 for momentum with τ ≠ 0, where laws carry the factor s = e^{τt}). ``independent``
    (default) returns a functionally independent subset, so its length is the number of
    independent polynomial laws; ``independent=False`` returns a basis of the whole vector
    space of laws (including, e.g., products of lower-degree laws).
    Marcotte, Gribonval, Peyré (2023), Sec. 3.3; (2024) for momentum and mirror flows.
    """
    degree = check_int(degree, "degree", min_value=1)
    system = system_of(check_model(model), as_flow(flow))
    if not system.polynomial:
        raise ValueError(
            "polynomial_laws needs a polynomial model (a built-in builder) and an entropy or "
            "Euclidean metric; for from_function models use count_laws"
        )
    laws = law_space(system, degree, homogeneous=homogeneous, seed=seed)
    if independent:
        laws = _independent_laws(system, laws, seed)
    return [p.as_expr() for p in laws]


__all__ = ["law_space", "polynomial_laws"]
