"""Costs J(A^[L], Y) = (1/m) sum_i L(a_i, y_i) and their output deltas.

A cost is a NumPy scalar of the arrays' dtype, so it keeps extended precision when gradcheck
evaluates it in np.longdouble; Network.cost turns it into a Python float.

Each loss has a canonical output activation for which dZ^[L] = output_delta(A^[L], Y)
exactly (sigmoid + binary cross-entropy and softmax + cross-entropy give A^[L] - Y).
With any other allowed output activation, output_delta is m dJ/dA^[L] and backprop
multiplies it by g^[L]'(Z^[L]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .errors import ConfigError, suggest


def _clipped(AL):
    # log(0) is -inf: keep A^[L] one machine epsilon away from 0 and 1 so the cost stays finite
    # when the output saturates; values further inside are untouched.
    eps = np.finfo(AL.dtype).eps
    return np.clip(AL, eps, 1.0 - eps)


def binary_cross_entropy(AL, Y):
    """J = -(1/m) sum [Y log A^[L] + (1 - Y) log(1 - A^[L])]; AL, Y of shape (n^[L], m)."""
    A = _clipped(AL)
    m = Y.shape[1]
    return -np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m


def binary_cross_entropy_delta(AL, Y):
    """dZ^[L] = A^[L] - Y (with a sigmoid output)."""
    return AL - Y


def cross_entropy(AL, Y):
    """J = -(1/m) sum_i sum_k Y[k, i] log A^[L][k, i]; Y one-hot of shape (n^[L], m)."""
    A = _clipped(AL)
    m = Y.shape[1]
    return -np.sum(Y * np.log(A)) / m


def cross_entropy_delta(AL, Y):
    """dZ^[L] = A^[L] - Y (with a softmax output)."""
    return AL - Y


def mse(AL, Y):
    """J = (1 / (m n^[L])) sum (A^[L] - Y)^2: the mean over all entries, as PyTorch's MSELoss."""
    # Differences beyond ~1e154 square to inf: the cost is then inf (which training reports), not a warning.
    with np.errstate(over="ignore"):
        D = AL - Y
        return np.sum(D * D) / D.size


def mse_delta(AL, Y):
    """m dJ/dA^[L] = (2 / n^[L]) (A^[L] - Y); equal to dZ^[L] with a linear output."""
    with np.errstate(over="ignore"):
        return (2.0 / Y.shape[0]) * (AL - Y)


@dataclass(frozen=True)
class Loss:
    """A cost, its output delta, the activation that makes the delta dZ^[L], and the outputs it fits."""

    name: str
    cost: Callable
    output_delta: Callable
    canonical: str
    outputs: tuple[str, ...]


LOSSES: dict[str, Loss] = {
    "binary_cross_entropy": Loss(
        "binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_delta, "sigmoid", ("sigmoid",)
    ),
    "cross_entropy": Loss("cross_entropy", cross_entropy, cross_entropy_delta, "softmax", ("softmax",)),
    "mse": Loss(
        "mse", mse, mse_delta, "linear", tuple(a for a in ACTIVATIONS if a != "softmax")
    ),
}

AUTO = {"sigmoid": "binary_cross_entropy", "softmax": "cross_entropy"}


def resolve_loss(name: str, output_activation: str) -> Loss:
    """The loss for `name` ('auto' follows the output activation); a ConfigError when they do not fit."""
    if name == "auto":
        name = AUTO.get(output_activation, "mse")
    if name not in LOSSES:
        raise ConfigError(
            f"unknown loss '{name}': expected one of auto, {', '.join(LOSSES)}" + suggest(name, LOSSES)
        )
    loss = LOSSES[name]
    if output_activation not in loss.outputs:
        raise ConfigError(
            f"loss '{name}' does not fit the output activation '{output_activation}': "
            f"expected an output of {', '.join(loss.outputs)}"
        )
    return loss
