"""`dnn predict` and `dnn evaluate`, and the metrics behind them."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from dnn_cli.metrics import confusion_matrix, mae, per_class, r2

from .conftest import CONFIGS, assert_input_error, train_and_save, write

FRUIT_CSV = CONFIGS / "fruit.csv"


def _train_and_save(path, config, *sets, epochs):
    return train_and_save(path, CONFIGS / config, sets, epochs=epochs)[1]


@pytest.fixture(scope="module")
def fruit(tmp_path_factory):
    path = tmp_path_factory.mktemp("fruit") / "fruit.npz"
    return path, _train_and_save(path, "fruit.yaml", epochs=300)


@pytest.fixture(scope="module")
def sine(tmp_path_factory):
    path = tmp_path_factory.mktemp("sine") / "sine.npz"
    return path, _train_and_save(path, "sine.yaml", epochs=50)


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def _fruit_table():
    rows = _rows(FRUIT_CSV.read_text(encoding="utf-8"))
    header, body = rows[0], rows[1:]
    X = np.array([[float(v) for v in row[:3]] for row in body]).T
    return header, body, X


def test_predict_matches_the_in_memory_network(cli, fruit):
    path, prepared = fruit
    result = cli("predict", path, FRUIT_CSV, "--proba")
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert rows[0] == ["apple", "lemon", "orange"]
    _, _, X = _fruit_table()
    expected = prepared.network.predict_proba(prepared.standardizer.transform(X))
    np.testing.assert_allclose(np.array(rows[1:], dtype=float).T, expected, rtol=0, atol=0)


def test_predict_gives_the_original_string_labels(cli, fruit):
    path, prepared = fruit
    result = cli("predict", path, FRUIT_CSV)
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    _, body, X = _fruit_table()
    codes = prepared.network.predict(prepared.standardizer.transform(X))[0]
    assert rows[0] == ["prediction"]
    assert [r[0] for r in rows[1:]] == [prepared.train.classes[k] for k in codes]
    assert {r[0] for r in rows[1:]} <= {"apple", "lemon", "orange"}
    agreement = np.mean([p[0] == row[3] for p, row in zip(rows[1:], body)])
    assert agreement > 0.9


@pytest.mark.parametrize("layout", ["features-only", "reordered-with-label", "extra-id-column"])
def test_predict_reads_the_features_by_name(cli, fruit, tmp_path, layout):
    path, _ = fruit
    header, body, _ = _fruit_table()
    if layout == "features-only":
        text = "\n".join(",".join(r[:3]) for r in [header] + body)
    elif layout == "reordered-with-label":
        text = "\n".join(",".join([r[3], r[2], r[0], r[1]]) for r in [header] + body)
    else:
        text = "\n".join(",".join([("id" if i == 0 else str(i))] + r[:3]) for i, r in enumerate([header] + body))
    data = write(tmp_path / "rows.csv", text + "\n")
    expected = cli("predict", path, FRUIT_CSV).stdout
    result = cli("predict", path, data)
    assert result.exit_code == 0, result.output
    assert result.stdout == expected


def test_predict_writes_a_csv_file(cli, fruit, tmp_path):
    path, _ = fruit
    out = tmp_path / "predictions.csv"
    result = cli("predict", path, FRUIT_CSV, "--out", out)
    assert result.exit_code == 0, result.output
    assert "wrote 150 predictions" in result.stdout
    assert out.read_text(encoding="utf-8") == cli("predict", path, FRUIT_CSV).stdout


def test_predict_and_evaluate_read_npz_data(cli, fruit, tmp_path):
    path, _ = fruit
    _, body, X = _fruit_table()
    data = tmp_path / "rows.npz"
    np.savez(data, X=X.T, y=np.array([row[3] for row in body]))
    assert cli("predict", path, data).stdout == cli("predict", path, FRUIT_CSV).stdout
    from_npz = json.loads(cli("evaluate", path, data, "--json").stdout)
    from_csv = json.loads(cli("evaluate", path, FRUIT_CSV, "--json").stdout)
    assert from_npz["accuracy"] == from_csv["accuracy"]
    assert from_npz["confusion_matrix"] == from_csv["confusion_matrix"]


def test_evaluate_json_agrees_with_the_predictions(cli, fruit):
    path, _ = fruit
    result = cli("evaluate", path, FRUIT_CSV, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    predicted = [r[0] for r in _rows(cli("predict", path, FRUIT_CSV).stdout)[1:]]
    truth = [row[3] for row in _fruit_table()[1]]
    assert doc["m"] == 150 and doc["task"] == "classification"
    assert doc["classes"] == ["apple", "lemon", "orange"]
    np.testing.assert_allclose(doc["accuracy"], np.mean([p == t for p, t in zip(predicted, truth)]), rtol=0, atol=0)
    C = np.array(doc["confusion_matrix"])
    for i, true_class in enumerate(doc["classes"]):
        for j, predicted_class in enumerate(doc["classes"]):
            assert C[i, j] == sum(t == true_class and p == predicted_class for p, t in zip(predicted, truth))
    assert doc["cost"] > 0
    assert [row["support"] for row in doc["per_class"]] == [50, 50, 50]


@pytest.mark.parametrize("command, model", [("predict", "fruit"), ("predict --proba", "fruit"),
                                            ("evaluate", "fruit"), ("predict", "sine"), ("evaluate", "sine")])
def test_predict_and_evaluate_run_the_network_once(cli, request, monkeypatch, tmp_path, command, model):
    """The outputs A^[L] are computed once: checked finite, then turned into predictions or scores."""
    from dnn_cli.network import Network

    path, _ = request.getfixturevalue(model)
    calls = []
    forward = Network.predict_proba
    monkeypatch.setattr(Network, "predict_proba", lambda self, X: calls.append(X.shape) or forward(self, X))
    x = np.linspace(-3, 3, 7)
    data = FRUIT_CSV if model == "fruit" else write(tmp_path / "xy.csv", "x,y\n" + "".join(
        f"{float(v)!r},{float(np.sin(v))!r}\n" for v in x))
    result = cli(*command.split(), path, data)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1


def test_evaluate_prints_tables(cli, fruit):
    path, _ = fruit
    result = cli("evaluate", path, FRUIT_CSV)
    assert result.exit_code == 0, result.output
    for fragment in ("Evaluation", "accuracy", "Per class", "precision", "Confusion matrix", "apple", "orange"):
        assert fragment in result.stdout


def test_regression_predict_and_evaluate(cli, sine, tmp_path):
    path, prepared = sine
    x = np.linspace(-3, 3, 7)
    data = write(tmp_path / "x.csv", "x\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    result = cli("predict", path, data)
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert rows[0] == ["prediction"]
    np.testing.assert_allclose(np.array(rows[1:], dtype=float).T, prepared.network.predict_proba(x[None, :]),
                               rtol=0, atol=0)
    labelled = write(tmp_path / "xy.csv", "x,y\n" + "\n".join(f"{float(v)!r},{float(np.sin(v))!r}" for v in x) + "\n")
    doc = json.loads(cli("evaluate", path, labelled, "--json").stdout)
    assert set(doc) >= {"cost", "rmse", "mae", "r2", "m"} and doc["m"] == 7
    np.testing.assert_allclose(doc["rmse"] ** 2, doc["cost"], rtol=1e-12)
    assert_input_error(cli("predict", path, data, "--proba"), "has no class probabilities")


@pytest.mark.parametrize("text, fragments", [
    ("weight_g,width_cm\n1,2\n", ["missing feature column(s) 'height_cm'"]),
    ("a,b,c,d,e\n1,2,3,4,5\n", ["expected 3 feature columns", "got 5 columns"]),
    ("weight_g,width_cm,height_cm,fruit\n150,7,7,banana\n", ["line 2", "label 'banana' was not seen in training",
                                                              "apple, lemon, orange"]),
    ("weight_g,width_cm,height_cm,fruit\n150,7,oops,apple\n", ["line 2", "column 'height_cm'", "'oops'"]),
], ids=["missing-feature", "feature-count", "unseen-label", "not-a-number"])
def test_bad_data_exits_2(cli, fruit, tmp_path, text, fragments):
    path, _ = fruit
    data = write(tmp_path / "bad.csv", text)
    command = "evaluate" if "banana" in text else "predict"
    assert_input_error(cli(command, path, data), str(data), *fragments)


def test_npz_feature_count_mismatch_names_both_numbers(cli, fruit, tmp_path):
    path, _ = fruit
    data = tmp_path / "x.npz"
    np.savez(data, X=np.zeros((4, 5)))
    assert_input_error(cli("predict", path, data), "expected shape (m, 3)", "got shape (4, 5)")


def test_evaluate_needs_labels(cli, fruit, tmp_path):
    path, _ = fruit
    data = write(tmp_path / "x.csv", "weight_g,width_cm,height_cm\n150,7,7\n")
    assert_input_error(cli("evaluate", path, data), "no label column")


def test_confusion_matrix_and_per_class_scores_by_hand():
    true = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    C = confusion_matrix(true, predicted, 3)
    np.testing.assert_array_equal(C, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    scores = per_class(C)
    np.testing.assert_allclose(scores["precision"], [1.0, 0.5, 0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(scores["recall"], [2 / 3, 0.5, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(scores["f1"], [0.8, 0.5, 2 / 3], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(scores["support"], [3, 2, 1])


def test_a_class_never_predicted_scores_zero_not_nan():
    scores = per_class(confusion_matrix([0, 1], [0, 0], 2))
    np.testing.assert_array_equal(scores["precision"], [0.5, 0.0])
    np.testing.assert_array_equal(scores["f1"], [2 / 3, 0.0])


@pytest.mark.parametrize("AL, Y, expected_mae, expected_r2", [
    ([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]], 0.0, 1.0),
    ([[2.0, 2.0, 2.0]], [[1.0, 2.0, 3.0]], 2 / 3, 0.0),
    ([[1.0, 3.0, 3.0]], [[1.0, 2.0, 3.0]], 1 / 3, 0.5),
    ([[1.0, 1.0]], [[1.0, 1.0]], 0.0, 1.0),
    ([[1.0, 2.0]], [[1.0, 1.0]], 0.5, 0.0),
], ids=["perfect", "mean-predictor", "one-off", "constant-exact", "constant-missed"])
def test_mae_and_r2_by_hand(AL, Y, expected_mae, expected_r2):
    AL, Y = np.array(AL), np.array(Y)
    np.testing.assert_allclose(mae(AL, Y), expected_mae, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r2(AL, Y), expected_r2, rtol=0, atol=1e-15)


def _numeric_model(tmp_path, labels: str):
    """A model trained on a numeric CSV (x1, x2, label) with integer, non-integer or regression labels."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 2))
    y = {"int": (X[:, 0] > 0).astype(int) * 3 + 1, "half": np.where(X[:, 1] > 0, 1.5, 2.5),
         "value": X[:, 0] * 2.0 + 0.5}[labels]
    rows = "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in zip(X[:, 0].tolist(), X[:, 1].tolist(), y.tolist()))
    data = write(tmp_path / "train.csv", "x1,x2,label\n" + rows)
    model = ("layers: [2, 4, 1]\n  activations: [tanh, linear]" if labels == "value" else
             "layers: [2, 4, 1]\n  activations: [tanh, sigmoid]")
    config = write(tmp_path / "c.yaml", f"data:\n  source: train.csv\nmodel:\n  {model}\ntrain:\n  epochs: 20\n")
    path = tmp_path / "m.npz"
    train_and_save(path, config, epochs=20)
    return path, data


@pytest.mark.parametrize("labels", ["int", "half", "value"])
@pytest.mark.parametrize("command", ["predict", "predict --proba", "evaluate --json"])
def test_predict_and_evaluate_read_a_numeric_csv_fast_with_the_same_results(cli, tmp_path, monkeypatch, labels,
                                                                            command):
    """A CSV of numbers only is read by NumPy's C parser (as in training); the output is the careful reader's,
    byte for byte (a model whose classes are text, here 1.5 and 2.5, has its labels read as text)."""
    import dnn_cli.io.tables as tables

    if command == "predict --proba" and labels == "value":
        return
    path, data = _numeric_model(tmp_path, labels)
    calls = []
    fast = tables.numeric_table
    monkeypatch.setattr(tables, "numeric_table", lambda p: calls.append(p) or fast(p))
    result = cli(*command.split(), path, data)
    assert result.exit_code == 0, result.output
    assert len(calls) == (0 if labels == "half" and command.startswith("evaluate") else 1)
    monkeypatch.setattr(tables, "numeric_table", lambda p: None)
    careful = cli(*command.split(), path, data)
    assert careful.exit_code == 0 and result.stdout == careful.stdout


def test_a_fast_read_csv_still_names_the_line_of_a_bad_sample(cli, tmp_path):
    """The fast path keeps no line numbers: an error about one sample finds its line (blank lines counted)."""
    path, _ = _numeric_model(tmp_path, "int")
    data = write(tmp_path / "e.csv", "x1,x2,label\n\n0.5,0.5,1\n\n0.5,0.5,4\n0.5,0.5,7\n0,0,1\n")
    assert_input_error(cli("evaluate", path, data), "e.csv: line 6: label '7' was not seen in training")


@pytest.mark.parametrize("cells", ["numbers", "text"])
def test_predict_refuses_a_file_too_large_for_memory_before_reading_it(cli, tmp_path, monkeypatch, cells):
    """As training does: the memory either reader needs is estimated from the file's size first."""
    from dnn_cli import resources

    path, _ = _numeric_model(tmp_path, "int")
    row = "0.5,0.5,1\n" if cells == "numbers" else "0.5,0.5,one\n"
    data = write(tmp_path / "d.csv", "x1,x2,label\n" + row * 2000)
    # 2,001 rows x 3 cells: about 96 kB as float64 on the fast path, 14 times that for the careful reader.
    limit = 50_000 if cells == "numbers" else 200_000
    monkeypatch.setattr(resources, "_available", lambda: (limit, " (a test's limit)"))
    result = cli("predict", path, data)
    how = "as float64" if cells == "numbers" else "cell by cell"
    assert_input_error(result, f"d.csv: reading d.csv (0.0 MiB) {how}", "needs about", "a test's limit")


@pytest.mark.parametrize("classes", [(0, 1), (3, 7, 11), (11, 3, 7)])
def test_numeric_labels_are_coded_in_one_pass_as_label_by_label(classes):
    """Integer classes and a numeric label array (a fast-read CSV, an NPZ): the codes the per-label loop gives; a
    label that is no class (or not an integer) is still named with its place."""
    from dnn_cli.errors import DataError
    from dnn_cli.predictor import Inputs, encode_with_classes

    rng = np.random.default_rng(len(classes))
    for dtype in (np.float64, np.int64):
        labels = np.array(classes)[rng.integers(0, len(classes), 500)].astype(dtype)
        codes = encode_with_classes(Inputs(np.zeros((1, 500)), labels, "label", "d.csv", lines=tuple(range(2, 502))),
                                    classes)
        np.testing.assert_array_equal(codes[0], [classes.index(int(v)) for v in labels])
    for bad, shown in ((5.0, "'5'"), (2.5, "'2.5'"), (float("nan"), "'nan'")):
        labels = np.array([classes[0], bad, classes[-1]], dtype=np.float64)
        with pytest.raises(DataError, match=f"d.npz: index 1: label {shown} was not seen in training"):
            encode_with_classes(Inputs(np.zeros((1, 3)), labels, "y", "d.npz"), classes)
