"""Law counts against the developer reference's table (§7), in float and exact arithmetic,
and against independent arguments (a single field, the autodiff path, polynomial search)."""

import pytest
import torch

from theorylab.conservation import (
    Mirror,
    Momentum,
    attention,
    count_laws,
    deep_linear,
    from_function,
    linear2,
    polynomial_laws,
    product,
    relu,
)

# (id, model, flow, number of laws in the reference table)
TABLE = [
    ("T1", lambda: product(3), "gradient", 2),
    ("T2", lambda: linear2(1, 1, 1), "gradient", 1),
    ("T3", lambda: linear2(2, 1, 2), "gradient", 1),
    ("T4", lambda: linear2(2, 2, 2), "gradient", 3),
    ("T5", lambda: linear2(3, 2, 2), "gradient", 3),
    ("T6", lambda: linear2(2, 3, 2), "gradient", 6),
    ("T7", lambda: linear2(3, 3, 3), "gradient", 6),
    ("T11", lambda: deep_linear([2, 2, 2, 2]), "gradient", 6),
    ("T12", lambda: deep_linear([2, 3, 2, 2]), "gradient", 9),
    ("T13", lambda: deep_linear([3, 2, 2, 1]), "gradient", 6),
    ("T15", lambda: relu([2, 2, 2]), "gradient", 2),
    ("T16", lambda: relu([2, 2, 2], bias=True), "gradient", 2),
    ("T17", lambda: relu([3, 4, 2]), "gradient", 4),
    ("T18", lambda: relu([1, 3, 1]), "gradient", 3),
    ("T18b", lambda: relu([1, 3, 1], bias=True), "gradient", 3),
    ("T19", lambda: relu([2, 2, 2, 2]), "gradient", 4),
    ("T19b", lambda: relu([2, 2, 2, 2], bias=True), "gradient", 4),
    ("T20", lambda: relu([2, 3, 2, 1]), "gradient", 5),
    ("T21/0", lambda: linear2(2, 2, 2), Momentum(0.0), 1),
    ("T21/1", lambda: linear2(2, 2, 2), Momentum(1.0), 1),
    ("T27a", lambda: relu([1, 2, 1]), Momentum(0.0), 0),
    ("T27b", lambda: relu([2, 2, 1]), Momentum(1.0), 0),
    ("T27c", lambda: relu([1, 2, 1], bias=True), Momentum(1.0), 0),
    ("T27d", lambda: relu([2, 2, 2]), Momentum(0.0), 0),
    ("T27e", lambda: relu([1, 3, 1]), Momentum(1.0), 0),
    ("T28a", lambda: linear2(2, 2, 2), Mirror("entropy"), 2),
    ("T28b", lambda: linear2(3, 2, 2), Mirror("entropy"), 2),
    ("T28c", lambda: linear2(2, 3, 2), Mirror("entropy"), 3),
    ("T28d", lambda: linear2(2, 1, 2), Mirror("entropy"), 1),
    ("T28e", lambda: linear2(1, 1, 1), Mirror("entropy"), 1),
]


def _icnn(n, r, d, bias):
    """Input-convex net g = U σ(Vx + b): relu([d, r, n]) with the entropy mirror on U = W2."""
    model = relu([d, r, n], bias=bias)
    return model, Mirror(model.mask("W2"))


ICNN = [
    ((1, 1, 1), False),
    ((2, 2, 1), False),
    ((2, 2, 2), False),
    ((1, 2, 2), True),
    ((2, 2, 2), True),
]


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_reference_table_float(case):
    _, build, flow, expected = case
    c = count_laws(build(), flow, seed=0)
    assert c.number == expected
    assert c.certified and c.status in ("certified", "full", "closed")
    assert c.lower == c.upper == expected


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_reference_table_exact(case):
    _, build, flow, expected = case
    c = count_laws(build(), flow, exact=True, seed=1)
    assert c.exact and c.number == expected and c.certified


@pytest.mark.parametrize("sizes,bias", ICNN)
def test_icnn_mirror_one_law_per_neuron(sizes, bias):
    n, r, d = sizes
    model, flow = _icnn(n, r, d, bias)
    assert count_laws(model, flow, seed=0).number == r
    assert count_laws(model, flow, exact=True, seed=0).number == r


@pytest.mark.parametrize("D", [1, 2, 5, 8])
def test_single_generator_gives_D_minus_one(D):
    # one field: its Lie algebra is one-dimensional, so N = D - 1 (independent argument)
    c = count_laws(product(D), seed=0)
    assert c.number == D - 1 and c.lie_dim == 1


def test_linear_outside_the_formula_regime():
    # r > n + m: the r(r+1)/2 formula fails; φ is a scalar for n = m = 1 so N = D - 1
    c = count_laws(linear2(1, 3, 1), seed=0)
    assert c.number == 5 and c.certified
    # and with n = 2, r = 4, m = 1 the count still agrees with the exact polynomial search
    c = count_laws(linear2(2, 4, 1), seed=0)
    assert c.number == len(polynomial_laws(linear2(2, 4, 1), 2, seed=0))


@pytest.mark.parametrize("args", [(2, 2, 1), (3, 2, 2), (2, 1, 3, 2)])
def test_attention_counts_agree_with_polynomial_laws(args):
    model = attention(*args)
    c = count_laws(model, seed=0)
    assert c.certified
    assert c.number == len(polynomial_laws(model, 2, seed=0))
    _, d_k, d_v = args[:3]
    assert c.number == d_k * (d_k + 1) // 2 + d_v * (d_v + 1) // 2  # inside its regime


@pytest.mark.parametrize(
    "build,flow",
    [
        (lambda: linear2(2, 2, 2), "gradient"),
        (lambda: relu([2, 3, 2], bias=True), "gradient"),
        (lambda: relu([2, 2, 1]), Momentum(0.5)),
        (lambda: deep_linear([2, 2, 1]), "gradient"),
    ],
)
def test_autodiff_path_agrees_with_exact_polynomials(build, flow):
    """A second algorithm: brackets by nested forward-mode AD on the PyTorch φ."""
    model = build()
    exact = count_laws(model, flow, exact=True, seed=0)
    auto = count_laws(from_function(model.phi_torch, model.D), flow, seed=0)
    assert auto.number == exact.number
    assert auto.status in ("closed", "full")  # no known laws, so it must close


def test_callable_metric_matches_entropy_mask():
    model = linear2(2, 2, 2)
    c = count_laws(model, Mirror(lambda th: torch.diag(th)), max_depth=3, seed=0)
    assert c.upper == count_laws(model, "mirror", seed=0).number == 2


def test_seed_and_points_do_not_change_the_count():
    model = deep_linear([2, 3, 2, 2])
    assert {count_laws(model, seed=s, n_points=p).number for s in range(3) for p in (2, 4)} == {9}


def test_relu_about_200_parameters():
    c = count_laws(relu([8, 12, 8], bias=True), seed=0)
    assert c.state_dim == 204 and c.number == 12 and c.certified


def test_heuristic_status_reports_bounds():
    c = count_laws(linear2(2, 2, 2), Momentum(1.0), max_depth=1, known=[], seed=0)
    assert c.status == "heuristic" and not c.certified
    assert c.upper == c.number >= 1 and c.lower == 0


def test_time_budget_gives_a_heuristic_upper_bound():
    # deep brackets of this bottlenecked net are costly; a tiny budget must stop the search
    c = count_laws(deep_linear([5, 2, 5, 5, 2]), max_seconds=0.5, seed=0)
    assert c.status == "heuristic" and not c.certified
    assert c.upper >= 33 and c.lower == c.n_known == 33
