"""NPZ archives, opened safely: nothing is unpickled, and every member's header is checked before its body.

An NPZ is a zip of .npy members, and a 4 MB zip can hold a 4 GiB array of zeros. So a member's declared
shape and dtype (its .npy header) and its uncompressed size (the zip directory) are read first, and a member
whose data cannot back its shape, or that would not fit in memory, is refused before it is decompressed.
Data files, model files and parameter files all open their archives here.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..resources import available_bytes, gib

# What a corrupt or hostile member can raise while it is read; NotImplementedError: an unknown zip version
# or compression; RuntimeError: "encrypted".
CORRUPT = (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError, RuntimeError)


@dataclass(frozen=True)
class MemberHeader:
    """What an NPZ member declares, read without decompressing its body.

    shape, dtype: from its .npy header (None when that header is unreadable or the member is not a .npy);
    size: its uncompressed bytes, as the zip directory states them.
    """

    shape: tuple | None
    dtype: np.dtype | None
    size: int


_READ_HEADER = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


@contextmanager
def open_npz(path, *, expected: str, error: type = DataError) -> Iterator[np.lib.npyio.NpzFile]:
    """The open NpzFile of `path`, closed after use; `error` naming the file and `expected` when it is not one."""
    try:
        # Opened here, not by np.load: numpy leaves its own handle open when it refuses a pickle.
        f = open(path, "rb")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: expected {expected}, got a directory") from None
    except OSError as e:
        raise error(f"{path}: cannot read file ({e.strerror or e})") from None
    with f:
        try:
            archive = np.load(f, allow_pickle=False)
        except EOFError:
            raise error(f"{path}: expected {expected}, got an empty file (not a readable NPZ file)") from None
        except (ValueError, *CORRUPT) as e:
            if "allow_pickle" in str(e):
                # numpy takes any file that is neither a zip nor a .npy for a pickle.
                raise error(f"{path}: expected {expected}, got a file that is not a readable NPZ file (not a zip "
                            "archive of arrays; refusing to unpickle it)") from None
            raise error(f"{path}: expected {expected}, got a file that is not a readable NPZ file "
                        f"({e or type(e).__name__})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise error(f"{path}: expected {expected}, got a single .npy array")
        with archive:
            yield archive


def member_header(archive, name: str) -> MemberHeader | None:
    """The declared shape, dtype and size of array `name` of an open NpzFile (None when there is no such
    member). Only the first bytes of the member are decompressed, so a hostile size is never inflated."""
    try:
        info = archive.zip.getinfo(f"{name}.npy")
    except KeyError:
        try:
            info = archive.zip.getinfo(name)  # numpy reads a member without the suffix too
        except KeyError:
            return None
    try:
        with archive.zip.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in _READ_HEADER:
                return MemberHeader(None, None, info.file_size)
            shape, _, dtype = _READ_HEADER[version](f, max_header_size=10_000)
    except (ValueError, SyntaxError, TypeError, *CORRUPT):
        return MemberHeader(None, None, info.file_size)  # an unreadable header is left to np.load to report
    return MemberHeader(tuple(shape), dtype, info.file_size)


def member_headers(archive) -> dict[str, MemberHeader]:
    """Every member of an open NpzFile with its declared shape, dtype and size (nothing decompressed)."""
    return {name: member_header(archive, name) for name in archive.files}


def member_problem(archive, name: str) -> str | None:
    """Why array `name` of an open NpzFile must not be loaded (a size its data cannot back, or more than the
    available memory), or None. Reads only the .npy header, so a hostile shape is never allocated."""
    header = member_header(archive, name)
    if header is None or header.shape is None:
        return None
    available = available_bytes()
    if available is not None and header.size > available:
        return f"holds {gib(header.size)} uncompressed, but only {gib(available)} of memory is available"
    if header.dtype.hasobject:
        return None
    declared = int(np.prod(header.shape, dtype=object)) * header.dtype.itemsize
    if declared > header.size:
        return (f"its header declares shape {header.shape} of {header.dtype} ({declared:,} bytes), but the archive "
                f"holds only {header.size:,} bytes")
    return None


def read_member(path, archive, name: str, *, error: type = DataError) -> np.ndarray:
    """Array `name` of an open NpzFile, checked before it is read; `error` naming the file and the array otherwise."""
    problem = member_problem(archive, name)
    if problem:
        raise error(f"{path}: array '{name}': {problem}")
    try:
        a = archive[name]
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise error(f"{path}: array '{name}' holds Python objects (an object array); refusing to unpickle "
                        "it") from None
        raise error(f"{path}: array '{name}' is corrupt ({e})") from None
    except MemoryError:
        raise error(f"{path}: array '{name}': declares more data than fits in memory") from None
    except CORRUPT as e:
        raise error(f"{path}: array '{name}' is corrupt ({e or type(e).__name__})") from None
    if not isinstance(a, np.ndarray):  # numpy hands back the raw bytes of a member that is not a .npy
        raise error(f"{path}: array '{name}' is not a .npy array (a raw {len(a):,}-byte member)")
    return a
