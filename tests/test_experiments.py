"""compare-init and compare-activations as data: distinct units, the linear collapse, verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnn_cli.activation_comparison import ACTIVATIONS_DEMO, collapse_linear, compare_activations, parse_activations
from dnn_cli.config import config_from_dict
from dnn_cli.errors import UsageError
from dnn_cli.experiments import MeasuredRun, distinct_units, row_spread, run_measured
from dnn_cli.init_comparison import (
    INIT_DEMO,
    Scheme,
    SchemeResult,
    compare_init,
    init_demo,
    init_verdict,
    parse_schemes,
)
from dnn_cli.network import Network


def small_config(hidden="tanh", layers=(2, 6, 4, 1), init="zeros", epochs=150, **train):
    """Moons with a dev split whose train part is not exactly balanced (so zeros + sigmoid can move)."""
    return config_from_dict({
        "seed": 1,
        "data": {"source": "moons", "n_samples": 120, "noise": 0.2, "dev_fraction": 0.25},
        "model": {"layers": list(layers), "activations": {"hidden": hidden, "output": "sigmoid"}, "init": init},
        "train": {"learning_rate": 2.0, "epochs": epochs, "log_every": 50, **train},
    })


# ---------------------------------------------------------------------------------------------
# Distinct units


@pytest.mark.parametrize(("W", "b", "expected"), [
    (np.zeros((5, 3)), np.zeros((5, 1)), 1),
    (np.tile([[0.3, -1.2]], (4, 1)), np.full((4, 1), 0.5), 1),
    (np.arange(12.0).reshape(4, 3), np.zeros((4, 1)), 4),
    (np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [3.0, 4.0]]), np.zeros((4, 1)), 2),
    (np.ones((3, 2)), np.array([[0.0], [1.0], [0.0]]), 2),
    (np.array([[1.0, 1.0], [1.0, 1.0 + 1e-14]]), np.zeros((2, 1)), 1),
    (np.array([[1.0, 1.0], [1.0, 1.0 + 1e-9]]), np.zeros((2, 1)), 2),
], ids=["zeros", "equal-rows-and-bias", "all-different", "two-pairs", "bias-differs", "within-1e-12",
        "1e-9-apart"])
def test_distinct_units_counts_rows_of_W_and_b(W, b, expected):
    assert distinct_units(W, b) == expected


def test_row_spread_is_zero_only_for_equal_rows():
    assert row_spread(np.ones((3, 2)), np.zeros((3, 1))) == 0.0
    np.testing.assert_allclose(row_spread(np.array([[1.0, 2.0], [1.5, 2.0]]), np.zeros((2, 1))), 0.5, rtol=0)


@pytest.mark.parametrize(("hidden", "layers"), [
    ("tanh", (2, 6, 4, 1)), ("sigmoid", (2, 6, 4, 1)), ("relu", (2, 6, 4, 1)), ("sigmoid", (2, 6, 1)),
], ids=["tanh-2-hidden", "sigmoid-2-hidden", "relu-2-hidden", "sigmoid-1-hidden"])
def test_zeros_init_keeps_one_distinct_unit_per_hidden_layer_at_every_epoch(hidden, layers):
    epochs = 150
    run = run_measured(small_config(hidden, layers, epochs=epochs), label="zeros")
    for k, per_epoch in enumerate(run.distinct):
        assert len(per_epoch) == epochs + 1  # the initial parameters, then after every epoch
        assert set(per_epoch) == {1}, f"layer {k + 1}: {per_epoch}"
        assert run.max_row_spread[k] <= 1e-12
    if hidden == "sigmoid" and len(layers) == 3:
        # The copies are not frozen: sigmoid(0) = 0.5 passes a signal, so they learn, together.
        assert np.max(np.abs(run.network.W[0])) > 0.1
        assert run.cost_end < run.cost_start - 0.1


@pytest.mark.parametrize("init", ["random", "he", "xavier"])
def test_random_inits_keep_every_unit_distinct_at_every_epoch(init):
    run = run_measured(small_config("tanh", init=init, epochs=100), label=init)
    assert run.hidden_sizes == [6, 4]
    for per_epoch, n in zip(run.distinct, run.hidden_sizes):
        assert set(per_epoch) == {n}


@pytest.mark.slow
def test_compare_init_demo_shows_symmetry_saturation_and_learning():
    comparison = compare_init(config_from_dict(INIT_DEMO))
    by = {s.scheme.label: s for s in comparison.schemes}
    assert list(by) == ["zeros", "random", "random:10", "he", "xavier"]
    zeros, big, he = by["zeros"], by["random:10"], by["he"]
    assert zeros.distinct_range == [(1, 1), (1, 1)]
    assert zeros.verdict.startswith("symmetric: layer 1 acts as 1 unit of 10, layer 2 as 1 of 5; stuck")
    assert zeros.mean("train_accuracy") < 0.6
    assert big.verdict.startswith("saturated: initial cost")
    assert big.mean("cost_start") > 2 * math.log(2)
    assert he.verdict.startswith("learns")
    assert he.mean("train_accuracy") > 0.9 and he.mean("dev_accuracy") > 0.9
    for label in ("random", "random:10", "he", "xavier"):
        assert by[label].distinct_range == [(10, 10), (5, 5)]


def test_compare_init_demo_sigmoid_part_learns_as_one_unit():
    (_, _, _, _), (sigmoid, _, note, only) = init_demo()
    assert only == ("zeros",) and "sigmoid" in note
    result = compare_init(sigmoid, ["zeros"]).schemes[0]
    assert result.distinct_range == [(1, 1)]
    assert result.verdict.startswith("symmetric: layer 1 acts as 1 unit of 10; learns as that one unit")
    assert result.mean("train_accuracy") > 0.8


def test_compare_init_keeps_the_data_and_changes_only_the_init():
    comparison = compare_init(small_config(epochs=5), ["zeros", "he"])
    zeros, he = (s.runs[0] for s in comparison.schemes)
    np.testing.assert_array_equal(zeros.X, he.X)
    assert np.all(zeros.network.W[0] == zeros.network.W[0][0])  # rows equal
    assert not np.all(he.network.W[0] == he.network.W[0][0])


def test_repeats_use_consecutive_seeds_and_report_a_spread():
    result = compare_init(small_config(init="he", epochs=30), ["he"], repeats=3).schemes[0]
    assert [r.seed for r in result.runs] == [1, 2, 3]
    costs = [r.cost_end for r in result.runs]
    np.testing.assert_allclose(result.mean("cost_end"), np.mean(costs), rtol=1e-15)
    np.testing.assert_allclose(result.spread("cost_end"), np.std(costs), rtol=1e-15)
    assert result.spread("cost_end") > 0


def fake_run(costs, final_cost, distinct, chance=math.log(2)):
    return MeasuredRun("x", 0, [len(d) and 10 for d in distinct], list(costs), [], {"cost": final_cost}, chance,
                       [list(d) for d in distinct], [0.0] * len(distinct))


@pytest.mark.parametrize(("cost_start", "cost_end", "distinct", "best", "expected"), [
    (0.693, 0.692, [[1, 1, 1]], 0.05, "symmetric: layer 1 acts as 1 unit of 10; stuck at cost 0.692"),
    (0.693, 0.30, [[1, 1, 1]], 0.25,
     "symmetric: layer 1 acts as 1 unit of 10; learns as that one unit: cost 0.693 -> 0.3"),
    (0.693, 0.30, [[1, 1, 1]], 0.05,
     "symmetric: layer 1 acts as 1 unit of 10; slow: cost 0.3 at the end, best scheme 0.05"),
    (9.2, 0.4, [[10, 10]], 0.05, "saturated: initial cost 9.2; slow: cost 0.4 at the end, best scheme 0.05"),
    (9.2, 0.9, [[10, 10]], 0.05, "saturated: initial cost 9.2; stuck at cost 0.9"),
    (0.75, 0.05, [[10, 10]], 0.05, "learns: cost 0.75 -> 0.05"),
    (0.693, 0.2, [[1, 1, 2]], 0.2, "symmetric at the start, then rounding broke it: layer 1 has 2 distinct units "
                                   "after epoch 2, 2 of 10 at the end; learns: cost 0.693 -> 0.2"),
], ids=["symmetric-stuck", "symmetric-learns", "symmetric-slow", "saturated-slow", "saturated-stuck", "learns",
        "symmetry-broken"])
def test_init_verdict_is_derived_from_the_numbers(cost_start, cost_end, distinct, best, expected):
    other = SchemeResult(Scheme("he", "he", 0.01), [fake_run([0.75], best, [[10]])])
    result = SchemeResult(Scheme("s", "zeros", 0.01), [fake_run([cost_start], cost_end, distinct)])
    assert init_verdict(result, [result, other]) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("zeros,he,random:0.5", [("zeros", "zeros", 0.01), ("he", "he", 0.01), ("random:0.5", "random", 0.5)]),
    ("random, random:10", [("random", "random", 0.01), ("random:10", "random", 10.0)]),
], ids=["mixed", "spaces"])
def test_parse_schemes(text, expected):
    assert [(s.label, s.init, s.init_scale) for s in parse_schemes(text)] == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("zeros,hee", "did you mean 'he'"),
    ("xavir", "expected one of zeros, random, he, xavier, random:SCALE"),
    ("he:2", "only random takes a scale"),
    ("random:-1", "positive number"),
    ("random:abc", "positive number"),
    ("", "unknown init scheme"),
], ids=["typo", "choices", "scale-on-he", "negative-scale", "not-a-number", "empty"])
def test_parse_schemes_rejects_bad_names(text, fragment):
    with pytest.raises(UsageError, match=None) as error:
        parse_schemes(text)
    assert fragment in str(error.value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("tanhh", "did you mean 'tanh'"), ("softmax", "may only be the output activation"), ("gelu", "expected one of"),
], ids=["typo", "softmax", "unknown"])
def test_parse_activations_rejects_bad_names(text, fragment):
    with pytest.raises(UsageError) as error:
        parse_activations(text)
    assert fragment in str(error.value)


# ---------------------------------------------------------------------------------------------
# The linear collapse


@pytest.mark.parametrize("layers", [[3, 5, 1], [3, 5, 4, 2], [3, 6, 5, 4, 3], [4, 4, 4, 4, 4, 4, 2]],
                         ids=["L2", "L3", "L4", "L6"])
def test_deep_linear_network_collapses_to_W_eff_X_plus_b_eff(layers):
    rng = np.random.default_rng(len(layers))
    L = len(layers) - 1
    W = [rng.standard_normal((n, n_prev)) / np.sqrt(n_prev) for n_prev, n in zip(layers[:-1], layers[1:])]
    b = [rng.standard_normal((n, 1)) for n in layers[1:]]
    network = Network(W, b, ["linear"] * (L - 1) + ["sigmoid"])
    X = rng.standard_normal((layers[0], 50))
    _, caches = network.forward(X)
    W_eff, b_eff = collapse_linear(network)
    assert W_eff.shape == (layers[-1], layers[0]) and b_eff.shape == (layers[-1], 1)
    np.testing.assert_allclose(W_eff @ X + b_eff, caches[-1].Z, rtol=0, atol=1e-12)


def test_collapse_refuses_a_nonlinear_hidden_layer():
    network = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], rng=np.random.default_rng(0))
    with pytest.raises(UsageError, match="must be linear"):
        collapse_linear(network)


@pytest.mark.slow
def test_activations_demo_linear_layers_buy_nothing_over_no_hidden_layer():
    comparison = compare_activations(config_from_dict(ACTIVATIONS_DEMO), ["linear", "tanh"])
    linear, tanh = comparison.runs
    assert abs(linear.final["train_accuracy"] - comparison.baseline.final["train_accuracy"]) <= 0.03
    assert linear.final["train_accuracy"] < 0.55
    assert tanh.final["train_accuracy"] > 0.85
    collapse = comparison.collapse
    assert collapse.W_eff.shape == (1, 2) and collapse.b_eff.shape == (1, 1) and collapse.L == 3
    assert collapse.max_difference <= 1e-12 * max(1.0, collapse.max_abs_Z)


def test_compare_activations_needs_a_hidden_layer():
    config = small_config(layers=(2, 1))
    with pytest.raises(UsageError, match="no hidden layer"):
        compare_activations(config, ["tanh"])


def test_a_regression_on_scaled_targets_reports_rmse_in_their_units(tmp_path):
    """compare-init / compare-activations train as dnn train does: the final RMSE is in the targets' own units
    (before, the history's was, and the final table's was in the standardised ones)."""
    from dnn_cli.config import load_config
    from dnn_cli.experiments import run_measured
    from dnn_cli.pipeline import fit, prepare

    x = np.linspace(-2, 2, 50)
    (tmp_path / "line.csv").write_text("x,price\n" + "".join(f"{v!r},{float(1000 + 300 * v + 40 * np.sin(5 * v))!r}\n"
                                                             for v in x.tolist()), encoding="utf-8")
    (tmp_path / "line.yaml").write_text("seed: 0\ndata:\n  source: line.csv\nmodel:\n  layers: [1, 4, 1]\n"
                                        "  activations: [tanh, linear]\ntrain:\n  learning_rate: 0.1\n  epochs: 50\n",
                                        encoding="utf-8")
    config = load_config(tmp_path / "line.yaml")
    measured = run_measured(config, label="he", source=str(tmp_path / "line.yaml"))
    trained = fit(prepare(config, source=str(tmp_path / "line.yaml")))
    assert measured.final["train_rmse"] == trained.final["train_rmse"] > 10
