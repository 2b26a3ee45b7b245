"""One home per concept: the core names its parameters, the CLI its flags; structured problems; no duplicates."""

from __future__ import annotations

import pytest

from dnn_cli.config import config_from_dict
from dnn_cli.errors import ConfigError
from dnn_cli.network import Network, check_architecture


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
