"""Loading a config: the YAML file, --set overrides and flags, validated against the schema.

Config keys are the field names verbatim (see `dnn_cli.schema`), so `train.learning_rate` in YAML is
`config.train.learning_rate` in code. Every problem, in every section, is collected and reported at
once, one line each, sorted by line: `FILE:LINE: dotted.key: expected ..., got ...`; a problem in a
--set value or a flag names the override instead of a line of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config_problems import dotted, validate
from .config_reference import reference_yaml
from .errors import ConfigError, shorten, suggest
from .io.configfile import read_config_text
from .schema import (
    MAX_SEED,
    MODELS,
    SECTIONS,
    ActivationsSpec,
    Config,
    DataConfig,
    EarlyStoppingConfig,
    ModelConfig,
    TrainConfig,
)
from .yaml_loader import parse_yaml

__all__ = ["MAX_SEED", "ActivationsSpec", "Config", "DataConfig", "EarlyStoppingConfig",
           "ModelConfig", "TrainConfig", "config_from_dict", "load_config", "parse_override", "parse_yaml",
           "reference_yaml"]


def parse_override(text: str) -> tuple[tuple, Any]:
    """'model.init=he' -> (('model', 'init'), 'he'); the value is read as YAML, by the guarded loader."""
    key, sep, value = text.partition("=")
    path = tuple(key.strip().split("."))
    label = f"--set '{shorten(text, 200)}'"
    if not sep or not key.strip() or any(not p for p in path):
        raise ConfigError(f"{label}: expected KEY=VALUE with a dotted key, e.g. train.learning_rate=0.1")
    parent = ()
    for depth, part in enumerate(path):
        model = MODELS.get(parent)
        if model is None:
            raise ConfigError(f"{label}: '{'.'.join(parent)}' has no sub-keys")
        if part not in model.model_fields:
            raise ConfigError(f"{label}: unknown key '{shorten('.'.join(path[:depth + 1]))}'"
                              + suggest(part, model.model_fields)
                              + f" (valid keys: {', '.join(model.model_fields)})")
        parent = parent + (part,)
    parsed, _ = parse_yaml(value, label, with_lines=False) if value.strip() else (None, {})
    return path, parsed


def _next(origin: dict) -> int:
    """The order of the next key an override sets (messages of later overrides come later)."""
    return 1 + max((order for order, _ in origin.values()), default=-1)


def _override(raw: dict, path: tuple, value, origin: dict, label: str) -> None:
    """raw[path] = value; a mapping given to a section merges into it, key by key (recursively).

    `origin` records, for every key path set, the override that set it (messages name it).
    """
    node = raw
    for depth, part in enumerate(path[:-1], start=1):
        if isinstance(node.get(part), dict):
            node[part] = dict(node[part])
        else:  # the override makes this mapping: whatever is wrong inside it is the override's doing
            node[part] = {}
            origin[path[:depth]] = (_next(origin), label)
        node = node[part]
    key = path[-1]
    if path in SECTIONS and isinstance(value, dict) and isinstance(node.get(key), dict):
        node[key] = dict(node[key])
        for name, item in value.items():
            _override(raw, path + (name,), item, origin, label)
        return
    node[key] = value
    for known in [p for p in origin if p[:len(path)] == path]:
        del origin[known]
    origin[path] = (_next(origin), label)


def load_config(path, overrides=(), **flags) -> Config:
    """Read, override and validate a config file; relative data paths are resolved against it.

    overrides: strings 'dotted.key=value' (as `--set`); flags: epochs, learning_rate, seed when not
    None, applied last.
    """
    path = Path(path)
    source = str(path)
    raw, lines = parse_yaml(read_config_text(path), source)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: expected a mapping of keys (seed, data, model, train), "
                          f"got {type(raw).__name__}")
    return config_from_dict(raw, source=source, lines=lines, base=path.parent, overrides=overrides, **flags)


MAX_MESSAGES = 30
FLAG_KEYS = {"epochs": ("train", "epochs"), "learning_rate": ("train", "learning_rate"), "seed": ("seed",)}


def config_from_dict(raw: dict, *, source="<config>", lines=None, base=None, overrides=(), **flags) -> Config:
    """Validate a config held as a dict (the YAML document); see `load_config`."""
    lines = lines or {}
    raw = dict(raw)
    origin = {}
    for text in overrides:
        key_path, value = parse_override(text)
        _override(raw, key_path, value, origin, f"--set {shorten(text, 200)}")
    for name, value in flags.items():
        if value is not None:
            flag = "lr" if name == "learning_rate" else name
            _override(raw, FLAG_KEYS[name], value, origin, f"--{flag} {shorten(value)}")

    def where(loc: tuple) -> tuple[tuple, str]:
        """(sort key, prefix): the override that set the key, else the key's line in the file."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in origin:
                order, label = origin[loc[:n]]
                return (2, order), f"{label}: "
        below = [origin[p] for p in origin if loc and p[:len(loc)] == loc]
        if below:  # the override set a key inside this one (model.activations.hidden=relu)
            order, label = min(below)
            return (2, order), f"{label}: "
        for n in range(len(loc), -1, -1):
            if loc[:n] in lines:
                return (0, lines[loc[:n]]), f"{source}:{lines[loc[:n]]}: "
        return (1, 0), f"{source}: "

    config, problems = validate(raw)
    if problems:
        located = [(*where(loc), f"{dotted(loc)}: {message}") for loc, message in problems]
        located.sort(key=lambda item: item[0])
        messages = list(dict.fromkeys(prefix + text for _, prefix, text in located))
        if len(messages) > MAX_MESSAGES:  # a list of 100,000 bad sizes is one mistake, not a screenful per size
            hidden = len(messages) - MAX_MESSAGES
            messages[MAX_MESSAGES:] = [f"{source}: and {hidden:,} more problems (fix these first)"]
        raise ConfigError("\n".join(messages))
    if config.data.is_file() and base is not None and not Path(config.data.source).is_absolute():
        config.data.source = str((Path(base) / config.data.source).resolve())
    for key in ("dev_source", "test_source"):
        value = getattr(config.data, key)
        if value is not None and base is not None and not Path(value).is_absolute():
            setattr(config.data, key, str((Path(base) / value).resolve()))
    return config
