"""Seeding: every sampling function in theorylab takes ``seed``, which may be an int,
``None``, a ``numpy.random.Generator`` or a ``torch.Generator``.

The helpers here turn any of those into the generator a function needs, so that a fixed
seed gives the same numbers twice, whatever the backend.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

SeedLike = int | np.random.Generator | torch.Generator | None

_MASK64 = (1 << 63) - 1


def _check_seed(seed: object, name: str) -> None:
    if seed is None or isinstance(seed, (np.random.Generator, torch.Generator)):
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an int, None, a numpy.random.Generator or a torch.Generator; "
            f"got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int; got {seed}")


def as_generator(seed: SeedLike = None, *, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``seed``.

    A numpy Generator is returned as is (its state is shared with the caller); a
    ``torch.Generator`` seeds a new numpy Generator from one draw of it.
    """
    _check_seed(seed, name)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, torch.Generator):
        draw = torch.randint(0, 2**62, (1,), generator=seed, device=seed.device).item()
        return np.random.default_rng(int(draw))
    return np.random.default_rng(seed)


def as_torch_generator(
    seed: SeedLike = None, *, device: str | torch.device = "cpu", name: str = "seed"
) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` from ``seed``.

    A torch Generator is returned as is; a numpy Generator seeds a new torch Generator from
    one draw of it; ``None`` seeds from operating-system entropy.
    """
    _check_seed(seed, name)
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    elif isinstance(seed, np.random.Generator):
        gen.manual_seed(int(seed.integers(0, _MASK64)))
    else:
        gen.manual_seed(int(seed) & _MASK64)
    return gen


def spawn_seeds(seed: SeedLike, n: int) -> list[int]:
    """``n`` independent integer seeds derived from ``seed`` (for sweeps and workers).

    Integer seeds go through ``numpy.random.SeedSequence.spawn``, so child streams do not
    overlap and the list is the same on every run.
    """
    _check_seed(seed, "seed")
    if isinstance(seed, (np.random.Generator, torch.Generator)) or seed is None:
        root = np.random.SeedSequence(int(as_generator(seed).integers(0, _MASK64)))
    else:
        root = np.random.SeedSequence(int(seed))
    return [int(child.generate_state(1, dtype=np.uint64)[0] & _MASK64) for child in root.spawn(n)]
