from theorylab import studies
from theorylab.studies import conservation_laws as S
from theorylab.studies.base import Section, Study


def test_quick_preset_claims_pass(conservation_result):
    failed = [
        (c.statement, c.measured, c.expected) for c in conservation_result.claims if not c.passed
    ]
    assert not failed
    assert len(conservation_result.claims) == 10
    assert set(conservation_result.figures) == {"gradient_flow_laws", "training_drift"}
    assert set(conservation_result.captions) == set(conservation_result.figures)
    assert conservation_result.preset == "quick" and conservation_result.seed == 0


def test_claims_cite_papers_not_internal_documents(conservation_result):
    for claim in conservation_result.claims:
        assert "Marcotte, Gribonval, Peyré 20" in claim.source or (
            "this library's measurement" in claim.source
        ), claim.source
        assert "reference" not in claim.source.replace("reference table", ""), claim.source


def test_reference_cases_match_the_table(conservation_result):
    table = conservation_result.tables[0]
    col = {c: i for i, c in enumerate(table.columns)}
    for row in table.rows:
        assert row[col["laws"]] == row[col["reference"]], row


def test_study_protocol():
    study = studies.load("conservation-laws")
    assert isinstance(study, S.ConservationLaws) and isinstance(study, Study)
    assert study.preset_of(S.Config.quick()) == "quick"
    assert study.preset_of(S.Config.full()) == "full"
    assert S.Config.full().n_random == 50  # the authors' 50 + 50 protocol


def test_random_sweep_is_reproducible():
    cfg = S.Config(n_random=3)
    a, b = S._random_section(cfg), S._random_section(cfg)
    assert isinstance(a, Section) and len(a.claims) == 2
    assert [r[:5] for r in a.tables[0].rows] == [r[:5] for r in b.tables[0].rows]
