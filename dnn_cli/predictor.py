"""A trained model applied to new inputs: the inputs read to fit it, probabilities, labels, the evaluation.

A model trained on a table with a header stores its feature names, and a file given to predict / evaluate
must name them too (in any order, other columns ignored): a file whose header shares no name with the model
is refused rather than read by position, unless the caller asks for position explicitly. A model without
real names (trained on an array file or a built-in dataset, whose features are called x1, x2, ...) is
matched by name when every name is present, else by position, as the count allows. The matching lives here,
not in `io.tables`, because it is about the model: its names, its n^[0], its classes; the tables only read.
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import SUGGEST_LIMIT, DataError, UsageError, listed
from .io.csvfile import check_not_data, parse_int_label, parse_number, quoted, row_line
from .io.fastcsv import EXACT_INTEGERS, NumericTable, select_columns
from .io.rawcolumns import raw_features
from .io.tables import ArrayTable, check_numeric, has_header, read_fast_or_table, read_table
from .metrics import classification_report, regression_report


@dataclass(frozen=True, eq=False)
class Inputs:
    """Samples to run a trained model on: X (n_x, m) float64 (sample-major: X.T is C-contiguous for a CSV, as in
    training), and the file's labels when it has them.

    labels: None, or one entry per sample: the label cells (str) of a text table, or the rows of an array
    file's y ((m,) or (m, n_y)); lines: the file line of each sample (None for an array file).
    """

    X: np.ndarray
    labels: object
    label_name: str | None
    source: str
    lines: tuple | None = None

    @property
    def m(self) -> int:
        return self.X.shape[1]

    def where(self, i: int) -> str:
        """Sample i as a reader finds it: 'line 7' in a CSV, 'index 6' in an NPZ."""
        if self.lines is None and self.source.lower().endswith(".csv"):
            # Read by the fast path, which keeps no line numbers: the careful reader finds them, for the message.
            return f"line {row_line(Path(self.source), i + 1)}"
        return f"line {self.lines[i]}" if self.lines is not None else f"index {i}"


def named_features(model) -> bool:
    """True when a model's stored feature names came from a training file's header (a CSV), not made up."""
    return model.features is not None and has_header(str(model.config.data.source))


def read_inputs(path, *, n_x: int, feature_names=None, label: str | None = None, named: bool = True,
                by_position: bool = False, encoder=None, text_labels: bool = False, ignore=()) -> Inputs:
    """Read a data file for a trained model with n_x = n^[0] inputs; the label column is optional.

    Text table (CSV): the columns named like the model's features (in any order; see match_columns); by
    position (n_x feature columns, or n_x + 1 with the label in `label` or the last column) when the model
    has no feature names, when `named` is False and no name matches, or with by_position.
    Array file (NPZ): X (m, n_x) and optionally y. Returns X (n_x, m).
    encoder: the `encoding.Encoder` of a model trained on string columns or missing cells: the file must name
    its raw columns (always by name), which it encodes as in training. A CSV of numbers only is read by the
    fast path (NumPy's C parser) unless the model has an encoder or the labels are wanted as text
    (`text_labels`: evaluating a classifier whose classes are strings, matched cell by cell).
    """
    table = read_table(path) if encoder is not None or text_labels else read_fast_or_table(path)
    if isinstance(table, NumericTable):
        inputs = _numeric_inputs(str(path), table, n_x=n_x, feature_names=feature_names, label=label, named=named,
                                 by_position=by_position, ignore=ignore)
        if inputs is not None:
            return inputs
        table = read_table(path)
    if isinstance(table, ArrayTable):
        if encoder is not None:
            raise DataError(f"{table.source}: the model encodes text columns ({listed(encoder.kinds())}); expected "
                            "a table with a header naming them (a .csv), got an array file")
        return _array_inputs(table, n_x)
    if encoder is not None:
        if by_position:
            raise DataError(f"{table.source}: the model encodes text columns, which are matched by name, not by "
                            f"position; expected a header naming {listed([c.name for c in encoder.columns], 300)}")
        return _encoded_inputs(table, encoder, label, ignore)
    table_path, line, columns = table.source, table.header_line, table.columns
    if not table.rows:
        check_not_data(table_path, line, columns, label)
        table.check_has_rows()
    feature_index, label_index = match_columns(table_path, line, columns, n_x=n_x, feature_names=feature_names,
                                               label=label, named=named, by_position=by_position, ignore=ignore)
    features, labels = table.numbers(feature_index, label_index)
    return Inputs(features.T, labels if label_index is not None else None,
                  columns[label_index] if label_index is not None else None, table_path,
                  tuple(line for line, _ in table.rows))


def _numeric_inputs(path: str, table: NumericTable, *, n_x: int, feature_names, label, named: bool,
                    by_position: bool, ignore=()) -> Inputs | None:
    """The Inputs of a CSV read by the fast path, as the careful path would give them (labels as numbers);
    None when the careful path must read it (a label beyond 2^53, which a float does not keep exactly)."""
    feature_index, label_index = match_columns(path, table.header_line, table.columns, n_x=n_x,
                                               feature_names=feature_names, label=label, named=named,
                                               by_position=by_position, ignore=ignore)
    values = table.values
    labels = None
    if label_index is not None:
        labels = values[:, label_index].copy()
        if np.abs(labels).max(initial=0) >= EXACT_INTEGERS:
            return None
    # The features in the model's order, moved in place within the table's buffer (no second copy of X).
    X = select_columns(values, feature_index).T
    return Inputs(X, labels, table.columns[label_index] if label_index is not None else None, path)


def _encoded_inputs(table, encoder, label: str | None, ignore=()) -> Inputs:
    """The raw columns of a model's encoder, matched by name, encoded into X (n^[0], m) as in training."""
    names = [c.name for c in encoder.columns]
    if not table.rows:
        table.check_has_rows()
    feature_index, label_index = match_columns(table.source, table.header_line, table.columns, n_x=len(names),
                                               feature_names=names, label=label, ignore=ignore)
    missing = "mean" if encoder.missing == "mean" else "error"
    raw = raw_features(table, feature_index, missing=missing, kinds=encoder.kinds())
    labels = [row[label_index].strip() for _, row in table.rows] if label_index is not None else None
    return Inputs(np.ascontiguousarray(encoder.transform(raw)), labels,
                  table.columns[label_index] if label_index is not None else None, table.source,
                  tuple(line for line, _ in table.rows))


def _array_inputs(table: ArrayTable, n_x: int) -> Inputs:
    path, X, y = table.source, table.X, table.y
    if X is None:
        found = listed(quoted(table.members)) or "none"
        raise DataError(f"{path}: expected an array 'X' of shape (m, {n_x}), missing (found {found})")
    if X.ndim != 2 or X.shape[1] != n_x or X.shape[0] < 1:
        raise DataError(f"{path}: array 'X': expected shape (m, {n_x}) for the model's n^[0] = {n_x} "
                        f"features, got shape {X.shape}")
    check_numeric(path, "X", X)
    if y is not None and (y.ndim not in (1, 2) or y.shape[0] != X.shape[0]):
        raise DataError(f"{path}: array 'y': expected shape ({X.shape[0]},) or ({X.shape[0]}, n_y) to match X, "
                        f"got shape {y.shape}")
    return Inputs(np.asfortranarray(X.T, dtype=np.float64), y, "y" if y is not None else None, path)


def _suggestions(missing: list[str], candidates: list[str]) -> str:
    """'; did you mean 'height' for 'height_cm'?': each candidate offered once, only unmatched columns."""
    free = list(candidates[:SUGGEST_LIMIT])
    pairs = []
    for name in missing[:5]:
        close = difflib.get_close_matches(name[:200], free, n=1)
        if close:
            pairs.append(f"'{close[0]}' for '{name}'")
            free.remove(close[0])
    return f"; did you mean {', '.join(pairs)}?" if pairs else ""


def _by_position(path, line, columns, n_x, label, names):
    """Feature and label indices in file order: n_x features, plus the label named `label` or last."""
    position = {}
    for i, c in enumerate(columns):
        position.setdefault(c, i)
    if len(columns) not in (n_x, n_x + 1):
        trained = f" ({listed(names)})" if names else ""
        raise DataError(f"{path}: line {line}: expected {n_x} feature columns{trained}, the model's "
                        f"n^[0] = {n_x}, plus optionally a label column; got {len(columns)} columns")
    label_index = None
    if len(columns) == n_x + 1:
        label_index = position[label] if label is not None and label in position else len(columns) - 1
    return [i for i in range(len(columns)) if i != label_index], label_index


def match_columns(path, line: int, columns: list[str], *, n_x: int, feature_names=None, label: str | None = None,
                  named: bool = True, by_position: bool = False, ignore=()) -> tuple[list[int], int | None]:
    """The n_x column indices holding the model's features, in the model's order, and the label's (or None).

    feature_names: the model's n^[0] feature names, or None; named: False when those names were made
    up (x1, x2, ...) rather than read from a training file's header; by_position: take the columns in
    file order (the label by name, else the last of n_x + 1), as the user asked for explicitly; ignore: the
    columns the model's config left out of its features (data.ignore_columns), never taken for the label.
    """
    names = list(feature_names or [])
    if by_position or not names:
        check_not_data(path, line, columns, label)
        return _by_position(path, line, columns, n_x, label, names)
    position = {}
    for i, c in enumerate(columns):
        position.setdefault(c, i)
    known = [f for f in names if f in position]
    if len(known) == len(names):
        feature_index = [position[f] for f in names]
        taken = set(feature_index)
        rest = [i for i in range(len(columns)) if i not in taken and columns[i] not in ignore]
        if label is not None and label in position and position[label] not in taken:
            return feature_index, position[label]
        return feature_index, (rest[0] if len(rest) == 1 else None)
    check_not_data(path, line, columns, label)
    if not known and not named:
        return _by_position(path, line, columns, n_x, label, names)
    label_name = label if label is not None and label in position and label not in names else None
    wanted = set(names)
    unmatched = [c for c in columns if c not in wanted and c != label_name]
    if not known:
        raise DataError(f"{path}: line {line}: expected {n_x} feature columns named {listed(names)} (the model's "
                        f"features), got {len(columns)} columns named {listed(columns)}: no column name matches; "
                        f"rename the columns, or pass by_position=True to take {n_x} columns in file order",
                        options={"by_position=True": "--by-position"})
    missing = [f for f in names if f not in position]
    extra = f"; extra column(s) {listed(quoted(unmatched))}" if unmatched else ""
    raise DataError(f"{path}: line {line}: missing feature column(s) {listed(quoted(missing))}; the model was "
                    f"trained on {listed(names)}{extra}" + _suggestions(missing, unmatched))


def encode_with_classes(inputs: Inputs, classes) -> np.ndarray:
    """The file's labels as codes (1, m) into a trained model's `classes`; DataError naming an unseen label."""
    if inputs.labels is None:
        raise DataError(f"{inputs.source}: no label column; evaluating needs the true labels")
    labels = inputs.labels
    if isinstance(labels, np.ndarray):
        if labels.ndim == 2 and labels.shape[1] != 1:
            raise DataError(f"{inputs.source}: array 'y': expected one label per sample, got shape {labels.shape}")
        labels = labels.reshape(-1)
        if labels.dtype.kind not in "biufU":
            raise DataError(f"{inputs.source}: array 'y': expected integer or string labels, got dtype {labels.dtype}")
    numeric = all(isinstance(c, numbers.Integral) for c in classes)
    if numeric and isinstance(labels, np.ndarray) and labels.dtype.kind in "biuf":
        codes = _codes_by_value(labels, classes)
        if codes is not None:
            return codes[np.newaxis, :]
    index = {c: k for k, c in enumerate(classes)}
    codes = np.empty(len(labels), dtype=np.int64)
    for i, value in enumerate(labels):
        # A float label that is an integer reads as one ('999', not '999.0'), as its CSV cell or NPZ entry did.
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        key = parse_int_label(text) if numeric else text
        if key not in index:
            raise DataError(f"{inputs.source}: {inputs.where(i)}: label {text!r} was not seen in training; "
                            f"the model's classes are {listed(classes)}")
        codes[i] = index[key]
    return codes[np.newaxis, :]


def _codes_by_value(labels: np.ndarray, classes) -> np.ndarray | None:
    """Each number's index among the integer `classes`, in one pass over the array; None when any label is not
    one of them (the loop of `encode_with_classes` then names the first such label, with its line)."""
    try:
        values = np.array(classes, dtype=np.int64)
    except OverflowError:
        return None
    if values.size == 0:
        return None
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    position = np.minimum(np.searchsorted(ranked, labels), ranked.size - 1)
    if not np.all(ranked[position] == labels):
        return None
    return order[position]


def targets_of(inputs: Inputs, n_y: int) -> np.ndarray:
    """The file's regression targets as Y (n_y, m) float64."""
    if inputs.labels is None:
        raise DataError(f"{inputs.source}: no target column; evaluating needs the true values")
    if isinstance(inputs.labels, np.ndarray):
        check_numeric(inputs.source, "y", inputs.labels)
        Y = inputs.labels.reshape(inputs.m, -1).T.astype(np.float64)
    else:
        Y = np.array([[parse_number(inputs.source, line, inputs.label_name, s)
                       for line, s in zip(inputs.lines, inputs.labels)]], dtype=np.float64)
    if Y.shape[0] != n_y:
        raise DataError(f"{inputs.source}: expected {n_y} target column(s) for the model's n^[L] = {n_y}, "
                        f"got {Y.shape[0]}")
    return Y


# ---------------------------------------------------------------------------------------------
# A loaded model (`io.modelfile.Model`) applied to X (n^[0], m).


def scale(model, X) -> np.ndarray:
    """X (n^[0], m) as the network saw it in training: standardized when training was."""
    return model.standardizer.transform(X) if model.standardizer is not None else np.asarray(X, dtype=np.float64)


def predict_proba(model, X) -> np.ndarray:
    """Class probabilities (K, m), row k for `model.labels[k]`; for a sigmoid output rows 1 - A^[L] and A^[L]."""
    if not model.network.is_classifier:
        raise _no_probabilities(model)
    return probabilities(model, model.network.predict_proba(scale(model, X)))


def predict(model, X) -> list | np.ndarray:
    """Labels (a list of m class labels) for a classifier, A^[L] (n^[L], m) for a regressor."""
    return predictions(model, model.network.predict_proba(scale(model, X)))


def probabilities(model, AL) -> np.ndarray:
    """`predict_proba` from the outputs A^[L] (n^[L], m) of a classifier."""
    if not model.network.is_classifier:
        raise _no_probabilities(model)
    return np.vstack([1.0 - AL, AL]) if model.network.loss.name == "binary_cross_entropy" else AL


def _no_probabilities(model) -> UsageError:
    return UsageError(f"{model.path}: a regression model ({model.network.activations[-1]} output) has no class "
                      "probabilities")


def predictions(model, AL) -> list | np.ndarray:
    """`predict` from the outputs A^[L] (n^[L], m)."""
    if not model.network.is_classifier:
        return unscale_targets(model, AL)
    labels = model.labels
    return [labels[k] for k in model.network.decide(AL)[0]]


def unscale_targets(model, AL) -> np.ndarray:
    """A regressor's outputs (n^[L], m) in the targets' own units (the network learnt them standardised when
    the model has y_mean, y_std)."""
    scaler = model.target_scaler
    return AL if scaler is None else AL * scaler.std + scaler.mean


def outputs(model, inputs: Inputs) -> np.ndarray:
    """A^[L] (n^[L], m) of the inputs (computed once, for predictions and evaluation alike); a DataError naming
    the first sample whose output is not finite (features too large for float64)."""
    with np.errstate(all="ignore"):
        AL = model.network.predict_proba(scale(model, inputs.X))
    bad = np.flatnonzero(~np.isfinite(AL).all(axis=0))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{inputs.source}: {inputs.where(i)}: the model's output is not finite for this sample "
                        f"(largest |feature| {np.abs(inputs.X[:, i]).max():.3g}): its values are too large for "
                        "float64 arithmetic")
    return AL


def evaluation(model, inputs: Inputs, AL=None) -> dict:
    """The JSON-ready evaluation: model, data, task, m, cost and the task's scores. AL: the inputs' `outputs`,
    when the caller has them."""
    AL = outputs(model, inputs) if AL is None else AL
    head = {"model": str(model.path), "data": inputs.source, "task": model.task}
    if not model.network.is_classifier:
        Y = targets_of(inputs, model.network.layers[-1])
        return {**head, **regression_report(model.network, AL, Y, model.target_scaler)}
    labels = model.labels
    codes = encode_with_classes(inputs, model.classes)
    report = classification_report(model.network, AL, codes, len(labels))
    per_class = [{"class": label, "precision": float(report["precision"][k]), "recall": float(report["recall"][k]),
                  "f1": float(report["f1"][k]), "support": int(report["support"][k])}
                 for k, label in enumerate(labels)]
    return {**head, "m": report["m"], "cost": report["cost"], "accuracy": report["accuracy"],
            "macro_f1": float(report["f1"].mean()), "classes": list(labels), "per_class": per_class,
            "confusion_matrix": report["confusion_matrix"].tolist()}
