"""Memory a run needs, estimated before anything large is allocated, against what the machine, the memory
cgroup and the process limits allow (read from the kernel's /proc and /sys status files)."""

from __future__ import annotations

import os
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


def gib(n: int) -> str:
    """n bytes in MiB or GiB, for a message."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


LAST_ESTIMATE: dict = {}  # the last estimate `check_fits` made, so an out-of-memory failure can quote it


def check_fits(needed: int, what: str, source: str = "") -> None:
    """ConfigError when `needed` bytes exceed the memory available now (refuse, rather than be killed)."""
    LAST_ESTIMATE.update(needed=needed, what=what, source=source)
    found = _available()
    if found is not None and needed > found[0]:
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{what} needs about {gib(needed)} of memory, but only {gib(found[0])} "
                          f"is available{found[1]}; use fewer samples or smaller layers")


def out_of_memory() -> ConfigError:
    """The error for a MemoryError that got past the estimates: the last estimate and what is available now."""
    found = _available()
    now = f"{gib(found[0])} is available{found[1]}" if found is not None else "the available memory is unknown"
    if not LAST_ESTIMATE:
        return ConfigError(f"out of memory ({now}); use less data or smaller layers")
    prefix = f"{LAST_ESTIMATE['source']}: " if LAST_ESTIMATE["source"] else ""
    return ConfigError(f"{prefix}out of memory: {LAST_ESTIMATE['what']} needs about {gib(LAST_ESTIMATE['needed'])} "
                       f"of memory by the estimate, and {now}; use fewer samples or smaller layers")
