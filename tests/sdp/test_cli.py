"""``theorylab sdp maxcut``: the table, ``--json`` (built on ``to_dict()``), the deprecated
alias ``theorylab maxcut``, and one-line errors."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from theorylab.cli import app

runner = CliRunner()
EXACT_C7 = 3.5 * (1 + np.cos(np.pi / 7))  # odd cycle C_7 (Delorme–Poljak / GW closed form)


@pytest.fixture
def cycle7(tmp_path):
    path = tmp_path / "c7.txt"
    path.write_text("7 7\n" + "".join(f"{i + 1} {(i + 1) % 7 + 1} 1\n" for i in range(7)))
    return path


def flat(text):
    return " ".join(text.replace("│", " ").split())


def test_sdp_maxcut_table(cycle7):
    out = runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--tol", "1e-8"])
    assert out.exit_code == 0, out.output
    assert f"{EXACT_C7:.6f}"[:8] in out.output
    assert "yes" in out.output and "6" in out.output


def test_sdp_maxcut_json(cycle7):
    out = runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--tol", "1e-8", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    assert d["value"] == pytest.approx(EXACT_C7, rel=1e-8) and d["certified"] is True
    assert d["bound"] >= d["value"] and d["gap"] == pytest.approx(d["bound"] - d["value"])
    assert d["cut_value"] == 6.0 and sorted(set(d["cut"])) == [-1.0, 1.0]
    assert "Y" not in d and d["sdp"]["ranks"]
    # the default --seed 0 is the library's seed=0
    again = json.loads(runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--json"]).stdout)
    seeded = json.loads(
        runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--json", "--seed", "0"]).stdout
    )
    assert again["cut"] == seeded["cut"] and again["value"] == seeded["value"]


def test_old_top_level_maxcut_is_a_deprecated_alias(cycle7):
    out = runner.invoke(app, ["maxcut", str(cycle7), "--json"])
    assert out.exit_code == 0, out.output
    assert "`theorylab maxcut` is deprecated; use `theorylab sdp maxcut`" in out.stderr
    new = runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--json"])
    assert json.loads(out.stdout)["value"] == json.loads(new.stdout)["value"]


def test_sdp_maxcut_bad_input(tmp_path, cycle7):
    out = runner.invoke(app, ["sdp", "maxcut", "no-such-graph"], env={"COLUMNS": "300"})
    assert out.exit_code == 2 and "neither a file" in flat(out.output)
    assert "Traceback" not in out.output
    bad = tmp_path / "bad.txt"
    bad.write_text("3 1\n1 1 1\n")
    out = runner.invoke(app, ["sdp", "maxcut", str(bad)], env={"COLUMNS": "300"})
    assert out.exit_code == 2 and "self-loop" in flat(out.output)
    out = runner.invoke(app, ["sdp", "maxcut", str(bad), "--rank", "x"])
    assert out.exit_code == 2
    assert out.output.strip() == "error: rank must be 'auto' or an int >= 1; got 'x'"
    out = runner.invoke(app, ["sdp", "maxcut", str(cycle7), "--method", "sdpt3"])
    assert out.exit_code == 2
    assert out.output.strip().startswith("error: method must be one of ['auto', 'mixing'")
