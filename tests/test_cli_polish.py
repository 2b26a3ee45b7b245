"""The command line's edges: click's own usage errors in the house form, -h, --version, a closed stdout (exit 141),
the progress bar before the first epoch, --quiet on the compare commands, --plot's checks in order."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from rich.console import Console

import dnn_cli

from .conftest import CONFIGS, ROOT, assert_input_error

FLOWER = CONFIGS / "flower.yaml"


def assert_one_house_line(result, expected: str) -> None:
    """Exit 2, nothing on stdout, exactly one `dnn: error:` line on stderr, no usage box, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"dnn: error: {expected}\n"


@pytest.mark.parametrize("args, expected", [
    (("train", FLOWER, "--lr", "abc"), "train: --lr: expected a number, got 'abc' (see dnn train --help)"),
    (("train", FLOWER, "--seed", "1.5"), "train: --seed: expected an integer, got '1.5' (see dnn train --help)"),
    (("shapes", FLOWER, "--m", "x"), "shapes: --m: expected an integer, got 'x' (see dnn shapes --help)"),
    (("train", FLOWER, "--foo"), "train: no such option: --foo (see dnn train --help)"),
    (("train",), "train: missing the argument CONFIG (see dnn train --help)"),
    (("predict", "model.npz"), "predict: missing the argument DATA (see dnn predict --help)"),
    (("train", FLOWER, "extra"), "train: got unexpected extra argument(s) (extra) (see dnn train --help)"),
    (("trian",), "no such command 'trian'; did you mean 'train'? (see dnn --help)"),
    (("train", FLOWER, "--qiet"), "train: no such option: --qiet; did you mean one of --quiet, --set? "
                                  "(see dnn train --help)"),
    (("train", FLOWER, "--quit"), "train: no such option: --quit; did you mean --quiet? (see dnn train --help)"),
    (("--bogus",), "no such option: --bogus (see dnn --help)"),
    (("compare-init", "--repeats"), "option '--repeats' requires an argument"),
], ids=["bad-float", "bad-int", "bad-int-shapes", "unknown-option", "missing-config", "missing-data", "extra-argument",
        "unknown-command", "option-typos", "option-typo", "unknown-root-option", "option-without-value"])
def test_usage_errors_are_one_house_line_with_exit_2(cli, args, expected):
    assert_one_house_line(cli(*args), expected)


def test_a_huge_bad_value_is_not_echoed_whole(cli):
    result = cli("train", FLOWER, "--lr", "x" * 100_000)
    assert result.exit_code == 2 and result.stderr.startswith("dnn: error: train: --lr: expected a number, got 'xxx")
    assert len(result.stderr) < 500 and result.stderr.count("\n") == 1


def test_no_arguments_still_shows_the_help(cli):
    result = cli()
    assert "Usage:" in result.output and "train" in result.output
    assert "dnn: error" not in result.output


@pytest.mark.parametrize("command", [None, "train", "shapes", "compare-init", "compare-activations", "gradcheck",
                                     "predict", "evaluate", "datasets", "init"])
def test_dash_h_is_help_everywhere(cli, command):
    args = () if command is None else (command,)
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == 0 and long.exit_code == 0, short.output
    assert short.stdout == long.stdout and "Usage:" in short.stdout


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"dnn {dnn_cli.__version__}\n" == "dnn 0.1.0\n"


CLOSED_STDOUT = [  # each a process of its own (~0.4 s): one in the default run, the others with the slow ones
    pytest.param(("train", FLOWER, "--epochs", "5"), id="train-tables"),
    pytest.param(("datasets",), id="datasets", marks=pytest.mark.slow),
    pytest.param(("train", FLOWER, "--print-config"), id="print-config", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("args", CLOSED_STDOUT)
def test_a_closed_stdout_exits_141_quietly(args):
    process = subprocess.Popen([sys.executable, "-m", "dnn_cli", *map(str, args)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first write, as with `dnn ... | head -0`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, stderr
    assert stderr == ""


def test_the_progress_bar_shows_no_cost_before_the_first_epoch(cli, monkeypatch):
    import dnn_cli.cli.train as train
    import dnn_cli.training_run as training_run

    screen = io.StringIO()
    monkeypatch.setattr(train, "err", lambda: Console(file=screen, force_terminal=True, width=100))
    bars = []
    real_progress, real_fit = train._progress, training_run.fit

    def progress(enabled):
        bars.append(real_progress(enabled))
        return bars[-1]

    def fit(prepared, **kwargs):
        bars[0].refresh()  # draw the bar as it stands before the first epoch
        return real_fit(prepared, **kwargs)

    monkeypatch.setattr(train, "_progress", progress)
    monkeypatch.setattr(training_run, "fit", fit)
    result = cli("train", FLOWER, "--epochs", "3")
    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    assert "0/3" in drawn and "nan" not in drawn


@pytest.mark.parametrize("command", ["compare-init", "compare-activations"])
def test_compare_commands_take_quiet(cli, tmp_path, command):
    metrics = tmp_path / "runs.json"
    result = cli(command, "--epochs", "5", "--quiet", "--metrics-out", metrics)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(metrics.read_text())["command"] == command


def test_a_bad_plot_path_is_reported_before_a_missing_matplotlib(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    missing = tmp_path / "no" / "folder"
    result = cli("train", FLOWER, "--plot", missing / "p.png")
    assert_input_error(result, str(missing), "does not exist")
    assert "matplotlib" not in result.stderr

