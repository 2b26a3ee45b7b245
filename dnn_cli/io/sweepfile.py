"""A sweep's results file (`dnn sweep --out`): every run's record, as JSON or CSV, rewritten atomically.

JSON: {"runs": [record, ...]}, one record per run (grid values, seed, status, final metrics, history,
cost curve, parameter digest, resolved config). CSV: one row per run, the grid values, seed, status and
final metrics in columns, and the whole record as JSON in the last column `record` (what a resumed
sweep reads back).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import DataError, shorten
from .atomic import atomic_write

SUFFIXES = (".json", ".csv")
FIXED = ("seed", "status", "epochs", "seconds")


def write_runs(path, records: list[dict]) -> None:
    """Write every record to `path` (JSON or CSV by the suffix), atomically."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        keys = list(dict.fromkeys(k for r in records for k in r.get("grid", {})))
        finals = list(dict.fromkeys(k for r in records for k in r.get("final", {})))
        columns = keys + list(FIXED) + [f"final_{k}" for k in finals] + ["parameters_sha256", "message", "record"]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in records:
            row = {k: json.dumps(r["grid"][k]) for k in keys if k in r.get("grid", {})}
            row.update({k: r.get(k) for k in FIXED})
            row.update({f"final_{k}": v for k, v in r.get("final", {}).items()})
            row.update(parameters_sha256=r.get("parameters_sha256"), message=r.get("message"),
                       record=json.dumps(r, separators=(",", ":")))
            writer.writerow(row)
        atomic_write(path, text.getvalue().encode(), "sweep results")
    else:
        atomic_write(path, (json.dumps({"runs": records}, indent=1) + "\n").encode(), "sweep results")


def read_runs(path) -> list[dict]:
    """The records of an earlier `write_runs` at `path`; [] when there is no such file."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read the sweep results to resume from: {e}") from None
    if not text.strip():
        return []
    expected = "a file written by dnn sweep --out (or a new file name)"
    try:
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(io.StringIO(text)))
            records = [json.loads(row["record"]) for row in rows]
        else:
            document = json.loads(text)
            records = document["runs"] if isinstance(document, dict) else None
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: expected {expected}, got a file it cannot read ({shorten(str(e), 200)})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and isinstance(r.get("config"), dict)
                                                for r in records):
        raise DataError(f"{path}: expected {expected}: a list of runs, each with its config")
    return records
