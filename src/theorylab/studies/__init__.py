"""Studies: one module per result, each re-running the result's claims.

A study module defines ``NAME``, a frozen dataclass ``Config`` with ``quick()`` and
``full()`` presets (and a ``seed`` field), and ``run(config) -> StudyResult``. The registry
below maps study names to modules, imported only when a study is used.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from types import ModuleType

from theorylab.studies.base import Claim, StudyResult, Table

REGISTRY: dict[str, str] = {
    "conservation-laws": "theorylab.studies.conservation_laws",
    "ldp-projective-geometry": "theorylab.studies.ldp_projective_geometry",
    "burer-monteiro-rank": "theorylab.studies.burer_monteiro_rank",
    "rescaling-invariance": "theorylab.studies.rescaling_invariance",
    "perturbed-optimizers": "theorylab.studies.perturbed_optimizers",
}


def names() -> list[str]:
    """The registered study names, in registry order."""
    return list(REGISTRY)


def load(name: str) -> ModuleType:
    """The module of study ``name`` (a ``ValueError`` lists the known names)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown study {name!r}; known studies: {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name])


def run(name: str, *, preset: str = "quick", seed: int | None = None) -> StudyResult:
    """Run study ``name`` with its ``quick`` or ``full`` preset (optionally another seed),
    filling in the seed, preset and wall time of the result."""
    if preset not in ("quick", "full"):
        raise ValueError(f"preset must be 'quick' or 'full'; got {preset!r}")
    module = load(name)
    config = getattr(module.Config, preset)()
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    start = time.perf_counter()
    result = module.run(config)
    result.seconds = time.perf_counter() - start
    result.seed = config.seed
    result.preset = preset
    result.config = config
    return result


__all__ = ["REGISTRY", "Claim", "StudyResult", "Table", "load", "names", "run"]
