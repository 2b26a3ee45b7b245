"""The training loop's fast step (fast_step.train_step) against the reference forward, cost, backward.

Every case here is bit-identical: the fast step does the same floating-point operations in the same
order, only into preallocated arrays, so the comparisons are exact (assert_array_equal, ==).
"""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli.activations import ACTIVATIONS
from dnn_cli.fast_step import SMALL, Workspace, labels_if_binary, train_step, zeros_like_small
from dnn_cli.losses import LOSSES
from dnn_cli.network import Network
from dnn_cli.optimizers import OPTIMIZERS
from dnn_cli.training import iter_epochs

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUTS = [("sigmoid", "binary_cross_entropy", 1), ("softmax", "cross_entropy", 3), ("linear", "mse", 2),
           ("tanh", "mse", 1), ("sigmoid", "mse", 2)]
Z = np.array([[-800.0, -3.0, -0.5, -0.0, 0.0, 0.25, 2.0, 800.0],
              [1.5, -1.25, 0.75, -2.5, 40.0, -40.0, 1e-300, -1e-300]])


def test_every_activation_and_loss_has_an_in_place_form():
    assert all(g.in_place is not None for g in ACTIVATIONS.values())
    assert all(loss.in_place is not None for loss in LOSSES.values())


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_in_place_activation_is_bit_identical(name, dtype):
    X = Z.astype(dtype)
    with np.errstate(over="ignore"):
        expected = ACTIVATIONS[name](X)
        got = ACTIVATIONS[name].in_place.g_(X.copy(), zeros_like_small(X.shape, X.dtype))
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype


@pytest.mark.parametrize("size", [SMALL, SMALL + 1], ids=["small", "large"])
def test_in_place_relu_is_bit_identical_against_cached_zeros_and_against_the_scalar(size):
    Z = np.random.default_rng(0).standard_normal((1, size))
    Z[0, :4] = [-0.0, 0.0, np.nan, -np.inf]
    expected = ACTIVATIONS["relu"](Z)
    zeros = zeros_like_small(Z.shape, Z.dtype)
    got = ACTIVATIONS["relu"].in_place.g_(Z.copy(), zeros)
    assert got.tobytes() == expected.tobytes()           # the sign of zero too
    assert (zeros == 0.0) if size > SMALL else (not zeros.flags.writeable and not zeros.any())


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"softmax"}))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_in_place_derivative_from_a_alone_is_bit_identical(name, dtype):
    # The workspace keeps A^[l] over Z^[l]; the in-place g' sees A only, and gives dA * g'(Z, A) exactly.
    g = ACTIVATIONS[name]
    X = Z.astype(dtype)
    with np.errstate(over="ignore"):
        A = g(X)
    dA = np.random.default_rng(1).standard_normal(X.shape).astype(dtype)
    expected = dA * g.derivative(X, A)
    got = g.in_place.times_derivative_(dA.copy(), A.copy())
    assert got.tobytes() == expected.tobytes()


def problem(hidden, output, dtype, seed=0, m=13):
    g_L, loss, n_L = output
    rng = np.random.default_rng(seed)
    net = Network.initialize([3, 6, 5, n_L], [hidden, hidden, g_L], "xavier", rng=rng, loss=loss, dtype=dtype)
    for b in net.b:
        b[...] = rng.standard_normal(b.shape) * 0.1
    X = rng.standard_normal((3, m)).astype(dtype)
    if loss == "cross_entropy":
        Y = rng.integers(0, n_L, size=(1, m))
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(1, m))
    else:
        Y = rng.standard_normal((n_L, m))
    return net, X, net.targets(Y)


CASES = [pytest.param(h, o, id=f"{h}-{o[0]}+{o[1]}") for h in HIDDEN for o in OUTPUTS]


@pytest.mark.parametrize("hidden, output", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("l2, keep", [(0.0, None), (0.7, None), (0.0, [0.6, 0.8]), (0.3, [0.5, 1.0])],
                         ids=["plain", "l2", "dropout", "l2+dropout"])
@pytest.mark.parametrize("m", [13, 16], ids=["m=13", "m=16 (1/m exact, applied to dZ^[L])"])
def test_fast_step_is_bit_identical_to_forward_cost_backward(hidden, output, dtype, l2, keep, m):
    net, X, Y = problem(hidden, output, dtype, m=m)
    AL, caches = net.forward(X, keep_prob=keep, rng=np.random.default_rng(9))
    J = net.cost(AL, Y, l2=l2)
    grads = net.backward(Y, caches, l2=l2)
    workspace = Workspace(net)
    Y_is_one = labels_if_binary(net, Y)           # binary cross-entropy on 0/1 labels: the short form
    assert (Y_is_one is not None) == (output[1] == "binary_cross_entropy")
    for _ in range(2):  # the second step reuses the workspace's arrays
        J_fast, AL_fast, fast = train_step(net, X, Y, workspace, l2=l2, keep_prob=keep, rng=np.random.default_rng(9),
                                           Y_is_one=Y_is_one)
        assert J_fast == J
        np.testing.assert_array_equal(AL_fast, AL)
        for expected, got in zip(grads.dW + grads.db, fast.dW + fast.db):
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)


def reference_loop(net, X, Y, *, epochs, learning_rate, batch_size, l2, keep, optimizer, seed):
    """iter_epochs written with the slow, obvious forward / cost / backward."""
    from dnn_cli.training import batches, new_state

    state = new_state(net, optimizer=optimizer, rng=np.random.default_rng(seed))
    Y = net.targets(Y)
    costs = []
    for _ in range(epochs):
        total = []
        for idx in batches(X.shape[1], batch_size, state.rng):
            AL, caches = net.forward(X[:, idx], keep_prob=keep, rng=state.rng)
            # L2 as the course writes J: (l2 / 2m) ||W||^2 with m the training set's size, in every batch.
            m_train = X.shape[1]
            total.append((net.cost(AL, Y[:, idx], l2=l2, m_train=m_train), Y[:, idx].shape[1]))
            grads = net.backward(Y[:, idx], caches, l2=l2, m_train=m_train)
            state.optimizer.step(net.theta, grads.vector(), learning_rate)
        costs.append(total[0][0] if len(total) == 1 else sum(J * n for J, n in total) / X.shape[1])
    return costs


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_size, l2, keep", [("full", 0.0, None), (4, 0.0, None), (5, 0.4, [0.7, 0.9])],
                         ids=["full", "minibatch", "minibatch+l2+dropout"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["sample-major", "C"])
def test_training_loop_is_bit_identical_to_the_reference_loop(optimizer, batch_size, l2, keep, dtype, layout):
    net, X, Y = problem("relu", ("softmax", "cross_entropy", 3), dtype, seed=3, m=18)
    X = np.asfortranarray(X) if layout == "sample-major" else np.ascontiguousarray(X)
    copy = Network([W.copy() for W in net.W], [b.copy() for b in net.b], net.activations)
    options = dict(epochs=4, learning_rate=0.05, batch_size=batch_size, l2=l2)
    results = list(iter_epochs(net, X, Y, keep_prob=keep if keep else 1.0, optimizer=optimizer,
                               rng=np.random.default_rng(2), log_every=2, **options))
    expected = reference_loop(copy, X, Y, keep=keep, optimizer=optimizer, seed=2, **options)
    assert [r.cost for r in results] == expected
    for P, Q in zip(net.W + net.b, copy.W + copy.b):
        np.testing.assert_array_equal(P, Q)


def test_workspace_shapes_and_flat_gradients():
    net = Network.initialize([2, 4, 1], ["tanh", "sigmoid"], rng=np.random.default_rng(0))
    ws = Workspace(net)
    assert ws.grad.size == net.n_parameters == 17
    assert [dW.shape for dW in ws.dW] == [(4, 2), (1, 4)] and [db.shape for db in ws.db] == [(4, 1), (1, 1)]
    assert all(np.shares_memory(ws.grad, d) for d in ws.dW + ws.db)
    A, dZ, T, U, zeros = ws.buffers(400)
    assert [z.shape for z in zeros] == [(4, 400), (1, 400)] and not zeros[0].flags.writeable
    assert [a.shape for a in A] == [(4, 400), (1, 400)] and [d.shape for d in dZ] == [(4, 400), (1, 400)]
    assert ws.buffers(400)[0][0] is A[0]


@pytest.mark.parametrize("layout", ["sample-major", "C"])
def test_batch_columns_are_x_at_idx(layout):
    X = np.random.default_rng(0).standard_normal((5, 40))
    X = np.asfortranarray(X) if layout == "sample-major" else X
    ws = Workspace(Network.initialize([5, 3, 1], ["relu", "sigmoid"], rng=np.random.default_rng(1)))
    for idx in (np.array([7, 0, 39, 3]), np.array([5, 6]), np.array([1, 2, 30, 31])):
        got = ws.columns(X, idx)
        assert got.tobytes() == X[:, idx].tobytes() and got.shape == (5, len(idx))
        assert np.shares_memory(got, X) is False
    rows = [m for kind, m in ws._arrays if kind == "rows"]
    assert sorted(rows) == ([2, 4] if layout == "sample-major" else [])    # one reused array per batch size


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_np_dot_into_out_is_bit_identical_to_matmul(dtype):
    # The fast step multiplies with np.dot(..., out=); the reference path with @.
    rng = np.random.default_rng(5)
    shapes = [(4, 2, 400), (1, 4, 400), (4, 1, 400), (4, 400, 2), (1, 1, 1), (10, 5, 1), (256, 784, 16)]
    shapes += [tuple(int(v) for v in rng.integers(1, 70, 3)) for _ in range(100)]
    for n, k, m in shapes:
        A = rng.standard_normal((n, k)).astype(dtype)
        B = rng.standard_normal((k, m)).astype(dtype)
        for P, Q in [(A, B), (A, np.asfortranarray(B)), (np.asfortranarray(A), B), (A.T.copy().T, B.T.copy().T)]:
            out = np.empty((n, m), dtype)
            np.dot(P, Q, out=out)
            assert out.tobytes() == (P @ Q).tobytes(), (n, k, m)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_cross_entropy_with_soft_labels_takes_the_full_form(dtype):
    net, X, _ = problem("tanh", ("sigmoid", "binary_cross_entropy", 1), dtype)
    Y = np.random.default_rng(4).uniform(0, 1, (1, X.shape[1])).astype(dtype)
    Y[0, :3] = [0.0, 1.0, 0.5]
    assert labels_if_binary(net, Y) is None
    AL, caches = net.forward(X)
    J_fast, _, fast = train_step(net, X, Y, Workspace(net))
    assert J_fast == net.cost(AL, Y)
    np.testing.assert_array_equal(fast.vector(), net.backward(Y, caches).vector())
