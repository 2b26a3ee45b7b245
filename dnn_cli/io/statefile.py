"""The training state inside a checkpoint: written as arrays, checked member by member, restored exactly.

Floats go through JSON as their shortest round-trip repr and arrays keep their dtype, so a restored state
continues bit for bit. `differing_keys` tells a resumed run which config keys changed since the checkpoint.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from ..errors import is_int, is_real
from ..training import EpochResult
from .modelmembers import INT, Declared, bad, expect

if TYPE_CHECKING:
    from .modelfile import Model


def json_array(value) -> np.ndarray:
    """A 0-d string array holding `value` as JSON."""
    return np.array(json.dumps(value))


def scalar_json(path, arrays: dict, name: str):
    """The JSON text of 0-d string array `name`, decoded."""
    expect(path, name, arrays[name], Declared((), None, "json"))
    try:
        return json.loads(str(arrays[name]))
    except ValueError as e:
        raise bad(path, name, f"expected valid JSON ({e})") from None
    except RecursionError:
        raise bad(path, name, "expected valid JSON (nested too deeply)") from None


def scalar_int(path, arrays: dict, name: str) -> int:
    """The value of 0-d integer array `name`."""
    expect(path, name, arrays[name], INT)
    return int(arrays[name])


def numbers(path, arrays: dict, name: str, shape: tuple, dtype) -> np.ndarray:
    """Array `name`, checked to have `shape` and `dtype` and finite values."""
    a = arrays[name]
    expect(path, name, a, Declared(shape, np.dtype(dtype)))
    if not np.all(np.isfinite(a)):
        raise bad(path, name, "contains NaN or infinite values")
    return a


def state_arrays(state) -> dict:
    """A TrainingState as arrays: epoch, costs, history, rng_state, early_stopping, optimizer_*, best_*.

    Floats go through JSON as their shortest round-trip repr and arrays keep their dtype, so a
    restored state continues bit for bit.
    """
    arrays = {
        "epoch": np.array(state.epoch, dtype=np.int64),
        "costs": np.array(state.costs, dtype=np.float64),
        "history": json_array([h.to_dict() for h in state.history]),
        "rng_state": json_array(state.rng.bit_generator.state),
        "early_stopping": json_array({"best_cost": state.best_cost, "best_epoch": state.best_epoch,
                                       "wait": state.wait, "stopped_early": state.stopped_early}),
    }
    arrays.update({f"optimizer_{k}": np.asarray(v) for k, v in state.optimizer.state().items()})
    dev_costs = getattr(state, "dev_costs", None)
    if dev_costs:
        # NaN where the run did not record one (a resumed older checkpoint); a dev cost may overflow to inf.
        arrays["dev_costs"] = np.array([np.nan if c is None else c for c in dev_costs], dtype=np.float64)
    for prefix in ("best", "last"):
        W_list, b_list = getattr(state, f"{prefix}_W", None), getattr(state, f"{prefix}_b", None)
        if W_list is not None:
            for l, (W, b) in enumerate(zip(W_list, b_list), start=1):
                arrays[f"{prefix}_W{l}"], arrays[f"{prefix}_b{l}"] = W, b
    return arrays


def _traced_layers(layers, L: int) -> bool:
    """A traced history row's "layers" (layer_stats.LayerStats.to_dict, one per layer): numbers or null, and g."""
    return (isinstance(layers, list) and len(layers) == L
            and all(isinstance(row, dict) and row.get("l") == l and isinstance(row.get("g"), str)
                    and all(v is None or is_real(v) for k, v in row.items() if k != "g")
                    for l, row in enumerate(layers, start=1)))


def check_state(path, arrays: dict, template: dict, network) -> dict:
    """The training-state arrays of a checkpoint, each checked; JSON ones decoded."""
    epoch = arrays["epoch"]
    state = {"epoch": epoch, "costs": numbers(path, arrays, "costs", (epoch,), np.float64)}
    history = scalar_json(path, arrays, "history")
    try:
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            raise TypeError("not a list of objects")
        state["history"] = [EpochResult(**h, logged=True) for h in history]
        for h in state["history"]:
            values = [v for k, v in h._asdict().items() if k not in ("epoch", "logged", "layers") and v is not None]
            if not is_int(h.epoch) or not 0 <= h.epoch < max(epoch, 1) or not all(map(is_real, values)):
                raise TypeError(f"epoch {h.epoch!r}: expected an epoch number below {epoch} and numbers")
            if h.layers is not None and not _traced_layers(h.layers, network.L):
                raise TypeError(f"epoch {h.epoch}: 'layers': expected {network.L} objects of per-layer numbers "
                                "(dnn train --trace)")
    except TypeError as e:
        raise bad(path, "history", f"expected a list of logged epochs ({e})") from None
    rng_state = scalar_json(path, arrays, "rng_state")
    rng = np.random.Generator(np.random.PCG64())
    try:
        if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != "PCG64":
            raise ValueError("expected the state of a PCG64 bit generator")
        rng.bit_generator.state = rng_state
    except (ValueError, TypeError, KeyError) as e:
        raise bad(path, "rng_state", str(e)) from None
    state["rng"] = rng
    early = scalar_json(path, arrays, "early_stopping")
    keys = {"best_cost", "best_epoch", "wait", "stopped_early"}
    if (not isinstance(early, dict) or set(early) != keys or not is_real(early["best_cost"])
            or not (early["best_epoch"] is None or is_int(early["best_epoch"]))
            or not is_int(early["wait"]) or early["wait"] < 0 or not isinstance(early["stopped_early"], bool)):
        raise bad(path, "early_stopping", f"expected a JSON object with {', '.join(sorted(keys))} (a number, "
                                          "an epoch or null, a count, true or false)")
    state.update(early)
    optimizer = {}
    for name, a in template.items():
        if a.kind == "int":
            optimizer[name] = scalar_int(path, arrays, f"optimizer_{name}")
        else:
            optimizer[name] = numbers(path, arrays, f"optimizer_{name}", a.shape, a.dtype)
    state["optimizer"] = optimizer
    if "dev_costs" in arrays:
        # The dev cost after e epochs, e = 0..epoch (the early-stopping check of the parameters saved).
        # (its dtype and shape (epoch + 1,) were checked with the other members, see modelmembers.state_rules)
        state["dev_costs"] = arrays["dev_costs"]
    for prefix in ("best", "last"):
        if f"{prefix}_W1" in arrays:
            state[f"{prefix}_W"] = [numbers(path, arrays, f"{prefix}_W{l}", W.shape, W.dtype)
                                    for l, W in enumerate(network.W, start=1)]
            state[f"{prefix}_b"] = [numbers(path, arrays, f"{prefix}_b{l}", b.shape, b.dtype)
                                    for l, b in enumerate(network.b, start=1)]
    return state


def restore_state(state, model: Model) -> None:
    """Continue a TrainingState from a checkpoint: epoch, costs, history, optimizer, rng, early stopping.

    The state's optimizer must be the checkpoint's (same config); the network's parameters are
    set separately (from `model.resume_parameters()`). `model` must hold a state (model.state not None):
    whoever resumes checks that first, with a message for the user.
    """
    assert model.state is not None, "restore_state needs a checkpoint: the caller checks model.state first"
    saved = model.state
    state.epoch = saved["epoch"]
    state.costs = [float(c) for c in saved["costs"]]
    state.history = list(saved["history"])
    state.optimizer.load_state(saved["optimizer"])
    state.rng.bit_generator.state = saved["rng"].bit_generator.state
    state.best_cost, state.best_epoch = saved["best_cost"], saved["best_epoch"]
    state.wait, state.stopped_early = saved["wait"], saved["stopped_early"]
    state.best_W = [W.copy() for W in saved["best_W"]] if "best_W" in saved else None
    state.best_b = [b.copy() for b in saved["best_b"]] if "best_b" in saved else None
    state.dev_costs = [None if np.isnan(c) else float(c) for c in saved["dev_costs"]] if "dev_costs" in saved else []


def differing_keys(a: dict, b: dict, prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two nested config dicts, e.g. ['train.epochs']."""
    keys = []
    for key in dict.fromkeys([*a, *b]):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            keys += differing_keys(x, y, f"{prefix}{key}.")
        elif x != y:
            keys.append(f"{prefix}{key}")
    return keys
