"""Memory a run needs, estimated before anything large is allocated, against what the machine, the memory
cgroup and the process limits allow; and the NPZ member headers, read before any member is decompressed."""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .optimizers import get_optimizer

PROC_CGROUP = "/proc/self/cgroup"
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_STATUS = "/proc/self/status"
UNLIMITED = 2**60  # cgroup v1 writes "no limit" as 2^63 - 1 rounded to a page
CGROUP_FILES = {"v2": ("memory.max", "memory.current", "inactive_file"),
                "v1": ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")}


def available_bytes() -> int | None:
    """The memory available to a new allocation, or None when unknown: the least of MemAvailable, what the
    memory cgroup (v2 or v1) leaves, and what the address-space and data limits (ulimit -v, -d) leave."""
    found = _available()
    return None if found is None else found[0]


def _available() -> tuple[int, str] | None:
    """The least available memory and where its limit comes from ('' for the machine's)."""
    limits = [(n, "") for n in (_machine_available(),) if n is not None]
    limits += [(n, f" (the memory cgroup's limit, {where})") for n, where in _cgroup_available()]
    limits += _rlimit_available()
    return min(limits, key=lambda limit: limit[0]) if limits else None


def _machine_available() -> int | None:
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


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):  # "max" (v2's no limit), a missing file, no cgroup file system
        return None


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_available() -> list[tuple[int, str]]:
    """What each memory cgroup of this process (its own and every ancestor, v2 and v1) leaves: the limit less
    the usage, page cache that can be dropped (inactive files) not counted as used."""
    try:
        lines = Path(PROC_CGROUP).read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        _, controllers, group = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            version, mounts = "v2", [Path(CGROUP_ROOT), Path(CGROUP_ROOT) / "unified"]
        elif "memory" in controllers.split(","):
            version, mounts = "v1", [Path(CGROUP_ROOT) / "memory"]
        else:
            continue
        limit_file, usage_file, cache = CGROUP_FILES[version]
        parts = [part for part in group.split("/") if part and part not in (".", "..")]
        for mount in mounts:
            for depth in range(len(parts), -1, -1):
                folder = mount.joinpath(*parts[:depth])
                limit = _read_int(folder / limit_file)
                if limit is None or limit >= UNLIMITED:
                    continue
                usage = (_read_int(folder / usage_file) or 0) - _stat_value(folder / "memory.stat", cache)
                out.append((max(limit - max(usage, 0), 0), str(folder / limit_file)))
    return out


def _rlimit_available() -> list[tuple[int, str]]:
    """What the soft address-space and data-segment limits leave, given this process's current sizes."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return []
    sizes = {}
    try:
        with open(PROC_STATUS) as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in ("VmSize", "VmData"):
                    sizes[name] = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    out = []
    for limit, size, label in (("RLIMIT_AS", "VmSize", "the address-space limit, ulimit -v"),
                               ("RLIMIT_DATA", "VmData", "the data-size limit, ulimit -d")):
        try:
            soft, _ = resource.getrlimit(getattr(resource, limit))
        except (AttributeError, ValueError, OSError):
            continue
        if soft != resource.RLIM_INFINITY:
            out.append((max(soft - sizes.get(size, 0), 0), f" ({label})"))
    return out


def data_bytes(m: int, n_x: int, n_y: int) -> int:
    """X (n_x, m) and Y (n_y, m) in float64, twice over (generation, then the split copies)."""
    return 2 * 8 * m * (n_x + n_y)


def training_bytes(layers, m: int, batch_size, dtype: str, optimizer: str) -> int:
    """Parameters, gradients and optimizer moments, plus one batch of Z, A and dZ for every layer."""
    item = np.dtype(dtype).itemsize
    parameters = sum(n * (n_prev + 1) for n_prev, n in zip(layers[:-1], layers[1:]))
    batch = m if batch_size == "full" else min(int(batch_size), m)
    activations = 3 * batch * sum(layers)
    return item * (parameters * (2 + len(get_optimizer(optimizer).moments)) + activations)


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


LAST_ESTIMATE: dict = {}  # the last estimate `check_fits` made, so an out-of-memory failure can quote it


def check_fits(needed: int, what: str, source: str = "") -> None:
    """ConfigError when `needed` bytes exceed the memory available now (refuse, rather than be killed)."""
    LAST_ESTIMATE.update(needed=needed, what=what, source=source)
    found = _available()
    if found is not None and needed > found[0]:
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{what} needs about {_gib(needed)} of memory, but only {_gib(found[0])} "
                          f"is available{found[1]}; use fewer samples or smaller layers")


def out_of_memory() -> ConfigError:
    """The error for a MemoryError that got past the estimates: the last estimate and what is available now."""
    found = _available()
    now = f"{_gib(found[0])} is available{found[1]}" if found is not None else "the available memory is unknown"
    if not LAST_ESTIMATE:
        return ConfigError(f"out of memory ({now}); use less data or smaller layers")
    prefix = f"{LAST_ESTIMATE['source']}: " if LAST_ESTIMATE["source"] else ""
    return ConfigError(f"{prefix}out of memory: {LAST_ESTIMATE['what']} needs about {_gib(LAST_ESTIMATE['needed'])} "
                       f"of memory by the estimate, and {now}; use fewer samples or smaller layers")


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
            info = archive.zip.getinfo(name)  # numpy reads a member without the suffix too
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
