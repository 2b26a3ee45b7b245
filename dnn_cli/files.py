"""Model NPZ files (W1..WL, b1..bL, the resolved config) and metrics files, written atomically.

Every write goes through `atomic.atomic_write` (a temporary file in the target's folder, renamed over
the target), so an interrupted save never leaves a broken file behind.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write, check_writable  # noqa: F401 (also imported from here by the commands)
from .config import Config, config_from_dict
from .data import Standardizer
from .errors import ConfigError, ModelFileError, TrainingError, UsageError
from .modelmembers import (
    INT,
    PRELUDE,
    Declared,
    bad,
    check_model_members,
    check_parameter_members,
    expect,
    member_headers,
    optimizer_template,
    state_rules,
)
from .network import Network
from .resources import npz_member_problem
from .training import EpochResult

FORMAT_VERSION = 1


def model_arrays(network, config: dict, *, classes=None, standardizer=None, features=None, state=None,
                 extra: dict | None = None) -> dict:
    """The arrays of a model file: W1..WL, b1..bL, config (JSON), format_version, and what prediction needs.

    classes: the labels the output codes 0..K-1 stand for; standardizer: x_mean, x_std (n^[0], 1);
    features: the n^[0] feature names; state: a TrainingState, stored so the run can be resumed exactly.
    """
    arrays = dict(network.parameters())
    arrays["config"] = np.array(json.dumps(config))
    arrays["format_version"] = np.array(FORMAT_VERSION)
    if classes is not None:
        arrays["classes"] = _json_array([c.item() if isinstance(c, np.generic) else c for c in classes])
    if features is not None:
        arrays["features"] = _json_array([str(name) for name in features])
    if standardizer is not None:
        arrays["x_mean"], arrays["x_std"] = standardizer.mean, standardizer.std
    if state is not None:
        arrays.update(state_arrays(state))
    arrays.update(extra or {})
    return arrays


def _json_array(value) -> np.ndarray:
    return np.array(json.dumps(value))


def state_arrays(state) -> dict:
    """A TrainingState as arrays: epoch, costs, history, rng_state, early_stopping, optimizer_*, best_*.

    Floats go through JSON as their shortest round-trip repr and arrays keep their dtype, so a
    restored state continues bit for bit.
    """
    arrays = {
        "epoch": np.array(state.epoch, dtype=np.int64),
        "costs": np.array(state.costs, dtype=np.float64),
        "history": _json_array([h.to_dict() for h in state.history]),
        "rng_state": _json_array(state.rng.bit_generator.state),
        "early_stopping": _json_array({"best_cost": state.best_cost, "best_epoch": state.best_epoch,
                                       "wait": state.wait, "stopped_early": state.stopped_early}),
    }
    arrays.update({f"optimizer_{k}": np.asarray(v) for k, v in state.optimizer.state().items()})
    dev_costs = getattr(state, "dev_costs", None)
    if dev_costs:
        # NaN where the run did not record one (a resumed older checkpoint); a dev cost may overflow to inf.
        arrays["dev_costs"] = np.array([np.nan if c is None else c for c in dev_costs], dtype=np.float64)
    for prefix in ("best", "last"):
        W_list, b_list = getattr(state, f"{prefix}_W", None), getattr(state, f"{prefix}_b", None)
        if W_list is not None:
            for l, (W, b) in enumerate(zip(W_list, b_list), start=1):
                arrays[f"{prefix}_W{l}"], arrays[f"{prefix}_b{l}"] = W, b
    return arrays


def save_model(path, network, config: dict, **kwargs) -> None:
    """Write the model NPZ atomically (see `model_arrays` for its contents); never with non-finite parameters."""
    if not network.is_finite():
        raise TrainingError(f"{path}: not saved: the parameters are not finite (NaN or inf); the file, if any, "
                            "is left as it was")
    buffer = io.BytesIO()
    np.savez(buffer, **model_arrays(network, config, **kwargs))
    atomic_write(path, buffer.getvalue(), "model")


def _read_member(path, archive, name: str) -> np.ndarray:
    """Array `name` of an open NpzFile, checked before it is read; ModelFileError naming it otherwise."""
    problem = npz_member_problem(archive, name)
    if problem:
        raise ModelFileError(f"{path}: array '{name}': {problem}")
    try:
        a = archive[name]
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise ModelFileError(f"{path}: array '{name}' holds Python objects; refusing to unpickle it") from None
        raise ModelFileError(f"{path}: array '{name}' is corrupt ({e})") from None
    except (zipfile.BadZipFile, EOFError, OSError, MemoryError, zlib.error, NotImplementedError, RuntimeError) as e:
        # NotImplementedError: an unknown zip version or compression; RuntimeError: "encrypted".
        raise ModelFileError(f"{path}: array '{name}' is corrupt ({e or type(e).__name__})") from None
    if not isinstance(a, np.ndarray):  # numpy hands back the raw bytes of a member that is not a .npy
        raise ModelFileError(f"{path}: array '{name}' is not a .npy array (a raw {len(a):,}-byte member)")
    return a


@contextmanager
def _npz(path):
    """The open NpzFile of `path` (closed after use); ModelFileError naming the file when it is not one."""
    try:
        # Opened here, not by np.load: numpy leaves its own handle open when it refuses a pickle.
        f = open(path, "rb")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: expected an NPZ file, got a directory") from None
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable NPZ file ({e or type(e).__name__})") from None
    with f:
        try:
            archive = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:
            if "allow_pickle" in str(e):
                # numpy takes any file that is neither a zip nor a .npy for a pickle.
                raise ModelFileError(f"{path}: not a readable NPZ file (not a zip archive of arrays; "
                                     "refusing to unpickle it)") from None
            raise ModelFileError(f"{path}: not a readable NPZ file ({e or type(e).__name__})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path}: expected an NPZ archive of arrays, got a single .npy array")
        with archive:
            yield archive


def read_arrays(path) -> dict:
    """All arrays of an NPZ file, loaded without pickle; ModelFileError naming the file otherwise."""
    with _npz(path) as archive:
        return {name: _read_member(path, archive, name) for name in archive.files}


def load_parameters(path, layers) -> dict:
    """W1..WL, b1..bL from an NPZ, checked against layer sizes n^[0..L]; names the first bad array.

    Members other than W1..bL and a model file's own are refused, and only W1..bL are read, each after
    its declared shape and size are checked (see `modelmembers`).
    """
    with _npz(path) as archive:
        headers = member_headers(archive)
        check_parameter_members(path, headers, layers)
        wanted = [f"{kind}{l}" for l in range(1, len(layers)) for kind in ("W", "b")]
        arrays = {name: _read_member(path, archive, name) for name in wanted if name in headers}
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


def metrics_document(config: dict, history, final: dict, seconds: float, *, warnings=(), curve=None) -> dict:
    """The metrics JSON object: config, history (one dict per logged epoch), final, seconds, warnings.

    With a dev set, `curve` holds train and dev cost for every epoch ({"epoch", "cost", "dev_cost"}; the
    last row, epoch = epochs run, has the dev cost of the final parameters only).
    """
    document = {"config": config, "history": [h.to_dict() for h in history], "final": final, "seconds": seconds,
                "warnings": list(warnings)}
    if curve:
        document["curve"] = list(curve)
    return document


def write_metrics(path, document: dict) -> None:
    """Metrics as JSON (the whole document) or CSV (one row per logged epoch), by the suffix."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        rows = document["history"]
        if document.get("curve"):
            # One row per epoch: the curve's costs, with the logged epochs' other metrics beside them.
            logged = {row["epoch"]: row for row in rows}
            rows = [{**row, **logged.get(row["epoch"], {})} for row in document["curve"]]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path, text.getvalue().encode(), "metrics")
    else:
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode(), "metrics")


def check_metrics_path(path, suffixes=(".json", ".csv"), why: str = "") -> None:
    """Fail before any work when --metrics-out has another suffix or cannot be written."""
    if Path(path).suffix.lower() not in suffixes:
        raise UsageError(f"--metrics-out {path}: expected a {' or '.join(suffixes)} file name{why}")
    check_writable(path, "metrics")


# ---------------------------------------------------------------------------------------------
# Reading a model file back: every array is checked against what its config says it must be.


@dataclass
class Model:
    """A model file, checked and loaded: the network and everything prediction and resuming need.

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

    def scale(self, X) -> np.ndarray:
        """X (n^[0], m) as the network saw it in training: standardized when training was."""
        return self.standardizer.transform(X) if self.standardizer is not None else np.asarray(X, dtype=np.float64)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (K, m), row k for `labels[k]`; for a sigmoid output rows 1 - A^[L] and A^[L]."""
        if not self.network.is_classifier:
            raise UsageError(f"{self.path}: a regression model ({self.network.activations[-1]} output) has no "
                             "class probabilities")
        AL = self.network.predict_proba(self.scale(X))
        return np.vstack([1.0 - AL, AL]) if self.network.loss.name == "binary_cross_entropy" else AL

    def predict(self, X) -> list | np.ndarray:
        """Labels (a list of m class labels) for a classifier, A^[L] (n^[L], m) for a regressor."""
        out = self.network.predict(self.scale(X))
        if not self.network.is_classifier:
            return out
        labels = self.labels
        return [labels[k] for k in out[0]]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar_json(path, arrays: dict, name: str):
    expect(path, name, arrays[name], Declared((), None, "json"))
    try:
        return json.loads(str(arrays[name]))
    except ValueError as e:
        raise bad(path, name, f"expected valid JSON ({e})") from None
    except RecursionError:
        raise bad(path, name, "expected valid JSON (nested too deeply)") from None


def _scalar_int(path, arrays: dict, name: str) -> int:
    expect(path, name, arrays[name], INT)
    return int(arrays[name])


def _numbers(path, arrays: dict, name: str, shape: tuple, dtype) -> np.ndarray:
    a = arrays[name]
    expect(path, name, a, Declared(shape, np.dtype(dtype)))
    if not np.all(np.isfinite(a)):
        raise bad(path, name, "contains NaN or infinite values")
    return a


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
        W.append(_numbers(path, arrays, f"W{l}", (layers[l], layers[l - 1]), dtype))
        b.append(_numbers(path, arrays, f"b{l}", (layers[l], 1), dtype))
    network = Network(W, b, config.model.activations, loss=config.model.loss)

    state_names = list(state_rules(config, arrays["epoch"], arrays)) if "epoch" in arrays else []
    for name in state_names:
        if name not in arrays:
            raise ModelFileError(f"{path}: array '{name}' is missing (a checkpoint of optimizer "
                                 f"{config.train.optimizer} holds {', '.join(state_names)})")

    classes = None
    if "classes" in arrays:
        classes = _scalar_json(path, arrays, "classes")
        if (not isinstance(classes, list) or not classes
                or not all(isinstance(c, str) for c in classes) and not all(_is_int(c) for c in classes)):
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
        features = _scalar_json(path, arrays, "features")
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise bad(path, "features", "expected a JSON list of feature names")
        if len(features) != n_x:
            raise bad(path, "features", f"expected n^[0] = {n_x} names, got {len(features)}")
        features = tuple(features)

    standardizer = None
    if ("x_mean" in arrays) != ("x_std" in arrays):
        name = "x_std" if "x_mean" in arrays else "x_mean"
        raise ModelFileError(f"{path}: array '{name}' is missing (x_mean and x_std come together)")
    if "x_mean" in arrays:
        mean = _numbers(path, arrays, "x_mean", (n_x, 1), np.float64)
        std = _numbers(path, arrays, "x_std", (n_x, 1), np.float64)
        if np.any(std <= 0):
            raise bad(path, "x_std", "expected positive standard deviations")
        standardizer = Standardizer(mean, std)

    state = _check_state(path, arrays, optimizer_template(config), network) if state_names else None
    return Model(str(path), network, config, classes, features, standardizer, state, version)


def _read_model_file(path) -> tuple[int, Config, dict]:
    """format_version, config (and epoch) read and checked first; then every other member is checked against
    them (name, declared shape and size) before anything else is decompressed. Returns the arrays with
    "epoch" as an int when present."""
    with _npz(path) as archive:
        headers = member_headers(archive)
        arrays = {}

        def read(name: str) -> None:
            expect(path, name, headers[name], PRELUDE[name])
            arrays[name] = _read_member(path, archive, name)

        if "format_version" not in headers:
            raise ModelFileError(f"{path}: array 'format_version' is missing: not a dnn model file "
                                 f"(found {', '.join(sorted(headers)) or 'no arrays'})")
        read("format_version")
        version = _scalar_int(path, arrays, "format_version")
        if version > FORMAT_VERSION:
            raise ModelFileError(f"{path}: format_version {version} is newer than this dnn supports "
                                 f"({FORMAT_VERSION}); upgrade dnn-cli to read it")
        if version < 1:
            raise bad(path, "format_version", f"expected 1..{FORMAT_VERSION}, got {version}")
        if "config" not in headers:
            raise ModelFileError(f"{path}: array 'config' is missing")
        read("config")
        raw = _scalar_json(path, arrays, "config")
        if not isinstance(raw, dict):
            raise bad(path, "config", f"expected a JSON object, got {type(raw).__name__}")
        try:
            config = config_from_dict(raw, source=f"{path}: array 'config'")
        except ConfigError as e:
            raise ModelFileError(str(e).splitlines()[0]) from None
        if "epoch" in headers:
            read("epoch")
            arrays["epoch"] = _scalar_int(path, arrays, "epoch")
            if arrays["epoch"] < 0:
                raise bad(path, "epoch", f"expected a count >= 0, got {arrays['epoch']}")
        check_model_members(path, headers, config, arrays.get("epoch"))
        arrays.update((name, _read_member(path, archive, name)) for name in headers if name not in arrays)
    return version, config, arrays


def _check_state(path, arrays: dict, template: dict, network: Network) -> dict:
    """The training-state arrays of a checkpoint, each checked; JSON ones decoded."""
    epoch = arrays["epoch"]
    state = {"epoch": epoch, "costs": _numbers(path, arrays, "costs", (epoch,), np.float64)}
    history = _scalar_json(path, arrays, "history")
    try:
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            raise TypeError("not a list of objects")
        state["history"] = [EpochResult(**h, logged=True) for h in history]
        for h in state["history"]:
            values = [v for k, v in h._asdict().items() if k not in ("epoch", "logged") and v is not None]
            if not _is_int(h.epoch) or not 0 <= h.epoch < max(epoch, 1) or not all(map(_is_number, values)):
                raise TypeError(f"epoch {h.epoch!r}: expected an epoch number below {epoch} and numbers")
    except TypeError as e:
        raise bad(path, "history", f"expected a list of logged epochs ({e})") from None
    rng_state = _scalar_json(path, arrays, "rng_state")
    rng = np.random.Generator(np.random.PCG64())
    try:
        if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != "PCG64":
            raise ValueError("expected the state of a PCG64 bit generator")
        rng.bit_generator.state = rng_state
    except (ValueError, TypeError, KeyError) as e:
        raise bad(path, "rng_state", str(e)) from None
    state["rng"] = rng
    early = _scalar_json(path, arrays, "early_stopping")
    keys = {"best_cost", "best_epoch", "wait", "stopped_early"}
    if (not isinstance(early, dict) or set(early) != keys or not _is_number(early["best_cost"])
            or not (early["best_epoch"] is None or _is_int(early["best_epoch"]))
            or not _is_int(early["wait"]) or early["wait"] < 0 or not isinstance(early["stopped_early"], bool)):
        raise bad(path, "early_stopping", f"expected a JSON object with {', '.join(sorted(keys))} (a number, "
                                          "an epoch or null, a count, true or false)")
    state.update(early)
    optimizer = {}
    for name, a in template.items():
        if a.kind == "int":
            optimizer[name] = _scalar_int(path, arrays, f"optimizer_{name}")
        else:
            optimizer[name] = _numbers(path, arrays, f"optimizer_{name}", a.shape, a.dtype)
    state["optimizer"] = optimizer
    if "dev_costs" in arrays:
        # The dev cost after e epochs, e = 0..epoch (the early-stopping check of the parameters saved).
        # (its dtype and shape (epoch + 1,) were checked with the other members, see modelmembers.state_rules)
        state["dev_costs"] = arrays["dev_costs"]
    for prefix in ("best", "last"):
        if f"{prefix}_W1" in arrays:
            state[f"{prefix}_W"] = [_numbers(path, arrays, f"{prefix}_W{l}", W.shape, W.dtype)
                                    for l, W in enumerate(network.W, start=1)]
            state[f"{prefix}_b"] = [_numbers(path, arrays, f"{prefix}_b{l}", b.shape, b.dtype)
                                    for l, b in enumerate(network.b, start=1)]
    return state


def restore_state(state, model: Model) -> None:
    """Continue a TrainingState from a checkpoint: epoch, costs, history, optimizer, rng, early stopping.

    The state's optimizer must be the checkpoint's (same config); the network's parameters are
    set separately (from `model.network`).
    """
    if model.state is None:
        raise ModelFileError(f"{model.path}: holds no training state to resume (it was saved without one); "
                             f"use --init-from to start a new run from its parameters")
    saved = model.state
    state.epoch = saved["epoch"]
    state.costs = [float(c) for c in saved["costs"]]
    state.history = list(saved["history"])
    state.optimizer.load_state(saved["optimizer"])
    state.rng.bit_generator.state = saved["rng"].bit_generator.state
    state.best_cost, state.best_epoch = saved["best_cost"], saved["best_epoch"]
    state.wait, state.stopped_early = saved["wait"], saved["stopped_early"]
    state.best_W = [W.copy() for W in saved["best_W"]] if "best_W" in saved else None
    state.best_b = [b.copy() for b in saved["best_b"]] if "best_b" in saved else None
    state.dev_costs = [None if np.isnan(c) else float(c) for c in saved["dev_costs"]] if "dev_costs" in saved else []


def differing_keys(a: dict, b: dict, prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two nested config dicts, e.g. ['train.epochs']."""
    keys = []
    for key in dict.fromkeys([*a, *b]):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            keys += differing_keys(x, y, f"{prefix}{key}.")
        elif x != y:
            keys.append(f"{prefix}{key}")
    return keys
