"""A trained model as ONNX (`dnn export`): the standardisation, the layers, the activations and the labels, for
any runtime (onnxruntime, and through it Keras', PyTorch's and scikit-learn's ecosystems).

ONNX runtimes take samples as rows, so the graph's input is X of shape (N, n^[0]) with a dynamic N: the course's
X (n^[0], m) transposed. Layer l is one Gemm, A^[l-1] W^[l]^T + b^[l]^T (W^[l] kept in its course shape
(n^[l], n^[l-1])), then g^[l] as an ONNX operator, all in the model's dtype. The graph's outputs are what
`dnn predict --proba` and `dnn predict` print: `probabilities` (N, K) and `label` (N,) in the original class
names for a classifier, `prediction` (N, n^[L]) for a regressor.

A model trained on raw columns (text columns one-hot encoded, or missing cells filled) takes one input per raw
column instead of X: see `onnx_encoding`.

The onnx package is imported inside the functions: it is an optional extra (`pip install 'dnn-cli[onnx]'`).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from .errors import ModelFileError, UsageError
from .onnx_encoding import ML_OPSET, encoder_nodes, name_inputs, raw_probes

OPSET = 17  # every operator used here exists in this form since opset 13; 17 runs on onnxruntime >= 1.13
IR_VERSION = 8  # the IR of opset 17, so that runtimes of that age load the file
INSTALL = "pip install 'dnn-cli[onnx]' (the onnx and onnxruntime packages)"
PROBE_SAMPLES = 64  # inputs onnxruntime runs after export, compared with dnn's own predictions

# The members of a loaded model (io.modelfile.Model) this exporter knows how to carry into the graph. A model
# with anything else is refused rather than exported without it.
EXPORTED = {"path", "network", "config", "classes", "features", "standardizer", "target_scaler", "encoder", "state",
            "format_version"}
OUTPUT_NAMES = ("probabilities", "label", "prediction")
ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "leaky_relu": "LeakyRelu",
                  "linear": "Identity", "softmax": "Softmax"}


def require_onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError(f"dnn export needs the onnx package, which is not installed: {INSTALL}") from None
    return onnx


def dnn_version() -> str:
    """The installed dnn-cli's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dnn-cli")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def check_exportable(model) -> None:
    """ModelFileError naming what the graph cannot carry: an unknown member of the model, an activation, or a
    column whose input would take an output's name."""
    for field in dataclasses.fields(model):
        if field.name not in EXPORTED and getattr(model, field.name) not in (None, {}, (), []):
            raise ModelFileError(f"{model.path}: '{field.name}' cannot be exported to ONNX yet: this dnn export "
                                 f"carries {', '.join(sorted(EXPORTED - {'path'}))} only; predict with dnn instead")
    for column in model.encoder.columns if model.encoder is not None else ():
        if column.name in OUTPUT_NAMES:
            raise ModelFileError(f"{model.path}: feature column '{column.name}' would be an input of the ONNX graph "
                                 "with the name of one of its outputs; rename the column and train again to export")
    for l, name in enumerate(model.network.activations, start=1):
        if name not in ACTIVATION_OPS:
            raise ModelFileError(f"{model.path}: g^[{l}] = '{name}' has no ONNX counterpart in dnn export "
                                 f"(exported: {', '.join(ACTIVATION_OPS)})")


def _labels_tensor(helper, TensorProto, labels):
    """The class labels as a 1-D constant: int64 when every label is an integer, else strings (as dnn prints)."""
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in labels):
        return helper.make_tensor("classes", TensorProto.INT64, [len(labels)], [int(c) for c in labels])
    return helper.make_tensor("classes", TensorProto.STRING, [len(labels)], [str(c).encode() for c in labels])


def build_onnx(model):
    """The ONNX ModelProto of a loaded model (`io.modelfile.Model`), checked by onnx.checker."""
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    check_exportable(model)
    network = model.network
    dtype = np.dtype(network.dtype)
    element = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    n_x, n_L = network.layers[0], network.layers[-1]
    nodes, initializers = [], []

    def constant(name, value):
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    if model.encoder is not None:
        inputs = encoder_nodes(model.encoder, dtype, element, nodes, constant)
    else:
        inputs = [helper.make_tensor_value_info("X", element, ["N", n_x])]
    A = "X"
    if model.standardizer is not None:
        mean = constant("x_mean", model.standardizer.mean[:, 0].astype(dtype))
        std = constant("x_std", model.standardizer.std[:, 0].astype(dtype))
        nodes += [helper.make_node("Sub", [A, mean], ["X_centred"]),
                  helper.make_node("Div", ["X_centred", std], ["A0"])]
        A = "A0"
    for l, (W, b, g) in enumerate(zip(network.W, network.b, network.activations), start=1):
        W_name = constant(f"W{l}", np.ascontiguousarray(W, dtype=dtype))  # (n^[l], n^[l-1]), the course's shape
        b_name = constant(f"b{l}", np.asarray(b, dtype=dtype)[:, 0])
        nodes.append(helper.make_node("Gemm", [A, W_name, b_name], [f"Z{l}"], transB=1, name=f"layer{l}"))
        out = f"A{l}"
        if g == "leaky_relu" and dtype == np.float64:
            # LeakyRelu's alpha is a float32 attribute (0.01 is then 2e-10 off); PRelu's slope is a tensor of our dtype.
            slope = constant(f"slope{l}", np.array([0.01], dtype=dtype))
            nodes.append(helper.make_node("PRelu", [f"Z{l}", slope], [out]))
        elif g == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [f"Z{l}"], [out], alpha=0.01))
        elif g == "softmax":
            nodes.append(helper.make_node("Softmax", [f"Z{l}"], [out], axis=-1))
        else:
            nodes.append(helper.make_node(ACTIVATION_OPS[g], [f"Z{l}"], [out]))
        A = out

    outputs = []
    if not network.is_classifier and model.target_scaler is not None:
        # The network learnt standardised targets: A^[L] y_std + y_mean in their own units, as dnn predict does.
        y_std = constant("y_std", model.target_scaler.std[:, 0].astype(dtype))
        y_mean = constant("y_mean", model.target_scaler.mean[:, 0].astype(dtype))
        nodes += [helper.make_node("Mul", [A, y_std], ["A_in_units"]),
                  helper.make_node("Add", ["A_in_units", y_mean], ["prediction"])]
        outputs.append(helper.make_tensor_value_info("prediction", element, ["N", n_L]))
    elif not network.is_classifier:
        nodes.append(helper.make_node("Identity", [A], ["prediction"]))
        outputs.append(helper.make_tensor_value_info("prediction", element, ["N", n_L]))
    else:
        labels = model.labels
        if network.loss.name == "binary_cross_entropy":
            one, half = constant("one", np.array(1, dtype=dtype)), constant("half", np.array(0.5, dtype=dtype))
            nodes += [helper.make_node("Sub", [one, A], ["P0"]),
                      helper.make_node("Concat", ["P0", A], ["probabilities"], axis=1),
                      helper.make_node("Greater", [A, half], ["above"]),  # A^[L] > 0.5, as dnn decides
                      helper.make_node("Cast", ["above"], ["code_column"], to=TensorProto.INT64),
                      helper.make_node("Reshape", ["code_column", constant("flat", np.array([-1], np.int64))],
                                       ["code"])]
        else:
            nodes += [helper.make_node("Identity", [A], ["probabilities"]),
                      helper.make_node("ArgMax", [A], ["code"], axis=1, keepdims=0)]
        classes = _labels_tensor(helper, TensorProto, labels)
        initializers.append(classes)
        nodes.append(helper.make_node("Gather", ["classes", "code"], ["label"], axis=0))
        outputs += [helper.make_tensor_value_info("probabilities", element, ["N", len(labels)]),
                    helper.make_tensor_value_info("label", classes.data_type, ["N"])]

    if model.encoder is not None:
        name_inputs(nodes, initializers, inputs, [c.name for c in model.encoder.columns])
    graph = helper.make_graph(nodes, "dnn", inputs, outputs, initializer=initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    if model.encoder is not None and model.encoder.has_categories:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    proto = helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION,
                              producer_name="dnn", producer_version=dnn_version(),
                              doc_string=f"A dnn model ({model.task}), layers {list(network.layers)}, activations "
                                         f"{list(network.activations)}. {_inputs_text(model)}")
    helper.set_model_props(proto, metadata(model))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _inputs_text(model) -> str:
    n_x = model.network.layers[0]
    if model.encoder is None:
        return f"X: samples as rows, shape (N, {n_x}); the course's X (n^[0], m) transposed"
    return (f"one input per raw column, each (N, 1), samples as rows: numbers as {np.dtype(model.network.dtype)} "
            "(NaN for a missing cell), categories as strings without surrounding spaces ('' or NA for a missing "
            f"cell); the graph encodes them into X (N, n^[0] = {n_x}) as dnn does")


def metadata(model) -> dict[str, str]:
    """The ONNX model's metadata_props: what a user needs beside the graph, JSON-encoded where it is a list."""
    network = model.network
    props = {"dnn_version": dnn_version(), "dnn_format_version": str(model.format_version), "task": model.task,
             "layers": json.dumps(list(network.layers)), "activations": json.dumps(list(network.activations)),
             "loss": network.loss.name, "dtype": str(network.dtype),
             "input_layout": _inputs_text(model),
             "standardized": "true (x_mean, x_std folded into the graph)" if model.standardizer is not None
             else "false",
             "targets_standardized": "true (y_std, y_mean folded into the graph: predictions in the targets' "
                                     "units)" if model.target_scaler is not None else "false",
             "config": json.dumps(model.config.to_dict())}
    if model.features is not None:
        props["features"] = json.dumps(list(model.features))
    if model.encoder is not None:
        props["encoder"] = model.encoder.to_json()
    if network.is_classifier:
        props["classes"] = json.dumps([c if isinstance(c, (int, str)) else str(c) for c in model.labels])
        props["outputs"] = "probabilities (N, K): column k for classes[k]; label (N,): the predicted class"
    else:
        props["outputs"] = f"prediction (N, {network.layers[-1]}): A^[L] in the units of training's targets"
    return props


def probe_inputs(model, n: int = PROBE_SAMPLES) -> tuple[np.ndarray, dict]:
    """(X, feed): seeded inputs around the training data's scale (its mean and std when standardised) as dnn
    takes them, X (n^[0], n), and as the graph does, by input name (samples as rows, in the model's dtype).

    A model with an encoder gets raw columns: numbers (some missing when it fills them), categories of its
    training (some missing when it has a category for that, some never seen when it ignores those)."""
    rng = np.random.default_rng(0)
    dtype = np.dtype(model.network.dtype)
    if model.encoder is None:
        Z = rng.standard_normal((model.network.layers[0], n)) * 2
        X = model.standardizer.mean + Z * model.standardizer.std if model.standardizer is not None else Z
        return X, {"X": np.ascontiguousarray(X.T, dtype=dtype)}
    return raw_probes(model, rng, n)


def run_onnx(proto_bytes: bytes, feed: dict) -> dict:
    """The graph's outputs for the inputs `feed` (by name) from onnxruntime, by output name; None when it is not
    installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(proto_bytes, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feed)))


TOLERANCE = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}  # relative, on the probe inputs


def verify(model, proto_bytes: bytes) -> bool:
    """Run the graph with onnxruntime on probe inputs and compare with dnn's own predictions; False when
    onnxruntime is not installed. TrainingError (a failed run, exit 1) when they disagree: a bug to report."""
    from . import predictor
    from .errors import TrainingError

    X, feed = probe_inputs(model)
    outputs = run_onnx(proto_bytes, feed)
    if outputs is None:
        return False
    rtol = TOLERANCE[np.dtype(model.network.dtype)]
    if model.network.is_classifier:
        expected, got = predictor.predict_proba(model, X).T, outputs["probabilities"]
    else:
        expected, got = predictor.predict(model, X).T, outputs["prediction"]
    # atol relative to the outputs' scale: a value near 0 reached by cancellation keeps the terms' rounding
    agree = got.shape == expected.shape and np.allclose(got, expected, rtol=rtol,
                                                        atol=rtol * float(np.abs(expected).max()))
    if agree and model.network.is_classifier:
        labels = predictor.predict(model, X)
        top = np.sort(expected, axis=1)
        clear = top[:, -1] - top[:, -2] > 10 * rtol  # a near-tie may round either way
        agree = all(str(a) == str(b.decode() if isinstance(b, bytes) else b)
                    for a, b, c in zip(labels, outputs["label"], clear) if c)
    if not agree:
        raise TrainingError(f"{model.path}: the exported graph's outputs differ from dnn's beyond {rtol:g} on "
                            "probe inputs: not written (this is a bug in dnn export; please report it)")
    return True


def _shape(value) -> str:
    """A graph input's or output's shape as Python writes it: (N, 3), (N,)."""
    dims = [d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _element(value, model) -> str:
    from onnx import TensorProto

    return "string" if value.type.tensor_type.elem_type == TensorProto.STRING else str(np.dtype(model.network.dtype))


def export_onnx(model, path) -> dict:
    """Write `model` (a loaded `io.modelfile.Model`) to `path` as ONNX, atomically, after onnxruntime (when
    installed) has reproduced dnn's predictions on probe inputs. Returns what was written, for the CLI."""
    from .io.atomic import atomic_write

    proto = build_onnx(model)
    data = proto.SerializeToString()
    verified = verify(model, data)
    atomic_write(path, data, "ONNX model")
    graph = proto.graph
    return {"path": str(path), "opset": OPSET, "nodes": len(graph.node), "bytes": len(data),
            "inputs": [f"{i.name} {_shape(i)} {_element(i, model)}" for i in graph.input],
            "outputs": [f"{o.name} {_shape(o)}" for o in graph.output], "verified": verified,
            "tolerance": TOLERANCE[np.dtype(model.network.dtype)], "probes": PROBE_SAMPLES}
