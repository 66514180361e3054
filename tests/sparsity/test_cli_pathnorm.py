"""``theorylab pathnorm``: values against the library, file factories, clear errors."""

import math

import torch
from typer.testing import CliRunner

from theorylab.cli import app
from theorylab.sparsity import digits_cnn, path_norm

runner = CliRunner()


def test_pathnorm_matches_library():
    result = runner.invoke(
        app,
        [
            "pathnorm",
            "theorylab.sparsity.zoo:digits_cnn",
            "--input-shape",
            "1",
            "8",
            "8",
            "--q",
            "1",
            "2",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    torch.manual_seed(3)
    net = digits_cnn().eval()
    for q in (1, 2):
        assert f"{math.log(path_norm(net, (1, 8, 8), q)):.6f}" in result.output
    assert "rescalable neurons" in result.output


def test_pathnorm_file_factory_and_log(tmp_path):
    f = tmp_path / "net.py"
    f.write_text(
        "from torch import nn\n"
        "def build():\n"
        "    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\n"
    )
    result = runner.invoke(app, ["pathnorm", f"{f}:build", "--input-shape", "3", "--log"])
    assert result.exit_code == 0, result.output
    assert "log path-norm" in result.output


def test_pathnorm_errors():
    bad = runner.invoke(app, ["pathnorm", "torch.nn:GELU", "--input-shape", "3"])
    assert bad.exit_code == 2 and "not supported" in bad.output
    shape = runner.invoke(
        app, ["pathnorm", "theorylab.sparsity.zoo:digits_cnn", "--input-shape", "3", "8", "8"]
    )
    assert shape.exit_code == 2 and "input_shape" in shape.output
    missing = runner.invoke(app, ["pathnorm", "theorylab.sparsity.zoo:digits_cnn"])
    assert missing.exit_code == 2 and "--input-shape" in missing.output
    target = runner.invoke(app, ["pathnorm", "nocolon", "--input-shape", "3"])
    assert target.exit_code == 2 and "MODULE_PATH:FACTORY" in target.output
    help_ = runner.invoke(app, ["pathnorm", "--help"])
    assert help_.exit_code == 0 and "--input-shape" in help_.output
