"""The fast path of the CSV reader: a table whose every cell is a finite number, read by NumPy's C parser.

`numeric_table` reads the header row as the careful reader does (csv module, the line it starts on), then
hands the rest of the open file to `np.loadtxt`, which converts each cell with the same correctly rounded
conversion as Python's float(). It gives up (returns None) on anything it is not sure of: a cell that is not
a plain number (text, empty, quoted, '1_000'), a row of another length, inf or nan, a label too large for a
float to keep every digit. The caller then takes the careful path (`csvfile.read_rows`), which finds the
exact cell and reports it with its file, line and column, exactly as before.

Memory: the table as float64 (m, n) is the only large allocation (the careful path holds every cell as a
Python string, about 14 times that); `estimate_bytes` predicts both from the file's size before reading.
"""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

EXACT_INTEGERS = 2.0**53  # a float keeps every digit of an integer label below this
SAMPLE_BYTES = 1 << 20  # read to estimate the number of cells per byte
BLOCK = 1 << 16  # labels checked this many at a time
TEXT_FACTOR = 14  # peak memory of the careful path per byte of the float64 table (measured: 477 MB for 34 MB)


class NumericTable(NamedTuple):
    """A CSV of numbers: the header's line and column names, and the cells as float64 (m, len(columns))."""

    header_line: int
    columns: list[str]
    values: np.ndarray


def numeric_table(path: Path) -> NumericTable | None:
    """The CSV at `path` when every data cell is a finite number in plain notation, else None (see module doc).

    Errors the careful reader would also raise before any cell (no such file, not UTF-8, an empty file) are
    left to it: None.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header, line = None, 1
            for row in reader:
                if row:
                    header = row
                    break
                line = reader.line_num + 1
            if header is None:
                return None
            # The csv reader leaves the file at the start of the next line; the C parser goes on from there.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": the careful path says "header only"
                values = np.loadtxt(f, delimiter=",", ndmin=2, dtype=np.float64, comments=None, encoding=None)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return None
    columns = [c.strip() for c in header]
    if values.shape[0] == 0 or values.shape[1] != len(columns):
        return None
    if not all(np.isfinite(values[start:start + BLOCK]).all() for start in range(0, values.shape[0], BLOCK)):
        return None
    return NumericTable(line, columns, values)


def integer_labels(y: np.ndarray) -> np.ndarray | None:
    """Float labels (m,) as int64 when every one is an integer a float holds exactly, else None.

    Checked BLOCK values at a time, so the only array of y's length made is the int64 result."""
    for start in range(0, y.shape[0], BLOCK):
        part = y[start:start + BLOCK]
        if not np.all(part == np.round(part)) or np.abs(part).max(initial=0) >= EXACT_INTEGERS:
            return None
    return y.astype(np.int64)


def class_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes, codes): the distinct integer labels in increasing order, and each label's index among them:
    `np.unique(codes, return_inverse=True)`, written into `codes` itself when the labels span a range no wider
    than the number of samples (a lookup table instead of a sort, which takes four more arrays of that length)."""
    if codes.size == 0:
        return np.unique(codes, return_inverse=True)
    low, high = int(codes.min()), int(codes.max())
    if high - low > max(codes.size, 1 << 16):
        return np.unique(codes, return_inverse=True)
    codes -= low
    present = np.bincount(codes, minlength=high - low + 1) > 0
    index = np.cumsum(present) - 1
    np.take(index, codes, out=codes)
    return np.flatnonzero(present) + low, codes


def estimate_bytes(path) -> tuple[int, int, int]:
    """(size, fast, careful): the file's size and the peak bytes reading the CSV at `path` is expected to take on
    each path, from the cells per byte of its first MiB. Nothing is parsed; a file that cannot be read is (0, 0, 0)
    (the reader then says why)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            sample = f.read(SAMPLE_BYTES)
    except OSError:
        return 0, 0, 0
    if not sample:
        return size, 0, 0
    cells = sample.count(b",") + sample.count(b"\n")
    table = int(size * cells / len(sample)) * 8
    return size, 2 * table, TEXT_FACTOR * table


def select_columns(values: np.ndarray, columns: list[int]) -> np.ndarray:
    """The given columns of a C-contiguous (m, w) float64 array, in the given order, as a C-contiguous
    (m, len(columns)) array in the same memory (len(columns) <= w).

    The rows are moved forward block by block (each block's new place ends before the next block's old one,
    and a block is read before it is written), so no second (m, n) array is allocated; the values' other
    cells are overwritten: copy out what is still needed first.
    """
    m, width = values.shape
    n = len(columns)
    assert values.flags.c_contiguous and values.dtype == np.float64 and n <= width
    flat = values.reshape(-1)
    leading = list(columns) == list(range(n))
    step = max(1, (1 << 16) // width)
    for r0 in range(0, m, step):
        r1 = min(m, r0 + step)
        block = values[r0:r1, :n] if leading else values[r0:r1, columns]   # a copy unless the first n columns
        flat[r0 * n: r1 * n].reshape(r1 - r0, n)[...] = block
    return flat[: m * n].reshape(m, n)
