"""`dnn init --data FILE.csv`: a config inferred from the data that trains as written, and how it compares with
scikit-learn's MLPClassifier / MLPRegressor (default settings) on the same held-out rows."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import yaml

from .conftest import assert_input_error, write


def _csv(path, names, X, y) -> None:
    lines = [",".join(names)] + [",".join(repr(float(v)) for v in row) + f",{t}" for row, t in zip(X, y)]
    write(path, "\n".join(lines) + "\n")


def _config(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# What is inferred (no scikit-learn needed)


def _flowers(tmp_path, m=60):
    rng = np.random.default_rng(0)
    species = np.array(["setosa", "versicolor", "virginica"])[np.arange(m) % 3]
    X = rng.normal(0, 0.3, (m, 4)) + (np.arange(m) % 3)[:, None] * np.array([0.9, -0.3, 1.8, 0.8])
    _csv(tmp_path / "flowers.csv", ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"], X,
         species)
    return tmp_path / "flowers.csv"


def test_three_string_classes_give_a_softmax_network_that_trains_as_written(cli, tmp_path):
    data = _flowers(tmp_path)
    result = cli("init", "--data", data)
    assert result.exit_code == 0, result.output
    path = tmp_path / "flowers.yaml"
    text = path.read_text(encoding="utf-8")
    assert "# 3 classes in column 'species': setosa, versicolor, virginica" in text
    assert "inferred: 3 classes in column 'species': setosa, versicolor, virginica: softmax output, n^[L] = 3" \
        in result.stdout
    config = _config(path)
    assert config["data"]["source"] == "flowers.csv" and config["data"]["label"] == "species"
    assert config["model"] == {"layers": [4, 16, 3], "activations": {"hidden": "relu", "output": "softmax"},
                               "init": "he"}
    assert config["train"]["optimizer"] == "adam" and config["train"]["early_stopping"] == {"patience": 30}
    assert config["data"]["dev_fraction"] == 0.2
    trained = cli("train", path, "-q", "--save", tmp_path / "m.npz")
    assert trained.exit_code == 0, trained.output
    evaluated = json.loads(cli("evaluate", tmp_path / "m.npz", data, "--json").stdout)
    assert evaluated["accuracy"] > 0.9


def test_two_classes_give_one_sigmoid_unit(cli, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    _csv(tmp_path / "b.csv", ["a", "b", "c", "sick"], X * [1, 100, 0.01], (X[:, 0] > 0).astype(int))
    assert cli("init", "--data", tmp_path / "b.csv").exit_code == 0
    config = _config(tmp_path / "b.yaml")
    assert config["model"]["layers"] == [3, 16, 1] and config["model"]["activations"]["output"] == "sigmoid"
    assert config["data"]["standardize"] is True  # scales 0.01 .. 100
    assert "# 2 classes in column 'sick': 0, 1" in (tmp_path / "b.yaml").read_text(encoding="utf-8")
    assert cli("train", tmp_path / "b.yaml", "-q").exit_code == 0


def test_numbers_with_many_values_give_a_regression_with_standardised_targets(cli, tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 20))
    y = np.round(150 + 60 * X[:, 0] + 20 * rng.normal(size=80))
    _csv(tmp_path / "r.csv", [f"x{i}" for i in range(20)] + ["price"], X, y.astype(int))
    assert cli("init", "--data", tmp_path / "r.csv", tmp_path / "r.yaml").exit_code == 0
    config = _config(tmp_path / "r.yaml")
    assert config["model"]["layers"] == [20, 40, 20, 1] and config["model"]["activations"]["output"] == "linear"
    assert "standardize_target" not in config["data"]  # on by default for a data file
    assert "regression" in (tmp_path / "r.yaml").read_text(encoding="utf-8")
    assert cli("train", tmp_path / "r.yaml", "-q").exit_code == 0


def test_text_columns_and_missing_cells_are_inferred(cli, tmp_path):
    write(tmp_path / "p.csv", "colour,weight,kind\n" + "".join(
        f"{['red', 'blue', 'green'][i % 3]},{'' if i == 4 else i % 7},{'cat' if i % 2 else 'dog'}\n"
        for i in range(30)))
    result = cli("init", "--data", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    config = _config(tmp_path / "p.yaml")
    assert config["model"]["layers"][0] == 4
    assert config["data"]["missing"] == "mean" and config["data"]["unknown_categories"] == "ignore"
    assert "n^[0] = 4 from 2 columns: colour (one-hot: blue, green, red), weight" in " ".join(result.stdout.split())
    assert cli("train", tmp_path / "p.yaml", "-q").exit_code == 0


def test_label_names_the_column(cli, tmp_path):
    write(tmp_path / "l.csv", "kind,x1,x2\n" + "".join(f"{'ab'[i % 2]},{i},{i * i % 5}\n" for i in range(20)))
    assert cli("init", "--data", tmp_path / "l.csv", "--label", "kind").exit_code == 0
    config = _config(tmp_path / "l.yaml")
    assert config["data"]["label"] == "kind" and config["model"]["layers"] == [2, 16, 1]


def test_init_refuses_to_overwrite_and_names_bad_input(cli, tmp_path):
    data = _flowers(tmp_path)
    write(tmp_path / "flowers.yaml", "keep me\n")
    assert_input_error(cli("init", "--data", data), "flowers.yaml: already exists; pass --force to overwrite it")
    assert (tmp_path / "flowers.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert_input_error(cli("init", "--data", data, tmp_path / "x.yaml", "--label", "specie"),
                       "no label column 'specie'")
    write(tmp_path / "one.csv", "x,y\n1,a\n2,a\n")
    assert_input_error(cli("init", "--data", tmp_path / "one.csv"), "column 'y' holds one value only")
    assert_input_error(cli("init", "--data", tmp_path / "gone.csv"), "no such file")
    assert_input_error(cli("init"), "expected PATH")
    np.savez(tmp_path / "a.npz", X=np.zeros((3, 2)), y=np.arange(3))
    assert_input_error(cli("init", "--data", tmp_path / "a.npz"), "expected a .csv with a header row")


# ---------------------------------------------------------------------------------------------
# The five data sets against scikit-learn (same held-out rows)


def _five(name: str):
    datasets = pytest.importorskip("sklearn.datasets", reason="needs scikit-learn: pip install -e '.[compare]'")
    loaded = getattr(datasets, f"load_{name}")()
    X, y = loaded.data, loaded.target
    if name == "iris":
        y = np.array(loaded.target_names)[y]  # string labels
    return X, y, name == "diabetes"


def _compare(cli, tmp_path, name: str, rows: int | None = None):
    """(ours, scikit-learn's) score on the same held-out quarter: accuracy, or RMSE for regression."""
    X, y, regression = _five(name)
    neural = pytest.importorskip("sklearn.neural_network")
    perm = np.random.default_rng(0).permutation(len(y))[:rows]
    test, train = perm[: len(perm) // 4], perm[len(perm) // 4:]
    names = [f"x{i}" for i in range(X.shape[1])] + ["target"]
    _csv(tmp_path / "train.csv", names, X[train], y[train])
    _csv(tmp_path / "test.csv", names, X[test], y[test])
    assert cli("init", "--data", tmp_path / "train.csv").exit_code == 0
    result = cli("train", tmp_path / "train.yaml", "-q", "--save", tmp_path / "m.npz")
    assert result.exit_code == 0, result.output
    ours = json.loads(cli("evaluate", tmp_path / "m.npz", tmp_path / "test.csv", "--json").stdout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the defaults stop at 200 iterations
        if regression:
            predicted = neural.MLPRegressor(random_state=0).fit(X[train], y[train]).predict(X[test])
            return ours["rmse"], float(np.sqrt(np.mean((predicted - y[test]) ** 2)))
        theirs = neural.MLPClassifier(random_state=0).fit(X[train], y[train]).score(X[test], y[test])
        return ours["accuracy"], theirs


FIVE = ["breast_cancer", "iris", "wine", "digits", "diabetes"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FIVE)
def test_init_and_train_match_scikit_learn_on_the_five_data_sets(cli, tmp_path, name):
    ours, theirs = _compare(cli, tmp_path, name)
    if name == "diabetes":
        assert ours <= 1.05 * theirs, (ours, theirs)
    else:
        assert ours >= theirs - 0.02, (ours, theirs)


@pytest.mark.parametrize("name, rows", [("iris", None), ("wine", None), ("breast_cancer", 200), ("digits", 200),
                                        ("diabetes", 200)])
def test_small_stand_ins_of_the_five_data_sets_train_from_init_alone(cli, tmp_path, name, rows):
    ours, theirs = _compare(cli, tmp_path, name, rows)
    if name == "diabetes":
        assert ours <= 1.05 * theirs, (ours, theirs)
    else:
        assert ours >= theirs - 0.02, (ours, theirs)
