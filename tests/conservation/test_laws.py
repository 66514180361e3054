"""Closed-form and polynomial laws, checked by sympy differentiation of φ (independent of the
library's sparse polynomial code) and by PyTorch autodiff at random points."""

import numpy as np
import pytest
import sympy
import torch

from theorylab.conservation import (
    Mirror,
    Momentum,
    attention,
    deep_linear,
    known_laws,
    linear2,
    polynomial_laws,
    product,
    relu,
)

MODELS = [
    lambda: linear2(2, 3, 2),
    lambda: deep_linear([2, 3, 2, 2]),
    lambda: relu([2, 3, 2], bias=True),
    lambda: relu([2, 2, 2, 1], bias=True),
    lambda: attention(2, 2, 1),
    lambda: product(4),
]


def _phi_exprs(model):
    return [p.as_expr() for p in model.phi]


def _symbols(model):
    return sympy.symbols(model.names)


@pytest.mark.parametrize("build", MODELS)
def test_known_laws_are_conserved_symbolically(build):
    model = build()
    syms = _symbols(model)
    phis = _phi_exprs(model)
    laws = known_laws(model)
    assert laws
    for h in laws:
        grad_h = [sympy.diff(h, s) for s in syms]
        for phi in phis:
            pairing = sum(gh * sympy.diff(phi, s) for gh, s in zip(grad_h, syms, strict=True))
            assert sympy.expand(pairing) == 0


@pytest.mark.parametrize("build", MODELS)
def test_known_laws_orthogonal_to_autodiff_gradients(build):
    model = build()
    syms = _symbols(model)
    theta = torch.randn(model.D, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    jac = torch.func.jacrev(model.phi_torch)(theta).numpy()  # rows = ∇φ_i
    point = dict(zip(syms, theta.tolist(), strict=True))
    for h in known_laws(model):
        grad_h = np.array([float(sympy.diff(h, s).subs(point)) for s in syms])
        assert np.abs(jac @ grad_h).max() < 1e-12


def test_relu_law_includes_the_bias_and_not_the_output_layer():
    law = known_laws(relu([1, 1, 1], bias=True))[0]
    W1, b1, W2 = sympy.symbols("W1_0_0 b1_0 W2_0_0")
    assert sympy.expand(law - (W2**2 - W1**2 - b1**2)) == 0


def test_momentum_known_law_matches_the_reference():
    """s·(A − Aᵀ)_{01} with A = UᵀU̇ + VᵀV̇ (developer reference §4)."""
    model = linear2(2, 2, 2)
    (law,) = known_laws(model, Momentum(1.0))
    U = sympy.Matrix(2, 2, sympy.symbols("U_0_0 U_0_1 U_1_0 U_1_1"))
    V = sympy.Matrix(2, 2, sympy.symbols("V_0_0 V_0_1 V_1_0 V_1_1"))
    dU = sympy.Matrix(2, 2, sympy.symbols("dU_0_0 dU_0_1 dU_1_0 dU_1_1"))
    dV = sympy.Matrix(2, 2, sympy.symbols("dV_0_0 dV_0_1 dV_1_0 dV_1_1"))
    A = U.T * dU + V.T * dV
    ref = sympy.Symbol("s") * (A[0, 1] - A[1, 0])
    assert sympy.expand(law - ref) == 0 or sympy.expand(law + ref) == 0


def test_nmf_mirror_laws():
    laws = known_laws(linear2(2, 2, 2), Mirror("entropy"))
    U = sympy.symbols("U_0_0 U_1_0")
    V = sympy.symbols("V_0_0 V_1_0")
    assert sympy.expand(laws[0] - (sum(U) - sum(V))) == 0


@pytest.mark.parametrize(
    "build,flow,degree,expected",
    [
        (lambda: linear2(2, 2, 2), "gradient", 2, 3),
        (lambda: deep_linear([2, 3, 2, 2]), "gradient", 2, 9),
        (lambda: relu([3, 4, 2]), "gradient", 2, 4),
        (lambda: relu([2, 2, 2, 2], bias=True), "gradient", 2, 4),
        (lambda: linear2(2, 2, 2), Momentum(1.0), 3, 1),
        (lambda: linear2(2, 2, 2), Momentum(0.0), 2, 1),
        (lambda: relu([1, 2, 1]), Momentum(1.0), 3, 0),
        (lambda: linear2(2, 3, 2), Mirror("entropy"), 2, 3),
    ],
)
def test_polynomial_laws_count_and_verify(build, flow, degree, expected):
    model = build()
    laws = polynomial_laws(model, degree, flow, seed=0)
    assert len(laws) == expected
    for law in laws:  # integer coefficients with gcd 1
        coeffs = sympy.Poly(law).coeffs()
        assert all(c.is_integer for c in coeffs)
        assert sympy.gcd_list(coeffs) == 1


def test_polynomial_law_space_contains_products_at_degree_four():
    model = product(3)
    independent = polynomial_laws(model, 4, seed=0)
    space = polynomial_laws(model, 4, independent=False, seed=0)
    assert len(independent) == 2
    # θ0²−θ1², θ0²−θ2² at degree 2, and their 3 products at degree 4
    assert len(space) == 5


def test_polynomial_laws_verified_by_autodiff():
    model = relu([2, 3, 1], bias=True)
    syms = _symbols(model)
    theta = torch.randn(model.D, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    jac = torch.func.jacrev(model.phi_torch)(theta).numpy()
    point = dict(zip(syms, theta.tolist(), strict=True))
    for law in polynomial_laws(model, 2, seed=0):
        g = np.array([float(sympy.diff(law, s).subs(point)) for s in syms])
        assert np.abs(jac @ g).max() < 1e-12
