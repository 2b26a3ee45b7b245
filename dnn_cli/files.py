"""Model NPZ files (W1..WL, b1..bL, the resolved config) and metrics files, written atomically.

Every write goes to a temporary file in the target's folder and is renamed over the target,
so an interrupted save never leaves a broken file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .errors import ModelFileError, UsageError

FORMAT_VERSION = 1


def atomic_write(path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable(path, what: str) -> None:
    """Fail before any work when `path` cannot be written (missing folder, no permission)."""
    folder = Path(path).parent if str(Path(path).parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{path}: cannot write the {what}: folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{path}: cannot write the {what}: folder '{folder}' is not writable")
    if Path(path).is_dir():
        raise UsageError(f"{path}: cannot write the {what}: it is a directory")


def model_arrays(network, config: dict, *, classes=None, standardizer=None, extra: dict | None = None) -> dict:
    """The arrays of a model file: W1..WL, b1..bL, config (JSON), format_version, and what prediction needs."""
    arrays = dict(network.parameters())
    arrays["config"] = np.array(json.dumps(config))
    arrays["format_version"] = np.array(FORMAT_VERSION)
    if classes is not None:
        arrays["classes"] = np.array(json.dumps(list(classes)))
    if standardizer is not None:
        arrays["x_mean"], arrays["x_std"] = standardizer.mean, standardizer.std
    arrays.update(extra or {})
    return arrays


def save_model(path, network, config: dict, **kwargs) -> None:
    """Write the model NPZ atomically (see `model_arrays` for its contents)."""
    buffer = io.BytesIO()
    np.savez(buffer, **model_arrays(network, config, **kwargs))
    atomic_write(path, buffer.getvalue())


def read_arrays(path) -> dict:
    """All arrays of an NPZ file, loaded without pickle; ModelFileError naming the file otherwise."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{path}: expected an NPZ archive of arrays, got a single .npy array")
            out = {}
            for name in archive.files:
                try:
                    out[name] = archive[name]
                except ValueError:
                    raise ModelFileError(
                        f"{path}: array '{name}' holds Python objects; refusing to unpickle it") from None
            return out
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: expected an NPZ file, got a directory") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise ModelFileError(f"{path}: not a readable NPZ file ({e})") from None


def load_parameters(path, layers) -> dict:
    """W1..WL, b1..bL from an NPZ, checked against layer sizes n^[0..L]; names the first bad array."""
    arrays = read_arrays(path)
    out = {}
    for l in range(1, len(layers)):
        for name, shape in ((f"W{l}", (layers[l], layers[l - 1])), (f"b{l}", (layers[l], 1))):
            if name not in arrays:
                raise ModelFileError(f"{path}: array '{name}' is missing (expected W1..W{len(layers) - 1}, "
                                     f"b1..b{len(layers) - 1} for layers {list(layers)})")
            a = arrays[name]
            if a.shape != shape:
                raise ModelFileError(f"{path}: array '{name}': expected shape {shape}, got {a.shape}")
            if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
                raise ModelFileError(f"{path}: array '{name}': expected numbers, got dtype {a.dtype}")
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"{path}: array '{name}': contains NaN or infinite values")
            out[name] = a
    return out


def metrics_document(config: dict, history, final: dict, seconds: float) -> dict:
    """The metrics JSON object: config, history (one dict per logged epoch), final, seconds."""
    return {"config": config, "history": [h.to_dict() for h in history], "final": final, "seconds": seconds}


def write_metrics(path, document: dict) -> None:
    """Metrics as JSON (the whole document) or CSV (one row per logged epoch), by the suffix."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        rows = document["history"]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path, text.getvalue().encode())
    else:
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode())


def check_metrics_path(path) -> None:
    if Path(path).suffix.lower() not in (".json", ".csv"):
        raise UsageError(f"--metrics-out {path}: expected a .json or .csv file name")
    check_writable(path, "metrics")
