"""Outputs are only ever regular files, written whole by the one atomic writer: devices and FIFOs are refused,
symlinks are replaced (never written through), permissions are kept, concurrent writers all succeed; model
files are checked member by member before anything is decompressed; memory limits are seen."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from dnn_cli import atomic
from dnn_cli.atomic import atomic_write
from dnn_cli.errors import UsageError

from .conftest import assert_input_error
from .test_files_hardening import COMMANDS, _commands, no_training  # noqa: F401 (a fixture)

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _target(args, tmp_path):
    """The output path among a command's arguments (the one inside `tmp_path`, not the model it reads)."""
    return next(a for a in args if hasattr(a, "parent") and a.parent == tmp_path and a.name != "model.npz")


# --- item 7: outputs that are not regular files ------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_that_is_a_fifo_is_refused_before_any_work(cli, tmp_path, no_training, command):  # noqa: F811
    args = list(_commands(tmp_path, tmp_path)[command])
    target = _target(args, tmp_path)
    os.mkfifo(target)
    assert_input_error(cli(*args), str(target), "not a regular file", "FIFO")
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_linked_to_a_device_is_refused_before_any_work(cli, tmp_path, no_training, command):  # noqa: F811
    args = list(_commands(tmp_path, tmp_path)[command])
    target = _target(args, tmp_path)
    target.symlink_to("/dev/null")
    assert_input_error(cli(*args), str(target), "not a regular file", "character device")
    assert os.readlink(target) == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_the_writer_itself_refuses_a_fifo_that_appeared_after_the_check(tmp_path):
    fifo = tmp_path / "m.npz"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="m.npz: cannot write the model: it exists and is not a regular file "
                                         r"\(it is a FIFO\)"):
        atomic_write(fifo, b"data", "model")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_under_a_file_says_it_is_not_a_folder(cli, tmp_path, no_training, command):  # noqa: F811
    parent = tmp_path / "notes.txt"
    parent.write_text("not a folder")
    result = cli(*_commands(tmp_path, parent / "sub")[command])
    assert_input_error(result, f"'{parent}' is not a folder")
    assert "does not exist" not in result.stderr


def test_a_symlinked_output_is_replaced_and_its_target_spared(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(precious)
    atomic_write(link, b"a,b\n")
    assert not link.is_symlink() and link.read_bytes() == b"a,b\n"
    assert precious.read_text() == "keep me"


def _picture(path):
    from dnn_cli import plotting

    plotting.training_figure(path, [0.7, 0.5, 0.4])


def test_plot_through_a_symlink_replaces_the_link_and_spares_its_target(tmp_path):
    pytest.importorskip("matplotlib")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "link.png"
    link.symlink_to(precious)
    _picture(link)
    assert precious.read_text() == "keep me"
    assert not link.is_symlink() and link.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_on_a_full_disk_leaves_the_old_picture_whole(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cost.png"
    _picture(path)
    old = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        _picture(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["cost.png"]


def test_plot_svg_and_pdf_are_rendered_in_their_format(tmp_path):
    pytest.importorskip("matplotlib")
    _picture(tmp_path / "c.svg")
    _picture(tmp_path / "c.pdf")
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:1000]
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")


# --- item 9: permissions --------------------------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_rewriting_keeps_the_permission_bits(tmp_path, mode):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    path.chmod(mode)
    atomic_write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == mode and path.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_rewriting_through_a_symlink_keeps_its_targets_bits(tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "m.npz"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert stat.S_IMODE(link.stat().st_mode) == 0o600 and target.read_bytes() == b"old"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_0666_less_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "m.npz", b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.npz").stat().st_mode) == 0o640


# --- item 8: concurrent writers ------------------------------------------------------------------------------

@pytest.mark.skipif(atomic.fcntl is None, reason="no advisory locks, no sweep")
def test_a_sweep_between_mkstemp_and_lock_does_not_fail_the_write(tmp_path, monkeypatch):
    """Another writer's sweep removes our temporary before we lock it (its lock is free): we take a new one."""
    real = atomic.tempfile.mkstemp
    swept = []

    def mkstemp_then_swept(**kwargs):
        fd, tmp = real(**kwargs)
        if not swept:
            atomic._remove_stale_temporaries(tmp_path, "m.npz", keep=".m.npz.other.tmp")
            swept.append(not os.path.exists(tmp))
        return fd, tmp

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp_then_swept)
    atomic_write(tmp_path / "m.npz", b"data")
    assert swept == [True]
    assert (tmp_path / "m.npz").read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


WRITER = textwrap.dedent("""
    import hashlib, sys
    from dnn_cli.atomic import atomic_write

    path, who, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(n):
        body = bytes([who]) * (20_000 + 997 * (i % 50))
        atomic_write(path, b"%d %d " % (who, i) + hashlib.sha256(body).hexdigest().encode() + b" " + body)
    print("done", flush=True)
""")


def _whole(data: bytes) -> bool:
    import hashlib

    who, i, digest, body = data.split(b" ", 3)
    return hashlib.sha256(body).hexdigest().encode() == digest and body == bytes([int(who)]) * len(body)


@pytest.mark.slow
@pytest.mark.skipif(atomic.fcntl is None, reason="no advisory locks, no sweep")
def test_concurrent_writers_to_one_path_all_succeed(tmp_path):
    path = tmp_path / "m.npz"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(who), "200"], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for who in range(1, 5)]
    results = [w.communicate(timeout=300) for w in writers]
    for w, (stdout, stderr) in zip(writers, results):
        assert w.returncode == 0 and stdout == b"done\n", stderr.decode()[-2000:]
    assert _whole(path.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
