"""``theorylab ldp simulate`` (the sub-app, invoked directly)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from theorylab.cli.ldp import app


def test_simulate_small_run() -> None:
    res = CliRunner().invoke(
        app,
        [
            "--oracle",
            "pgr",
            "--k",
            "500",
            "--n",
            "30000",
            "--epsilon",
            "2",
            "--chunk",
            "7000",
            "--seed",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "bits per report" in res.output and "5 chunks" in res.output
    ratio = float(re.search(r"MSE / analytic\s*│?\s*([0-9.]+)", res.output).group(1))
    assert 0.8 < ratio < 1.25  # empirical MSE matches the analytic variance


def test_simulate_bad_input() -> None:
    res = CliRunner().invoke(app, ["--oracle", "pgr", "--k", "1", "--n", "10"])
    assert res.exit_code == 2 and "k must be" in res.output
    res = CliRunner().invoke(app, ["--oracle", "nope", "--k", "10", "--n", "10"])
    assert res.exit_code == 2
