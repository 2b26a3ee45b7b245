"""Outputs are only ever regular files, written whole by the one atomic writer: devices and FIFOs are refused,
symlinks are replaced (never written through), permissions are kept, concurrent writers all succeed; model
files are checked member by member before anything is decompressed; memory limits are seen."""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest

from dnn_cli.errors import UsageError
from dnn_cli.io import atomic
from dnn_cli.io.atomic import atomic_write

from .conftest import ADAM_CHECKPOINT, CONFIGS, assert_input_error, train_and_save
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
    from dnn_cli.io.atomic import atomic_write

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


@pytest.mark.slow
@pytest.mark.skipif(atomic.fcntl is None, reason="no advisory locks, no sweep")
def test_two_trainings_checkpointing_to_one_path_both_succeed(tmp_path):
    from dnn_cli.io.modelfile import load_model

    path = tmp_path / "same.npz"
    command = [sys.executable, "-m", "dnn_cli", "train", str(CONFIGS / "flower.yaml"), "--epochs", "300",
               "--checkpoint-every", "1", "--save", str(path), "--quiet"]
    runs = [subprocess.Popen(command, env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0 and b"Traceback" not in stderr, stderr.decode()[-2000:]
    assert load_model(path).epoch == 300
    assert [p.name for p in tmp_path.iterdir()] == ["same.npz"]


# --- item 10: zip bombs in model files -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A flower checkpoint (Adam: it holds optimizer moments), its members' .npy bytes and a data file."""
    folder = tmp_path_factory.mktemp("checkpoint")
    path = folder / "flower.npz"
    train_and_save(path, CONFIGS / "flower.yaml", ADAM_CHECKPOINT, epochs=10)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    data = folder / "points.csv"
    data.write_text("x1,x2,label\n0.5,1.0,1\n-2,0.25,0\n", encoding="utf-8")
    return path, members, data


def _npy_header(descr: str, shape: tuple) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue()


def _zero_bomb(descr: str, shape: tuple) -> tuple[bytes, int]:
    """The raw deflate stream of a .npy of zeros and its uncompressed size, without compressing the zeros: after a
    full flush the compressor starts afresh, so every 1 MiB block of zeros deflates to the same bytes."""
    header = _npy_header(descr, shape)
    body = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    block = 1 << 20
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(header) + co.flush(zlib.Z_FULL_FLUSH)
    chunk = co.compress(bytes(block)) + co.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(body, block)
    tail = co.compress(bytes(rest)) + co.flush()
    return head + chunk * full + tail, len(header) + body


def _write_zip(path, members: dict) -> None:
    """A zip of deflated members; a member is its bytes, or (raw deflate stream, uncompressed size) for a bomb,
    whose CRC is left 0: only its header is ever read."""
    out, directory = bytearray(), bytearray()
    for name, member in members.items():
        if isinstance(member, bytes):
            raw, size, crc = _deflate(member), len(member), zlib.crc32(member)
        else:
            (raw, size), crc = member, 0
        encoded, offset = name.encode(), len(out)
        fields = (20, 0, 8, 0, 0x21, crc, len(raw), size, len(encoded), 0)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + raw
        directory += struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
        directory += struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(out), 0)
    path.write_bytes(bytes(out + directory + end))


def _deflate(data: bytes) -> bytes:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


FOUR_GIB = (2**29 - 32,)  # float64 zeros: 4 GiB less 256 bytes (the largest a zip without zip64 declares)


@pytest.fixture
def inflated(monkeypatch):
    """Counts the bytes decompressed from zip members while a test runs."""
    total = [0]
    read = zipfile.ZipExtFile.read

    def counting(self, n=-1):
        data = read(self, n)
        total[0] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    return total


def test_the_built_bomb_is_a_4_gib_zero_array_in_a_4_mb_file(checkpoint, tmp_path):
    path = tmp_path / "bomb.npz"
    _write_zip(path, {"extra.npy": _zero_bomb("<f8", FOUR_GIB)})
    assert path.stat().st_size < 5 * 2**20
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("extra.npy").file_size == 2**32 - 128
        with archive.open("extra.npy") as f:
            assert np.lib.format.read_magic(f) == (1, 0)
            assert np.lib.format.read_array_header_1_0(f)[0] == FOUR_GIB
            assert f.read(3 * 2**20) == bytes(3 * 2**20)


@pytest.mark.parametrize("command", ["predict", "evaluate", "train --init-from"])
def test_a_zip_bomb_under_an_extra_name_is_refused_before_decompressing(cli, checkpoint, tmp_path, inflated,
                                                                        command):
    good, members, data = checkpoint
    path = tmp_path / "bomb.npz"
    _write_zip(path, {**members, "extra.npy": _zero_bomb("<f8", FOUR_GIB)})
    args = {"predict": ("predict", path, data), "evaluate": ("evaluate", path, data),
            "train --init-from": ("train", CONFIGS / "flower.yaml", "--init-from", path, "--epochs", "1")}[command]
    result = cli(*args)
    assert_input_error(result, f"{path}: array 'extra' is not part of a model")
    assert inflated[0] < 2**20


BOMBS = {
    # a model's own member, declared with a shape it cannot have
    "costs": ("<f8", FOUR_GIB, "array 'costs': expected shape (10,), got (536870880,)"),
    "W1": ("<f8", FOUR_GIB, "array 'W1': expected shape (4, 2), got (536870880,)"),
    # a JSON text member declared as a 2 GiB string (numpy's largest string dtype)
    "history": ("<U536870880", (), "array 'history': declares 2,147,483,648 bytes uncompressed, more than it can "
                                   "hold"),
}


@pytest.mark.parametrize("name", BOMBS)
def test_a_zip_bomb_under_a_models_own_name_is_refused_by_its_declared_shape_or_size(checkpoint, tmp_path, inflated,
                                                                                     name):
    from dnn_cli.errors import ModelFileError
    from dnn_cli.io.modelfile import load_model

    good, members, data = checkpoint
    descr, shape, message = BOMBS[name]
    path = tmp_path / "bomb.npz"
    _write_zip(path, {**members, f"{name}.npy": _zero_bomb(descr, shape)})
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    assert str(error.value).startswith(f"{path}: {message}")
    assert inflated[0] < 2**20


def test_init_from_refuses_a_bomb_in_w1_by_its_declared_shape(checkpoint, tmp_path, inflated):
    from dnn_cli.errors import ModelFileError
    from dnn_cli.io.modelfile import load_parameters

    good, members, data = checkpoint
    path = tmp_path / "bomb.npz"
    _write_zip(path, {**members, "W1.npy": _zero_bomb("<f8", FOUR_GIB)})
    with pytest.raises(ModelFileError, match=r"array 'W1': expected shape \(4, 2\), got \(536870880,\)"):
        load_parameters(path, [2, 4, 1])
    assert inflated[0] < 2**20


def test_init_from_reads_only_the_parameters_of_a_checkpoint(checkpoint, inflated):
    from dnn_cli.io.modelfile import load_parameters

    good, members, data = checkpoint
    parameters = load_parameters(good, [2, 4, 1])
    assert sorted(parameters) == ["W1", "W2", "b1", "b2"]
    assert inflated[0] < sum(len(members[f"{name}.npy"]) for name in parameters) + 4 * 4096


@pytest.mark.parametrize("extra", ["notes.npy", "readme.txt"])
def test_init_from_refuses_an_array_no_model_has(cli, checkpoint, tmp_path, extra):
    good, members, data = checkpoint
    path = tmp_path / "exported.npz"
    _write_zip(path, {**members, extra: _npy_header("<f8", (1,)) + bytes(8)})
    name = extra.removesuffix(".npy")
    result = cli("train", CONFIGS / "flower.yaml", "--init-from", path, "--epochs", "1")
    assert_input_error(result, f"{path}: array '{name}' is not part of a model (expected W1..W2, b1..b2")


def test_init_from_a_checkpoint_still_trains(cli, checkpoint):
    good, members, data = checkpoint
    result = cli("train", CONFIGS / "flower.yaml", "--init-from", good, "--epochs", "1", "--quiet")
    assert result.exit_code == 0, result.output


# --- item 12: memory limits below MemAvailable -----------------------------------------------------------------

BIG = ("train", CONFIGS / "flower.yaml", "--set", "data.n_samples=60000000", "--epochs", "1", "--quiet")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="Linux resource limits")
@pytest.mark.parametrize("limit, says", [("RLIMIT_AS", "the address-space limit, ulimit -v"),
                                         ("RLIMIT_DATA", "the data-size limit, ulimit -d")])
def test_a_process_memory_limit_is_seen(tmp_path, limit, says):
    import resource

    def limited():
        resource.setrlimit(getattr(resource, limit), (2 * 2**30, resource.RLIM_INFINITY))

    result = subprocess.run([sys.executable, "-m", "dnn_cli", *map(str, BIG)], preexec_fn=limited, env=ENV,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("dnn: error: ") and result.stderr.count("\n") == 1, result.stderr[-2000:]
    assert "n_samples = 60,000,000 needs about 2.7 GiB of memory, but only" in result.stderr
    assert f"is available ({says}); use fewer samples" in result.stderr


def _cgroup(tmp_path, monkeypatch, line: str, files: dict):
    from dnn_cli import resources

    (tmp_path / "cgroup").write_text(line + "\n")
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text)
    monkeypatch.setattr(resources, "PROC_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(resources, "CGROUP_ROOT", str(tmp_path / "fs"))
    monkeypatch.setattr(resources, "_machine_available", lambda: 64 * 2**30)
    monkeypatch.setattr(resources, "_rlimit_available", lambda: [])
    return resources


GIB = 2**30
CGROUPS = {
    "v2": ("0::/user.slice/run", {"user.slice/run/memory.max": f"{2 * GIB}\n",
                                  "user.slice/run/memory.current": f"{GIB}\n",
                                  "user.slice/run/memory.stat": f"anon 1\ninactive_file {GIB // 4}\n"},
           2 * GIB - (GIB - GIB // 4)),
    "v2, a parent's tighter limit": ("0::/user.slice/run", {"user.slice/run/memory.max": "max\n",
                                                            "user.slice/memory.max": f"{GIB}\n",
                                                            "user.slice/memory.current": f"{GIB // 2}\n"},
                                     GIB // 2),
    "v2, no limit": ("0::/", {"memory.max": "max\n", "memory.current": f"{GIB}\n"}, 64 * GIB),
    "v1": ("4:memory:/docker/abc", {"memory/docker/abc/memory.limit_in_bytes": f"{3 * GIB}\n",
                                    "memory/docker/abc/memory.usage_in_bytes": f"{2 * GIB}\n",
                                    "memory/docker/abc/memory.stat": f"total_inactive_file {GIB // 2}\n"},
           3 * GIB - (2 * GIB - GIB // 2)),
    "v1, no limit": ("4:memory:/", {"memory/memory.limit_in_bytes": "9223372036854771712\n",
                                    "memory/memory.usage_in_bytes": f"{GIB}\n"}, 64 * GIB),
}


@pytest.mark.parametrize("case", CGROUPS)
def test_the_memory_cgroup_limit_is_seen(tmp_path, monkeypatch, case):
    line, files, expected = CGROUPS[case]
    resources = _cgroup(tmp_path, monkeypatch, line, files)
    assert resources.available_bytes() == expected


def test_a_run_over_the_cgroup_limit_is_refused_before_it_starts(cli, tmp_path, monkeypatch):
    line, files, _ = CGROUPS["v2"]
    _cgroup(tmp_path, monkeypatch, line, files)
    assert_input_error(cli(*BIG), "needs about 2.7 GiB of memory, but only 1.2 GiB is available (the memory "
                                  "cgroup's limit,", "memory.max); use fewer samples")


def test_a_memory_error_becomes_one_line_with_the_estimate(cli, monkeypatch):
    import dnn_cli.training_run as train

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 916. MiB for an array with shape (2, 60000000)")

    monkeypatch.setattr(train, "fit", out_of_memory)
    result = cli("train", CONFIGS / "flower.yaml", "--epochs", "1")
    assert_input_error(result, "out of memory: training layers [2, 4, 1] on 400 samples needs about",
                       "of memory by the estimate, and", "is available")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["config", "classes"])
def test_a_raw_member_under_a_models_name_is_refused(cli, checkpoint, tmp_path, name):
    """A zip member without the .npy suffix and magic: numpy hands back its bytes, which are no array."""
    good, members, data = checkpoint
    path = tmp_path / "raw.npz"
    _write_zip(path, {**{k: v for k, v in members.items() if k != f"{name}.npy"}, name: b"hello"})
    assert_input_error(cli("predict", path, data), f"{path}: array '{name}' is not a .npy array (a raw 5-byte member)")
