"""`theorylab conservation laws`: the README commands, --json, and bad input (exit code 2,
one line, no traceback)."""

import json

import pytest
from typer.testing import CliRunner

from theorylab.cli import app

runner = CliRunner()


def _laws(*args):
    return runner.invoke(app, ["conservation", "laws", *args])


def test_relu_with_bias_as_in_the_readme():
    result = _laws("relu", "--dims", "3", "4", "2", "--bias")
    assert result.exit_code == 0, result.output
    assert "state dimension 24" in result.output  # 3·4 + 4 biases + 4·2
    assert "4 independent conservation law(s)" in result.output
    assert "certified: True" in result.output
    assert "W2_1_3**2" in result.output  # the closed form: outgoing weights of neuron 3
    assert "b1_3**2" in result.output  # with its bias


def test_repeated_option_spelling_gives_the_same_dims():
    result = _laws("relu", "--dims", "3", "--dims", "4", "--dims", "2", "--bias")
    assert result.exit_code == 0, result.output
    assert "relu([3, 4, 2], bias)" in result.output


def test_linear_momentum_as_in_the_readme():
    result = _laws(
        "linear2", "--n", "2", "--r", "2", "--m", "2", "--flow", "momentum", "--tau", "1"
    )
    assert result.exit_code == 0, result.output
    assert "state dimension 17" in result.output  # 2D + 1 with D = 8
    assert "1 independent conservation law(s)" in result.output
    assert "*s" in result.output  # the law carries s = exp(tau t)


def test_mirror_flow():
    result = _laws("linear2", "--flow", "mirror")
    assert result.exit_code == 0, result.output
    assert "2 independent conservation law(s)" in result.output  # NMF: one per inner index


def test_json_is_the_result_only():
    result = _laws("relu", "--dims", "3", "4", "2", "--bias", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"count", "degree", "polynomial_laws"}
    count = data["count"]
    assert count["number"] == 4 and count["certified"] is True
    assert count["state_dim"] == 24 and count["lie_dim"] == 20 and count["n_known"] == 4
    assert count["model"] == "relu([3, 4, 2], bias)" and count["flow"] == "gradient"
    assert data["degree"] == 2 and len(data["polynomial_laws"]) == 4


def test_json_momentum_uses_degree_three():
    result = _laws("linear2", "--flow", "momentum", "--tau", "1", "--json")
    data = json.loads(result.stdout)
    assert data["degree"] == 3 and data["count"]["number"] == 1
    assert data["count"]["flow"] == "momentum(tau=1)"


@pytest.mark.parametrize(
    "args,message",
    [
        (["relu", "--dims", "3", "-4", "2"], "error: dims[1] must be >= 1; got -4"),
        (["relu"], "error: --dims is required for relu, e.g. --dims 3 4 2"),
        (["deep_linear"], "error: --dims is required for deep_linear, e.g. --dims 3 4 2"),
        (["linear2", "--flow", "momentum", "--tau", "-1"], "error: tau must be >= 0.0; got -1.0"),
        (["linear2", "--n", "0"], "error: n must be >= 1; got 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message):
    result = _laws(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert result.stdout == "" and "Traceback" not in result.output


def test_unparsable_value_exits_2():
    result = _laws("relu", "--dims", "3", "x")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_old_top_level_verb_is_a_deprecated_alias():
    result = runner.invoke(app, ["laws", "relu", "--dims", "3", "4", "2", "--bias"])
    assert result.exit_code == 0
    assert "deprecated; use `theorylab conservation laws`" in result.stderr
    assert "4 independent conservation law(s)" in result.stdout
