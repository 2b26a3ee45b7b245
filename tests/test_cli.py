"""The train, shapes, datasets and init commands, and every kind of bad input they meet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import CONFIGS, assert_input_error, write

FLOWER = CONFIGS / "flower.yaml"


def test_train_prints_history_final_metrics_and_shapes(cli):
    result = cli("train", FLOWER, "--epochs", "300", "--set", "train.log_every=100")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for fragment in ("Training history", "Final metrics", "train accuracy", "Parameters", "W^[l]", "(4, 2)", "(1, 4)"):
        assert fragment in out
    assert [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│") and "%" in line][:4] == \
        ["0", "100", "200", "299"]
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_train_quiet_prints_nothing(cli):
    result = cli("train", FLOWER, "--epochs", "5", "--quiet")
    assert result.exit_code == 0 and result.stdout == ""


def test_print_config_shows_the_resolved_config(cli):
    result = cli("train", FLOWER, "--print-config", "--lr", "0.3", "--set", "model.init=he")
    assert result.exit_code == 0
    assert "learning_rate: 0.3" in result.stdout and "init: he" in result.stdout and "optimizer: gd" in result.stdout


def test_metrics_and_model_files(cli, tmp_path):
    model, metrics, table = tmp_path / "m.npz", tmp_path / "m.json", tmp_path / "m.csv"
    result = cli("train", CONFIGS / "deep.yaml", "--epochs", "50", "--save", model, "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    doc = json.loads(metrics.read_text())
    assert set(doc) == {"config", "history", "final", "seconds", "warnings", "curve"}
    assert doc["config"]["model"]["layers"] == [3, 5, 5, 3, 1]
    assert doc["history"][0]["epoch"] == 0 and 0 <= doc["history"][0]["train_accuracy"] <= 1
    assert {"cost", "train_accuracy", "dev_cost", "dev_accuracy"} <= set(doc["final"])
    with np.load(model, allow_pickle=False) as npz:
        assert {"W1", "b1", "W4", "b4", "config", "format_version"} <= set(npz.files)
        assert npz["W2"].shape == (5, 5)
        assert json.loads(str(npz["config"]))["seed"] == 1
    assert cli("train", CONFIGS / "deep.yaml", "--epochs", "50", "--metrics-out", table).exit_code == 0
    header = table.read_text().splitlines()[0].split(",")
    assert header[:2] == ["epoch", "cost"] and "dev_accuracy" in header


def test_init_from_reproduces_a_saved_model(cli, tmp_path):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    assert cli("train", FLOWER, "--epochs", "20", "--save", first).exit_code == 0
    assert cli("train", FLOWER, "--epochs", "20", "--init-from", first, "--set", "model.init=zeros",
               "--save", second).exit_code == 0
    with np.load(first) as a, np.load(second) as b:
        assert not np.array_equal(a["W1"], b["W1"])  # 20 more epochs from where the first run ended
        assert a["W1"].shape == b["W1"].shape


def test_shapes_for_the_seed_example(cli):
    result = cli("shapes", CONFIGS / "deep.yaml", "--m", "10")
    assert result.exit_code == 0, result.output
    for fragment in ("L = 4", "n^[0] = n_x = 3", "m = 10", "(5, 3)", "(5, 5)", "(3, 5)", "(1, 3)", "(5, 10)"):
        assert fragment in result.stdout
    assert "total" in result.stdout and "72" in result.stdout


def test_shapes_default_m_is_the_train_split(cli):
    assert "m = 240" in cli("shapes", CONFIGS / "deep.yaml").stdout  # 300 samples, 20 % held out


def test_datasets_lists_every_builtin(cli):
    out = cli("datasets").stdout
    for name in ("flower", "circles", "moons", "xor", "spiral", "blobs", "sine"):
        assert name in out


def test_init_writes_a_config_that_trains(cli, tmp_path):
    path = tmp_path / "new.yaml"
    assert cli("init", path).exit_code == 0
    assert "# " in path.read_text()
    assert cli("train", path, "--epochs", "3", "--quiet").exit_code == 0
    assert_input_error(cli("init", path), "already exists")


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "dnn_cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


BAD = "seed: 0\ndata:\n  source: flower\nmodel:\n  layers: [2, 4, 1]\n  activations: [tanh, sigmoid]\n"


@pytest.mark.parametrize("text, fragments", [
    (BAD.replace("[2, 4, 1]", "[3, 4, 1]"), ["model.layers[0]: n^[0] = 3 but the data (flower) has 2 features"]),
    (BAD.replace("[2, 4, 1]", "[2, 4, 3]").replace("sigmoid", "softmax"), ["n^[L] = 3 but the data has 2 classes"]),
    (BAD.replace("activations: [tanh, sigmoid]", "activations: [tanh, sigmoid]\n  loss: mse\n  bogus: 1"),
     ["c.yaml:8: model.bogus: unknown key"]),
    (BAD.replace("[tanh, sigmoid]", "[tanh, sigmod]"), ["c.yaml:6:", "did you mean 'sigmoid'"]),
    (BAD.replace("source: flower", "source: flowr"), ["unknown dataset 'flowr'", "did you mean 'flower'"]),
    (BAD + "train:\n  learning_rate: 0\n", ["c.yaml:8: train.learning_rate: expected a number > 0, got 0"]),
    (BAD + "train:\n  epochs: ten\n", ["train.epochs: expected an integer, got 'ten'"]),
    ("model: [1, 2\n", ["c.yaml:2: invalid YAML"]),
], ids=["n0-mismatch", "nL-classes", "unknown-key", "unknown-activation", "unknown-dataset", "zero-lr",
        "wrong-type", "yaml-syntax"])
def test_bad_configs_exit_2_with_one_line_each(cli, tmp_path, text, fragments):
    assert_input_error(cli("train", write(tmp_path / "c.yaml", text)), *fragments)


def test_missing_config(cli, tmp_path):
    assert_input_error(cli("train", tmp_path / "nope.yaml"), "nope.yaml: no such config file")
    assert_input_error(cli("shapes", tmp_path / "nope.yaml"), "no such config file")


def test_non_numeric_csv_cell_names_line_and_column(cli, tmp_path):
    write(tmp_path / "d.csv", "a,b,label\n1,2,x\n3,oops,y\n")
    config = write(tmp_path / "c.yaml", "data:\n  source: d.csv\nmodel:\n  layers: [2, 1]\n  activations: [sigmoid]\n")
    assert_input_error(cli("train", config), "d.csv", "line 3", "'b'", "oops")


@pytest.mark.parametrize("args, fragment", [
    (["--set", "train.epochs"], "expected KEY=VALUE"),
    (["--set", "train.lr=0.1"], "unknown key 'train.lr'; did you mean 'learning_rate'"),
    (["--set", "train.epochs=-3"], "--set train.epochs=-3: train.epochs: expected an integer >= 1"),
    (["--lr", "-1"], "--lr -1.0: train.learning_rate: expected a number > 0"),
], ids=["no-equals", "unknown-key", "bad-value", "bad-flag"])
def test_bad_overrides(cli, args, fragment):
    assert_input_error(cli("train", FLOWER, *args), fragment)


def test_init_from_with_a_misshaped_array(cli, tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, W1=np.zeros((4, 2)), b1=np.zeros((4, 1)), W2=np.zeros((1, 5)), b2=np.zeros((1, 1)))
    assert_input_error(cli("train", FLOWER, "--init-from", path),
                       "p.npz: array 'W2': expected shape (1, 4), got (1, 5)")
    np.savez(path, W1=np.zeros((4, 2)), b1=np.zeros((4, 1)))
    assert_input_error(cli("train", FLOWER, "--init-from", path), "array 'W2' is missing")


def test_output_folder_that_does_not_exist_fails_before_training(cli, tmp_path):
    assert_input_error(cli("train", FLOWER, "--save", tmp_path / "no" / "m.npz"), "does not exist")
    assert_input_error(cli("train", FLOWER, "--metrics-out", tmp_path / "m.txt"), "expected a .json or .csv")


def test_a_diverging_run_exits_1_and_saves_nothing(cli, tmp_path):
    model = tmp_path / "m.npz"
    result = cli("train", CONFIGS / "sine.yaml", "--lr", "5", "--save", model)
    assert result.exit_code == 1
    assert "diverged; lower train.learning_rate" in result.stderr and "Traceback" not in result.output
    assert not model.exists()


def test_unknown_option_is_a_usage_error(cli):
    assert cli("train", FLOWER, "--epoch", "3").exit_code == 2


def test_a_missing_data_file_names_the_config_key(cli, tmp_path):
    text = "data:\n  source: gone.csv\nmodel:\n  layers: [2, 1]\n  activations: [sigmoid]\n"
    config = write(tmp_path / "c.yaml", text)
    assert_input_error(cli("train", config), "c.yaml: data.source: no such file", "gone.csv")
