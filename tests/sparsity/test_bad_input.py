"""Bad input: clear errors that name the argument or the layer."""

import pytest
import torch
from sparsity_nets import mlp, pn1
from torch import nn

from theorylab.sparsity import (
    UnsupportedLayerError,
    hadamard_regression,
    path_lifting,
    path_magnitude_scores,
    path_norm,
    prune,
    random_rescaling,
    rescale_neurons,
    sensing_problem,
    sparse_recovery,
    unsupported_layers,
)


def test_unsupported_layers_are_named():
    net = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 4), nn.LayerNorm(4))
    with pytest.raises(UnsupportedLayerError, match=r"'1' \(GELU\)") as info:
        path_norm(net, (3,))
    assert any("'3' (LayerNorm)" in p for p in info.value.problems)
    assert len(unsupported_layers(net)) == 2
    assert unsupported_layers(pn1()) == []


def test_unsupported_layer_error_is_the_one_of_theorylab_errors():
    from theorylab import errors
    from theorylab.sparsity import _graph

    assert UnsupportedLayerError is errors.UnsupportedLayerError
    assert _graph.UnsupportedLayerError is errors.UnsupportedLayerError  # old private path
    net = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 4), nn.LayerNorm(4))
    with pytest.raises(errors.TheorylabError) as info:
        path_norm(net, (3,))
    message = str(info.value)
    assert message.startswith("unsupported layer(s) for path-norm computations:\n  - ")
    assert "layer '1' (GELU) is not supported" in message
    assert "layer '3' (LayerNorm) is not supported" in message
    assert "\nSupported: Linear, Conv1d/Conv2d (zero padding)" in message
    assert isinstance(info.value, ValueError)  # old `except ValueError` clauses still work


def test_unsupported_functional_and_constant_ops():
    class Sig(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    with pytest.raises(ValueError, match="sigmoid"):
        path_norm(Sig(), (2,))

    class Shift(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x) + 1.0

    with pytest.raises(ValueError, match="constant"):
        path_norm(Shift(), (2,))

    class Inv(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return 2.0 / self.fc(x)

    with pytest.raises(ValueError, match="dividing by an activation"):
        path_norm(Inv(), (2,))
    with pytest.raises(ValueError, match=r"'1' \(ReLU6\)"):
        path_norm(nn.Sequential(nn.Linear(2, 2), nn.ReLU6()), (2,))
    with pytest.raises(ValueError, match="padding_mode"):
        path_norm(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")), (1, 4, 4))


def test_wrong_input_shape():
    with pytest.raises(ValueError, match="input_shape"):
        path_norm(pn1(), (3,))
    with pytest.raises(ValueError, match="input_shape"):
        path_norm(pn1(), (0,))
    with pytest.raises(TypeError, match="input_shape"):
        path_norm(pn1(), "2")
    with pytest.raises(ValueError, match="input_shape"):
        path_lifting(nn.Sequential(nn.Conv2d(1, 1, 3)))


def test_bad_q_and_amount():
    with pytest.raises(ValueError, match="q"):
        path_norm(pn1(), (2,), q=-1)
    with pytest.raises(TypeError, match="q"):
        path_norm(pn1(), (2,), q="1")
    for amount in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="amount"):
            prune(pn1(), amount)
    with pytest.raises(ValueError, match="criterion"):
        prune(pn1(), 0.5, "snip")
    with pytest.raises(ValueError, match="input_shape"):
        prune(pn1(), 0.5, "path-magnitude")
    with pytest.raises(TypeError, match="model"):
        prune("net", 0.5)
    with pytest.raises(TypeError, match="model"):
        path_norm(object(), (2,))


def test_bad_rescalings():
    with pytest.raises(ValueError, match="power of two"):
        random_rescaling(pn1(), seed=0, factors=(1.0, 3.0))
    with pytest.raises(ValueError, match="rescalable"):
        rescale_neurons(pn1(), {"2": [2.0]})
    with pytest.raises(ValueError, match="entries"):
        rescale_neurons(pn1(), {"0": [2.0]})
    with pytest.raises(ValueError, match="> 0"):
        rescale_neurons(mlp([2, 2, 1], 0), {"0": [2.0, -1.0]})
    with pytest.raises(ValueError, match="max_paths"):
        path_lifting(mlp([2, 8, 8, 8, 1], 0), max_paths=100)
    with pytest.raises(ValueError, match="normalized=True"):
        deep = nn.Sequential(*[nn.Linear(1, 1) for _ in range(120)]).double()
        with torch.no_grad():
            for m in deep:
                m.weight.fill_(1e3)
        path_magnitude_scores(deep, (1,))


def test_bad_classical_input():
    with pytest.raises(ValueError, match="sparsity"):
        sensing_problem(5, 4, 6)
    p = sensing_problem(8, 10, 2, seed=0)
    with pytest.raises(ValueError, match="y must have shape"):
        sparse_recovery(p.A, p.y[:-1])
    with pytest.raises(ValueError, match="method"):
        sparse_recovery(p.A, p.y, "ista")
    with pytest.raises(ValueError, match="alpha"):
        hadamard_regression(p.A, p.y, 0.0)
