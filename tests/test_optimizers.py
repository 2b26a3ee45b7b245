"""Optimizers, L2, dropout, learning-rate decay and early stopping against their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnn_cli.config import load_config
from dnn_cli.errors import ConfigError
from dnn_cli.network import Gradients, Network
from dnn_cli.optimizers import OPTIMIZERS, Adam, GradientDescent, Momentum, RMSprop, get_optimizer
from dnn_cli.pipeline import fit, prepare
from dnn_cli.schedules import SCHEDULES
from dnn_cli.training import iter_epochs, keep_probs, train

from .conftest import CONFIGS

GRADS = [0.5, 0.2, -0.4]   # dW at steps t = 1, 2, 3 for a single weight starting at 1.0
ALPHA = 0.1


def one_weight(w=1.0):
    """A network with one weight w (and one bias, 0): theta = (w, 0)."""
    return Network([np.array([[w]])], [np.array([[0.0]])], ["linear"])


def steps(cls, **options):
    """The weight after each of the steps, for a one-weight network."""
    net = one_weight()
    opt = cls(net, **options)
    out = []
    for g in GRADS:
        opt.step(net.theta, Gradients([np.array([[g]])], [np.array([[0.0]])]).vector(), ALPHA)
        out.append(net.W[0][0, 0])
    return out


def test_gradient_descent():
    assert steps(GradientDescent) == pytest.approx([1 - 0.05, 1 - 0.05 - 0.02, 1 - 0.05 - 0.02 + 0.04], rel=1e-15)


def test_momentum_by_hand():
    v1 = 0.1 * 0.5                    # v = beta v + (1 - beta) dW with beta = 0.9
    v2 = 0.9 * v1 + 0.1 * 0.2
    v3 = 0.9 * v2 + 0.1 * -0.4
    expected = [1 - ALPHA * v1, 1 - ALPHA * (v1 + v2), 1 - ALPHA * (v1 + v2 + v3)]
    assert steps(Momentum, beta1=0.9) == pytest.approx(expected, rel=1e-15)


def test_rmsprop_by_hand():
    eps = 1e-8
    s1 = 0.001 * 0.25                  # s = beta2 s + (1 - beta2) dW^2 with beta2 = 0.999
    s2 = 0.999 * s1 + 0.001 * 0.04
    w1 = 1 - ALPHA * 0.5 / (math.sqrt(s1) + eps)
    w2 = w1 - ALPHA * 0.2 / (math.sqrt(s2) + eps)
    assert steps(RMSprop, beta2=0.999, epsilon=eps)[:2] == pytest.approx([w1, w2], rel=1e-14)


def test_adam_bias_correction_at_t1_and_t2():
    eps = 1e-8
    v1, s1 = 0.1 * 0.5, 0.001 * 0.25
    v1_hat, s1_hat = v1 / (1 - 0.9), s1 / (1 - 0.999)        # = 0.5 and 0.25: the raw gradient's moments
    w1 = 1 - ALPHA * v1_hat / (math.sqrt(s1_hat) + eps)       # ~ 1 - alpha: Adam's first step is alpha * sign(dW)
    v2, s2 = 0.9 * v1 + 0.1 * 0.2, 0.999 * s1 + 0.001 * 0.04
    v2_hat, s2_hat = v2 / (1 - 0.9**2), s2 / (1 - 0.999**2)
    w2 = w1 - ALPHA * v2_hat / (math.sqrt(s2_hat) + eps)
    got = steps(Adam, beta1=0.9, beta2=0.999, epsilon=eps)
    assert got[:2] == pytest.approx([w1, w2], rel=1e-14)
    assert got[0] == pytest.approx(0.9, abs=1e-7)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_round_trip_continues_identically(name):
    cls = get_optimizer(name)
    net = Network([np.ones((2, 2))], [np.zeros((2, 1))], ["linear"])
    opt = cls(net)
    g = Gradients([np.full((2, 2), 0.3)], [np.full((2, 1), -0.1)]).vector()
    opt.step(net.theta, g.copy(), 0.1)     # gd overwrites d theta with alpha d theta
    twin = Network([net.W[0].copy()], [net.b[0].copy()], ["linear"])
    clone = cls(twin)
    clone.load_state({k: np.array(v, copy=True) for k, v in opt.state().items()})
    opt.step(net.theta, g.copy(), 0.1)
    clone.step(twin.theta, g.copy(), 0.1)
    np.testing.assert_array_equal(net.theta, twin.theta)


def test_unknown_optimizer_lists_the_choices():
    with pytest.raises(ConfigError, match="expected one of gd, momentum, rmsprop, adam; did you mean 'adam'"):
        get_optimizer("adma")


@pytest.mark.parametrize("name, epoch, expected", [
    ("none", 7, 0.5),
    ("inverse_time", 4, 0.5 / (1 + 0.5 * 4)),
    ("exponential", 3, 0.5 * 0.5**3),
    ("step", 2500, 0.5 / (1 + 0.5 * 2)),
])
def test_learning_rate_schedules(name, epoch, expected):
    assert SCHEDULES[name](0.5, epoch, 0.5, 1000) == pytest.approx(expected, rel=1e-15)


def test_the_history_shows_the_decayed_learning_rate():
    config = load_config(CONFIGS / "flower.yaml", ["train.epochs=5", "train.log_every=1",
                                                   "train.lr_decay=inverse_time", "train.decay_rate=1.0"])
    result = fit(prepare(config))
    assert [h.learning_rate for h in result.history] == pytest.approx([1.2 / (1 + e) for e in range(5)])


def test_l2_adds_the_frobenius_term_to_the_cost():
    rng = np.random.default_rng(0)
    net = Network.initialize([3, 4, 1], ["tanh", "sigmoid"], "xavier", rng=rng)
    X, Y = rng.standard_normal((3, 8)), rng.integers(0, 2, (1, 8)).astype(float)
    AL = net.forward(X)[0]
    extra = 0.3 / (2 * 8) * sum(float((W**2).sum()) for W in net.W)
    assert net.cost(AL, Y, l2=0.3) == pytest.approx(net.cost(AL, Y) + extra, rel=1e-15)


def dropout_network():
    rng = np.random.default_rng(1)
    net = Network.initialize([4, 2000, 3, 1], ["relu", "tanh", "sigmoid"], "he", rng=rng)
    return net, rng.standard_normal((4, 50))


def test_dropout_mask_statistics_and_inverted_scaling():
    net, X = dropout_network()
    _, plain = net.forward(X)
    _, dropped = net.forward(X, keep_prob=[0.8, 1.0], rng=np.random.default_rng(3))
    D = dropped[0].D
    assert D.mean() == pytest.approx(0.8, abs=0.005)
    assert dropped[1].D is None and dropped[2].D is None          # keep_prob 1 and the output never drop
    A_next = dropped[1].A_prev                                     # what layer 2 saw: A * D / keep_prob
    np.testing.assert_allclose(A_next, plain[0].A * D / 0.8, rtol=1e-15)
    # Inverted dropout keeps the expectation: the mean activation barely moves.
    assert A_next.mean() == pytest.approx(plain[0].A.mean(), rel=0.02)


def test_dropout_masks_follow_the_seed_and_are_off_at_inference():
    net, X = dropout_network()
    a = net.forward(X, keep_prob=[0.5, 0.5], rng=np.random.default_rng(3))[0]
    b = net.forward(X, keep_prob=[0.5, 0.5], rng=np.random.default_rng(3))[0]
    c = net.forward(X, keep_prob=[0.5, 0.5], rng=np.random.default_rng(4))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(net.predict_proba(X), net.forward(X)[0])


@pytest.mark.parametrize("value", [0.0, 1.5, -0.2])
def test_keep_prob_outside_the_unit_interval_is_an_error(value):
    with pytest.raises(ConfigError, match=r"keep_prob: expected .*\(0, 1\]"):
        keep_probs(value, 3)
    with pytest.raises(ConfigError, match="model.keep_prob"):
        load_config(CONFIGS / "flower.yaml", [f"model.keep_prob={value}"])


def test_keep_prob_list_must_have_one_value_per_hidden_layer():
    with pytest.raises(ConfigError, match=r"model.keep_prob: expected one value per hidden layer \(3\), got 2"):
        load_config(CONFIGS / "deep.yaml", ["model.keep_prob=[0.9, 0.8]"])


def test_early_stopping_restores_the_best_weights_even_without_stopping():
    config = load_config(CONFIGS / "deep.yaml", ["train.epochs=60", "train.learning_rate=0.5",
                                                 "train.early_stopping={patience: 1000}"])
    snapshots, dev_costs = {}, {}
    # A run of the same config without early stopping records the dev cost and the parameters at the
    # start of every epoch; the best of those must be what early stopping restores.
    plain = prepare(config)
    options = {**plain.train_options(), "early_stopping": None}
    for epoch in range(60):
        AL = plain.network.predict_proba(plain.dev.X)
        dev_costs[epoch] = plain.network.cost(AL, plain.dev.y)
        snapshots[epoch] = [P.copy() for P in plain.network.W + plain.network.b]
        next(iter_epochs(plain.network, plain.train.X, plain.train.y, state=plain.state,
                         **{**options, "epochs": epoch + 1}))
    best = min(dev_costs, key=dev_costs.get)
    assert 0 < best < 59
    result = fit(prepare(config))
    assert result.state.best_epoch == best and not result.state.stopped_early
    for P, Q in zip(result.network.W + result.network.b, snapshots[best]):
        np.testing.assert_array_equal(P, Q)
    assert result.final["best_epoch"] == best


def test_early_stopping_stops_after_patience_epochs_without_progress():
    config = load_config(CONFIGS / "deep.yaml", ["train.epochs=5000", "train.learning_rate=0.5",
                                                 "train.early_stopping={patience: 5}"])
    result = fit(prepare(config))
    assert result.state.stopped_early
    assert result.state.epoch == result.state.best_epoch + 5


def final_cost(name, optimizer, epochs=300):
    return fit(prepare(load_config(CONFIGS / f"{name}.yaml", [f"train.optimizer={optimizer}",
                                                              f"train.epochs={epochs}"]))).final["cost"]


def test_adam_beats_gradient_descent_in_the_same_epochs():
    # deep.yaml, 300 epochs at the same learning rate: gd 0.029, adam 0.005 (measured when written).
    assert final_cost("deep", "adam") < 0.5 * final_cost("deep", "gd")


def test_momentum_beats_gradient_descent_with_minibatches():
    # sine.yaml (mini-batches of 32), 300 epochs: gd 0.088, momentum 0.015 (measured when written).
    assert final_cost("sine", "momentum") < 0.5 * final_cost("sine", "gd")


def test_every_optimizer_trains_in_float32_and_is_reproducible():
    for name in OPTIMIZERS:
        overrides = [f"train.optimizer={name}", "train.dtype=float32", "train.epochs=30", "train.batch_size=50",
                     "train.learning_rate=0.01"]
        a = fit(prepare(load_config(CONFIGS / "deep.yaml", overrides)))
        b = fit(prepare(load_config(CONFIGS / "deep.yaml", overrides)))
        assert a.costs == b.costs and a.costs[-1] < a.costs[0]
        assert all(P.dtype == np.float32 for P in a.network.W)


def test_train_accepts_optimizer_options_directly():
    rng = np.random.default_rng(0)
    net = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], rng=rng)
    result = train(net, rng.standard_normal((2, 10)), np.ones((1, 10)), epochs=3, learning_rate=0.1,
                   optimizer="adam", beta1=0.8)
    assert result.state.optimizer.beta1 == 0.8 and result.state.optimizer.t == 3


def test_final_metrics_report_the_data_cost_and_the_regularised_cost():
    config = load_config(CONFIGS / "deep.yaml", ["train.epochs=20", "train.l2=0.5"])
    result = fit(prepare(config))
    net, X, Y = result.network, prepare(config).train.X, prepare(config).train.y
    data_cost = net.cost(net.predict_proba(X), Y)
    assert result.final["cost"] == pytest.approx(data_cost, rel=1e-12)
    assert result.final["cost_with_l2"] == pytest.approx(net.cost(net.predict_proba(X), Y, l2=0.5), rel=1e-12)
    assert result.final["cost_with_l2"] > result.final["cost"]
