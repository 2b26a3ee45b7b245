"""Costs J(A^[L], Y) = (1/m) sum_i L(a_i, y_i) and their output deltas.

A cost is a NumPy scalar of the arrays' dtype, so it keeps extended precision when gradcheck
evaluates it in np.longdouble; Network.cost turns it into a Python float.

Each loss has a canonical output activation for which dZ^[L] = output_delta(A^[L], Y)
exactly (sigmoid + binary cross-entropy and softmax + cross-entropy give A^[L] - Y).
With any other allowed output activation, output_delta is m dJ/dA^[L] and backprop
multiplies it by g^[L]'(Z^[L]).

A loss may also carry the training step's in-place forms (`InPlaceLoss`, used by fast_step.py): the
same operations into scratch arrays, bit for bit; without them the step uses cost and output_delta.
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


# In-place forms for the training step: the same operations as the formulas above, into scratch arrays.


def minus_(AL, Y, out):
    """dZ^[L] = A^[L] - Y into out (sigmoid + binary cross-entropy, softmax + cross-entropy)."""
    return np.subtract(AL, Y, out=out)


def mse_delta_(AL, Y, out):
    """mse_delta into out: (2 / n^[L]) (A^[L] - Y)."""
    D = np.subtract(AL, Y, out=out)
    return np.multiply(2.0 / Y.shape[0], D, out=D)


def _clipped_(AL, out):
    eps = np.finfo(AL.dtype).eps
    return np.minimum(np.maximum(AL, eps, out=out), 1.0 - eps, out=out)   # np.clip(AL, eps, 1 - eps)


def binary_cross_entropy_(AL, Y, T, U):
    """binary_cross_entropy in the scratch arrays T, U (of AL's shape): the same operations."""
    A = _clipped_(AL, T)
    U = np.log(np.subtract(1.0, A, out=U), out=U)
    U *= np.subtract(1.0, Y)
    T = np.log(A, out=T)
    T *= Y
    T += U
    return -np.add.reduce(T, axis=None) / Y.shape[1]


def binary_cross_entropy_of_labels_(AL, Y_is_one, T, U):
    """binary_cross_entropy for labels that are all exactly 0 or 1 (Y_is_one: Y == 1), bit for bit.

    With y in {0, 1}, y log a + (1 - y) log(1 - a) is log a + 0 or 0 + log(1 - a), and the clipped a
    keeps both logs finite and non-zero, so the sum of log(a if y = 1 else 1 - a) is the same number:
    6 array operations instead of 11.
    """
    A = _clipped_(AL, T)
    U = np.subtract(1.0, A, out=U)
    np.copyto(U, A, where=Y_is_one)
    U = np.log(U, out=U)
    return -np.add.reduce(U, axis=None) / Y_is_one.shape[1]


def cross_entropy_(AL, Y, T, U):
    """cross_entropy in the scratch array T: the same operations."""
    T = np.log(_clipped_(AL, T), out=T)
    T *= Y
    return -np.add.reduce(T, axis=None) / Y.shape[1]


def mse_(AL, Y, T, U):
    """mse in the scratch array T: the same operations."""
    D = np.subtract(AL, Y, out=T)
    D *= D
    return np.add.reduce(D, axis=None) / D.size


@dataclass(frozen=True)
class InPlaceLoss:
    """A loss's forms for the training step, bit for bit the formulas' numbers.

    cost_(AL, Y, T, U): J with T, U two scratch arrays of AL's shape; output_delta_(AL, Y, out): the
    output delta into out; of_labels_(AL, Y_is_one, T, U): J when every label is exactly 0 or 1, from
    the bool array Y == 1 (a shorter form), or None.
    """

    cost_: Callable
    output_delta_: Callable
    of_labels_: Callable | None = None


@dataclass(frozen=True)
class Loss:
    """A cost, its output delta, the activation that makes the delta dZ^[L], the outputs it fits, its in-place forms.

    outputs: the output activations it fits, or None for every activation that may sit in a hidden layer.
    """

    name: str
    cost: Callable
    output_delta: Callable
    canonical: str
    outputs: tuple[str, ...] | None = None
    in_place: InPlaceLoss | None = None

    def fits(self) -> tuple[str, ...]:
        """The names of the output activations this loss fits."""
        if self.outputs is not None:
            return self.outputs
        return tuple(name for name, g in ACTIVATIONS.items() if g.hidden_ok)


LOSSES: dict[str, Loss] = {
    "binary_cross_entropy": Loss(
        "binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_delta, "sigmoid", ("sigmoid",),
        InPlaceLoss(binary_cross_entropy_, minus_, binary_cross_entropy_of_labels_)),
    "cross_entropy": Loss("cross_entropy", cross_entropy, cross_entropy_delta, "softmax", ("softmax",),
                          InPlaceLoss(cross_entropy_, minus_)),
    "mse": Loss("mse", mse, mse_delta, "linear", None, InPlaceLoss(mse_, mse_delta_)),
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
    if output_activation not in loss.fits():
        raise ConfigError(
            f"loss '{name}' does not fit the output activation '{output_activation}': "
            f"expected an output of {', '.join(loss.fits())}"
        )
    return loss
