"""gradcheck: centred differences against backprop, per tensor; it passes on good code and catches a bad g'."""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli import activations
from dnn_cli.activations import Activation
from dnn_cli.config import load_config
from dnn_cli.errors import UsageError
from dnn_cli.gradcheck import (
    count_kinks,
    gradcheck,
    gradcheck_config,
    numeric_gradients,
    relative_difference,
    status_of,
)
from dnn_cli.network import Network

from .conftest import CONFIGS

SHIPPED = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_gradcheck_passes_on_every_shipped_config(path):
    config = load_config(path)
    result = gradcheck_config(config, source=str(path))
    assert result.passed, [(t.name, t.relative_difference) for t in result.tensors]
    # At epsilon 1e-7 the smallest gradients sit at float64's rounding floor; a step of 1e-6 lowers
    # that floor and every tensor passes the 1e-7 bar.
    result = gradcheck_config(config, epsilon=1e-6, source=str(path))
    assert [t.status for t in result.tensors] == ["pass"] * len(result.tensors), result.tensors
    assert len(result.tensors) == 2 * (len(config.model.layers) - 1)


def wrong_tanh_derivative(Z, A):
    return 1.0 - A  # should be 1 - A^2


def wrong_relu_derivative(Z, A):
    return np.ones_like(Z)  # ignores the kink: the derivative of linear, not of relu


@pytest.mark.parametrize(("config", "name", "derivative"), [
    ("flower.yaml", "tanh", wrong_tanh_derivative), ("deep.yaml", "relu", wrong_relu_derivative),
], ids=["tanh-flower", "relu-deep"])
def test_gradcheck_fails_on_a_planted_wrong_derivative(monkeypatch, config, name, derivative):
    good = activations.ACTIVATIONS[name]
    monkeypatch.setitem(activations.ACTIVATIONS, name, Activation(name, good.g, derivative))
    result = gradcheck_config(load_config(CONFIGS / config), epsilon=1e-6)
    assert not result.passed
    L = len(result.tensors) // 2
    failed = {t.name for t in result.failed}
    assert "W^[1]" in failed and "b^[1]" in failed
    # The output layer's gradients do not involve the hidden g', so they still pass.
    assert {t.status for t in result.tensors if t.l == L} == {"pass"}


def test_gradcheck_fails_on_a_network_built_with_a_wrong_derivative():
    rng = np.random.default_rng(0)
    network = Network.initialize([3, 4, 2], ["sigmoid", "softmax"], "xavier", rng=rng)
    network.g[0] = Activation("sigmoid", network.g[0].g, lambda Z, A: A)  # should be A (1 - A)
    X, y = rng.standard_normal((3, 10)), rng.integers(0, 2, size=(1, 10))
    result = gradcheck(network, X, y)
    assert [t.status for t in result.tensors] == ["fail", "fail", "pass", "pass"]


@pytest.mark.parametrize(("a", "n", "expected"), [
    ([1.0, 0.0], [0.0, 1.0], 1.0 / np.sqrt(2.0)),
    ([3.0, 4.0], [3.0, 4.0], 0.0),
    ([0.0, 0.0], [0.0, 0.0], 0.0),
    ([2.0], [1.0], 1.0 / 3.0),
], ids=["orthogonal", "equal", "both-zero", "half"])
def test_relative_difference_closed_forms(a, n, expected):
    np.testing.assert_allclose(relative_difference(np.array(a), np.array(n)), expected, rtol=1e-15)


@pytest.mark.parametrize(("difference", "status"), [
    (0.0, "pass"), (9.9e-8, "pass"), (1e-7, "warn"), (9.9e-6, "warn"), (1e-5, "fail"), (float("nan"), "fail"),
], ids=["zero", "below-1e-7", "at-1e-7", "below-1e-5", "at-1e-5", "nan"])
def test_status_thresholds(difference, status):
    assert status_of(difference) == status


def test_numeric_gradients_match_the_closed_form_of_a_linear_mse_layer():
    # J = (1/m) sum (W X + b - Y)^2 for n^[L] = 1: dJ/dW = (2/m) (W X + b - Y) X^T, dJ/db = (2/m) sum(...).
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((1, 3)), rng.standard_normal((1, 1))
    X, Y = rng.standard_normal((3, 20)), rng.standard_normal((1, 20))
    network = Network([W.copy()], [b.copy()], ["linear"])
    dW, db = numeric_gradients(network, X, Y, epsilon=1e-6)
    R = W @ X + b - Y
    np.testing.assert_allclose(dW[0], 2 / 20 * R @ X.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(db[0], 2 / 20 * R.sum(axis=1, keepdims=True), rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(network.W[0], W)  # restored exactly


def test_gradcheck_leaves_the_network_untouched_and_works_in_float64():
    rng = np.random.default_rng(2)
    network = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], "xavier", rng=rng, dtype=np.float32)
    before = [W.copy() for W in network.W]
    result = gradcheck(network, rng.standard_normal((2, 8)), rng.integers(0, 2, size=(1, 8)))
    assert result.passed
    assert network.W[0].dtype == np.float32
    for W, old in zip(network.W, before):
        np.testing.assert_array_equal(W, old)


def test_kinks_are_counted_for_relu_layers():
    network = Network([np.ones((3, 2)), np.ones((1, 3))], [np.zeros((3, 1)), np.zeros((1, 1))], ["relu", "sigmoid"])
    X = np.array([[0.0, 1.0, -1.0, 1e-9], [0.0, 1.0, -2.0, 0.0]])  # columns 0 and 3 put Z^[1] on the kink
    _, caches = network.forward(X)
    (kink,) = count_kinks(network, caches, epsilon=1e-7)
    assert (kink.l, kink.activation, kink.near, kink.total) == (1, "relu", 6, 12)


def test_gradcheck_config_states_what_it_changed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 0\ndata: {source: moons, n_samples: 60}\n"
                    "model: {layers: [2, 5, 5, 1], activations: [relu, tanh, sigmoid], init: zeros, keep_prob: 0.8}\n"
                    "train: {dtype: float32, l2: 0.1}\n", encoding="utf-8")
    result = gradcheck_config(load_config(path), m=20, epsilon=1e-6)
    assert result.passed and result.m == 20
    text = " ".join(result.notes)
    for fragment in ("float64", "dropout switched off", "zeros", "xavier", "L2"):
        assert fragment in text


@pytest.mark.slow
def test_gradcheck_config_leaves_out_samples_on_a_relu_kink():
    # The spiral arms start at the origin: X = 0 with b^[1] = 0 puts every Z^[1] exactly on the kink.
    result = gradcheck_config(load_config(CONFIGS / "spiral.yaml"), m=240)
    assert result.passed and result.m < 240
    assert result.kinks[0].near == 0
    assert any("left out" in note for note in result.notes)


@pytest.mark.parametrize(("options", "fragment"), [({"m": 0}, "^m: expected a positive integer, got 0"),
                                                   ({"epsilon": 0.0}, "^epsilon: expected a positive number")],
                         ids=["m", "epsilon"])
def test_gradcheck_config_rejects_bad_options(options, fragment):
    # The library names its parameters; the CLI's messages name its flags (tests/test_cli_diagnostics.py).
    with pytest.raises(UsageError, match=fragment):
        gradcheck_config(load_config(CONFIGS / "flower.yaml"), **options)
