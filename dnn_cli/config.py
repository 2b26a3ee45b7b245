"""The config schema, its YAML loader, and --set overrides.

Config keys are the field names verbatim, so `train.learning_rate` in YAML is
`config.train.learning_rate` in code. Every problem is collected and reported at once as
`FILE:LINE: dotted.key: expected ..., got ...`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError, shorten, suggest
from .initializers import INITIALIZERS
from .losses import LOSSES, resolve_loss
from .network import check_architecture, expand_activations
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES

FILE_SUFFIXES = (".csv", ".npz")


class _Strict(BaseModel):
    # strict: a YAML string "0.1" is not silently taken for a number, nor true for 1.
    # allow_inf_nan=False: .inf or .nan for a rate or a size is never meant.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class DataConfig(_Strict):
    source: str = "flower"
    n_samples: int | None = Field(None, ge=2)
    noise: float | None = Field(None, ge=0)
    n_classes: int | None = Field(None, ge=2)
    n_features: int | None = Field(None, ge=1)
    label: str | None = None
    dev_fraction: float = Field(0.0, ge=0, lt=1)
    standardize: bool = False

    def is_file(self) -> bool:
        """True when `source` names a CSV/NPZ file rather than a built-in dataset."""
        return self.source.lower().endswith(FILE_SUFFIXES) or "/" in self.source or "\\" in self.source


class ActivationsSpec(_Strict):
    hidden: str
    output: str


class ModelConfig(_Strict):
    layers: list[int]
    activations: Any
    init: Literal[tuple(INITIALIZERS)] = "random"
    init_scale: float = Field(0.01, gt=0)
    loss: Literal[("auto", *LOSSES)] = "auto"
    keep_prob: Any = 1.0

    @field_validator("activations")
    @classmethod
    def _activations(cls, value):
        if isinstance(value, dict):
            return ActivationsSpec.model_validate(value).model_dump()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise ValueError(f"expected a list of names or {{hidden: NAME, output: NAME}}, got {value!r}")

    @field_validator("keep_prob")
    @classmethod
    def _keep_prob(cls, value):
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ValueError(f"expected a number in (0, 1] or a list of them, got {value!r}")
        return value

    def activation_names(self) -> list[str]:
        return expand_activations(self.activations, len(self.layers) - 1)


class EarlyStoppingConfig(_Strict):
    patience: int = Field(ge=1)
    min_delta: float = Field(0.0, ge=0)


class TrainConfig(_Strict):
    learning_rate: float = Field(0.01, gt=0)
    epochs: int = Field(1000, ge=1)
    batch_size: Any = "full"
    optimizer: Literal[tuple(OPTIMIZERS)] = "gd"
    beta1: float = Field(0.9, ge=0, lt=1)
    beta2: float = Field(0.999, ge=0, lt=1)
    epsilon: float = Field(1e-8, gt=0)
    l2: float = Field(0.0, ge=0)
    lr_decay: Literal[tuple(SCHEDULES)] = "none"
    decay_rate: float = Field(0.0, ge=0)
    decay_every: int = Field(1000, ge=1)
    early_stopping: EarlyStoppingConfig | None = None
    log_every: int = Field(1000, ge=1)
    dtype: Literal["float64", "float32"] = "float64"

    @field_validator("batch_size")
    @classmethod
    def _batch_size(cls, value):
        if value == "full" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"expected 'full' or a positive integer, got {value!r}")


class Config(_Strict):
    seed: int = 0
    data: DataConfig = DataConfig()
    model: ModelConfig
    train: TrainConfig = TrainConfig()

    def to_dict(self) -> dict:
        """The resolved config as plain data (what goes into model and metrics files)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML: mappings as blocks, lists inline ([2, 4, 1])."""
        return yaml.dump(self.to_dict(), Dumper=_Dumper, sort_keys=False)


# PyYAML follows YAML 1.1, where 1e-8 (no dot) is a string; a config author means a number.
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789"))


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _positions(node, path=(), out=None) -> dict:
    """Line (1-based) of every key path in a composed YAML node tree; duplicate keys are errors."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark)
            if name in seen:
                raise ConfigError(f"line {key.start_mark.line + 1}: duplicate key '{name}'")
            seen.add(name)
            out[path + (name,)] = key.start_mark.line + 1
            _positions(value, path + (name,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, path + (i,), out)
    return out


MAX_VALUES = 100_000


def _expanded_size(node, memo: dict) -> int:
    """How many values the document has once every alias is expanded (aliases share nodes)."""
    key = id(node)
    if key in memo:
        if memo[key] is None:
            raise ConfigError("a YAML alias refers to itself; refusing the recursive document")
        return memo[key]
    memo[key] = None
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, memo) for item in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def parse_yaml(text: str, source: str) -> tuple[Any, dict]:
    """The YAML document (safe tags only) and the line of each key path; ConfigError on bad YAML.

    The document is parsed once; alias expansion is bounded (a 'billion laughs' document is refused
    before anything is built) and objects are never constructed from tags.
    """
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node, {}) > MAX_VALUES:
            raise ConfigError(f"the document expands to more than {MAX_VALUES:,} values through YAML aliases; "
                              "refusing it")
        lines = _positions(node)
        data = loader.construct_document(node)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{where}: invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: invalid YAML: {e}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def _dotted(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KIND = {
    "int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
    "list": "a list", "dict": "a mapping", "model": "a mapping",
}


def _explain(error: dict, models: dict) -> str:
    """One pydantic error as 'expected ..., got ...' (with 'did you mean' for names)."""
    kind, got, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    got_text = shorten(repr(got)) if not isinstance(got, (dict, list)) else type(got).__name__
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        parent = models.get(tuple(error["loc"][:-1]))
        valid = list(parent.model_fields) if parent else []
        name = error["loc"][-1]
        return f"unknown key '{name}'{suggest(name, valid)} (valid keys: {', '.join(valid)})"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return f"expected one of {', '.join(choices)}, got {got_text}" + suggest(got, choices)
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
              "less_than_equal": "<= {le}"}
    if kind in bounds:
        return f"expected a number {bounds[kind].format(**{k: f'{v:g}' for k, v in ctx.items()})}, got {got_text}"
    for prefix, text in _KIND.items():
        if kind.startswith(prefix + "_") or kind == prefix + "_type":
            return f"expected {text}, got {got_text}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg'][0].lower()}{error['msg'][1:]}, got {got_text}"


def _models_by_path() -> dict:
    return {(): Config, ("data",): DataConfig, ("model",): ModelConfig, ("train",): TrainConfig,
            ("train", "early_stopping"): EarlyStoppingConfig, ("model", "activations"): ActivationsSpec}


def _semantic_problems(config: Config) -> list[tuple[tuple, str]]:
    """Cross-key problems that the per-key schema cannot see, as (key path, message)."""
    problems = []
    model, train = config.model, config.train
    names = model.activation_names() if len(model.layers) >= 2 else []
    for text in check_architecture(model.layers, names):
        key, _, message = text.partition(": ")
        path = ("model",) + tuple(int(p) if p.isdigit() else p for p in re.split(r"[\[\]]+", key) if p)
        problems.append((path, message))
    if not problems and names:
        try:
            resolve_loss(model.loss, names[-1])
        except ConfigError as e:
            problems.append((("model", "loss"), str(e)))
        hidden = len(model.layers) - 2
        if isinstance(model.keep_prob, list) and len(model.keep_prob) != hidden:
            problems.append((("model", "keep_prob"),
                             f"expected one value per hidden layer ({hidden}), got {len(model.keep_prob)}"))
    uses = OPTIMIZERS[train.optimizer].uses
    for key in ("beta1", "beta2", "epsilon"):
        if key not in uses and getattr(train, key) != TrainConfig.model_fields[key].default:
            problems.append((("train", key), f"is not used by optimizer '{train.optimizer}' "
                             f"(it uses {', '.join(uses) or 'none of beta1, beta2, epsilon'}); remove it"))
    if train.lr_decay == "none" and train.decay_rate != 0:
        problems.append((("train", "decay_rate"), "is not used with lr_decay 'none'; set train.lr_decay"))
    if train.early_stopping is not None and config.data.dev_fraction == 0:
        problems.append((("train", "early_stopping"), "needs a dev split: set data.dev_fraction > 0"))
    return problems


def parse_override(text: str) -> tuple[tuple, Any]:
    """'model.init=he' -> (('model', 'init'), 'he'); the value is read as YAML."""
    key, sep, value = text.partition("=")
    path = tuple(key.strip().split("."))
    if not sep or not key.strip() or any(not p for p in path):
        raise ConfigError(f"--set '{text}': expected KEY=VALUE with a dotted key, e.g. train.learning_rate=0.1")
    parent, models = (), _models_by_path()
    for depth, part in enumerate(path):
        model = models.get(parent)
        if model is None:
            raise ConfigError(f"--set '{text}': '{'.'.join(parent)}' has no sub-keys")
        if part not in model.model_fields:
            raise ConfigError(f"--set '{text}': unknown key '{'.'.join(path[:depth + 1])}'"
                              + suggest(part, model.model_fields)
                              + f" (valid keys: {', '.join(model.model_fields)})")
        parent = parent + (part,)
    try:
        parsed = yaml.load(value, Loader=_Loader) if value.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"--set '{text}': the value is not valid YAML") from None
    return path, parsed


def _apply(raw: dict, path: tuple, value) -> None:
    node = raw
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def load_config(path, overrides=(), **flags) -> Config:
    """Read, override and validate a config file; relative data paths are resolved against it.

    overrides: strings 'dotted.key=value' (as `--set`); flags: epochs, learning_rate, seed when not
    None, applied last.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: expected a YAML file, got a directory") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: expected UTF-8 text, got undecodable bytes") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read the config: {e.strerror}") from None
    raw, lines = parse_yaml(text, source)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: expected a mapping of keys (seed, data, model, train), "
                          f"got {type(raw).__name__}")
    return config_from_dict(raw, source=source, lines=lines, base=path.parent, overrides=overrides, **flags)


def config_from_dict(raw: dict, *, source="<config>", lines=None, base=None, overrides=(), **flags) -> Config:
    """Validate a config held as a dict (the YAML document); see `load_config`."""
    lines = lines or {}
    raw = dict(raw)
    for key in raw:
        if isinstance(raw[key], dict):
            raw[key] = dict(raw[key])
    origin = {}
    for text in overrides:
        key_path, value = parse_override(text)
        _apply(raw, key_path, value)
        origin[key_path] = f"--set {text}"
    flag_keys = {"epochs": ("train", "epochs"), "learning_rate": ("train", "learning_rate"), "seed": ("seed",)}
    for name, value in flags.items():
        if value is not None:
            _apply(raw, flag_keys[name], value)
            origin[flag_keys[name]] = f"--{'lr' if name == 'learning_rate' else name} {value}"

    def where(loc: tuple) -> str:
        for n in range(len(loc), 0, -1):
            if tuple(loc[:n]) in origin:
                return f"{origin[tuple(loc[:n])]}: "
        for n in range(len(loc), -1, -1):
            if tuple(loc[:n]) in lines:
                return f"{source}:{lines[tuple(loc[:n])]}: "
        return f"{source}: "

    try:
        config = Config.model_validate(raw)
    except ValidationError as e:
        models = _models_by_path()
        messages = [f"{where(tuple(err['loc']))}{_dotted(err['loc'])}: {_explain(err, models)}"
                    for err in e.errors()]
        raise ConfigError("\n".join(dict.fromkeys(messages))) from None
    problems = _semantic_problems(config)
    if problems:
        raise ConfigError("\n".join(f"{where(p)}{_dotted(p)}: {m}" for p, m in problems))
    if config.data.is_file() and base is not None and not Path(config.data.source).is_absolute():
        config.data.source = str((Path(base) / config.data.source).resolve())
    return config
