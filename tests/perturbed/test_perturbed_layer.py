"""The perturbed layer against closed forms (Gumbel-max softmax, the two-class normal CDF, the
exact softmax Jacobian), finite differences with common random numbers, and itself (seeds,
batching, per-instance solving)."""

import math

import numpy as np
import pytest
import torch

from theorylab.perturbed import Noise, perturbed, solvers


def softmax_vjp(theta: torch.Tensor, v: torch.Tensor, sigma: float) -> torch.Tensor:
    """Exact J^T v of softmax(theta/sigma): (1/sigma)(diag(s) - s s^T) v."""
    s = torch.softmax(theta / sigma, dim=-1)
    return (s * v - s * (s * v).sum(-1, keepdim=True)) / sigma


def mc_vjp(layer, theta, v):
    theta = theta.clone().requires_grad_()
    (g,) = torch.autograd.grad((layer(theta) * v).sum(), theta)
    return g


def test_gumbel_readme_vector_matches_softmax():
    # Berthet et al.'s README example: sigma = 0.5, 10^6 samples (MC standard error <= 4e-4)
    theta = torch.tensor([-0.6, 1.9, -0.2, 1.1, -1.0], dtype=torch.float64)
    layer = perturbed(solvers.argmax, n_samples=1_000_000, sigma=0.5, noise="gumbel", seed=0)
    y = layer(theta)
    assert torch.allclose(y, torch.softmax(theta / 0.5, -1), atol=2e-3)
    # the paper's softmax values
    ref = torch.tensor([0.0055, 0.8152, 0.0122, 0.1646, 0.0025], dtype=torch.float64)
    assert torch.allclose(torch.softmax(theta / 0.5, -1), ref, atol=1e-4)


def test_gumbel_argmax_forward_and_gradient_vs_softmax():
    g = torch.Generator().manual_seed(1)
    theta = torch.randn(16, 10, generator=g)
    v = torch.randn(16, 10, generator=g)
    layer = perturbed(solvers.argmax, n_samples=20_000, sigma=1.0, noise="gumbel", seed=2)
    y = layer(theta)
    assert (y - torch.softmax(theta, -1)).abs().max() < 0.02
    exact = softmax_vjp(theta, v, 1.0)
    err = (mc_vjp(layer, theta, v) - exact).norm() / exact.norm()
    assert err < 0.15


def test_exact_path_is_softmax_with_its_jacobian():
    theta = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    layer = perturbed(solvers.argmax, noise="gumbel", sigma=0.7, exact=True)
    assert torch.allclose(layer(theta), torch.softmax(theta / 0.7, -1))
    v = torch.randn(4, 6, dtype=torch.float64)
    (g,) = torch.autograd.grad((layer(theta) * v).sum(), theta)
    assert torch.allclose(g, softmax_vjp(theta.detach(), v, 0.7))
    assert torch.autograd.gradcheck(layer, (theta,))


def test_normal_two_classes_matches_normal_cdf():
    theta = torch.tensor([[0.3, -0.2], [1.0, 0.0], [-0.5, 0.4]], dtype=torch.float64)
    sigma = 0.8
    layer = perturbed(solvers.argmax, n_samples=200_000, sigma=sigma, seed=3)
    p1 = layer(theta)[:, 0]
    diff = (theta[:, 0] - theta[:, 1]) / (math.sqrt(2) * sigma)
    expected = 0.5 * (1 + torch.erf(diff / math.sqrt(2)))
    assert torch.allclose(p1, expected, atol=4e-3)  # MC s.e. <= 1.2e-3


@pytest.mark.parametrize("cv", [None, "loo", "baseline"])
def test_gradient_is_unbiased_for_every_control_variate(cv):
    # 400 independent M = 10 estimates (a batch of copies of the same theta): their mean is
    # the exact softmax VJP within 4.5 standard errors in every coordinate
    g = torch.Generator().manual_seed(4)
    theta0 = torch.randn(1, 6, generator=g, dtype=torch.float64)
    v0 = torch.randn(1, 6, generator=g, dtype=torch.float64)
    reps = 400
    theta, v = theta0.expand(reps, 6).contiguous(), v0.expand(reps, 6).contiguous()
    layer = perturbed(solvers.argmax, n_samples=10, noise="gumbel", control_variate=cv, seed=5)
    est = mc_vjp(layer, theta, v)
    se = est.std(0) / math.sqrt(reps)
    z = (est.mean(0) - softmax_vjp(theta0, v0, 1.0)[0]) / se
    assert z.abs().max() < 4.5


def test_control_variates_do_not_increase_variance():
    g = torch.Generator().manual_seed(6)
    theta0 = 2 * torch.randn(1, 8, generator=g, dtype=torch.float64)
    v0 = torch.randn(1, 8, generator=g, dtype=torch.float64) + 2.0  # large mean of <y, v>
    reps = 400
    theta, v = theta0.expand(reps, 8).contiguous(), v0.expand(reps, 8).contiguous()
    var = {}
    for cv in (None, "loo", "baseline"):
        layer = perturbed(solvers.argmax, n_samples=20, control_variate=cv, seed=7)
        var[cv] = mc_vjp(layer, theta, v).var(0).sum().item()
    assert var["loo"] < var[None]
    assert var["baseline"] < var[None]


def test_gradient_error_falls_like_one_over_sqrt_m():
    g = torch.Generator().manual_seed(8)
    theta = torch.randn(16, 10, generator=g)
    v = torch.randn(16, 10, generator=g)
    exact = softmax_vjp(theta, v, 1.0)
    ms = [25, 100, 400, 1600]
    errs = []
    for i, m in enumerate(ms):
        layer = perturbed(solvers.argmax, n_samples=m, noise="gumbel", seed=100 + i)
        errs.append(
            np.mean(
                [((mc_vjp(layer, theta, v) - exact).norm() / exact.norm()).item() for _ in range(6)]
            )
        )
    slope = np.polyfit(np.log(ms), np.log(errs), 1)[0]
    assert -0.62 < slope < -0.38


def test_backward_matches_central_differences_with_common_random_numbers():
    # normal noise, argmax: J v from the estimator vs (y(theta + h d) - y(theta - h d)) / 2h
    # computed with the same noise (fixed noise_samples)
    g = torch.Generator().manual_seed(9)
    theta = torch.randn(3, 4, generator=g, dtype=torch.float64)
    m = 200_000
    z = torch.randn(m, 3, 4, generator=g, dtype=torch.float64)
    layer = perturbed(solvers.argmax, n_samples=m, sigma=0.8)
    # J^T e_j for each output coordinate j: compare column sums with directional derivatives
    d = torch.randn(3, 4, generator=g, dtype=torch.float64)
    h = 0.05
    fd = (layer(theta + h * d, noise_samples=z) - layer(theta - h * d, noise_samples=z)) / (2 * h)
    for j in range(4):
        e = torch.zeros(3, 4, dtype=torch.float64)
        e[:, j] = 1.0
        th = theta.clone().requires_grad_()
        (gj,) = torch.autograd.grad((layer(th, noise_samples=z) * e).sum(), th)
        jvp = (gj * d).sum(-1)  # J is symmetric for the perturbed argmax (a Hessian)
        assert torch.allclose(jvp, fd[:, j], atol=0.03)


def test_smooth_solver_gives_the_exact_derivative():
    # solver x -> x^2 elementwise: E[(theta + sigma Z)^2] = theta^2 + sigma^2, Jacobian 2 theta
    theta = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    # (standard errors: forward <= 2e-3, gradient with the baseline control variate <= 0.01)
    layer = perturbed(
        lambda x: x**2, n_samples=400_000, sigma=0.3, control_variate="baseline", seed=10
    )
    y = layer(theta)
    assert torch.allclose(y, theta.detach() ** 2 + 0.09, atol=1e-2)
    (g,) = torch.autograd.grad(y.sum(), theta)
    assert torch.allclose(g, 2 * theta.detach(), atol=0.05)


def test_multiplicative_mode_mean_signs_and_jacobian():
    theta = torch.tensor([[1.5, -0.7, 0.4]], dtype=torch.float64)
    m = 200_000
    layer = perturbed(solvers.argmax, n_samples=m, sigma=0.5, mode="multiplicative", seed=11)
    z, pert, _ = layer.samples(theta)
    assert torch.allclose(pert.mean(0), theta, rtol=5e-3)
    assert torch.equal(torch.sign(pert), torch.sign(theta).expand_as(pert))
    # Jacobian vs central differences with common random numbers
    h = 0.02
    v = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    th = theta.clone().requires_grad_()
    (g,) = torch.autograd.grad((layer(th, noise_samples=z) * v).sum(), th)
    for j in range(3):
        e = torch.zeros_like(theta)
        e[0, j] = h
        fd = ((layer(theta + e, noise_samples=z) - layer(theta - e, noise_samples=z)) * v).sum()
        assert abs(g[0, j].item() - fd.item() / (2 * h)) < 0.05


def test_gumbel_custom_noise_object_equals_builtin():
    builtin = perturbed(solvers.argmax, n_samples=50, noise="gumbel", seed=12)
    custom_noise = Noise(
        lambda shape, gen, dev, dt: (
            -torch.log(
                -torch.log(
                    torch.rand(shape, generator=gen, device=dev, dtype=dt).clamp_(
                        min=torch.finfo(dt).tiny, max=1 - torch.finfo(dt).eps
                    )
                )
            )
        ),
        lambda z: torch.expm1(-z),
    )
    custom = perturbed(solvers.argmax, n_samples=50, noise=custom_noise, seed=12)
    theta = torch.randn(5, 7, requires_grad=True)
    v = torch.randn(5, 7)
    assert torch.allclose(builtin(theta), custom(theta))
    assert torch.allclose(mc_vjp(builtin, theta, v), mc_vjp(custom, theta, v), atol=1e-5)


def test_seeded_runs_repeat_exactly_and_the_stream_advances():
    theta = torch.randn(8, 20)
    v = torch.randn(8, 20)
    a = perturbed(solvers.ranks, n_samples=30, seed=13)
    b = perturbed(solvers.ranks, n_samples=30, seed=13)
    ya, yb = a(theta), b(theta)
    assert torch.equal(ya, yb)
    assert torch.equal(mc_vjp(a, theta, v), mc_vjp(b, theta, v))
    assert not torch.equal(a(theta), ya)  # the next call draws new noise
    c = perturbed(solvers.ranks, n_samples=30, seed=14)
    assert not torch.equal(c(theta), ya)
    gen = torch.Generator().manual_seed(13)
    d = perturbed(solvers.ranks, n_samples=30, seed=gen)
    assert d.generator(theta.device) is gen


def test_noise_is_drawn_on_thetas_device():
    layer = perturbed(solvers.argmax, n_samples=4, seed=0)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for dev in devices:
        theta = torch.randn(3, 5, device=dev)
        assert layer.generator(theta.device).device.type == dev.type
        assert layer(theta).device.type == dev.type


def test_batching_invariance_and_leading_shapes():
    g = torch.Generator().manual_seed(15)
    theta = torch.randn(2, 3, 6, generator=g)
    z = torch.randn(7, 2, 3, 6, generator=g)
    layer = perturbed(solvers.top_k(2), n_samples=7, control_variate="loo")
    v = torch.randn(2, 3, 6, generator=g)
    th = theta.clone().requires_grad_()
    y = layer(th, noise_samples=z)
    (gr,) = torch.autograd.grad((y * v).sum(), th)
    for i in range(2):
        for j in range(3):
            row = theta[i, j].clone().requires_grad_()
            yr = layer(row, noise_samples=z[:, i, j])
            assert torch.allclose(yr, y[i, j])
            (grr,) = torch.autograd.grad((yr * v[i, j]).sum(), row)
            assert torch.allclose(grr, gr[i, j], atol=1e-6)


def test_per_instance_solver_matches_batched():
    theta = torch.randn(4, 9)

    def one(x: torch.Tensor) -> np.ndarray:  # a NumPy solver for one instance
        out = np.zeros(x.shape[-1])
        out[int(np.argmax(x.numpy()))] = 1.0
        return out

    a = perturbed(solvers.argmax, n_samples=11, seed=16)(theta)
    b = perturbed(one, n_samples=11, seed=16, batched=False)(theta)
    assert torch.equal(a, b)


def test_process_pool_matches_in_process_solving():
    # an expensive per-instance solver (LP over the simplex == argmax) in a 2-process pool
    # gives the same result as in-process solving
    d = 5
    simplex = solvers.lp(None, None, A_eq=np.ones((1, d)), b_eq=np.ones(1))
    theta = torch.randn(3, d, dtype=torch.float64)
    ref = perturbed(solvers.argmax, n_samples=8, seed=17)(theta)
    with perturbed(simplex, n_samples=8, seed=17, workers=2) as layer:
        out = layer(theta)
    assert torch.allclose(out, ref, atol=1e-9)


def test_grid_layer_leading_shapes_and_path_probabilities():
    g = torch.Generator().manual_seed(18)
    costs = torch.rand(2, 3, 5, 5, generator=g) + 0.2
    z = torch.randn(6, 2, 3, 5, 5, generator=g)
    layer = perturbed(solvers.shortest_path_grid, n_samples=6, mode="multiplicative")
    y = layer(costs, noise_samples=z)
    flat = layer(costs.reshape(6, 5, 5), noise_samples=z.reshape(6, 6, 5, 5))
    assert torch.allclose(y.reshape(6, 5, 5), flat)
    # every cell is on the path with probability in [0, 1]; both corners always
    assert (y >= 0).all() and (y <= 1).all()
    assert torch.equal(y[..., 0, 0], torch.ones(2, 3)) and torch.equal(
        y[..., 4, 4], torch.ones(2, 3)
    )
