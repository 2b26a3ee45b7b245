"""Metrics files: the training history and final metrics as JSON (the whole document) or CSV (one row per epoch)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .atomic import atomic_write

SUFFIXES = (".json", ".csv")


def metrics_document(config: dict, history, final: dict, seconds: float, *, warnings=(), curve=None,
                     verdicts=None) -> dict:
    """The metrics JSON object: config, history (one dict per logged epoch), final, seconds, warnings.

    With a dev set, `curve` holds train and dev cost for every epoch ({"epoch", "cost", "dev_cost"}; the
    last row, epoch = epochs run, has the dev cost of the final parameters only). A traced run's
    `verdicts` (layer_stats.verdicts) join the document; its history rows carry their "layers".
    """
    document = {"config": config, "history": [h.to_dict() for h in history], "final": final, "seconds": seconds,
                "warnings": list(warnings)}
    if curve:
        document["curve"] = list(curve)
    if verdicts is not None:
        document["verdicts"] = list(verdicts)
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
        rows = [_flat(row) for row in rows]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path, text.getvalue().encode(), "metrics")
    else:
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode(), "metrics")


def _flat(row: dict) -> dict:
    """A traced row's "layers" as columns: std_Z_1, dead_1, ..., update_ratio_L (CSV has no nested values)."""
    if "layers" not in row:
        return row
    out = {k: v for k, v in row.items() if k != "layers"}
    for layer in row["layers"]:
        out.update({f"{k}_{layer['l']}": v for k, v in layer.items() if k not in ("l", "g")})
    return out
