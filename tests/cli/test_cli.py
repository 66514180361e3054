import json

from typer.testing import CliRunner

from theorylab.cli import app

runner = CliRunner()


def test_help_on_every_command():
    for args in [[], ["list"], ["run"], ["reproduce"], ["report"], ["laws"], ["ldp"]]:
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_list():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "conservation-laws" in result.output


def test_laws_relu_as_in_the_readme():
    result = runner.invoke(app, ["laws", "relu", "--dims", "3", "4", "2", "--bias"])
    assert result.exit_code == 0, result.output
    assert "4 independent conservation law(s)" in result.output
    assert "certified: True" in result.output
    assert "W2_1_3**2" in result.output  # the closed form, outgoing weights of neuron 3


def test_laws_linear_momentum_as_in_the_readme():
    result = runner.invoke(
        app,
        ["laws", "linear2", "--n", "2", "--r", "2", "--m", "2", "--flow", "momentum", "--tau", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "1 independent conservation law(s)" in result.output
    assert "*s" in result.output  # the law carries s = exp(tau t)


def test_laws_bad_input():
    result = runner.invoke(app, ["laws", "relu", "--dims", "3", "0"])
    assert result.exit_code == 2
    assert "dims[1] must be >= 1" in result.output
    result = runner.invoke(app, ["laws", "relu", "--dims", "3", "x"])
    assert result.exit_code == 2


def test_run_unknown_study():
    result = runner.invoke(app, ["run", "nope"])
    assert result.exit_code != 0
    assert "unknown study" in result.output


def test_report_from_saved_results(saved_results, tmp_path):
    result = runner.invoke(app, ["report", "--results", str(saved_results), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.html").is_file()
    result = runner.invoke(
        app, ["report", "--results", str(tmp_path / "none"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_reproduce_exit_code_follows_claims(saved_results, tmp_path, monkeypatch):
    """`reproduce` exits 1 when a claim fails: replace the study's run by a saved result
    with one claim flipped."""
    from theorylab import studies
    from theorylab.studies.base import Claim, StudyResult

    good = StudyResult.load(saved_results / "conservation-laws")
    bad_claims = [*good.claims[:-1], Claim.equal("a failing claim", 1, 2)]

    flip = [False]

    def fake_run(name, preset="quick", seed=None):
        res = StudyResult.load(saved_results / "conservation-laws")
        if flip[0]:
            res.claims = bad_claims
        res.figures = {}
        return res

    monkeypatch.setattr(studies, "run", fake_run)
    args = [
        "reproduce",
        "--only",
        "conservation-laws",
        "--out",
        str(tmp_path / "res"),
        "--report",
        str(tmp_path / "rep"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rep" / "index.html").is_file()
    saved = json.loads((tmp_path / "res" / "conservation-laws" / "result.json").read_text())
    assert saved["passed"] is True
    flip[0] = True
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "a failing claim" in result.output
