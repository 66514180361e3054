"""Laws along real PyTorch training: the exact per-step GD identity, the flow integrated by
an ODE solver (gradient and heavy ball), and the monitor's structure checks."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import vector_to_parameters

from theorylab.conservation import integrate_flow, monitor


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), nn.ReLU(), nn.Linear(3, 2)
    ).double()


def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(27, 5),
        nn.ReLU(),
        nn.Dropout(0.0),
        nn.Linear(5, 2),
    ).double()


def _predicted_step_change(net, eta):
    """η²(‖g_out‖² − ‖g_in‖² − g_b²) per hidden unit, from the gradients (reference §6.4)."""
    weights = [m for m in net if isinstance(m, (nn.Linear, nn.Conv2d))]
    out = []
    for a, b in zip(weights[:-1], weights[1:], strict=True):
        units = a.weight.shape[0]
        g_in = (a.weight.grad**2).flatten(1).sum(1) + a.bias.grad**2
        gb = b.weight.grad**2
        per_in = gb.sum(0) if isinstance(b, nn.Linear) else gb.transpose(0, 1).flatten(1).sum(1)
        out.append(per_in.reshape(units, -1).sum(1) - g_in)
    return eta**2 * torch.cat(out)


@pytest.mark.parametrize("make,shape", [(_mlp, (16, 4)), (_cnn, (16, 1, 8, 8))])
def test_gd_step_changes_laws_by_exactly_eta_squared(make, shape):
    net = make()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    y = torch.randn(16, 2, generator=g, dtype=torch.float64)
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    mon = monitor(net, opt)
    opt.zero_grad()
    ((net(x) - y) ** 2).mean().backward()
    predicted = _predicted_step_change(net, 0.05)
    opt.step()
    h = mon.history
    assert h.shape == (2, predicted.numel())
    assert torch.allclose(h[1] - h[0], predicted.double(), rtol=1e-9, atol=1e-15)


def test_forward_hook_records_and_remove():
    net = _mlp()
    with monitor(net) as mon:
        net(torch.zeros(1, 4, dtype=torch.float64))
        net(torch.zeros(1, 4, dtype=torch.float64))
        assert mon.history.shape == (3, 9)
    net(torch.zeros(1, 4, dtype=torch.float64))
    assert mon.history.shape == (3, 9)
    assert mon.labels[0] == "layer0.unit0" and len(mon.labels) == 9


def test_laws_conserved_along_gradient_flow_and_bias_free_drifts():
    net = _mlp()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=g, dtype=torch.float64)
    y = torch.randn(32, 2, generator=g, dtype=torch.float64)
    mon = monitor(net)
    mon.remove()
    traj = integrate_flow(net, lambda m: ((m(x) - y) ** 2).mean(), 1.0, n_eval=10)
    assert traj.losses[-1] < traj.losses[0]
    params = list(net.parameters())
    vals, wrong = [], []
    for th in traj.params:
        vector_to_parameters(torch.as_tensor(th), params)
        vals.append(mon.values())
        wrong.append((net[2].weight ** 2).sum(0).detach() - (net[0].weight ** 2).sum(1).detach())
    vals, wrong = torch.stack(vals), torch.stack(wrong)
    scale = float(vals[0].abs().max())
    assert float((vals - vals[0]).abs().max()) / scale < 1e-7
    assert float((wrong - wrong[0]).abs().max()) / scale > 1e-4


@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_momentum_charge_conserved_along_heavy_ball_flow(tau):
    """e^{τt}(A − Aᵀ)_{01}, A = UᵀU̇ + VᵀV̇, along θ̈ + τθ̇ = −∇L for g(x) = U Vᵀ x
    (developer reference §4), from a random initial velocity."""
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(3, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    g = torch.Generator().manual_seed(4)
    x = torch.randn(20, 3, generator=g, dtype=torch.float64)
    y = torch.randn(20, 2, generator=g, dtype=torch.float64)
    v0 = np.random.default_rng(0).normal(size=10)
    traj = integrate_flow(
        net, lambda m: ((m(x) - y) ** 2).mean(), 2.0, tau=tau, velocity=v0, n_eval=8
    )

    def parts(th, v):
        V, U = th[:6].reshape(2, 3).T, th[6:].reshape(2, 2)  # W1 = Vᵀ, W2 = U
        dV, dU = v[:6].reshape(2, 3).T, v[6:].reshape(2, 2)
        return U.T @ dU + V.T @ dV

    A = [parts(th, v) for th, v in zip(traj.params, traj.velocities, strict=True)]
    charge = np.array(
        [np.exp(tau * t) * (a[0, 1] - a[1, 0]) for t, a in zip(traj.times, A, strict=True)]
    )
    assert abs(charge[0]) > 0.1
    assert np.abs(charge - charge[0]).max() < 1e-7 * abs(charge[0])
    # the non-antisymmetric part of A is not conserved
    assert abs(A[-1][0, 0] - A[0][0, 0]) > 1e-3


@pytest.mark.parametrize(
    "bad,match",
    [
        (nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)), "BatchNorm1d"),
        (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), "Tanh"),
        (nn.Linear(2, 3), "at least two weight layers"),
    ],
)
def test_monitor_refuses_unsupported_networks(bad, match):
    with pytest.raises(ValueError, match=match):
        monitor(bad)


def test_monitor_refuses_skip_connections():
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

        def forward(self, x):
            h = self.a(x)
            return self.b(torch.relu(h)) + h

    with pytest.raises(ValueError):
        monitor(Skip())
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        monitor("net")


def test_integrate_flow_bad_input():
    net = _mlp()
    with pytest.raises(ValueError, match="t_end must be > 0"):
        integrate_flow(net, lambda m: m(torch.zeros(1, 4, dtype=torch.float64)).sum(), 0.0)
    with pytest.raises(ValueError, match="tau must be >= 0"):
        integrate_flow(
            net, lambda m: m(torch.zeros(1, 4, dtype=torch.float64)).sum(), 1.0, tau=-1.0
        )
