"""Feature columns of a text table before and after encoding: string columns one-hot, missing cells filled.

A table's feature columns are first kept raw (`RawFeatures`): a numeric column as float64 numbers with NaN
where a cell is missing, a categorical column as its cell texts with '' where missing. The dev split is
taken on the raw columns, and an `Encoder` is fitted on the training split only (its categories, its
means), then turns any raw columns (train, dev, test, or a file given to predict) into X (n^[0], m):
a numeric column stays one row of X, a categorical column becomes one row per category (one-hot).

Missing cells follow `data.missing`: 'error' (the first one is reported, as a number cell always was),
'drop' (the rows go, counted), 'mean' (a numeric column's training mean; a categorical column's own
category MISSING).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .errors import DataError, listed, shorten
from .io.rawcolumns import MISSING, RawFeatures

MISSING_POLICIES = ("error", "drop", "mean")
UNKNOWN_POLICIES = ("error", "ignore")
MAX_CATEGORIES = 1000  # more distinct strings than this in a column are an identifier, not a category
IDENTIFIER_CATEGORIES = 20  # a text column with more categories than this and than half its rows: a warning


@dataclass(frozen=True)
class Column:
    """One raw column as the encoder knows it: numeric (with its fill value for a missing cell, or None) or
    categorical (its categories, in the order of their rows of X)."""

    name: str
    kind: str
    categories: tuple[str, ...] = ()
    fill: float | None = None

    @property
    def width(self) -> int:
        return len(self.categories) if self.kind == "categorical" else 1

    def feature_names(self) -> list[str]:
        return [f"{self.name}={c}" for c in self.categories] if self.kind == "categorical" else [self.name]


@dataclass(frozen=True, eq=False)
class Encoder:
    """Raw columns to X (n^[0], m), fitted on the training split: one row per numeric column, one per category."""

    columns: tuple[Column, ...]
    missing: str = "error"
    unknown: str = "error"

    @classmethod
    def fit(cls, raw: RawFeatures, *, missing: str = "error", unknown: str = "error") -> Encoder:
        """Categories (sorted) and means from the training split's raw columns."""
        columns = []
        for name, v in zip(raw.names, raw.values):
            if v.dtype.kind == "U":
                seen = sorted(set(v.tolist()) - {""})
                if len(seen) > MAX_CATEGORIES:
                    raise DataError(f"{raw.source}: column '{name}': {len(seen):,} distinct texts (e.g. "
                                    f"{listed(seen[:3], 80)}): expected a category column of at most "
                                    f"{MAX_CATEGORIES:,} values, or numbers; list it in data.ignore_columns to "
                                    "leave it out")
                if missing == "mean" and (v == "").any():
                    seen.append(MISSING)
                columns.append(Column(name, "categorical", tuple(seen)))
            else:
                fill = None
                if missing == "mean":
                    present = v[~np.isnan(v)]
                    if present.size == 0:
                        raise DataError(f"{raw.source}: column '{name}': every cell of the training split is "
                                        "missing; expected at least one number to take the mean of")
                    fill = float(present.mean())
                columns.append(Column(name, "numeric", fill=fill))
        return cls(tuple(columns), missing, unknown)

    @property
    def n_x(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def has_categories(self) -> bool:
        return any(c.kind == "categorical" for c in self.columns)

    def feature_names(self) -> tuple[str, ...]:
        return tuple(name for c in self.columns for name in c.feature_names())

    def describe(self) -> str:
        """Where the n^[0] features come from: 'n^[0] = 5 from 2 columns: colour (one-hot: blue, green, red), size'."""
        parts = [f"{c.name} (one-hot: {listed(c.categories, 200)})" if c.kind == "categorical" else c.name
                 for c in self.columns]
        return f"n^[0] = {self.n_x} from {len(self.columns)} columns: {listed(parts, 600)}"

    def kinds(self) -> dict:
        return {c.name: c.kind for c in self.columns}

    def transform(self, raw: RawFeatures, what: str = "") -> np.ndarray:
        """X (n^[0], m) float64, sample-major (X.T C-contiguous), from raw columns with this encoder's names.

        what: how the caller names these samples in a message ('the dev split').
        """
        XT = np.zeros((raw.m, self.n_x), dtype=np.float64)
        position = {name: j for j, name in enumerate(raw.names)}
        row = 0
        for column in self.columns:
            v = raw.values[position[column.name]]
            if column.kind == "numeric":
                if v.dtype.kind == "U":
                    raise DataError(f"{raw.source}: column '{column.name}': expected numbers, got texts")
                gaps = np.isnan(v)
                if gaps.any():
                    if column.fill is None:
                        k = int(np.argmax(gaps))
                        raise DataError(f"{raw.source}: line {raw.lines[k]}, column '{column.name}': expected a "
                                        f"number, got a missing cell (the model was trained with data.missing: "
                                        f"{self.missing})")
                    v = np.where(gaps, column.fill, v)
                XT[:, row] = v
            else:
                texts = v.astype(str) if v.dtype.kind != "U" else v
                if self.missing == "mean" and MISSING in column.categories:
                    texts = np.where(texts == "", MISSING, texts)
                index = {c: k for k, c in enumerate(column.categories)}
                codes = np.fromiter((index.get(t, -1) for t in texts.tolist()), dtype=np.int64, count=len(texts))
                known = codes >= 0
                if not known.all() and self.unknown == "error":
                    k = int(np.argmax(~known))
                    value = "a missing cell" if texts[k] == "" else repr(shorten(str(texts[k]), 100))
                    where = f" ({what})" if what else ""
                    raise DataError(f"{raw.source}: line {raw.lines[k]}, column '{column.name}': {value} is not a "
                                    f"category seen in training{where}; expected one of "
                                    f"{listed(column.categories, 300)} (with data.unknown_categories: ignore, "
                                    "a model encodes it as all zeros)")
                rows = np.flatnonzero(known)
                XT[rows, row + codes[rows]] = 1.0
            row += column.width
        return XT.T

    def identifier_like(self, m: int) -> list[str]:
        """Sentences on the text columns whose categories look like identifiers or free text: more than
        IDENTIFIER_CATEGORIES of them, and more than half the m training rows (one-hot features that each
        mark a row or two teach the network nothing that carries over to new rows)."""
        return [f"column '{c.name}' has {c.width:,} distinct texts in {m:,} training rows, one-hot encoded into "
                f"{c.width:,} features: an identifier or free text rather than a category? list it in "
                "data.ignore_columns to leave it out"
                for c in self.columns if c.kind == "categorical" and c.width > max(IDENTIFIER_CATEGORIES, m / 2)]

    def to_json(self) -> str:
        return json.dumps({"missing": self.missing, "unknown": self.unknown, "columns": [
            {"name": c.name, "kind": c.kind, "categories": list(c.categories), "fill": c.fill} for c in self.columns]})

    @classmethod
    def from_json(cls, document) -> Encoder:
        """The encoder a model file stores (see to_json); ValueError naming what is wrong."""
        if not isinstance(document, dict) or not isinstance(document.get("columns"), list):
            raise ValueError("expected a JSON object with a list 'columns'")
        if document.get("missing") not in MISSING_POLICIES or document.get("unknown") not in UNKNOWN_POLICIES:
            raise ValueError(f"expected 'missing' in {listed(MISSING_POLICIES)} and 'unknown' in "
                             f"{listed(UNKNOWN_POLICIES)}")
        columns = []
        for c in document["columns"]:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str) or c.get("kind") not in (
                    "numeric", "categorical"):
                raise ValueError("expected every column as {name, kind: numeric | categorical, ...}")
            categories = c.get("categories") or []
            if not isinstance(categories, list) or not all(isinstance(x, str) for x in categories) \
                    or len(set(categories)) != len(categories):
                raise ValueError(f"column '{shorten(c['name'], 100)}': expected a list of distinct categories")
            fill = c.get("fill")
            if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float))
                                     or not np.isfinite(fill)):
                raise ValueError(f"column '{shorten(c['name'], 100)}': expected a finite fill value or null")
            columns.append(Column(c["name"], c["kind"], tuple(categories), None if fill is None else float(fill)))
        return cls(tuple(columns), document["missing"], document["unknown"])

    def __repr__(self) -> str:
        return f"Encoder(n_x={self.n_x}, columns={[c.name for c in self.columns]})"
