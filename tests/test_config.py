"""The config schema: defaults, overrides, and every error collected with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnn_cli.config import load_config, parse_override
from dnn_cli.errors import ConfigError

from .conftest import CONFIGS, write

BASE = """\
seed: 3
data:
  source: flower
model:
  layers: [2, 4, 1]
  activations: [tanh, sigmoid]
train:
  learning_rate: 1.2
  epochs: 10
"""


def config_file(tmp_path, text=BASE) -> Path:
    return write(tmp_path / "c.yaml", text)


def test_defaults_and_the_activations_mapping(tmp_path):
    cfg = load_config(config_file(tmp_path, BASE.replace("[tanh, sigmoid]", "{hidden: relu, output: sigmoid}")))
    assert cfg.model.activation_names() == ["relu", "sigmoid"]
    assert cfg.train.batch_size == "full" and cfg.train.optimizer == "gd" and cfg.train.dtype == "float64"
    assert cfg.model.init == "random" and cfg.model.init_scale == 0.01


def test_overrides_and_flags_win_in_order(tmp_path):
    cfg = load_config(config_file(tmp_path), ["train.epochs=7", "model.init=he", "train.learning_rate=0.5"],
                      epochs=9, seed=4)
    assert (cfg.train.epochs, cfg.model.init, cfg.train.learning_rate, cfg.seed) == (9, "he", 0.5, 4)


def test_scientific_notation_without_a_dot_is_a_number(tmp_path):
    cfg = load_config(config_file(tmp_path, BASE.replace("learning_rate: 1.2", "learning_rate: 1e-2")))
    assert cfg.train.learning_rate == 0.01


def test_relative_data_paths_resolve_against_the_config_file():
    cfg = load_config(CONFIGS / "fruit.yaml")
    assert Path(cfg.data.source) == (CONFIGS / "fruit.csv").resolve()


def test_resolved_config_round_trips_through_yaml(tmp_path):
    cfg = load_config(CONFIGS / "deep.yaml")
    again = load_config(write(tmp_path / "again.yaml", cfg.to_yaml()))
    assert again.to_dict() == cfg.to_dict()


@pytest.mark.parametrize("old, new, expected", [
    ("  source: flower\n", "  source: flower\n  nsamples: 3\n",
     r"c.yaml:4: data.nsamples: unknown key 'nsamples'; did you mean 'n_samples'"),
    ("learning_rate: 1.2", "learning_rate: -1", r"c.yaml:8: train.learning_rate: expected a number > 0"),
    ("learning_rate: 1.2", "learning_rate: fast", r"train.learning_rate: expected a number, got 'fast'"),
    ("epochs: 10", "epochs: 2.5", r"c.yaml:9: train.epochs: expected an integer, got 2.5"),
    ("[tanh, sigmoid]", "[tanh]", r"model.activations: expected 2 \(one per layer"),
    ("[tanh, sigmoid]", "[tan, sigmoid]", r"model.activations\[0\]: unknown activation 'tan'.*did you mean 'tanh'"),
    ("[tanh, sigmoid]", "[softmax, sigmoid]", r"model.activations\[0\]: 'softmax' may only be the output"),
    ("[tanh, sigmoid]", "[tanh, linear]\n  loss: cross_entropy", r"model.loss: loss 'cross_entropy' does not fit"),
    ("layers: [2, 4, 1]", "layers: [2, 0, 1]", r"model.layers\[1\]: expected a positive integer"),
    ("epochs: 10", "epochs: 10\n  beta2: 0.9", r"train.beta2: is not used by optimizer 'gd'"),
    ("epochs: 10", "epochs: 10\n  optimizer: adamw", r"train.optimizer: expected one of .*did you mean 'adam'"),
    ("epochs: 10", "epochs: 10\n  early_stopping: {patience: 3}", r"train.early_stopping: needs a dev split"),
    ("seed: 3\n", "seed: 3\nseed: 4\n", r"line 2: duplicate key 'seed'"),
    ("  epochs: 10\n", "  epochs: [10\n", r"c.yaml:\d+: invalid YAML"),
], ids=["unknown-key", "negative-lr", "lr-string", "epochs-float", "length-mismatch", "unknown-activation",
        "softmax-hidden", "loss-mismatch", "zero-units", "unused-beta2", "unknown-optimizer",
        "early-stopping-no-dev", "duplicate-key", "yaml-syntax"])
def test_config_errors_name_the_file_line_and_key(tmp_path, old, new, expected):
    assert old in BASE
    with pytest.raises(ConfigError, match=expected):
        load_config(config_file(tmp_path, BASE.replace(old, new)))


def test_all_problems_are_reported_at_once(tmp_path):
    text = BASE.replace("learning_rate: 1.2", "learning_rate: 0").replace("epochs: 10", "epochs: -1")
    with pytest.raises(ConfigError) as info:
        load_config(config_file(tmp_path, text))
    assert "train.learning_rate" in str(info.value) and "train.epochs" in str(info.value)


def test_yaml_tags_never_construct_objects(tmp_path):
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(config_file(tmp_path, "!!python/object/apply:os.system ['echo hacked']\n"))


@pytest.mark.parametrize("text, expected", [
    ("train.epochs", "expected KEY=VALUE"),
    ("=3", "expected KEY=VALUE"),
    ("train.epoch=3", "unknown key 'train.epoch'; did you mean 'epochs'"),
    ("train.epochs.x=3", "has no sub-keys"),
])
def test_malformed_overrides(text, expected):
    with pytest.raises(ConfigError, match=expected):
        parse_override(text)


def test_override_errors_name_the_override(tmp_path):
    with pytest.raises(ConfigError, match=r"--set train.learning_rate=-2: train.learning_rate: expected a number > 0"):
        load_config(config_file(tmp_path), ["train.learning_rate=-2"])


@pytest.mark.parametrize("problem, expected", [
    ("missing", "no such config file"),
    ("directory", "got a directory"),
    ("list", "expected a mapping of keys"),
])
def test_unreadable_config_files(tmp_path, problem, expected):
    path = {"missing": tmp_path / "nope.yaml", "directory": tmp_path,
            "list": write(tmp_path / "l.yaml", "- 1\n- 2\n")}[problem]
    with pytest.raises(ConfigError, match=expected):
        load_config(path)
