"""The ``burer-monteiro-rank`` study (quick preset, run once): the protocol, its sections in
report order, captions, citations, and claims that can fail."""

import re

import pytest

from theorylab import studies
from theorylab.studies import burer_monteiro_rank as study
from theorylab.studies.base import Section


@pytest.fixture(scope="module")
def result():
    return studies.run("burer-monteiro-rank", preset="quick")


def test_quick_study_claims_pass(result):
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) == 13
    assert set(result.figures) == {"success_and_certificate_vs_p", "time_vs_n"}
    assert result.seconds < 60 and result.preset == "quick" and result.seed == 0


def test_protocol_and_report_order(result):
    s = studies.load("burer-monteiro-rank")
    assert isinstance(s, study.BurerMonteiroRank) and s.name == result.name
    assert s.preset_of(study.Config.quick()) == "quick"
    assert s.preset_of(study.Config.full()) == "full"
    # spurious claims first, then success rates, the WW threshold, the timings
    statements = [c.statement for c in result.claims]
    assert statements[0].startswith("The point is first-order critical")
    assert statements[7].startswith("BVB:")
    assert statements[11].startswith("Spurious second-order critical points exist")
    assert statements[12].startswith("The Burer–Monteiro solver certifies")
    titles = [t.title for t in result.tables]
    assert [t.split()[0] for t in titles] == ["Spurious", "Success", "WW", "MaxCut"]
    assert set(result.captions) == set(result.figures)
    assert all(c.strip().endswith(".") for c in result.captions.values())


def test_claims_cite_papers_not_internal_documents(result):
    citation = re.compile(r"\b[A-Z][\w\-'’]+.{0,120}?\b(19|20)\d\d\b|this library", re.S)
    for c in result.claims:
        assert citation.search(c.source), c.source
        assert "reference" not in c.source and "HRVW" not in c.source, c.source
    text = " ".join([result.summary, *(t.title for t in result.tables)])
    assert "reference" not in text


def test_study_tables_are_consistent(result):
    success = next(t for t in result.tables if t.title.startswith("Success rate"))
    rates = {(r[0], r[1]): float(r[2]) for r in success.rows}
    # rank 1 cannot certify a random cost (independent check: a random cost has no
    # rank-1 SDP solution almost surely), p_BVB always does
    assert rates[("goe", 1)] == 0.0
    assert rates[("goe", 9)] == 1.0  # p_BVB(40) = 9


def test_sections_are_sections():
    cfg = study.Config.quick()
    section = study._threshold_section(cfg)
    assert isinstance(section, Section) and len(section.claims) == 1 and section.claims[0].passed


def test_claims_can_fail():
    cfg = study.Config.quick()
    # a staircase step that is not taken: rank p stays uncertified
    out = study.spurious_job((20, 4, 0, cfg.tol))
    assert out["lambda_upper"] < 0 and out["f_V"] > out["sdp_ipm"]
    ok, lam, _ = study.success_job(("spurious", 20, 4, 0, 4, 0, cfg.tol))
    assert not ok and lam < 0
