"""The training loop: recorded costs, mini-batches, reproducibility, divergence, shipped configs."""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli.config import load_config
from dnn_cli.errors import TrainingError
from dnn_cli.network import Network
from dnn_cli.pipeline import fit, prepare
from dnn_cli.training import batches, iter_epochs

from .conftest import CONFIGS


def small_problem(seed=0, m=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    net = Network.initialize([2, 6, 1], ["tanh", "sigmoid"], "xavier", rng=rng)
    return net, X, Y


def test_epoch_zero_records_the_cost_of_the_initial_parameters():
    net, X, Y = small_problem()
    initial = net.cost(net.forward(X)[0], Y)
    results = list(iter_epochs(net, X, Y, epochs=3, learning_rate=0.5))
    assert [r.epoch for r in results] == [0, 1, 2]
    assert results[0].cost == initial
    assert results[1].cost < results[0].cost


def test_minibatch_cost_is_the_size_weighted_mean_over_the_epochs_batches():
    net, X, Y = small_problem(m=10)
    copy = Network([W.copy() for W in net.W], [b.copy() for b in net.b], net.activations)
    result = next(iter(iter_epochs(net, X, Y, epochs=1, learning_rate=0.5, batch_size=4,
                                   rng=np.random.default_rng(7))))
    order = np.random.default_rng(7).permutation(10)
    expected = 0.0
    for idx in (order[0:4], order[4:8], order[8:10]):
        AL, caches = copy.forward(X[:, idx])
        expected += copy.cost(AL, Y[:, idx]) * len(idx) / 10
        grads = copy.backward(Y[:, idx], caches)
        for P, dP in zip(copy.W + copy.b, grads.dW + grads.db):
            P -= 0.5 * dP
    assert result.cost == pytest.approx(expected, rel=1e-14)
    for P, Q in zip(net.W + net.b, copy.W + copy.b):
        np.testing.assert_array_equal(P, Q)


def test_batches_cover_every_sample_once_per_epoch():
    idx = batches(10, 3, np.random.default_rng(0))
    assert [len(i) for i in idx] == [3, 3, 3, 1]
    assert sorted(np.concatenate(idx).tolist()) == list(range(10))
    assert batches(10, "full", None) == [slice(None)]


def test_divergence_stops_at_the_first_non_finite_cost_with_the_learning_rate_named():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = X.sum(axis=0, keepdims=True)
    net = Network.initialize([3, 8, 1], ["relu", "linear"], "he", rng=rng)
    seen = []
    with pytest.raises(TrainingError, match=r"at epoch \d+ with learning_rate 5: .*lower train.learning_rate"):
        for result in iter_epochs(net, X, Y, epochs=1000, learning_rate=5.0):
            seen.append(result.cost)
    assert seen and all(np.isfinite(seen))


def run(path, *overrides):
    config = load_config(path, overrides)
    return fit(prepare(config, source=str(path)))


@pytest.mark.slow
def test_same_seed_is_bit_identical_and_another_seed_differs():
    overrides = ("train.epochs=300", "train.batch_size=16", "model.keep_prob=0.9")
    a, b = run(CONFIGS / "deep.yaml", *overrides), run(CONFIGS / "deep.yaml", *overrides)
    c = run(CONFIGS / "deep.yaml", *overrides, "seed=2")
    assert a.costs == b.costs
    for P, Q in zip(a.network.W + a.network.b, b.network.W + b.network.b):
        np.testing.assert_array_equal(P, Q)
    assert a.costs != c.costs


def test_flower_reaches_the_course_accuracy():
    result = run(CONFIGS / "flower.yaml")
    assert result.final["train_accuracy"] >= 0.90
    assert result.costs[0] == pytest.approx(np.log(2), rel=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_used_end_to_end(dtype):
    result = run(CONFIGS / "flower.yaml", f"train.dtype={dtype}", "train.epochs=50")
    assert all(P.dtype == np.dtype(dtype) for P in result.network.W + result.network.b)


def test_float32_and_float64_runs_agree_to_float32_precision():
    a = run(CONFIGS / "flower.yaml", "train.dtype=float32", "train.epochs=200")
    b = run(CONFIGS / "flower.yaml", "train.epochs=200")
    np.testing.assert_allclose(a.costs, b.costs, rtol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_every_shipped_config_trains_and_its_cost_falls(name):
    result = run(CONFIGS / f"{name}.yaml")
    assert result.costs[-1] < 0.5 * result.costs[0]
    if "train_accuracy" in result.final:
        assert result.final["train_accuracy"] >= 0.9


def test_a_cost_that_is_not_finite_before_any_update_blames_the_data_not_the_rate():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = np.full((1, 20), 1e200)
    net = Network.initialize([3, 4, 1], ["tanh", "linear"], "he", rng=rng)
    with pytest.raises(TrainingError, match="for the initial parameters, before any update.*standardize"):
        next(iter(iter_epochs(net, X, Y, epochs=5, learning_rate=0.1)))


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_batch_scores_are_the_scores_of_the_batches_side_by_side(output):
    """An epoch's train accuracy (counts) or RMSE (one pass over the outputs kept in order), given a batch at a
    time, is bit for bit `scores` of the concatenated batches, for mini-batches and for the full batch."""
    from dnn_cli.metrics import BatchScores, scores

    rng = np.random.default_rng(3)
    n_L = 3 if output == "softmax" else 2
    net = Network.initialize([4, 6, n_L], ["relu", output], "he", rng=rng)
    m = 1000
    X = rng.standard_normal((4, m))
    Y = net.targets({"sigmoid": rng.integers(0, 2, (n_L, m)), "softmax": rng.integers(0, n_L, (1, m)),
                     "linear": rng.standard_normal((n_L, m))}[output])
    scale = np.array([[2.0], [0.5]]) if output == "linear" else None
    for batch in (64, m):
        order = rng.permutation(m)
        batches = [order[k:k + batch] for k in range(0, m, batch)]
        kept = BatchScores(net, m, scale)
        for idx in batches:
            kept.add(net.predict_proba(X[:, idx]), Y[:, idx])
        AL = np.concatenate([net.predict_proba(X[:, idx]) for idx in batches], axis=1)
        assert kept.result() == scores(net, AL, np.concatenate([Y[:, idx] for idx in batches], axis=1), scale)
