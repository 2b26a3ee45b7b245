"""Feature columns of a text table before encoding: numbers with NaN where a cell is missing, or cell texts.

Which columns are categorical is decided here, from the cells: a column most of whose present cells are not
numbers. The encoding itself (categories, means, one-hot) is `dnn_cli.encoding`'s, fitted on the train split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .csvfile import parse_float, parse_number

MISSING_TEXTS = ("", "na", "nan")  # compared stripped and lower-cased: '', 'NA', 'NaN', 'nan', ...
MISSING = "(missing)"  # the category of a missing categorical cell with data.missing: mean


def is_missing(text: str) -> bool:
    """True for an empty cell and the usual spellings of a missing value: NA, NaN."""
    return text.strip().lower() in MISSING_TEXTS


@dataclass(frozen=True, eq=False)
class RawFeatures:
    """Feature columns before encoding, one entry per column: float64 (m,) with NaN for a missing cell
    (numeric) or an array of str (m,) with '' for a missing cell (categorical); lines: the file line of
    each of the m samples."""

    source: str
    names: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    lines: np.ndarray

    @property
    def m(self) -> int:
        return len(self.lines)

    def categorical(self, j: int) -> bool:
        return self.values[j].dtype.kind == "U"

    def take(self, rows) -> RawFeatures:
        """The samples at `rows` (an index array or a boolean mask)."""
        return RawFeatures(self.source, self.names, tuple(v[rows] for v in self.values), self.lines[rows])

    def missing_rows(self) -> np.ndarray:
        """(m,) True where any feature cell is missing."""
        mask = np.zeros(self.m, dtype=bool)
        for v in self.values:
            mask |= (v == "") if v.dtype.kind == "U" else np.isnan(v)
        return mask


def column_cells(table, index: int) -> list[str]:
    """The cells of column `index` of a TextTable, each row checked for its number of cells."""
    width = len(table.columns)
    cells = []
    for line, row in table.rows:
        if len(row) != width:
            raise DataError(f"{table.source}: line {line}: expected {width} cells, got {len(row)}")
        cells.append(row[index])
    return cells


def _is_categorical(cells: Sequence[str]) -> bool:
    """A column is categorical when most of its present cells are not numbers (a few stray texts in a numeric
    column are typing errors, reported as such, not categories)."""
    present = [c for c in cells if not is_missing(c)]
    texts = sum(1 for c in present if parse_float(c) is None)
    return bool(present) and texts * 2 > len(present)


def raw_features(table, feature_index: list[int], *, missing: str, kinds: dict | None = None) -> RawFeatures:
    """The feature columns of a TextTable, raw: see RawFeatures.

    kinds: column name -> 'numeric' | 'categorical' as a trained model has them (predict); None: decided from
    the cells (training). With missing 'error' a missing cell is reported with its file, line and column.
    """
    path, lines = table.source, np.array([line for line, _ in table.rows], dtype=np.int64)
    names, values = [], []
    for i in feature_index:
        name, cells = table.columns[i], column_cells(table, i)
        categorical = kinds[name] == "categorical" if kinds is not None else _is_categorical(cells)
        if categorical:
            texts = np.array([c.strip() if not is_missing(c) else "" for c in cells], dtype=str)
            if missing == "error" and len(texts) and (texts == "").any():
                k = int(np.argmax(texts == ""))
                raise DataError(f"{path}: line {lines[k]}, column '{name}': expected a value, got a missing cell "
                                f"({cells[k].strip()!r}); set data.missing: drop or mean to accept missing cells")
            values.append(texts if len(texts) else np.array([], dtype="U1"))
        else:
            numbers = np.empty(len(cells), dtype=np.float64)
            for k, text in enumerate(cells):
                numbers[k] = np.nan if missing != "error" and is_missing(text) else parse_number(path, lines[k], name,
                                                                                                   text)
            values.append(numbers)
        names.append(name)
    return RawFeatures(path, tuple(names), tuple(values), lines)
