"""data.ignore_columns: columns of a CSV that are not features (identifiers, free text, a leak of the label) are
left out of X on every path (the fast reader, the careful one, raw columns to encode, dev and test files), and the
files predict and evaluate read may keep them; keys meant for the other kind of source are refused."""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli.config import config_from_dict, load_config
from dnn_cli.errors import ConfigError, DataError
from dnn_cli.io.tables import load_file
from dnn_cli.pipeline import prepare

from .conftest import assert_input_error, write

ROWS = [(1, "Ann", 1.5, 20.0, "red", 0), (2, "Bob", 2.5, 21.0, "blue", 1), (3, "Cy", 0.5, 19.0, "red", 0),
        (4, "Di", 3.5, 25.0, "blue", 1), (5, "Ed", 1.0, 18.0, "red", 0), (6, "Flo", 3.0, 24.0, "blue", 1),
        (7, "Gus", 0.8, 19.5, "red", 0), (8, "Hal", 2.9, 23.0, "blue", 1)]


def table(path, columns=("id", "name", "size", "age", "colour", "kind"), rows=ROWS):
    keep = [("id", "name", "size", "age", "colour", "kind").index(c) for c in columns]
    text = ",".join(columns) + "\n" + "".join(",".join(str(r[i]) for i in keep) + "\n" for r in rows)
    return write(path, text)


def config(tmp_path, ignore="[id, name]", layers="[4, 3, 1]", extra=""):
    return write(tmp_path / "c.yaml", f"seed: 0\ndata:\n  source: d.csv\n  ignore_columns: {ignore}\n{extra}"
                                      f"model:\n  layers: {layers}\n  activations: [relu, sigmoid]\n"
                                      "train:\n  epochs: 5\n")


def test_ignored_columns_are_not_features(tmp_path):
    table(tmp_path / "d.csv")
    prepared = prepare(load_config(config(tmp_path)))
    assert prepared.train.feature_names == ("size", "age", "colour=blue", "colour=red")
    assert prepared.network.layers[0] == 4


@pytest.mark.parametrize("ignore", [["id"], ["age"], ["id", "age"], ["size", "id"]])
def test_the_fast_reader_leaves_them_out_as_the_careful_one_does(tmp_path, monkeypatch, ignore):
    """A CSV of numbers: the features are selected in place in the table's buffer; the same Dataset, bit for bit."""
    import dnn_cli.io.tables as tables

    path = table(tmp_path / "n.csv", ("id", "size", "age", "kind"))
    fast = load_file(path, ignore=ignore)
    monkeypatch.setattr(tables, "numeric_table", lambda p: None)
    careful = load_file(path, ignore=ignore)
    assert fast.feature_names == careful.feature_names == tuple(c for c in ("id", "size", "age") if c not in ignore)
    np.testing.assert_array_equal(fast.X, careful.X)
    np.testing.assert_array_equal(fast.y, careful.y)
    assert fast.classes == careful.classes == (0, 1)


def test_predict_and_evaluate_take_files_with_or_without_the_ignored_columns(cli, tmp_path):
    table(tmp_path / "d.csv")
    assert cli("train", config(tmp_path), "-q", "--save", tmp_path / "m.npz").exit_code == 0
    full = cli("predict", tmp_path / "m.npz", tmp_path / "d.csv")
    assert full.exit_code == 0, full.output
    lean = table(tmp_path / "lean.csv", ("size", "colour", "age"))
    assert cli("predict", tmp_path / "m.npz", lean).stdout == full.stdout
    assert cli("evaluate", tmp_path / "m.npz", tmp_path / "d.csv").exit_code == 0


def test_dev_and_test_files_may_keep_or_drop_the_ignored_columns(cli, tmp_path):
    table(tmp_path / "d.csv")
    table(tmp_path / "dev.csv", rows=ROWS[:4])
    table(tmp_path / "test.csv", ("size", "age", "colour", "kind"), rows=ROWS[4:])
    path = config(tmp_path, extra="  dev_source: dev.csv\n  test_source: test.csv\n")
    prepared = prepare(load_config(path))
    assert prepared.dev.X.shape == (4, 4) and prepared.test.X.shape == (4, 4)


@pytest.mark.parametrize("ignore, fragment", [
    ("[idd]", "d.csv: data.ignore_columns: no column 'idd': expected one of id, name, size, age, colour, kind; "
              "did you mean 'id'?"),
    ("[kind]", "d.csv: data.ignore_columns: 'kind' is the label column; expected feature columns to leave out"),
    ("[id, name, size, age, colour]", "d.csv: data.ignore_columns leaves out every feature column"),
    ("[id, id]", "c.yaml:4: data.ignore_columns: expected each column once, got 'id' more than once"),
    ("id", "c.yaml:4: data.ignore_columns: expected"),
])
def test_a_wrong_ignore_list_is_refused_naming_the_key(cli, tmp_path, ignore, fragment):
    table(tmp_path / "d.csv")
    assert_input_error(cli("train", config(tmp_path, ignore), "-q"), fragment)


@pytest.mark.parametrize("data, fragment", [
    ({"source": "flower", "label": "y"}, "data.label: expected only with a data file (CSV) as data.source, got "
                                         "the built-in dataset 'flower'; remove it"),
    ({"source": "flower", "ignore_columns": ["x1"]}, "data.ignore_columns: expected only with a data file"),
    ({"source": "flower", "missing": "mean"}, "data.missing: expected only with a data file"),
    ({"source": "flower", "unknown_categories": "ignore"}, "data.unknown_categories: expected only with a data file"),
    ({"source": "d.csv", "n_samples": 50}, "data.n_samples: expected only with a built-in dataset as data.source, "
                                           "got the data file 'd.csv'; remove it"),
    ({"source": "d.csv", "noise": 0.1}, "data.noise: expected only with a built-in dataset"),
])
def test_a_data_key_for_the_other_kind_of_source_is_refused(data, fragment):
    """Before, it was silently ignored: the run was not the one its author meant."""
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"data": data, "model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]}})
    assert fragment in str(caught.value)


def test_an_array_file_refuses_ignore_columns(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match="d.npz: ignore_columns applies to CSV files only"):
        load_file(tmp_path / "d.npz", ignore=["x1"])


def people(path, m=60):
    """Rows with a row number, a name per row, two measurements (distinct, not a run), a category and a label."""
    rng = np.random.default_rng(0)
    lines = ["PassengerId,Name,Age,Fare,Sex,Survived"]
    for k in range(m):
        sex = ("male", "female")[k % 2]
        fare = round(float(rng.uniform(5, 100)), 2)
        lines.append(f"{k + 1},Person {k} Smith,{20 + k * 0.5},{fare},{sex},{int((sex == 'female') ^ (fare < 20))}")
    return write(path, "\n".join(lines) + "\n")


def test_init_leaves_out_row_numbers_and_names_and_says_why(cli, tmp_path):
    people(tmp_path / "people.csv")
    result = cli("init", "--data", tmp_path / "people.csv", tmp_path / "people.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "people.yaml").read_text(encoding="utf-8")
    assert "ignore_columns: [PassengerId, Name]" in text
    assert ("# data.ignore_columns: 'PassengerId' (60 distinct integers 1 .. 60: a row number), 'Name' (60 distinct "
            "texts in 60 rows: an identifier or free text): left out of the features." in text)
    assert "n^[0] = 4 from 3 columns: Age, Fare, Sex (one-hot: female, male)" in result.stdout
    trained = cli("train", tmp_path / "people.yaml", "-q", "--epochs", "5")
    assert trained.exit_code == 0 and "warning" not in trained.stderr


def test_training_on_an_identifier_column_warns_and_records_it(cli, tmp_path):
    people(tmp_path / "people.csv")
    config = write(tmp_path / "c.yaml", "data:\n  source: people.csv\n  ignore_columns: [PassengerId]\nmodel:\n"
                                        "  layers: [64, 4, 1]\n  activations: [relu, sigmoid]\ntrain:\n  epochs: 3\n")
    result = cli("train", config, "-q", "--metrics-out", tmp_path / "m.json")
    assert result.exit_code == 0, result.output
    said = "column 'Name' has 60 distinct texts in 60 training rows, one-hot encoded into 60 features"
    assert f"dnn: warning: {tmp_path / 'people.csv'}: {said}" in result.stderr
    assert "list it in data.ignore_columns" in result.stderr
    import json

    assert any(said in w for w in json.loads((tmp_path / "m.json").read_text())["warnings"])


def test_a_few_categories_or_distinct_measurements_are_not_identifiers(cli, tmp_path):
    from dnn_cli.io.tables import read_table
    from dnn_cli.starter_config import columns_to_leave_out

    path = people(tmp_path / "people.csv")
    table_ = read_table(path)
    assert list(columns_to_leave_out(table_, 5)) == ["PassengerId", "Name"]  # Age, Fare: distinct, but no run of ids
    few = write(tmp_path / "few.csv", "a,b\n" + "".join(f"{k},{k % 2}\n" for k in range(10)))
    assert columns_to_leave_out(read_table(few), 1) == {}  # too few rows to tell


def test_a_model_saved_with_a_key_its_run_ignored_still_loads(cli, tmp_path):
    """A model trained before such keys were refused: its config kept them, and predict still reads it."""
    import json

    from dnn_cli.io.modelfile import load_model

    config = write(tmp_path / "c.yaml", "data:\n  source: flower\nmodel:\n  layers: [2, 3, 1]\n"
                                        "  activations: [tanh, sigmoid]\ntrain:\n  epochs: 3\n")
    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    with np.load(tmp_path / "m.npz") as f:
        arrays = {k: f[k] for k in f.files}
    saved = json.loads(str(arrays["config"]))
    saved["data"].update(label="y", missing="mean")
    arrays["config"] = np.array(json.dumps(saved))
    np.savez(tmp_path / "old.npz", **arrays)
    model = load_model(tmp_path / "old.npz")
    assert model.config.data.label is None and model.config.data.missing == "error"
    data = write(tmp_path / "x.csv", "x1,x2\n0.5,1.5\n")
    assert cli("predict", tmp_path / "old.npz", data).exit_code == 0


def test_missing_cells_of_a_left_out_column_do_not_set_data_missing(cli, tmp_path):
    text = people(tmp_path / "p.csv").read_text(encoding="utf-8").splitlines()
    # Blank out some names: they are left out, so the config needs no policy for missing cells.
    lines = [text[0]] + [",".join([r.split(",")[0], "" if k % 3 == 0 else r.split(",")[1], *r.split(",")[2:]])
                         for k, r in enumerate(text[1:])]
    write(tmp_path / "p.csv", "\n".join(lines) + "\n")
    result = cli("init", "--data", tmp_path / "p.csv", tmp_path / "p.yaml")
    assert result.exit_code == 0, result.output
    config = (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert "ignore_columns: [PassengerId, Name]" in config and "missing:" not in config


def test_init_leaves_out_ids_by_name_and_dates_but_not_sorted_measurements(tmp_path):
    from dnn_cli.io.tables import read_table
    from dnn_cli.starter_config import columns_to_leave_out

    lines = ["customer_id,signup,area,visits,bought"]
    for k in range(40):
        lines.append(f"{1000 + 7 * k},2024-{1 + k % 12:02d}-{1 + k % 28:02d},{50 + 3 * k},{k % 4},{k % 2}")
    found = columns_to_leave_out(read_table(write(tmp_path / "c.csv", "\n".join(lines) + "\n")), 4)
    assert list(found) == ["customer_id", "signup"]
    assert "40 distinct integers 1000 .. 1273: an identifier" in found["customer_id"]
    assert "dates, 40 distinct: dnn does not parse dates" in found["signup"]
    # 'area' also holds distinct integers in increasing order, but neither one run nor an id's name: a feature.


def test_a_starter_config_far_from_its_data_trains_as_written(cli, tmp_path):
    """A data path longer than the comment column: the comment keeps its space (before, '...csv# relative to
    this file' became part of the path)."""
    data = tmp_path / "a_rather_long_folder_name" / "and_another_level" / "people.csv"
    data.parent.mkdir(parents=True)
    people(data)
    config = tmp_path / "configs" / "p.yaml"
    config.parent.mkdir()
    assert cli("init", "--data", data, config).exit_code == 0
    assert "source: ../a_rather_long_folder_name/and_another_level/people.csv # relative to this file" in \
        config.read_text(encoding="utf-8")
    result = cli("train", config, "-q", "--epochs", "3")
    assert result.exit_code == 0, result.output
