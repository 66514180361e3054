"""The ``burer-monteiro-rank`` study (quick preset, run once) and the ``maxcut`` command."""

import numpy as np
import pytest
from typer.testing import CliRunner

from theorylab import studies
from theorylab.cli import app
from theorylab.studies import burer_monteiro_rank as study


@pytest.fixture(scope="module")
def result():
    return studies.run("burer-monteiro-rank", preset="quick")


def test_quick_study_claims_pass(result):
    failed = [(c.statement, c.measured, c.expected) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) >= 10
    assert set(result.figures) == {"success_and_certificate_vs_p", "time_vs_n"}
    assert result.seconds < 60


def test_study_tables_are_consistent(result):
    success = next(t for t in result.tables if t.title.startswith("Success rate"))
    rates = {(r[0], r[1]): float(r[2]) for r in success.rows}
    # rank 1 cannot certify a random cost (independent check: a random cost has no
    # rank-1 SDP solution almost surely), p_BVB always does
    assert rates[("goe", 1)] == 0.0
    assert rates[("goe", 9)] == 1.0  # p_BVB(40) = 9


def test_claims_can_fail():
    cfg = study.Config.quick()
    # a staircase step that is not taken: rank p stays uncertified
    out = study.spurious_job((20, 4, 0, cfg.tol))
    assert out["lambda_upper"] < 0 and out["f_V"] > out["sdp_ipm"]
    ok, lam, _ = study.success_job(("spurious", 20, 4, 0, 4, 0, cfg.tol))
    assert not ok and lam < 0


runner = CliRunner()


def test_cli_maxcut_on_rudy_file(tmp_path):
    path = tmp_path / "c7.txt"
    path.write_text("7 7\n" + "".join(f"{i + 1} {(i + 1) % 7 + 1} 1\n" for i in range(7)))
    out = runner.invoke(app, ["maxcut", str(path), "--tol", "1e-8"])
    assert out.exit_code == 0, out.output
    exact = 3.5 * (1 + np.cos(np.pi / 7))
    assert f"{exact:.6f}"[:8] in out.output
    assert "yes" in out.output and "6" in out.output


def flat(text):
    return " ".join(text.replace("│", " ").split())


def test_cli_maxcut_bad_input(tmp_path):
    out = runner.invoke(app, ["maxcut", "no-such-graph"], env={"COLUMNS": "300"})
    assert out.exit_code == 2 and "neither a file" in flat(out.output)
    bad = tmp_path / "bad.txt"
    bad.write_text("3 1\n1 1 1\n")
    out = runner.invoke(app, ["maxcut", str(bad)], env={"COLUMNS": "300"})
    assert out.exit_code == 2 and "self-loop" in flat(out.output)
    out = runner.invoke(app, ["maxcut", str(bad), "--rank", "x"])
    assert out.exit_code != 0
