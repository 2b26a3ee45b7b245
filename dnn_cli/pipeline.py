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
from .encoding import Encoder
from .errors import ConfigError, DataError, listed, shorten
from .heldout import HELDOUT_KEYS, load_heldout
from .io.csvfile import parse_float
from .io.datapath import check_data_path
from .io.tables import load_file
from .losses import resolve_loss
from .metrics import evaluate
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
    target_scaler: Standardizer | None = None  # regression targets learnt standardised (data.standardize_target)
    encoder: Encoder | None = None  # string columns one-hot, missing cells filled (fitted on the train split)
    notes: tuple[str, ...] = ()  # what the data preparation did that a user should hear of (rows dropped)
    test: Dataset | None = None  # data.test_source: scored once, for the final model
    warnings: tuple[str, ...] = ()  # what looks wrong with the data, though legal (an identifier one-hot encoded)

    def test_metrics(self) -> dict:
        """{'test_cost', 'test_accuracy' | 'test_rmse', 'test_m'} of the network now; {} without a test file."""
        if self.test is None:
            return {}
        scale = self.target_scaler.std if self.target_scaler is not None else None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            scores = evaluate(self.network, self.test.X, self.test.y, scale)
        return {f"test_{k}": v for k, v in scores.items()}

    def model_contents(self) -> dict:
        """What a model file keeps besides the network and config: keyword arguments of `io.modelfile.save_model`."""
        return {"classes": self.train.classes, "standardizer": self.standardizer, "features": self.train.feature_names,
                "target_scaler": self.target_scaler, "encoder": self.encoder}

    def train_options(self) -> dict:
        """Keyword arguments for `training.train` / `iter_epochs` from the config's train keys."""
        t = self.config.train
        options = {key: getattr(t, key) for key in (
            "epochs", "learning_rate", "batch_size", "l2", "lr_decay", "decay_rate", "decay_every", "log_every")}
        options["keep_prob"] = self.config.model.keep_prob
        options["early_stopping"] = t.early_stopping.model_dump() if t.early_stopping else None
        if self.dev is not None:
            options["X_dev"], options["Y_dev"] = self.dev.X, self.dev.y
        if self.target_scaler is not None:
            options["target_scale"] = self.target_scaler.std
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
        return load_file(data.source, label=data.label, task=task, missing=data.missing, ignore=data.ignore_columns)
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


def check_layers_match_data(config, dataset: Dataset, source: str, encoder: Encoder | None = None) -> None:
    """n^[0] must equal the data's feature count, and n^[L] must fit its classes or targets."""
    layers = config.model.layers
    problems = []
    if layers[0] != dataset.n_x:
        encoding = f" after encoding ({encoder.describe()})" if encoder is not None and encoder.has_categories else ""
        problems.append(f"model.layers[0]: n^[0] = {layers[0]} but the data ({dataset.source}) has "
                        f"{dataset.n_x} features{encoding}")
    n_L, output = layers[-1], config.model.activation_names()[-1]
    if dataset.task == "classification" and config.data.standardize_target:
        problems.append("data.standardize_target: applies to regression (a linear output with loss mse) only; "
                        "this network is a classifier")
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


def train_split(config, source: str = "<config>", *, file_data: Dataset | None = None) -> Dataset:
    """The training split `prepare` makes (same data, same stream, same split), unscaled and unchecked.

    `file_data`: the data file's dataset when the caller has read it already (reading a file draws nothing
    from the data stream, so the split is the same).
    """
    data_rng = streams(config)[0]
    dataset = load_dataset(config, data_rng, source) if file_data is None else file_data
    return split(dataset, config.data.dev_fraction, data_rng)[0]


def encoded_train_split(config, source: str = "<config>", *, file_data: Dataset | None = None):
    """(train, encoder): the training split `prepare` makes, its raw columns encoded as `prepare` encodes them
    (encoder None for numeric data); unchecked. What `dnn shapes` and a sweep check the layers against."""
    train = train_split(config, source, file_data=file_data)
    encoder = fit_encoder(config, train)
    return (encoded(train, encoder, "the training split") if encoder is not None else train), encoder


def prepare(config, *, source: str = "<config>", parameters: dict | None = None,
            dataset: Dataset | None = None, heldout_tables: dict | None = None) -> Prepared:
    """Data, splits, scaling and a network (new from the init scheme, or from `parameters`).

    `dataset`: the config's data file, already read (`load_dataset`), e.g. by a sweep's client for its
    workers; `heldout_tables`: likewise the dev and test files ("dev_source", "test_source" -> the table
    `heldout.read_heldout` gives). Reading a file draws nothing from the data stream, so the run is the same
    either way.
    """
    data_rng, init_rng, train_rng = streams(config)
    dtype = np.dtype(config.train.dtype)
    if dataset is None:
        dataset = load_dataset(config, data_rng, source)
    elif not config.data.is_file():  # a built-in dataset is drawn from the stream: it must be drawn here
        raise ValueError("prepare(dataset=...) takes a data file's contents only")
    if dataset.raw is None:
        check_layers_match_data(config, dataset, source)
    t = config.train
    check_fits(training_bytes(config.model.layers, dataset.m, t.batch_size, t.dtype, t.optimizer),
               f"training layers {config.model.layers} on {dataset.m:,} samples", source)
    train_set, dev_set = split(dataset, config.data.dev_fraction, data_rng)
    encoder = fit_encoder(config, train_set)
    if encoder is not None:
        train_set = encoded(train_set, encoder, "the training split")
        dev_set = encoded(dev_set, encoder, "the dev split") if dev_set is not None else None
        check_layers_match_data(config, train_set, source, encoder)
    tables = heldout_tables or {}
    heldout = {key: load_heldout(getattr(config.data, key), key, dataset, encoder, config.data.missing, source,
                                 ignore=config.data.ignore_columns, table=tables.get(key))
               for key in HELDOUT_KEYS if getattr(config.data, key) is not None}
    dev_set = heldout.get("dev_source", dev_set)
    test_set = heldout.get("test_source")
    check_split(config, train_set, dev_set, source)
    standardizer = None
    if config.data.standardize:
        standardizer = Standardizer.fit(train_set.X)
        train_set = _scaled(train_set, standardizer)
        dev_set = _scaled(dev_set, standardizer) if dev_set is not None else None
        test_set = _scaled(test_set, standardizer) if test_set is not None else None
    target_scaler = None
    if scales_target(config, train_set):
        target_scaler = Standardizer.fit(train_set.y)
        train_set = replace(train_set, y=target_scaler.transform(train_set.y))
        dev_set = replace(dev_set, y=target_scaler.transform(dev_set.y)) if dev_set is not None else None
        test_set = replace(test_set, y=target_scaler.transform(test_set.y)) if test_set is not None else None
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
    notes = sum((data_notes(d) for d in (dataset, *heldout.values())), ())
    warnings = tuple(f"{dataset.source}: {w}" for w in encoder.identifier_like(train_set.m)) if encoder else ()
    return Prepared(config, network, train_set, dev_set, standardizer, state, target_scaler, encoder, notes, test_set,
                    warnings)


def fit_encoder(config, train_set: Dataset) -> Encoder | None:
    """The encoder of a raw data file's training split (None for numeric data).

    Categories and means come from the training split only, as they would for data never seen.
    """
    if train_set.raw is None:
        return None
    return Encoder.fit(train_set.raw, missing=config.data.missing, unknown=config.data.unknown_categories)


def encoded(dataset: Dataset, encoder: Encoder, what: str) -> Dataset:
    """The dataset with X (n^[0], m) from its raw columns, named by the encoded features ('colour=red')."""
    X = encoder.transform(dataset.raw, what)
    return replace(dataset, X=X, feature_names=encoder.feature_names(), raw=None)


def data_notes(dataset: Dataset) -> tuple[str, ...]:
    """Sentences on what the data preparation left out (data.missing: drop)."""
    if not dataset.dropped:
        return ()
    n, lines = len(dataset.dropped), dataset.dropped
    shown = ", ".join(str(line) for line in lines[:5]) + (", ..." if n > 5 else "")
    s = "s" if n > 1 else ""
    return (f"{dataset.source}: dropped {n:,} row{s} with a missing cell (line{s} {shown}); {dataset.m:,} remain",)


def scales_target(config, dataset: Dataset) -> bool:
    """True when the run learns standardised targets: data.standardize_target, or by default (null) a regression
    on a data file (a built-in dataset's targets are already of unit scale)."""
    if dataset.task != "regression":
        return False
    wanted = config.data.standardize_target
    return config.data.is_file() if wanted is None else wanted


def _scaled(dataset: Dataset, standardizer: Standardizer) -> Dataset:
    return replace(dataset, X=standardizer.transform(dataset.X))


def fit(prepared: Prepared, *, callback=None, trace: bool = False):
    """Train the prepared network; returns the `training.TrainResult`, whose final metrics include the test file's
    (data.test_source), measured once on the final (or restored best) parameters. trace: see `training.iter_epochs`."""
    options = prepared.train_options()
    if trace:
        options["trace"] = True
    result = train(prepared.network, prepared.train.X, prepared.train.y, state=prepared.state,
                   callback=callback, **options)
    result.final.update(prepared.test_metrics())
    return result
