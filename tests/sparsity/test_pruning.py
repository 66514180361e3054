"""Path-magnitude scores (hand-computed PN3, the multilinearity identity), pruning masks and
the path-metric Lipschitz bound against brute-force path enumeration."""

import copy

import pytest
import torch
from sparsity_nets import SkipCNN, block_net, mlp, pn1, randomized

from theorylab.sparsity import (
    path_lifting,
    path_magnitude_scores,
    path_metric_lipschitz_bound,
    path_norm,
    prune,
    random_rescaling,
)


def test_pn3_scores():
    s = path_magnitude_scores(pn1(), (2,))
    torch.testing.assert_close(s["0"], torch.tensor([[2.0, 4.0], [3.0, 0.5]], dtype=torch.float64))
    torch.testing.assert_close(s["2"], torch.tensor([[7.0, 4.5]], dtype=torch.float64))


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: randomized(SkipCNN(), 0), (1, 5, 4)),
        (lambda: randomized(block_net(), 1), (1, 4, 4)),
    ],
)
def test_score_is_mass_of_paths_through_the_weight(build, shape):
    net = build()
    scores = path_magnitude_scores(net, shape)
    total = path_norm(net, shape, 1)
    normalized = path_magnitude_scores(net, shape, normalized=True)
    gen = torch.Generator().manual_seed(0)
    for name, s in scores.items():
        torch.testing.assert_close(normalized[name] * total, s, rtol=1e-12, atol=0)
        for _ in range(2):
            i = int(torch.randint(s.numel(), (1,), generator=gen))
            zeroed = copy.deepcopy(net)
            with torch.no_grad():
                zeroed.get_submodule(name).weight.view(-1)[i] = 0.0
            assert float(s.view(-1)[i]) == pytest.approx(
                total - path_norm(zeroed, shape, 1), rel=1e-9, abs=1e-9 * total
            )


@pytest.mark.parametrize("criterion", ["magnitude", "path-magnitude", "random"])
def test_prune_removes_the_requested_fraction(criterion):
    net = randomized(SkipCNN(), 2)
    masks = prune(net, 0.3, criterion, input_shape=(1, 5, 4), seed=0)
    total = sum(m.numel() for m in masks.values())
    kept = sum(int(m.sum()) for m in masks.values())
    assert total - kept == round(0.3 * total)
    assert set(masks) == {"conv1", "conv2", "conv3", "fc"}


def test_masks_invariant_for_path_magnitude_not_for_magnitude():
    net = randomized(block_net(4), 3)
    res = random_rescaling(net, seed=1)
    for amount in (0.2, 0.5, 0.8):
        a = prune(copy.deepcopy(net), amount, "path-magnitude", input_shape=(1, 6, 6))
        b = prune(copy.deepcopy(res), amount, "path-magnitude", input_shape=(1, 6, 6))
        assert all(torch.equal(a[k], b[k]) for k in a)
    a = prune(copy.deepcopy(net), 0.5, "magnitude")
    b = prune(copy.deepcopy(res), 0.5, "magnitude")
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_random_criterion_is_reproducible():
    net = mlp([4, 6, 3], 0)
    a = prune(copy.deepcopy(net), 0.5, "random", seed=3)
    b = prune(copy.deepcopy(net), 0.5, "random", seed=3)
    assert all(torch.equal(a[k], b[k]) for k in a)


def _metric(a, b, shape):
    return float((path_lifting(a, shape) - path_lifting(b, shape)).abs().sum())


@pytest.mark.parametrize(
    "build, shape",
    [(lambda: randomized(SkipCNN(), 6), (1, 5, 4)), (lambda: mlp([3, 4, 3, 2], 7), (3,))],
)
def test_lipschitz_bound(build, shape):
    net = build()
    pruned = copy.deepcopy(net)
    prune(pruned, 0.4, "random", seed=0)
    exact = _metric(net, pruned, shape)
    assert path_metric_lipschitz_bound(net, pruned, shape) == pytest.approx(exact, rel=1e-10)
    other = copy.deepcopy(net)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    bound = path_metric_lipschitz_bound(net, other, shape)
    metric = _metric(net, other, shape)
    assert metric <= bound * (1 + 1e-12)
    x = 3 * torch.randn(256, *shape, generator=gen, dtype=torch.float64)
    gap = (net(x) - other(x)).abs().sum(1)
    lip = x.flatten(1).abs().max(1).values.clamp(min=1.0) * metric
    assert bool((gap <= lip * (1 + 1e-12)).all())
    assert path_metric_lipschitz_bound(net, other, shape, x=x[:1]) == pytest.approx(
        max(1.0, float(x[:1].abs().max())) * bound
    )


def test_scores_sum_to_path_length_times_norm():
    # Euler: ‖Φ‖₁ is homogeneous of degree L in the weights of an L-layer bias-free net, so
    # the scores (|θ_i| ∂‖Φ‖₁/∂|θ_i|) add up to L·‖Φ‖₁
    from torch import nn

    net = nn.Sequential(
        nn.Conv2d(1, 3, 3, bias=False),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 2, bias=False),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4, 2, bias=False),
    ).double()
    scores = path_magnitude_scores(net, (1, 6, 6))
    total = sum(float(s.sum()) for s in scores.values())
    assert total == pytest.approx(3 * path_norm(net, (1, 6, 6), 1), rel=1e-12)
