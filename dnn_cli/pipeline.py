"""From a validated config to a trained network: data, splits, scaling, parameters, training.

One `np.random.default_rng(seed)` is made here and split into independent streams for the data,
the initial parameters and the training loop (batch order, dropout), so changing the init scheme
never changes the data and `--init-from` never changes the batch order.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import numpy as np

from .datasets import DATASETS, Dataset, make_dataset
from .errors import ConfigError, DataError, listed, shorten
from .io.csvfile import parse_float
from .io.tables import check_data_path, load_file
from .losses import resolve_loss
from .network import Network
from .preprocessing import Standardizer, split
from .resources import check_fits, data_bytes, training_bytes
from .training import TrainingState, new_state, train

MANY_CLASSES = 20  # integer labels with more distinct values than this (and than m / 2) are a regression target
# The values an output activation can produce; a target outside them can never be reached.
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, math.inf)}


@dataclass
class Prepared:
    """Everything a run needs: the network, the (scaled) splits and the training state."""

    config: object
    network: Network
    train: Dataset
    dev: Dataset | None
    standardizer: Standardizer | None
    state: TrainingState

    def train_options(self) -> dict:
        """Keyword arguments for `training.train` / `iter_epochs` from the config's train keys."""
        t = self.config.train
        options = {key: getattr(t, key) for key in (
            "epochs", "learning_rate", "batch_size", "l2", "lr_decay", "decay_rate", "decay_every", "log_every")}
        options["keep_prob"] = self.config.model.keep_prob
        options["early_stopping"] = t.early_stopping.model_dump() if t.early_stopping else None
        if self.dev is not None:
            options["X_dev"], options["Y_dev"] = self.dev.X, self.dev.y
        return options


def task_of(config) -> str:
    """'regression' for a mean-squared-error network, else 'classification'."""
    loss = resolve_loss(config.model.loss, config.model.activation_names()[-1])
    return "regression" if loss.name == "mse" else "classification"


def load_dataset(config, rng, source: str = "<config>") -> Dataset:
    """The config's data: a built-in dataset drawn from `rng`, or a data file (see io.tables.READERS)."""
    data = config.data
    task = task_of(config)
    if data.is_file():
        check_data_path(data.source, source)
        return load_file(data.source, label=data.label, task=task)
    spec = DATASETS.get(data.source)
    if spec is not None:
        m = data.n_samples or spec.defaults.get("n_samples", 0)
        n_x = data.n_features or spec.defaults.get("n_features", config.model.layers[0])
        check_fits(data_bytes(m, n_x, 1), f"dataset '{data.source}' with n_samples = {m:,}", source)
    try:
        dataset = make_dataset(data.source, rng, n_samples=data.n_samples, noise=data.noise,
                               n_classes=data.n_classes, n_features=data.n_features)
    except DataError as e:
        raise ConfigError(f"{source}: data: {e}") from None
    if dataset.task != task:
        raise ConfigError(f"data.source: '{data.source}' is a {dataset.task} dataset, but the output "
                          f"activation '{config.model.activation_names()[-1]}' makes this a {task} network")
    return dataset


def check_layers_match_data(config, dataset: Dataset, source: str) -> None:
    """n^[0] must equal the data's feature count, and n^[L] must fit its classes or targets."""
    layers = config.model.layers
    problems = []
    if layers[0] != dataset.n_x:
        problems.append(f"model.layers[0]: n^[0] = {layers[0]} but the data ({dataset.source}) has "
                        f"{dataset.n_x} features")
    n_L, output = layers[-1], config.model.activation_names()[-1]
    if dataset.task == "classification":
        K = len(dataset.classes)
        if K < 2:
            # Nothing to learn: every sample has the same label, and the cost would fall to 0 at once.
            problems.append(f"data: {dataset.source} has only one class {shorten(repr(dataset.classes[0]))} in "
                            "its labels; a classifier needs at least 2")
        wrong_size = output == "softmax" and n_L != K or output == "sigmoid" and (n_L != 1 or K > 2)
        if wrong_size and looks_like_regression(dataset.classes, dataset.m):
            problems.append(f"model.activations: the labels of {dataset.source} look like a regression target "
                            f"({K} distinct numbers, e.g. {listed(dataset.classes[:3], 80)}), "
                            f"but the {output} output makes this a classifier; for regression use a linear output "
                            f"and loss mse: model.activations: {_with_output(config, 'linear')}, model.loss: mse, "
                            f"n^[L] = 1")
        elif output == "softmax" and n_L != K:
            problems.append(f"model.layers[-1]: n^[L] = {n_L} but the data has {K} classes ({dataset.source}); "
                            "a softmax output needs one unit per class")
        elif output == "sigmoid" and (n_L != 1 or K > 2):
            problems.append(f"model.layers[-1]: a sigmoid output needs n^[L] = 1 and 2 classes, got "
                            f"n^[L] = {n_L} and {K} classes in the data ({dataset.source}); use softmax with "
                            f"n^[L] = {K}")
    else:
        if n_L != dataset.y.shape[0]:
            problems.append(f"model.layers[-1]: n^[L] = {n_L} but the data has {dataset.y.shape[0]} target "
                            f"column(s) ({dataset.source})")
        problems += _range_problems(config, dataset)
    if problems:
        raise ConfigError("\n".join(f"{source}: {p}" for p in problems))


def looks_like_regression(classes, m: int) -> bool:
    """True when class labels are numbers a regression target would have: a fraction, or many distinct values."""
    values = [parse_float(c) if isinstance(c, str) else c for c in classes]
    if not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in values):
        return False
    fractional = any(not float(v).is_integer() for v in values)
    return fractional or len(values) > MANY_CLASSES and len(values) > m / 2


def _with_output(config, output: str) -> str:
    return "[" + ", ".join(config.model.activation_names()[:-1] + [output]) + "]"


def _range_problems(config, dataset: Dataset) -> list[str]:
    """A bounded output activation (sigmoid, tanh, relu...) must be able to reach every target."""
    output = config.model.activation_names()[-1]
    low, high = OUTPUT_RANGES.get(output, (-math.inf, math.inf))
    if dataset.y.size == 0:
        return []
    y_min, y_max = float(dataset.y.min()), float(dataset.y.max())
    if low <= y_min and y_max <= high:
        return []
    bounds = f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, inf)"
    return [f"model.activations: the output g^[L] = {output} gives values in {bounds}, but the targets of "
            f"{dataset.source} range over [{y_min:.4g}, {y_max:.4g}]; use a linear output for regression: "
            f"model.activations: {_with_output(config, 'linear')}"]


def check_split(config, train_set: Dataset, dev_set: Dataset | None, source: str) -> None:
    """A dev split must leave the training split at least two classes to learn from."""
    if dev_set is None or train_set.task != "classification":
        return
    K = len(train_set.classes)
    in_train = np.bincount(train_set.y[0], minlength=K)
    if np.count_nonzero(in_train) >= 2:
        return
    in_dev = np.bincount(dev_set.y[0], minlength=K)
    counts = listed(f"{shorten(c)}: {n} train + {d} dev" for c, n, d in zip(train_set.classes, in_train, in_dev))
    raise ConfigError(f"{source}: data.dev_fraction: {config.data.dev_fraction} leaves the training split with "
                      f"one class (class counts {counts}); a classifier needs at least 2 classes to train on: "
                      "lower data.dev_fraction or add samples of the other classes")


def streams(config) -> list:
    """The seed's independent streams: [data (draw and split), initial parameters, training loop]."""
    return np.random.default_rng(config.seed).spawn(3)


def train_split(config, source: str = "<config>") -> Dataset:
    """The training split `prepare` makes (same data, same stream, same split), unscaled and unchecked."""
    data_rng = streams(config)[0]
    dataset = load_dataset(config, data_rng, source)
    return split(dataset, config.data.dev_fraction, data_rng)[0]


def prepare(config, *, source: str = "<config>", parameters: dict | None = None,
            dataset: Dataset | None = None) -> Prepared:
    """Data, splits, scaling and a network (new from the init scheme, or from `parameters`).

    `dataset`: the config's data file, already read (`load_dataset`), e.g. by a sweep's client for its
    workers. Reading a file draws nothing from the data stream, so the run is the same either way.
    """
    data_rng, init_rng, train_rng = streams(config)
    dtype = np.dtype(config.train.dtype)
    if dataset is None:
        dataset = load_dataset(config, data_rng, source)
    elif not config.data.is_file():  # a built-in dataset is drawn from the stream: it must be drawn here
        raise ValueError("prepare(dataset=...) takes a data file's contents only")
    check_layers_match_data(config, dataset, source)
    t = config.train
    check_fits(training_bytes(config.model.layers, dataset.m, t.batch_size, t.dtype, t.optimizer),
               f"training layers {config.model.layers} on {dataset.m:,} samples", source)
    train_set, dev_set = split(dataset, config.data.dev_fraction, data_rng)
    check_split(config, train_set, dev_set, source)
    standardizer = None
    if config.data.standardize:
        standardizer = Standardizer.fit(train_set.X)
        train_set = _scaled(train_set, standardizer)
        dev_set = _scaled(dev_set, standardizer) if dev_set is not None else None
    model = config.model
    if parameters is None:
        network = Network.initialize(model.layers, model.activations, model.init, rng=init_rng,
                                     init_scale=model.init_scale, loss=model.loss, dtype=dtype)
    else:
        W = [np.array(parameters[f"W{l}"], dtype=dtype) for l in range(1, len(model.layers))]
        b = [np.array(parameters[f"b{l}"], dtype=dtype) for l in range(1, len(model.layers))]
        network = Network(W, b, model.activations, loss=model.loss)
    state = new_state(network, optimizer=t.optimizer, beta1=t.beta1, beta2=t.beta2, epsilon=t.epsilon,
                      rng=train_rng)
    return Prepared(config, network, train_set, dev_set, standardizer, state)


def _scaled(dataset: Dataset, standardizer: Standardizer) -> Dataset:
    return replace(dataset, X=standardizer.transform(dataset.X))


def fit(prepared: Prepared, *, callback=None):
    """Train the prepared network; returns the `training.TrainResult`."""
    return train(prepared.network, prepared.train.X, prepared.train.y, state=prepared.state,
                 callback=callback, **prepared.train_options())
