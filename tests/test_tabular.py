"""Real tabular data: regression targets in their own units, categorical features and missing cells, a starter
config from a CSV, separate dev and test files, and the fast reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dnn_cli.config import load_config
from dnn_cli.errors import DataError
from dnn_cli.io.modelfile import load_model
from dnn_cli.io.statefile import restore_state
from dnn_cli.pipeline import fit, fit_encoder, prepare, train_split
from dnn_cli.predictor import read_inputs

from .conftest import CONFIGS, assert_input_error, write

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


# ---------------------------------------------------------------------------------------------
# 2. Categorical features and missing values

PETS = """\
colour,weight,kind
red,1.0,cat
blue,2.0,dog
red,3.0,cat
green,4.0,dog
blue,5.0,dog
red,6.0,cat
"""


def _pets_config(tmp_path, text=PETS, data="", layers="[4, 3, 1]", epochs=20):
    write(tmp_path / "pets.csv", text)
    return write(tmp_path / "pets.yaml", f"""\
seed: 0
data:
  source: pets.csv
{data}model:
  layers: {layers}
  activations: [relu, sigmoid]
  init: he
train:
  learning_rate: 0.1
  epochs: {epochs}
  log_every: 10
""")


def test_a_text_column_is_one_hot_encoded_with_sorted_categories(tmp_path):
    prepared = prepare(load_config(_pets_config(tmp_path)))
    assert prepared.train.feature_names == ("colour=blue", "colour=green", "colour=red", "weight")
    expected = [[0, 1, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0], [1, 0, 1, 0, 0, 1], [1, 2, 3, 4, 5, 6]]
    np.testing.assert_array_equal(prepared.train.X, expected)
    assert prepared.encoder.describe() == "n^[0] = 4 from 2 columns: colour (one-hot: blue, green, red), weight"


def test_categories_come_from_the_training_split_only(tmp_path):
    config = load_config(_pets_config(tmp_path, data="  dev_fraction: 0.5\n"))
    # Which rows go to dev is the seed's choice: the encoder prepare fits, on that training split.
    encoder = fit_encoder(config, train_split(config))
    train_colours = encoder.columns[0].categories
    assert len(train_colours) < 3  # the seed leaves a colour to the dev split only
    with pytest.raises(DataError) as caught:
        prepare(config)
    message = str(caught.value)
    assert "column 'colour'" in message and "is not a category seen in training (the dev split)" in message
    assert "expected one of " + ", ".join(train_colours) in message

    data = "  dev_fraction: 0.5\n  unknown_categories: ignore\n"
    prepared = prepare(load_config(_pets_config(tmp_path, data=data, layers=f"[{encoder.n_x}, 3, 1]")))
    assert prepared.train.feature_names == encoder.feature_names()
    one_hot = prepared.dev.X[: len(train_colours)]
    assert one_hot.sum() == prepared.dev.m - 1  # the dev sample of the unseen colour: all zeros


def test_an_unseen_category_at_predict_time_names_column_value_and_known_ones(cli, tmp_path):
    config = _pets_config(tmp_path)
    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    new = write(tmp_path / "new.csv", "weight,colour\n2.5,blue\n3.5,purple\n")
    result = cli("predict", tmp_path / "m.npz", new)
    assert_input_error(result, "new.csv: line 3, column 'colour': 'purple' is not a category seen in training; "
                               "expected one of blue, green, red")
    ok = write(tmp_path / "ok.csv", "weight,colour\n2.5,blue\n3.5,red\n")
    assert cli("predict", tmp_path / "m.npz", ok).exit_code == 0


def test_unknown_categories_ignore_encodes_all_zeros_at_predict_time(cli, tmp_path):
    config = _pets_config(tmp_path, data="  unknown_categories: ignore\n")
    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    model = load_model(tmp_path / "m.npz")
    new = write(tmp_path / "new.csv", "weight,colour\n3.5,purple\n3.5,red\n")
    inputs = read_inputs(new, n_x=4, feature_names=model.features, encoder=model.encoder)
    np.testing.assert_array_equal(inputs.X, [[0, 0], [0, 0], [0, 1], [3.5, 3.5]])
    result = cli("predict", tmp_path / "m.npz", new)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize("cell, fragment", [("", "line 3, column 'weight': expected a number, got an empty cell"),
                                            ("nan", "line 3, column 'weight': expected a finite number, got 'nan'")])
def test_missing_error_keeps_the_messages_of_a_numeric_column(cli, tmp_path, cell, fragment):
    text = PETS.replace("blue,2.0,dog", f"blue,{cell},dog")
    assert_input_error(cli("train", _pets_config(tmp_path, text)), fragment)


def test_missing_error_names_a_missing_text_cell_and_the_keys_that_accept_it(cli, tmp_path):
    text = PETS.replace("blue,2.0,dog", "NA,2.0,dog")
    assert_input_error(cli("train", _pets_config(tmp_path, text)),
                       "line 3, column 'colour': expected a value, got a missing cell ('NA'); set data.missing: "
                       "drop or mean")


def test_missing_drop_leaves_out_the_rows_and_says_how_many(cli, tmp_path):
    text = PETS.replace("blue,2.0,dog", "blue,,dog").replace("green,4.0,dog", "NA,4.0,dog")
    result = cli("train", _pets_config(tmp_path, text, data="  missing: drop\n", layers="[3, 3, 1]"), "-q")
    assert result.exit_code == 0, result.output
    assert "dnn: note: " in result.stderr
    assert "dropped 2 rows with a missing cell (lines 3, 5); 4 remain" in result.stderr
    prepared = prepare(load_config(tmp_path / "pets.yaml"))
    assert prepared.train.m == 4 and prepared.train.feature_names == ("colour=blue", "colour=red", "weight")


def test_missing_mean_fills_the_training_mean_and_a_missing_category(cli, tmp_path):
    text = PETS.replace("blue,2.0,dog", "blue,NaN,dog").replace("green,4.0,dog", ",4.0,dog")
    config = _pets_config(tmp_path, text, data="  missing: mean\n")
    prepared = prepare(load_config(config))
    assert prepared.train.feature_names == ("colour=blue", "colour=red", "colour=(missing)", "weight")
    fill = (1 + 3 + 4 + 5 + 6) / 5
    np.testing.assert_allclose(prepared.train.X[3], [1, fill, 3, 4, 5, 6], rtol=1e-15)
    np.testing.assert_array_equal(prepared.train.X[2], [0, 0, 0, 1, 0, 0])

    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    model = load_model(tmp_path / "m.npz")
    gaps = write(tmp_path / "gaps.csv", "colour,weight\nred,\nNA,2\n")
    inputs = read_inputs(gaps, n_x=4, feature_names=model.features, encoder=model.encoder)
    np.testing.assert_allclose(inputs.X, [[0, 0], [1, 0], [0, 1], [fill, 2]], rtol=1e-15)
    filled = write(tmp_path / "filled.csv", f"colour,weight\nred,{fill!r}\n")
    a = cli("predict", tmp_path / "m.npz", gaps, "--proba").stdout.splitlines()[1]
    b = cli("predict", tmp_path / "m.npz", filled, "--proba").stdout.splitlines()[1]
    assert a == b


def test_categorical_model_round_trips_through_save_predict_evaluate_and_resume(cli, tmp_path):
    config = _pets_config(tmp_path, data="  standardize: true\n", epochs=30)
    whole = prepare(load_config(config))
    fit(whole)
    assert cli("train", config, "-q", "--epochs", "12", "--save", tmp_path / "first.npz").exit_code == 0
    model = load_model(tmp_path / "first.npz")
    assert model.encoder.to_json() == whole.encoder.to_json()
    assert model.features == ("colour=blue", "colour=green", "colour=red", "weight")
    second = prepare(load_config(config), parameters=model.resume_parameters())
    restore_state(second.state, model)
    fit(second)
    for P, P_ref in zip(second.network.W + second.network.b, whole.network.W + whole.network.b):
        np.testing.assert_array_equal(P, P_ref)
    assert cli("train", config, "-q", "--resume", tmp_path / "first.npz", "--save", tmp_path / "end.npz").exit_code == 0

    evaluated = cli("evaluate", tmp_path / "end.npz", tmp_path / "pets.csv", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    document = json.loads(evaluated.stdout)
    predicted = cli("predict", tmp_path / "end.npz", tmp_path / "pets.csv").stdout.splitlines()[1:]
    truth = [line.split(",")[2] for line in PETS.splitlines()[1:]]
    assert document["accuracy"] == pytest.approx(np.mean([p == t for p, t in zip(predicted, truth)]), abs=1e-12)


def test_resume_refuses_data_whose_categories_changed(cli, tmp_path):
    config = _pets_config(tmp_path)
    assert cli("train", config, "-q", "--epochs", "5", "--save", tmp_path / "c.npz").exit_code == 0
    write(tmp_path / "pets.csv", PETS.replace("green", "white"))
    result = cli("train", config, "-q", "--resume", tmp_path / "c.npz")
    assert_input_error(result, "cannot resume on this data", "colour=white")


def test_n0_mismatch_says_where_the_encoded_features_come_from(cli, tmp_path):
    result = cli("train", _pets_config(tmp_path, layers="[2, 3, 1]"))
    assert_input_error(result, "n^[0] = 2 but the data", "has 4 features after encoding (n^[0] = 4 from 2 columns: "
                                                         "colour (one-hot: blue, green, red), weight)")


def test_shapes_shows_n0_after_encoding_and_its_columns(cli, tmp_path):
    result = cli("shapes", _pets_config(tmp_path))
    assert result.exit_code == 0, result.output
    assert "n^[0] = 4 from 2 columns: colour (one-hot: blue, green, red), weight" in " ".join(result.stdout.split())


@pytest.mark.parametrize("layers, fragment", [
    ("[2, 3, 1]", "n^[0] = 2 but the data"),
    ("[4, 3, 2]", "model.layers[-1]"),
])
def test_shapes_refuses_a_network_that_does_not_fit_the_data_as_train_does(cli, tmp_path, layers, fragment):
    """Before, it printed the table of the configured n^[0] beside the data's other n^[0], and exit 0."""
    config = _pets_config(tmp_path, layers=layers)
    shapes, train = cli("shapes", config), cli("train", config)
    assert_input_error(shapes, fragment)
    assert shapes.stderr == train.stderr


def test_a_model_file_with_a_bad_encoder_is_refused(cli, tmp_path):
    config = _pets_config(tmp_path)
    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    with np.load(tmp_path / "m.npz") as archive:
        arrays = dict(archive)
    document = json.loads(str(arrays["encoder"]))
    document["columns"][0]["categories"].append("white")
    arrays["encoder"] = np.array(json.dumps(document))
    np.savez(tmp_path / "bad.npz", **arrays)
    result = cli("predict", tmp_path / "bad.npz", tmp_path / "pets.csv")
    assert_input_error(result, "array 'encoder': expected columns encoding to n^[0] = 4 features, got 5")


def test_a_numeric_table_keeps_no_encoder(cli, tmp_path):
    assert cli("train", CONFIGS / "fruit.yaml", "-q", "--epochs", "5", "--save", tmp_path / "f.npz").exit_code == 0
    with np.load(tmp_path / "f.npz") as archive:
        assert "encoder" not in archive.files


# ---------------------------------------------------------------------------------------------
# 4. Separate dev and test files

def _split_pets(tmp_path, dev_text, test_text, data_extra=""):
    write(tmp_path / "dev.csv", dev_text)
    write(tmp_path / "test.csv", test_text)
    return _pets_config(tmp_path, data="  dev_source: dev.csv\n  test_source: test.csv\n" + data_extra)


DEV = "kind,weight,colour\ncat,1.5,red\ndog,4.5,blue\n"  # the columns in another order: matched by name
TEST = "colour,weight,kind\nred,2.0,cat\nblue,5.5,dog\ngreen,3.5,dog\n"


def test_dev_and_test_files_are_encoded_like_the_training_file(tmp_path):
    prepared = prepare(load_config(_split_pets(tmp_path, DEV, TEST)))
    assert prepared.train.m == 6 and prepared.dev.m == 2 and prepared.test.m == 3
    np.testing.assert_array_equal(prepared.dev.X, [[0, 1], [0, 0], [1, 0], [1.5, 4.5]])
    np.testing.assert_array_equal(prepared.test.X, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [2.0, 5.5, 3.5]])
    assert prepared.train.classes == ("cat", "dog")
    np.testing.assert_array_equal(prepared.test.y, [[0, 1, 1]])


def test_test_metrics_are_measured_once_on_the_final_model_and_recorded(cli, tmp_path):
    config = _split_pets(tmp_path, DEV, TEST, "  standardize: true\n")
    metrics = tmp_path / "m.json"
    result = cli("train", config, "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    final = json.loads(metrics.read_text())["final"]
    prepared = prepare(load_config(config))
    fit(prepared)
    AL = prepared.network.predict_proba(prepared.test.X)
    expected = float(np.mean((AL > 0.5).astype(int) == prepared.test.y))
    assert final["test_accuracy"] == expected and final["test_m"] == 3
    assert final["test_cost"] == prepared.network.cost(AL, prepared.test.y)
    assert "test accuracy" in result.stdout and "test samples" in result.stdout
    history = json.loads(metrics.read_text())["history"]
    assert not any(key.startswith("test_") for row in history for key in row)


def test_a_regression_test_file_scores_rmse_in_the_targets_units(tmp_path):
    table = (CONFIGS / "houses.csv").read_text().splitlines()
    write(tmp_path / "train.csv", "\n".join(table[:181]) + "\n")
    write(tmp_path / "test.csv", "\n".join(table[:1] + table[181:]) + "\n")
    config = write(tmp_path / "h.yaml", (CONFIGS / "houses.yaml").read_text().replace(
        "source: houses.csv", "source: train.csv\n  test_source: test.csv").replace("epochs: 2000", "epochs: 200"))
    prepared = prepare(load_config(config))
    result = fit(prepared)
    scaler = prepared.target_scaler
    AL = prepared.network.predict_proba(prepared.test.X) * scaler.std + scaler.mean
    y = np.loadtxt(tmp_path / "test.csv", delimiter=",", skiprows=1)[:, 3]
    np.testing.assert_allclose(result.final["test_rmse"], np.sqrt(np.mean((AL[0] - y) ** 2)), rtol=1e-12)


@pytest.mark.parametrize("test_text, fragment", [
    ("colour,kind\nred,cat\n", "test.csv: line 1: missing column(s) 'weight'; expected the columns of data.source"),
    ("colour,weight,kind,age\nred,1,cat,3\n", "test.csv: line 1: extra column(s) 'age'"),
    ("colour,weight,kind\nred,1,cow\n", "test.csv: line 2, column 'kind': label 'cow' is not a class of data.source; "
                                        "expected one of cat, dog"),
    ("colour,weight,kind\nred,x,cat\n", "test.csv: line 2, column 'weight': expected a number, got 'x'"),
    ("colour,weight,kind\npurple,1,cat\n", "test.csv: line 2, column 'colour': 'purple' is not a category seen in "
                                           "training (data.test_source)"),
], ids=["missing-column", "extra-column", "unknown-label", "bad-number", "unknown-category"])
def test_a_test_file_with_other_columns_or_values_is_refused_by_name(cli, tmp_path, test_text, fragment):
    assert_input_error(cli("train", _split_pets(tmp_path, DEV, test_text)), fragment)


def test_dev_source_comes_instead_of_dev_fraction(cli, tmp_path):
    config = _split_pets(tmp_path, DEV, TEST, "  dev_fraction: 0.2\n")
    assert_input_error(cli("train", config), "data.dev_source: comes instead of dev_fraction")
    flower = cli("train", CONFIGS / "flower.yaml", "--set", f"data.test_source={tmp_path / 'test.csv'}")
    assert_input_error(flower, "data.test_source: expected data.source to be a data file")
    gone = _pets_config(tmp_path, data="  test_source: gone.csv\n")
    assert_input_error(cli("train", gone), "data.test_source: no such file")


def test_a_dev_file_drives_early_stopping_and_resumes(cli, tmp_path):
    config = _split_pets(tmp_path, DEV, TEST)
    text = config.read_text().replace("  log_every: 10\n", "  log_every: 10\n  early_stopping: {patience: 5}\n")
    write(config, text)
    assert cli("train", config, "-q", "--epochs", "8", "--save", tmp_path / "c.npz").exit_code == 0
    resumed = cli("train", config, "--epochs", "16", "--resume", tmp_path / "c.npz")
    assert resumed.exit_code == 0, resumed.output
    assert "test accuracy" in resumed.stdout


def test_missing_drop_in_a_test_file_is_reported(cli, tmp_path):
    config = _split_pets(tmp_path, DEV, TEST + "red,,cat\n", "  missing: drop\n")
    result = cli("train", config, "-q")
    assert result.exit_code == 0, result.output
    assert "test.csv: dropped 1 row with a missing cell (line 5); 3 remain" in result.stderr


def test_missing_mean_round_trips_through_evaluate_and_resume(cli, tmp_path):
    text = PETS.replace("blue,2.0,dog", "blue,NaN,dog").replace("green,4.0,dog", ",4.0,dog")
    config = _pets_config(tmp_path, text, data="  missing: mean\n", epochs=20)
    whole = prepare(load_config(config))
    fit(whole)
    assert cli("train", config, "-q", "--epochs", "9", "--save", tmp_path / "c.npz").exit_code == 0
    model = load_model(tmp_path / "c.npz")
    assert model.encoder.columns[1].fill == pytest.approx((1 + 3 + 4 + 5 + 6) / 5, rel=1e-15)
    second = prepare(load_config(config), parameters=model.resume_parameters())
    restore_state(second.state, model)
    fit(second)
    for P, P_ref in zip(second.network.W + second.network.b, whole.network.W + whole.network.b):
        np.testing.assert_array_equal(P, P_ref)
    evaluated = cli("evaluate", tmp_path / "c.npz", tmp_path / "pets.csv", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["m"] == 6


def test_a_model_with_text_columns_is_never_matched_by_position(cli, tmp_path):
    assert cli("train", _pets_config(tmp_path), "-q", "--save", tmp_path / "m.npz").exit_code == 0
    result = cli("predict", tmp_path / "m.npz", tmp_path / "pets.csv", "--by-position")
    assert_input_error(result, "the model encodes text columns, which are matched by name, not by position")


def test_the_plot_of_a_scaled_target_regression_is_in_the_targets_units(tmp_path):
    """The model panel of --plot (and compare-init --plot) draws targets and the network's output in the targets'
    own units, not the standardised ones the network learnt."""
    from dnn_cli.cli._plots import data_for_plot
    from dnn_cli.decision_boundary import decision_curve

    x = np.linspace(-2, 2, 40)
    write(tmp_path / "line.csv", "x,price\n" + "".join(f"{v!r},{1000 + 300 * v!r}\n" for v in x.tolist()))
    config = write(tmp_path / "line.yaml", "seed: 0\ndata:\n  source: line.csv\nmodel:\n  layers: [1, 1]\n"
                                           "  activations: [linear]\ntrain:\n  learning_rate: 0.1\n  epochs: 300\n")
    prepared = prepare(load_config(config))
    assert prepared.target_scaler is not None
    fit(prepared)
    X, y = data_for_plot(prepared)
    np.testing.assert_allclose(np.sort(y[0]), 1000 + 300 * x, rtol=1e-12)
    curve = decision_curve(prepared.network, X, target_scaler=prepared.target_scaler)
    np.testing.assert_allclose(curve.values, 1000 + 300 * curve.x, rtol=1e-6)
