"""path_norm against hand-computed values and a brute-force path enumeration."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune
from sparsity_nets import Conv1dNet, SkipCNN, block_net, mlp, pn1, randomized
from torch import nn

from theorylab.sparsity import path_lifting, path_norm, path_norms, resnet

CASES = [
    ("skip-cnn", lambda: randomized(SkipCNN(), 0), (1, 5, 4)),
    ("conv1d", lambda: randomized(Conv1dNet(), 1), (2, 11)),
    ("basic-block", lambda: randomized(block_net(), 2), (1, 4, 4)),
    ("mlp", lambda: mlp([3, 4, 3, 2], 3), (3,)),
]


@pytest.mark.parametrize("q, expected", [(1, 11.75), (2, 5.5957573214), (4, 4.34087616017)])
def test_pn1_reference_values(q, expected):
    assert path_norm(pn1(), (2,), q) == pytest.approx(expected, rel=1e-10)


def test_pn1_path_vector():
    phi = path_lifting(pn1())
    assert sorted(phi.tolist()) == sorted([2.0, -4.0, -3.0, -0.5, 1.0, 1.0, 0.25])


@pytest.mark.parametrize("name, build, shape", CASES)
def test_forward_pass_equals_brute_force(name, build, shape):
    net = build()
    phi = path_lifting(net, shape)
    for q in (1, 2, 4, 0.5):
        assert path_norm(net, shape, q) == pytest.approx(float(phi.norm(q)), rel=1e-12)
    # q = 0 counts the paths whose weights are all nonzero
    assert path_norm(net, shape, 0) == float((phi != 0).sum())


@pytest.mark.parametrize("name, build, shape", CASES)
def test_log_domain_equals_log_of_direct(name, build, shape):
    net = build()
    for q in (1, 2, 4):
        assert path_norm(net, shape, q, log=True) == pytest.approx(
            math.log(path_norm(net, shape, q)), abs=1e-13
        )


def test_log_domain_survives_overflow():
    depth, w = 120, 1e3
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(1, 1), nn.ReLU()]
    net = nn.Sequential(*layers[:-1]).double()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.fill_(w)
                m.bias.fill_(-1.0)
    # Σ_p |Φ_p| = w^depth + Σ_{k=0}^{depth-1} w^k (one bias path per layer) = (w^{d+1}-1)/(w-1)
    expected = (depth + 1) * math.log(w) - math.log(w - 1)
    with pytest.raises(ValueError, match="log=True"):
        path_norm(net, (1,), 1)
    assert path_norm(net, (1,), 1, log=True) == pytest.approx(expected, rel=1e-13)
    assert path_norm(net, (1,), 2, log=True) == pytest.approx(
        0.5 * ((depth + 1) * math.log(w**2) - math.log(w**2 - 1)), rel=1e-13
    )


def test_deep_resnet_log_mode_matches_float64_where_both_fit():
    torch.manual_seed(0)
    net = resnet(18, width=8, num_classes=10).eval()
    direct = path_norms(net, (3, 32, 32), [1, 2, 4])
    logs = path_norms(net, (3, 32, 32), [1, 2, 4], log=True)
    for d, lg in zip(direct, logs, strict=True):
        assert lg == pytest.approx(math.log(d), abs=1e-12)
    # float32 working dtype agrees to single precision
    assert path_norm(net, (3, 32, 32), 1, dtype=torch.float32) == pytest.approx(direct[0], rel=1e-4)


def test_pruned_weights_do_not_count_and_model_is_untouched():
    net = randomized(SkipCNN(), 4)
    tprune.random_unstructured(net.conv2, "weight", amount=0.5)
    before = copy.deepcopy(net.state_dict())
    phi = path_lifting(net, (1, 5, 4))
    assert path_norm(net, (1, 5, 4), 1) == pytest.approx(float(phi.abs().sum()), rel=1e-12)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    dense = randomized(SkipCNN(), 4)
    assert torch.equal(dense.conv2.weight, net.conv2.weight_orig)
    assert path_norm(dense, (1, 5, 4), 1) > path_norm(net, (1, 5, 4), 1)


def test_path_norms_takes_any_sequence_of_exponents():
    net = pn1()
    a = path_norms(net, (2,), np.array([1.0, 2.0]))
    assert a == [path_norm(net, (2,), 1), path_norm(net, (2,), 2)]
    with pytest.raises(ValueError, match="qs"):
        path_norms(net, (2,), [])


def test_bare_linear_and_zero_weights():
    lin = nn.Linear(3, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0, -2.0], [0.5, 3.0, 0.0]]))
        lin.bias.copy_(torch.tensor([0.0, -1.0]))
    assert path_norm(lin, (3,), 1) == pytest.approx(1 + 2 + 0.5 + 3 + 1)
    assert path_norm(lin, (3,), 0) == 5.0  # nonzero paths: 4 weights + 1 bias


class _SizeViewNet(nn.Module):
    """Functional ReLU/pooling and the common ``x.view(x.size(0), -1)`` flatten."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 3, 3)
        self.fc = nn.Linear(3 * 3 * 3, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.relu(self.c2(x))
        return self.fc(x.view(x.size(0), -1))


def test_size_based_view_flatten_is_supported_and_rescalable() -> None:
    from theorylab.sparsity import neuron_groups, random_rescaling

    torch.manual_seed(3)
    net = _SizeViewNet().eval()
    for q in (1.0, 2.0):
        direct = path_norm(net, (1, 10, 10), q=q)
        brute = float((path_lifting(net, (1, 10, 10)).abs() ** q).sum() ** (1 / q))
        assert direct == pytest.approx(brute, rel=1e-12)
    assert [g.layer for g in neuron_groups(net)] == ["c1", "c2"]
    attacked = random_rescaling(net, seed=0)
    x = torch.randn(3, 1, 10, 10)
    assert torch.equal(attacked(x), net(x))
    assert path_norm(attacked, (1, 10, 10)) == path_norm(net, (1, 10, 10))
