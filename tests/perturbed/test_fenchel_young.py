"""The perturbed Fenchel-Young loss: gradient = y_eps - y (autograd vs the formula, and finite
differences of the Monte-Carlo value with fixed noise), closed form for Gumbel + argmax, sign."""

import pytest
import torch

from theorylab.perturbed import EULER_GAMMA, FenchelYoungLoss, perturbed, solvers


@pytest.mark.parametrize("mode", ["additive", "multiplicative"])
def test_gradient_is_y_eps_minus_y_with_the_same_samples(mode):
    g = torch.Generator().manual_seed(0)
    theta = torch.rand(6, 8, generator=g, dtype=torch.float64) + 0.1
    y = solvers.ranks(torch.randn(6, 8, generator=g, dtype=torch.float64))
    loss = FenchelYoungLoss(solvers.ranks, n_samples=13, sigma=0.4, mode=mode, seed=1)
    th = theta.clone().requires_grad_()
    (grad,) = torch.autograd.grad(
        loss(
            th,
            y,
        ),
        th,
    )
    layer = perturbed(solvers.ranks, n_samples=13, sigma=0.4, mode=mode, seed=1)
    z, pert, ys = layer.samples(theta)
    first = ys.mean(0) if mode == "additive" else (ys * pert / theta).mean(0)
    assert torch.allclose(grad, (first - y) / 6)  # reduction="mean" over the 6 instances
    if mode == "additive":
        assert torch.allclose(first, layer(theta, noise_samples=z))


@pytest.mark.parametrize("maximize", [True, False])
def test_gradcheck_with_fixed_noise(maximize):
    # with the noise fixed, the MC value is piecewise linear in theta: autograd's gradient must
    # equal its finite differences (torch.autograd.gradcheck)
    g = torch.Generator().manual_seed(2)
    solver = solvers.argmax if maximize else solvers.shortest_path_grid
    shape = (3, 7) if maximize else (2, 4, 4)
    theta = (torch.rand(shape, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    y = solver(torch.rand(shape, generator=g, dtype=torch.float64))
    z = torch.randn((5, *shape), generator=g, dtype=torch.float64)
    for mode in ("additive", "multiplicative"):
        # sigma = 0.1 keeps the additively perturbed costs (>= 0.5) non-negative
        loss = FenchelYoungLoss(solver, maximize=maximize, n_samples=5, sigma=0.1, mode=mode)
        assert torch.autograd.gradcheck(lambda t, m=loss: m(t, y, noise_samples=z), (theta,))


def test_value_is_nonnegative_and_matches_the_gumbel_closed_form():
    g = torch.Generator().manual_seed(3)
    theta = torch.randn(5, 6, generator=g, dtype=torch.float64)
    y = solvers.argmax(torch.randn(5, 6, generator=g, dtype=torch.float64))
    mc = FenchelYoungLoss(
        solvers.argmax, noise="gumbel", sigma=0.5, n_samples=200_000, reduction="none", seed=4
    )(theta, y)
    exact = FenchelYoungLoss(
        solvers.argmax, noise="gumbel", sigma=0.5, exact=True, reduction="none"
    )(theta, y)
    expected = 0.5 * torch.logsumexp(theta / 0.5, -1) + 0.5 * EULER_GAMMA - (theta * y).sum(-1)
    assert torch.allclose(exact, expected)
    assert torch.allclose(mc, exact, atol=0.01)  # MC s.e. about 3e-3
    assert (mc >= 0.5 * EULER_GAMMA - 0.01).all()  # >= eps * gamma * <1, y> for Gumbel noise
    normal = FenchelYoungLoss(solvers.argmax, n_samples=1000, reduction="none", seed=5)(theta, y)
    assert (normal >= 0).all()


def test_minimize_sign_and_training_step_reduces_loss():
    g = torch.Generator().manual_seed(6)
    true_costs = torch.rand(8, 6, 6, generator=g) + 0.1
    y = solvers.shortest_path_grid(true_costs)
    theta = torch.ones(8, 6, 6, requires_grad=True)
    loss = FenchelYoungLoss(
        solvers.shortest_path_grid,
        maximize=False,
        n_samples=20,
        sigma=0.3,
        mode="multiplicative",
        seed=7,
    )
    value = loss(theta, y)
    assert value.item() >= 0
    (grad,) = torch.autograd.grad(value, theta)
    # minimisation: the gradient y - y_eps is >= 0 on the target path's cells, so a descent
    # step lowers their cost
    assert (grad[y.bool()] > 0).float().mean() > 0.7
    opt = torch.optim.SGD([theta], lr=0.5)
    first = None
    for _ in range(30):
        opt.zero_grad()
        value = loss(theta, y)
        first = value.item() if first is None else first
        value.backward()
        opt.step()
        with torch.no_grad():
            theta.clamp_(min=1e-3)
    assert value.item() < first


def test_sense_mismatch_and_target_shape_are_refused():
    with pytest.raises(ValueError, match="maximize=True"):
        FenchelYoungLoss(solvers.shortest_path_grid)
    with pytest.raises(ValueError, match="maximize=False"):
        FenchelYoungLoss(solvers.argmax, maximize=False)
    loss = FenchelYoungLoss(solvers.argmax, n_samples=2)
    with pytest.raises(ValueError, match="y must have theta's shape"):
        loss(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="reduction"):
        FenchelYoungLoss(solvers.argmax, reduction="avg")
