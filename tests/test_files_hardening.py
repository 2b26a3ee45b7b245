"""Writes are atomic (a SIGKILL mid-save leaves the previous file whole), and every output path is checked
before any training starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dnn_cli.io.atomic import atomic_write

from .conftest import CONFIGS, assert_input_error

SAVER = """
import sys
import numpy as np
from dnn_cli.io.modelfile import save_model
from dnn_cli.network import Network

net = Network.initialize([1000, 1000, 1], ["tanh", "sigmoid"], "zeros")   # 1M parameters: an 8 MB file
version = 0
while True:
    version += 1
    for W in net.W:
        W[...] = version
    save_model(sys.argv[1], net, {"version": version})
    print(version, flush=True)
"""


def _versions_saved(path):
    """The version a model file holds, after checking every array agrees on it (a torn write would not)."""
    with np.load(path, allow_pickle=False) as archive:
        import json

        version = json.loads(str(archive["config"]))["version"]
        for name in ("W1", "W2"):
            assert np.all(archive[name] == version), name
    return version


@pytest.mark.slow
def test_sigkill_during_saves_leaves_a_complete_file(tmp_path):
    path = tmp_path / "model.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    seen = []
    mid_write = 0
    for delay in ("while-writing", 0.013, "while-writing", 0.047, "while-writing"):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, env=env)
        try:
            first = process.stdout.readline()  # one save done: the file exists, the next save is under way
            assert first, "the saver did not start"
            if delay == "while-writing":
                # Kill while the next version's temporary file is being written.
                deadline = time.monotonic() + 10
                while not list(tmp_path.glob(".model.npz.*.tmp")) and time.monotonic() < deadline:
                    time.sleep(0.0005)
                mid_write += bool(list(tmp_path.glob(".model.npz.*.tmp")))
            else:
                time.sleep(delay)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        seen.append(_versions_saved(path))
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.npz"]
        # Killed mid-write: at most the one hidden temporary of the killed save (earlier ones were cleaned).
        assert len(leftovers) <= 1 and all(n.startswith(".model.npz.") and n.endswith(".tmp") for n in leftovers)
    assert all(v >= 1 for v in seen) and mid_write >= 2
    atomic_write(path, path.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_a_temporary_being_written_is_not_removed(tmp_path):
    """Only leftovers of dead writers go: a temporary whose lock is held (a live writer) stays."""
    import fcntl

    live = tmp_path / ".m.npz.abcd1234.tmp"
    with open(live, "wb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        atomic_write(tmp_path / "m.npz", b"data")
        assert live.exists()
    atomic_write(tmp_path / "m.npz", b"data")
    assert not live.exists() and (tmp_path / "m.npz").read_bytes() == b"data"


FLOWER = CONFIGS / "flower.yaml"


def _commands(tmp_path, target):
    model = tmp_path / "model.npz"
    model.write_bytes(b"")  # never read: the output check comes first
    commands = {
        "train --save": ("train", FLOWER, "--save", target / "m.npz"),
        "train --metrics-out": ("train", FLOWER, "--metrics-out", target / "m.json"),
        "train --plot": ("train", FLOWER, "--plot", target / "p.png"),
        "train --checkpoint-every": ("train", FLOWER, "--save", target / "m.npz", "--checkpoint-every", "5"),
        "predict --out": ("predict", model, CONFIGS / "fruit.csv", "--out", target / "p.csv"),
        "compare-init --metrics-out": ("compare-init", "--metrics-out", target / "m.json"),
        "compare-init --plot": ("compare-init", "--plot", target / "p.png"),
        "compare-activations --metrics-out": ("compare-activations", "--metrics-out", target / "m.json"),
        "compare-activations --plot": ("compare-activations", "--plot", target / "p.png"),
        "init": ("init", target / "c.yaml"),
    }
    assert list(commands) == COMMANDS
    return commands


COMMANDS = ["train --save", "train --metrics-out", "train --plot", "train --checkpoint-every", "predict --out",
            "compare-init --metrics-out", "compare-init --plot", "compare-activations --metrics-out",
            "compare-activations --plot", "init"]


@pytest.fixture
def no_training(monkeypatch):
    """Any training or model loading fails the test: the output check must come first."""
    import dnn_cli.activation_comparison as ca
    import dnn_cli.cli._inputs as inputs
    import dnn_cli.init_comparison as ci
    import dnn_cli.training_run as train

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    for module, name in ((train, "prepare"), (train, "fit"), (ci, "compare_init"), (ca, "compare_activations"),
                         (inputs, "load_model")):
        monkeypatch.setattr(module, name, forbidden)


@pytest.mark.parametrize("command", COMMANDS)
def test_output_in_a_missing_folder_fails_before_any_work(cli, tmp_path, no_training, command):
    missing = tmp_path / "no" / "such" / "folder"
    result = cli(*_commands(tmp_path, missing)[command])
    assert_input_error(result, str(missing), "does not exist")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
@pytest.mark.parametrize("command", COMMANDS)
def test_output_in_a_read_only_folder_fails_before_any_work(cli, tmp_path, no_training, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_input_error(cli(*_commands(tmp_path, locked)[command]), str(locked), "not writable")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("command", COMMANDS)
def test_output_that_is_a_directory_fails_before_any_work(cli, tmp_path, no_training, command):
    args = list(_commands(tmp_path, tmp_path)[command])
    target = next(a for a in args if hasattr(a, "parent") and a.parent == tmp_path and a.name != "model.npz")
    target.mkdir()
    assert_input_error(cli(*args), str(target))
