"""Rescaling invariance (exact, powers of two) and rebalancing (second algorithm: scipy)."""

import json

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from sparsity_nets import Block, Conv1dNet, SkipCNN, block_net, mlp, pn1, randomized
from torch import nn

from theorylab.sparsity import (
    neuron_groups,
    path_lifting,
    path_magnitude_scores,
    path_norm,
    random_rescaling,
    rebalance,
    rebalance_info,
    rescale_neurons,
    resnet,
    sum_of_squares,
)
from theorylab.sparsity.rescaling import _masses

CASES = [
    ("skip-cnn", lambda: randomized(SkipCNN(), 0), (1, 5, 4)),
    ("conv1d", lambda: randomized(Conv1dNet(), 1), (2, 11)),
    ("basic-block", lambda: randomized(block_net(), 2), (1, 4, 4)),
    ("mlp", lambda: mlp([3, 5, 4, 2], 3), (3,)),
]


def _weight_l1(net):
    return sum(
        float(m.weight.detach().abs().sum())
        + (float(m.bias.detach().abs().sum()) if m is not net[-1] else 0.0)
        for m in net
        if isinstance(m, nn.Linear)
    )


def test_pn2_rescale_by_seven():
    net = pn1()
    out = rescale_neurons(net, {"0": [7.0, 1.0]})
    assert path_norm(out, (2,), 1) == pytest.approx(11.75, rel=1e-14)
    assert _weight_l1(net) == pytest.approx(11.0)
    assert _weight_l1(out) == pytest.approx(30.2857142857, rel=1e-9)
    assert net[0].weight[0, 0].item() == 1.0  # not in place


def test_groups_skip_residual_outputs():
    names = [g.layer for g in neuron_groups(randomized(block_net(), 0))]
    assert names == ["2.conv1"]  # conv2 feeds the residual add, the stem conv feeds it too
    flat = neuron_groups(randomized(Conv1dNet(), 0))
    assert flat[0].consumers == (("head.2", 1),)
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4, 2))
    assert neuron_groups(cnn)[0].consumers == (("3", 4),)


@pytest.mark.parametrize("name, build, shape", CASES)
def test_power_of_two_rescaling_is_exact(name, build, shape):
    net = build()
    res = random_rescaling(net, seed=7)
    assert sum_of_squares(res) > 100 * sum_of_squares(net)  # weights really moved
    x = torch.randn(6, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert torch.equal(net(x), res(x))
    for q in (1, 2, 4):
        assert path_norm(res, shape, q) == path_norm(net, shape, q)
    torch.testing.assert_close(
        path_lifting(res, shape), path_lifting(net, shape), rtol=1e-13, atol=0
    )
    s0, s1 = path_magnitude_scores(net, shape), path_magnitude_scores(res, shape)
    assert all(torch.equal(s0[k], s1[k]) for k in s0)


def test_resnet50_groups_and_exact_attack():
    torch.manual_seed(0)
    net = randomized(resnet(50, width=4, num_classes=3), 0)
    groups = neuron_groups(net)
    # the stem feeds only convs (layer1.0 has a projection shortcut); every Bottleneck's
    # conv1 and conv2 are rescalable, conv3 and the shortcuts feed residual additions
    assert len(groups) == 1 + 2 * 16
    assert not any(g.layer.endswith(("conv3", "downsample.0")) for g in groups)
    res = random_rescaling(net, seed=0)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    assert torch.equal(net(x), res(x))
    assert path_norm(net, (3, 32, 32), 1) == path_norm(res, (3, 32, 32), 1)


def test_basic_block_pn5_factors():
    torch.manual_seed(0)
    block = randomized(Block(4), 3)
    f = torch.tensor([1.0, 128.0, 4096.0, 128.0])
    res = rescale_neurons(block, {"conv1": f})
    x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
    assert torch.equal(block(x), res(x))
    assert torch.equal(res.bn1.running_mean, block.bn1.running_mean * f)
    assert torch.equal(res.conv2.weight, block.conv2.weight / f.reshape(1, -1, 1, 1))


@pytest.mark.parametrize("name, build, shape", CASES)
def test_rebalance_preserves_function_and_lowers_weights(name, build, shape):
    net = random_rescaling(build(), seed=3)
    info = rebalance_info(net)
    bal = info.model
    x = torch.randn(6, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(bal(x), net(x), rtol=1e-10, atol=1e-10)
    assert info.after < info.before
    assert path_norm(bal, shape, 1) == pytest.approx(path_norm(net, shape, 1), rel=1e-12)
    for g in neuron_groups(bal):  # optimality: incoming mass = outgoing mass per neuron
        a, b = _masses(bal, g)
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-12)
    # canonical point of the orbit: the same minimum from the original parameterization
    assert sum_of_squares(rebalance(build())) == pytest.approx(info.after, rel=1e-9)


def test_rebalance_matches_scipy_minimum():
    net = mlp([3, 5, 4, 2], 11)
    groups = neuron_groups(net)
    sizes = [g.size for g in groups]

    def objective(t):
        lam = np.exp(t)
        parts = np.split(lam, np.cumsum(sizes)[:-1])
        factors = {g.layer: torch.from_numpy(p) for g, p in zip(groups, parts, strict=True)}
        return sum_of_squares(rescale_neurons(net, factors))

    res = minimize(objective, np.zeros(sum(sizes)), method="BFGS", options={"gtol": 1e-10})
    assert sum_of_squares(rebalance(net)) == pytest.approx(res.fun, rel=1e-7)
    assert sum_of_squares(rebalance(net)) <= res.fun * (1 + 1e-12)


def test_rescale_keeps_pruning_masks():
    net = randomized(SkipCNN(), 5)
    torch.nn.utils.prune.l1_unstructured(net.conv3, "weight", amount=0.4)
    res = random_rescaling(net, seed=0)
    x = torch.randn(2, 1, 5, 4, dtype=torch.float64)
    assert torch.equal(res(x), net(x))
    assert torch.equal(res.conv3.weight_mask, net.conv3.weight_mask)
    assert not torch.equal(res.conv3.weight_orig, net.conv3.weight_orig)


def test_rebalance_returns_a_module_and_rebalance_info_a_result():
    net = random_rescaling(mlp([3, 5, 4, 2], 5), seed=1)
    bal = rebalance(net)
    assert isinstance(bal, nn.Module) and bal is not net
    info = rebalance_info(net)
    assert sum_of_squares(bal) == info.after == sum_of_squares(info.model)
    assert info.before == sum_of_squares(net) and info.sweeps >= 1
    assert info.max_log_factor < 100 * np.finfo(np.float64).eps
    data = info.to_dict()
    assert set(data) == {"sweeps", "max_log_factor", "before", "after"}  # not the model
    json.dumps(data)
    with pytest.raises(AttributeError):
        info.after = 0.0  # frozen
    same = rebalance_info(net, inplace=True)
    assert same.model is net and sum_of_squares(net) == info.after


def test_rebalance_return_info_is_deprecated_but_works():
    net = random_rescaling(mlp([3, 5, 4, 2], 5), seed=1)
    with pytest.warns(DeprecationWarning, match="rebalance_info"):
        bal, info = rebalance(net, return_info=True)
    assert isinstance(bal, nn.Module) and info.model is bal
    assert sum_of_squares(bal) == info.after == rebalance_info(net).after
    with pytest.warns(DeprecationWarning, match="return_info"):
        plain = rebalance(net, return_info=False)
    assert isinstance(plain, nn.Module) and sum_of_squares(plain) == info.after


def test_neuron_groups_are_results():
    groups = neuron_groups(randomized(Conv1dNet(), 0))
    assert groups[0].to_dict() == {
        "layer": "conv",
        "size": 3,
        "norms": ["bn"],
        "consumers": [["head.2", 1]],
    }
    with pytest.raises(AttributeError):
        groups[0].size = 4
