"""Data files as tables, read by the reader registered for their suffix, and as a Dataset for training.

A reader turns a file into one of two tables: a TextTable (a header naming the columns, then one sample
per row of text cells, each row with its line: CSV) or an ArrayTable (arrays X (m, n_x) and y, samples as
rows: NPZ). Everything after that (the label column, numbers, class encoding, the course layout) works on
the table, so a new data format is one entry in READERS: the config's file suffixes, `load_file` and the
readers of predict and evaluate (`dnn_cli.predictor`) all take them from there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..datasets import TASKS, Dataset, feature_names
from ..errors import DataError, listed, shorten, suggest
from ..resources import check_fits, gib
from .csvfile import check_delimiter, check_not_data, parse_int_label, parse_number, quoted, read_rows
from .fastcsv import NumericTable, class_codes, estimate_bytes, integer_labels, numeric_table, select_columns
from .npz import open_npz, read_member
from .rawcolumns import is_missing, raw_features


@dataclass(frozen=True, eq=False)
class TextTable:
    """A table of text cells: the header's column names (on `header_line`), then (line, cells) per sample."""

    source: str
    header_line: int
    columns: list[str]
    rows: list[tuple[int, list[str]]]

    def check_has_rows(self) -> None:
        if not self.rows:
            raise DataError(f"{self.source}: header only; expected at least one data row after line "
                            f"{self.header_line}")

    def numbers(self, feature_index: list[int], label_index: int | None = None, *,
                label_required: bool = False) -> tuple[np.ndarray, list[str]]:
        """The feature cells as numbers (m, len(feature_index)) float64, and the label cells (stripped)."""
        features = np.empty((len(self.rows), len(feature_index)), dtype=np.float64)
        labels: list[str] = []
        for k, (line, row) in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise DataError(f"{self.source}: line {line}: expected {len(self.columns)} cells, got {len(row)}")
            for j, i in enumerate(feature_index):
                features[k, j] = parse_number(self.source, line, self.columns[i], row[i])
            if label_index is not None:
                text = row[label_index].strip()
                if not text and label_required:
                    raise DataError(f"{self.source}: line {line}, column '{self.columns[label_index]}': expected "
                                    "a label, got an empty cell")
                labels.append(text)
        return features, labels


@dataclass(frozen=True, eq=False)
class ArrayTable:
    """Arrays as a file stores them, samples as rows: X (m, n_x) and y (m,) or (m, n_y), each None when absent;
    members: every array name the file holds (for messages)."""

    source: str
    X: np.ndarray | None
    y: np.ndarray | None
    members: tuple[str, ...]


def read_csv_table(path: Path) -> TextTable:
    """A CSV with a header row, one sample per row."""
    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path}: empty file; expected a header row and one sample per row")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    check_delimiter(path, header_line, columns)
    return TextTable(str(path), header_line, columns, rows[1:])


def read_npz_table(path: Path) -> ArrayTable:
    """An NPZ archive holding X (m, n_x) and, optionally here, y; nothing unpickled, headers checked first."""
    with open_npz(path, expected="an .npz archive of arrays X and y") as archive:
        X, y = (read_member(path, archive, key) if key in archive.files else None for key in ("X", "y"))
        return ArrayTable(str(path), X, y, tuple(archive.files))


class Reader(NamedTuple):
    """A data format: `read(path)` gives its table; `header`: True when the format names its columns (a
    TextTable), so a model trained on it matches a new file's columns by name."""

    read: Callable[[Path], TextTable | ArrayTable]
    header: bool


# The one registry of data formats: suffix (lower case) -> its Reader.
READERS: dict[str, Reader] = {".csv": Reader(read_csv_table, header=True), ".npz": Reader(read_npz_table, header=False)}


def suffixes_text() -> str:
    """The registered suffixes for a message: '.csv or .npz'."""
    names = list(READERS)
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


def is_data_file(source: str) -> bool:
    """True when `source` names a data file (a registered suffix, or a path) rather than a built-in dataset."""
    return source.lower().endswith(tuple(READERS)) or "/" in source or "\\" in source


def read_table(path) -> TextTable | ArrayTable:
    """The file at `path` read by the reader registered for its suffix."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: expected a data file ending in {suffixes_text()}, got '{path.suffix or path.name}'")
    return reader.read(path)


def has_header(source: str) -> bool:
    """True when `source` is a data file of a format that names its columns (see Reader.header)."""
    reader = READERS.get(Path(source).suffix.lower())
    return reader is not None and reader.header


def check_task(task: str) -> None:
    if task not in TASKS:
        raise DataError(f"expected task 'classification' or 'regression', got {task!r}")


def load_file(path, *, label: str | None = None, task: str = "classification", missing: str = "error",
              ignore: tuple[str, ...] | list[str] = ()) -> Dataset:
    """Read a data file by its suffix: X (n_x, m) float64 and y (1, m) int64 codes (classification) or
    (n_y, m) float64 (regression). A table of text cells has its label in column `label`, else the last,
    and its features in every other column but those in `ignore`; one with string feature columns or (with
    `missing` drop or mean) missing cells is returned raw, to be encoded after the split (see
    `dnn_cli.encoding`).

    A CSV of numbers only is read by NumPy's C parser (`fastcsv`); anything else, and any bad cell, by the
    careful reader, whose messages name the file, line and column. Both are refused before reading when the
    memory they are estimated to need is not available.
    """
    check_task(task)
    path = Path(path)
    if _is_csv(path) and missing == "error":
        numeric, careful = _read_fast(path)
        if numeric is not None:
            dataset = _numeric_dataset(path, numeric, label, task, ignore)
            if dataset is not None:
                return dataset
        careful()
    table = read_table(path)
    if isinstance(table, TextTable):
        return _text_dataset(table, label, task, missing, ignore)
    if label is not None or ignore:
        # Silently ignoring them would hide a config that does not mean what its author thinks.
        what = f"label {label!r}" if label is not None else "ignore_columns"
        raise DataError(f"{table.source}: {what} applies to CSV files only; an "
                        f"{Path(table.source).suffix.lower()} holds its features in 'X' and its labels in 'y'")
    return _array_dataset(table, task)


def read_fast_or_table(path) -> NumericTable | TextTable | ArrayTable:
    """`read_table`, except that a CSV of numbers only comes back as a NumericTable read by NumPy's C parser
    (`fastcsv`). As in `load_file`, each reader is refused before it runs when its memory does not fit."""
    path = Path(path)
    if _is_csv(path):
        numeric, careful = _read_fast(path)
        if numeric is not None:
            check_delimiter(path, numeric.header_line, numeric.columns)
            return numeric
        careful()
    return read_table(path)


def _is_csv(path: Path) -> bool:
    return READERS.get(path.suffix.lower()) is READERS.get(".csv")


def _read_fast(path: Path) -> tuple[NumericTable | None, Callable[[], None]]:
    """(the CSV through the fast path or None, a check that the careful reader's memory fits, to call before
    it runs), both estimated from the file's size before anything is read."""
    size, fast, careful = estimate_bytes(path)
    check_fits(fast, f"reading {path.name} ({gib(size)}) as float64", str(path))

    def careful_fits() -> None:
        check_fits(careful, f"reading {path.name} ({gib(size)}) cell by cell (it is not all numbers: the "
                            "careful reader keeps its cells as text)", str(path))

    return numeric_table(path), careful_fits


def _label_index(path, line: int, columns: list[str], label: str | None) -> int:
    """The header's checks (not a sample, 2 columns or more, named, unique), then the label column's index."""
    check_not_data(path, line, columns, label)
    if len(columns) < 2:
        raise DataError(f"{path}: line {line}: expected at least 2 columns (features and a label), got {len(columns)}")
    for i, c in enumerate(columns, start=1):
        if not c:
            raise DataError(f"{path}: line {line}: column {i} has an empty name")
    duplicates = sorted(c for c, n in Counter(columns).items() if n > 1)
    if duplicates:
        raise DataError(f"{path}: line {line}: expected unique column names, got {listed(quoted(duplicates))} "
                        "more than once")
    if label is None:
        return len(columns) - 1
    if label in columns:
        return columns.index(label)
    raise DataError(f"{path}: no label column '{shorten(label)}': expected one of {listed(columns)}"
                    + suggest(label, columns))


def _columns(path, line: int, columns: list[str], label: str | None, ignore) -> tuple[list[int], int]:
    """(feature_index, label_index): the header's checks and the label's column (`_label_index`), and every
    other column but those the config leaves out (`ignore`, each checked to be a feature column)."""
    label_index = _label_index(path, line, columns, label)
    for name in ignore:
        if name not in columns:
            raise DataError(f"{path}: data.ignore_columns: no column '{shorten(name)}': expected one of "
                            f"{listed(columns)}" + suggest(name, columns))
        if name == columns[label_index]:
            raise DataError(f"{path}: data.ignore_columns: '{shorten(name)}' is the label column; expected "
                            "feature columns to leave out")
    feature_index = [i for i, c in enumerate(columns) if i != label_index and c not in ignore]
    if not feature_index:
        raise DataError(f"{path}: data.ignore_columns leaves out every feature column ({listed(ignore)}); "
                        "expected at least one feature")
    return feature_index, label_index


def _numeric_dataset(path: Path, numeric: NumericTable, label: str | None, task: str, ignore=()) -> Dataset | None:
    """The Dataset of an all-number CSV, as the careful path builds it; None when its labels need that path
    (classes that are not integers: the careful path keeps them as text)."""
    check_delimiter(path, numeric.header_line, numeric.columns)
    columns = numeric.columns
    feature_index, label_index = _columns(str(path), numeric.header_line, columns, label, ignore)
    values = numeric.values
    labels = values[:, label_index]
    if task == "regression":
        y, classes = labels.copy(), None
    else:
        codes = integer_labels(labels)
        if codes is None:
            return None
        found, y = class_codes(codes)
        classes = tuple(int(c) for c in found)
    m, n = values.shape[0], len(feature_index)
    features = select_columns(values, feature_index)
    # The labels move into the memory the label column leaves free: the table's one buffer holds X and y.
    spare = values.reshape(-1)[m * n: m * (n + 1)].view(y.dtype)
    spare[...] = y
    y = spare.reshape(1, -1)
    return Dataset(features.T, y, task, classes, tuple(columns[i] for i in feature_index), str(path),
                   label=columns[label_index])


def _text_dataset(table: TextTable, label: str | None, task: str, missing: str = "error", ignore=()) -> Dataset:
    path, line, columns = table.source, table.header_line, table.columns
    feature_index, label_index = _columns(path, line, columns, label, ignore)
    table.check_has_rows()
    if missing == "error":
        try:
            features, labels = table.numbers(feature_index, label_index, label_required=True)
        except DataError:
            # A string column is encoded, not refused; any other bad cell is reported again, as found.
            return raw_dataset(table, feature_index, label_index, task, missing)
        y, classes = _targets(path, [line for line, _ in table.rows], columns[label_index], labels, task)
        return Dataset(features.T, y, task, classes, tuple(columns[i] for i in feature_index), path,
                       label=columns[label_index])
    return raw_dataset(table, feature_index, label_index, task, missing)


def _targets(path, lines, name: str, labels: list[str], task: str) -> tuple[np.ndarray, tuple | None]:
    """y (1, m): the label cells as numbers (regression) or class codes, and the classes (None for regression)."""
    if task == "regression":
        return np.array([[parse_number(path, n, name, s) for n, s in zip(lines, labels)]], dtype=np.float64), None
    return encode_text_labels(labels)


def raw_dataset(table: TextTable, feature_index: list[int], label_index: int, task: str, missing: str) -> Dataset:
    """A Dataset whose features stay raw (`encoding.RawFeatures`, X of shape (0, m)) until the train split is
    known; with missing 'drop' the rows with a missing feature or label cell are left out (their lines kept)."""
    path, name = table.source, table.columns[label_index]
    raw, labels, dropped = labelled_raw(table, feature_index, label_index, missing)
    y, classes = _targets(path, raw.lines.tolist(), name, labels, task)
    X = np.empty((0, raw.m), dtype=np.float64, order="F")
    return Dataset(X, y, task, classes, raw.names, path, raw=raw, dropped=dropped, label=name)


def labelled_raw(table: TextTable, feature_index: list[int], label_index: int, missing: str,
                 kinds: dict | None = None) -> tuple:
    """(RawFeatures, the label cells stripped, the lines of the rows dropped): with missing 'drop' the rows with a
    missing feature or label cell are left out; otherwise an empty label cell is an error."""
    path, name = table.source, table.columns[label_index]
    raw = raw_features(table, feature_index, missing=missing, kinds=kinds)
    labels = [row[label_index].strip() for _, row in table.rows]
    dropped: tuple[int, ...] = ()
    if missing == "drop":
        gone = raw.missing_rows() | np.array([is_missing(s) for s in labels], dtype=bool)
        if gone.all():
            raise DataError(f"{path}: every one of its {len(labels):,} rows has a missing cell; data.missing: drop "
                            "leaves no sample")
        dropped = tuple(int(n) for n in raw.lines[gone])
        raw = raw.take(~gone)
        labels = [s for s, g in zip(labels, gone) if not g]
    for line, text in zip(raw.lines, labels):
        if not text:
            raise DataError(f"{path}: line {line}, column '{name}': expected a label, got an empty cell")
    return raw, labels, dropped


def encode_labels(labels: list) -> tuple[np.ndarray, tuple]:
    """Class codes (1, m) int64 and the sorted classes they index."""
    classes = tuple(sorted(set(labels)))
    index = {c: i for i, c in enumerate(classes)}
    codes = np.fromiter((index[v] for v in labels), dtype=np.int64, count=len(labels))
    return codes[np.newaxis, :], classes


def encode_text_labels(labels: list[str]) -> tuple[np.ndarray, tuple]:
    """Integer classes when every label is an integer-valued number, else string classes."""
    as_ints = [parse_int_label(s) for s in labels]
    if all(v is not None for v in as_ints):
        return encode_labels(as_ints)
    return encode_labels(labels)


def check_numeric(path, key: str, a: np.ndarray) -> None:
    """DataError unless array `key` holds numbers, all finite."""
    if a.dtype.kind not in "biuf":
        raise DataError(f"{path}: array '{key}': expected numbers, got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise DataError(f"{path}: array '{key}': expected finite numbers, got {a[bad]} at index {bad}")


def _array_dataset(table: ArrayTable, task: str) -> Dataset:
    path, X, y = table.source, table.X, table.y
    missing = [k for k, a in (("X", X), ("y", y)) if a is None]
    if missing:
        found = listed(quoted(table.members)) or "none"
        raise DataError(f"{path}: expected arrays 'X' and 'y', missing " + " and ".join(quoted(missing))
                        + f" (found {found})")
    if X.ndim != 2:
        raise DataError(f"{path}: array 'X': expected 2 dimensions (m, n_x), got shape {X.shape}")
    m, n_x = X.shape
    if m < 1 or n_x < 1:
        raise DataError(f"{path}: array 'X': expected at least one sample and one feature, got shape {X.shape}")
    check_numeric(path, "X", X)
    if y.ndim not in (1, 2):
        raise DataError(f"{path}: array 'y': expected shape (m,) or (m, n_y), got shape {y.shape}")
    if y.shape[0] != m:
        raise DataError(f"{path}: array 'y': expected {m} rows to match X's {m} samples, got shape {y.shape}")
    if task == "regression":
        if y.ndim == 2 and y.shape[1] < 1:
            raise DataError(f"{path}: array 'y': expected at least one target, got shape {y.shape}")
        check_numeric(path, "y", y)
        Y = np.ascontiguousarray(y.reshape(m, -1).T, dtype=np.float64)
        classes = None
    else:
        Y, classes = _array_labels(path, y, m)
    return Dataset(np.asfortranarray(X.T, dtype=np.float64), Y, task, classes, feature_names(n_x), path)


def _array_labels(path, y: np.ndarray, m: int) -> tuple[np.ndarray, tuple]:
    if y.ndim == 2 and y.shape[1] != 1:
        raise DataError(f"{path}: array 'y': classification expects one label per sample, shape (m,) or "
                        f"(m, 1), got shape {y.shape}")
    labels = y.reshape(m)
    if labels.dtype.kind == "U":
        texts = [str(v) for v in labels]
        if "" in texts:
            raise DataError(f"{path}: array 'y': expected a label, got an empty string at index {texts.index('')}")
        return encode_labels(texts)
    if labels.dtype.kind in "biuf":
        check_numeric(path, "y", labels)
        if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
            bad = labels[labels != np.round(labels)][0]
            raise DataError(f"{path}: array 'y': classification expects integer or string labels, got {bad} "
                            "(continuous targets are regression: use a linear output with loss mse)")
        return encode_labels([int(v) for v in labels])
    raise DataError(f"{path}: array 'y': expected integer or string labels, got dtype {labels.dtype}")
