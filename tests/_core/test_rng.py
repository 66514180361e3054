import numpy as np
import pytest
import torch

from theorylab._core.rng import as_generator, as_torch_generator, spawn_seeds


def test_int_seed_repeats():
    assert np.array_equal(as_generator(3).random(5), as_generator(3).random(5))
    a = torch.rand(4, generator=as_torch_generator(3))
    b = torch.rand(4, generator=as_torch_generator(3))
    assert torch.equal(a, b)


def test_generators_pass_through_and_convert():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    t = torch.Generator().manual_seed(1)
    assert as_torch_generator(t) is t
    # a torch generator seeds numpy deterministically, and vice versa
    x = as_generator(torch.Generator().manual_seed(5)).random(3)
    y = as_generator(torch.Generator().manual_seed(5)).random(3)
    assert np.array_equal(x, y)
    u = torch.rand(3, generator=as_torch_generator(np.random.default_rng(7)))
    v = torch.rand(3, generator=as_torch_generator(np.random.default_rng(7)))
    assert torch.equal(u, v)


def test_spawn_seeds_distinct_and_reproducible():
    s = spawn_seeds(0, 50)
    assert s == spawn_seeds(0, 50)
    assert len(set(s)) == 50
    assert s != spawn_seeds(1, 50)


@pytest.mark.parametrize("bad", [1.5, "3", True, [1]])
def test_bad_seed_type(bad):
    with pytest.raises(TypeError, match="seed"):
        as_generator(bad)


def test_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        as_torch_generator(-1)
