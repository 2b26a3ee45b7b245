"""The teaching diagnostics on the command line: compare-init, compare-activations, gradcheck."""

from __future__ import annotations

import json

import pytest

from dnn_cli import activations
from dnn_cli.activations import Activation

from .conftest import CONFIGS, assert_input_error, write

SMALL = """\
seed: 1
data: {source: moons, n_samples: 80, noise: 0.2, dev_fraction: 0.25}
model: {layers: [2, 4, 3, 1], activations: {hidden: tanh, output: sigmoid}}
train: {learning_rate: 1.0, epochs: 60, log_every: 20}
"""


@pytest.mark.slow
def test_compare_init_demo_makes_the_symmetry_point_in_numbers(cli):
    result = cli("compare-init")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for fragment in ("compare-init: moons", "units l=1", "units l=2", "1/10", "1/5", "10/10",
                     "symmetric: layer 1 acts as 1 unit of 10", "saturated: initial cost", "learns",
                     "as that one unit", "sigmoid hidden"):
        assert fragment in out, fragment
    assert result.stderr == ""


def test_compare_init_with_config_writes_every_run(cli, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    metrics = tmp_path / "runs.json"
    result = cli("compare-init", config, "--schemes", "zeros,he,random:0.5", "--repeats", "2", "--epochs", "30",
                 "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert "random:0.5" in result.stdout and "mean ± sd over 2 seeds" in result.stdout
    document = json.loads(metrics.read_text())
    (comparison,) = document["comparisons"]
    assert [s["scheme"] for s in comparison["schemes"]] == ["zeros", "he", "random:0.5"]
    zeros = comparison["schemes"][0]["runs"]
    assert [r["seed"] for r in zeros] == [1, 2]
    assert zeros[0]["distinct_units"] == [1, 1] and zeros[0]["max_distinct_units"] == [1, 1]
    assert [h["epoch"] for h in zeros[0]["history"]] == [0, 20, 29]
    assert comparison["config"]["train"]["epochs"] == 30


@pytest.mark.parametrize(("args", "fragments"), [
    (["--schemes", "zeros,hee"], ["unknown init scheme 'hee'", "did you mean 'he'", "zeros, random, he, xavier"]),
    (["--schemes", "he:2"], ["only random takes a scale"]),
    (["--repeats", "0"], ["--repeats"]),
    (["--metrics-out", "runs.csv"], ["expected a .json file"]),
    (["--set", "model.inti=he"], ["unknown key 'model.inti'", "did you mean 'init'"]),
], ids=["unknown-scheme", "scale-on-he", "repeats", "csv-metrics", "bad-set"])
def test_compare_init_bad_input(cli, args, fragments):
    assert_input_error(cli("compare-init", *args), *fragments)


def test_compare_init_missing_config(cli, tmp_path):
    assert_input_error(cli("compare-init", tmp_path / "nope.yaml"), "no such config file")


@pytest.mark.slow
def test_compare_activations_demo_shows_the_collapse(cli):
    result = cli("compare-activations")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for fragment in ("compare-activations: flower", "linear", "leaky_relu", "none (no hidden layer)",
                     "W_eff = W^[3] W^[2] W^[1]", "(1, 2)", "max |Z^[L] - (W_eff X + b_eff)|", "rounding level"):
        assert fragment in out, fragment


def test_compare_activations_with_config(cli, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    metrics = tmp_path / "runs.json"
    result = cli("compare-activations", config, "--activations", "linear,relu", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert "dev acc" in result.stdout and "W_eff" in result.stdout
    document = json.loads(metrics.read_text())
    assert [r["label"] for r in document["runs"]] == ["linear", "relu"]
    assert document["no_hidden_layer"]["final"]["train_m"] == 60
    assert document["collapse"]["max_abs_difference"] <= 1e-12


def test_compare_activations_without_linear_has_no_collapse_table(cli, tmp_path):
    result = cli("compare-activations", write(tmp_path / "small.yaml", SMALL), "--activations", "tanh")
    assert result.exit_code == 0, result.output
    assert "W_eff" not in result.stdout


@pytest.mark.parametrize(("args", "fragments"), [
    (["--activations", "tanhh"], ["unknown activation 'tanhh'", "did you mean 'tanh'", "linear"]),
    (["--activations", "softmax"], ["may only be the output activation"]),
    (["--metrics-out", "x.txt"], ["expected a .json file"]),
], ids=["unknown", "softmax", "metrics-suffix"])
def test_compare_activations_bad_input(cli, args, fragments):
    assert_input_error(cli("compare-activations", *args), *fragments)


def test_gradcheck_flower(cli):
    result = cli("gradcheck", CONFIGS / "flower.yaml")
    assert result.exit_code == 0, result.output
    for fragment in ("float64 backprop vs centred differences", "W^[1]", "(4, 2)", "b^[2]", "gradcheck passed"):
        assert fragment in result.stdout, fragment


def test_gradcheck_relu_config_reports_kinks(cli):
    result = cli("gradcheck", CONFIGS / "deep.yaml", "--epsilon", "1e-6")
    assert result.exit_code == 0, result.output
    assert "of a kink" in result.stdout and "(relu)" in result.stdout and "FAIL" not in result.stdout


def test_gradcheck_exits_1_on_a_wrong_derivative(cli, monkeypatch):
    good = activations.ACTIVATIONS["tanh"]
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", Activation("tanh", good.g, lambda Z, A: 1.0 - A))
    result = cli("gradcheck", CONFIGS / "flower.yaml")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout
    assert result.stderr.startswith("dnn: error: gradcheck failed: W^[1]")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "fragments"), [
    (["nope.yaml"], ["no such config file"]),
    ([str(CONFIGS / "flower.yaml"), "--m", "0"], ["--m: expected a positive integer"]),
    ([str(CONFIGS / "flower.yaml"), "--epsilon", "-1"], ["--epsilon: expected a positive number"]),
], ids=["missing", "m", "epsilon"])
def test_gradcheck_bad_input(cli, args, fragments):
    assert_input_error(cli("gradcheck", *args), *fragments)
