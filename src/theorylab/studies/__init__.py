"""Studies: one module per result, each re-running the result's claims.

A study is a :class:`~theorylab.studies.base.Study` subclass (its docstring is the
protocol). The registry below maps study names to ``module:Class``, imported only when a
study is used.
"""

from __future__ import annotations

import dataclasses
import importlib

from theorylab.studies.base import Claim, Section, Study, StudyResult, Table

REGISTRY: dict[str, str] = {
    "conservation-laws": "theorylab.studies.conservation_laws:ConservationLaws",
    "ldp-projective-geometry": "theorylab.studies.ldp_projective_geometry:ProjectiveGeometry",
    "burer-monteiro-rank": "theorylab.studies.burer_monteiro_rank:BurerMonteiroRank",
    "rescaling-invariance": "theorylab.studies.rescaling_invariance:RescalingInvariance",
    "perturbed-optimizers": "theorylab.studies.perturbed_optimizers:PerturbedOptimizers",
}
PRESETS = ("quick", "full")


def names() -> list[str]:
    """The registered study names, in registry order."""
    return list(REGISTRY)


def load(name: str) -> Study:
    """The study registered as ``name`` (a ``ValueError`` lists the known names)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown study {name!r}; known studies: {', '.join(REGISTRY)}")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)()


def run(name: str, *, preset: str = "quick", seed: int | None = None) -> StudyResult:
    """Run study ``name`` with its ``quick`` or ``full`` preset (optionally another seed)."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {list(PRESETS)}; got {preset!r}")
    study = load(name)
    config = getattr(study.Config, preset)()
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    result = study.run(config)
    return dataclasses.replace(result, preset=preset)


__all__ = [
    "PRESETS",
    "REGISTRY",
    "Claim",
    "Section",
    "Study",
    "StudyResult",
    "Table",
    "load",
    "names",
    "run",
]
