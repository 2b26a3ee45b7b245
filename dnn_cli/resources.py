"""Memory a run needs, estimated before anything large is allocated, against what the machine has."""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

MOMENTS = {"gd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}


def available_bytes() -> int | None:
    """The memory available to a new allocation (MemAvailable on Linux), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def data_bytes(m: int, n_x: int, n_y: int) -> int:
    """X (n_x, m) and Y (n_y, m) in float64, twice over (generation, then the split copies)."""
    return 2 * 8 * m * (n_x + n_y)


def training_bytes(layers, m: int, batch_size, dtype: str, optimizer: str) -> int:
    """Parameters, gradients and optimizer moments, plus one batch of Z, A and dZ for every layer."""
    item = np.dtype(dtype).itemsize
    parameters = sum(n * (n_prev + 1) for n_prev, n in zip(layers[:-1], layers[1:]))
    batch = m if batch_size == "full" else min(int(batch_size), m)
    activations = 3 * batch * sum(layers)
    return item * (parameters * (2 + MOMENTS.get(optimizer, 2)) + activations)


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def check_fits(needed: int, what: str, source: str = "") -> None:
    """ConfigError when `needed` bytes exceed the memory available now (refuse, rather than be killed)."""
    available = available_bytes()
    if available is not None and needed > available:
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{what} needs about {_gib(needed)} of memory, but only {_gib(available)} "
                          "is available; use fewer samples or smaller layers")


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


def npz_member_header(archive, name: str) -> MemberHeader | None:
    """The declared shape, dtype and size of array `name` of an open NpzFile (None when there is no such
    member). Only the first bytes of the member are decompressed, so a hostile size is never inflated."""
    try:
        info = archive.zip.getinfo(f"{name}.npy")
    except KeyError:
        try:
            return MemberHeader(None, None, archive.zip.getinfo(name).file_size)
        except KeyError:
            return None
    try:
        with archive.zip.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in _READ_HEADER:
                return MemberHeader(None, None, info.file_size)
            shape, _, dtype = _READ_HEADER[version](f, max_header_size=10_000)
    except (ValueError, OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
            SyntaxError, TypeError):
        return MemberHeader(None, None, info.file_size)  # an unreadable header is left to np.load to report
    return MemberHeader(tuple(shape), dtype, info.file_size)


def npz_member_problem(archive, name: str) -> str | None:
    """Why array `name` of an open NpzFile must not be loaded (a size its data cannot back, or more than the
    available memory), or None. Reads only the .npy header, so a hostile shape is never allocated."""
    header = npz_member_header(archive, name)
    if header is None or header.shape is None:
        return None
    available = available_bytes()
    if available is not None and header.size > available:
        return f"holds {_gib(header.size)} uncompressed, but only {_gib(available)} of memory is available"
    if header.dtype.hasobject:
        return None
    declared = int(np.prod(header.shape, dtype=object)) * header.dtype.itemsize
    if declared > header.size:
        return (f"its header declares shape {header.shape} of {header.dtype} ({declared:,} bytes), but the archive "
                f"holds only {header.size:,} bytes")
    return None
