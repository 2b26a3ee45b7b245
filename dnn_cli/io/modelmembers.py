"""What a model file may hold, checked before any member is decompressed.

A model NPZ is a zip of .npy members, and a 4 MB zip can hold a 4 GiB array of zeros. So every member's
name, its declared shape and dtype (from the .npy header) and its declared uncompressed size (from the
zip directory) are checked against what the model's config allows; only then is anything read.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from ..errors import ModelFileError
from ..optimizers import OPTIMIZERS, get_optimizer
from .npz import MemberHeader

HEADER_BYTES = 65_536  # the .npy magic and header of a member (numpy reads at most 10,000 header bytes)
TEXT_BYTES = 64 * 2**20  # a JSON text member (config, rng_state, ...), beyond its items' share below
ITEM_BYTES = 4096  # per class label, feature name or logged epoch of a JSON text member
NUMBER_BYTES = 16  # the widest number a parameter file may hold

_MOMENTS = "|".join(sorted({m for cls in OPTIMIZERS.values() for m in cls.moments}))
MODEL_MEMBER = re.compile(r"format_version|config|classes|features|encoder|[xy]_mean|[xy]_std|epoch|(dev_)?costs"
                          rf"|history|rng_state|early_stopping|((best|last)_)?[Wb][1-9][0-9]*|optimizer_(t|({_MOMENTS})[Wb][1-9][0-9]*)")


class Declared(NamedTuple):
    """What a member must be: `shape` and `dtype` (None: any integer or float), or kind 'int' / 'json'."""

    shape: tuple | None
    dtype: np.dtype | None
    kind: str = "numbers"
    budget: int = 0  # for 'json': the most uncompressed bytes it may declare


INT = Declared((), None, "int", HEADER_BYTES)


def _json(items: int = 0) -> Declared:
    return Declared((), None, "json", TEXT_BYTES + ITEM_BYTES * items)


def bad(path, name: str, message: str) -> ModelFileError:
    return ModelFileError(f"{path}: array '{name}': {message}")


def expect(path, name: str, a, rule: Declared) -> None:
    """ModelFileError unless `a` (an array, or a MemberHeader before the array is read) has the rule's
    dtype and shape; for a header also its declared size."""
    if isinstance(a, MemberHeader) and a.dtype is not None and a.dtype.hasobject:
        raise ModelFileError(f"{path}: array '{name}' holds Python objects; refusing to unpickle it")
    if a.dtype is not None and a.shape is not None:
        if rule.kind == "json" and (a.shape != () or a.dtype.kind != "U"):
            raise bad(path, name, f"expected a JSON text (a 0-d string array), got dtype {a.dtype} shape {a.shape}")
        if rule.kind == "int" and (a.shape != () or a.dtype.kind not in "iu"):
            raise bad(path, name, f"expected an integer (a 0-d integer array), got dtype {a.dtype} shape {a.shape}")
        if rule.kind == "numbers":
            if rule.dtype is None and a.dtype.kind not in "iuf":
                raise bad(path, name, f"expected numbers, got dtype {a.dtype}")
            if rule.dtype is not None and a.dtype != rule.dtype:
                raise bad(path, name, f"expected dtype {rule.dtype}, got {a.dtype}")
            if a.shape != rule.shape:
                raise bad(path, name, f"expected shape {rule.shape}, got {a.shape}")
    if isinstance(a, MemberHeader):
        budget = rule.budget
        if rule.kind == "numbers":
            itemsize = NUMBER_BYTES if rule.dtype is None else rule.dtype.itemsize
            budget = HEADER_BYTES + int(np.prod(rule.shape, dtype=object)) * itemsize
        if a.size > budget:
            raise bad(path, name, f"declares {a.size:,} bytes uncompressed, more than it can hold ({budget:,} bytes "
                                  "at most); not read")


PRELUDE = {"format_version": INT, "config": _json(), "epoch": INT}  # read first: they say what else may be there


def optimizer_template(config) -> dict[str, Declared]:
    """The arrays the config's optimizer keeps (its `state()`), by name: t, then vW1, vb1, ... per moment."""
    layers, dtype = config.model.layers, np.dtype(config.train.dtype)
    template = {"t": INT}
    for moment in get_optimizer(config.train.optimizer).moments:
        for l in range(1, len(layers)):
            template[f"{moment}W{l}"] = Declared((layers[l], layers[l - 1]), dtype)
            template[f"{moment}b{l}"] = Declared((layers[l], 1), dtype)
    return template


def _parameters(layers, dtype, prefix: str = "") -> dict[str, Declared]:
    out = {}
    for l in range(1, len(layers)):
        out[f"{prefix}W{l}"] = Declared((layers[l], layers[l - 1]), dtype)
        out[f"{prefix}b{l}"] = Declared((layers[l], 1), dtype)
    return out


def state_rules(config, epoch: int, present) -> dict[str, Declared]:
    """The training-state members of a checkpoint at `epoch` (dev_costs, best_* / last_* when `present`)."""
    layers, dtype = config.model.layers, np.dtype(config.train.dtype)
    rules = {"epoch": INT, "costs": Declared((epoch,), np.dtype(np.float64)), "history": _json(epoch + 1),
             "rng_state": _json(), "early_stopping": _json()}
    if "dev_costs" in present:  # checkpoints written before the per-epoch dev curve have none
        rules["dev_costs"] = Declared((epoch + 1,), np.dtype(np.float64))
    rules.update({f"optimizer_{name}": rule for name, rule in optimizer_template(config).items()})
    for prefix in ("best_", "last_"):
        if f"{prefix}W1" in present:
            rules.update(_parameters(layers, dtype, prefix))
    return rules


def check_model_members(path, headers: dict, config, epoch: int | None) -> None:
    """Refuse, before reading them, members a model of this config does not have or cannot hold."""
    layers = config.model.layers
    n_x, K = layers[0], layers[-1]
    rules = {"format_version": INT, "config": _json(), **_parameters(layers, np.dtype(config.train.dtype)),
             "classes": _json(max(K, 2)), "features": _json(n_x), "encoder": _json(n_x),
             "x_mean": Declared((n_x, 1), np.dtype(np.float64)), "x_std": Declared((n_x, 1), np.dtype(np.float64)),
             "y_mean": Declared((K, 1), np.dtype(np.float64)), "y_std": Declared((K, 1), np.dtype(np.float64))}
    state = state_rules(config, max(epoch or 0, 0), headers)
    if epoch is not None:
        rules.update(state)
    for name, header in headers.items():
        if name not in rules:
            hint = " (a training-state array without 'epoch')" if name in state else ""
            raise ModelFileError(f"{path}: array '{name}' is not part of a model of layers {list(layers)}{hint}")
        expect(path, name, header, rules[name])


def check_parameter_members(path, headers: dict, layers) -> None:
    """For --init-from: only W1..bL and a model file's own members may be there; W1..bL must fit `layers`."""
    for name in headers:
        if not MODEL_MEMBER.fullmatch(name):
            raise ModelFileError(f"{path}: array '{name}' is not part of a model (expected W1..W{len(layers) - 1}, "
                                 f"b1..b{len(layers) - 1} for layers {list(layers)}, or a model file's arrays)")
    for name, rule in _parameters(layers, None).items():
        if name in headers:
            expect(path, name, headers[name], rule)
