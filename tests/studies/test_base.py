import dataclasses
import math

import matplotlib.pyplot as plt
import pytest

from theorylab import studies
from theorylab.studies.base import Claim, StudyResult, Table


def test_claim_constructors_compute_verdicts():
    assert Claim.at_most("s", 1e-7, 1e-6).passed
    assert not Claim.at_most("s", 1e-5, 1e-6).passed
    assert Claim.at_least("s", 3, 2).passed
    assert Claim.within("s", 2.0, 1.8, 2.2).passed
    assert not Claim.within("s", 2.3, 1.8, 2.2).passed
    assert Claim.equal("s", 3, 3).passed and not Claim.equal("s", 2, 3).passed
    c = Claim.close("s", 1.05, 1.0, rtol=0.1)
    assert c.passed and math.isclose(c.tolerance, 0.1)
    assert not Claim.close("s", 1.2, 1.0, atol=0.1).passed
    with pytest.raises(ValueError):
        Claim.close("s", 1.0, 1.0)


def test_table_checks_row_length():
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 2"):
        Table("t", ["a", "b"], [[1]])


def test_save_load_roundtrip(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    res = StudyResult(
        name="demo",
        title="Demo",
        citation="X 2020",
        claims=[Claim.at_most("small", 0.5, 1.0), Claim.equal("three", 2, 3)],
        tables=[Table("t", ["a", "b"], [[1, 2.5]])],
        figures={"line": fig},
        config={"seed": 0},
        seed=0,
        seconds=1.5,
        preset="quick",
    )
    folder = res.save(tmp_path)
    assert (folder / "line.png").is_file() and (folder / "line.svg").is_file()
    back = StudyResult.load(folder)
    assert back.claims == res.claims
    assert back.tables == res.tables
    assert not back.passed
    assert back.seconds == 1.5 and back.preset == "quick"
    assert back.versions["numpy"] == res.versions["numpy"]


def test_registry():
    assert "conservation-laws" in studies.names()
    with pytest.raises(ValueError, match="unknown study 'nope'"):
        studies.load("nope")
    for name in studies.names():
        mod = studies.load(name)
        quick, full = mod.Config.quick(), mod.Config.full()
        assert quick != full and hasattr(quick, "seed")
        with pytest.raises(dataclasses.FrozenInstanceError):
            quick.seed = 5
