"""Bad input gets a ValueError/TypeError that names the argument."""

import numpy as np
import pytest
import torch

from theorylab.perturbed import perturbed, solvers


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"sigma": 0.0}, ValueError, "sigma must be > 0"),
        ({"sigma": -1.0}, ValueError, "sigma must be > 0"),
        ({"sigma": float("nan")}, ValueError, "sigma must be finite"),
        ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an int"),
        ({"noise": "cauchy"}, ValueError, "noise must be"),
        ({"noise": 3}, TypeError, "noise must be"),
        ({"mode": "log"}, ValueError, "mode must be one of"),
        ({"control_variate": "antithetic"}, ValueError, "control_variate must be one of"),
        ({"control_variate": "loo", "n_samples": 1}, ValueError, "n_samples must be >= 2"),
        ({"workers": -1}, ValueError, "workers must be >= 0"),
        ({"seed": -3}, ValueError, "seed must be a non-negative int"),
        ({"seed": "x"}, TypeError, "seed must be an int"),
        ({"exact": True}, ValueError, "exact=True needs"),
        ({"batched": 1}, TypeError, "batched must be a bool"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        perturbed(solvers.argmax, **kwargs)


def test_bad_solver_and_outputs():
    with pytest.raises(TypeError, match="solver must be callable"):
        perturbed(42)
    theta = torch.randn(3, 4)
    with pytest.raises(ValueError, match="solver returned shape"):
        perturbed(lambda x: x[:, :2], n_samples=2)(theta)
    with pytest.raises(TypeError, match="solver must return a floating-point"):
        perturbed(lambda x: x.argsort(-1), n_samples=2)(theta)
    with pytest.raises(TypeError, match="solver must return a torch.Tensor or a NumPy array"):
        perturbed(lambda x: "path", n_samples=2)(theta)
    with pytest.raises(ValueError, match="solver returned shape"):
        perturbed(lambda x: np.zeros(3), n_samples=2, batched=False)(theta)


def test_bad_theta():
    layer = perturbed(solvers.argmax, n_samples=2)
    with pytest.raises(ValueError, match="theta must be finite"):
        layer(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(TypeError, match="theta must be a torch.Tensor"):
        layer([[0.0, 1.0]])
    with pytest.raises(TypeError, match="theta must be a floating-point tensor"):
        layer(torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match="theta must have at least 2 dimension"):
        perturbed(solvers.shortest_path_grid, n_samples=2)(torch.ones(4))
    with pytest.raises(ValueError, match="theta must have no zero entries"):
        perturbed(solvers.argmax, n_samples=2, mode="multiplicative")(torch.tensor([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="noise_samples must be a tensor of shape"):
        layer(torch.ones(2, 3), noise_samples=torch.ones(2, 3))
    with pytest.raises(ValueError, match="theta must be non-negative"):
        perturbed(solvers.shortest_path_grid, n_samples=2)(-torch.ones(3, 3))
