"""A starter config inferred from a data file (`dnn init --data FILE.csv`): n^[0], the task, the output layer.

The file is read once, as training will read it: the label column (`label`, else the last), the task from
the labels (two classes: a sigmoid unit and binary cross-entropy; more: softmax with one unit per class;
numbers with many distinct values: regression, a linear unit and mse), n^[0] after encoding text columns
(fitted on the same training split `dnn train` will use), and defaults that suit tabular data: ReLU hidden
layers sized from n^[0] and the outputs, He init, standardised features, a dev split, Adam on mini-batches
with early stopping. The result is YAML text with comments saying what was inferred and why.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .config import config_from_dict
from .encoding import IDENTIFIER_CATEGORIES
from .errors import DataError, listed, shorten
from .io.csvfile import parse_float
from .io.rawcolumns import is_missing
from .io.tables import TextTable, read_table
from .pipeline import MANY_CLASSES, fit_encoder, load_dataset, train_split

DEV_FRACTION = 0.2
BATCH_SIZE = 32
EPOCHS = 500
PATIENCE = 30


@dataclass(frozen=True)
class Starter:
    """The config text and what was inferred (sentences for the user), and the network's layers."""

    text: str
    inferred: tuple[str, ...]
    layers: tuple[int, ...]


def hidden_layers(n_x: int, n_out: int) -> list[int]:
    """One or two ReLU layers: the first about twice the wider of n^[0] and the outputs (16 to 128, a multiple
    of 8), a second of half that width when n^[0] is above 16."""
    width = min(128, max(16, 8 * math.ceil(2 * max(n_x, n_out) / 8)))
    return [width, width // 2] if n_x > 16 else [width]


def one_scale(columns) -> tuple[bool, str]:
    """Whether numeric feature columns already share one unit-like scale (each std in [0.1, 10], the largest at
    most 10 times the smallest, each mean within 10 std of 0), so that standardising them would only equalise
    columns whose spread carries information; and the range of their stds, for a comment."""
    stds = [float(np.nanstd(c)) for c in columns]
    means = [float(np.nanmean(c)) for c in columns]
    if not stds or not all(np.isfinite(stds)):
        return False, "no numeric columns"
    spread = f"std {min(stds):.3g} .. {max(stds):.3g}"
    shared = (all(0.1 <= s <= 10 for s in stds) and max(stds) <= 10 * min(stds)
              and all(abs(m) <= 10 * s for m, s in zip(means, stds)))
    return shared, spread


# A column name that says it identifies rows: id, Id, PassengerId, customer_id, index, row, row_id.
ID_NAME = re.compile(r"(?:^|_)(?:id|index|idx|row|row_?id)$|[a-z]Id$|^ID$", re.IGNORECASE)
# A date or a time stamp, as CSV files write them: 2024-01-31, 2024-01-31 12:00(:00), 31/01/2024, 01.31.2024.
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")


def columns_to_leave_out(table, label_index: int) -> dict[str, str]:
    """Feature columns that identify rows rather than describe them, or that dnn cannot read as features, each
    with why: integers that number the rows (all distinct, and one consecutive run or a name like 'id'), texts
    with more than IDENTIFIER_CATEGORIES distinct values and more than half the rows (names, ids, free text),
    and dates (dnn does not parse them: each day would be a category); {} when every feature column would go."""
    found = {}
    for i, name in enumerate(table.columns):
        if i == label_index:
            continue
        cells = [row[i].strip() for _, row in table.rows if i < len(row) and not is_missing(row[i])]
        if len(cells) <= IDENTIFIER_CATEGORIES:  # too few rows to tell
            continue
        distinct = len(set(cells))
        numbers = [parse_float(c) for c in cells]
        if all(v is not None for v in numbers):
            run = max(numbers) - min(numbers) + 1 == len(cells)
            if distinct == len(cells) and all(v.is_integer() for v in numbers) and (run or ID_NAME.search(name)):
                what = "a row number" if run else "an identifier"
                found[name] = (f"'{name}' ({len(cells):,} distinct integers {int(min(numbers))} .. "
                               f"{int(max(numbers))}: {what})")
        elif all(DATE.fullmatch(c) for c in cells):
            found[name] = (f"'{name}' (dates, {distinct:,} distinct: dnn does not parse dates, and one-hot each "
                           "would be a category of its own; derive numbers from them, e.g. a month, to use them)")
        elif sum(v is None for v in numbers) * 2 > len(numbers) and distinct > max(IDENTIFIER_CATEGORIES,
                                                                                     len(cells) / 2):
            found[name] = f"'{name}' ({distinct:,} distinct texts in {len(cells):,} rows: an identifier or free text)"
    features = len(table.columns) - 1
    return found if len(found) < features else {}


def infer_task(labels: list[str]) -> tuple[str, tuple]:
    """('classification', classes) or ('regression', ()): numbers that are fractional or have more than
    MANY_CLASSES distinct values are a regression target; anything else names classes."""
    values = [parse_float(s) for s in labels]
    distinct = sorted(set(labels))
    numeric = all(v is not None and math.isfinite(v) for v in values)
    if numeric and (any(not v.is_integer() for v in values) or len(set(values)) > MANY_CLASSES):
        return "regression", ()
    if numeric:
        return "classification", tuple(sorted(set(int(v) for v in values)))
    return "classification", tuple(distinct)


def starter_from_data(data_path, config_path, label: str | None = None) -> Starter:
    """The starter config for the CSV at `data_path`, to be written at `config_path` (its data.source is
    relative to the config's folder)."""
    data_path, config_path = Path(data_path), Path(config_path)
    table = read_table(data_path)
    if not isinstance(table, TextTable):
        raise DataError(f"{data_path}: expected a .csv with a header row naming the columns, got an array file; "
                        "dnn init --data infers the config from a CSV")
    columns = table.columns
    table.check_has_rows()
    label = label if label is not None else (columns[-1] if columns else None)
    if label not in columns:
        raise DataError(f"{data_path}: no label column '{shorten(label)}': expected one of {listed(columns)}")
    label_index = columns.index(label)
    labels = [row[label_index].strip() if label_index < len(row) else "" for _, row in table.rows]
    identifiers = columns_to_leave_out(table, label_index)
    ignored = {columns.index(name) for name in identifiers}
    missing_labels = sum(1 for s in labels if is_missing(s))
    missing_cells = sum(1 for _, row in table.rows for i, c in enumerate(row)
                        if i != label_index and i not in ignored and is_missing(c))
    present = [s for s in labels if not is_missing(s)]
    task, classes = infer_task(present)
    if task == "classification" and len(classes) < 2:
        raise DataError(f"{data_path}: column '{label}' holds one value only ({shorten(repr(classes[0]))}); "
                        "expected a label column with at least 2 classes, or numbers to regress on (--label names it)")

    data = {"source": _relative(data_path, config_path.parent), "label": label, "dev_fraction": DEV_FRACTION,
            "standardize": True}
    notes, comments = {}, {}
    if identifiers:
        data["ignore_columns"] = list(identifiers)
        notes["ignore_columns"] = f"{listed(list(identifiers.values()), 600)}: left out of the features"
    if missing_labels or missing_cells:
        data["missing"] = "drop" if missing_labels else "mean"
        notes["missing"] = (f"{missing_cells:,} missing feature cells and {missing_labels:,} missing labels: the rows "
                            "are dropped" if missing_labels else
                            f"{missing_cells:,} missing cells: filled with the train mean (a category of their own "
                            "in text columns)")
    if task == "classification" and len(classes) == 2:
        n_out, output, why = 1, "sigmoid", f"2 classes in column '{label}': {listed(classes, 200)}"
        head = "a sigmoid output (one unit, the probability of the second class) and binary cross-entropy"
    elif task == "classification":
        n_out, output, why = len(classes), "softmax", f"{len(classes)} classes in column '{label}': " \
                                                      f"{listed(classes, 200)}"
        head = f"a softmax output (n^[L] = {len(classes)}, one unit per class) and cross-entropy"
    else:
        n_out, output = 1, "linear"
        why = f"column '{label}' holds numbers with {len(set(present)):,} distinct values: regression"
        head = "a linear output and the mean squared error, on targets standardised from the train split"

    raw = {"seed": 0, "data": dict(data), "model": {"layers": [1, n_out], "activations": ["linear"]}}
    raw["data"]["source"] = str(data_path.resolve())
    if task == "classification":
        raw["model"]["activations"] = [output]
    config = config_from_dict(raw, source=str(data_path))
    dataset = load_dataset(config, None, str(data_path))
    encoder = fit_encoder(config, train_split(config, str(data_path), file_data=dataset))
    n_x = encoder.n_x if encoder is not None else dataset.n_x
    if encoder is not None and encoder.has_categories:
        data["unknown_categories"] = "ignore"
        notes["unknown_categories"] = "a text value the train split never had: all-zero one-hot columns"
    inputs = encoder.describe() if encoder is not None else \
        f"n^[0] = {n_x} from {n_x} numeric columns: {listed(dataset.feature_names, 300)}"
    layers = [n_x, *hidden_layers(n_x, n_out), n_out]
    if dataset.raw is not None:
        numeric = [v for v in dataset.raw.values if v.dtype.kind != "U"]
    else:
        numeric = list(dataset.X)
    shared, spread = one_scale(numeric)
    data["standardize"] = not shared
    comments[("data", "standardize")] = (f"the numeric features already share one scale ({spread}): kept in their "
                                         "units" if shared else f"features to zero mean, unit variance ({spread})")

    lines = ["# yaml-language-server: $schema=dnn.schema.json",
             "# (editors complete and check the keys against it; write it beside this file with: dnn schema > "
             "dnn.schema.json)",
             f"# A starter config for {data_path.name}, inferred by `dnn init --data`: `dnn train` trains it as "
             "written.",
             f"# {dataset.m:,} samples. {inputs}.",
             f"# {why}: {head}."]
    for key, note in notes.items():
        lines.append(f"# data.{key}: {note}.")
    body = {
        "seed": 0,
        "data": data,
        "model": {"layers": layers, "activations": {"hidden": "relu", "output": output}, "init": "he"},
        "train": {"optimizer": "adam", "learning_rate": 0.001, "epochs": EPOCHS, "batch_size": BATCH_SIZE,
                  "early_stopping": {"patience": PATIENCE}, "log_every": 50},
    }
    text = "\n".join(lines) + "\n" + _commented(body, {**COMMENTS, **comments})
    config_from_dict(yaml.safe_load(text), source=str(config_path))  # our own output must be a valid config
    left_out = ((f"left out of the features (data.ignore_columns): {listed(list(identifiers.values()), 600)}",)
                if identifiers else ())
    inferred = (f"{dataset.m:,} samples; {inputs}", *left_out, f"{why}: {output} output, n^[L] = {n_out}",
                f"layers {layers}")
    return Starter(text, inferred, tuple(layers))


COMMENTS = {
    ("data", "source"): "relative to this file",
    ("data", "dev_fraction"): "held out for dev metrics and early stopping",
    ("model", "layers"): "n^[0] .. n^[L]: inputs after encoding, ReLU hidden layers, outputs",
    ("model", "init"): "He: suits ReLU layers",
    ("train", "batch_size"): "mini-batches, reshuffled every epoch",
    ("train", "early_stopping"): "stop when the dev cost has not improved for this many epochs; keep the best",
}


def _commented(body: dict, comments: dict) -> str:
    """The config as block YAML, one key per line, lists and small mappings inline, with COMMENTS."""
    out = []
    for section, value in body.items():
        if not isinstance(value, dict):
            out.append(f"{section}: {_inline(value)}")
            continue
        out.append(f"\n{section}:")
        for key, item in value.items():
            line = f"  {key}: {_inline(item)}"
            comment = comments.get((section, key))
            out.append(f"{line:<39} # {comment}" if comment else line)  # a comment needs a space before its #
    return "\n".join(out).lstrip("\n") + "\n"


def _inline(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def _relative(data_path: Path, folder: Path) -> str:
    """The data path as the config names it: relative to the config's folder (a config's paths are)."""
    try:
        return os.path.relpath(data_path.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return str(data_path.resolve())
