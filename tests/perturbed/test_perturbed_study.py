"""The ``perturbed-optimizers`` study: the protocol, the quick preset runs and every claim
passes with a proper citation, captions, results round-trip, the old module names warn."""

from __future__ import annotations

import re

import pytest
import torch
from matplotlib.figure import Figure

from theorylab import studies
from theorylab.perturbed import warcraft
from theorylab.studies import perturbed_optimizers as module
from theorylab.studies.base import StudyResult
from theorylab.studies.perturbed_optimizers import Config, PerturbedOptimizers

FIGURES = {"accuracy_vs_epoch", "example_paths", "gradient_error_vs_m"}


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return studies.run("perturbed-optimizers", preset="quick")


def test_registered_as_a_study_class() -> None:
    study = studies.load("perturbed-optimizers")
    assert isinstance(study, PerturbedOptimizers) and study.name == "perturbed-optimizers"
    assert study.Config is Config and study.preset_of(Config.full()) == "full"


def test_every_claim_passes_and_cites_the_paper(result: StudyResult) -> None:
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed, failed
    assert len(result.claims) == 7 and result.passed
    for c in result.claims:
        assert "Berthet" in c.source and "2020" in c.source, c.source
        assert not re.search(r"\bB20\b|reference|§", c.source + c.statement), c.source
    assert "B20" not in result.summary and "reference" not in result.summary


def test_quick_preset_is_quick(result: StudyResult) -> None:
    assert result.preset == "quick" and result.seed == 0
    assert result.seconds < 60.0  # design: < 30 s on 2 cores; loose against CI load


def test_figures_captions_tables_and_round_trip(result: StudyResult, tmp_path) -> None:
    assert set(result.figures) == FIGURES == set(result.captions)
    assert all(isinstance(f, Figure) for f in result.figures.values())
    assert all(c.strip().endswith(".") for c in result.captions.values())
    curve = result.tables[0]
    assert len(curve.rows) == Config.quick().epochs + 1
    loaded = StudyResult.load(result.save(tmp_path))
    assert [c.measured for c in loaded.claims] == [c.measured for c in result.claims]
    assert loaded.captions == result.captions


def test_old_module_names_warn_and_still_work() -> None:
    with pytest.warns(DeprecationWarning, match="NAME is deprecated"):
        assert module.NAME == "perturbed-optimizers"
    with pytest.warns(DeprecationWarning, match="TERRAIN is deprecated"):
        assert module.TERRAIN is warcraft.TERRAIN
    cfg = Config.quick()
    with pytest.warns(DeprecationWarning, match="make_dataset is deprecated"):
        old = module.make_dataset(6, cfg, 3)
    new = warcraft.warcraft_maps(6, grid=cfg.grid, pixels=cfg.pixels, seed=3)
    assert set(old) == {"images", "costs", "paths", "optimal", "types"}
    assert all(torch.equal(old[k], getattr(new, k)) for k in old)
    with pytest.warns(DeprecationWarning, match="path_accuracy is deprecated"):
        acc = module.path_accuracy(warcraft.CostNet(cfg.pixels, 4, seed=0), old)
    assert acc == warcraft.path_accuracy(warcraft.CostNet(cfg.pixels, 4, seed=0), new)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018
