"""Checkpoints and resume: 600 + 400 epochs are 1,000 epochs bit for bit; Ctrl-C stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dnn_cli.config import load_config
from dnn_cli.io.modelfile import load_model, save_model
from dnn_cli.io.statefile import restore_state
from dnn_cli.pipeline import fit, prepare

from .conftest import CONFIGS, ROOT, assert_input_error, save_prepared

FLOWER = CONFIGS / "flower.yaml"
SMALL = ["data.n_samples=200", "train.log_every=250"]

RUNS = {
    "full-batch-gd": [],
    "mini-batch-32": ["train.batch_size=32"],
    "adam": ["train.optimizer=adam", "train.learning_rate=0.01"],
    "adam-mini-batch-dropout": ["train.optimizer=adam", "train.learning_rate=0.01", "train.batch_size=32",
                                "model.keep_prob=0.9"],
    "early-stopping-dev": ["data.dev_fraction=0.2", "train.early_stopping={patience: 10000}"],
}
SLOW_RUNS = {"mini-batch-32", "adam-mini-batch-dropout"}  # many small steps: CI runs them, the default run skips them


def _config(sets, epochs):
    return load_config(FLOWER, SMALL + sets, epochs=epochs)


def _save(path, cfg, prepared):
    save_prepared(path, cfg, prepared)


@pytest.mark.parametrize("sets", [pytest.param(sets, id=name, marks=[pytest.mark.slow] if name in SLOW_RUNS else [])
                                  for name, sets in RUNS.items()])
def test_600_plus_400_epochs_equal_1000_bit_for_bit(tmp_path, sets):
    whole = prepare(_config(sets, 1000))
    whole_result = fit(whole)

    first_cfg = _config(sets, 600)
    first = prepare(first_cfg)
    fit(first)
    _save(tmp_path / "checkpoint.npz", first_cfg, first)
    model = load_model(tmp_path / "checkpoint.npz")
    second = prepare(_config(sets, 1000), parameters=model.resume_parameters())
    restore_state(second.state, model)
    second_result = fit(second)

    for W, W_ref in zip(second.network.W + second.network.b, whole.network.W + whole.network.b):
        np.testing.assert_array_equal(W, W_ref)
    np.testing.assert_array_equal(second_result.costs, whole_result.costs)
    assert [h.to_dict() for h in second_result.history] == [h.to_dict() for h in whole_result.history]
    assert second_result.final == whole_result.final
    np.testing.assert_array_equal(second.state.optimizer.state()["t"], whole.state.optimizer.state()["t"])


@pytest.mark.slow
def test_cli_resume_writes_the_same_file_as_an_uninterrupted_run(cli, tmp_path):
    sets = [a for s in SMALL + ["train.batch_size=32"] for a in ("--set", s)]
    assert cli("train", FLOWER, *sets, "--epochs", 1000, "--save", tmp_path / "whole.npz", "-q").exit_code == 0
    assert cli("train", FLOWER, *sets, "--epochs", 600, "--save", tmp_path / "part.npz", "-q").exit_code == 0
    result = cli("train", FLOWER, *sets, "--epochs", 1000, "--resume", tmp_path / "part.npz",
                 "--save", tmp_path / "resumed.npz")
    assert result.exit_code == 0, result.output
    assert "epochs run" in result.stdout
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "resumed.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_checkpoint_every_saves_every_n_epochs_and_at_the_end(cli, tmp_path, monkeypatch):
    from dnn_cli import training_run as train_command

    saved = []
    real = train_command.save_model

    def recording(path, network, config, **kwargs):
        saved.append(kwargs["state"].epoch)
        real(path, network, config, **kwargs)

    monkeypatch.setattr(train_command, "save_model", recording)
    result = cli("train", FLOWER, "--epochs", 1000, "--checkpoint-every", 250, "--save", tmp_path / "m.npz", "-q")
    assert result.exit_code == 0, result.output
    assert saved == [250, 500, 750, 1000]
    assert load_model(tmp_path / "m.npz").epoch == 1000


@pytest.mark.parametrize("args, fragments", [
    (["--checkpoint-every", "10"], ["--checkpoint-every needs --save"]),
    (["--checkpoint-every", "0", "--save", "{tmp}/m.npz"], ["expected a positive number of epochs"]),
    (["--resume", "{tmp}/m.npz", "--init-from", "{tmp}/m.npz"], ["cannot be combined"]),
    (["--resume", "{tmp}/missing.npz"], ["missing.npz: no such file"]),
], ids=["checkpoint-without-save", "checkpoint-zero", "resume-and-init-from", "resume-missing-file"])
def test_bad_resume_options_exit_2(cli, tmp_path, args, fragments):
    args = [a.format(tmp=tmp_path) for a in args]
    assert_input_error(cli("train", FLOWER, "--epochs", 5, *args), *fragments)


def test_resume_refuses_finished_runs_and_state_less_files(cli, tmp_path):
    assert cli("train", FLOWER, "--epochs", 20, "--save", tmp_path / "m.npz", "-q").exit_code == 0
    assert_input_error(cli("train", FLOWER, "--epochs", 20, "--resume", tmp_path / "m.npz"),
                       "has already run 20 epochs", "--epochs N with N > 20")
    cfg = _config([], 5)
    prepared = prepare(cfg)
    save_model(tmp_path / "plain.npz", prepared.network, cfg.to_dict())
    assert_input_error(cli("train", FLOWER, "--epochs", 20, "--resume", tmp_path / "plain.npz"),
                       "holds no training state", "--init-from")
    assert_input_error(cli("train", CONFIGS / "circles.yaml", "--epochs", 50, "--resume", tmp_path / "m.npz"),
                       "has layers [2, 4, 1]")


def test_resume_with_a_changed_config_says_so(cli, tmp_path):
    assert cli("train", FLOWER, "--epochs", 20, "--save", tmp_path / "m.npz", "-q").exit_code == 0
    result = cli("train", FLOWER, "--epochs", 30, "--lr", 0.5, "--resume", tmp_path / "m.npz", "-q")
    assert result.exit_code == 0, result.output
    assert "differs from the checkpoint's config in train.learning_rate" in result.stderr


@pytest.mark.slow
def test_ctrl_c_saves_prints_the_summary_and_exits_130(tmp_path):
    path = tmp_path / "interrupted.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "dnn_cli", "train", str(FLOWER), "--epochs", "100000000", "--save", str(path),
         "--set", "train.log_every=100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted after epoch" in err and f"saved the parameters and training state to {path}" in err
    assert "Final metrics" in out and "cost" in out
    model = load_model(path)
    assert model.epoch > 0
    assert len(model.state["costs"]) == model.epoch
    assert model.network.is_finite()
