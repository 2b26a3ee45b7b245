"""Shared fixtures: the CLI runner with a fixed width, and paths to the shipped configs."""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dnn_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

# The suite may be started with SIGINT, SIGTERM or SIGHUP ignored (as a background job, or under nohup), and dnn
# keeps a signal its process was told to ignore. The signal tests exercise dnn as a terminal starts it: with the
# usual dispositions here, and so in every process the tests start.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
for _name in ("SIGTERM", "SIGHUP"):
    if hasattr(signal, _name) and signal.getsignal(getattr(signal, _name)) is signal.SIG_IGN:
        signal.signal(getattr(signal, _name), signal.SIG_DFL)

# Optional packages: a test that needs one skips with this reason when it is missing (the README's test command
# runs in a bare venv without them; CI installs them and runs everything).
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="needs matplotlib: pip install -e '.[plot]'")


@pytest.fixture
def cli():
    """Run `dnn ARGS...` in-process; returns click's Result (exit_code, stdout, stderr, output)."""
    runner = CliRunner(env={"COLUMNS": "120", "NO_COLOR": "1"})

    def run(*args):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_input_error(result, *fragments):
    """Exit 2, no traceback, 'dnn: error:' on stderr, and every fragment in the message."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("dnn: error: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# A small flower checkpoint with optimizer moments (Adam), for the tests that take model files apart.
ADAM_CHECKPOINT = ["train.optimizer=adam", "train.learning_rate=0.01", "train.log_every=5"]


def save_prepared(path, cfg, prepared, *, state: bool = True):
    """Save a prepared (and trained) run as `dnn train --save` does: everything Prepared.model_contents holds."""
    from dnn_cli.io.modelfile import save_model

    save_model(path, prepared.network, cfg.to_dict(), state=prepared.state if state else None,
               **prepared.model_contents())
    return path


def train_and_save(path, config, sets=(), *, epochs):
    """Train `config` (a path) with `--set`-style `sets` for `epochs` through the library, save it; (cfg, prepared)."""
    from dnn_cli.config import load_config
    from dnn_cli.pipeline import fit, prepare

    cfg = load_config(config, list(sets), epochs=epochs)
    prepared = prepare(cfg)
    fit(prepared)
    save_prepared(path, cfg, prepared)
    return cfg, prepared

