"""Data that used to give a silent wrong result: columns, headers, targets, splits, cells, long lists."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from rich.console import Console

from dnn_cli import render
from dnn_cli.config import load_config
from dnn_cli.datasets import Dataset
from dnn_cli.errors import ConfigError, listed
from dnn_cli.io.csvfile import is_number, looks_like_data, parse_float
from dnn_cli.pipeline import check_layers_match_data, prepare

from .conftest import CONFIGS, assert_input_error, train_and_save, write

FRUIT_CSV = CONFIGS / "fruit.csv"


def _save_trained(path, config, *sets, epochs):
    train_and_save(path, config, sets, epochs=epochs)
    return path


@pytest.fixture(scope="module")
def fruit(tmp_path_factory):
    return _save_trained(tmp_path_factory.mktemp("fruit") / "fruit.npz", CONFIGS / "fruit.yaml", epochs=100)


def _fruit_rows():
    rows = list(csv.reader(io.StringIO(FRUIT_CSV.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def _table(header, body) -> str:
    return "\n".join(",".join(r) for r in [header] + body) + "\n"


# ---------------------------------------------------------------------------------------------
# 1. Columns are matched by name; position only when asked for, or when the model has no names.


def test_a_header_sharing_no_name_with_the_model_is_refused_with_both_lists(cli, fruit, tmp_path):
    data = write(tmp_path / "r.csv", "height,width,weight,fruit\n8.17,4.55,107.0,lemon\n")
    for command in ("evaluate", "predict"):
        result = cli(command, fruit, data, *(["--json"] if command == "evaluate" else []))
        assert_input_error(result, str(data), "line 1", "weight_g, width_cm, height_cm",
                           "height, width, weight, fruit", "no column name matches", "--by-position")
        assert result.stdout == ""


def test_by_position_takes_the_columns_in_file_order(cli, fruit, tmp_path):
    header, body = _fruit_rows()
    renamed = write(tmp_path / "renamed.csv", _table(["a", "b", "c", "fruit"], body))
    for command, extra in (("predict", []), ("evaluate", ["--json"])):
        expected = cli(command, fruit, FRUIT_CSV, *extra)
        result = cli(command, fruit, renamed, "--by-position", *extra)
        assert result.exit_code == 0, result.output
        if command == "predict":
            assert result.stdout == expected.stdout
        else:
            got, want = json.loads(result.stdout), json.loads(expected.stdout)
            assert (got["accuracy"], got["confusion_matrix"]) == (want["accuracy"], want["confusion_matrix"])
            assert got["accuracy"] > 0.5


def test_by_position_takes_the_label_by_name_wherever_it_is(cli, fruit, tmp_path):
    _, body = _fruit_rows()
    label_first = write(tmp_path / "label_first.csv", _table(["fruit", "a", "b", "c"], [[r[3]] + r[:3] for r in body]))
    expected = json.loads(cli("evaluate", fruit, FRUIT_CSV, "--json").stdout)
    result = cli("evaluate", fruit, label_first, "--by-position", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["confusion_matrix"] == expected["confusion_matrix"]


def test_by_position_still_needs_n0_columns(cli, fruit, tmp_path):
    data = write(tmp_path / "five.csv", "a,b,c,d,e\n1,2,3,4,5\n")
    assert_input_error(cli("predict", fruit, data, "--by-position"), "expected 3 feature columns",
                       "n^[0] = 3", "got 5 columns")


def test_a_partial_match_names_the_missing_and_the_extra_columns(cli, fruit, tmp_path):
    data = write(tmp_path / "p.csv", "height_cm,width_cm,weight,fruit\n8.17,4.55,107.0,lemon\n")
    assert_input_error(cli("predict", fruit, data), "missing feature column(s) 'weight_g'",
                       "extra column(s) 'weight'", "did you mean 'weight' for 'weight_g'?")


def test_did_you_mean_never_suggests_a_column_already_matched(cli, fruit, tmp_path):
    # 'weight_g' is the closest spelling to the missing 'height_cm', but it is already a feature.
    data = write(tmp_path / "p.csv", "weight_g,width_cm,fruit\n107.0,4.55,lemon\n")
    result = cli("predict", fruit, data)
    assert_input_error(result, "missing feature column(s) 'height_cm'")
    assert "did you mean" not in result.stderr


def test_two_missing_names_never_get_the_same_suggestion(cli, fruit, tmp_path):
    data = write(tmp_path / "p.csv", "weight_g,widths,fruit\n107.0,4.55,lemon\n")
    result = cli("predict", fruit, data)
    assert_input_error(result, "missing feature column(s) 'width_cm', 'height_cm'")
    assert result.stderr.count("'widths' for") == 1


def test_columns_may_come_in_any_order(cli, fruit, tmp_path):
    header, body = _fruit_rows()
    order = [2, 3, 0, 1]
    shuffled = write(tmp_path / "shuffled.csv",
                     _table([header[i] for i in order], [[r[i] for i in order] for r in body]))
    expected = json.loads(cli("evaluate", fruit, FRUIT_CSV, "--json").stdout)
    got = json.loads(cli("evaluate", fruit, shuffled, "--json").stdout)
    assert (got["cost"], got["confusion_matrix"]) == (expected["cost"], expected["confusion_matrix"])


def test_a_model_trained_on_npz_data_keeps_matching_by_position(cli, tmp_path):
    _, body = _fruit_rows()
    X = np.array([[float(v) for v in r[:3]] for r in body])
    y = np.array([["apple", "lemon", "orange"].index(r[3]) for r in body])
    np.savez(tmp_path / "fruit.npz", X=X, y=y)
    config = write(tmp_path / "npz.yaml", "data: {source: fruit.npz, standardize: true}\n"
                                          "model: {layers: [3, 4, 3], activations: [tanh, softmax]}\n")
    model = _save_trained(tmp_path / "model.npz", config, epochs=20)
    codes = [str(["apple", "lemon", "orange"].index(r[3])) for r in body]
    data = write(tmp_path / "named.csv", _table(["height", "width", "weight", "fruit"],
                                                [r[:3] + [k] for r, k in zip(body, codes)]))
    result = cli("evaluate", model, data, "--json")
    assert result.exit_code == 0, result.output
    from_npz = json.loads(cli("evaluate", model, tmp_path / "fruit.npz", "--json").stdout)
    assert json.loads(result.stdout)["confusion_matrix"] == from_npz["confusion_matrix"]


# ---------------------------------------------------------------------------------------------
# 2. A first line of numbers is a sample, not a header.


@pytest.mark.parametrize("columns, label, expected", [
    (["5.1", "3.5", "1.4", "0.2", "setosa"], None, True),
    (["5.1", "3.5", "0"], None, True),
    (["107.0", "4.55", "8.17", "lemon"], "fruit", True),
    (["0.5", "1.5", "label"], "label", True),
    (["3", "1"], None, True),
    (["-1", "2", "y"], None, True),
    (["x1", "x2", "label"], None, False),
    (["a", "1", "label"], None, False),
    (["0", "1", "2", "label"], None, False),
    (["1", "2", "3"], None, False),
    (["2019", "2020", "sales"], None, False),
], ids=["iris-row", "all-numbers", "label-not-in-row", "named-label", "one-feature-row", "negative",
        "names", "mixed", "indices-from-0", "indices-from-1", "years"])
def test_a_header_looks_like_data_when_its_feature_names_are_numbers(columns, label, expected):
    assert looks_like_data(columns, label) is expected


def test_training_refuses_a_csv_without_a_header(cli, tmp_path):
    _, body = _fruit_rows()
    write(tmp_path / "noheader.csv", _table(body[0], body[1:]))
    config = write(tmp_path / "c.yaml", "data: {source: noheader.csv}\n"
                                        "model: {layers: [3, 4, 3], activations: [tanh, softmax]}\n")
    assert_input_error(cli("train", config, "--epochs", "1", "--quiet"), "noheader.csv: line 1",
                       "the first line looks like data", "'107.0', '4.55', '8.17', 'lemon'", "add a header row")


def test_a_first_row_with_repeated_values_is_called_data_not_duplicate_names(cli, tmp_path):
    write(tmp_path / "d.csv", "1.5,1.5,0\n2,3,1\n")
    config = write(tmp_path / "c.yaml", "data: {source: d.csv}\n"
                                        "model: {layers: [2, 2, 1], activations: [tanh, sigmoid]}\n")
    result = cli("train", config, "--epochs", "1", "--quiet")
    assert_input_error(result, "the first line looks like data")
    assert "unique" not in result.stderr


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_refuse_a_csv_without_a_header(cli, fruit, tmp_path, command):
    _, body = _fruit_rows()
    data = write(tmp_path / "noheader.csv", _table(body[0], body[1:]))
    for extra in ([], ["--by-position"]):
        assert_input_error(cli(command, fruit, data, *extra), "line 1", "the first line looks like data",
                           "add a header row")


# ---------------------------------------------------------------------------------------------
# 3. Targets an output activation cannot reach; a regression target given to a classifier.


def _sine_config(output, loss="mse"):
    return load_config(CONFIGS / "sine.yaml", [f"model.activations=[tanh,tanh,{output}]", f"model.loss={loss}"])


def _regression_data(lo, hi):
    y = np.linspace(lo, hi, 7)[np.newaxis, :]
    return Dataset(np.zeros((1, 7)), y, "regression", None, ("x",), "t.csv")


@pytest.mark.parametrize("output, lo, hi, bounds", [
    ("sigmoid", -0.5, 0.5, "[0, 1]"),
    ("sigmoid", 0.0, 1.5, "[0, 1]"),
    ("tanh", -1.5, 0.5, "[-1, 1]"),
    ("relu", -0.1, 3.0, "[0, inf)"),
])
def test_targets_outside_the_output_range_are_a_config_error(output, lo, hi, bounds):
    with pytest.raises(ConfigError) as e:
        check_layers_match_data(_sine_config(output), _regression_data(lo, hi), "c.yaml")
    message = str(e.value)
    assert message.startswith("c.yaml: model.activations: ")
    assert f"g^[L] = {output} gives values in {bounds}" in message
    assert f"range over [{lo:.4g}, {hi:.4g}]" in message
    assert "use a linear output for regression: model.activations: [tanh, tanh, linear]" in message


@pytest.mark.parametrize("output, lo, hi", [
    ("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0), ("relu", 0.0, 50.0), ("linear", -1e6, 1e6), ("leaky_relu", -5, 5)])
def test_targets_inside_the_output_range_pass(output, lo, hi):
    check_layers_match_data(_sine_config(output), _regression_data(lo, hi), "c.yaml")


def test_sine_with_a_sigmoid_output_is_refused_before_training(cli):
    result = cli("train", CONFIGS / "sine.yaml", "--set", "model.activations=[tanh,tanh,sigmoid]",
                 "--set", "model.loss=mse", "--quiet")
    assert_input_error(result, "model.activations", "sigmoid gives values in [0, 1]", "linear")
    assert result.stdout == ""


@pytest.mark.parametrize("output, layers", [("sigmoid", "[1, 4, 1]"), ("softmax", "[1, 4, 1]")])
def test_a_regression_target_given_to_a_classifier_gets_regression_advice(cli, tmp_path, output, layers):
    x = np.linspace(0.0, 3.0, 60)
    write(tmp_path / "reg.csv", "x,y\n" + "".join(f"{a:.6f},{3 * np.sin(a):.4f}\n" for a in x))
    config = write(tmp_path / "c.yaml", f"data: {{source: reg.csv}}\nmodel: {{layers: {layers}, "
                                        f"activations: [tanh, {output}]}}\n")
    result = cli("train", config, "--epochs", "1", "--quiet")
    assert_input_error(result, "look like a regression target", "linear output and loss mse",
                       "model.activations: [tanh, linear]")
    assert "use softmax with" not in result.stderr


def test_fractional_npz_labels_for_a_classifier_get_regression_advice(cli, tmp_path):
    np.savez(tmp_path / "d.npz", X=np.linspace(0, 1, 20)[:, None], y=np.linspace(0, 1, 20))
    config = write(tmp_path / "c.yaml", "data: {source: d.npz}\n"
                                        "model: {layers: [1, 4, 1], activations: [tanh, sigmoid]}\n")
    assert_input_error(cli("train", config, "--epochs", "1", "--quiet"), "array 'y'",
                       "use a linear output with loss mse")


def test_few_integer_classes_still_get_the_softmax_advice(cli, tmp_path):
    write(tmp_path / "three.csv", "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(12)))
    config = write(tmp_path / "c.yaml", "data: {source: three.csv}\n"
                                        "model: {layers: [1, 4, 1], activations: [tanh, sigmoid]}\n")
    assert_input_error(cli("train", config, "--epochs", "1", "--quiet"), "use softmax with n^[L] = 3")


# ---------------------------------------------------------------------------------------------
# 4. The training split must keep two classes.


def test_a_dev_split_that_leaves_one_class_to_train_on_is_refused(tmp_path):
    write(tmp_path / "four.csv", "x,y\n1,0\n2,0\n3,0\n4,1\n")
    config = write(tmp_path / "c.yaml", "data: {source: four.csv, dev_fraction: 0.25}\n"
                                        "model: {layers: [1, 2, 1], activations: [tanh, sigmoid]}\n")
    refused = 0
    for seed in range(12):
        cfg = load_config(config, seed=seed)
        try:
            prepared = prepare(cfg, source="c.yaml")
        except ConfigError as e:
            refused += 1
            assert str(e).startswith("c.yaml: data.dev_fraction: 0.25 leaves the training split with one class")
            assert "0: 3 train + 0 dev, 1: 0 train + 1 dev" in str(e)
        else:
            assert set(prepared.train.y[0]) == {0, 1}
    assert 0 < refused < 12


def _refused(config, seed) -> bool:
    try:
        prepare(load_config(config, seed=seed))
    except ConfigError:
        return True
    return False


def test_the_split_check_exits_2_from_the_command_line(cli, tmp_path):
    write(tmp_path / "four.csv", "x,y\n1,0\n2,0\n3,0\n4,1\n")
    config = write(tmp_path / "c.yaml", "data: {source: four.csv, dev_fraction: 0.25}\n"
                                        "model: {layers: [1, 2, 1], activations: [tanh, sigmoid]}\n")
    seed = next(s for s in range(12) if _refused(config, s))
    assert_input_error(cli("train", config, "--seed", seed, "--epochs", "1", "--quiet"), "data.dev_fraction",
                       "class counts")


# ---------------------------------------------------------------------------------------------
# 5. A cell is a number only in plain decimal notation.


@pytest.mark.parametrize("text, value", [
    ("1", 1.0), (" 1", 1.0), ("1 ", 1.0), ("-2.5", -2.5), ("+.5", 0.5), ("1.", 1.0), ("1e5", 1e5), ("1E-3", 1e-3)])
def test_plain_decimal_cells_are_numbers(text, value):
    assert parse_float(text) == value and is_number(text)


@pytest.mark.parametrize("text", ["1_000", "0x10", "1 000", "١٢", "１", "1e", "e5", ".", "+", "+-1", "1,5", ""])
def test_other_cells_are_not_numbers(text):
    assert parse_float(text) is None and not is_number(text)


@pytest.mark.parametrize("text", ["inf", "-Infinity", "nan", "+NaN"])
def test_infinities_and_nan_are_read_so_that_they_can_be_refused(text):
    assert not np.isfinite(parse_float(text)) and not is_number(text)


@pytest.mark.parametrize("cell, fragment", [
    ("1_000", "expected a number, got '1_000'"),
    ("0x10", "expected a number, got '0x10'"),
    ("infinity", "expected a finite number, got 'infinity'"),
])
def test_training_refuses_cells_python_would_read_as_numbers(cli, tmp_path, cell, fragment):
    write(tmp_path / "d.csv", f"x,y\n1,0\n{cell},1\n3,0\n")
    config = write(tmp_path / "c.yaml", "data: {source: d.csv}\nmodel: {layers: [1, 2, 1], "
                                        "activations: [tanh, sigmoid]}\n")
    assert_input_error(cli("train", config, "--epochs", "1", "--quiet"), "line 3, column 'x'", fragment)


def test_predict_refuses_an_underscored_number(cli, fruit, tmp_path):
    data = write(tmp_path / "u.csv", "weight_g,width_cm,height_cm\n1_000,4.55,8.17\n")
    assert_input_error(cli("predict", fruit, data), "line 2, column 'weight_g'", "expected a number, got '1_000'")


def test_spaces_and_exponents_in_cells_are_read(cli, fruit, tmp_path):
    plain = write(tmp_path / "plain.csv", "weight_g,width_cm,height_cm\n107.0,4.55,8.17\n")
    spaced = write(tmp_path / "spaced.csv", "weight_g,width_cm,height_cm\n 1.07e2, 4.55 ,817e-2\n")
    assert cli("predict", fruit, spaced).stdout == cli("predict", fruit, plain).stdout


# ---------------------------------------------------------------------------------------------
# 6. Many classes: a summary instead of a K x K matrix.


def _doc(C):
    C = np.asarray(C)
    K = C.shape[0]
    support = C.sum(axis=1)
    recall = np.divide(np.diag(C), support, out=np.zeros(K), where=support > 0)
    return {"task": "classification", "m": int(C.sum()), "cost": 1.0, "accuracy": float(np.trace(C) / C.sum()),
            "macro_f1": 0.5, "classes": [f"c{k}" for k in range(K)], "confusion_matrix": C.tolist(),
            "per_class": [{"class": f"c{k}", "precision": 0.5, "recall": float(recall[k]), "f1": 0.5,
                           "support": int(support[k])} for k in range(K)]}


def _text(renderables) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    for r in renderables:
        console.print(r)
    return console.export_text()


def test_thirty_classes_still_get_the_full_matrix():
    tables = render.evaluation_tables(_doc(np.eye(30, dtype=int) * 3))
    assert "Confusion matrix" in _text(tables)
    assert tables[-1].row_count == 30


def test_above_thirty_classes_the_matrix_is_summarised():
    K = 40
    C = np.eye(K, dtype=int) * 10
    C[5, 7] = 9   # the most confused pair
    C[12, 3] = 4
    C[12, 12] = 0  # recall 0: the lowest
    C[30, 31] = 4
    C[39, :] = 0   # absent from the data: not in the recall extremes
    tables = render.evaluation_tables(_doc(C))
    text = _text(tables)
    assert "Confusion matrix (rows" not in text
    assert "Most confused pairs (of 17 errors)" in text
    pairs = tables[2]
    assert pairs.row_count == 3
    rows = [[cell for cell in column._cells] for column in pairs.columns]
    assert list(zip(*rows)) == [("c5", "c7", "9", "47.37 %"), ("c12", "c3", "4", "100.00 %"),
                                ("c30", "c31", "4", "28.57 %")]
    extremes = tables[3]
    which, classes = extremes.columns[0]._cells, extremes.columns[1]._cells
    lowest = [c for w, c in zip(which, classes) if w == "lowest"]
    assert lowest == ["c12", "c5", "c30", "c0", "c1"]  # recall 0, 10/19, 10/14, then 1.0 in class order
    assert [c for w, c in zip(which, classes) if w == "highest"] == ["c2", "c3", "c4"]
    assert "c39" not in classes
    assert "--json" in text and "40 x 40" in text


def test_many_classes_summary_shows_at_most_ten_pairs():
    K = 50
    C = np.ones((K, K), dtype=int)
    tables = render.evaluation_tables(_doc(C))
    assert tables[2].row_count == 10


def test_evaluate_with_many_classes_summarises_and_json_keeps_the_matrix(cli, tmp_path):
    config = write(tmp_path / "blobs.yaml", "data: {source: blobs, n_classes: 40, n_samples: 400}\n"
                                            "model: {layers: [2, 40], activations: [softmax]}\n")
    model = tmp_path / "m.npz"
    assert cli("train", config, "--epochs", "2", "--save", model, "--quiet").exit_code == 0
    rng = np.random.default_rng(0)
    data = write(tmp_path / "d.csv", "x1,x2,label\n" + "".join(
        f"{a:.6f},{b:.6f},{k}\n" for (a, b), k in zip(rng.uniform(-5, 5, (200, 2)), rng.integers(0, 40, 200))))
    result = cli("evaluate", model, data)
    assert result.exit_code == 0, result.output
    assert "Most confused pairs" in result.stdout and "Confusion matrix (rows" not in result.stdout
    doc = json.loads(cli("evaluate", model, data, "--json").stdout)
    assert np.array(doc["confusion_matrix"]).shape == (40, 40)


# ---------------------------------------------------------------------------------------------
# 7. Long lists are cut at a name boundary.


def test_a_short_list_is_whole():
    assert listed(["a", "b", "c"]) == "a, b, c"


def test_a_long_list_is_cut_between_names_and_counts_the_rest():
    names = [f"column_{i}" for i in range(1000)]
    text = listed(names)
    head, tail = text.split(", ... and ")
    shown = head.split(", ")
    assert shown == names[: len(shown)]
    assert tail == f"{1000 - len(shown)} more"
    assert len(text) <= 200


def test_one_huge_name_is_cut_on_its_own():
    text = listed(["x" * 5000, "b"])
    assert text.endswith("…, b") and len(text) < 200


def test_a_long_header_in_an_error_is_cut_between_names(cli, fruit, tmp_path):
    names = [f"column_{i}" for i in range(1000)]
    data = write(tmp_path / "wide.csv", ",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    result = cli("predict", fruit, data)
    assert_input_error(result, "no column name matches")
    listed_part = result.stderr.split("columns named ")[2].split(": no column")[0]
    head, tail = listed_part.split(", ... and ")
    assert head.split(", ") == names[: len(head.split(", "))]
    assert tail.endswith(" more")


def test_an_unseen_label_lists_the_classes_cut_between_names(cli, tmp_path):
    config = write(tmp_path / "blobs.yaml", "data: {source: blobs, n_classes: 300, n_samples: 600}\n"
                                            "model: {layers: [2, 300], activations: [softmax]}\n")
    model = _save_trained(tmp_path / "m.npz", config, epochs=1)
    data = write(tmp_path / "d.csv", "x1,x2,label\n0,0,999\n")
    result = cli("evaluate", model, data)
    assert_input_error(result, "label '999' was not seen in training", "the model's classes are 0, 1, 2,", "more")
    assert len(result.stderr) < 400
