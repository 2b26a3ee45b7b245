"""Model NPZ files: W1..WL, b1..bL, the resolved config and what prediction needs, written atomically and
read back with every member checked against what its config says it must be (see `modelmembers`).

Every write goes through `atomic.atomic_write`, so an interrupted save never leaves a broken file behind.
The training state a checkpoint carries is written and checked by `statefile`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np

from ..config import Config, config_from_dict
from ..config_problems import without_ignored_data_keys
from ..encoding import Encoder
from ..errors import ConfigError, ModelFileError, TrainingError, is_int
from ..network import Network
from ..preprocessing import Standardizer
from .atomic import atomic_write
from .modelmembers import (
    PRELUDE,
    bad,
    check_model_members,
    check_parameter_members,
    expect,
    optimizer_template,
    state_rules,
)
from .npz import member_headers, open_npz, read_member
from .statefile import check_state, json_array, numbers, scalar_int, scalar_json, state_arrays

FORMAT_VERSION = 1
EXPECTED = "an NPZ archive of arrays"  # what a model or parameter file must be


def model_arrays(network, config: dict, *, classes=None, standardizer=None, features=None, state=None,
                 target_scaler=None, encoder=None, extra: dict | None = None) -> dict:
    """The arrays of a model file: W1..WL, b1..bL, config (JSON), format_version, and what prediction needs.

    classes: the labels the output codes 0..K-1 stand for; standardizer: x_mean, x_std (n^[0], 1);
    features: the n^[0] feature names; state: a TrainingState, stored so the run can be resumed exactly;
    target_scaler: y_mean, y_std (n^[L], 1) of regression targets learnt standardised; encoder: the
    `encoding.Encoder` of a table with string columns or missing cells, as JSON.
    """
    arrays = dict(network.parameters())
    arrays["config"] = np.array(json.dumps(config))
    arrays["format_version"] = np.array(FORMAT_VERSION)
    if classes is not None:
        arrays["classes"] = json_array([c.item() if isinstance(c, np.generic) else c for c in classes])
    if features is not None:
        arrays["features"] = json_array([str(name) for name in features])
    if standardizer is not None:
        arrays["x_mean"], arrays["x_std"] = standardizer.mean, standardizer.std
    if target_scaler is not None:
        arrays["y_mean"], arrays["y_std"] = target_scaler.mean, target_scaler.std
    if encoder is not None:
        arrays["encoder"] = np.array(encoder.to_json())
    if state is not None:
        arrays.update(state_arrays(state))
    arrays.update(extra or {})
    return arrays


def save_model(path, network, config: dict, **kwargs) -> None:
    """Write the model NPZ atomically (see `model_arrays` for its contents); never with non-finite parameters."""
    if not network.is_finite():
        raise TrainingError(f"{path}: not saved: the parameters are not finite (NaN or inf); the file, if any, "
                            "is left as it was")
    buffer = io.BytesIO()
    np.savez(buffer, **model_arrays(network, config, **kwargs))
    atomic_write(path, buffer.getvalue(), "model")


def load_parameters(path, layers) -> dict:
    """W1..WL, b1..bL from an NPZ, checked against layer sizes n^[0..L]; names the first bad array.

    Members other than W1..bL and a model file's own are refused, and only W1..bL are read, each after
    its declared shape and size are checked (see `modelmembers`).
    """
    with open_npz(path, expected=EXPECTED, error=ModelFileError) as archive:
        headers = member_headers(archive)
        check_parameter_members(path, headers, layers)
        wanted = [f"{kind}{l}" for l in range(1, len(layers)) for kind in ("W", "b")]
        arrays = {name: read_member(path, archive, name, error=ModelFileError) for name in wanted if name in headers}
    out = {}
    for l in range(1, len(layers)):
        for name, shape in ((f"W{l}", (layers[l], layers[l - 1])), (f"b{l}", (layers[l], 1))):
            if name not in arrays:
                raise ModelFileError(f"{path}: array '{name}' is missing (expected W1..W{len(layers) - 1}, "
                                     f"b1..b{len(layers) - 1} for layers {list(layers)})")
            a = arrays[name]
            if a.shape != shape:
                raise ModelFileError(f"{path}: array '{name}': expected shape {shape}, got {a.shape}")
            if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
                raise ModelFileError(f"{path}: array '{name}': expected numbers, got dtype {a.dtype}")
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"{path}: array '{name}': contains NaN or infinite values")
            out[name] = a
    return out


@dataclass
class Model:
    """A model file, checked and loaded: the network and everything prediction and resuming need.

    (`dnn_cli.predictor` applies it to new inputs: scaling, probabilities, labels.)

    classes: labels of the output codes 0..K-1 (classification) or None; features: the n^[0] feature
    names or None; standardizer: the x_mean, x_std of training or None; state: the training state's
    arrays (see `state_arrays`) when the file is a checkpoint, else None.
    """

    path: str
    network: Network
    config: Config
    classes: tuple | None
    features: tuple | None
    standardizer: Standardizer | None
    state: dict | None
    format_version: int
    target_scaler: Standardizer | None = None  # y_mean, y_std: the network's outputs are standardised targets
    encoder: Encoder | None = None  # the raw columns a file must have, and how they become X (n^[0], m)

    @property
    def epoch(self) -> int | None:
        """The number of epochs the saved run had completed (None without training state)."""
        return None if self.state is None else int(self.state["epoch"])

    def __repr__(self) -> str:
        return f"Model(path={self.path!r}, network={self.network!r}, classes={self.classes!r}, epoch={self.epoch})"

    @property
    def task(self) -> str:
        return "classification" if self.network.is_classifier else "regression"

    @property
    def labels(self) -> tuple:
        """The label of every output code 0..K-1 (K = 2 for a sigmoid output, n^[L] for softmax)."""
        K = 2 if self.network.loss.name == "binary_cross_entropy" else self.network.layers[-1]
        return tuple(self.classes) + tuple(range(len(self.classes), K))

    def resume_parameters(self) -> dict:
        """W1..bL to continue training from: the last ones of the run (early stopping saves the best as W, b)."""
        if self.state is not None and "last_W" in self.state:
            out = {}
            for l, (W, b) in enumerate(zip(self.state["last_W"], self.state["last_b"]), start=1):
                out[f"W{l}"], out[f"b{l}"] = W, b
            return out
        return self.network.parameters()


def load_model(path) -> Model:
    """Read and check a model file; ModelFileError naming the file and the first bad array.

    Nothing is unpickled; format_version newer than this program's is refused; the config is
    validated like a config file; W^[l] (n^[l], n^[l-1]) and b^[l] (n^[l], 1) are checked against it.
    """
    version, config, arrays = _read_model_file(path)
    layers, L = config.model.layers, len(config.model.layers) - 1
    dtype = np.dtype(config.train.dtype)
    n_x = layers[0]

    W, b = [], []
    for l in range(1, L + 1):
        for name in (f"W{l}", f"b{l}"):
            if name not in arrays:
                raise ModelFileError(f"{path}: array '{name}' is missing (expected W1..W{L}, b1..b{L} for "
                                     f"layers {layers})")
        W.append(numbers(path, arrays, f"W{l}", (layers[l], layers[l - 1]), dtype))
        b.append(numbers(path, arrays, f"b{l}", (layers[l], 1), dtype))
    network = Network(W, b, config.model.activations, loss=config.model.loss)

    state_names = list(state_rules(config, arrays["epoch"], arrays)) if "epoch" in arrays else []
    for name in state_names:
        if name not in arrays:
            raise ModelFileError(f"{path}: array '{name}' is missing (a checkpoint of optimizer "
                                 f"{config.train.optimizer} holds {', '.join(state_names)})")

    classes = None
    if "classes" in arrays:
        classes = scalar_json(path, arrays, "classes")
        if (not isinstance(classes, list) or not classes
                or not all(isinstance(c, str) for c in classes) and not all(is_int(c) for c in classes)):
            raise bad(path, "classes", "expected a JSON list of class labels (all strings or all integers)")
        if len(set(classes)) != len(classes):
            raise bad(path, "classes", "expected distinct class labels")
        classes = tuple(classes)
        if not network.is_classifier:
            raise bad(path, "classes", f"a {network.loss.name} (regression) network has no classes")
        K = 2 if network.loss.name == "binary_cross_entropy" else layers[-1]
        if len(classes) > K or (network.loss.name == "cross_entropy" and len(classes) != K):
            raise bad(path, "classes", f"expected {K} labels for n^[L] = {layers[-1]} "
                                       f"({network.activations[-1]} output), got {len(classes)}")
    elif network.is_classifier:
        classes = tuple(range(2 if network.loss.name == "binary_cross_entropy" else layers[-1]))

    features = None
    if "features" in arrays:
        features = scalar_json(path, arrays, "features")
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise bad(path, "features", "expected a JSON list of feature names")
        if len(features) != n_x:
            raise bad(path, "features", f"expected n^[0] = {n_x} names, got {len(features)}")
        features = tuple(features)

    standardizer = _scaler(path, arrays, "x", n_x)
    target_scaler = _scaler(path, arrays, "y", layers[-1])
    if target_scaler is not None and network.is_classifier:
        raise bad(path, "y_mean", f"a {network.loss.name} (classification) network has no target scaling")

    state = check_state(path, arrays, optimizer_template(config), network) if state_names else None
    encoder = None
    if "encoder" in arrays:
        try:
            encoder = Encoder.from_json(scalar_json(path, arrays, "encoder"))
        except ValueError as e:
            raise bad(path, "encoder", str(e)) from None
        if encoder.n_x != n_x:
            raise bad(path, "encoder", f"expected columns encoding to n^[0] = {n_x} features, got {encoder.n_x}")
        if features is not None and encoder.feature_names() != features:
            raise bad(path, "encoder", "its encoded feature names differ from the array 'features'")
    return Model(str(path), network, config, classes, features, standardizer, state, version, target_scaler,
                 encoder)


def _scaler(path, arrays: dict, prefix: str, n: int) -> Standardizer | None:
    """The Standardizer stored as {prefix}_mean and {prefix}_std (n, 1), or None when neither is there."""
    mean_name, std_name = f"{prefix}_mean", f"{prefix}_std"
    if (mean_name in arrays) != (std_name in arrays):
        name = std_name if mean_name in arrays else mean_name
        raise ModelFileError(f"{path}: array '{name}' is missing ({mean_name} and {std_name} come together)")
    if mean_name not in arrays:
        return None
    mean = numbers(path, arrays, mean_name, (n, 1), np.float64)
    std = numbers(path, arrays, std_name, (n, 1), np.float64)
    if np.any(std <= 0):
        raise bad(path, std_name, "expected positive standard deviations")
    return Standardizer(mean, std)


def _read_model_file(path) -> tuple[int, Config, dict]:
    """format_version, config (and epoch) read and checked first; then every other member is checked against
    them (name, declared shape and size) before anything else is decompressed. Returns the arrays with
    "epoch" as an int when present."""
    with open_npz(path, expected=EXPECTED, error=ModelFileError) as archive:
        headers = member_headers(archive)
        arrays = {}

        def read(name: str) -> None:
            expect(path, name, headers[name], PRELUDE[name])
            arrays[name] = read_member(path, archive, name, error=ModelFileError)

        if "format_version" not in headers:
            raise ModelFileError(f"{path}: array 'format_version' is missing: not a dnn model file "
                                 f"(found {', '.join(sorted(headers)) or 'no arrays'})")
        read("format_version")
        version = scalar_int(path, arrays, "format_version")
        if version > FORMAT_VERSION:
            raise ModelFileError(f"{path}: format_version {version} is newer than this dnn supports "
                                 f"({FORMAT_VERSION}); upgrade dnn-cli to read it")
        if version < 1:
            raise bad(path, "format_version", f"expected 1..{FORMAT_VERSION}, got {version}")
        if "config" not in headers:
            raise ModelFileError(f"{path}: array 'config' is missing")
        read("config")
        raw = scalar_json(path, arrays, "config")
        if not isinstance(raw, dict):
            raise bad(path, "config", f"expected a JSON object, got {type(raw).__name__}")
        try:
            config = config_from_dict(without_ignored_data_keys(raw), source=f"{path}: array 'config'")
        except ConfigError as e:
            raise ModelFileError(str(e).splitlines()[0]) from None
        if "epoch" in headers:
            read("epoch")
            arrays["epoch"] = scalar_int(path, arrays, "epoch")
            if arrays["epoch"] < 0:
                raise bad(path, "epoch", f"expected a count >= 0, got {arrays['epoch']}")
        check_model_members(path, headers, config, arrays.get("epoch"))
        arrays.update((name, read_member(path, archive, name, error=ModelFileError))
                      for name in headers if name not in arrays)
    return version, config, arrays
