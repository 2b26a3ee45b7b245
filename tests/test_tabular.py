"""Real tabular data: regression targets in their own units, categorical features and missing cells, a starter
config from a CSV, separate dev and test files, and the fast reader."""

from __future__ import annotations

import json

import numpy as np

from dnn_cli.config import load_config
from dnn_cli.io.modelfile import load_model
from dnn_cli.io.statefile import restore_state
from dnn_cli.pipeline import fit, prepare
from dnn_cli.predictor import read_inputs

from .conftest import CONFIGS, assert_input_error

HOUSES = CONFIGS / "houses.yaml"


# ---------------------------------------------------------------------------------------------
# 3. Regression targets in their own units


def test_targets_are_standardised_from_the_train_split_and_rmse_is_in_their_units():
    prepared = prepare(load_config(HOUSES, epochs=50))
    scaler = prepared.target_scaler
    assert scaler is not None
    np.testing.assert_allclose(prepared.train.y.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(prepared.train.y.std(), 1.0, rtol=1e-12)
    result = fit(prepared)
    # The RMSE of the predictions in thousands, computed from the network's standardised outputs by hand.
    AL = prepared.network.predict_proba(prepared.dev.X) * scaler.std + scaler.mean
    y_dev = prepared.dev.y * scaler.std + scaler.mean
    np.testing.assert_allclose(result.final["dev_rmse"], np.sqrt(np.mean((AL - y_dev) ** 2)), rtol=1e-12)


def test_plain_gd_at_rate_0_01_trains_large_targets_that_diverge_raw(cli):
    result = cli("train", HOUSES, "--quiet")
    assert result.exit_code == 0, result.output
    raw = cli("train", HOUSES, "--quiet", "--set", "data.standardize_target=false")
    assert raw.exit_code == 1 and "diverged" in raw.stderr


def test_a_built_in_regression_keeps_raw_targets_by_default():
    prepared = prepare(load_config(CONFIGS / "sine.yaml", epochs=1))
    assert prepared.target_scaler is None


def test_standardize_target_on_a_classifier_is_a_config_error(cli):
    result = cli("train", CONFIGS / "fruit.yaml", "--set", "data.standardize_target=true")
    assert_input_error(result, "data.standardize_target: applies to regression")


def test_target_scaling_round_trips_through_save_predict_and_evaluate(cli, tmp_path):
    model_path = tmp_path / "houses.npz"
    assert cli("train", HOUSES, "--quiet", "--epochs", "300", "--save", model_path).exit_code == 0
    model = load_model(model_path)
    prepared = prepare(load_config(HOUSES, epochs=300))
    np.testing.assert_array_equal(model.target_scaler.mean, prepared.target_scaler.mean)
    np.testing.assert_array_equal(model.target_scaler.std, prepared.target_scaler.std)

    data = CONFIGS / "houses.csv"
    out = tmp_path / "pred.csv"
    assert cli("predict", model_path, data, "--out", out).exit_code == 0
    predicted = np.loadtxt(out, delimiter=",", skiprows=1)
    table = np.loadtxt(data, delimiter=",", skiprows=1)
    X, y = table[:, :3].T, table[:, 3]
    expected = model.network.predict_proba(model.standardizer.transform(X))[0] * model.target_scaler.std[0, 0] \
        + model.target_scaler.mean[0, 0]
    np.testing.assert_allclose(predicted, expected, rtol=1e-12)
    assert 150 < predicted.mean() < 400  # thousands, not standard deviations

    evaluated = cli("evaluate", model_path, data, "--json")
    assert evaluated.exit_code == 0, evaluated.output
    document = json.loads(evaluated.stdout)
    np.testing.assert_allclose(document["rmse"], np.sqrt(np.mean((predicted - y) ** 2)), rtol=1e-9)
    r2 = 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)
    np.testing.assert_allclose(document["r2"], r2, rtol=1e-9)


def test_target_scaling_resumes_bit_for_bit(cli, tmp_path):
    whole = prepare(load_config(HOUSES, epochs=40))
    fit(whole)
    first = tmp_path / "first.npz"
    assert cli("train", HOUSES, "--quiet", "--epochs", "25", "--save", first).exit_code == 0
    model = load_model(first)
    second = prepare(load_config(HOUSES, epochs=40), parameters=model.resume_parameters())
    restore_state(second.state, model)
    fit(second)
    for P, P_ref in zip(second.network.W + second.network.b, whole.network.W + whole.network.b):
        np.testing.assert_array_equal(P, P_ref)
    resumed = cli("train", HOUSES, "--quiet", "--epochs", "40", "--resume", first)
    assert resumed.exit_code == 0, resumed.output


def test_resuming_a_raw_target_checkpoint_with_scaling_is_refused(cli, tmp_path):
    raw = tmp_path / "raw.npz"
    sets = ["--set", "data.standardize_target=false", "--lr", "0.0001"]
    assert cli("train", HOUSES, "--quiet", "--epochs", "3", "--save", raw, *sets).exit_code == 0
    result = cli("train", HOUSES, "--quiet", "--epochs", "5", "--resume", raw, "--lr", "0.0001")
    assert_input_error(result, "cannot resume with data.standardize_target")


def test_read_inputs_is_unchanged_for_a_numeric_model():
    inputs = read_inputs(CONFIGS / "houses.csv", n_x=3, feature_names=["area_m2", "rooms", "age_years"],
                         label="price_k")
    assert inputs.X.shape == (3, 240)
