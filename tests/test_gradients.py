"""Backprop against centred finite differences of the cost, per tensor, in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dnn_cli.network import Network

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUTS = [  # (output activation, loss, n^[L])
    ("sigmoid", "binary_cross_entropy", 1),
    ("softmax", "cross_entropy", 3),
    ("linear", "mse", 2),
    ("tanh", "mse", 1),
    ("sigmoid", "mse", 2),
]
H = 1e-5


def targets(loss, n_L, m, rng):
    if loss == "cross_entropy":
        return rng.integers(0, n_L, size=(1, m))
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n_L, m)).astype(float)
    return rng.standard_normal((n_L, m))


def kink_free_network(layers, activations, loss, seed):
    """A network and data whose pre-activations all lie at least 1e-3 away from ReLU's kink at 0."""
    for s in itertools.count(seed):
        rng = np.random.default_rng(s)
        net = Network.initialize(layers, activations, "xavier", rng=rng, loss=loss)
        for b in net.b:
            b[...] = rng.standard_normal(b.shape) * 0.1
        X = rng.standard_normal((layers[0], 7))
        _, caches = net.forward(X)
        if all(np.abs(c.Z).min() > 1e-3 for c in caches[:-1]):
            return net, X, rng


def relative_difference(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))


def numeric_gradient(net, P, X, Y, l2=0.0):
    grad = np.zeros_like(P)
    for i in np.ndindex(P.shape):
        saved = P[i]
        P[i] = saved + H
        plus = net.cost(net.forward(X)[0], Y, l2=l2)
        P[i] = saved - H
        minus = net.cost(net.forward(X)[0], Y, l2=l2)
        P[i] = saved
        grad[i] = (plus - minus) / (2 * H)
    return grad


def check(net, X, Y, l2=0.0):
    AL, caches = net.forward(X)
    grads = net.backward(Y, caches, l2=l2)
    for l in range(1, net.L + 1):
        for name, P, analytic in (("W", net.W[l - 1], grads.dW[l - 1]), ("b", net.b[l - 1], grads.db[l - 1])):
            assert analytic.shape == P.shape
            diff = relative_difference(analytic, numeric_gradient(net, P, X, Y, l2))
            assert diff < 1e-7, f"{name}^[{l}]: relative difference {diff:.3g}"


CASES = [
    pytest.param(hidden, out, depth, id=f"{hidden}-{out[0]}+{out[1]}-L{depth}")
    for depth in (2, 3, 4) for hidden in HIDDEN for out in OUTPUTS
] + [pytest.param("none", out, 1, id=f"{out[0]}+{out[1]}-L1") for out in OUTPUTS]


@pytest.mark.parametrize("hidden, output, depth", CASES)
def test_backprop_matches_finite_differences(hidden, output, depth):
    g_L, loss, n_L = output
    layers = [3] + [4, 3, 5][: depth - 1] + [n_L]
    activations = [hidden] * (depth - 1) + [g_L]
    net, X, rng = kink_free_network(layers, activations, loss, seed=depth)
    check(net, X, targets(loss, n_L, X.shape[1], rng))


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_l2_regularised_cost_gradient(hidden):
    net, X, rng = kink_free_network([3, 4, 3, 1], [hidden, hidden, "sigmoid"], "auto", seed=11)
    check(net, X, targets("binary_cross_entropy", 1, X.shape[1], rng), l2=0.7)


def test_dropout_gradient_with_the_masks_held_fixed():
    net, X, rng = kink_free_network([3, 5, 4, 1], ["tanh", "relu", "sigmoid"], "auto", seed=5)
    Y = targets("binary_cross_entropy", 1, X.shape[1], rng)
    keep = [0.6, 0.8]
    AL, caches = net.forward(X, keep_prob=keep, rng=np.random.default_rng(9))
    grads = net.backward(Y, caches)

    def cost():  # the same masks every time: the cost is then a smooth function of the parameters
        return net.cost(net.forward(X, keep_prob=keep, rng=np.random.default_rng(9))[0], Y)

    for l in range(1, net.L + 1):
        for P, analytic in ((net.W[l - 1], grads.dW[l - 1]), (net.b[l - 1], grads.db[l - 1])):
            numeric = np.zeros_like(P)
            for i in np.ndindex(P.shape):
                saved = P[i]
                P[i] = saved + H
                plus = cost()
                P[i] = saved - H
                numeric[i] = (plus - cost()) / (2 * H)
                P[i] = saved
            assert relative_difference(analytic, numeric) < 1e-7
