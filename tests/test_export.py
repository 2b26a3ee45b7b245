"""`dnn export`: the ONNX graph run by onnxruntime gives what `dnn predict --proba` and `dnn predict` print, for
every activation, task, dtype and with or without standardisation; what it cannot carry is refused."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys

import numpy as np
import pytest

from dnn_cli.errors import ModelFileError
from dnn_cli.io.modelfile import Model, load_model, save_model
from dnn_cli.network import Network
from dnn_cli.preprocessing import Standardizer

from .conftest import assert_input_error, train_and_save

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
TASKS = {"binary": ("sigmoid", ["no", "yes"]), "multiclass": ("softmax", ["a", "b", "c"]),
         "integers": ("softmax", [3, 7, 11]), "regression": ("linear", None)}
RTOL = {"float64": 1e-12, "float32": 1e-6}
# An output near 0 reached by cancellation carries the rounding of the terms that cancelled: the absolute tolerance
# is relative to the output layer's terms, max |W^[L]| |A^[L-1]| + |b^[L]| (float64: a thousandth of it).
SCALE_FRACTION = {"float64": 1e-3, "float32": 1.0}


def term_scale(model_path, X) -> float:
    """max over samples and units of |W^[L]| |A^[L-1]| + |b^[L]|, in float64; X (m, n^[0]) as rows."""
    from dnn_cli.predictor import scale

    model = load_model(model_path)
    network = model.network.astype(np.float64)
    A = scale(model, np.asarray(X, dtype=np.float64).T)
    for W, b, g in zip(network.W[:-1], network.b[:-1], network.g[:-1]):
        A = g(W @ A + b)
    return float((np.abs(network.W[-1]) @ np.abs(A) + np.abs(network.b[-1])).max())


def assert_close(got, expected, dtype, scale=1.0):
    atol = RTOL[dtype] * SCALE_FRACTION[dtype] * max(scale, 1.0)
    np.testing.assert_allclose(got, np.asarray(expected, dtype=np.float64), rtol=RTOL[dtype], atol=atol)


def onnx_modules():
    onnx = pytest.importorskip("onnx", reason="needs onnx: pip install -e '.[onnx]'")
    onnxruntime = pytest.importorskip("onnxruntime", reason="needs onnxruntime: pip install -e '.[onnx]'")
    return onnx, onnxruntime


def write_model(tmp_path, hidden="tanh", task="binary", dtype="float64", standardize=True, m=60, seed=0,
                target_scaler=None):
    """A training CSV (features on very different scales) and a model file for it, written as `dnn train --save`
    writes one; parameters at scale 1 so that every activation works on both sides of its bends."""
    rng = np.random.default_rng(seed)
    output, classes = TASKS[task]
    n_x, n_L = 3, {"binary": 1, "regression": 1}.get(task, 3)
    X = rng.standard_normal((n_x, m)) * np.array([[100.0], [1.0], [0.01]]) + np.array([[500.0], [-2.0], [0.0]])
    features = ["weight", "width", "tilt"]
    y = [classes[k] for k in rng.integers(0, len(classes), m)] if classes else list(rng.standard_normal(m))
    data = tmp_path / "train.csv"
    with data.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features, "label"])
        writer.writerows([*(repr(float(v)) for v in X[:, i]), y[i]] for i in range(m))
    standardizer = Standardizer.fit(X) if standardize else None
    layers = [n_x, 5, 4, n_L]
    W = [rng.standard_normal((n, p)) * (1.0 if standardize else 1 / np.abs(X).max()) ** (l == 0)
         for l, (n, p) in enumerate(zip(layers[1:], layers[:-1]))]
    b = [rng.standard_normal((n, 1)) for n in layers[1:]]
    # Centre the output layer on the data, so that every class is predicted for some samples.
    A = standardizer.transform(X) if standardize else X
    for w, v, g in zip(W[:-1], b[:-1], [hidden, hidden]):
        A = Network([w], [v], [g]).predict_proba(A)
    b[-1] -= np.median(W[-1] @ A + b[-1], axis=1, keepdims=True)
    network = Network([w.astype(dtype) for w in W], [v.astype(dtype) for v in b], [hidden, hidden, output])
    config = {"seed": 0, "data": {"source": str(data), "label": "label", "standardize": standardize},
              "model": {"layers": layers, "activations": [hidden, hidden, output]}, "train": {"dtype": dtype}}
    path = tmp_path / "model.npz"
    save_model(path, network, config, classes=classes, standardizer=standardizer, features=features,
               target_scaler=target_scaler)
    return path, data


def predicted(cli, *args) -> list[list[str]]:
    result = cli("predict", *args)
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.stdout)))


def run(path, X_rows, dtype):
    _, onnxruntime = onnx_modules()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": np.asarray(X_rows, dtype=dtype)})))


def check_against_predict(cli, tmp_path, hidden, task, dtype, standardize):
    onnx_modules()
    model, data = write_model(tmp_path, hidden, task, dtype, standardize)
    out = tmp_path / "model.onnx"
    result = cli("export", model, out)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(data.open()))[1:]
    X_rows = [[float(v) for v in row[:3]] for row in rows]
    got = run(out, X_rows, dtype)
    if task == "regression":
        expected = np.array(predicted(cli, model, data)[1:], dtype=np.float64)
        assert_close(got["prediction"], expected, dtype, term_scale(model, X_rows))
        return
    proba = predicted(cli, model, data, "--proba")
    labels = [row[0] for row in predicted(cli, model, data)[1:]]
    assert [str(c) for c in TASKS[task][1]] == proba[0]
    assert_close(got["probabilities"], np.array(proba[1:], dtype=np.float64), dtype)  # g^[L] maps into [0, 1]
    onnx_labels = [v.decode() if isinstance(v, bytes) else str(v) for v in got["label"]]
    assert onnx_labels == labels
    assert len(set(labels)) > 1  # the test would not see a wrong label map otherwise


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_onnx_equals_dnn_predict_in_float64(cli, tmp_path, hidden, task):
    check_against_predict(cli, tmp_path, hidden, task, "float64", True)


@pytest.mark.slow
@pytest.mark.parametrize("standardize", [True, False], ids=["standardized", "raw"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("hidden", HIDDEN)
def test_onnx_equals_dnn_predict_everywhere(cli, tmp_path, hidden, task, dtype, standardize):
    check_against_predict(cli, tmp_path, hidden, task, dtype, standardize)


@pytest.mark.parametrize("task", ["binary", "integers", "regression"])
def test_onnx_equals_dnn_predict_in_float32(cli, tmp_path, task):
    check_against_predict(cli, tmp_path, "leaky_relu", task, "float32", False)


@pytest.mark.slow
def test_a_trained_model_exports(cli, tmp_path):
    from .conftest import CONFIGS

    onnx_modules()
    model = tmp_path / "fruit.npz"
    assert cli("train", CONFIGS / "fruit.yaml", "--save", model, "--quiet").exit_code == 0
    result = cli("export", model, tmp_path / "fruit.onnx")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader((CONFIGS / "fruit.csv").open()))
    got = run(tmp_path / "fruit.onnx", [[float(v) for v in row[:3]] for row in rows[1:]], "float64")
    proba = predicted(cli, model, CONFIGS / "fruit.csv", "--proba")
    np.testing.assert_allclose(got["probabilities"], np.array(proba[1:], dtype=np.float64), rtol=1e-12, atol=1e-15)
    assert [str(v) for v in got["label"]] == [r[0] for r in predicted(cli, model, CONFIGS / "fruit.csv")[1:]]


def test_the_graph_is_the_course_network_with_its_metadata(cli, tmp_path):
    onnx, _ = onnx_modules()
    model, _ = write_model(tmp_path, "leaky_relu", "multiclass")
    result = cli("export", model, tmp_path / "m.onnx")
    assert result.exit_code == 0, result.output
    assert "input   X (N, 3) float64" in result.stdout and "label (N,)" in result.stdout
    assert "onnxruntime matches dnn predict" in result.stdout
    proto = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Sub", "Div", "Gemm", "PRelu", "Gemm", "PRelu", "Gemm", "Softmax", "Identity", "ArgMax", "Gather"]
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    loaded = load_model(model)
    for l, (W, b) in enumerate(zip(loaded.network.W, loaded.network.b), start=1):
        np.testing.assert_array_equal(weights[f"W{l}"], W)  # the course's (n^[l], n^[l-1])
        np.testing.assert_array_equal(weights[f"b{l}"], b[:, 0])
    assert weights["slope1"].dtype == np.float64 and weights["slope1"][0] == 0.01  # exact, unlike LeakyRelu's alpha
    dim = proto.graph.input[0].type.tensor_type.shape.dim
    assert dim[0].dim_param == "N" and dim[1].dim_value == 3
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["features"]) == ["weight", "width", "tilt"]
    assert json.loads(meta["classes"]) == ["a", "b", "c"]
    assert json.loads(meta["config"]) == loaded.config.to_dict()
    assert meta["dnn_version"] and meta["task"] == "classification" and "samples as rows" in meta["input_layout"]


def test_float32_leaky_relu_uses_leaky_relu(tmp_path):
    onnx_modules()
    from dnn_cli.export_onnx import build_onnx

    model, _ = write_model(tmp_path, "leaky_relu", "binary", "float32", False)
    proto = build_onnx(load_model(model))
    ops = [n.op_type for n in proto.graph.node]
    assert ops[:2] == ["Gemm", "LeakyRelu"] and "Sub" in ops and ops[-1] == "Gather"
    assert proto.graph.input[0].type.tensor_type.elem_type == 1  # FLOAT


def test_a_model_member_the_exporter_does_not_know_is_refused(tmp_path):
    onnx_modules()
    from dnn_cli.export_onnx import build_onnx

    path, _ = write_model(tmp_path)
    loaded = load_model(path)
    Encoded = dataclasses.make_dataclass("Encoded", [("encoders", object, dataclasses.field(default=None))],
                                         bases=(Model,))
    model = Encoded(**{f.name: getattr(loaded, f.name) for f in dataclasses.fields(Model)},
                    encoders={"colour": ["red", "green"]})
    with pytest.raises(ModelFileError, match="'encoders' cannot be exported to ONNX yet"):
        build_onnx(model)
    build_onnx(dataclasses.replace(model, encoders=None))  # nothing to encode: exported


def test_without_onnx_the_command_says_how_to_install_it(cli, tmp_path, monkeypatch):
    path, _ = write_model(tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    result = cli("export", path, tmp_path / "m.onnx")
    assert_input_error(result, "dnn export needs the onnx package", "pip install 'dnn-cli[onnx]'")
    assert not (tmp_path / "m.onnx").exists()


def test_the_output_must_be_an_onnx_file(cli, tmp_path):
    path, _ = write_model(tmp_path)
    assert_input_error(cli("export", path, tmp_path / "m.npz"), "m.npz: expected a .onnx file name")


def test_a_broken_model_file_gets_one_line(cli, tmp_path):
    onnx_modules()
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    result = cli("export", tmp_path / "bad.npz", tmp_path / "m.onnx")
    assert_input_error(result, "bad.npz")
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "m.onnx").exists()


@pytest.mark.slow  # importing PyTorch takes seconds
def test_the_weights_fine_tune_in_pytorch_as_the_readme_shows(tmp_path):
    """W^[l] (n^[l], n^[l-1]) is exactly torch.nn.Linear(n^[l-1], n^[l]).weight: the README's recipe."""
    torch = pytest.importorskip("torch", reason="needs PyTorch")
    path, data = write_model(tmp_path, "leaky_relu", "multiclass")
    model = load_model(path)
    with np.load(path) as f:  # the README's recipe, from the model file's arrays
        L = len(model.network.layers) - 1
        layers = []
        for l in range(1, L + 1):
            W, b = torch.from_numpy(f[f"W{l}"]), torch.from_numpy(f[f"b{l}"][:, 0])
            linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
            linear.weight.data.copy_(W)
            linear.bias.data.copy_(b)
            layers += [linear, torch.nn.LeakyReLU(0.01) if l < L else torch.nn.Softmax(dim=1)]
        mean, std = torch.from_numpy(f["x_mean"][:, 0]), torch.from_numpy(f["x_std"][:, 0])
    net = torch.nn.Sequential(*layers)
    X = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(0, 1, 2))
    P = net((torch.from_numpy(X) - mean) / std).detach().numpy()
    from dnn_cli.predictor import predict_proba

    np.testing.assert_allclose(P, predict_proba(model, X.T).T, rtol=1e-12, atol=1e-15)
    # and it trains on: one step of SGD on the cross-entropy lowers it
    y = torch.from_numpy(np.argmax(P, axis=1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = lambda: torch.nn.functional.nll_loss(torch.log(net((torch.from_numpy(X) - mean) / std)), y)  # noqa: E731
    before = loss()
    before.backward()
    optimizer.step()
    assert loss().item() < before.item()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_regression_on_standardised_targets_predicts_in_their_units(cli, tmp_path, dtype):
    """data.standardize_target (the default for regression on a file): y_std and y_mean go into the graph."""
    onnx_modules()
    scaler = Standardizer(np.array([[250.0]]), np.array([[40.0]]))
    model, data = write_model(tmp_path, "relu", "regression", dtype, target_scaler=scaler)
    assert load_model(model).target_scaler is not None
    out = tmp_path / "model.onnx"
    result = cli("export", model, out)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(data.open()))[1:]
    X_rows = [[float(v) for v in row[:3]] for row in rows]
    got = run(out, X_rows, dtype)["prediction"]
    expected = np.array(predicted(cli, model, data)[1:], dtype=np.float64)
    assert np.abs(expected - 250.0).max() > 10  # in the targets' units, not standardised ones
    assert_close(got, expected, dtype, 40.0 * term_scale(model, X_rows) + 250.0)


# ---------------------------------------------------------------------------------------------
# Models trained on raw columns: the encoder goes into the graph.

def _raw_model(tmp_path, *, missing="mean", unknown="ignore", dtype="float64", names=("colour", "weight", "size"),
               output="softmax"):
    """A CSV with a text column and two numeric ones (cells missing when the model fills them), a model trained on
    it and saved as `dnn train --save` does; (model path, csv path)."""
    rng = np.random.default_rng(1)
    m = 90
    colours = np.array(["red", "green", "blue", "teal"])[rng.integers(0, 4, m)]
    weight, size = rng.normal(50, 10, m), rng.normal(0, 1, m)
    kinds = (["a", "b", "c"] if output == "softmax" else ["no", "yes"])
    label = [kinds[(int(w > 50) + int(c == "red")) % len(kinds)] for w, c in zip(weight, colours)]
    lines = []
    for k in range(m):
        cells = [str(colours[k]), repr(float(weight[k])), repr(float(size[k])), label[k]]
        if missing == "mean" and k % 7 == 3:
            cells[0] = "" if k % 2 else "NA"
        if missing == "mean" and k % 11 == 5:
            cells[1] = "NaN"
        lines.append(",".join(cells))
    data = tmp_path / "raw.csv"
    data.write_text(",".join([*names, "kind"]) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    n_L = 3 if output == "softmax" else 1
    n_x = 4 + (missing == "mean") + 2  # the colours (and a missing one's category), weight, size
    config = tmp_path / "raw.yaml"
    config.write_text(f"seed: 0\ndata:\n  source: raw.csv\n  standardize: true\n  missing: {missing}\n"
                      f"  unknown_categories: {unknown}\nmodel:\n  layers: [{n_x}, 5, {n_L}]\n"
                      f"  activations: [tanh, {output}]\ntrain:\n  epochs: 40\n  dtype: {dtype}\n", encoding="utf-8")
    path = tmp_path / "raw.npz"
    train_and_save(path, config, epochs=40)
    return path, data


def _feed(session, data):
    """The CSV's raw columns as the graph's inputs: strings as they are, numbers with NaN for a missing cell."""
    rows = list(csv.DictReader(io.StringIO(data.read_text(encoding="utf-8"))))
    feed = {}
    for i in session.get_inputs():
        cells = [r[i.name].strip() for r in rows]
        if i.type == "tensor(string)":
            feed[i.name] = np.array(cells, dtype=object).reshape(-1, 1)
        else:
            numbers = [float("nan") if c.lower() in ("", "na", "nan") else float(c) for c in cells]
            feed[i.name] = np.array(numbers, dtype=np.float64 if i.type == "tensor(double)" else np.float32)[:, None]
    return feed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_a_model_with_text_columns_and_filled_cells_exports_its_encoder(cli, tmp_path, dtype, output):
    """One input per raw column; onnxruntime on the training file's own cells (missing ones included) gives
    what `dnn predict --proba` and `dnn predict` print."""
    onnx, onnxruntime = onnx_modules()
    path, data = _raw_model(tmp_path, dtype=dtype, output=output)
    result = cli("export", path, tmp_path / "m.onnx")
    assert result.exit_code == 0, result.output
    assert (f"inputs  colour (N, 1) string, weight (N, 1) {dtype}, size (N, 1) {dtype}" in result.stdout
            and "onnxruntime matches dnn predict" in result.stdout)
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert {o.domain for o in proto.opset_import} == {"", "ai.onnx.ml"}
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["encoder"])["columns"][0]["categories"] == ["blue", "green", "red", "teal", "(missing)"]
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    probabilities, label = session.run(None, _feed(session, data))
    expected = np.array(list(csv.reader(io.StringIO(cli("predict", path, data, "--proba").stdout)))[1:], dtype=float)
    assert_close(probabilities, expected, dtype)
    predicted = [r[0] for r in csv.reader(io.StringIO(cli("predict", path, data).stdout))][1:]
    assert [x.decode() if isinstance(x, bytes) else str(x) for x in label] == predicted


def test_an_unseen_or_missing_category_is_refused_by_the_graph_as_by_dnn(cli, tmp_path):
    """unknown_categories: error and missing: error: dnn predict refuses such a cell, and so does onnxruntime
    (the category's index falls past the one-hot matrix); with ignore, the row is zeros, as in dnn."""
    onnx, onnxruntime = onnx_modules()
    path, data = _raw_model(tmp_path, missing="error", unknown="error")
    assert cli("export", path, tmp_path / "m.onnx").exit_code == 0
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    feed = _feed(session, data)
    session.run(None, feed)
    for bad in ("purple", "", "NA"):
        feed["colour"][0, 0] = bad
        with pytest.raises(Exception, match="out of|bounds|range"):
            session.run(None, feed)
    ignore = tmp_path / "ignore"
    ignore.mkdir()
    path, data = _raw_model(ignore, missing="mean", unknown="ignore")
    assert cli("export", path, ignore / "m.onnx").exit_code == 0
    session = onnxruntime.InferenceSession(str(ignore / "m.onnx"), providers=["CPUExecutionProvider"])
    feed = _feed(session, data)
    feed["colour"][0, 0] = "purple"
    new = write_csv_row(ignore / "new.csv", data, "purple")
    expected = np.array(list(csv.reader(io.StringIO(cli("predict", path, new, "--proba").stdout)))[1], dtype=float)
    assert_close(session.run(None, feed)[0][0], expected, "float64")


def write_csv_row(path, data, colour):
    """The first data row of `data` with another colour, as a CSV of its own."""
    header, first = data.read_text(encoding="utf-8").splitlines()[:2]
    path.write_text(header + "\n" + ",".join([colour, *first.split(",")[1:]]) + "\n", encoding="utf-8")
    return path


def test_columns_named_like_the_graphs_own_values_keep_their_names(cli, tmp_path):
    onnx, onnxruntime = onnx_modules()
    path, data = _raw_model(tmp_path, names=("X", "W1", "b1"))
    result = cli("export", path, tmp_path / "m.onnx")
    assert result.exit_code == 0, result.output
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["X", "W1", "b1"]
    expected = np.array(list(csv.reader(io.StringIO(cli("predict", path, data, "--proba").stdout)))[1:], dtype=float)
    assert_close(session.run(None, _feed(session, data))[0], expected, "float64")


def test_a_feature_column_named_like_an_output_is_refused(cli, tmp_path):
    onnx_modules()
    path, _ = _raw_model(tmp_path, names=("colour", "label", "size"))
    result = cli("export", path, tmp_path / "m.onnx")
    assert_input_error(result, "raw.npz: feature column 'label' would be an input of the ONNX graph")
    assert not (tmp_path / "m.onnx").exists()
