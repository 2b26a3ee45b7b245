"""Signals, failing writes and refused resumes of `dnn train`: nothing a user or a signal does loses a checkpoint.

Signal tests send real signals: to a `python -m dnn_cli` subprocess, waiting for the checkpoint
file to appear (bounded), or to this process with signal.raise_signal at a chosen moment of an
in-process run (the handlers are installed in the main thread either way).
"""

from __future__ import annotations

import errno
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dnn_cli.checkpointing import IGNORED, NOTE, REFUSE, RESUME_RULES, resume_rule
from dnn_cli.config import load_config
from dnn_cli.io.modelfile import load_model

from .conftest import CONFIGS, ROOT, assert_input_error, write

FLOWER = CONFIGS / "flower.yaml"
FOREVER = "100000000"
# Epochs of many mini-batches (a few tenths of a second), so that a second signal sent as soon as the
# first is seen lands within the epoch that the first one lets finish.
SLOW_EPOCHS = """\
seed: 1
data: {source: flower, n_samples: 40000}
model: {layers: [2, 16, 1], activations: [tanh, sigmoid]}
train: {learning_rate: 0.1, epochs: 100000000, log_every: 1000000, batch_size: 32}
"""


def _start(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "dnn_cli", *[str(a) for a in args]], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, process, timeout: float = 60.0) -> None:
    """Until `path` exists (a checkpoint: training runs, the handlers are installed); fail on exit or timeout."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the run ended before {path} appeared: {process.returncode}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.01)


def _wait_for_line(process, fragment: str, timeout: float = 60.0) -> str:
    """Read stderr until a line containing `fragment`; fail on end of output or timeout."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if fragment in line:
            return "".join(seen)
    process.kill()
    raise AssertionError(f"no line with {fragment!r} on stderr: {''.join(seen)}")


def _finish(process, timeout: float = 60.0):
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _epoch_in(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, text
    return int(match.group(1))


# ---------------------------------------------------------------------------------------------
# Signals (real subprocesses)


@pytest.mark.slow
def test_a_second_ctrl_c_writes_nothing_over_the_resumable_checkpoint(tmp_path):
    """Two real SIGINTs; on a busy machine the second may come after the run ended (the in-process
    test below pins the second one inside an epoch)."""
    path = tmp_path / "run.npz"
    process = _start("train", write(tmp_path / "slow.yaml", SLOW_EPOCHS), "--save", path, "--checkpoint-every", 1,
                     "-q")
    _wait_for(path, process)
    process.send_signal(signal.SIGINT)
    # A signal sent before the first is handled would merge with it: wait for the first one's line.
    first = _wait_for_line(process, "stopping after this epoch")
    process.send_signal(signal.SIGINT)
    out, err = _finish(process)
    err = first + err
    assert process.returncode == 130, err
    assert "Traceback" not in err
    model = load_model(path)
    assert model.state is not None, "the checkpoint lost its training state"
    assert len(model.state["costs"]) == model.epoch
    if "stopped at once" in err:
        assert re.search(rf"{re.escape(str(path))} (still )?holds the checkpoint of epoch {model.epoch} ", err), err
    else:  # on a busy machine the second signal may come after the run has ended: nothing changes then
        assert f"interrupted after epoch {model.epoch} of" in err, err


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_after_the_epoch_save_and_exit_128_plus_n(tmp_path, signum):
    path, metrics = tmp_path / "run.npz", tmp_path / "m.json"
    process = _start("train", FLOWER, "--epochs", FOREVER, "--save", path, "--checkpoint-every", 200,
                     "--metrics-out", metrics, "-q")
    _wait_for(path, process)
    process.send_signal(signum)
    out, err = _finish(process)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err
    name = signal.Signals(signum).name
    epoch = _epoch_in(rf"dnn: stopped by {name} after epoch (\d+) of {FOREVER}; saved the parameters and "
                      rf"training state to {re.escape(str(path))}", err)
    model = load_model(path)
    assert model.epoch == epoch and model.state is not None
    document = json.loads(metrics.read_text())
    assert document["seconds"] > 0.0
    assert document["history"][-1]["epoch"] < epoch


@pytest.mark.slow
def test_ctrl_c_while_the_modules_load_exits_130_with_one_line(tmp_path):
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "dnn_cli", "train", str(FLOWER), "-q",
                                "--epochs", FOREVER], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    lines = []
    try:
        for line in process.stderr:  # -X importtime: one line per module, as each is loaded
            lines.append(line)
            if line.split("|")[-1].strip() == "typer":  # the command line is loading: rich, numpy... come next
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    err = "".join(lines) + err
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    messages = [line for line in err.splitlines() if line.startswith("dnn:")]
    if any("epoch" in m for m in messages):  # a very slow machine: the signal came once training ran
        assert "interrupted after epoch" in messages[-1], messages
    else:
        assert messages == ["dnn: interrupted"], messages


@pytest.mark.slow
def test_a_checkpoint_folder_removed_during_training_stops_the_run_and_keeps_the_result(tmp_path):
    folder, rescue = tmp_path / "out", tmp_path / "tmp"
    folder.mkdir()
    rescue.mkdir()
    path = folder / "run.npz"
    process = _start("train", FLOWER, "--epochs", FOREVER, "--save", path, "--checkpoint-every", 200, "-q",
                     env={**os.environ, "TMPDIR": str(rescue)})
    _wait_for(path, process)
    while folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("now a file")
    out, err = _finish(process)
    assert process.returncode == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("dnn: error:")]
    assert len(errors) == 1 and f"{path}: cannot write the model" in errors[0], err
    (kept,) = rescue.glob("run.rescued-*.npz")
    assert f"saved it to {kept} instead (continue with --resume {kept})" in errors[0]
    model = load_model(kept)
    epoch = _epoch_in(r"stopped after epoch (\d+) of", err)
    assert model.epoch == epoch and epoch % 200 == 0


# ---------------------------------------------------------------------------------------------
# Signals at chosen moments of an in-process run


def _send(signum) -> None:
    """Send `signum` to this process, only when dnn handles it (else it would stop the test session)."""
    handler = signal.getsignal(signum)
    assert callable(handler) and handler is not signal.default_int_handler, \
        f"{signal.Signals(signum).name} is not handled at this point"
    signal.raise_signal(signum)


def _raise_signals_at(monkeypatch, name: str, signals, when=lambda *args, **kwargs: True):
    """Make dnn_cli.training_run.NAME raise `signals` (real ones, to this process) before doing its work."""
    import dnn_cli.training_run as train_command

    real = getattr(train_command, name)

    def wrapped(*args, **kwargs):
        if when(*args, **kwargs):
            for signum in signals:
                _send(signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(train_command, name, wrapped)


def _signals_after_epoch(monkeypatch, epoch: int, signals):
    """Make the run's `fit` send `signals` (real ones, to this process) once epoch `epoch` has been reported."""
    import dnn_cli.training_run as train_command

    real_fit = train_command.fit

    def fit(prepared, callback=None):
        def interrupting(result):
            callback(result)
            if result.epoch == epoch:
                for signum in signals:
                    _send(signum)
        return real_fit(prepared, callback=interrupting)

    monkeypatch.setattr(train_command, "fit", fit)


@pytest.mark.parametrize("during", ["save_model", "write_metrics"])
def test_ctrl_c_during_the_final_writes_lets_them_finish_and_says_so(cli, tmp_path, monkeypatch, during):
    _raise_signals_at(monkeypatch, during, [signal.SIGINT])
    model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    result = cli("train", FLOWER, "--epochs", 30, "--save", model, "--metrics-out", metrics, "-q")
    assert result.exit_code == 130, result.output
    assert "dnn: stopping after the writes under way" in result.stderr
    assert "interrupted (SIGINT) during the final writes, after all 30 epochs" in result.stderr
    assert f"saved the parameters and training state to {model}" in result.stderr
    assert f"wrote the metrics to {metrics}" in result.stderr
    assert load_model(model).epoch == 30
    assert json.loads(metrics.read_text())["final"]["cost"] > 0


def test_a_second_signal_during_the_final_save_keeps_the_last_checkpoint(cli, tmp_path, monkeypatch):
    _raise_signals_at(monkeypatch, "save_model", [signal.SIGTERM, signal.SIGINT],
                      when=lambda path, network, config, **kw: kw["state"].epoch == 30)
    model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    result = cli("train", FLOWER, "--epochs", 30, "--save", model, "--checkpoint-every", 10,
                 "--metrics-out", metrics, "-q")
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert "stopped at once while writing the results" in result.stderr
    assert f"{model} still holds the checkpoint of epoch 20 (continue with --resume {model})" in result.stderr
    assert "the metrics were not written" not in result.stderr and "did not write the metrics" in result.stderr
    assert load_model(model).epoch == 20
    assert not metrics.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


@pytest.mark.parametrize("every", [None, 5], ids=["no-checkpoint", "checkpoint-every-5"])
def test_a_second_ctrl_c_mid_run_writes_nothing_and_says_what_is_on_disk(cli, tmp_path, monkeypatch, every):
    _signals_after_epoch(monkeypatch, 7, [signal.SIGINT, signal.SIGINT])
    model = tmp_path / "m.npz"
    checkpoints = ["--checkpoint-every", every] if every else []
    result = cli("train", FLOWER, "--epochs", 30, "--save", model, *checkpoints, "-q")
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    if every is None:
        assert f"stopped at once during epoch 9 of 30; nothing saved to {model}" in result.stderr
        assert not model.exists()
    else:
        assert (f"stopped at once during epoch 9 of 30; {model} still holds the checkpoint of epoch 5 "
                f"(continue with --resume {model})") in result.stderr
        kept = load_model(model)
        assert kept.epoch == 5 and kept.state is not None


def test_metrics_after_ctrl_c_record_the_time_spent(cli, tmp_path, monkeypatch):
    _signals_after_epoch(monkeypatch, 5, [signal.SIGINT])
    metrics = tmp_path / "m.json"
    result = cli("train", FLOWER, "--epochs", 30, "--metrics-out", metrics, "-q")
    assert result.exit_code == 130, result.output
    assert "interrupted after epoch 7 of 30" in result.stderr
    assert json.loads(metrics.read_text())["seconds"] > 0.0


# ---------------------------------------------------------------------------------------------
# Writes that fail after training: one error line, the result kept elsewhere, exit 1


def _failing_atomic_write(monkeypatch, fails):
    import dnn_cli.io.atomic as atomic
    import dnn_cli.io.metricsfile as metricsfile
    import dnn_cli.io.modelfile as modelfile

    real = atomic.atomic_write

    def atomic_write(path, data, *what):
        if fails(Path(path)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data, *what)

    for module in (modelfile, metricsfile):  # the writers of the model and the metrics
        monkeypatch.setattr(module, "atomic_write", atomic_write)


def _one_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("dnn: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_failing_final_save_keeps_the_model_next_to_the_path(cli, tmp_path, monkeypatch):
    target = tmp_path / "m.npz"
    _failing_atomic_write(monkeypatch, lambda path: path == target)
    result = cli("train", FLOWER, "--epochs", 30, "--save", target, "-q")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (kept,) = tmp_path.glob("m.rescued-*.npz")
    line = _one_error(result.stderr)
    assert line == (f"dnn: error: {target}: cannot write the model: No space left on device; saved it to {kept} "
                    f"instead (continue with --resume {kept})")
    assert not target.exists()
    assert load_model(kept).epoch == 30


def test_a_failing_save_in_a_failing_folder_keeps_the_model_in_the_temp_folder(cli, tmp_path, monkeypatch):
    folder, temp = tmp_path / "out", tmp_path / "temp"
    folder.mkdir()
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    _failing_atomic_write(monkeypatch, lambda path: path.parent == folder)
    result = cli("train", FLOWER, "--epochs", 30, "--save", folder / "m.npz", "-q")
    assert result.exit_code == 1, result.output
    (kept,) = temp.glob("m.rescued-*.npz")
    assert f"saved it to {kept} instead" in _one_error(result.stderr)
    assert list(folder.iterdir()) == []
    assert load_model(kept).epoch == 30


def test_a_failing_checkpoint_stops_the_run_and_keeps_it(cli, tmp_path, monkeypatch):
    target = tmp_path / "m.npz"
    writes = []

    def fails(path):
        writes.append(path)
        return path == target and len(writes) == 2  # the second checkpoint, epoch 20

    _failing_atomic_write(monkeypatch, fails)
    result = cli("train", FLOWER, "--epochs", 50, "--save", target, "--checkpoint-every", 10, "-q")
    assert result.exit_code == 1, result.output
    assert "stopped after epoch 20 of 50: the checkpoint could not be written" in result.stderr
    (kept,) = tmp_path.glob("m.rescued-*.npz")
    assert f"saved it to {kept} instead" in _one_error(result.stderr)
    assert load_model(kept).epoch == 20 and load_model(target).epoch == 10


def test_a_save_that_fails_everywhere_says_the_model_is_lost(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _failing_atomic_write(monkeypatch, lambda path: True)
    result = cli("train", FLOWER, "--epochs", 30, "--save", tmp_path / "m.npz", "-q")
    assert result.exit_code == 1, result.output
    assert _one_error(result.stderr) == (f"dnn: error: {tmp_path / 'm.npz'}: cannot write the model: No space left "
                                         "on device; could not write it anywhere else either (No space left on "
                                         "device): the model is lost")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_metrics_write_still_saves_the_model(cli, tmp_path, monkeypatch):
    model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    _failing_atomic_write(monkeypatch, lambda path: path == metrics)
    result = cli("train", FLOWER, "--epochs", 30, "--save", model, "--metrics-out", metrics, "-q")
    assert result.exit_code == 1, result.output
    (kept,) = tmp_path.glob("m.rescued-*.json")
    assert _one_error(result.stderr) == (f"dnn: error: {metrics}: cannot write the metrics: No space left on "
                                         f"device; saved it to {kept} instead")
    assert load_model(model).epoch == 30
    assert json.loads(kept.read_text())["final"]["cost"] > 0


def test_a_failing_plot_write_keeps_the_picture_and_the_model(cli, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import dnn_cli.plotting as plotting

    model, picture = tmp_path / "m.npz", tmp_path / "p.png"
    real = plotting._save

    def save(fig, path):
        if Path(path) == picture:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        real(fig, path)

    monkeypatch.setattr(plotting, "_save", save)
    result = cli("train", FLOWER, "--epochs", 30, "--save", model, "--plot", picture, "-q")
    assert result.exit_code == 1, result.output
    (kept,) = tmp_path.glob("p.rescued-*.png")
    assert _one_error(result.stderr) == (f"dnn: error: {picture}: cannot write the plot: Permission denied; "
                                         f"saved it to {kept} instead")
    assert kept.read_bytes().startswith(b"\x89PNG") and load_model(model).epoch == 30


# ---------------------------------------------------------------------------------------------
# Outputs checked before any work


@pytest.fixture
def no_training(monkeypatch):
    import dnn_cli.training_run as train_command

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the outputs were checked")

    monkeypatch.setattr(train_command, "prepare", forbidden)


def test_the_model_file_must_end_in_npz(cli, tmp_path, no_training):
    for name, found in (("r.json", "'.json'"), ("model", "no suffix"), ("r.png", "'.png'")):
        assert_input_error(cli("train", FLOWER, "--save", tmp_path / name),
                           f"--save {tmp_path / name}: expected a model file name ending in .npz, got {found}")


def test_two_spellings_of_one_output_file_are_refused(cli, tmp_path, no_training, monkeypatch):
    (tmp_path / "link.json").symlink_to("m.npz")
    assert_input_error(cli("train", FLOWER, "--save", tmp_path / "m.npz", "--metrics-out", tmp_path / "link.json"),
                       f"--metrics-out {tmp_path / 'link.json'} and --save {tmp_path / 'm.npz'} are the same file")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.json").write_text("{}")
    (tmp_path / "hard.json").hardlink_to(tmp_path / "r.json")
    (tmp_path / "alias.npz").symlink_to(tmp_path / "r.json")
    assert_input_error(cli("train", FLOWER, "--save", "./alias.npz", "--metrics-out", "hard.json"),
                       "are the same file")


def test_an_output_over_an_input_is_refused(cli, tmp_path, no_training):
    shutil.copy(CONFIGS / "fruit.yaml", tmp_path / "fruit.yaml")
    shutil.copy(CONFIGS / "fruit.csv", tmp_path / "fruit.csv")
    before = (tmp_path / "fruit.csv").read_bytes()
    assert_input_error(cli("train", tmp_path / "fruit.yaml", "--metrics-out", tmp_path / "fruit.csv"),
                       f"--metrics-out {tmp_path / 'fruit.csv'} would overwrite data.source")
    assert (tmp_path / "fruit.csv").read_bytes() == before


def test_save_may_continue_the_resumed_file_in_place(cli, tmp_path):
    model = tmp_path / "m.npz"
    assert cli("train", FLOWER, "--epochs", 20, "--save", model, "-q").exit_code == 0
    result = cli("train", FLOWER, "--epochs", 30, "--resume", model, "--save", model, "-q")
    assert result.exit_code == 0, result.output
    assert load_model(model).epoch == 30


# ---------------------------------------------------------------------------------------------
# Resume: refuse what makes the checkpoint meaningless, note what legitimately changes


@pytest.fixture
def checkpoint(cli, tmp_path):
    path = tmp_path / "m.npz"
    assert cli("train", FLOWER, "--epochs", 20, "--save", path, "-q").exit_code == 0
    return path


@pytest.mark.parametrize("args, key", [
    (["--set", "train.optimizer=adam"], "train.optimizer"),
    (["--set", "data.standardize=true"], "data.standardize"),
    (["--set", "data.n_samples=300"], "data.n_samples"),
    (["--set", "data.dev_fraction=0.2"], "data.dev_fraction"),
    (["--set", "model.activations=[relu, sigmoid]"], "model.activations"),
    (["--set", "model.keep_prob=0.5", "--set", "model.loss=mse"], "model.loss"),
    (["--set", "train.dtype=float32"], "train.dtype"),
    (["--seed", "4"], "seed"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_resume_refuses_a_change_that_makes_the_checkpoint_meaningless(cli, checkpoint, args, key):
    result = cli("train", FLOWER, "--epochs", 30, "--resume", checkpoint, *args)
    assert_input_error(result, f"{checkpoint}: cannot resume with {key} = ", f"--init-from {checkpoint}")


def test_resume_names_every_refused_key(cli, checkpoint):
    result = cli("train", FLOWER, "--epochs", 30, "--resume", checkpoint, "--set", "train.optimizer=adam",
                 "--set", "data.standardize=true")
    assert_input_error(result, "cannot resume with train.optimizer = 'adam': the checkpoint has 'gd'")
    assert result.stderr.count("dnn: error:") == 2 and "cannot resume with data.standardize = True" in result.stderr


def test_resume_allows_init_changes_with_a_note_and_equivalent_spellings_silently(cli, checkpoint):
    result = cli("train", FLOWER, "--epochs", 30, "--resume", checkpoint, "--set", "model.init=he", "-q")
    assert result.exit_code == 0, result.output
    assert "model.init, which has no effect on a resumed run" in result.stderr
    result = cli("train", FLOWER, "--epochs", 30, "--resume", checkpoint, "-q", "--set",
                 "model.activations={hidden: tanh, output: sigmoid}", "--set", "model.loss=binary_cross_entropy")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_resume_notes_legitimate_training_changes(cli, checkpoint):
    result = cli("train", FLOWER, "--epochs", 30, "--resume", checkpoint, "-q", "--set", "train.batch_size=64",
                 "--set", "train.log_every=5", "--set", "train.l2=0.1")
    assert result.exit_code == 0, result.output
    assert "differs from the checkpoint's config in train.batch_size, train.l2, train.log_every" in result.stderr


def test_resume_refuses_data_that_changed_under_the_same_config(cli, tmp_path):
    shutil.copy(CONFIGS / "fruit.yaml", tmp_path / "fruit.yaml")
    data = tmp_path / "fruit.csv"
    shutil.copy(CONFIGS / "fruit.csv", data)
    model = tmp_path / "m.npz"
    assert cli("train", tmp_path / "fruit.yaml", "--epochs", 20, "--save", model, "-q").exit_code == 0
    header, first, *rest = data.read_text().splitlines()
    cells = first.split(",")
    cells[0] = str(float(cells[0]) + 1.0)
    data.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    assert_input_error(cli("train", tmp_path / "fruit.yaml", "--epochs", 30, "--resume", model, "-q"),
                       f"{model}: cannot resume on this data", "feature means or standard deviations differ",
                       "the data changed since the checkpoint")
    data.write_text("\n".join([header.replace(header.split(",")[0], "mass", 1), first, *rest]) + "\n")
    assert_input_error(cli("train", tmp_path / "fruit.yaml", "--epochs", 30, "--resume", model, "-q"),
                       "its feature columns are")


def _leaf_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys += _leaf_keys(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]
    return keys


def test_every_config_key_has_a_resume_rule():
    config = load_config(FLOWER, ["train.early_stopping={patience: 5}", "data.dev_fraction=0.2"])
    assert {action for action, _ in RESUME_RULES.values()} <= {REFUSE, NOTE, IGNORED, None}
    actions = {key: resume_rule(key)[0] for key in _leaf_keys(config.to_dict())}
    assert actions["train.learning_rate"] == NOTE and actions["train.early_stopping.patience"] == NOTE
    assert actions["train.optimizer"] == REFUSE and actions["data.standardize"] == REFUSE
    assert actions["model.init_scale"] == IGNORED and actions["train.epochs"] is None
    assert resume_rule("brand_new_section.key")[0] == REFUSE
