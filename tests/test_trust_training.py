"""Training results a user can trust: warnings for suspicious runs, early stopping that scores the final
weights and keeps the whole curve, one L2 convention for every batch size, finite divergence caught,
a gradcheck whose cost is bounded, and no NumPy RuntimeWarning on stderr."""

from __future__ import annotations

import csv
import json
import math
import warnings

import numpy as np
import pytest

from dnn_cli import gradcheck as gradcheck_module
from dnn_cli.config import load_config
from dnn_cli.errors import TrainingError
from dnn_cli.fast_step import Workspace, train_step
from dnn_cli.gradcheck import gradcheck, gradcheck_config, numeric_gradients, sample_entries
from dnn_cli.io.modelfile import load_model
from dnn_cli.io.statefile import restore_state
from dnn_cli.network import Network
from dnn_cli.pipeline import fit, prepare
from dnn_cli.training import _check_parameters, cost_curve, parameter_limit

from .conftest import CONFIGS, assert_input_error, train_and_save, write

FLOWER = CONFIGS / "flower.yaml"
EARLY = ["data.dev_fraction=0.2", "train.early_stopping={patience: 1000}"]


def _fit(sets, **flags):
    return fit(prepare(load_config(FLOWER, sets, **flags)))


# ---------------------------------------------------------------------------------------------
# 1. A run that ends worse than it began, or early stopping that keeps the untrained weights


def test_a_run_that_ends_above_its_start_warns_on_stderr_and_in_the_metrics(cli, tmp_path):
    metrics = tmp_path / "m.json"
    result = cli("train", FLOWER, "--lr", "1000", "--epochs", "200", "--quiet", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dnn: warning: the cost ended above where it started (0.693")
    assert "the learning rate 1000 is probably too large; try 100" in lines[0]
    assert json.loads(metrics.read_text())["warnings"] == [lines[0].removeprefix("dnn: warning: ")]


def test_the_warning_compares_the_first_cost_with_the_final_one():
    result = _fit([], learning_rate=1000, epochs=200)
    start, end = result.costs[0], result.final["cost"]
    assert end > start
    assert result.warnings == [f"the cost ended above where it started ({start:.6g} -> {end:.6g}): the learning "
                               "rate 1000 is probably too large; try 100"]


def test_a_normal_run_has_no_warning(cli, tmp_path):
    metrics = tmp_path / "m.json"
    result = cli("train", FLOWER, "--epochs", "200", "--quiet", "--metrics-out", metrics)
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(metrics.read_text())["warnings"] == []


def test_early_stopping_that_restores_epoch_0_warns(cli, tmp_path):
    metrics = tmp_path / "m.json"
    result = cli("train", FLOWER, "--lr", "100", "--set", "data.dev_fraction=0.2", "--set",
                 "train.early_stopping={patience: 5}", "--quiet", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert "dnn: warning: early stopping restored epoch 0: the saved model is the untrained one" in result.stderr
    document = json.loads(metrics.read_text())
    assert document["final"]["best_epoch"] == 0
    assert any(w.startswith("early stopping restored epoch 0") for w in document["warnings"])


def test_a_csv_metrics_file_holds_the_table_only_and_the_warning_stays_on_stderr(cli, tmp_path):
    table = tmp_path / "m.csv"
    result = cli("train", FLOWER, "--lr", "1000", "--epochs", "20", "--quiet", "--metrics-out", table)
    assert result.exit_code == 0 and "dnn: warning: the cost ended above" in result.stderr
    assert "warning" not in table.read_text()


# ---------------------------------------------------------------------------------------------
# 2. Early stopping scores the weights after the final update


def test_early_stopping_scores_the_final_weights():
    # The repro: 50 epochs, patience 1000. The final weights have the lowest dev cost (0.56300);
    # before, the last one scored was epoch 49's (0.56565) and it replaced them.
    stopped = _fit(EARLY, epochs=50)
    plain = _fit(["data.dev_fraction=0.2"], epochs=50)
    assert stopped.final["best_epoch"] == 50
    assert stopped.final["dev_cost"] == plain.final["dev_cost"]
    assert round(stopped.final["dev_cost"], 5) == 0.563
    for P, Q in zip(stopped.network.W + stopped.network.b, plain.network.W + plain.network.b):
        np.testing.assert_array_equal(P, Q)


def test_the_cli_reports_the_final_weights_as_the_best(cli, tmp_path):
    metrics = tmp_path / "es.json"
    result = cli("train", FLOWER, "--set", "data.dev_fraction=0.2", "--epochs", "50", "--set",
                 "train.early_stopping={patience: 1000}", "--metrics-out", metrics, "--quiet")
    assert result.exit_code == 0, result.output
    final = json.loads(metrics.read_text())["final"]
    assert final["best_epoch"] == 50 and f"{final['dev_cost']:.5f}" == "0.56300"


def test_early_stopping_resumed_matches_an_uninterrupted_run_with_its_curve(tmp_path):
    sets = ["data.n_samples=200", "train.log_every=250", "data.dev_fraction=0.2",
            "train.early_stopping={patience: 10000}"]
    whole = _fit(sets, epochs=1000)
    model = load_model(_checkpoint(tmp_path, sets, 600))
    second = prepare(load_config(FLOWER, sets, epochs=1000), parameters=model.resume_parameters())
    restore_state(second.state, model)
    resumed = fit(second)
    assert cost_curve(resumed.state) == cost_curve(whole.state)
    assert resumed.final == whole.final
    assert [h.to_dict() for h in resumed.history] == [h.to_dict() for h in whole.history]


# ---------------------------------------------------------------------------------------------
# 3. The whole curve: train and dev cost of every epoch, the best and the last epoch kept


def test_the_curve_holds_the_dev_cost_of_every_epoch():
    sets = ["data.dev_fraction=0.2", "train.log_every=100"]
    result = _fit(sets, epochs=12)
    curve = cost_curve(result.state)
    assert [row["epoch"] for row in curve] == list(range(13))
    assert [row["cost"] for row in curve[:12]] == result.costs and "cost" not in curve[12]
    # Oracle: a run of e epochs is the first e epochs of this one; its dev cost after training is row e's.
    for e in (1, 5, 12):
        short = prepare(load_config(FLOWER, sets, epochs=e))
        fit(short)
        expected = short.network.cost(short.network.predict_proba(short.dev.X), short.dev.y)
        assert curve[e]["dev_cost"] == expected


def test_without_a_dev_set_there_is_no_curve():
    assert cost_curve(_fit([], epochs=5).state) == []


def test_the_history_keeps_the_best_and_the_last_epoch():
    result = _fit(["data.dev_fraction=0.2", "train.early_stopping={patience: 20}", "train.log_every=1000"],
                  learning_rate=5, epochs=3000)
    state = result.state
    assert state.stopped_early
    logged = [h.epoch for h in result.history]
    last = state.epoch - 1
    assert 0 < state.best_epoch < last
    assert logged == sorted({e for e in range(0, last + 1, 1000)} | {state.best_epoch, last})
    rows = {h.epoch: h for h in result.history}
    assert rows[state.best_epoch].dev_cost == state.best_cost == state.dev_costs[state.best_epoch]
    assert rows[last].train_accuracy is not None and rows[last].dev_cost == state.dev_costs[last]
    assert all(h.dev_accuracy is not None for h in result.history)


def test_metrics_files_hold_every_epoch_when_a_dev_set_exists(cli, tmp_path):
    doc, table = tmp_path / "m.json", tmp_path / "m.csv"
    args = ["train", FLOWER, "--epochs", "30", "--set", "data.dev_fraction=0.2", "--quiet"]
    assert cli(*args, "--metrics-out", doc).exit_code == 0
    assert cli(*args, "--metrics-out", table).exit_code == 0
    document = json.loads(doc.read_text())
    assert [row["epoch"] for row in document["curve"]] == list(range(31))
    assert all(math.isfinite(row["dev_cost"]) for row in document["curve"])
    assert [h["epoch"] for h in document["history"]] == [0, 29]
    rows = list(csv.DictReader(table.open()))
    assert [int(r["epoch"]) for r in rows] == list(range(31))
    assert rows[0]["train_accuracy"] and not rows[1]["train_accuracy"]
    assert float(rows[29]["dev_cost"]) == document["curve"][29]["dev_cost"]


def test_the_plot_gets_the_dev_cost_of_every_epoch_and_the_best_one(cli, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from dnn_cli import plotting

    calls = []
    monkeypatch.setattr(plotting, "training_figure", lambda path, costs, **kw: calls.append((costs, kw)))
    result = cli("train", FLOWER, "--epochs", "40", "--set", "data.dev_fraction=0.2", "--set",
                 "train.early_stopping={patience: 1000}", "--plot", tmp_path / "p.png", "--quiet")
    assert result.exit_code == 0, result.output
    (costs, kw), = calls
    epochs, dev = kw["dev"]
    assert list(epochs) == list(range(41)) and len(costs) == 40
    assert kw["best_epoch"] == 40 and dev[40] == min(dev)


def test_the_plot_with_a_best_epoch_is_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    from dnn_cli.plotting import training_figure

    path = tmp_path / "p.png"
    training_figure(path, [0.7, 0.5, 0.4, 0.45], dev=([0, 1, 2, 3, 4], [0.7, 0.55, 0.5, 0.52, 0.6]), best_epoch=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_sparkline_and_the_final_table_label_their_costs(cli):
    result = cli("train", FLOWER, "--epochs", "30")
    assert result.exit_code == 0, result.output
    assert "epochs 0 -> 29, each cost measured before the epoch's update" in result.stdout
    assert "train cost (final model)" in result.stdout


# ---------------------------------------------------------------------------------------------
# 4. L2: (lambda / 2m) sum ||W||^2 with m the training set's size, for every batch size


def test_mini_batch_history_cost_agrees_with_the_final_cost_with_l2():
    # With a learning rate too small to move the parameters, every epoch's cost is J of the same
    # parameters: the batches' weighted mean of (1/m_b) sum L equals (1/m) sum L, so with the course's
    # L2 term the history's cost must equal final.cost_with_l2 (before, it was off by m / m_b).
    result = _fit(["train.l2=5", "train.batch_size=64"], learning_rate=1e-300, epochs=2)
    np.testing.assert_allclose(result.costs, result.final["cost_with_l2"], rtol=1e-12)
    full = _fit(["train.l2=5"], learning_rate=1e-300, epochs=2)
    np.testing.assert_allclose(result.costs, full.costs, rtol=1e-12)


def test_one_mini_batch_step_is_the_gradient_of_the_batch_objective():
    rng = np.random.default_rng(4)
    net = Network.initialize([3, 5, 4, 1], ["tanh", "relu", "sigmoid"], "xavier", rng=rng)
    X, Y = rng.standard_normal((3, 40)), (rng.random((1, 40)) > 0.5).astype(float)
    m, l2, batch = 40, 0.7, np.arange(3, 19)
    X_b, Y_b = np.asfortranarray(X[:, batch]), Y[:, batch]
    J, _, grads = train_step(net, X_b, Y_b, Workspace(net), l2=l2, m_train=m)
    # The batch objective (1/m_b) sum_batch L + (l2 / 2m) sum ||W||^2, by finite differences.
    dW, db = numeric_gradients(net, X_b, Y_b, epsilon=1e-6, l2=l2, m_train=m)
    for analytic, numeric in zip(grads.dW + grads.db, dW + db):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)
    expected = net.loss.cost(net.predict_proba(X_b), Y_b) + l2 / (2 * m) * sum(np.sum(W * W) for W in net.W)
    assert J == pytest.approx(expected, rel=1e-14)
    result = gradcheck(net, X_b, Y_b, epsilon=1e-6, l2=l2, m_train=m)
    assert [t.status for t in result.tensors] == ["pass"] * 6


def test_full_batch_l2_is_unchanged_by_passing_m_train():
    rng = np.random.default_rng(5)
    net = Network.initialize([2, 4, 1], ["tanh", "sigmoid"], rng=rng)
    X, Y = np.asfortranarray(rng.standard_normal((2, 30))), (rng.random((1, 30)) > 0.5).astype(float)
    J1, _, g1 = train_step(net, X, Y, Workspace(net), l2=0.3)
    first = g1.vector().copy()
    J2, _, g2 = train_step(net, X, Y, Workspace(net), l2=0.3, m_train=30)
    assert J1 == J2
    np.testing.assert_array_equal(first, g2.vector())


# ---------------------------------------------------------------------------------------------
# 5. Divergence that stays finite


def test_parameters_past_the_overflow_limit_are_divergence(cli, tmp_path):
    model = tmp_path / "m.npz"
    assert cli("train", FLOWER, "--epochs", "5", "--save", model, "--quiet").exit_code == 0
    before = model.read_bytes()
    result = cli("train", FLOWER, "--lr", "1e300", "--epochs", "20", "--save", model, "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "dnn: error: the parameters grew past 1.34e+154 in norm" in result.stderr
    assert "the run diverged" in result.stderr
    assert "lower train.learning_rate" in result.stderr
    assert model.read_bytes() == before


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1e200], ids=["nan", "inf", "huge"])
def test_the_parameter_check(bad):
    theta = np.array([0.5, -2.0, 1e150])
    _check_parameters(theta, 3, 0.1)
    theta[1] = bad
    with np.errstate(over="ignore"), pytest.raises(TrainingError, match="after epoch 3 with learning_rate 0.1: "
                                                                       "the run diverged"):
        _check_parameters(theta, 3, 0.1)


def test_the_limit_is_where_a_product_overflows():
    for dtype in (np.float32, np.float64):
        limit = parameter_limit(dtype)
        assert np.isfinite(np.array(limit * 0.999, dtype=dtype) ** 2)
        with np.errstate(over="ignore"):
            assert not np.isfinite(np.array(limit * 1.001, dtype=dtype) ** 2)


# ---------------------------------------------------------------------------------------------
# 6. gradcheck: a bounded cost, progress, and epsilon as input


@pytest.mark.parametrize("epsilon", ["1e400", "0.5", "nan", "0"])
def test_gradcheck_epsilon_must_be_a_small_finite_step(cli, epsilon):
    result = cli("gradcheck", FLOWER, "--epsilon", epsilon)
    assert_input_error(result, "--epsilon: expected a positive number no larger than 0.01")


def test_small_networks_check_every_entry():
    assert sample_entries([2, 4, 1], 32, np.random.default_rng(0)) is None
    result = gradcheck_config(load_config(FLOWER))
    assert not any(t.sampled for t in result.tensors)
    assert not any("random sample" in note for note in result.notes)


def test_large_networks_check_a_seeded_sample_per_tensor():
    layers = [2, 100, 100, 1]
    entries = sample_entries(layers, 32, np.random.default_rng(3))
    sizes = [200, 10_000, 100, 100, 100, 1]
    assert [len(e) for e in entries][1] < sizes[1]
    assert all(len(e) == len(set(e)) and max(e) < size for e, size in zip(entries, sizes))
    assert all(len(e) >= min(size, 20) for e, size in zip(entries, sizes))
    work = 2 * sum(len(e) for e in entries) * gradcheck_module.forward_work(layers, 32)
    assert work <= gradcheck_module.WORK_BUDGET
    again = sample_entries(layers, 32, np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(entries, again))


def test_gradcheck_config_samples_above_the_budget_and_says_so(monkeypatch, cli, tmp_path):
    monkeypatch.setattr(gradcheck_module, "WORK_BUDGET", 2e5)
    wide = ["model.layers=[2, 40, 1]"]
    config = load_config(FLOWER, wide)
    seen = []
    result = gradcheck_config(config, progress=lambda done, total: seen.append((done, total)))
    assert result.passed
    sampled = [t for t in result.tensors if t.sampled]
    assert sampled and seen[-1][0] == seen[-1][1] == sum(t.checked for t in result.tensors)
    note = next(n for n in result.notes if "random sample" in n)
    assert note.startswith(f"checked a random sample of {seen[-1][1]:,} of ") and note.about == "every_entry"
    assert "--all" not in note and result.sampled == (seen[-1][1], 2 * 40 + 40 + 40 + 1)
    every = gradcheck_config(config, every_entry=True)
    assert not any(t.sampled for t in every.tensors)
    output = cli("gradcheck", FLOWER, "--set", wide[0]).stdout
    assert "entries checked" in output and "all 1" in output and "random sample" in output
    assert "above the budget of 2e+05; --all checks every entry" in output
    assert "entries checked" not in cli("gradcheck", FLOWER, "--set", wide[0], "--all").stdout


# ---------------------------------------------------------------------------------------------
# 7. No NumPy RuntimeWarning reaches the user


def test_predict_on_huge_inputs_gives_no_runtime_warning(cli, tmp_path):
    model = tmp_path / "m.npz"
    assert cli("train", FLOWER, "--epochs", "20", "--save", model, "--quiet").exit_code == 0
    data = write(tmp_path / "huge.csv", "x1,x2\n1e300,1e300\n-1e300,1e300\n5,5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = cli("predict", model, data)
        proba = cli("predict", model, data, "--proba")
    assert result.exit_code == 0 and "Warning" not in result.output
    assert proba.exit_code == 0 and "Warning" not in proba.output


def test_a_diverging_run_gives_no_runtime_warning(cli):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for lr in ("1000", "1e300"):
            result = cli("train", FLOWER, "--lr", lr, "--epochs", "100", "--quiet")
            assert "RuntimeWarning" not in result.output
        result = cli("train", FLOWER, "--lr", "1e100", "--epochs", "100", "--quiet", "--set",
                     "model.activations=[relu, sigmoid]", "--set", "train.l2=1", "--set", "train.batch_size=7")
        assert result.exit_code == 1 and "RuntimeWarning" not in result.output


def _checkpoint(tmp_path, sets, epochs):
    path = tmp_path / "c.npz"
    train_and_save(path, FLOWER, sets, epochs=epochs)
    return path


def test_a_checkpoint_holds_the_dev_costs_and_a_bad_one_is_refused(tmp_path):
    from dnn_cli.errors import ModelFileError

    path = _checkpoint(tmp_path, ["data.dev_fraction=0.2"], 30)
    with np.load(path) as npz:
        arrays = dict(npz)
    assert arrays["dev_costs"].shape == (31,)
    arrays["dev_costs"] = arrays["dev_costs"][:5]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match=r"bad.npz: array 'dev_costs': expected shape \(31,\), got \(5,\)"):
        load_model(tmp_path / "bad.npz")


def test_an_older_checkpoint_without_dev_costs_resumes_with_a_partial_curve(tmp_path):
    sets = ["data.n_samples=200", "data.dev_fraction=0.2", "train.early_stopping={patience: 10000}"]
    path = _checkpoint(tmp_path, sets, 60)
    with np.load(path) as npz:
        arrays = {k: v for k, v in npz.items() if k != "dev_costs"}
    np.savez(tmp_path / "old.npz", **arrays)
    model = load_model(tmp_path / "old.npz")
    second = prepare(load_config(FLOWER, sets, epochs=100), parameters=model.resume_parameters())
    restore_state(second.state, model)
    resumed = fit(second)
    whole = _fit(sets, epochs=100)
    assert resumed.state.dev_costs[:60] == [None] * 60
    assert resumed.state.dev_costs[60:] == whole.state.dev_costs[60:]
    assert resumed.final == whole.final
