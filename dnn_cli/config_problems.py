"""Every problem of a config, schema and cross-key alike, as (key path, 'expected ..., got ...').

Pydantic's own wording never reaches a user: each error type it can raise from a config becomes the
house form here. Cross-key checks run on every section that validates, with the keys that broke left
out, so a typo in model.activations is reported together with a bad train.learning_rate.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from .errors import ConfigError, shorten, shown, suggest
from .io.tables import is_data_file
from .losses import resolve_loss
from .network import check_architecture
from .optimizers import OPTIMIZERS
from .schema import MODELS, Config, DataConfig, ModelConfig, TrainConfig


def dotted(loc) -> str:
    """('model', 'activations', 0) -> 'model.activations[0]'."""
    out = ""
    for part in loc:
        part = part if isinstance(part, int) else shorten(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_KIND = {
    "int": "an integer", "float": "a number", "string": "a string", "str": "a string", "bool": "true or false",
    "list": "a list", "dict": "a mapping", "model": "a mapping", "model_attributes": "a mapping",
    "tuple": "a list", "set": "a list", "frozen_set": "a list", "none": "null", "bytes": "a string",
}
_BOUNDS = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
           "less_than_equal": "<= {le}", "multiple_of": "that is a multiple of {multiple_of}"}


def _field_is_int(loc) -> bool:
    parent = MODELS.get(tuple(loc[:-1]))
    field = parent.model_fields.get(loc[-1]) if parent and loc else None
    return field is not None and field.annotation in (int, int | None)


def explain(error: dict) -> str:
    """One pydantic error as 'expected ..., got ...' (with 'did you mean' for names)."""
    kind, got, ctx, loc = error["type"], error.get("input"), error.get("ctx") or {}, tuple(error["loc"])
    got_text = shown(got)
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        parent = MODELS.get(loc[:-1])
        valid = list(parent.model_fields) if parent else []
        name = loc[-1]
        return f"unknown key '{shorten(name)}'{suggest(name, valid)} (valid keys: {', '.join(valid)})"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return f"expected one of {', '.join(choices)}, got {got_text}" + suggest(got, choices)
    if kind in _BOUNDS:
        what = "an integer" if _field_is_int(loc) else "a number"
        bound = _BOUNDS[kind].format(**{k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()})
        return f"expected {what} {bound}, got {got_text}"
    if kind == "finite_number":
        return f"expected a finite number, got {got_text}"
    if kind in ("too_short", "too_long"):
        return (f"expected {'at least' if kind == 'too_short' else 'at most'} "
                f"{ctx.get('min_length', ctx.get('max_length'))} items, got {ctx.get('actual_length')}")
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "")) or f"expected a valid value, got {got_text}"
    for prefix, text in _KIND.items():
        if kind == prefix + "_type" or kind.startswith(prefix + "_"):
            return f"expected {text}, got {got_text}"
    return f"expected a valid value for {dotted(loc) or 'the config'}, got {got_text}"


def _overlaps(a: tuple, b: tuple) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _sections(raw: dict, broken: set) -> dict:
    """Each section validated alone with its broken keys left out (their defaults stand in), or None."""
    out = {}
    for name, model in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)):
        value = raw.get(name, {})
        if (name,) in broken or not isinstance(value, dict):
            out[name] = None
            continue
        kept = {k: v for k, v in value.items()
                if k in model.model_fields and not any(_overlaps((name, k), b) for b in broken)}
        try:
            out[name] = model.model_validate(kept)
        except ValidationError:
            out[name] = None
    return out


def semantic_problems(sections: dict, broken: set = frozenset()) -> list[tuple[tuple, str]]:
    """Cross-key problems that the per-key schema cannot see, as (key path, message).

    A check runs only when every key it reads is valid: a default standing in for a broken key must
    not cause a second, false complaint.
    """
    def ok(*keys) -> bool:
        return all(sections.get(k[0]) is not None and not any(_overlaps(k, b) for b in broken) for k in keys)

    problems = []
    data, model, train = sections.get("data"), sections.get("model"), sections.get("train")
    if ok(("model", "layers"), ("model", "activations")):
        names = model.activation_names() if len(model.layers) >= 2 else []
        problems += [(("model",) + path, message) for path, message in check_architecture(model.layers, names)]
        if not problems and names:
            if ok(("model", "loss")):
                try:
                    resolve_loss(model.loss, names[-1])
                except ConfigError as e:
                    problems.append((("model", "loss"), str(e)))
            hidden = len(model.layers) - 2
            if ok(("model", "keep_prob")) and isinstance(model.keep_prob, list) and len(model.keep_prob) != hidden:
                problems.append((("model", "keep_prob"),
                                 f"expected one value per hidden layer ({hidden}), got {len(model.keep_prob)}"))
    if ok(("train", "optimizer")):
        uses = OPTIMIZERS[train.optimizer].uses
        for key in ("beta1", "beta2", "epsilon"):
            if ok(("train", key)) and key not in uses and getattr(train, key) != TrainConfig.model_fields[key].default:
                problems.append((("train", key), f"is not used by optimizer '{train.optimizer}' "
                                 f"(it uses {', '.join(uses) or 'none of beta1, beta2, epsilon'}); remove it"))
    if ok(("train", "lr_decay"), ("train", "decay_rate")) and train.lr_decay == "none" and train.decay_rate != 0:
        problems.append((("train", "decay_rate"), "is not used with lr_decay 'none'; set train.lr_decay"))
    dev_file = ok(("data", "dev_source")) and data.dev_source is not None
    if (ok(("train", "early_stopping"), ("data", "dev_fraction")) and train.early_stopping is not None
            and data.dev_fraction == 0 and not dev_file):
        problems.append((("train", "early_stopping"), "needs a dev split: set data.dev_fraction > 0"))
    if dev_file and ok(("data", "dev_fraction")) and data.dev_fraction != 0:
        problems.append((("data", "dev_source"), f"comes instead of dev_fraction: expected one of them, got both "
                                                 f"(dev_fraction {data.dev_fraction})"))
    for key in ("dev_source", "test_source"):
        if ok(("data", key), ("data", "source")) and getattr(data, key) is not None and not data.is_file():
            problems.append((("data", key), f"expected data.source to be a data file with the same columns, got "
                                            f"the built-in dataset '{data.source}'"))
    if ok(("data", "source")):
        problems += _misplaced_data_keys(data)
    return problems


# Keys of `data` that mean something for one kind of source only: set for the other, they would be silently
# ignored, and the run would not be the one its author meant.
FILE_KEYS = ("label", "ignore_columns", "missing", "unknown_categories")
BUILT_IN_KEYS = ("n_samples", "noise", "n_classes", "n_features")


def without_ignored_data_keys(raw: dict) -> dict:
    """A config as a model file saved it, without the `data` keys its run ignored (FILE_KEYS with a built-in
    dataset, BUILT_IN_KEYS with a file): a model trained before they were refused still loads."""
    data = raw.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("source", "flower"), str):
        return raw
    ignored = BUILT_IN_KEYS if is_data_file(data.get("source", "flower")) else FILE_KEYS
    return {**raw, "data": {k: v for k, v in data.items() if k not in ignored}}


def _misplaced_data_keys(data) -> list:
    fields = type(data).model_fields
    keys = FILE_KEYS if not data.is_file() else BUILT_IN_KEYS
    found = f"the built-in dataset '{data.source}'" if not data.is_file() else f"the data file '{data.source}'"
    which = "a data file (CSV)" if not data.is_file() else "a built-in dataset"
    return [(("data", key), f"expected only with {which} as data.source, got {found}; remove it")
            for key in keys if getattr(data, key) != fields[key].get_default(call_default_factory=True)]


def validate(raw: dict) -> tuple[Config | None, list[tuple[tuple, str]]]:
    """The Config (None when anything is wrong) and every problem: schema and cross-key, all sections."""
    try:
        config = Config.model_validate(raw)
    except ValidationError as e:
        errors = e.errors()
        problems = [(tuple(err["loc"]), explain(err)) for err in errors]
        broken = {tuple(err["loc"]) for err in errors if err["type"] != "extra_forbidden"}
        sections = _sections(raw, broken) if isinstance(raw, dict) else {}
        return None, problems + semantic_problems(sections, broken)
    problems = semantic_problems({"data": config.data, "model": config.model, "train": config.train})
    return (None if problems else config), problems
