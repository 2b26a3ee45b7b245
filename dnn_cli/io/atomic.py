"""The one way dnn writes a file: a locked temporary in the target's folder, renamed over the target.

An interrupted write never leaves a broken file: the target is either the old file or the new one.
Outputs are checked before any work (`check_writable`) and again when written: an existing target
must be a regular file or a symlink to one (a symlink is replaced by the new file, its target is left
alone); devices, FIFOs and sockets are refused.
"""

from __future__ import annotations

import glob
import os
import stat
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so leftovers of killed writers are not cleaned
    fcntl = None

from ..errors import UsageError

ATTEMPTS = 100  # fresh temporaries to try when other writers' sweeps keep taking ours (never seen past 2)


def atomic_write(path, data: bytes, what: str = "file") -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    The temporary file is the hidden `.NAME.XXXXXXXX.tmp` next to NAME, locked while it is written. A
    process killed mid-write (SIGKILL, power loss) leaves it behind and NAME untouched; the next write
    to NAME removes such leftovers (those whose lock nobody holds). Several processes may write NAME at
    once: each write succeeds and NAME ends as one whole file. An existing NAME keeps its permission
    bits; a new one gets 0666 & ~umask, as open() would give it.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = _mode_for(path)
    for _ in range(ATTEMPTS):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            if not _lock_own(fd, tmp):
                continue  # another writer's sweep removed it between mkstemp and flock: take a new one
            _remove_stale_temporaries(folder, path.name, keep=Path(tmp).name)
            os.fchmod(fd, mode)  # mkstemp makes the file private (0600)
            # Kept open (so locked) until renamed: closing first would let a sweep take the finished file.
            with os.fdopen(fd, "wb", closefd=False) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            _check_target(path, what)
            os.replace(tmp, path)
            return
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        finally:
            os.close(fd)
    raise OSError(f"{path}: could not keep a temporary file next to it ({ATTEMPTS} tries)")


def _lock_own(fd: int, tmp: str) -> bool:
    """Lock our new temporary; False when a sweep unlinked it before the lock was ours.

    A sweeping writer deletes only temporaries whose lock it can take; between mkstemp and flock ours is
    unlocked, so after locking we check that the name still leads to our file.
    """
    if fcntl is None:
        return True
    _lock(fd, blocking=True)
    try:
        named = os.stat(tmp)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)


def _lock(fd: int, *, blocking: bool) -> bool:
    """An exclusive advisory lock on fd (released when the process ends, however it ends); False if held."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


def _remove_stale_temporaries(folder: Path, name: str, *, keep: str) -> None:
    """Delete `.NAME.*.tmp` files of writers that died mid-write (no process holds their lock).

    Other writers come and go meanwhile, so a candidate may vanish at any step; only a regular file whose
    lock we hold, still under its name, is removed.
    """
    if fcntl is None:
        return
    for candidate in folder.glob(f".{glob.escape(name)}.*.tmp"):
        if candidate.name == keep:
            continue
        try:
            fd = os.open(candidate, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            opened = os.fstat(fd)
            if stat.S_ISREG(opened.st_mode) and _lock(fd, blocking=False):
                named = os.stat(candidate, follow_symlinks=False)
                if (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino):
                    os.unlink(candidate)
        except OSError:
            pass
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The permission bits of the existing file (through a symlink, its target's), else 0666 & ~umask."""
    try:
        st = os.stat(path)
    except OSError:
        return 0o666 & ~_umask()
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else 0o666 & ~_umask()


def _check_target(path: Path, what: str) -> None:
    """UsageError when `path` exists and is neither a regular file nor a symlink to one (a dangling symlink
    is fine: it is replaced)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path}: cannot write the {what}: it is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: cannot write the {what}: it exists and is not a regular file "
                         f"(it is a {_kind(st.st_mode)}); expected a new file or a regular file to replace")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def check_writable(path, what: str) -> None:
    """Fail before any work when `path` cannot be written (missing folder, no permission, not a regular file)."""
    folder = Path(path).parent if str(Path(path).parent) else Path(".")
    if not folder.is_dir():
        blocking = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), None)
        if blocking is not None and not blocking.is_dir():
            raise UsageError(f"{path}: cannot write the {what}: '{blocking}' is not a folder")
        raise UsageError(f"{path}: cannot write the {what}: folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{path}: cannot write the {what}: folder '{folder}' is not writable")
    _check_target(Path(path), what)
