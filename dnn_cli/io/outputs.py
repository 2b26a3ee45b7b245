"""The output files of a run, checked before any work: a model name ends in .npz, no two outputs share a file.

Two spellings of one file (`r.png`, `./r.png`, a symlink to it, a hard link) are the same file:
paths are compared by device and inode when the file exists, else by their resolved form.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError, shorten

MODEL_SUFFIX = ".npz"


def check_model_path(path) -> None:
    """--save must name an .npz file (the model format); anything else would be a misnamed model."""
    suffix = Path(path).suffix
    if suffix.lower() != MODEL_SUFFIX:
        found = f"'{shorten(suffix)}'" if suffix else "no suffix"
        raise UsageError(f"--save {shorten(path, 200)}: expected a model file name ending in {MODEL_SUFFIX}, "
                         f"got {found}")


def file_key(path) -> tuple:
    """What identifies the file `path` names: (device, inode) when it exists, else its resolved path."""
    try:
        st = os.stat(path)
        return "inode", st.st_dev, st.st_ino
    except (OSError, ValueError):
        return "path", os.path.realpath(path)


def same_file(a, b) -> bool:
    return file_key(a) == file_key(b)


def check_distinct_files(config_path, config, *, save=None, init_from=None, resume=None, metrics_out=None,
                         plot=None) -> None:
    """Refuse outputs that name the same file, or a file the run reads (config, data, --init-from, --resume).

    --save may name the --resume or --init-from file: the run then continues that model in place.
    """
    outputs = [(option, path) for option, path in (("--save", save), ("--metrics-out", metrics_out),
                                                   ("--plot", plot)) if path is not None]
    seen = {}
    for option, path in outputs:
        key = file_key(path)
        if key in seen:
            first, first_path = seen[key]
            raise UsageError(f"{option} {shorten(path, 200)} and {first} {shorten(first_path, 200)} are the same "
                             "file: give each output its own path")
        seen[key] = (option, path)
    inputs = [("the config", config_path), ("--resume", resume), ("--init-from", init_from)]
    data = config.data
    if data.is_file():
        inputs.append(("data.source", data.source))
    inputs += [(f"data.{key}", getattr(data, key)) for key in ("dev_source", "test_source")]
    for name, path in inputs:
        if path is None:
            continue
        hit = seen.get(file_key(path))
        if hit is not None and not (hit[0] == "--save" and name in ("--resume", "--init-from")):
            raise UsageError(f"{hit[0]} {shorten(hit[1], 200)} would overwrite {name} {shorten(path, 200)}: "
                             "write the output to another path")
