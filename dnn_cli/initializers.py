"""Weight initialisation schemes: W^[l] of shape (n^[l], n^[l-1]), b^[l] of zeros (n^[l], 1).

Every scheme draws from the explicit `rng` it is given, layer by layer from l = 1 to L,
so the same seed gives the same parameters in every run.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import lookup


def zeros(n, n_prev, rng, scale):
    """All-zero W: every hidden unit of a layer computes the same thing forever."""
    return np.zeros((n, n_prev))


def random(n, n_prev, rng, scale):
    """randn * scale (the course's randn * 0.01): small random weights break the symmetry."""
    return rng.standard_normal((n, n_prev)) * scale


def he(n, n_prev, rng, scale):
    """randn * sqrt(2 / n^[l-1]): keeps the variance of ReLU activations constant with depth."""
    return rng.standard_normal((n, n_prev)) * math.sqrt(2.0 / n_prev)


def xavier(n, n_prev, rng, scale):
    """randn * sqrt(1 / n^[l-1]): the course's Xavier variant, for tanh layers."""
    return rng.standard_normal((n, n_prev)) * math.sqrt(1.0 / n_prev)


INITIALIZERS = {"zeros": zeros, "random": random, "he": he, "xavier": xavier}


def get_initializer(name: str):
    """The registered scheme called `name`; a ConfigError with the valid choices otherwise."""
    return lookup(INITIALIZERS, name, "init scheme")


def initialize(layers, init="random", *, rng, init_scale=0.01, dtype=np.float64):
    """Parameters for layer sizes n^[0..L]: lists W (W^[l] is (n^[l], n^[l-1])) and b (b^[l] is (n^[l], 1)).

    The numbers are drawn in float64 and then cast, so float32 and float64 runs start from the
    same parameters up to rounding.
    """
    scheme = get_initializer(init)
    W, b = [], []
    for n_prev, n in zip(layers[:-1], layers[1:]):
        W.append(np.asarray(scheme(n, n_prev, rng, init_scale), dtype=dtype))
        b.append(np.zeros((n, 1), dtype=dtype))
    return W, b
