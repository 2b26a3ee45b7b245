"""Network shapes, the course's parameter dict, hand-derived numbers, and an autograd oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnn_cli.errors import ConfigError
from dnn_cli.losses import LOSSES, binary_cross_entropy, cross_entropy, mse, resolve_loss
from dnn_cli.network import Network, shape_rows
from dnn_cli.training import train


def test_parameter_shapes_follow_the_course_notation():
    net = Network.initialize([3, 5, 5, 3, 1], ["relu"] * 3 + ["sigmoid"], rng=np.random.default_rng(0))
    assert net.L == 4
    assert [W.shape for W in net.W] == [(5, 3), (5, 5), (3, 5), (1, 3)]
    assert [b.shape for b in net.b] == [(5, 1), (5, 1), (3, 1), (1, 1)]
    assert all(not b.any() for b in net.b)
    AL, caches = net.forward(np.zeros((3, 7)))
    assert AL.shape == (1, 7)
    assert [c.Z.shape for c in caches] == [(5, 7), (5, 7), (3, 7), (1, 7)]


def test_shape_rows_for_the_seed_example():
    rows = shape_rows([3, 5, 5, 3, 1], {"hidden": "relu", "output": "sigmoid"}, m=10)
    assert [r["W"] for r in rows] == [(5, 3), (5, 5), (3, 5), (1, 3)]
    assert [r["Z"] for r in rows] == [(5, 10), (5, 10), (3, 10), (1, 10)]
    assert [r["g"] for r in rows] == ["relu", "relu", "relu", "sigmoid"]
    assert sum(r["parameters"] for r in rows) == 5 * 3 + 5 + 5 * 5 + 5 + 3 * 5 + 3 + 1 * 3 + 1


@pytest.mark.parametrize("init, std", [("random", 0.01), ("he", math.sqrt(2 / 400)), ("xavier", math.sqrt(1 / 400))])
def test_init_scales(init, std):
    net = Network.initialize([400, 300, 1], ["tanh", "sigmoid"], init, rng=np.random.default_rng(0))
    np.testing.assert_allclose(net.W[0].std(), std, rtol=0.02)


def test_zeros_init_and_float32_dtype():
    net = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], "zeros", dtype=np.float32)
    assert all(not W.any() for W in net.W)
    assert net.W[0].dtype == np.float32 and net.forward(np.ones((2, 4)))[0].dtype == np.float32


def test_course_parameter_dict_round_trips_unchanged():
    rng = np.random.default_rng(1)
    params = {"W1": rng.standard_normal((4, 2)), "b1": rng.standard_normal((4, 1)),
              "W2": rng.standard_normal((1, 4)), "b2": rng.standard_normal((1, 1))}
    net = Network.from_parameters(params, ["tanh", "sigmoid"])
    out = net.parameters()
    assert list(out) == ["W1", "b1", "W2", "b2"]
    for key in params:
        np.testing.assert_array_equal(out[key], params[key])


def test_parameters_live_in_one_flat_theta_in_the_courses_order():
    W = [np.arange(8.0).reshape(4, 2), np.arange(4.0).reshape(1, 4)]
    b = [np.full((4, 1), -1.0), np.full((1, 1), -2.0)]
    net = Network(W, b, ["tanh", "sigmoid"])
    expected = np.concatenate([W[0].ravel(), b[0].ravel(), W[1].ravel(), b[1].ravel()])
    np.testing.assert_array_equal(net.theta, expected)
    assert net.n_parameters == net.theta.size == 17
    assert all(np.shares_memory(net.theta, P) for P in net.W + net.b)
    assert not any(np.shares_memory(P, given) for P, given in zip(net.W + net.b, W + b))  # copies
    net.W[1][0, 2] = 7.5                          # in place: theta sees it
    assert net.theta[14] == 7.5 and W[1][0, 2] == 2.0
    assert net.astype(np.float32).theta.dtype == np.float32
    assert Network([np.ones((1, 1), dtype=np.int64)], [np.zeros((1, 1))], ["linear"]).dtype == np.float64


def test_from_parameters_names_the_missing_array():
    with pytest.raises(ConfigError, match="'b2'"):
        Network.from_parameters({"W1": np.ones((2, 2)), "b1": np.ones((2, 1)), "W2": np.ones((1, 2))},
                                ["tanh", "sigmoid"])


@pytest.mark.parametrize("activations, message", [
    (["softmax", "sigmoid"], "may only be the output"),
    (["tanh"], "expected 2"),
    (["tanh", "tanhh"], "did you mean 'tanh'"),
])
def test_bad_architectures_are_config_errors(activations, message):
    with pytest.raises(ConfigError, match=message):
        Network.initialize([2, 3, 1], activations)


def test_loss_must_fit_the_output():
    with pytest.raises(ConfigError, match="does not fit the output activation 'linear'"):
        resolve_loss("binary_cross_entropy", "linear")
    assert resolve_loss("auto", "sigmoid").name == "binary_cross_entropy"
    assert resolve_loss("auto", "softmax").name == "cross_entropy"
    assert resolve_loss("auto", "linear").name == "mse"


def test_course_compute_cost_example():
    # The course's compute_cost test case: A2 = [[0.5002307, 0.49985831, 0.50023963]],
    # Y = [[1, 0, 0]] gives cost = 0.6930587610394646.
    cost = binary_cross_entropy(np.array([[0.5002307, 0.49985831, 0.50023963]]), np.array([[1.0, 0.0, 0.0]]))
    assert cost == pytest.approx(0.6930587610394646, rel=1e-15)


def test_costs_against_closed_forms():
    A = np.array([[0.2, 0.7], [0.5, 0.1], [0.3, 0.2]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    assert cross_entropy(A, Y) == pytest.approx(-(math.log(0.5) + math.log(0.7)) / 2, rel=1e-15)
    assert mse(A, Y) == pytest.approx(np.mean((A - Y) ** 2), rel=1e-15)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_costs_stay_finite_when_outputs_saturate(loss):
    A = np.array([[0.0, 1.0, 1.0, 0.0]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    if loss == "cross_entropy":
        A, Y = np.vstack([A, 1 - A]), np.vstack([Y, 1 - Y])
    assert math.isfinite(LOSSES[loss].cost(A, Y))


def test_one_gradient_descent_step_by_hand():
    """A [2, 2, 1] tanh/sigmoid network, two samples, one step of alpha = 0.5, derived with scalars."""
    W1 = [[0.5, -0.4], [0.3, 0.8]]
    b1 = [0.1, -0.2]
    W2 = [0.7, -0.6]
    b2 = 0.05
    xs = [(1.0, 2.0), (-1.5, 0.5)]
    ys = [1.0, 0.0]
    m, alpha = 2, 0.5
    dW1 = [[0.0, 0.0], [0.0, 0.0]]
    db1 = [0.0, 0.0]
    dW2 = [0.0, 0.0]
    db2 = 0.0
    cost = 0.0
    for x, y in zip(xs, ys):
        a1 = [math.tanh(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]) for j in range(2)]
        a2 = 1 / (1 + math.exp(-(W2[0] * a1[0] + W2[1] * a1[1] + b2)))
        cost += -(y * math.log(a2) + (1 - y) * math.log(1 - a2)) / m
        dz2 = a2 - y
        db2 += dz2 / m
        for j in range(2):
            dW2[j] += dz2 * a1[j] / m
            dz1 = W2[j] * dz2 * (1 - a1[j] ** 2)
            db1[j] += dz1 / m
            for k in range(2):
                dW1[j][k] += dz1 * x[k] / m

    net = Network.from_parameters({"W1": np.array(W1), "b1": np.array([b1]).T, "W2": np.array([W2]),
                                   "b2": np.array([[b2]])}, ["tanh", "sigmoid"])
    X, Y = np.array(xs).T, np.array([ys])
    result = train(net, X, Y, epochs=1, learning_rate=alpha)
    assert result.costs[0] == pytest.approx(cost, rel=1e-14)
    np.testing.assert_allclose(net.W[0], np.array(W1) - alpha * np.array(dW1), rtol=1e-14)
    np.testing.assert_allclose(net.b[0], (np.array([b1]) - alpha * np.array([db1])).T, rtol=1e-14)
    np.testing.assert_allclose(net.W[1], np.array([W2]) - alpha * np.array([dW2]), rtol=1e-14)
    np.testing.assert_allclose(net.b[1], [[b2 - alpha * db2]], rtol=1e-14)


# An independent implementation: PyTorch autograd, when it is installed.
CASES = [(h, out) for h in ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
         for out in [("sigmoid", "binary_cross_entropy", 1), ("softmax", "cross_entropy", 3), ("linear", "mse", 2),
                     ("tanh", "mse", 1)]]


@pytest.mark.parametrize("hidden, output", CASES, ids=[f"{h}-{o[0]}+{o[1]}" for h, o in CASES])
def test_one_step_matches_pytorch_autograd(hidden, output):
    torch = pytest.importorskip("torch")
    g_L, loss, n_L = output
    rng = np.random.default_rng(4)
    layers = [3, 5, 4, n_L]
    net = Network.initialize(layers, [hidden, hidden, g_L], "xavier", rng=rng, loss=loss)
    for b in net.b:
        b[...] = rng.standard_normal(b.shape) * 0.1
    X = rng.standard_normal((3, 11))
    if loss == "cross_entropy":
        Y = rng.integers(0, n_L, size=(1, 11))
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(1, 11)).astype(float)
    else:
        Y = rng.standard_normal((n_L, 11))
    params = [torch.tensor(P.copy(), requires_grad=True) for pair in zip(net.W, net.b) for P in pair]
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
           "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}
    A = torch.tensor(X)
    for l in range(3):
        Z = params[2 * l] @ A + params[2 * l + 1]
        A = Z if l == 2 else fns[hidden](Z)
    if loss == "cross_entropy":
        J = torch.nn.functional.cross_entropy(A.T, torch.tensor(Y[0]))
    elif loss == "binary_cross_entropy":
        J = torch.nn.functional.binary_cross_entropy(torch.sigmoid(A), torch.tensor(Y))
    else:
        J = torch.nn.functional.mse_loss(fns[g_L](A), torch.tensor(Y))
    J.backward()
    alpha = 0.3
    result = train(net, X, Y, epochs=1, learning_rate=alpha)
    assert result.costs[0] == pytest.approx(J.item(), rel=1e-12)
    ours = [P for pair in zip(net.W, net.b) for P in pair]
    for P, T in zip(ours, params):
        expected = (T - alpha * T.grad).detach().numpy()
        np.testing.assert_allclose(P, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden, output", [("tanh", "sigmoid"), ("relu", "softmax"), ("leaky_relu", "linear"),
                                            ("sigmoid", "sigmoid"), ("linear", "softmax")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_predict_proba_in_blocks_is_the_formula_bit_for_bit(monkeypatch, hidden, output, dtype):
    """A large m is predicted PREDICT_COLUMNS samples at a time, each layer in place: A^[L] is unchanged."""
    import dnn_cli.network as network_module

    rng = np.random.default_rng(5)
    layers = [3, 6, 5, 4 if output == "softmax" else 1]
    net = Network.initialize(layers, [hidden, hidden, output], "he", rng=rng, dtype=dtype)
    X = np.asfortranarray(rng.standard_normal((3, 103)))
    A = X.astype(dtype)
    for W, b, g in zip(net.W, net.b, net.g):
        A = g(W @ A + b)
    monkeypatch.setattr(network_module, "PREDICT_COLUMNS", 16)
    np.testing.assert_array_equal(net.predict_proba(X), A)
    monkeypatch.setattr(network_module, "PREDICT_COLUMNS", 1 << 16)
    np.testing.assert_array_equal(net.predict_proba(X), A)


@pytest.mark.parametrize("output, labels", [("sigmoid", "binary"), ("sigmoid", "soft"), ("softmax", "classes"),
                                            ("linear", "values")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cost_over_outputs_in_place_is_the_formula_bit_for_bit(output, labels, dtype):
    """cost_over_ (the final metrics' cost, computed in A^[L]'s own memory) gives network.cost's number."""
    rng = np.random.default_rng(11)
    n_L = 3 if output == "softmax" else 2
    net = Network.initialize([4, 5, n_L], ["tanh", output], "he", rng=rng, dtype=dtype)
    X = rng.standard_normal((4, 301))
    Y = {"binary": rng.integers(0, 2, (n_L, 301)).astype(float), "soft": rng.random((n_L, 301)),
         "classes": rng.integers(0, n_L, (1, 301)), "values": 5 * rng.standard_normal((n_L, 301))}[labels]
    AL = net.predict_proba(X)
    expected = net.cost(AL, Y)
    assert net.cost_over_(AL.copy(), Y) == expected
