"""Metrics files: the training history and final metrics as JSON (the whole document) or CSV (one row per epoch)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .atomic import atomic_write

SUFFIXES = (".json", ".csv")


def metrics_document(config: dict, history, final: dict, seconds: float, *, warnings=(), curve=None) -> dict:
    """The metrics JSON object: config, history (one dict per logged epoch), final, seconds, warnings.

    With a dev set, `curve` holds train and dev cost for every epoch ({"epoch", "cost", "dev_cost"}; the
    last row, epoch = epochs run, has the dev cost of the final parameters only).
    """
    document = {"config": config, "history": [h.to_dict() for h in history], "final": final, "seconds": seconds,
                "warnings": list(warnings)}
    if curve:
        document["curve"] = list(curve)
    return document


def write_metrics(path, document: dict) -> None:
    """Metrics as JSON (the whole document) or CSV (one row per logged epoch), by the suffix."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        rows = document["history"]
        if document.get("curve"):
            # One row per epoch: the curve's costs, with the logged epochs' other metrics beside them.
            logged = {row["epoch"]: row for row in rows}
            rows = [{**row, **logged.get(row["epoch"], {})} for row in document["curve"]]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path, text.getvalue().encode(), "metrics")
    else:
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode(), "metrics")
