"""The ``rescaling-invariance`` study: quick preset once per module; its claims must pass."""

import dataclasses

import pytest

from theorylab import studies
from theorylab.studies import rescaling_invariance as S


@pytest.fixture(scope="module")
def result():
    return studies.run("rescaling-invariance", preset="quick")


def test_quick_preset_claims_pass(result):
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) >= 15
    assert set(result.figures) == {"pruning_accuracy", "pathnorm_training", "hadamard_lasso"}
    assert result.seconds < 30


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


def test_config_presets():
    assert S.Config.quick().seed == 0
    full = S.Config.full()
    assert full.epochs > S.Config.quick().epochs
    assert dataclasses.is_dataclass(full)
