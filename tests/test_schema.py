"""`dnn schema`: the config's JSON Schema, the committed copy, and the editor line of every shipped config."""

from __future__ import annotations

import json

import pytest

from dnn_cli.config import load_config
from dnn_cli.config_json_schema import SCHEMA_LINE, config_schema

from .conftest import CONFIGS, write

SHIPPED = sorted(CONFIGS.rglob("*.yaml"))
BROKEN = CONFIGS / "examples" / "broken.yaml"


def yaml_of(path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def validator():
    jsonschema = pytest.importorskip("jsonschema", reason="needs jsonschema: pip install -e '.[schema]'")
    schema = json.loads((CONFIGS / "dnn.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_dnn_schema_prints_the_committed_file(cli):
    result = cli("schema")
    assert result.exit_code == 0, result.output
    committed = (CONFIGS / "dnn.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, "out of date: run `dnn schema > configs/dnn.schema.json`"


def test_every_key_has_a_description_and_every_optional_key_its_default():
    schema = config_schema()
    sections = {"DataConfig": "data", "ModelConfig": "model", "TrainConfig": "train", "EarlyStoppingConfig": "es"}
    for definition in [schema, *(schema["$defs"][name] for name in sections)]:
        assert definition["additionalProperties"] is False  # unknown keys are errors, as in dnn train
        for key, field in definition["properties"].items():
            assert field.get("description"), key
            assert "default" in field or key in definition.get("required", []), key
    train = schema["$defs"]["TrainConfig"]["properties"]
    assert train["learning_rate"]["default"] == 0.01 and train["optimizer"]["enum"] == ["gd", "momentum", "rmsprop",
                                                                                       "adam"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_names_the_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), first
    target = (path.parent / first.removeprefix(SCHEMA_LINE)).resolve()
    assert target == (CONFIGS / "dnn.schema.json").resolve()


@pytest.mark.parametrize("path", [p for p in SHIPPED if p != BROKEN], ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_validates_against_the_schema(path):
    errors = list(validator().iter_errors(yaml_of(path)))
    assert not errors, [e.message for e in errors]
    load_config(path)  # and dnn itself takes it


def test_the_broken_example_fails_the_schema_where_dnn_does():
    messages = sorted(e.message for e in validator().iter_errors(yaml_of(BROKEN)))
    assert len(messages) == 2, messages
    assert any("'tahn'" in m for m in messages) and any("-1" in m for m in messages)


@pytest.mark.parametrize("config, fragment", [
    ("model: {layers: [2, 1], activations: [sigmoid]}\ntrain: {learnig_rate: 0.1}\n", "learnig_rate"),
    ("model: {layers: [2, 3, 1], activations: {hidden: softmax, output: sigmoid}}\n", "softmax"),
    ("model: {layers: [2, 0, 1], activations: [tanh, sigmoid]}\n", "0"),
    ("model: {layers: [2, 1], activations: [sigmoid]}\ntrain: {batch_size: half}\n", "half"),
    ("model: {layers: [2, 1], activations: [sigmoid], keep_prob: 0}\n", "0"),
    ("model: {layers: [2, 1], activations: [sigmoid], init: glorot}\n", "glorot"),
], ids=["unknown key", "softmax hidden", "zero width", "batch size", "keep_prob", "init"])
def test_the_schema_refuses_what_dnn_refuses(tmp_path, config, fragment):
    from dnn_cli.errors import ConfigError

    path = write(tmp_path / "c.yaml", config)
    with pytest.raises(ConfigError):
        load_config(path)
    errors = list(validator().iter_errors(yaml_of(path)))
    assert errors and any(fragment in e.message or fragment in str(e.instance) for e in errors), errors


def test_the_schema_takes_the_free_form_keys_in_every_legal_shape(tmp_path):
    path = write(tmp_path / "c.yaml", "model: {layers: [2, 3, 3, 1], activations: {hidden: relu, output: sigmoid}, "
                                      "keep_prob: [0.5, 1]}\ndata: {dev_fraction: 0.2}\n"
                                      "train: {batch_size: 32, early_stopping: {patience: 3}}\n")
    load_config(path)
    assert not list(validator().iter_errors(yaml_of(path)))


def test_dnn_init_writes_the_schema_line(cli, tmp_path):
    result = cli("init", tmp_path / "new.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "new.yaml").read_text(encoding="utf-8")
    assert text.startswith(SCHEMA_LINE + "dnn.schema.json\n")
    assert "dnn schema > dnn.schema.json" in text.splitlines()[1]
    assert not list(validator().iter_errors(yaml_of(tmp_path / "new.yaml")))


def test_dnn_init_from_data_writes_the_schema_line(cli, tmp_path):
    result = cli("init", "--data", CONFIGS / "fruit.csv", tmp_path / "fruit.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "fruit.yaml").read_text(encoding="utf-8")
    assert text.startswith(SCHEMA_LINE + "dnn.schema.json\n")
    assert not list(validator().iter_errors(yaml_of(tmp_path / "fruit.yaml")))
