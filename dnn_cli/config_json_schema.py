"""The config's JSON Schema, for editors: generated from the pydantic models of `dnn_cli.schema`.

`dnn schema` prints it and the repository keeps it as configs/dnn.schema.json; a config whose first line is
`# yaml-language-server: $schema=dnn.schema.json` gets completion and checking of its keys in any editor with
the YAML language server. The keys pydantic declares as free-form (validated by dnn's own code: activations,
keep_prob, batch_size) get their precise shape here, so an editor flags what `dnn train` would refuse.
"""

from __future__ import annotations

import json

from .activations import ACTIVATIONS
from .schema import Config

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_LINE = "# yaml-language-server: $schema="  # the comment the YAML language server reads


def _activation_names() -> dict:
    return {"type": "string", "enum": list(ACTIVATIONS)}


def _hidden_activation_names() -> dict:
    return {"type": "string", "enum": [name for name, g in ACTIVATIONS.items() if g.hidden_ok]}


# The shapes of the keys dnn validates by hand (see ModelConfig and TrainConfig's validators).
_REFINED = {
    ("ModelConfig", "layers"): {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1}},
    ("ModelConfig", "activations"): {"anyOf": [
        {"type": "array", "minItems": 1, "items": _activation_names()},
        {"type": "object", "additionalProperties": False, "required": ["hidden", "output"],
         "properties": {"hidden": _hidden_activation_names(), "output": _activation_names()}},
    ]},
    ("ModelConfig", "keep_prob"): {"anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
    ]},
    ("TrainConfig", "batch_size"): {"anyOf": [{"const": "full"}, {"type": "integer", "minimum": 1}]},
}


def config_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a dnn config: every key with its description and default."""
    schema = Config.model_json_schema()
    for (model, key), refined in _REFINED.items():
        field = schema["$defs"][model]["properties"][key]
        field.pop("items", None)
        field.pop("type", None)
        field.update(refined)
    for definition in [schema, *schema["$defs"].values()]:
        for field in definition.get("properties", {}).values():
            if "example" in field:  # OpenAPI's keyword; JSON Schema's is `examples`, a list
                field["examples"] = [field.pop("example")]
    return {"$schema": DRAFT, "title": "dnn config",
            "description": "A dnn config: `dnn train CONFIG` trains it. Keys are documented in `dnn init`'s starter "
                           "config and the README.", **{k: v for k, v in schema.items() if k != "title"}}


def schema_text() -> str:
    """The schema as the repository keeps it (configs/dnn.schema.json): indented JSON, one trailing newline."""
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
