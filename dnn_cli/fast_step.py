"""The training loop's step: forward, cost and backward for one batch, into arrays reused across batches.

`train_step` computes the numbers of Network.forward, Network.cost and Network.backward bit for bit
(tests/test_fast_path.py and tests/test_bit_identity.py check it), without new arrays per operation.
Network keeps the course's readable formulas; this module is what training runs, and what
`dnn gradcheck` checks against finite differences alongside Network.backward.

`Workspace` holds the arrays, per batch size m: A[l] of shape (n^[l], m) holds Z^[l] and then,
overwritten in place, A^[l] = g^[l](Z^[l]); dZ[l] of shape (n^[l], m) holds dA^[l] and then dZ^[l].
The gradients dW^[l], db^[l] are views into one flat array `grad` (d theta, in theta's order), so
scaling them all by 1/m is one operation and an optimizer updates theta with whole-vector operations.
A mini-batch of a sample-major X is gathered into a reused array too (`Workspace.columns`).

Every activation and loss names its in-place forms in its registry entry (activations.InPlace,
losses.InPlaceLoss). Keeping A^[l] in place of Z^[l] is exact because each registered g' is formed
from A alone: it depends on Z only through its sign, which A shares (relu, leaky_relu), or not at
all (sigmoid, tanh, linear). Once backprop has used A^[l] for dW^[l+1], nothing reads it again, so a
g' may be formed in A^[l]'s own array. A layer whose activation has no in-place forms keeps Z^[l] in
the workspace and A^[l] = g(Z^[l]) in a new array, and backprop multiplies by g'(Z^[l], A^[l]).

Run the step under np.errstate(over="ignore"), as the training loop does: the in-place sigmoid and
softmax let exp overflow to inf (which gives the exact limit, 0). Called outside it, a saturated
sigmoid unit reports the overflow as a RuntimeWarning, and the numbers are the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .network import Gradients
from .parameters import parameter_views

SMALL = 1 << 16          # entries up to which an array counts as small (512 KiB of float64)


class Buffers(NamedTuple):
    """The step's arrays for one batch size m (see Workspace.buffers)."""

    A: list
    dZ: list
    T: np.ndarray
    U: np.ndarray
    zeros: list


def zeros_like_small(shape, dtype):
    """A read-only array of zeros of `shape` when it is small, else the scalar 0.0.

    NumPy's maximum is about 3x faster on two small arrays than on an array and a scalar; for large
    ones memory traffic dominates and an extra array would only cost memory.
    """
    if np.prod(shape) > SMALL:
        return 0.0
    zeros = np.zeros(shape, dtype)
    zeros.flags.writeable = False
    return zeros


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

    def buffers(self, m: int) -> Buffers:
        """(A, dZ, T, U, zeros) for batch size m: A and dZ lists of (n^[l], m) arrays for l = 1..L, T and U
        two (n^[L], m) scratch arrays for the cost, zeros[l] 0 in A[l]'s shape for in-place forms that
        compare with 0 (a read-only array when small, else 0.0)."""
        n = self.layers[1:]
        return self._reused("step", m, lambda: Buffers(
            [np.empty((k, m), self.dtype) for k in n], [np.empty((k, m), self.dtype) for k in n],
            np.empty((n[-1], m), self.dtype), np.empty((n[-1], m), self.dtype),
            [zeros_like_small((k, m), self.dtype) for k in n]))

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


def labels_if_binary(network, Y):
    """Y == 1 as a bool array when the loss has a form for labels of exactly 0 or 1 and every label is, else None.

    train_step then takes the cost's shorter form, which gives the same numbers.
    """
    forms = network.loss.in_place
    if forms is None or forms.of_labels_ is None or not ((Y == 0) | (Y == 1)).all():
        return None
    return Y == 1


def train_step(network, X, Y, workspace: Workspace, *, l2: float = 0.0, keep_prob=None, rng=None, Y_is_one=None,
               m_train: int | None = None):
    """Forward, cost and backward for one batch in `workspace`'s arrays: (J, A^[L], Gradients).

    The same numbers as network.cost(network.forward(X)) and network.backward(...), bit for bit. X (n^[0], m)
    of the network's dtype; Y as `network.targets(Y)` returns it; Y_is_one (optional) from `labels_if_binary`,
    which lets the cost skip half its operations. A^[L] and the gradients are views into the workspace,
    valid until the next step. Run it under np.errstate(over="ignore"), as the training loop does.

    Matrix products are np.dot into preallocated arrays: the same BLAS products as `@` (bit for
    bit, which the tests check), with less call overhead for tiny matrices.

    m_train: the training set's size m when X is a mini-batch of m_b < m samples. The batch's objective
    is then (1/m_b) sum_batch L + (l2 / 2m) sum_l ||W^[l]||^2, whose gradient (1/m_b) sum dL + (l2/m) W
    estimates the gradient of the whole cost J without bias: l2 means the same for every batch size.
    """
    net = network
    m = X.shape[1]
    m_l2 = m if m_train is None else m_train
    As, dZs, T, U, zeros = workspace.buffers(m)
    seen, masks = [], None                       # A^[l-1] as layer l saw it; dropout masks
    kept = [None] * net.L                        # (Z^[l], A^[l]) of layers without in-place forms
    A = X
    for l, (W, b, g, Z) in enumerate(zip(net.W, net.b, net.g, As), start=1):
        seen.append(A)
        np.dot(W, A, out=Z)
        Z += b                                   # Z^[l] = W^[l] A^[l-1] + b^[l]
        if g.in_place is not None:
            A = g.in_place.g_(Z, zeros[l - 1])   # A^[l] = g^[l](Z^[l]), over Z^[l]
        else:
            A = g(Z)
            kept[l - 1] = (Z, A)
        if keep_prob is not None and l < net.L and keep_prob[l - 1] < 1.0:
            masks = masks or [None] * net.L
            masks[l - 1] = D = rng.random(A.shape) < keep_prob[l - 1]
            A = A * D / keep_prob[l - 1]
    AL = A
    loss = net.loss.in_place
    if loss is None:
        J = net.loss.cost(AL, Y)
    elif Y_is_one is not None:
        J = loss.of_labels_(AL, Y_is_one, T, U)
    else:
        J = loss.cost_(AL, Y, T, U)
    if l2:
        J = J + net.l2_cost(l2, m_l2)
    J = float(J)
    dZ = net.loss.output_delta(AL, Y) if loss is None else loss.output_delta_(AL, Y, dZs[-1])
    if net.g[-1].name != net.loss.canonical:
        if net.g[-1].in_place is not None:
            np.copyto(T, AL)                     # A^[L] goes back to the caller: g^[L]' is formed in T
        dZ = _times_derivative(dZ, net.g[-1], kept[-1], T)
    # Every gradient is (1/m) times a product or sum of dZ^[L]. When m is a power of two (the usual
    # mini-batch sizes) multiplying by 1/m is exact, so applying it once to dZ^[L] gives the same
    # numbers as scaling every dW^[l], db^[l] afterwards, in one small pass instead of a pass over
    # all of theta (it stays exact unless a value falls below the smallest normal number times m).
    scale_early = m & (m - 1) == 0
    if scale_early:
        dZ *= 1 / m
    dW, db = workspace.dW, workspace.db
    for l in range(net.L, 0, -1):
        np.dot(dZ, seen[l - 1].T, out=dW[l - 1])                     # dW^[l] = dZ^[l] A^[l-1]^T (x 1/m)
        np.add.reduce(dZ, axis=1, keepdims=True, out=db[l - 1])     # db^[l] = sum(dZ^[l]) (x 1/m)
        if l > 1:
            dA = np.dot(net.W[l - 1].T, dZ, out=dZs[l - 2])         # dA^[l-1] = W^[l]^T dZ^[l]
            if masks is not None and masks[l - 2] is not None:
                np.multiply(dA, masks[l - 2], out=dA)
                dA /= keep_prob[l - 2]
            dZ = _times_derivative(dA, net.g[l - 2], kept[l - 2], As[l - 2])   # dZ^[l-1] = dA^[l-1] * g'(Z^[l-1])
    if not scale_early:
        workspace.grad *= 1 / m
    if l2:
        for dW_l, W in zip(dW, net.W):
            dW_l += (l2 / m_l2) * W
    return J, AL, Gradients(dW, db, workspace.grad)


def _times_derivative(dA, g, kept, A):
    """dA * g'(Z) into dA: from A (which it may overwrite) by g's in-place form, else g'(Z, A) from `kept`."""
    if g.in_place is not None:
        return g.in_place.times_derivative_(dA, A)
    Z, A = kept
    return np.multiply(dA, g.derivative(Z, A), out=dA)
