"""``theorylab perturbed demo``: the JSON is demo_layer's result, the table prints the same
figures, the Gumbel-argmax check is right, bad input is one line with exit code 2."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from typer.testing import CliRunner

from theorylab.cli import app
from theorylab.perturbed import LayerDemo, demo_layer

runner = CliRunner()
SMALL = ["--batch", "8", "--d", "5", "--repeats", "2"]


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["perturbed", "demo", *SMALL, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_is_demo_layer_and_the_gumbel_argmax_matches_softmax():
    out = _json("--n-samples", "20000", "--seed", "3")
    assert set(out) == {f.name for f in dataclasses.fields(LayerDemo)}
    assert (out["solver"], out["noise"], out["n_samples"], out["batch"], out["d"]) == (
        "argmax",
        "gumbel",
        20000,
        8,
        5,
    )
    assert out["control_variate"] is None and out["repeats"] == 2
    assert 0 < out["seconds"] <= out["seconds_median"]
    # Gumbel-max: E[argmax(theta + Z)] = softmax(theta); MC standard error <= sqrt(0.25 / M)
    assert out["max_abs_gap_to_softmax"] < 4.5 * math.sqrt(0.25 / 20000)
    assert out["rel_error_gradient"] < 0.3
    lib = demo_layer(batch=8, d=5, n_samples=20000, repeats=2, seed=3)
    assert lib.max_abs_gap_to_softmax == out["max_abs_gap_to_softmax"]  # same seed, same draws
    assert lib.rel_error_gradient == out["rel_error_gradient"]


def test_gradient_error_falls_with_more_samples():
    few = _json("--n-samples", "100", "--seed", "1")["rel_error_gradient"]
    many = _json("--n-samples", "10000", "--seed", "1")["rel_error_gradient"]
    assert many < few / 4  # 1/sqrt(M): about 10x, with room for Monte-Carlo noise


def test_table_prints_the_figures_of_the_result():
    args = ["perturbed", "demo", *SMALL, "--samples", "500", "--control-variate", "loo"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    res = demo_layer(batch=8, d=5, n_samples=500, control_variate="loo", repeats=2, seed=0)
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.output.splitlines()]
    rows = dict(r for r in rows if len(r) == 2)
    assert rows["solver"] == "argmax" and rows["noise"] == "gumbel (loo)"
    assert rows["B, d, M, sigma"] == "8, 5, 500, 1"
    assert rows["max-abs gap to softmax(theta / sigma)"] == f"{res.max_abs_gap_to_softmax:.3g}"
    assert rows["gradient: relative L2 error vs exact"] == f"{res.rel_error_gradient:.3g}"
    assert rows["forward + backward, best of 2"].endswith(" ms")


@pytest.mark.parametrize(
    "args",
    [
        ["--solver", "ranks"],
        ["--solver", "sort"],
        ["--solver", "top_k", "--k", "2"],
        ["--noise", "normal"],
    ],
)
def test_other_solvers_and_noises_have_no_closed_form_check(args):
    out = _json(*args)
    assert out["max_abs_gap_to_softmax"] is None and out["rel_error_gradient"] is None
    assert out["solver"] == (args[1] if args[0] == "--solver" else "argmax")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--solver", "foo"], "solver must be one of ['argmax', 'ranks', 'sort', 'top_k']"),
        (["--samples", "0"], "n_samples must be >= 1; got 0"),
        (["--sigma", "-1"], "sigma must be > 0.0; got -1.0"),
        (["--noise", "cauchy"], "noise must be 'normal', 'gumbel'"),
        (["--solver", "top_k", "--k", "9"], "k must be <= 5; got 9"),
        (["--d", "0"], "d must be >= 1; got 0"),
        (["--repeats", "0"], "repeats must be >= 1; got 0"),
        (["--control-variate", "x"], "control_variate must be one of"),
        (["--seed", "-1"], "seed must be a non-negative int"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message):
    result = runner.invoke(app, ["perturbed", "demo", *SMALL, *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in result.output
