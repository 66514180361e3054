import dataclasses
import json
import math

import matplotlib.pyplot as plt
import pytest

from theorylab import studies
from theorylab.studies.base import Claim, Section, Study, StudyResult, Table


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
    assert back.claims == res.claims and back.captions == {}
    assert back.tables == res.tables
    assert not back.passed
    assert back.seconds == 1.5 and back.preset == "quick"
    assert back.versions["numpy"] == res.versions["numpy"]


def test_registry():
    assert "conservation-laws" in studies.names()
    with pytest.raises(ValueError, match="unknown study 'nope'"):
        studies.load("nope")
    for name in studies.names():
        study = studies.load(name)
        quick, full = study.Config.quick(), study.Config.full()
        assert quick != full and hasattr(quick, "seed")
        with pytest.raises(dataclasses.FrozenInstanceError):
            quick.seed = 5


@dataclasses.dataclass(frozen=True)
class _ToyConfig:
    seed: int = 0
    n: int = 3

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls(n=10)


class _Toy(Study):
    name = "toy"
    title = "A toy study"
    citation = "Nobody 2024"
    Config = _ToyConfig

    def sections(self, cfg):
        yield Section(claims=[Claim.equal("n is n", cfg.n, cfg.n)])
        fig, ax = plt.subplots()
        ax.plot(range(cfg.n))
        yield Section(
            claims=[Claim.at_most("seed small", cfg.seed, 5)],
            tables=[Table("t", ["n"], [[cfg.n]])],
            figures={"line": fig},
            captions={"line": "A straight line."},
        )


def test_study_collects_sections_in_order(tmp_path):
    res = _Toy().run(_ToyConfig(seed=7))
    assert [c.statement for c in res.claims] == ["n is n", "seed small"]
    assert res.passed is False and res.seed == 7 and res.preset == "custom"
    assert res.captions == {"line": "A straight line."} and len(res.tables) == 1
    assert res.seconds > 0 and _Toy().run().preset == "quick"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.seed = 1
    with pytest.raises(TypeError, match="config must be a toy Config"):
        _Toy().run({"seed": 0})
    back = StudyResult.load(res.save(tmp_path))
    assert back.captions == res.captions
    assert json.loads((tmp_path / "toy" / "result.json").read_text())["config"] == {
        "seed": 7,
        "n": 3,
    }


def test_section_checks_its_parts():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="no caption"):
        Section(figures={"f": fig})
    with pytest.raises(ValueError, match="name no figure"):
        Section(captions={"g": "x"})
    with pytest.raises(TypeError, match="Section.claims must hold Claim"):
        Section(claims=["a sentence"])
    plt.close(fig)
