"""A table's header read for a trained model: which columns are its n^[0] features, which is the label.

A model trained on a CSV stores its feature names, and a file given to predict / evaluate must name
them too (in any order, other columns ignored): a file whose header shares no name with the model
is refused rather than read by position, unless the caller asks for position explicitly. A model
without real names (trained on an NPZ or a built-in dataset, whose features are called x1, x2, ...)
is matched by name when every name is present, else by position, as the count allows.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .cells import is_number
from .errors import DataError

LIST_LIMIT = 200  # characters of a name list in a message
SUGGEST_LIMIT = 1000  # columns looked at for "did you mean"


def listed(names, limit: int = LIST_LIMIT) -> str:
    """Names joined with ', ', cut at a name boundary when long: 'a, b, c, ... and 990 more'."""
    names = [str(n) for n in names]
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    shown, used = [], 0
    for name in names:
        if len(name) > limit // 2:
            name = name[: limit // 2 - 1] + "…"
        if used + len(name) + 2 > limit - 20 and shown:
            break
        shown.append(name)
        used += len(name) + 2
    more = len(names) - len(shown)
    return ", ".join(shown) + (f", ... and {more} more" if more else "")


def _quoted(names) -> list[str]:
    return [f"'{n}'" for n in names]


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


def check_not_data(path: Path, line: int, columns: list[str], label: str | None = None) -> None:
    """DataError when the first row of a CSV is a sample rather than a header (see looks_like_data)."""
    if looks_like_data(columns, label):
        raise DataError(f"{path}: line {line}: the first line looks like data, not a header "
                        f"({listed(_quoted(columns))} are values, not column names): add a header row naming "
                        "the columns, e.g. x1,x2,label")


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
                  named: bool = True, by_position: bool = False) -> tuple[list[int], int | None]:
    """The n_x column indices holding the model's features, in the model's order, and the label's (or None).

    feature_names: the model's n^[0] feature names, or None; named: False when those names were made
    up (x1, x2, ...) rather than read from a training file's header; by_position: take the columns in
    file order (the label by name, else the last of n_x + 1), as the user asked for explicitly.
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
        rest = [i for i in range(len(columns)) if i not in taken]
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
                        f"rename the columns, or pass --by-position to take {n_x} columns in file order")
    missing = [f for f in names if f not in position]
    extra = f"; extra column(s) {listed(_quoted(unmatched))}" if unmatched else ""
    raise DataError(f"{path}: line {line}: missing feature column(s) {listed(_quoted(missing))}; the model was "
                    f"trained on {listed(names)}{extra}" + _suggestions(missing, unmatched))


def named_features(model) -> bool:
    """True when a model's stored feature names came from a training file's header (a CSV)."""
    source = str(getattr(model.config.data, "source", ""))
    return model.features is not None and source.lower().endswith(".csv")
