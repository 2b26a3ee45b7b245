"""The depth experiment (`dnn compare-init CONFIG --depth D --width N`): mean-field predictions against closed
forms and independent integrals, against measurements over several seeds, verdicts, the command, and the
shipped deep ReLU config where the initialisation decides training."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dnn_cli.config import config_from_dict, load_config
from dnn_cli.depth_experiment import (
    DepthResult,
    depth_experiment,
    depth_verdict,
    growth,
    predicted_std_Z,
    second_moment,
)
from dnn_cli.experiments import run_measured, with_model
from dnn_cli.init_comparison import Scheme
from tests.conftest import CONFIGS, assert_input_error, needs_matplotlib

HE, XAVIER, RANDOM = Scheme("he", "he", 0.01), Scheme("xavier", "xavier", 0.01), Scheme("random", "random", 0.01)


def _integral(g, q):
    """E[g(z)^2], z ~ N(0, q), by the trapezoid rule on a fine grid: an oracle independent of Gauss-Hermite."""
    z = np.linspace(-12 * math.sqrt(q), 12 * math.sqrt(q), 2_000_001)
    density = np.exp(-z ** 2 / (2 * q)) / math.sqrt(2 * math.pi * q)
    return float(np.trapezoid(g(z) ** 2 * density, z))


@pytest.mark.parametrize("q", [1e-4, 0.3, 1.0, 4.0, 50.0, 1e4])
def test_second_moments_match_closed_forms_and_integrals(q):
    assert second_moment("relu", q) == q / 2
    assert second_moment("linear", q) == q
    assert second_moment("leaky_relu", q) == pytest.approx(q * (1 + 1e-4) / 2, rel=1e-12)
    np.testing.assert_allclose(second_moment("tanh", q), _integral(np.tanh, q), rtol=2e-4)
    np.testing.assert_allclose(second_moment("sigmoid", q), _integral(lambda z: 0.5 * (1 + np.tanh(z / 2)), q),
                               rtol=2e-4)


def test_second_moments_at_the_limits():
    assert second_moment("sigmoid", 0.0) == pytest.approx(0.25, rel=1e-12)   # g(0)^2
    assert second_moment("tanh", 1e-8) == pytest.approx(1e-8, rel=1e-6)      # tanh z ~ z near 0


def test_relu_predictions_follow_the_closed_forms():
    layers = [2] + [256] * 10 + [1]
    he = predicted_std_Z("relu", HE, layers, 4.0)
    np.testing.assert_allclose(he, [2.0] * 10, rtol=1e-12)                    # He keeps Var(Z) constant
    xavier = predicted_std_Z("relu", XAVIER, layers, 4.0)
    np.testing.assert_allclose(xavier, [2.0 * 0.5 ** (k / 2) for k in range(10)], rtol=1e-12)   # halves Var
    random = predicted_std_Z("relu", RANDOM, layers, 4.0)
    factor = 0.01 ** 2 * 256 / 2                                              # Var x 0.01^2 n / 2
    np.testing.assert_allclose(random, [2.0 * factor ** (k / 2) for k in range(10)], rtol=1e-12)
    linear = predicted_std_Z("linear", XAVIER, layers, 4.0)
    np.testing.assert_allclose(linear, [2.0] * 10, rtol=1e-12)
    assert growth(xavier) == pytest.approx(0.5 ** 0.5, rel=1e-12)
    assert growth([1.0]) is None and growth([0.0, 0.0]) is None


def _moons(act, seed, m=1000):
    return config_from_dict({
        "seed": seed, "data": {"source": "moons", "n_samples": m, "noise": 0.2, "standardize": True},
        "model": {"layers": [2, 4, 1], "activations": {"hidden": act, "output": "sigmoid"}},
        "train": {"learning_rate": 0.1, "epochs": 1}})


@pytest.mark.slow
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "linear"])
def test_measured_growth_matches_the_theory_over_seeds(act):
    # D = 10, N = 256, 1,000 samples: per-layer growth within 5 %, every layer's std within 30 %.
    for seed in (1, 2, 3):
        experiment = depth_experiment(_moons(act, seed), 10, 256, schemes="random,xavier,he", train=False)
        for result in experiment.schemes:
            g = result.growth
            assert g["measured"] == pytest.approx(g["predicted"], rel=0.05), (act, seed, result.scheme.label)
            for layer in result.layers:
                assert layer["std_Z"] == pytest.approx(layer["predicted_std_Z"], rel=0.30), (act, seed, layer)


def test_zeros_has_no_signal_and_no_growth():
    experiment = depth_experiment(_moons("relu", 1, m=100), 3, 8, schemes="zeros", train=False)
    result = experiment.schemes[0]
    assert [r["std_Z"] for r in result.layers] == [0.0, 0.0, 0.0]
    assert [r["predicted_std_Z"] for r in result.layers] == [0.0, 0.0, 0.0]
    assert result.growth == {"measured": None, "predicted": None}
    assert result.verdict == "Z^[1] is 0 for every sample: no signal from layer 1 on"


def _result(stds, run=None):
    layers = [{"l": l, "std_Z": s, "std_A": s, "predicted_std_Z": s, "dW_norm": 1.0} for l, s in enumerate(stds, 1)]
    return DepthResult(HE, layers, run)


class _Run:
    def __init__(self, start, end, chance=0.693):
        self.cost_start, self.cost_end, self.chance_cost, self.diverged = start, end, chance, None


def test_depth_verdicts_on_constructed_signals():
    assert depth_verdict(_result([1.0, 1e-3, 3e-13])) == "std of Z^[3] is 3e-13 of Z^[1]: the signal vanishes"
    assert depth_verdict(_result([1.0, 30.0, 900.0])) == "std of Z^[3] is 9e+02 of Z^[1]: the signal explodes"
    assert depth_verdict(_result([1.0, 0.8, 1.2])) == "std of Z^[l] stays within 0.80-1.20x of Z^[1]"
    assert depth_verdict(_result([1.0, 0.0])) == "Z^[2] is 0 for every sample: no signal from layer 2 on"
    assert depth_verdict(_result([1.0, 1.0], _Run(0.693, 0.05))).endswith("; learned: cost 0.693 -> 0.05")
    assert depth_verdict(_result([1.0, 1.0], _Run(0.693, 0.6929))).endswith("; did not learn: cost 0.693 -> 0.693")


def test_compare_init_depth_writes_the_documented_metrics(cli, tmp_path):
    metrics = tmp_path / "d.json"
    result = cli("compare-init", CONFIGS / "flower.yaml", "--depth", "3", "--width", "16", "--epochs", "5",
                 "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert "growth" in result.stdout and "verdicts" in result.stdout and "after 5 epochs" in result.stdout
    doc = json.loads(metrics.read_text())
    assert (doc["depth"], doc["width"], doc["activation"]) == (3, 16, "tanh")
    assert list(doc["schemes"]) == ["zeros", "random", "xavier", "he"]
    he = doc["schemes"]["he"]
    assert [list(r) for r in he["layers"]] == [["l", "std_Z", "std_A", "predicted_std_Z", "dW_norm"]] * 3
    assert set(he["growth"]) == {"measured", "predicted"}
    assert {"cost", "cost_start", "train_accuracy"} <= set(he["final"])
    assert len(doc["verdicts"]) == 4 and doc["verdicts"][3].startswith("he: ")
    assert doc["config"]["model"]["layers"] == [2, 16, 16, 16, 1]


@pytest.mark.parametrize("args, message", [
    (["--width", "8"], "--width and --activation belong to the depth experiment: add --depth D"),
    (["--depth", "0"], "--depth: expected a positive number of hidden layers, got 0"),
    (["--depth", "2", "--width", "0"], "--width: expected a positive number of units per hidden layer, got 0"),
    (["--depth", "2", "--activation", "softmax"], "--activation: 'softmax' may only be an output activation"),
    (["--depth", "2", "--activation", "rleu"], "--activation: unknown activation 'rleu'"),
    (["--depth", "2", "--repeats", "3"], "--repeats: the depth experiment runs one seed per scheme"),
    (["--depth", "2", "--schemes", "he,hee"], "--schemes: unknown init scheme 'hee'"),
], ids=["width-alone", "depth-0", "width-0", "softmax", "unknown", "repeats", "schemes"])
def test_compare_init_depth_refuses_bad_options(cli, args, message):
    assert_input_error(cli("compare-init", CONFIGS / "flower.yaml", *args), message)


def test_the_command_line_names_the_depth_schemes_of_the_library():
    from dnn_cli.cli import compare_init
    from dnn_cli.depth_experiment import DEPTH_SCHEMES

    assert compare_init.DEPTH_SCHEMES == ",".join(DEPTH_SCHEMES)


def test_compare_init_depth_needs_a_config(cli):
    assert_input_error(cli("compare-init", "--depth", "3"), "--depth needs a CONFIG")


@pytest.mark.slow
def test_deep_relu_config_learns_with_he_and_not_with_small_random_weights():
    config = load_config(CONFIGS / "deep_relu.yaml")
    assert len(config.model.layers) - 2 >= 10
    he = run_measured(with_model(config, init="he"), label="he", track_units=False)
    random = run_measured(with_model(config, init="random", init_scale=0.01), label="random", track_units=False)
    assert he.cost_end < 0.2 * he.cost_start and he.final["dev_accuracy"] > 0.9
    assert random.cost_end == pytest.approx(random.cost_start, abs=1e-4)     # stays at the initial cost
    assert random.final["train_accuracy"] < 0.6


@pytest.mark.slow
@needs_matplotlib
def test_compare_init_depth_draws_the_picture(cli, tmp_path):
    plot = tmp_path / "depth.png"
    result = cli("compare-init", CONFIGS / "flower.yaml", "--depth", "4", "--width", "32", "--epochs", "2",
                 "--quiet", "--plot", plot)
    assert result.exit_code == 0, result.output
    assert plot.stat().st_size > 10_000
