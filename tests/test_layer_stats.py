"""Per-layer signals (dnn_cli.layer_stats) and `dnn train --trace`: hand computations on tiny networks,
constructed dead / saturated / vanishing / exploding cases, and bit-identical training with tracing on."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dnn_cli import layer_stats as ls
from dnn_cli.config import load_config
from dnn_cli.network import Network
from dnn_cli.pipeline import fit, prepare
from tests.conftest import CONFIGS, needs_matplotlib


def _tiny():
    W = [np.array([[1.0, -1.0], [2.0, 0.0]]), np.array([[1.0, 1.0]])]
    b = [np.array([[0.0], [-10.0]]), np.array([[0.0]])]
    return Network(W, b, ["relu", "sigmoid"])


def test_layer_stats_match_a_hand_computation():
    X = np.array([[1.0, 2.0], [0.0, 1.0]])
    rows = ls.layer_stats(_tiny(), X)
    # Z^[1] = [[1, 1], [-8, -6]]: mean -3, deviations 4, 4, -5, -3 -> variance 66 / 4; A^[1] = [[1, 1], [0, 0]]
    first = rows[0]
    assert (first.l, first.g) == (1, "relu")
    assert first.mean_Z == pytest.approx(-3.0)
    assert first.std_Z == pytest.approx(math.sqrt(16.5))
    assert (first.mean_A, first.std_A) == (pytest.approx(0.5), pytest.approx(0.5))
    assert first.dead == 0.5             # unit 2 has Z <= 0 for both samples
    assert first.saturated is None       # ReLU has no saturation
    assert first.W_norm == pytest.approx(math.sqrt(6.0))
    assert first.dW_norm is None and first.update_ratio is None
    # Z^[2] = [1, 1]: sigmoid'(1) = 0.197, far above 1 % of 0.25
    second = rows[1]
    assert second.mean_Z == pytest.approx(1.0) and second.std_Z == pytest.approx(0.0)
    assert second.std_A == pytest.approx(0.0)
    assert second.mean_A == pytest.approx(1 / (1 + math.exp(-1)))
    assert second.saturated == 0.0 and second.dead is None
    assert second.W_norm == pytest.approx(math.sqrt(2.0))


@pytest.mark.parametrize("g, z, saturated", [
    ("tanh", [100.0, 0.1, -3.0, -2.0], 0.5),          # tanh'(-3) = 0.0099 < 0.01; tanh'(-2) = 0.071
    ("sigmoid", [6.0, -5.0, 0.0, 10.0], 0.5),          # sigmoid'(6) = 0.00247 < 0.0025; sigmoid'(-5) = 0.0066
    ("relu", [1.0, -1.0, 0.0, 2.0], None),
    ("linear", [1.0, -1.0, 0.0, 2.0], None),
], ids=["tanh", "sigmoid", "relu", "linear"])
def test_saturated_fraction_on_constructed_inputs(g, z, saturated):
    network = Network([np.array([[1.0]]), np.array([[1.0]])], [np.zeros((1, 1))] * 2, [g, "sigmoid"])
    rows = ls.layer_stats(network, np.array([z]))
    assert rows[0].saturated == saturated


@pytest.mark.parametrize("g", ["relu", "leaky_relu"])
def test_dead_units_are_those_with_no_positive_z_in_the_batch(g):
    # Units 1..4 of layer 1: always positive, positive once, zero everywhere, negative everywhere.
    W = [np.array([[1.0], [1.0], [0.0], [-1.0]]), np.ones((1, 4))]
    b = [np.array([[5.0], [0.0], [0.0], [-5.0]]), np.zeros((1, 1))]
    network = Network(W, b, [g, "sigmoid"])
    rows = ls.layer_stats(network, np.array([[-1.0, 0.0, 2.0]]))
    assert rows[0].dead == 0.5


@pytest.mark.parametrize("optimizer, factor", [("gd", 1.0), ("momentum", 0.1)], ids=["gd", "momentum"])
def test_traced_gradients_and_update_ratios_are_those_of_the_step_taken(optimizer, factor):
    # Gradient descent moves W by alpha dW; momentum's first step by alpha (1 - beta) dW.
    cfg = load_config(CONFIGS / "flower.yaml", [f"train.optimizer={optimizer}", "train.log_every=1"], epochs=1)
    prepared = prepare(cfg)
    network = prepared.network
    AL, caches = network.forward(prepared.train.X)
    dW = network.backward(network.targets(prepared.train.y), caches).dW
    W0 = [W.copy() for W in network.W]
    initial = ls.layer_stats(network, prepared.train.X)
    result = fit(prepared, trace=True)
    rows = result.history[0].layers
    alpha = cfg.train.learning_rate
    for l, row in enumerate(rows, start=1):
        # the signals of the parameters the step started from (W and b before the update)
        assert row[:9] == initial[l - 1][:9]
        np.testing.assert_allclose(row.dW_norm, np.linalg.norm(dW[l - 1]), rtol=1e-12)
        np.testing.assert_allclose(row.W_norm, np.linalg.norm(W0[l - 1]), rtol=1e-12)
        np.testing.assert_allclose(row.update_ratio, alpha * factor * row.dW_norm / row.W_norm, rtol=1e-9)
        np.testing.assert_allclose(row.dW_over_W, row.dW_norm / row.W_norm, rtol=1e-12)


@pytest.mark.parametrize("overrides", [
    [],
    ["train.optimizer=adam", "train.batch_size=64", "train.l2=0.1", "train.learning_rate=0.01",
     "model.keep_prob=0.8"],
], ids=["full-batch-gd", "adam-minibatch-dropout-l2"])
def test_a_traced_run_is_bit_identical_to_an_untraced_one(overrides):
    runs = []
    for trace in (False, True):
        cfg = load_config(CONFIGS / "flower.yaml", overrides + ["train.log_every=7"], epochs=40)
        prepared = prepare(cfg)
        result = fit(prepared, trace=trace)
        runs.append((prepared.network.theta.tobytes(), [float(c).hex() for c in result.costs],
                     [h.to_dict().get("train_accuracy") for h in result.history], result.history))
    assert runs[0][:3] == runs[1][:3]
    assert all(h.layers is None for h in runs[0][3])
    assert all(len(h.layers) == 2 for h in runs[1][3])


def _row(l, dW_norm, dead=None, saturated=None, update_ratio=1e-3, g="relu"):
    return {"l": l, "g": g, "std_Z": 1.0, "std_A": 1.0, "dead": dead, "saturated": saturated, "W_norm": 1.0,
            "dW_norm": dW_norm, "update_ratio": update_ratio}


def test_verdicts_name_vanishing_and_exploding_gradients():
    vanishing = ls.verdicts([(0, [_row(1, 1e-2), _row(2, 1.0), _row(3, 1.0)]),
                             (10, [_row(1, 1e-7), _row(2, 1e-2), _row(3, 1.0)])])
    assert vanishing == ["vanishing gradients: ||dW^[1]|| / ||dW^[3]|| = 1e-07 at epoch 10 (below 0.001): the "
                         "first layers barely learn; try He / Xavier init or ReLU"]
    exploding = ls.verdicts([(0, [_row(1, 5e3), _row(2, 1.0)])])
    assert exploding == ["exploding gradients: ||dW^[1]|| / ||dW^[2]|| = 5e+03 at epoch 0 (above 1000): try "
                         "He / Xavier init, a smaller learning rate or fewer layers"]


def test_verdicts_name_a_vanishing_or_exploding_signal():
    def rows(std_A):
        return [{**_row(l, 1.0), "std_A": s} for l, s in enumerate(std_A, start=1)]

    assert ls.verdicts([(0, rows([1.0, 1e-2, 1e-5, 0.5]))]) == [
        "vanishing signal: std A^[3] / std A^[1] = 1e-05 at epoch 0 (below 0.001): the hidden layers shrink the "
        "signal, and the gradients with it; try He / Xavier init"]
    assert ls.verdicts([(3, rows([1.0, 1e2, 1e4, 0.5]))]) == [
        "exploding signal: std A^[3] / std A^[1] = 1e+04 at epoch 3 (above 1000): the hidden layers amplify the "
        "signal; try He / Xavier init"]


def test_verdicts_name_dead_and_saturated_hidden_layers_only():
    found = ls.verdicts([(0, [_row(1, 1.0, dead=0.5), _row(2, 1.0, saturated=0.9, g="tanh"),
                              _row(3, 1.0, saturated=1.0, g="sigmoid")]),
                         (5, [_row(1, 1.0, dead=0.75), _row(2, 1.0, saturated=0.2, g="tanh"),
                              _row(3, 1.0, saturated=1.0, g="sigmoid")])])
    assert found == [
        "dead ReLU units: 75% of layer 1 at epoch 5 (more than 50%): lower the learning rate, use leaky_relu or "
        "He init",
        "saturated units: 90% of layer 2 at epoch 0 (more than 50%): use a smaller init (Xavier) and "
        "standardised inputs (data.standardize: true)",
    ]   # the output layer's saturation is the loss's business, not a verdict


def test_verdicts_judge_the_median_update_ratio():
    small = ls.verdicts([(e, [_row(1, 1.0, update_ratio=r), _row(2, 1.0)]) for e, r in
                         ((0, 1e-3), (1, 1e-6), (2, 1e-7))])
    assert small == ["small updates: the update ratio ||Delta W^[l]|| / ||W^[l]|| (median over the traced epochs) "
                     "is below 1e-05 in layer 1 (1e-06 in layer 1; the usual is ~1e-3): the learning rate is too "
                     "small, or the gradients vanish"]
    large = ls.verdicts([(0, [_row(1, 1.0, update_ratio=0.2), _row(2, 1.0, update_ratio=0.5), _row(3, 1.0),
                              _row(4, 1.0, update_ratio=0.3)])])
    assert large == ["large updates: the update ratio ||Delta W^[l]|| / ||W^[l]|| (median over the traced epochs) "
                     "is above 0.1 in layers 1-2, 4 (0.5 in layer 2; the usual is ~1e-3): the learning rate is "
                     "too large"]
    assert ls.verdicts([(0, [_row(1, 1.0), _row(2, 1.0)])])[0].startswith("healthy: ")
    assert ls.verdicts([]) == []


def test_train_trace_prints_layer_tables_and_verdicts(cli, tmp_path):
    metrics = tmp_path / "m.json"
    result = cli("train", CONFIGS / "flower.yaml", "--trace", "--epochs", "20", "--set", "train.log_every=10",
                 "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert "Layers at epoch 0" in result.stdout and "Layers at epoch 19" in result.stdout
    assert "update ratio" in result.stdout and "Verdicts" in result.stdout
    doc = json.loads(metrics.read_text())
    assert [list(row["layers"][0]) for row in doc["history"]][0] == [
        "l", "g", "mean_Z", "std_Z", "mean_A", "std_A", "dead", "saturated", "W_norm", "dW_norm", "dW_over_W",
        "update_ratio"]
    assert [len(row["layers"]) for row in doc["history"]] == [2, 2, 2]
    assert all(0.0 <= layer["saturated"] <= 1.0 for row in doc["history"] for layer in row["layers"])
    assert doc["verdicts"] and isinstance(doc["verdicts"][0], str)


def test_train_without_trace_writes_no_layers(cli, tmp_path):
    metrics = tmp_path / "m.json"
    result = cli("train", CONFIGS / "flower.yaml", "--epochs", "20", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    doc = json.loads(metrics.read_text())
    assert "verdicts" not in doc and all("layers" not in row for row in doc["history"])
    assert "Layers at epoch" not in result.stdout


def test_traced_csv_metrics_have_a_column_per_layer_signal(cli, tmp_path):
    metrics = tmp_path / "m.csv"
    result = cli("train", CONFIGS / "flower.yaml", "--trace", "--epochs", "5", "--quiet", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    header = metrics.read_text().splitlines()[0].split(",")
    assert {"std_Z_1", "dW_norm_2", "update_ratio_1", "saturated_2"} <= set(header)


@pytest.mark.slow
@needs_matplotlib
def test_train_trace_plot_adds_the_gradient_panel(cli, tmp_path):
    plot = tmp_path / "p.png"
    result = cli("train", CONFIGS / "flower.yaml", "--trace", "--epochs", "20", "--quiet", "--plot", plot)
    assert result.exit_code == 0, result.output
    from matplotlib.image import imread

    width = imread(plot).shape[1]
    plain = tmp_path / "q.png"
    assert cli("train", CONFIGS / "flower.yaml", "--epochs", "20", "--quiet", "--plot", plain).exit_code == 0
    assert width > imread(plain).shape[1]   # three panels instead of two


def test_a_traced_checkpoint_resumes_with_its_layers(cli, tmp_path):
    model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    flower = CONFIGS / "flower.yaml"
    first = cli("train", flower, "--trace", "--epochs", "20", "--set", "train.log_every=10", "--save", model, "-q")
    assert first.exit_code == 0, first.output
    resumed = cli("train", flower, "--trace", "--epochs", "30", "--set", "train.log_every=10", "--resume", model,
                  "--save", model, "--metrics-out", metrics, "-q")
    assert resumed.exit_code == 0, resumed.output
    doc = json.loads(metrics.read_text())
    assert [(row["epoch"], len(row["layers"])) for row in doc["history"]] == [(0, 2), (10, 2), (20, 2), (29, 2)]


def test_traced_layers_in_a_checkpoint_are_checked():
    from dnn_cli.io.statefile import _traced_layers

    good = [_row(1, 0.5, dead=0.25), _row(2, 0.1, g="sigmoid", saturated=0.0)]
    assert _traced_layers(good, 2)
    assert not _traced_layers(good, 3)
    assert not _traced_layers([good[0], {**good[1], "std_Z": "x" * 1000}], 2)
    assert not _traced_layers([good[1], good[0]], 2)
    assert not _traced_layers("layers", 2)
