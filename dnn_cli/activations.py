"""Activation functions g and their derivatives g', side by side, and the ACTIVATIONS registry.

Every function takes Z of shape (n^[l], m). A derivative takes both Z and A = g(Z),
because most derivatives are cheapest from A (sigmoid: A (1 - A), tanh: 1 - A^2).

An activation may also carry the training step's in-place forms (`InPlace`, used by fast_step.py):
g written over Z, and dA * g'(Z) formed from A alone, since the fast step keeps A^[l] in Z^[l]'s array.
They must give the reference formulas' numbers bit for bit (tests/test_fast_path.py checks every
registered one). An activation without them (in_place=None) still trains: the fast step then keeps
Z^[l] and A^[l] apart for that layer and uses g and g'(Z, A) as written here.

Adding an activation is one entry in ACTIVATIONS: g, g'(Z, A), and optionally its InPlace forms.
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


# In-place forms for the training step: the same operations as the formulas above, into existing arrays.
# The in-place sigmoid and softmax let exp overflow to inf (which gives the exact limit, 0) without
# their own np.errstate: the training loop runs every step under one.


def relu_(Z, zeros):
    """relu(Z) over Z: max(0, Z), bit for bit the same against an array of zeros as against 0.0.

    zeros: 0 in Z's shape, a read-only array for a small Z (NumPy's maximum of two small arrays is about
    3x faster than of an array and a scalar) or the scalar 0.0 (see fast_step.Workspace.buffers).
    """
    return np.maximum(Z, zeros, out=Z)


def relu_times_derivative_(dA, A):
    """dA * relu'(Z) in dA: A > 0 exactly where Z > 0, written into A as 1.0 / 0.0, relu_derivative's array."""
    return np.multiply(dA, np.greater(A, 0.0, out=A), out=dA)


def leaky_relu_(Z, zeros):
    """leaky_relu(Z) over Z: Z where Z > 0, else 0.01 Z."""
    return np.multiply(Z, LEAKY_RELU_SLOPE, out=Z, where=~(Z > 0))


def leaky_relu_times_derivative_(dA, A):
    """dA * leaky_relu'(Z) in dA: A > 0 exactly where Z > 0."""
    return np.multiply(dA, leaky_relu_derivative(A, A), out=dA)


def tanh_(Z, zeros):
    """tanh(Z) over Z."""
    return np.tanh(Z, out=Z)


def tanh_times_derivative_(dA, A):
    """dA * (1 - A * A) in dA, formed in A's array."""
    G = np.multiply(A, A, out=A)
    return np.multiply(dA, np.subtract(1.0, G, out=G), out=dA)


def linear_(Z, zeros):
    """g(Z) = Z: nothing to do."""
    return Z


def linear_times_derivative_(dA, A):
    """dA * 1.0 is dA, bit for bit."""
    return dA


def sigmoid_(Z, zeros):
    """sigmoid(Z) over Z, the same operations as `sigmoid`: 1 / (1 + exp(-Z))."""
    E = np.exp(np.negative(Z, out=Z), out=Z)
    E += 1.0
    return np.divide(1.0, E, out=E)


def sigmoid_times_derivative_(dA, A):
    """dA * A (1 - A) in dA."""
    return np.multiply(dA, sigmoid_derivative(A, A), out=dA)


def softmax_(Z, zeros):
    """Column-wise softmax over Z, the same operations as `softmax`."""
    E = np.exp(np.subtract(Z, Z.max(axis=0, keepdims=True), out=Z), out=Z)
    return np.divide(E, E.sum(axis=0, keepdims=True), out=E)


def softmax_times_derivative_(dA, A):
    """Not elementwise, as softmax_derivative: softmax is an output paired with cross-entropy."""
    return softmax_derivative(A, A)


@dataclass(frozen=True)
class InPlace:
    """An activation's forms for the training step (fast_step.py), bit for bit the formulas' numbers.

    g_(Z, zeros) writes g(Z) over Z and returns it (zeros: see `relu_`); times_derivative_(dA, A) writes
    dA * g'(Z) into dA and returns it, with g'(Z) formed from A = g(Z) alone: Z is gone by then, so
    g'(Z, A) must depend on Z only through A. It may overwrite A (backprop no longer needs it).
    """

    g_: Callable
    times_derivative_: Callable


@dataclass(frozen=True)
class Activation:
    """One activation: g, its derivative g'(Z, A), whether it may sit in a hidden layer, its in-place forms.

    in_place: the training step's forms (see `InPlace`), or None: the step then applies g and g'(Z, A)
    themselves to that layer, keeping Z^[l] and A^[l] (the same numbers, one allocation more per layer).
    """

    name: str
    g: Callable
    derivative: Callable
    hidden_ok: bool = True
    in_place: InPlace | None = None

    def __call__(self, Z):
        return self.g(Z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative,
                          in_place=InPlace(sigmoid_, sigmoid_times_derivative_)),
    "tanh": Activation("tanh", tanh, tanh_derivative, in_place=InPlace(tanh_, tanh_times_derivative_)),
    "relu": Activation("relu", relu, relu_derivative, in_place=InPlace(relu_, relu_times_derivative_)),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_derivative,
                             in_place=InPlace(leaky_relu_, leaky_relu_times_derivative_)),
    "linear": Activation("linear", linear, linear_derivative, in_place=InPlace(linear_, linear_times_derivative_)),
    "softmax": Activation("softmax", softmax, softmax_derivative, hidden_ok=False,
                          in_place=InPlace(softmax_, softmax_times_derivative_)),
}


def get_activation(name: str) -> Activation:
    """The registered activation called `name`; a ConfigError with the valid choices otherwise."""
    return lookup(ACTIVATIONS, name, "activation")
