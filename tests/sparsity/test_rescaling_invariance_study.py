"""The ``rescaling-invariance`` study: quick preset once per module; its claims must pass."""

import dataclasses
import re

import pytest

from theorylab import studies
from theorylab.studies import rescaling_invariance as S
from theorylab.studies.base import Study


@pytest.fixture(scope="module")
def result():
    return studies.run("rescaling-invariance", preset="quick")


def test_quick_preset_claims_pass(result):
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) == 20
    assert set(result.figures) == {"pruning_accuracy", "pathnorm_training", "hadamard_lasso"}
    assert set(result.captions) == set(result.figures)
    assert result.preset == "quick" and result.seed == 0
    assert result.seconds < 30


def test_claims_cite_papers_or_say_they_are_measurements(result):
    for c in result.claims:
        cited = re.search(r"[A-Z]\w+.*\b(19|20)\d\d\b|this library's measurement", c.source)
        assert cited, c.source
        assert "reference" not in c.source and "design" not in c.source, c.source


def test_pruning_table_shows_the_attack(result):
    table = next(t for t in result.tables if t.title.startswith("Test accuracy"))
    col = {c: i for i, c in enumerate(table.columns)}
    for row in table.rows:
        assert row[col["path-magnitude"]] == row[col["path-magnitude, rescaled"]]
    worst = min(row[col["magnitude, rescaled"]] for row in table.rows)
    assert worst <= 0.2  # magnitude pruning collapses to chance level (0.1) after the attack


def test_result_saves(result, tmp_path):
    folder = result.save(tmp_path)
    assert (folder / "result.json").is_file()
    assert (folder / "pruning_accuracy.png").is_file()
    loaded = type(result).load(folder)
    assert loaded.captions == result.captions
    assert [c.measured for c in loaded.claims] == [c.measured for c in result.claims]


def test_study_protocol_and_presets():
    study = studies.load("rescaling-invariance")
    assert isinstance(study, S.RescalingInvariance) and isinstance(study, Study)
    assert S.Config.quick().seed == 0
    full = S.Config.full()
    assert full.epochs > S.Config.quick().epochs
    assert dataclasses.is_dataclass(full)
    assert study.preset_of(full) == "full"


def test_old_module_protocol_is_deprecated():
    with pytest.warns(DeprecationWarning, match="studies.load"):
        assert S.NAME == "rescaling-invariance"
    with pytest.warns(DeprecationWarning):
        assert S.TITLE == S.RescalingInvariance.title
    with pytest.warns(DeprecationWarning):
        assert callable(S.run)
    with pytest.raises(AttributeError):
        S.nothing  # noqa: B018
