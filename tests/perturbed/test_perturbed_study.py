"""The ``perturbed-optimizers`` study: the quick preset runs, every claim passes, the generated
maps and labels are consistent, results round-trip."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from matplotlib.figure import Figure

from theorylab import studies
from theorylab.perturbed import solvers
from theorylab.studies import perturbed_optimizers as study
from theorylab.studies.base import StudyResult


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return studies.run("perturbed-optimizers", preset="quick")


def test_registered() -> None:
    assert "perturbed-optimizers" in studies.names()
    assert studies.load("perturbed-optimizers") is study


def test_every_claim_passes(result: StudyResult) -> None:
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed, failed
    assert len(result.claims) >= 6 and all(c.source for c in result.claims)


def test_quick_preset_is_quick(result: StudyResult) -> None:
    assert result.seconds < 60.0  # design: < 30 s on 2 cores; loose against CI load


def test_figures_tables_and_round_trip(result: StudyResult, tmp_path) -> None:
    assert set(result.figures) == {"accuracy_vs_epoch", "example_paths", "gradient_error_vs_m"}
    assert all(isinstance(f, Figure) for f in result.figures.values())
    curve = result.tables[0]
    assert len(curve.rows) == study.Config.quick().epochs + 1
    loaded = StudyResult.load(result.save(tmp_path))
    assert [c.measured for c in loaded.claims] == [c.measured for c in result.claims]


def test_dataset_labels_are_optimal_paths() -> None:
    cfg = dataclasses.replace(study.Config.quick(), grid=6)
    data = study.make_dataset(10, cfg, seed=3)
    assert data["images"].shape == (10, 3, 6 * cfg.pixels, 6 * cfg.pixels)
    # labels: the Dijkstra solver (a second algorithm) finds the same optimal costs
    dj = solvers.GridShortestPath("dijkstra")(data["costs"])
    assert torch.allclose((dj * data["costs"]).sum((1, 2)), data["optimal"])
    table = torch.tensor([t[1] for t in study.TERRAIN])
    assert torch.equal(data["costs"], table[data["types"]])
    assert torch.equal(data["images"], study.make_dataset(10, cfg, seed=3)["images"])
