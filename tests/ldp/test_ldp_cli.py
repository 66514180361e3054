"""``theorylab ldp simulate``, through the top-level command (its shared error handler)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from theorylab.cli import app

SMALL = ["--oracle", "pgr", "--k", "500", "--n", "30000", "--epsilon", "2", "--chunk", "7000"]


def test_simulate_small_run() -> None:
    res = CliRunner().invoke(app, ["ldp", "simulate", *SMALL, "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "bits per report" in res.output and "5 chunks" in res.output
    ratio = float(re.search(r"MSE / analytic\s*│?\s*([0-9.]+)", res.output).group(1))
    assert 0.8 < ratio < 1.25  # empirical MSE matches the analytic variance


def test_simulate_json() -> None:
    res = CliRunner().invoke(app, ["ldp", "simulate", *SMALL, "--seed", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n"] == 30000 and out["bits"] > 0
    assert 0.8 < out["mse"] / out["analytic_variance"] < 1.25


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "1", "--n", "10"], "error: k must be >= 2; got 1"),
        (["--oracle", "nope", "--k", "10"], "error: name must be one of"),
        (["--n", "0"], "error: n must be >= 1; got 0"),
        (["--chunk", "0"], "error: chunk must be >= 1; got 0"),
        (["--q", "foo"], "error: q must be 'auto' or a prime power; got 'foo'"),
        (["--q", "6"], "error: q must be a prime or a prime power; got 6"),
    ],
)
def test_simulate_bad_input_is_one_line(args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["ldp", "simulate", *args])
    assert res.exit_code == 2, res.output
    assert res.output.strip().startswith(message) and "\n" not in res.output.strip()
    assert "Traceback" not in res.output
