"""Activation functions g and their derivatives g', side by side.

Every function takes Z of shape (n^[l], m). A derivative takes both Z and A = g(Z),
because most derivatives are cheapest from A (sigmoid: A (1 - A), tanh: 1 - A^2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import lookup

LEAKY_RELU_SLOPE = 0.01


def sigmoid(Z):
    """sigma(Z) = 1 / (1 + exp(-Z)), the course's formula, finite and warning-free for any Z."""
    # For Z below about -709 exp(-Z) overflows to inf and 1 / (1 + inf) is exactly 0, the right
    # limit; the formula is otherwise accurate to rounding, and it is the course's own, so a run
    # reproduces the course's numbers operation for operation.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-Z))


def sigmoid_derivative(Z, A):
    """sigma'(Z) = A (1 - A)."""
    return A * (1.0 - A)


def tanh(Z):
    """tanh(Z)."""
    return np.tanh(Z)


def tanh_derivative(Z, A):
    """tanh'(Z) = 1 - A^2."""
    return 1.0 - A * A


def relu(Z):
    """max(0, Z)."""
    return np.maximum(Z, 0.0)


def relu_derivative(Z, A):
    """1 where Z > 0, else 0 (the subgradient at 0 is taken as 0, as PyTorch does)."""
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z):
    """Z where Z > 0, else 0.01 Z."""
    return np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z)


def leaky_relu_derivative(Z, A):
    """1 where Z > 0, else 0.01."""
    return np.where(Z > 0, 1.0, LEAKY_RELU_SLOPE).astype(Z.dtype)


def linear(Z):
    """g(Z) = Z: with it, a stack of layers collapses into one linear map."""
    return Z


def linear_derivative(Z, A):
    """g'(Z) = 1."""
    return np.ones_like(Z)


def softmax(Z):
    """Column-wise softmax: A[k, i] = exp(Z[k, i]) / sum_j exp(Z[j, i]); max-shifted so exp never overflows."""
    # Z - max can overflow to -inf for |Z| near 1e308; exp(-inf) = 0 is then the right answer.
    with np.errstate(over="ignore"):
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def softmax_derivative(Z, A):
    """Not elementwise: softmax is only used as the output layer, paired with cross-entropy (dZ = A - Y)."""
    raise NotImplementedError("softmax has no elementwise derivative; it is paired with cross_entropy")


@dataclass(frozen=True)
class Activation:
    """One activation: g, its derivative g'(Z, A), and whether it may sit in a hidden layer."""

    name: str
    g: Callable
    derivative: Callable
    hidden_ok: bool = True

    def __call__(self, Z):
        return self.g(Z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative),
    "tanh": Activation("tanh", tanh, tanh_derivative),
    "relu": Activation("relu", relu, relu_derivative),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_derivative),
    "linear": Activation("linear", linear, linear_derivative),
    "softmax": Activation("softmax", softmax, softmax_derivative, hidden_ok=False),
}


def get_activation(name: str) -> Activation:
    """The registered activation called `name`; a ConfigError with the valid choices otherwise."""
    return lookup(ACTIVATIONS, name, "activation")
