"""Shell completion: enabled on the root command, names completed from the registries, paths as files."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dnn_cli.activations import ACTIVATIONS
from dnn_cli.cli import app
from dnn_cli.datasets import DATASETS
from dnn_cli.initializers import INITIALIZERS


def complete(words: str, shell: str = "bash") -> list[str]:
    """What `dnn` offers for the last word of `words` (as the installed shell script asks for it)."""
    env = {"_DNN_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)))
    else:
        env["_TYPER_COMPLETE_ARGS"] = words
    result = CliRunner().invoke(app, [], prog_name="dnn", env=env)
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line]


def test_the_root_offers_completion_install_and_show(cli, monkeypatch):
    text = cli("--help").stdout
    assert "--install-completion" in text and "--show-completion" in text
    # Typer finds the shell among the process's ancestors, which a test started outside a shell lacks.
    import typer.completion

    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    script = CliRunner().invoke(app, ["--show-completion"], prog_name="dnn")
    assert script.exit_code == 0 and "_DNN_COMPLETE=complete_bash" in script.output
    assert "complete -o default -F _dnn_completion dnn" in script.output


def test_commands_complete():
    assert complete("dnn sh") == ["shapes", "show"]
    assert complete("dnn sc") == ["schema"]


@pytest.mark.parametrize("words, expected", [
    ("dnn compare-init --schemes ze", ["zeros"]),
    ("dnn compare-init --schemes he,", [f"he,{name}" for name in INITIALIZERS if name != "he"]),
    ("dnn compare-activations --activations le", ["leaky_relu"]),
    ("dnn compare-activations --activations tanh,s", ["tanh,sigmoid"]),  # softmax is output-only
], ids=["scheme", "second scheme", "activation", "second activation"])
def test_registry_names_complete(words, expected):
    assert complete(words) == expected


def test_every_hidden_activation_is_offered():
    offered = complete("dnn compare-activations --activations ")
    assert offered == [name for name, g in ACTIVATIONS.items() if g.hidden_ok] and "softmax" not in offered


def test_set_completes_keys_then_names():
    assert complete("dnn train c.yaml --set model.in") == ["model.init=", "model.init_scale="]
    assert complete("dnn train c.yaml --set data.source=") == [f"data.source={name}" for name in DATASETS]
    assert complete("dnn shapes c.yaml --set model.init=x") == ["model.init=xavier"]
    assert complete("dnn train c.yaml --set train.optimizer=ad") == ["train.optimizer=adam"]
    assert "train.early_stopping.patience=" in complete("dnn train c.yaml --set train.early")
    assert complete("dnn train c.yaml --set train.learning_rate=0") == []  # a number: nothing to offer


@pytest.mark.parametrize("words", ["dnn train co", "dnn show mo", "dnn predict m.npz da", "dnn export mo"])
def test_config_and_model_arguments_complete_as_files(words):
    assert complete(words) == []  # bash: nothing offered, so `complete -o default` lists the files
    assert complete(words, "zsh") == ["_files"]
