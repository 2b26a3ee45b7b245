"""One home per concept: the core names its parameters, the CLI its flags; structured problems; no duplicates."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from dnn_cli import plotting
from dnn_cli.activation_comparison import DEFAULT_ACTIVATIONS, parse_activations
from dnn_cli.cli import compare_activations as compare_activations_command
from dnn_cli.cli import compare_init as compare_init_command
from dnn_cli.cli import shapes as shapes_command
from dnn_cli.config import config_from_dict
from dnn_cli.errors import ConfigError, ParameterError
from dnn_cli.init_comparison import DEFAULT_SCHEMES, check_repeats, compare_init, parse_schemes
from dnn_cli.network import Network, check_architecture

from .conftest import ROOT, assert_input_error


def test_check_architecture_returns_key_paths_and_messages():
    problems = check_architecture([2, 0, 1], ["tanh", "nope"])
    assert problems == [(("layers", 1), "expected a positive integer, got 0"),
                        (("activations", 1), "unknown activation 'nope': expected one of "
                         + problems[1][1].split("expected one of ", 1)[1])]
    assert check_architecture([2], []) == [(("layers",), "expected at least 2 sizes (n^[0] and n^[L]), got 1")]
    assert check_architecture([2, 3, 1], ["tanh"])[0][0] == ("activations",)
    assert check_architecture([2, 3, 1], ["softmax", "sigmoid"]) == [
        (("activations", 0), "'softmax' may only be the output activation g^[L], not g^[1]")]
    assert check_architecture([2, 3, 1], ["tanh", "sigmoid"]) == []


def test_network_joins_the_pairs_into_one_message():
    with pytest.raises(ConfigError) as e:
        Network.initialize([2, 0, 1], ["tanh", "sigmoid"])
    assert str(e.value) == "layers[1]: expected a positive integer, got 0"


def test_config_reports_architecture_problems_under_model_keys():
    raw = {"data": {"source": "flower"}, "model": {"layers": [2, 3, 1], "activations": ["softmax", "sigmoid"]},
           "train": {"epochs": 1}}
    with pytest.raises(ConfigError) as e:
        config_from_dict(raw, source="c.yaml")
    assert "model.activations[0]" in str(e.value)
    assert "'softmax' may only be the output activation g^[L], not g^[1]" in str(e.value)


@pytest.mark.parametrize(("call", "param", "message"), [
    (lambda: parse_schemes("hee"), "schemes", "schemes: unknown init scheme 'hee'"),
    (lambda: check_repeats(0), "repeats", "repeats: expected a positive integer, got 0"),
    (lambda: compare_init(None, ["he"], repeats=0), "repeats", "repeats: expected a positive integer, got 0"),
    (lambda: parse_activations("softmax"), "activations", "activations: 'softmax' may only be the output"),
    (lambda: plotting.check_path("r.txt"), "path", "path r.txt: expected a file name ending in .png"),
], ids=["schemes", "repeats", "compare-init-repeats", "activations", "plot-path"])
def test_the_library_names_its_parameters_not_flags(call, param, message):
    with pytest.raises(ParameterError) as e:
        call()
    assert e.value.param == param
    assert str(e.value).startswith(message), str(e.value)
    assert "--" not in str(e.value)


@pytest.mark.parametrize(("args", "message"), [
    (["compare-init", "--schemes", "hee"], "dnn: error: --schemes: unknown init scheme 'hee'"),
    (["compare-init", "--repeats", "0"], "dnn: error: --repeats: expected a positive integer, got 0"),
    (["compare-activations", "--activations", "softmax"], "dnn: error: --activations: 'softmax' may only be"),
    (["compare-init", "--plot", "r.txt"], "dnn: error: --plot r.txt: expected a file name ending in .png"),
], ids=["schemes", "repeats", "activations", "plot"])
def test_the_command_line_names_its_flags(cli, args, message):
    result = cli(*args)
    assert_input_error(result)
    assert result.stderr.startswith(message), result.stderr


def test_the_command_lines_defaults_are_the_librarys():
    assert compare_init_command.DEFAULT_SCHEMES == ",".join(DEFAULT_SCHEMES)
    assert compare_activations_command.DEFAULT_ACTIVATIONS == ",".join(DEFAULT_ACTIVATIONS)


def test_evaluate_does_not_import_predict():
    source = (ROOT / "dnn_cli" / "cli" / "evaluate.py").read_text(encoding="utf-8")
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert "predict" not in imported and "cli.predict" not in imported, imported


def test_shapes_takes_m_from_the_pipelines_train_split(cli, monkeypatch, tmp_path):
    from dnn_cli import pipeline

    config = config_from_dict({"seed": 3, "data": {"source": "flower", "n_samples": 400, "dev_fraction": 0.25},
                               "model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]},
                               "train": {"epochs": 1}})
    assert shapes_command.default_m(config, pipeline.train_split(config)) == pipeline.prepare(config).train.m == 300
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    real = pipeline.train_split

    def first_123(cfg, source, *, file_data=None):
        split = real(cfg, source, file_data=file_data)
        return dataclasses.replace(split, X=split.X[:, :123], y=split.y[:, :123])

    monkeypatch.setattr(pipeline, "train_split", first_123)
    result = cli("shapes", path)
    assert result.exit_code == 0, result.output
    assert "m = 123" in result.stdout


# ---------------------------------------------------------------------------------------------
# The training run in the library: the CLI parses, calls it, renders


def _flower(epochs: int):
    return config_from_dict({"seed": 3, "data": {"source": "flower", "n_samples": 80},
                             "model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]},
                             "train": {"learning_rate": 1.2, "epochs": epochs, "log_every": 5}})


def test_a_library_run_stops_after_the_epoch_a_request_arrives_in_and_reports_it(tmp_path):
    import signal

    from dnn_cli.training_run import start_run

    lines = []
    save = tmp_path / "m.npz"
    run = start_run("c.yaml", _flower(20), save=save, checkpoint_every=4, report=lines.append)

    def on_epoch(result):
        if result.epoch == 5:
            run.requests.request(signal.SIGTERM)

    assert run.train(on_epoch=on_epoch) is None
    finished = run.finish(None)
    assert run.prepared.state.epoch == 6 and finished.seconds is None
    assert lines == [f"stopped by SIGTERM after epoch 6 of 20; saved the parameters and training state to {save} "
                     f"(continue with --resume {save})"]
    assert run.exit_code == 128 + signal.SIGTERM
    assert run.written() == [("model", save)]


def test_a_library_run_to_the_end_matches_fit_bit_for_bit(tmp_path):
    from dnn_cli.pipeline import fit, prepare
    from dnn_cli.training_run import start_run

    run = start_run("c.yaml", _flower(30), metrics_out=tmp_path / "m.json")
    finished = run.finish(run.train())
    reference = fit(prepare(_flower(30), source="c.yaml"))
    assert run.exit_code == 0 and run.phase == "summary"
    assert run.prepared.network.theta.tobytes() == reference.network.theta.tobytes()
    assert finished.final == reference.final
    assert run.written() == [("metrics", tmp_path / "m.json")]


def test_a_second_stop_is_described_by_the_library():
    from dnn_cli.training_run import start_run

    run = start_run("c.yaml", _flower(20), save=Path("m.npz"))
    assert run.stopped_at_once(2) == "stopped at once during epoch 1 of 20; nothing saved to m.npz"
    assert run.exit_code == 130


class _Bar:
    disable = False

    def __init__(self):
        self.updates = 0

    def update(self, task, **fields):
        self.updates += 1


def test_the_progress_bar_is_updated_a_few_times_a_second_at_most():
    from types import SimpleNamespace

    from dnn_cli.cli._progress import throttled

    hidden = _Bar()
    hidden.disable = True
    assert throttled(hidden, 0, 4) is None  # nothing shown: no per-epoch call at all
    bar = _Bar()
    update = throttled(bar, 0, 4)
    for epoch in range(20_000):
        update(SimpleNamespace(epoch=epoch, cost=0.5))
    assert 1 <= bar.updates <= 4 * 60  # 20,000 epochs take well under a minute


# ---------------------------------------------------------------------------------------------
# Start-up: each command loads what it needs when it runs


HELP_IMPORTS = """
import runpy, sys
sys.argv = ["dnn", *sys.argv[1:]]
try:
    runpy.run_module("dnn_cli", run_name="__main__")
except SystemExit:
    pass
sys.stderr.write(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "pydantic", "rich", "yaml"})))
"""


def _loaded(*args) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", HELP_IMPORTS, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert "Usage:" in done.stdout, done.stderr
    return done.stderr


def test_dnn_help_loads_neither_numpy_nor_pydantic():
    assert _loaded("--help") == ""


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "shapes", "datasets", "init", "compare-init",
                                     "compare-activations", "gradcheck"])
def test_a_commands_help_loads_no_numpy(command):
    """typer itself loads pydantic to parse a command's options; NumPy and the core wait for the command to run."""
    assert "numpy" not in _loaded(command, "--help").split()


def test_the_command_modules_keep_real_annotations():
    """Typer reads every command's signature at each start; string annotations (PEP 563) would cost an eval each."""
    found = [p.name for p in sorted((ROOT / "dnn_cli" / "cli").glob("*.py"))
             if "from __future__ import annotations" in p.read_text(encoding="utf-8")]
    assert found == []
