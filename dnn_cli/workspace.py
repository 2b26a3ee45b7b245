"""Preallocated arrays for the training loop's fast step, reused across batches and epochs.

All buffer bookkeeping of `Network.train_step` lives here, so the step itself reads as the course's
formulas. Per batch size m: A[l] of shape (n^[l], m) holds Z^[l] and then, overwritten in place,
A^[l] = g^[l](Z^[l]); dZ[l] of shape (n^[l], m) holds dA^[l] and then dZ^[l]. The gradients dW^[l],
db^[l] are views into one flat array `grad` (d theta, in theta's order), so scaling them all by 1/m
is one operation and an optimizer updates theta with whole-vector operations. A mini-batch of a
sample-major X is gathered into a reused array too (`Workspace.columns`).

Keeping A^[l] in place of Z^[l] is exact because every registered derivative g'(Z, A) depends on Z
only through its sign, which A shares (relu, leaky_relu) or not at all (sigmoid, tanh, linear):
g'(A, A) == g'(Z, A) bit for bit. tests/test_fast_path.py checks this for every activation. Once
backprop has used A^[l] for dW^[l+1], nothing reads it again, so relu's and tanh's g' are formed
in A^[l]'s own array.

The in-place sigmoid and softmax let exp overflow to inf (which gives the exact limit, 0) without
their own np.errstate: the training loop runs every step under one. Called outside it, a saturated
sigmoid unit reports the overflow as a RuntimeWarning, and the numbers are the same.
"""

from __future__ import annotations

import numpy as np

from .activations import LEAKY_RELU_SLOPE
from .parameters import parameter_views

SMALL = 1 << 16          # entries up to which an array counts as small (512 KiB of float64)
_zeros: dict = {}


def zeros_like_small(Z):
    """A cached, read-only array of zeros in Z's shape and dtype when Z is small, else the scalar 0.0.

    NumPy's maximum is about 3x faster on two small arrays than on an array and a scalar; for large
    ones memory traffic dominates and an extra array would only cost memory.
    """
    if Z.size > SMALL:
        return 0.0
    key = (Z.shape, Z.dtype)
    zeros = _zeros.get(key)
    if zeros is None:
        if len(_zeros) >= 32:
            _zeros.clear()
        zeros = _zeros[key] = np.zeros(Z.shape, Z.dtype)
        zeros.flags.writeable = False
    return zeros


def relu_(Z):
    """relu(Z) in place: max(0, Z), bit for bit the same against an array of zeros as against 0.0."""
    return np.maximum(Z, zeros_like_small(Z), out=Z)


def leaky_relu_(Z):
    """leaky_relu(Z) in place: Z where Z > 0, else 0.01 Z."""
    return np.multiply(Z, LEAKY_RELU_SLOPE, out=Z, where=~(Z > 0))


def tanh_(Z):
    """tanh(Z) in place."""
    return np.tanh(Z, out=Z)


def linear_(Z):
    """g(Z) = Z: nothing to do."""
    return Z


def sigmoid_(Z):
    """sigmoid(Z) in place, the same operations as activations.sigmoid: 1 / (1 + exp(-Z))."""
    E = np.exp(np.negative(Z, out=Z), out=Z)
    E += 1.0
    return np.divide(1.0, E, out=E)


def softmax_(Z):
    """Column-wise softmax in place, the same operations as activations.softmax."""
    E = np.exp(np.subtract(Z, Z.max(axis=0, keepdims=True), out=Z), out=Z)
    return np.divide(E, E.sum(axis=0, keepdims=True), out=E)


IN_PLACE = {"relu": relu_, "leaky_relu": leaky_relu_, "tanh": tanh_, "linear": linear_, "sigmoid": sigmoid_,
            "softmax": softmax_}


def times_derivative_(dA, g, A):
    """dZ = dA * g'(Z) in place in dA, with g'(Z) from A, which it may overwrite (see the module's note)."""
    if g.name == "relu":
        # A > 0 exactly where Z > 0; written into A as 1.0 / 0.0, relu_derivative's array.
        return np.multiply(dA, np.greater(A, 0.0, out=A), out=dA)
    if g.name == "tanh":
        G = np.multiply(A, A, out=A)
        return np.multiply(dA, np.subtract(1.0, G, out=G), out=dA)       # tanh' = 1 - A * A
    if g.name == "linear":
        return dA                                                        # dA * 1.0 is dA, bit for bit
    return np.multiply(dA, g.derivative(A, A), out=dA)


def minus_(AL, Y, out):
    """dZ^[L] = A^[L] - Y into out (sigmoid + binary cross-entropy, softmax + cross-entropy)."""
    return np.subtract(AL, Y, out=out)


def mse_delta_(AL, Y, out):
    """losses.mse_delta into out: (2 / n^[L]) (A^[L] - Y)."""
    D = np.subtract(AL, Y, out=out)
    return np.multiply(2.0 / Y.shape[0], D, out=D)


DELTAS_IN_PLACE = {"binary_cross_entropy": minus_, "cross_entropy": minus_, "mse": mse_delta_}


def _clipped_(AL, out):
    eps = np.finfo(AL.dtype).eps
    return np.minimum(np.maximum(AL, eps, out=out), 1.0 - eps, out=out)   # np.clip(AL, eps, 1 - eps)


def binary_cross_entropy_(AL, Y, T, U):
    """losses.binary_cross_entropy in the scratch arrays T, U (of AL's shape): the same operations."""
    A = _clipped_(AL, T)
    U = np.log(np.subtract(1.0, A, out=U), out=U)
    U *= np.subtract(1.0, Y)
    T = np.log(A, out=T)
    T *= Y
    T += U
    return -np.add.reduce(T, axis=None) / Y.shape[1]


def binary_cross_entropy_of_labels_(AL, Y_is_one, T, U):
    """losses.binary_cross_entropy for labels that are all exactly 0 or 1 (Y_is_one: Y == 1), bit for bit.

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
    """losses.cross_entropy in the scratch array T: the same operations."""
    T = np.log(_clipped_(AL, T), out=T)
    T *= Y
    return -np.add.reduce(T, axis=None) / Y.shape[1]


def mse_(AL, Y, T, U):
    """losses.mse in the scratch array T: the same operations."""
    D = np.subtract(AL, Y, out=T)
    D *= D
    return np.add.reduce(D, axis=None) / D.size


COSTS_IN_PLACE = {"binary_cross_entropy": binary_cross_entropy_, "cross_entropy": cross_entropy_, "mse": mse_}


class Workspace:
    """The fast step's arrays for one network: per-batch-size activations and deltas, flat gradients.

    Example: for layers [2, 4, 1] and m = 400, A[0] is (4, 400), A[1] is (1, 400); dW[0] is a (4, 2)
    view and db[0] a (4, 1) view of `grad`, which has 4*2 + 4 + 1*4 + 1 = 17 entries.
    """

    def __init__(self, network):
        self.layers = list(network.layers)
        self.dtype = network.dtype
        self.grad = np.empty(network.n_parameters, dtype=self.dtype)
        self.dW, self.db = parameter_views(self.grad, self.layers)
        self._arrays = {}           # (kind, batch size) -> arrays made on first use

    def _reused(self, kind: str, m: int, make):
        """The arrays of `kind` for batch size m, made by make() on first use.

        A training run sees at most two batch sizes (the batch and the last, smaller one); a cache
        that fills up anyway (a library caller varying m) is emptied rather than grown.
        """
        found = self._arrays.get((kind, m))
        if found is None:
            if len(self._arrays) >= 8:
                self._arrays.clear()
            found = self._arrays[kind, m] = make()
        return found

    def buffers(self, m: int):
        """(A, dZ, T, U) for batch size m: A and dZ lists of (n^[l], m) arrays for l = 1..L, T and U
        two (n^[L], m) scratch arrays for the cost."""
        n = self.layers[1:]
        return self._reused("step", m, lambda: (
            [np.empty((k, m), self.dtype) for k in n], [np.empty((k, m), self.dtype) for k in n],
            np.empty((n[-1], m), self.dtype), np.empty((n[-1], m), self.dtype)))

    def columns(self, X, idx):
        """X[:, idx], the mini-batch's samples, bit for bit.

        When X is sample-major (X.T C-contiguous, as dnn's loaders keep it) the batch is gathered as
        whole rows of X.T into a reused (m, n^[0]) array, and its transpose returned; otherwise by
        fancy indexing, which reads one entry from every row of X for each sample.
        """
        XT = X.T
        if not XT.flags.c_contiguous:
            return X[:, idx]
        rows = self._reused("rows", len(idx), lambda: np.empty((len(idx), X.shape[0]), X.dtype))
        # mode="clip" only skips take's buffered bounds check: idx is a permutation's slice, always in range.
        return XT.take(idx, axis=0, out=rows, mode="clip").T

    def __repr__(self) -> str:
        batch_sizes = sorted({m for _, m in self._arrays})
        return f"Workspace(layers={self.layers}, dtype={self.dtype}, batch_sizes={batch_sizes})"
