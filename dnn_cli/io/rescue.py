"""Where a result goes when its file cannot be written, so that a finished run is never thrown away.

`write_or_rescue(path, write)` tries the requested path; when the operating system refuses (disk
full, the folder removed or made read-only, a name someone else owns), it writes the same result
to a new file next to it, and failing that to a new file in the system's temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Rescued:
    """A write that failed: the error, and the file the result went to instead (None: nowhere)."""

    error: OSError
    path: Path | None
    rescue_error: OSError | None = None


def write_or_rescue(path, write, *, known_error: OSError | None = None) -> Rescued | None:
    """Call `write(path)`; on OSError write to a new NAME.rescued-XXXX.SUFFIX next to it or in the temp folder.

    `write(target)` writes the whole result to `target` (replacing it). Returns None when `path` was
    written, else a Rescued. A new file is made for the rescue (never an existing one replaced).
    `known_error`: `path` just failed with it, so go straight to the rescue.
    """
    path = Path(path)
    error = known_error
    if error is None:
        try:
            write(path)
            return None
        except OSError as e:
            error = e
    rescue_error = None
    for folder in (path.parent if str(path.parent) else Path("."), Path(tempfile.gettempdir())):
        try:
            fd, name = tempfile.mkstemp(prefix=f"{path.stem[:100]}.rescued-", suffix=path.suffix, dir=folder)
        except OSError as e:
            rescue_error = e
            continue
        os.close(fd)
        try:
            write(Path(name))
            return Rescued(error, Path(name))
        except BaseException as e:  # an OSError, or a stop request: either way no empty file is left behind
            with contextlib.suppress(OSError):
                os.unlink(name)
            if not isinstance(e, OSError):
                raise
            rescue_error = e
    return Rescued(error, None, rescue_error)


def reason(error: OSError) -> str:
    """An OSError in a few words: 'No space left on device', not the full repr."""
    return error.strerror or str(error) or type(error).__name__
