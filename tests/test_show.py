"""`dnn show MODEL`: what a model file holds, as tables and as JSON, and the usual one line for a bad file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dnn_cli.io.modelfile import load_model, save_model
from dnn_cli.network import Network

from .conftest import CONFIGS, assert_input_error

FLOWER = CONFIGS / "flower.yaml"
FRUIT = CONFIGS / "fruit.yaml"


def trained(cli, tmp_path, config, *args, name="m.npz"):
    path = tmp_path / name
    result = cli("train", config, "--save", path, "--quiet", *args)
    assert result.exit_code == 0, result.output
    return path


def shown(cli, path) -> dict:
    result = cli("show", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_show_prints_the_course_notation_table(cli, tmp_path):
    path = trained(cli, tmp_path, FLOWER, "--epochs", "5")
    result = cli("show", path)
    assert result.exit_code == 0, result.output
    text = result.stdout
    # layers [2, 4, 1]: W^[1] (4, 2) + b^[1] (4, 1) = 12 parameters, W^[2] (1, 4) + b^[2] (1, 1) = 5
    assert "Network: L = 2, n^[0] = n_x = 2, layers [2, 4, 1]" in text
    assert "│ 1 │     4 │ tanh    │ (4, 2) │ (4, 1) │     12 │" in text
    assert "│ 2 │     1 │ sigmoid │ (1, 4) │ (1, 1) │      5 │" in text
    assert "total │     17" in text
    assert "binary_cross_entropy" in text and "epochs run" in text and "5 of 5" in text
    assert "resumable (dnn train --resume)" in text and "yes" in text
    assert "Metrics at save time" in text and "train accuracy" in text


def test_show_json_holds_what_the_file_holds(cli, tmp_path):
    path = trained(cli, tmp_path, FRUIT, "--epochs", "20", "--set", "train.optimizer=adam",
                   "--set", "train.learning_rate=0.01")
    doc = shown(cli, path)
    model = load_model(path)
    assert doc["L"] == 2 and doc["layers"] == [3, 8, 3] and doc["activations"] == ["tanh", "softmax"]
    assert [r["W"] for r in doc["per_layer"]] == [[8, 3], [3, 8]] and [r["b"] for r in doc["per_layer"]] == [[8, 1],
                                                                                                             [3, 1]]
    assert doc["parameters"] == 8 * 3 + 8 + 3 * 8 + 3 == sum(r["parameters"] for r in doc["per_layer"])
    assert doc["loss"] == "cross_entropy" and doc["task"] == "classification" and doc["dtype"] == "float64"
    assert doc["classes"] == ["apple", "lemon", "orange"]
    assert doc["features"] == ["weight_g", "width_cm", "height_cm"]
    np.testing.assert_array_equal(doc["standardization"]["mean"], model.standardizer.mean[:, 0])
    np.testing.assert_array_equal(doc["standardization"]["std"], model.standardizer.std[:, 0])
    assert doc["training"]["optimizer"] == "adam" and doc["training"]["epochs_run"] == 20
    assert doc["resumable"] is True and doc["format_version"] == 1
    assert doc["metrics_at_save"]["epoch"] == 19 and 0 <= doc["metrics_at_save"]["dev_accuracy"] <= 1
    assert doc["config"] == model.config.to_dict()


def test_show_names_the_best_epoch_of_early_stopping(cli, tmp_path):
    path = trained(cli, tmp_path, FRUIT, "--epochs", "30", "--set", "train.early_stopping={patience: 2}",
                   "--set", "train.learning_rate=20")
    doc = shown(cli, path)
    early = doc["training"]["early_stopping"]
    assert early["patience"] == 2 and early["best_epoch"] is not None
    assert doc["metrics_at_save"]["epoch"] == early["best_epoch"]
    assert f"best epoch {early['best_epoch']}" in cli("show", path).stdout


def test_a_parameters_only_model_is_not_resumable(cli, tmp_path):
    network = Network.initialize([2, 3, 1], ["relu", "linear"], rng=np.random.default_rng(0))
    config = {"model": {"layers": [2, 3, 1], "activations": ["relu", "linear"]}}
    save_model(tmp_path / "r.npz", network, config)
    doc = shown(cli, tmp_path / "r.npz")
    assert doc["task"] == "regression" and doc["classes"] is None and doc["loss"] == "mse"
    assert doc["resumable"] is False and doc["metrics_at_save"] is None and doc["training"]["epochs_run"] is None
    text = cli("show", tmp_path / "r.npz").stdout
    assert "no: parameters only" in text and "features" in text and "not named" in text


@pytest.mark.parametrize("content, fragment", [
    (b"not a zip file at all", "expected an NPZ archive of arrays"),
    (None, "array 'format_version' is missing: not a dnn model file"),
], ids=["not-npz", "not-a-model"])
def test_a_broken_file_gets_one_line(cli, tmp_path, content, fragment):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, X=np.zeros((2, 2)))
    else:
        path.write_bytes(content)
    result = cli("show", path)
    assert_input_error(result, str(path), fragment)
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_file_gets_one_line(cli, tmp_path):
    result = cli("show", tmp_path / "nope.npz")
    assert_input_error(result, "nope.npz")
