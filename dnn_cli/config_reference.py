"""The config reference: every key with its default and description, generated from the schema."""

from __future__ import annotations

import yaml
from pydantic import BaseModel

from .schema import Config
from .yaml_loader import Dumper


def _value(value) -> str:
    """One value as inline YAML (flow style): 0.01, full, [2, 4, 1], null."""
    return yaml.dump(value, Dumper=Dumper, default_flow_style=True, width=1_000).strip().removesuffix("...").strip()


def _bounds(field) -> str:
    """' (> 0)', ' (>= 0, < 1)': the field's numeric constraints, as the messages state them."""
    signs = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    found = [f"{sign} {getattr(m, attr)}" for m in field.metadata for attr, sign in signs.items()
             if getattr(m, attr, None) is not None]
    return f" ({', '.join(found)})" if found else ""


def _optional_model(annotation):
    """The model inside `Model | None` (a section that may be left out), else None."""
    members = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(members) == 1 and isinstance(members[0], type) and issubclass(members[0], BaseModel):
        return members[0]
    return None


def _lines(model: type[BaseModel], indent: str, comment: str = "") -> list[tuple[str, str]]:
    out = []
    for name, field in model.model_fields.items():
        description = (field.description or "") + _bounds(field)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.append((f"{indent}{comment}{name}:", description))
            out.extend(_lines(annotation, indent + "  ", comment))
            continue
        if field.is_required():
            value = (field.json_schema_extra or {})["example"]
            description = f"required (an example); {description}"
        else:
            value = field.get_default(call_default_factory=True)
        out.append((f"{indent}{comment}{name}: {_value(value)}", description))
        inner = _optional_model(annotation)
        if inner is not None:  # its keys, commented out: they exist only when the section is given
            out.extend(_lines(inner, indent + "  ", comment or "# "))
    return out


def reference_yaml() -> str:
    """The whole config as commented YAML, in the schema's order.

    Every key shows its default (a required key, such as model.layers, an example marked required)
    and its description as a `# ...` comment; the text parses back to a config of the defaults.
    """
    lines = _lines(Config, "")
    width = max(len(text) for text, _ in lines) + 2
    return "".join(f"{text:<{width}}# {note}\n" if note else f"{text}\n" for text, note in lines)
