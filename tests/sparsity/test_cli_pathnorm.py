"""``theorylab sparsity pathnorm``: values against the library, file factories, ``--json``,
the deprecated top-level alias, clear one-line errors."""

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from theorylab.cli import app
from theorylab.sparsity import digits_cnn, path_norm

runner = CliRunner()
DIGITS = ["theorylab.sparsity.zoo:digits_cnn", "--input-shape", "1", "8", "8"]


def test_pathnorm_matches_library():
    result = runner.invoke(app, ["sparsity", "pathnorm", *DIGITS, "--q", "1", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    torch.manual_seed(3)
    net = digits_cnn().eval()
    for q in (1, 2):
        assert f"{math.log(path_norm(net, (1, 8, 8), q)):.6f}" in result.output
    assert "rescalable neurons" in result.output


def test_pathnorm_json():
    result = runner.invoke(app, ["sparsity", "pathnorm", *DIGITS, "--q", "1", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but the JSON on stdout
    torch.manual_seed(0)  # the default --seed
    net = digits_cnn().eval()
    assert data["model"] == "Sequential" and data["input_shape"] == [1, 8, 8]
    assert data["parameters"] == sum(p.numel() for p in net.parameters())
    assert data["rescalable_neurons"] == 8 + 16 + 32 and data["rescalable_layers"] == 3
    assert [row["q"] for row in data["path_norms"]] == [1.0, 4.0]
    for row in data["path_norms"]:
        assert row["value"] == pytest.approx(path_norm(net, (1, 8, 8), row["q"]), rel=1e-12)
        assert row["log"] == pytest.approx(math.log(row["value"]), rel=1e-12)


def test_old_top_level_alias_still_works_with_a_note():
    new = runner.invoke(app, ["sparsity", "pathnorm", *DIGITS, "--json"])
    old = runner.invoke(app, ["pathnorm", *DIGITS, "--json"])
    assert old.exit_code == 0, old.output
    assert "`theorylab pathnorm` is deprecated; use `theorylab sparsity pathnorm`" in old.stderr
    values = [[row["value"] for row in json.loads(r.stdout)["path_norms"]] for r in (new, old)]
    assert values[0] == values[1]


def test_pathnorm_file_factory_and_log(tmp_path):
    f = tmp_path / "net.py"
    f.write_text(
        "from torch import nn\n"
        "def build():\n"
        "    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\n"
    )
    result = runner.invoke(
        app, ["sparsity", "pathnorm", f"{f}:build", "--input-shape", "3", "--log"]
    )
    assert result.exit_code == 0, result.output
    assert "log path-norm" in result.output


def _error(args: list[str]) -> str:
    result = runner.invoke(app, ["sparsity", "pathnorm", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_pathnorm_errors():
    bad = _error(["torch.nn:GELU", "--input-shape", "3"])
    assert bad.startswith("error: unsupported layer(s) for GELU:") and len(bad.splitlines()) == 1
    assert "'gelu' (gelu) is not supported" in bad and "Supported: Linear" in bad
    shape = _error(["theorylab.sparsity.zoo:digits_cnn", "--input-shape", "3", "8", "8"])
    assert "input_shape" in shape
    assert "input_shape[1] must be >= 1" in _error([*DIGITS[:3], "-8", "8"])
    assert "q must be >= 0" in _error([*DIGITS, "--q", "-1"])
    assert "--input-shape" in _error(["theorylab.sparsity.zoo:digits_cnn"])
    assert "MODULE_PATH:FACTORY" in _error(["nocolon", "--input-shape", "3"])
    assert "did not give a torch.nn.Module" in _error(["math:pi", "--input-shape", "3"])
    help_ = runner.invoke(app, ["sparsity", "pathnorm", "--help"])
    assert help_.exit_code == 0 and "--input-shape" in help_.output and "--json" in help_.output
