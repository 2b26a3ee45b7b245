"""Data for the trainer: built-in datasets, CSV/NPZ readers, dev splits and feature scaling.

Everything is in the course layout: X is (n_x, m) with one sample per COLUMN. Files keep the
usual one-sample-per-row layout; the readers transpose at the boundary without copying, so in
memory X stays sample-major (each sample's features contiguous: X.T is C-contiguous, X is
Fortran-ordered). A mini-batch then gathers whole rows of X.T, several times faster than
gathering single entries from every row of a C-ordered X.
"""

from __future__ import annotations

import csv
import difflib
import math
import numbers
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dnn_cli.cells import parse_float
from dnn_cli.columns import check_not_data, listed, match_columns
from dnn_cli.errors import DataError, shorten
from dnn_cli.resources import npz_member_problem

TASKS = ("classification", "regression")
MAX_SUGGESTIONS = 1000  # choices looked at for "did you mean"
OTHER_DELIMITERS = {";": "';' (semicolon)", "\t": "tabs", "|": "'|' (pipe)"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features and targets in the course layout.

    X: (n_x, m) float64.
    y: classification (1, m) int64 codes 0..K-1 indexing `classes`; regression (n_y, m) float64.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    classes: tuple | None
    feature_names: tuple[str, ...]
    source: str

    @property
    def m(self) -> int:
        """Number of samples (columns of X)."""
        return self.X.shape[1]

    @property
    def n_x(self) -> int:
        """Number of features (rows of X), n^[0]."""
        return self.X.shape[0]

    def __repr__(self) -> str:
        return (
            f"Dataset(source={self.source!r}, task={self.task!r}, n_x={self.n_x}, m={self.m}, "
            f"classes={self.classes!r})"
        )


@dataclass(frozen=True)
class DatasetSpec:
    """One built-in dataset: make(rng, **params) returns X (n_x, m) float64 and y (1, m)."""

    name: str
    task: str
    description: str
    defaults: dict
    make: Callable


# ---------------------------------------------------------------------------------------------
# Built-in datasets. Each draws only from the rng it is given, so a seed fixes it bit for bit.


def _class_counts(m: int, K: int) -> list[int]:
    """Split m samples over K classes; the remainder goes to the last classes.

    For K = 2 and odd m this gives the extra point to class 1, as the flower dataset does and as
    sklearn's make_circles / make_moons do (their inner circle / second moon is the larger half).
    """
    base, extra = divmod(m, K)
    return [base + (1 if j >= K - extra else 0) for j in range(K)]


def _labels(counts: list[int]) -> np.ndarray:
    """(1, m) int64 codes, class j repeated counts[j] times."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)[np.newaxis, :]


def _make_flower(rng: np.random.Generator, *, n_samples: int, noise: float):
    """The course's planar petals (planar_utils.load_planar_dataset); X (2, m), y (1, m)."""
    a = 4  # maximum ray of a petal
    counts = _class_counts(n_samples, 2)
    parts = []
    for j, N in enumerate(counts):
        # The course draws the angle noise, then the radius noise, class by class; keep that order.
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.standard_normal(N) * noise
        r = a * np.sin(4 * t) + rng.standard_normal(N) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def _make_circles(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Two concentric circles (outer 0, inner 1, radius ratio 0.5), as sklearn's make_circles."""
    factor = 0.5
    n_out, n_in = _class_counts(n_samples, 2)
    # endpoint=False so the first and last points of a circle do not coincide.
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.concatenate([np.cos(t_out), factor * np.cos(t_in)]),
            np.concatenate([np.sin(t_out), factor * np.sin(t_in)]),
        ]
    )
    X = X + noise * rng.standard_normal(X.shape)
    return X, _labels([n_out, n_in])


def _make_moons(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Two interleaving half circles, as sklearn's make_moons; X (2, m), y (1, m)."""
    n_out, n_in = _class_counts(n_samples, 2)
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.concatenate([np.cos(t_out), 1 - np.cos(t_in)]),
            np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5]),
        ]
    )
    X = X + noise * rng.standard_normal(X.shape)
    return X, _labels([n_out, n_in])


def _make_xor(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Uniform points in [-1, 1]^2, label 1 where x1 * x2 > 0; jitter added after labelling."""
    X = rng.uniform(-1.0, 1.0, size=(2, n_samples))
    y = (X[0] * X[1] > 0).astype(np.int64)[np.newaxis, :]
    # Always drawn (even for noise 0) so the noise level never shifts the rest of the stream.
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def _make_spiral(
    rng: np.random.Generator, *, n_samples: int, n_classes: int, noise: float
):
    """cs231n's K-armed spiral, n_samples in total; X (2, m), y (1, m) codes 0..K-1."""
    counts = _class_counts(n_samples, n_classes)
    parts = []
    for j, N in enumerate(counts):
        r = np.linspace(0.0, 1.0, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def _make_blobs(
    rng: np.random.Generator,
    *,
    n_samples: int,
    n_classes: int,
    n_features: int,
    noise: float,
):
    """K isotropic gaussian clusters (std `noise`), centres uniform in [-5, 5]^n_features.

    X (n_features, m), y (1, m) codes 0..K-1.
    """
    centres = rng.uniform(-5.0, 5.0, size=(n_features, n_classes))
    y = _labels(_class_counts(n_samples, n_classes))
    X = centres[:, y[0]] + noise * rng.standard_normal((n_features, n_samples))
    return X, y


def _make_sine(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Regression: x uniform in [-pi, pi], y = sin(x) + noise * N(0, 1); X (1, m), y (1, m)."""
    X = rng.uniform(-np.pi, np.pi, size=(1, n_samples))
    y = np.sin(X) + noise * rng.standard_normal((1, n_samples))
    return X, y


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            name="flower",
            task="classification",
            description="the course's planar petals: 2 classes in 2-D, not linearly separable",
            defaults={"n_samples": 400, "noise": 0.2},
            make=_make_flower,
        ),
        DatasetSpec(
            name="circles",
            task="classification",
            description="two concentric circles (outer 0, inner 1), 2-D",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_circles,
        ),
        DatasetSpec(
            name="moons",
            task="classification",
            description="two interleaving half moons, 2-D",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_moons,
        ),
        DatasetSpec(
            name="xor",
            task="classification",
            description="uniform points in [-1, 1]^2, label 1 where x1*x2 > 0",
            defaults={"n_samples": 300, "noise": 0.0},
            make=_make_xor,
        ),
        DatasetSpec(
            name="spiral",
            task="classification",
            description="cs231n's spiral: n_classes interleaved arms, 2-D",
            defaults={"n_samples": 300, "n_classes": 3, "noise": 0.2},
            make=_make_spiral,
        ),
        DatasetSpec(
            name="blobs",
            task="classification",
            description="n_classes gaussian clusters (std = noise) in n_features dimensions",
            defaults={"n_samples": 300, "n_classes": 2, "n_features": 2, "noise": 1.0},
            make=_make_blobs,
        ),
        DatasetSpec(
            name="sine",
            task="regression",
            description="regression: y = sin(x) + noise, x uniform in [-pi, pi]",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_sine,
        ),
    ]
}


def _did_you_mean(name: str, choices) -> str:
    # difflib is linear per choice and slow per call: a header of 10^6 columns must not stall a message.
    choices = [str(c) for c in list(choices)[:MAX_SUGGESTIONS]]
    close = difflib.get_close_matches(str(name)[:200], choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def get_dataset_spec(name: str) -> DatasetSpec:
    """The registered built-in dataset called `name`, or a DataError listing the choices."""
    spec = DATASETS.get(name)
    if spec is None:
        raise DataError(
            f"unknown dataset '{name}': expected one of {', '.join(sorted(DATASETS))}"
            + _did_you_mean(name, DATASETS)
        )
    return spec


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_params(name: str, params: dict) -> None:
    """Raise one DataError listing every out-of-range parameter of a built-in dataset."""
    problems = []
    for key in ("n_samples", "n_classes", "n_features"):
        if key in params and not _is_int(params[key]):
            problems.append(f"expected an integer {key}, got {params[key]!r}")
    if "noise" in params:
        noise = params["noise"]
        if not _is_real(noise) or not math.isfinite(noise) or noise < 0:
            problems.append(f"expected a finite number noise >= 0, got {noise!r}")
    ints = {
        k: params[k] for k in ("n_samples", "n_classes", "n_features") if k in params
    }
    if all(_is_int(v) for v in ints.values()):
        K = ints.get("n_classes", 2)
        if "n_classes" in ints and K < 2:
            problems.append(f"expected n_classes >= 2, got {K}")
        if ints.get("n_features", 1) < 1:
            problems.append(f"expected n_features >= 1, got {ints['n_features']}")
        min_m = max(2, K)
        if ints["n_samples"] < min_m:
            why = " (at least one per class)" if min_m > 2 else ""
            problems.append(
                f"expected n_samples >= {min_m}{why}, got {ints['n_samples']}"
            )
    if problems:
        raise DataError(f"dataset '{name}': " + "; ".join(problems))


def make_dataset(
    name: str,
    rng: np.random.Generator,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    n_classes: int | None = None,
    n_features: int | None = None,
) -> Dataset:
    """Generate built-in dataset `name` from `rng`; None means the dataset's default.

    Returns X (n_x, m) float64 and y (1, m): int64 codes (classification) or float64 (regression).
    """
    spec = get_dataset_spec(name)
    given = {
        "n_samples": n_samples,
        "noise": noise,
        "n_classes": n_classes,
        "n_features": n_features,
    }
    params = dict(spec.defaults)
    for key, value in given.items():
        if value is None:
            continue
        if key not in spec.defaults:
            raise DataError(
                f"dataset '{name}' does not take {key} (it takes {', '.join(spec.defaults)})"
            )
        params[key] = value
    _check_params(name, params)
    # Plain Python numbers, so numpy scalars from a config behave the same as ints and floats.
    params = {k: (float(v) if k == "noise" else int(v)) for k, v in params.items()}
    X, y = spec.make(rng, **params)
    if spec.task == "classification":
        y = np.asarray(y, dtype=np.int64)
        classes = tuple(range(params.get("n_classes", 2)))
    else:
        y = np.asarray(y, dtype=np.float64)
        classes = None
    X = np.asfortranarray(X, dtype=np.float64)
    assert X.shape[1] == y.shape[1] == params["n_samples"]
    names = tuple(f"x{i}" for i in range(1, X.shape[0] + 1))
    return Dataset(X, y, spec.task, classes, names, name)


# ---------------------------------------------------------------------------------------------
# Files: one sample per row on disk, transposed to (n_x, m) here.


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DataError(f"expected task 'classification' or 'regression', got {task!r}")


def _parse_int_label(text: str) -> int | None:
    """The integer a label cell denotes ('1', '01', '1.0', '1e2'), or None if it is not one ('1_000')."""
    value = parse_float(text)
    if value is None or not math.isfinite(value) or not value.is_integer():
        return None
    digits = text.strip()
    # int() keeps every digit of a long integer label that a float would round.
    return int(digits) if digits.lstrip("+-").isdigit() else int(value)


def _encode_labels(labels: list) -> tuple[np.ndarray, tuple]:
    """Class codes (1, m) int64 and the sorted classes they index."""
    classes = tuple(sorted(set(labels)))
    index = {c: i for i, c in enumerate(classes)}
    codes = np.fromiter((index[v] for v in labels), dtype=np.int64, count=len(labels))
    return codes[np.newaxis, :], classes


def _encode_text_labels(labels: list[str]) -> tuple[np.ndarray, tuple]:
    """Integer classes when every label is an integer-valued number, else string classes."""
    as_ints = [_parse_int_label(s) for s in labels]
    if all(v is not None for v in as_ints):
        return _encode_labels(as_ints)
    return _encode_labels(labels)


def _listed(names) -> str:
    """Names joined for a message, cut at a name boundary when there are very many."""
    return listed(names)


def _check_header(path: Path, line: int, columns: list[str]) -> None:
    """Refuse a header that looks like another delimiter's: 'x1;x2;label' read with commas is one column."""
    for delimiter, name in OTHER_DELIMITERS.items():
        if any(delimiter in c for c in columns) and sum(c.count(delimiter) for c in columns) >= len(columns):
            raise DataError(
                f"{path}: line {line}: the header {shorten(','.join(columns))!r} seems to use {name} as its "
                "delimiter; expected comma-separated values (save the file as CSV with ',')"
            )


def _read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows of a CSV with the 1-based file line each starts on."""
    rows = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            line = 1
            try:
                for row in reader:
                    # A quoted cell may span lines, so a row starts after the previous row's end.
                    if row:
                        rows.append((line, row))
                    line = reader.line_num + 1
            except csv.Error as e:
                raise DataError(
                    f"{path}: line {reader.line_num}: malformed CSV ({e})"
                ) from None
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: expected UTF-8 text, got byte 0x{e.object[e.start]:02x} "
            f"at byte offset {e.start}"
        ) from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    return rows


def _parse_number(path: Path, line: int, column: str, text: str) -> float:
    where = f"{path}: line {line}, column '{column}'"
    if not text.strip():
        raise DataError(f"{where}: expected a number, got an empty cell")
    value = parse_float(text)
    if value is None:
        raise DataError(f"{where}: expected a number, got {shorten(text, 200)!r}")
    if not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number, got {text!r}")
    return value


def read_csv(
    path, *, label: str | None = None, task: str = "classification"
) -> Dataset:
    """Read a CSV with a header row, one sample per row; label in column `label`, else the last.

    Returns X (n_x, m) float64 and y (1, m): int64 codes (classification) or float64 (regression).
    """
    _check_task(task)
    path = Path(path)
    rows = _read_csv_rows(path)
    if not rows:
        raise DataError(
            f"{path}: empty file; expected a header row and one sample per row"
        )
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    _check_header(path, header_line, columns)
    check_not_data(path, header_line, columns, label)
    if len(columns) < 2:
        raise DataError(
            f"{path}: line {header_line}: expected at least 2 columns (features and a label), "
            f"got {len(columns)}"
        )
    for i, c in enumerate(columns, start=1):
        if not c:
            raise DataError(f"{path}: line {header_line}: column {i} has an empty name")
    duplicates = sorted(c for c, n in Counter(columns).items() if n > 1)
    if duplicates:
        raise DataError(
            f"{path}: line {header_line}: expected unique column names, got "
            + listed(f"'{c}'" for c in duplicates)
            + " more than once"
        )
    if label is None:
        label_index = len(columns) - 1
    elif label in columns:
        label_index = columns.index(label)
    else:
        raise DataError(
            f"{path}: no label column '{shorten(label)}': expected one of {_listed(columns)}"
            + _did_you_mean(label, columns)
        )
    label_name = columns[label_index]
    feature_index = [i for i in range(len(columns)) if i != label_index]
    data = rows[1:]
    if not data:
        raise DataError(
            f"{path}: header only; expected at least one data row after line {header_line}"
        )

    features = np.empty((len(data), len(feature_index)), dtype=np.float64)
    labels: list[str] = []
    for k, (line, row) in enumerate(data):
        if len(row) != len(columns):
            raise DataError(
                f"{path}: line {line}: expected {len(columns)} cells, got {len(row)}"
            )
        for j, i in enumerate(feature_index):
            features[k, j] = _parse_number(path, line, columns[i], row[i])
        text = row[label_index].strip()
        if not text:
            raise DataError(
                f"{path}: line {line}, column '{label_name}': expected a label, got an empty cell"
            )
        labels.append(text)

    if task == "regression":
        y = np.array(
            [
                [
                    _parse_number(path, line, label_name, s)
                    for (line, _), s in zip(data, labels)
                ]
            ],
            dtype=np.float64,
        )
        classes = None
    else:
        y, classes = _encode_text_labels(labels)
    X = features.T
    names = tuple(columns[i] for i in feature_index)
    return Dataset(X, y, task, classes, names, str(path))


def _npz_array(path: Path, archive, key: str) -> np.ndarray:
    problem = npz_member_problem(archive, key)
    if problem:
        raise DataError(f"{path}: array '{key}': {problem}")
    try:
        return archive[key]
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise DataError(
                f"{path}: array '{key}': expected numbers, got an object array "
                "(not loaded: unpickling can run code)"
            ) from None
        raise DataError(f"{path}: array '{key}': cannot read it ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as e:
        raise DataError(f"{path}: array '{key}': corrupt data ({e or type(e).__name__})") from None
    except MemoryError:
        raise DataError(f"{path}: array '{key}': declares more data than fits in memory") from None


def _check_numeric(path: Path, key: str, a: np.ndarray) -> None:
    if a.dtype.kind not in "biuf":
        raise DataError(f"{path}: array '{key}': expected numbers, got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise DataError(
            f"{path}: array '{key}': expected finite numbers, got {a[bad]} at index {bad}"
        )


def read_npz(path, *, task: str = "classification") -> Dataset:
    """Read an NPZ holding X (m, n_x) and y (m,) or (m, n_y), samples as rows.

    Returns X (n_x, m) float64 and y (1, m) int64 codes (classification) or (n_y, m) float64.
    """
    _check_task(task)
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except EOFError:
        raise DataError(
            f"{path}: expected an .npz archive of arrays X and y, got an empty file"
        ) from None
    except (ValueError, zipfile.BadZipFile):
        # np.load reports any non-zip, non-.npy file as "pickled data"; the user needs to know
        # only that it is not an archive.
        raise DataError(
            f"{path}: expected an .npz archive of arrays X and y, got a file that is not a zip archive"
        ) from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(
            f"{path}: expected an .npz archive of arrays X and y, got a single .npy array"
        )
    with archive:
        missing = [k for k in ("X", "y") if k not in archive.files]
        if missing:
            found = listed(f"'{k}'" for k in archive.files) or "none"
            raise DataError(
                f"{path}: expected arrays 'X' and 'y', missing "
                + " and ".join(f"'{k}'" for k in missing)
                + f" (found {found})"
            )
        X = _npz_array(path, archive, "X")
        y = _npz_array(path, archive, "y")

    if X.ndim != 2:
        raise DataError(
            f"{path}: array 'X': expected 2 dimensions (m, n_x), got shape {X.shape}"
        )
    m, n_x = X.shape
    if m < 1 or n_x < 1:
        raise DataError(
            f"{path}: array 'X': expected at least one sample and one feature, got shape {X.shape}"
        )
    _check_numeric(path, "X", X)
    if y.ndim not in (1, 2):
        raise DataError(
            f"{path}: array 'y': expected shape (m,) or (m, n_y), got shape {y.shape}"
        )
    if y.shape[0] != m:
        raise DataError(
            f"{path}: array 'y': expected {m} rows to match X's {m} samples, got shape {y.shape}"
        )

    if task == "regression":
        if y.ndim == 2 and y.shape[1] < 1:
            raise DataError(
                f"{path}: array 'y': expected at least one target, got shape {y.shape}"
            )
        _check_numeric(path, "y", y)
        Y = np.ascontiguousarray(y.reshape(m, -1).T, dtype=np.float64)
        classes = None
    else:
        if y.ndim == 2 and y.shape[1] != 1:
            raise DataError(
                f"{path}: array 'y': classification expects one label per sample, shape (m,) or "
                f"(m, 1), got shape {y.shape}"
            )
        labels = y.reshape(m)
        if labels.dtype.kind == "U":
            texts = [str(v) for v in labels]
            if "" in texts:
                raise DataError(
                    f"{path}: array 'y': expected a label, got an empty string at index "
                    f"{texts.index('')}"
                )
            Y, classes = _encode_labels(texts)
        elif labels.dtype.kind in "biuf":
            _check_numeric(path, "y", labels)
            if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
                bad = labels[labels != np.round(labels)][0]
                raise DataError(
                    f"{path}: array 'y': classification expects integer or string labels, got "
                    f"{bad} (continuous targets are regression: use a linear output with loss mse)"
                )
            Y, classes = _encode_labels([int(v) for v in labels])
        else:
            raise DataError(
                f"{path}: array 'y': expected integer or string labels, got dtype {labels.dtype}"
            )
    X = np.asfortranarray(X.T, dtype=np.float64)
    names = tuple(f"x{i}" for i in range(1, n_x + 1))
    return Dataset(X, Y, task, classes, names, str(path))


def load_file(
    path, *, label: str | None = None, task: str = "classification"
) -> Dataset:
    """Read a .csv or .npz data file by its suffix; X (n_x, m), y as in read_csv / read_npz."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, label=label, task=task)
    if suffix == ".npz":
        if label is not None:
            # Silently ignoring it would hide a config that does not mean what its author thinks.
            raise DataError(
                f"{path}: label {label!r} applies to CSV files only; an .npz holds its labels in 'y'"
            )
        return read_npz(path, task=task)
    raise DataError(
        f"{path}: expected a data file ending in .csv or .npz, got '{path.suffix or path.name}'"
    )


# ---------------------------------------------------------------------------------------------
# Files for a trained model (predict, evaluate): features chosen to fit the model, labels optional.


@dataclass(frozen=True, eq=False)
class Inputs:
    """Samples to run a trained model on: X (n_x, m) float64, and the file's labels when it has them.

    labels: None, or one entry per sample: the label cells (str) of a CSV, or the rows of an NPZ's
    y ((m,) or (m, n_y)); lines: the CSV line of each sample (None for an NPZ).
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
        return f"line {self.lines[i]}" if self.lines is not None else f"index {i}"


def read_inputs(path, *, n_x: int, feature_names=None, label: str | None = None, named: bool = True,
                by_position: bool = False) -> Inputs:
    """Read a CSV or NPZ for a trained model with n_x = n^[0] inputs; the label column is optional.

    CSV: the columns named like the model's features (in any order; see columns.match_columns);
    by position (n_x feature columns, or n_x + 1 with the label in `label` or the last column) when
    the model has no feature names, when `named` is False and no name matches, or with by_position.
    NPZ: X (m, n_x) and optionally y. Returns X (n_x, m).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv_inputs(path, n_x, feature_names, label, named, by_position)
    if suffix == ".npz":
        return _read_npz_inputs(path, n_x)
    raise DataError(f"{path}: expected a data file ending in .csv or .npz, got '{path.suffix or path.name}'")


def _read_csv_inputs(path: Path, n_x: int, feature_names, label, named: bool, by_position: bool) -> Inputs:
    rows = _read_csv_rows(path)
    if not rows:
        raise DataError(f"{path}: empty file; expected a header row and one sample per row")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    _check_header(path, header_line, columns)
    data = rows[1:]
    if not data:
        check_not_data(path, header_line, columns, label)
        raise DataError(f"{path}: header only; expected at least one data row after line {header_line}")
    feature_index, label_index = match_columns(path, header_line, columns, n_x=n_x, feature_names=feature_names,
                                               label=label, named=named, by_position=by_position)
    X = np.empty((n_x, len(data)), dtype=np.float64)
    labels = []
    for k, (line, row) in enumerate(data):
        if len(row) != len(columns):
            raise DataError(f"{path}: line {line}: expected {len(columns)} cells, got {len(row)}")
        for j, i in enumerate(feature_index):
            X[j, k] = _parse_number(path, line, columns[i], row[i])
        if label_index is not None:
            labels.append(row[label_index].strip())
    return Inputs(X, labels if label_index is not None else None,
                  columns[label_index] if label_index is not None else None, str(path),
                  tuple(line for line, _ in data))


def _read_npz_inputs(path: Path, n_x: int) -> Inputs:
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (EOFError, ValueError, zipfile.BadZipFile):
        raise DataError(f"{path}: expected an .npz archive with an array X (and optionally y)") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: expected an .npz archive with an array X (and optionally y), got a single .npy array")
    with archive:
        if "X" not in archive.files:
            found = listed(f"'{k}'" for k in archive.files) or "none"
            raise DataError(f"{path}: expected an array 'X' of shape (m, {n_x}), missing (found {found})")
        X = _npz_array(path, archive, "X")
        y = _npz_array(path, archive, "y") if "y" in archive.files else None
    if X.ndim != 2 or X.shape[1] != n_x or X.shape[0] < 1:
        raise DataError(f"{path}: array 'X': expected shape (m, {n_x}) for the model's n^[0] = {n_x} "
                        f"features, got shape {X.shape}")
    _check_numeric(path, "X", X)
    if y is not None and (y.ndim not in (1, 2) or y.shape[0] != X.shape[0]):
        raise DataError(f"{path}: array 'y': expected shape ({X.shape[0]},) or ({X.shape[0]}, n_y) to match X, "
                        f"got shape {y.shape}")
    return Inputs(np.asfortranarray(X.T, dtype=np.float64), y, "y" if y is not None else None, str(path))


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
    index = {c: k for k, c in enumerate(classes)}
    codes = np.empty(len(labels), dtype=np.int64)
    for i, value in enumerate(labels):
        text = str(value).strip()
        key = _parse_int_label(text) if numeric else text
        if key not in index:
            raise DataError(f"{inputs.source}: {inputs.where(i)}: label {text!r} was not seen in training; "
                            f"the model's classes are {listed(classes)}")
        codes[i] = index[key]
    return codes[np.newaxis, :]


def targets_of(inputs: Inputs, n_y: int) -> np.ndarray:
    """The file's regression targets as Y (n_y, m) float64."""
    if inputs.labels is None:
        raise DataError(f"{inputs.source}: no target column; evaluating needs the true values")
    if isinstance(inputs.labels, np.ndarray):
        _check_numeric(Path(inputs.source), "y", inputs.labels)
        Y = inputs.labels.reshape(inputs.m, -1).T.astype(np.float64)
    else:
        Y = np.array([[_parse_number(Path(inputs.source), line, inputs.label_name, s)
                       for line, s in zip(inputs.lines, inputs.labels)]], dtype=np.float64)
    if Y.shape[0] != n_y:
        raise DataError(f"{inputs.source}: expected {n_y} target column(s) for the model's n^[L] = {n_y}, "
                        f"got {Y.shape[0]}")
    return Y


# ---------------------------------------------------------------------------------------------
# Splits and scaling.


def _take(dataset: Dataset, columns: np.ndarray) -> Dataset:
    return replace(dataset, X=dataset.X[:, columns], y=dataset.y[:, columns])


def split(
    dataset: Dataset, dev_fraction: float, rng: np.random.Generator
) -> tuple[Dataset, Dataset | None]:
    """Shuffle the m columns with rng and hold out round(dev_fraction * m) of them as dev.

    Returns (train, dev): X (n_x, m_train) and (n_x, m_dev); dev is None when dev_fraction is 0.
    """
    if not _is_real(dev_fraction) or not 0 <= dev_fraction < 1:
        raise DataError(f"expected dev_fraction in [0, 1), got {dev_fraction!r}")
    if dev_fraction == 0:
        return dataset, None
    m = dataset.m
    perm = rng.permutation(m)
    n_dev = round(float(dev_fraction) * m)
    if n_dev < 1 or n_dev >= m:
        raise DataError(
            f"{dataset.source}: dev_fraction {dev_fraction} of m={m} samples gives {n_dev} dev and "
            f"{m - n_dev} train samples; expected at least 1 of each"
        )
    return _take(dataset, perm[n_dev:]), _take(dataset, perm[:n_dev])


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature scaling to zero mean and unit variance, fitted on the training X.

    mean, std: (n_x, 1), broadcast over the m columns of X (n_x, m).
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        """Mean and population std of each row of X (n_x, m)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < 1:
            raise DataError(
                f"expected X of shape (n_x, m) with m >= 1, got shape {X.shape}"
            )
        mean = X.mean(axis=1, keepdims=True)
        std = X.std(axis=1, keepdims=True)
        # A constant row's computed mean can be off by an ulp, leaving std ~1e-17 instead of 0 and
        # blowing rounding noise up to O(1); detect constancy exactly and map it to 0.
        constant = (X.max(axis=1) == X.min(axis=1))[:, np.newaxis]
        mean = np.where(constant, X[:, :1], mean)
        std = np.where(constant, 1.0, std)
        return cls(mean, std)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / std as a new (n_x, m) array."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] != self.mean.shape[0]:
            raise DataError(
                f"expected X of shape ({self.mean.shape[0]}, m) to standardize, got shape {X.shape}"
            )
        return (X - self.mean) / self.std

    def __repr__(self) -> str:
        return f"Standardizer(n_x={self.mean.shape[0]})"


def one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Y (n_classes, m) float64 with Y[k, i] = 1 where codes[i] == k; codes (1, m) or (m,)."""
    codes = np.asarray(codes)
    if codes.ndim == 2 and codes.shape[0] == 1:
        codes = codes[0]
    if codes.ndim != 1:
        raise DataError(
            f"expected class codes of shape (1, m) or (m,), got shape {codes.shape}"
        )
    if codes.size and codes.dtype.kind not in "iu":
        raise DataError(f"expected integer class codes, got dtype {codes.dtype}")
    if codes.size and (codes.min() < 0 or codes.max() >= n_classes):
        bad = codes[(codes < 0) | (codes >= n_classes)][0]
        raise DataError(f"expected class codes in 0..{n_classes - 1}, got {bad}")
    Y = np.zeros((n_classes, codes.size), dtype=np.float64)
    Y[codes.astype(np.intp), np.arange(codes.size)] = 1.0
    return Y
