"""CSV files: the rows with the line each starts on, the header's checks, and the text of a cell as a number.

A cell is a number only when it is written as one in plain ASCII decimal notation: an optional sign, digits
with an optional decimal point, an optional exponent ('-1.5', '.5', '1e5'). Python's float() also takes
'1_000', Unicode digits ('١٢') and surrounding whitespace; a data file means none of these as a number.
'inf' and 'nan' are recognised so that they can be refused as not finite, with their own message.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from ..errors import DataError, listed, shorten

OTHER_DELIMITERS = {";": "';' (semicolon)", "\t": "tabs", "|": "'|' (pipe)"}
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


def parse_float(text: str) -> float | None:
    """The number a cell denotes (surrounding spaces ignored), inf/nan included; None if it is not one."""
    text = text.strip()
    if _DECIMAL.fullmatch(text) or _NON_FINITE.fullmatch(text):
        return float(text)
    return None


def is_number(text: str) -> bool:
    """True when `text` is a finite number in plain decimal notation."""
    value = parse_float(text)
    return value is not None and math.isfinite(value)


def parse_int_label(text: str) -> int | None:
    """The integer a label cell denotes ('1', '01', '1.0', '1e2'), or None if it is not one ('1_000')."""
    value = parse_float(text)
    if value is None or not math.isfinite(value) or not value.is_integer():
        return None
    digits = text.strip()
    # int() keeps every digit of a long integer label that a float would round.
    return int(digits) if digits.lstrip("+-").isdigit() else int(value)


def parse_number(path, line: int, column: str, text: str) -> float:
    """The finite number in cell `column` of `line`; DataError naming the file, line and column otherwise."""
    where = f"{path}: line {line}, column '{column}'"
    if not text.strip():
        raise DataError(f"{where}: expected a number, got an empty cell")
    value = parse_float(text)
    if value is None:
        raise DataError(f"{where}: expected a number, got {shorten(text, 200)!r}")
    if not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number, got {text!r}")
    return value


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows of a CSV with the 1-based file line each starts on."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            try:
                rows = list(_numbered(reader))
            except csv.Error as e:
                raise DataError(f"{path}: line {reader.line_num}: malformed CSV ({e})") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: expected UTF-8 text, got byte 0x{e.object[e.start]:02x} "
                        f"at byte offset {e.start}") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    return rows


def row_line(path: Path, index: int) -> int:
    """The file line the non-blank row `index` of a CSV starts on (0: the header), as `read_rows` numbers them,
    found by reading up to it without keeping the rows; 0 if the file has fewer rows."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        for k, (line, _) in enumerate(_numbered(csv.reader(f))):
            if k == index:
                return line
    return 0


def _numbered(reader):
    """(line, cells) of each non-blank row of a csv.reader, with the 1-based file line the row starts on."""
    line = 1
    for row in reader:
        # A quoted cell may span lines, so a row starts after the previous row's end.
        if row:
            yield line, row
        line = reader.line_num + 1


def check_delimiter(path, line: int, columns: list[str]) -> None:
    """Refuse a header that looks like another delimiter's: 'x1;x2;label' read with commas is one column."""
    for delimiter, name in OTHER_DELIMITERS.items():
        if any(delimiter in c for c in columns) and sum(c.count(delimiter) for c in columns) >= len(columns):
            raise DataError(
                f"{path}: line {line}: the header {shorten(','.join(columns))!r} seems to use {name} as its "
                "delimiter; expected comma-separated values (save the file as CSV with ',')"
            )


def looks_like_data(columns: list[str], label: str | None = None) -> bool:
    """True when a header row is really a sample: every feature name is a number.

    The label column (named `label`, else a non-numeric last column) is left out, since a label
    cell of a sample ('setosa') need not be a number. Consecutive integers (0, 1, 2 or 2019, 2020)
    are the column indices some tools write as a header, or years, not a sample.
    """
    names = list(columns)
    if label is not None and label in names:
        names.remove(label)
    elif names and not is_number(names[-1]):
        names = names[:-1]
    if not names or not all(is_number(n) for n in names):
        return False
    if all(n.isascii() and n.isdigit() for n in names):
        start = int(names[0])
        consecutive = [int(n) for n in names] == list(range(start, start + len(names)))
        if consecutive and (len(names) >= 2 or start in (0, 1)):
            return False
    return True


def check_not_data(path, line: int, columns: list[str], label: str | None = None) -> None:
    """DataError when the first row of a table is a sample rather than a header (see looks_like_data)."""
    if looks_like_data(columns, label):
        raise DataError(f"{path}: line {line}: the first line looks like data, not a header "
                        f"({listed(quoted(columns))} are values, not column names): add a header row naming "
                        "the columns, e.g. x1,x2,label")


def quoted(names) -> list[str]:
    """Each name in single quotes, for a message."""
    return [f"'{n}'" for n in names]
