"""Small shared pieces: seeding, argument validation and a parallel map (local or Dask)."""

from theorylab._core.parallel import map
from theorylab._core.rng import as_generator, as_torch_generator, spawn_seeds
from theorylab._core.validation import (
    check_choice,
    check_finite,
    check_int,
    check_int_sequence,
    check_real,
)

__all__ = [
    "as_generator",
    "as_torch_generator",
    "check_choice",
    "check_finite",
    "check_int",
    "check_int_sequence",
    "check_real",
    "map",
    "spawn_seeds",
]
