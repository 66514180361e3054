"""Closed-form laws of the built-in models, derived from their linear symmetries.

Noether-type recipe (Marcotte, Gribonval, Peyré 2023, Sec. 4; 2024, Sec. 3-4): if
φ(e^{λA}θ) = φ(θ) for all λ, then ⟨Aθ, ∇φ_i(θ)⟩ = 0, and

- gradient flow, A symmetric: h = θᵀAθ is conserved;
- heavy ball, A antisymmetric: h = e^{τt}⟨Aθ, θ̇⟩ is conserved (s = e^{τt}; no s when τ = 0);
- mirror flow with entropy on a mask m and A diagonal: h = 2Σ_{j∈m} a_j θ_j + Σ_{j∉m} a_j θ_j²
  (e.g. Σ_i U_ik − Σ_j V_jk for NMF, Σ_i U_ik − ½(‖v_k‖² + b_k²) for input-convex nets).

Laws are returned with integer coefficients whose gcd is 1. Their number may exceed the
number of *independent* laws: count them with the rank of their gradients.
"""

from __future__ import annotations

import sympy
from sympy.polys.rings import PolyElement

from theorylab.conservation.flows import Flow, Mirror, Momentum, as_flow, check_model, state_ring
from theorylab.conservation.models import Model


def primitive(p: PolyElement) -> PolyElement:
    """``p`` scaled to integer coefficients with gcd 1 (the sign of ``p`` is kept)."""
    if not p:
        return p
    den, prim = p.clear_denoms()
    content, prim = prim.primitive()
    return -prim if (content < 0) != (den < 0) else prim


def known_law_polys(model: Model, flow: str | Mirror | Momentum) -> list[PolyElement]:
    """The known laws as polynomials in the flow's state ring (see the module docstring);
    ``flow`` normalized by :func:`~theorylab.conservation.flows.as_flow`."""
    R = state_ring(model, flow)
    D = model.D
    gens = R.gens
    out: list[PolyElement] = []
    if isinstance(flow, Momentum):
        if flow.mirror is not None:
            return []
        s, theta, v = gens[0], gens[1 : D + 1], gens[D + 1 :]
        factor = s if flow.tau != 0 else R.one
        for sym in model.symmetries:
            if sym.kind != "antisymmetric":
                continue
            A = sym.matrix.tocoo()
            h = sum(
                (R(int(a)) * theta[j] * v[i] for i, j, a in zip(A.row, A.col, A.data, strict=True)),
                R.zero,
            )
            if h:
                out.append(primitive(factor * h))
        return out
    theta = gens[:D]
    mask = flow.entropy_mask(D) if isinstance(flow, Mirror) else None
    if isinstance(flow, Mirror) and mask is None:
        return []
    for sym in model.symmetries:
        if sym.kind != "symmetric":
            continue
        A = sym.matrix.tocoo()
        if mask is None:
            h = sum(
                (
                    R(int(a)) * theta[i] * theta[j]
                    for i, j, a in zip(A.row, A.col, A.data, strict=True)
                ),
                R.zero,
            )
        elif sym.is_diagonal:
            h = sum(
                (
                    R(2 * int(a)) * theta[i] if mask[i] else R(int(a)) * theta[i] ** 2
                    for i, a in zip(A.row, A.data, strict=True)
                ),
                R.zero,
            )
        else:
            continue
        if h:
            out.append(primitive(h))
    return out


def known_laws(model: Model, flow: Flow = "gradient") -> list[sympy.Expr]:
    """The closed-form conservation laws of a built-in model under ``flow``, as sympy
    expressions in the state symbols (θ names, plus ``s`` and ``d<name>`` velocities for
    momentum). Biases are included. Empty for :func:`~theorylab.conservation.models.from_function`
    models and callable metrics (no symmetry is known).

    The laws follow from the model's linear symmetries by the Noether-type recipe of the
    module docstring (Marcotte, Gribonval, Peyré 2023, Sec. 4; 2024, Sec. 3-4)."""
    return [p.as_expr() for p in known_law_polys(check_model(model), as_flow(flow))]
