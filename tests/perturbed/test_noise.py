"""Noise.sample: ``seed=`` (any SeedLike), the deprecated ``generator=`` spelling, and the
draws against the laws' moments."""

import math

import numpy as np
import pytest
import torch

from theorylab.perturbed import EULER_GAMMA, Gumbel, Noise, Normal


@pytest.mark.parametrize("noise", [Normal(), Gumbel()])
def test_old_generator_keyword_warns_and_gives_the_same_draws(noise):
    new = noise.sample((4, 5), seed=torch.Generator().manual_seed(3))
    with pytest.warns(DeprecationWarning, match="generator= is deprecated, use seed="):
        old = noise.sample((4, 5), generator=torch.Generator().manual_seed(3))
    assert torch.equal(old, new)
    # an int seed is the torch.Generator seeded with it; positional calls keep working
    assert torch.equal(noise.sample((4, 5), seed=3), new)
    gen = torch.Generator().manual_seed(3)
    assert torch.equal(noise.sample((4, 5), gen, torch.device("cpu"), torch.float32), new)
    with pytest.raises(TypeError, match="got both generator= .* and seed="):
        noise.sample((2,), generator=torch.Generator(), seed=0)


def test_seed_kinds_dtype_and_device():
    noise = Normal()
    a = noise.sample((3,), seed=np.random.default_rng(1), dtype=torch.float64)
    b = noise.sample((3,), seed=np.random.default_rng(1), dtype=torch.float64)
    assert a.dtype == torch.float64 and torch.equal(a, b)
    assert noise.sample((3,)).dtype == torch.get_default_dtype()  # seed=None: fresh entropy
    with pytest.raises(TypeError, match="seed must be an int"):
        noise.sample((3,), seed="x")
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        noise.sample((3,), seed=-1)


def test_custom_noise_receives_a_torch_generator():
    seen = []

    def draw(shape, gen, device, dtype):
        seen.append(type(gen))
        return torch.rand(shape, generator=gen, device=device, dtype=dtype)

    uniform = Noise(draw, lambda z: torch.zeros_like(z), name="uniform")
    z = uniform.sample((2, 3), seed=0)
    assert seen == [torch.Generator] and z.shape == (2, 3)
    bad = Noise(lambda shape, *a: torch.zeros(1), torch.neg, name="bad")
    with pytest.raises(ValueError, match="sample returned"):
        bad.sample((2, 3), seed=0)


def test_draws_have_the_laws_moments():
    # Normal: mean 0, variance 1; Gumbel: mean gamma, variance pi^2 / 6 (4.5 standard errors)
    n = 400_000
    for noise, mean, var in ((Normal(), 0.0, 1.0), (Gumbel(), EULER_GAMMA, math.pi**2 / 6)):
        z = noise.sample((n,), seed=11, dtype=torch.float64)
        assert abs(float(z.mean()) - mean) < 4.5 * math.sqrt(var / n)
        assert abs(float(z.var()) - var) < 0.02 * var
