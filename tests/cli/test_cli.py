import dataclasses
import json
import subprocess
import sys
import time

from typer.testing import CliRunner

from theorylab import __version__
from theorylab.cli import TopicGroup, app
from theorylab.cli._common import expand_multi

runner = CliRunner()


def test_help_on_every_command():
    for args in [[], ["list"], ["run"], ["reproduce"], ["report"], *[[t] for t in TopicGroup.topics]]:
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"theorylab {__version__}"


def test_help_lists_every_topic_without_importing_it():
    code = (
        "import sys; from theorylab.cli import app, TopicGroup\n"
        "from typer.testing import CliRunner\n"
        "out = CliRunner().invoke(app, ['--help']).output\n"
        "assert all(t in out for t in TopicGroup.topics), out\n"
        "heavy = [m for m in ('torch', 'numba', 'scipy', 'matplotlib') if m in sys.modules]\n"
        "topics = [m for m in sys.modules if m.split('.')[:2] in "
        "[['theorylab', t] for t in TopicGroup.topics]]\n"
        "print(heavy, topics)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []", out.stdout


def test_list():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "conservation-laws" in result.output


def test_list_options_take_several_values():
    class Param:
        def __init__(self, opts, numeric):
            self.opts, self.multiple, self.nargs = opts, True, 1
            self.param_type_name = "option"
            self.type = type("T", (), {"name": "integer" if numeric else "text"})()

    class Cmd:
        params = [Param(["--dims"], True), Param(["--only"], False)]

    assert expand_multi(Cmd, ["relu", "--dims", "3", "-4", "2", "--bias"]) == [
        "relu", "--dims", "3", "--dims", "-4", "--dims", "2", "--bias",
    ]
    assert expand_multi(Cmd, ["--only", "a", "b", "--seed", "1"]) == [
        "--only", "a", "--only", "b", "--seed", "1",
    ]


def test_run_unknown_study_and_bad_preset():
    result = runner.invoke(app, ["run", "nope"])
    assert result.exit_code == 2
    assert "unknown study" in result.output
    result = runner.invoke(app, ["reproduce", "--quick", "--full"])
    assert result.exit_code == 2 and "at most one of --quick and --full" in result.output


def test_report_from_saved_results(saved_results, tmp_path):
    result = runner.invoke(app, ["report", "--results", str(saved_results), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.html").is_file()
    result = runner.invoke(
        app, ["report", "--results", str(tmp_path / "none"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: results directory")


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
        return dataclasses.replace(
            res, claims=bad_claims if flip[0] else res.claims, figures={}, captions={}
        )

    monkeypatch.setattr(studies, "run", fake_run)
    args = [
        "reproduce",
        "--preset",
        "quick",
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


def test_startup_is_fast():
    """`theorylab --help` and `--version` import no topic and start in well under a second."""
    best = min(
        _timed([sys.executable, "-m", "theorylab.cli", "--version"]) for _ in range(3)
    )
    assert best < 0.5, f"theorylab --version took {best:.2f} s"


def _timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t0


# topics that import another topic on purpose (stated in their __init__ docstring)
DEPENDS: dict[str, set[str]] = {"landscape": {"autodiff"}}


def test_a_topic_verb_imports_only_its_topic():
    code = (
        "import sys, importlib; from theorylab.cli import TopicGroup\n"
        "topic = sys.argv[1]\n"
        "importlib.import_module('theorylab.cli.' + topic); importlib.import_module('theorylab.' + topic)\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('theorylab.') "
        "and m.split('.')[1] in TopicGroup.topics} - {topic}))\n"
    )
    for topic in TopicGroup.topics:
        out = subprocess.run(
            [sys.executable, "-c", code, topic], capture_output=True, text=True, check=True
        )
        others = set(eval(out.stdout))  # a printed list of names
        assert others <= DEPENDS.get(topic, set()), (topic, others)
