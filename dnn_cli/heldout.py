"""Dev and test samples from files of their own (`data.dev_source`, `data.test_source`).

Real data often arrives split. A further file must have the columns of `data.source`, matched by name (never
by position: a missing or an extra column is an error naming it), and is read with the training file's
column kinds, encoder and label classes; its rows then go through the same scaling as the dev split would.
"""

from __future__ import annotations

import numpy as np

from .datasets import Dataset
from .errors import DataError, listed
from .io.csvfile import parse_int_label, parse_number, quoted
from .io.datapath import check_data_path
from .io.tables import ArrayTable, labelled_raw, load_file, read_table

HELDOUT_KEYS = ("dev_source", "test_source")  # the config's data keys of further files: dev, then test


def read_heldout(path: str, key: str, source: str = "<config>"):
    """The file of config key data.`key` as a table (`io.tables.read_table`), its path checked first: what a
    sweep's client reads once and sends to its workers."""
    check_data_path(path, source, f"data.{key}")
    return read_table(path)


def load_heldout(path: str, key: str, training: Dataset, encoder, missing: str, source: str = "<config>",
                 ignore=(), table=None) -> Dataset:
    """The samples of file `path` (config key data.`key`) as a Dataset like the training one: X (n^[0], m) encoded
    as the training split was (before any standardisation), y in the training task's form.

    training: the training file's Dataset as read (before encoding); encoder: the `encoding.Encoder` fitted
    on its train split, or None for a numeric table; ignore: the columns data.ignore_columns leaves out, which
    the file may have or not; table: the file as `read_heldout` read it, when the caller has it.
    """
    where = f"data.{key}"
    if table is None:
        table = read_heldout(path, key, source)
    if isinstance(table, ArrayTable):
        if training.label is not None:
            raise DataError(f"{path}: {where}: expected a table with the columns of data.source ({training.source}), "
                            "matched by name; got an array file")
        heldout = load_file(path, task=training.task)
        if heldout.n_x != training.n_x:
            raise DataError(f"{path}: {where}: array 'X' has {heldout.n_x} features, data.source "
                            f"({training.source}) has {training.n_x}")
        if training.task == "classification":
            y = _codes(path, [str(c) for c in np.asarray(heldout.classes, dtype=object)[heldout.y[0]]],
                       None, training.classes)
            return Dataset(heldout.X, y, training.task, training.classes, training.feature_names, path)
        return heldout
    if training.label is None:
        raise DataError(f"{path}: {where}: expected an array file like data.source ({training.source}), got a table")
    names = list(training.raw.names if training.raw is not None else training.feature_names)
    wanted = [*names, training.label]
    columns = table.columns
    missing_columns = [c for c in wanted if c not in columns]
    extra = [c for c in columns if c not in wanted and c not in ignore]
    if missing_columns or extra or len(set(columns)) != len(columns):
        parts = []
        if missing_columns:
            parts.append(f"missing column(s) {listed(quoted(missing_columns))}")
        if extra:
            parts.append(f"extra column(s) {listed(quoted(extra))}")
        if len(set(columns)) != len(columns):
            parts.append("a column name used twice")
        raise DataError(f"{path}: line {table.header_line}: {'; '.join(parts)}; expected the columns of data.source "
                        f"({training.source}), matched by name: {listed(wanted, 300)}")
    table.check_has_rows()
    feature_index = [columns.index(n) for n in names]
    label_index = columns.index(training.label)
    kinds = encoder.kinds() if encoder is not None else {n: "numeric" for n in names}
    raw, labels, dropped = labelled_raw(table, feature_index, label_index, missing, kinds)
    if encoder is not None:
        X = encoder.transform(raw, where)
        feature_names = encoder.feature_names()
    else:
        X = np.column_stack(raw.values).T if raw.values else np.empty((0, raw.m))
        feature_names = training.feature_names
    if training.task == "regression":
        y = np.array([[parse_number(path, n, training.label, s) for n, s in zip(raw.lines, labels)]], dtype=np.float64)
    else:
        y = _codes(path, labels, raw.lines, training.classes, training.label)
    return Dataset(X, y, training.task, training.classes, feature_names, path, dropped=dropped, label=training.label)


def _codes(path, labels: list[str], lines, classes, name: str | None = None) -> np.ndarray:
    """Class codes (1, m) into the training classes; DataError naming a label the training file never had."""
    numeric = all(isinstance(c, (int, np.integer)) for c in classes)
    index = {c: k for k, c in enumerate(classes)}
    codes = np.empty(len(labels), dtype=np.int64)
    for i, text in enumerate(labels):
        key = parse_int_label(text) if numeric else text
        if key not in index:
            where = f"line {lines[i]}, column '{name}'" if lines is not None else f"array 'y', index {i}"
            raise DataError(f"{path}: {where}: label {text!r} is not a class of data.source; expected one of "
                            f"{listed(classes, 300)}")
        codes[i] = index[key]
    return codes[np.newaxis, :]
