"""A data file's path, checked before any reader opens it: every way the OS can refuse it, as one message."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import ConfigError, shorten
from .tables import suffixes_text


def check_data_path(path: str, source: str | None = "<config>", key: str = "data.source") -> None:
    """data.source (or `key`) names a file that can be read; else one ConfigError naming the key and the config.

    Every way the OS can refuse a path (too long, a file where a folder should be, a folder that may
    not be entered) is turned into a message here, where the path is resolved, before any reader opens it.
    """
    where, shown = (f"{source}: {key}: " if source else f"{key}: "), shorten(path, 200)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{where}no such file '{shown}' (relative paths are relative to the config file)") from None
    except NotADirectoryError:
        parent = next((p for p in Path(path).parents if p.is_file()), path)
        raise ConfigError(f"{where}expected a folder at '{shorten(parent, 200)}', got a file (in '{shown}')") from None
    except PermissionError:
        raise ConfigError(f"{where}permission denied: a folder on the way to '{shown}' cannot be entered") from None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            longest = max((len(os.fsencode(part)) for part in Path(path).parts), default=0)
            what = (f"names of at most 255 bytes, got one of {longest:,}" if longest > 255 else
                    f"a path of at most 4,096 bytes, got {len(os.fsencode(path)):,}")
            raise ConfigError(f"{where}expected {what} ('{shorten(path, 60)}')") from None
        raise ConfigError(f"{where}cannot read '{shown}' ({e.strerror or e})") from None
    if stat.S_ISDIR(status.st_mode):
        raise ConfigError(f"{where}expected a {suffixes_text()} file, got a directory '{shown}'")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{where}permission denied: '{shown}' cannot be read")
