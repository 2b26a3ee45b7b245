"""One training path: an activation is one registry entry, gradcheck checks the step that trains, state is explicit.

A toy activation registered through its ACTIVATIONS entry alone trains and gradchecks, with in-place forms
and without them (the training step then falls back to its formulas); a bug planted in the training step
only is caught by gradcheck; the workspace's zeros are its own; optimizers keep their moments in a dict and
the memory estimate asks them how many.
"""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli import activations, fast_step, losses
from dnn_cli.activations import ACTIVATIONS, Activation, InPlace, sigmoid
from dnn_cli.config import load_config
from dnn_cli.errors import ConfigError, UsageError
from dnn_cli.fast_step import Workspace, labels_if_binary, train_step
from dnn_cli.gradcheck import CHECKED, PATHS, gradcheck, gradcheck_config, training_gradients
from dnn_cli.network import Network
from dnn_cli.optimizers import OPTIMIZERS, get_optimizer
from dnn_cli.pipeline import fit, prepare
from dnn_cli.resources import training_bytes
from dnn_cli.training import iter_epochs

from .conftest import CONFIGS, assert_input_error

FLOWER = CONFIGS / "flower.yaml"


# Toy activations, each defined here and registered by one ACTIVATIONS entry, nothing else.

def softplus(Z):
    """log(1 + exp(Z)), overflow-free."""
    return np.logaddexp(0.0, Z)


def softplus_derivative(Z, A):
    """softplus'(Z) = sigmoid(Z) = 1 - exp(-A): formed from A alone, so it can have an in-place form."""
    return 1.0 - np.exp(-A)


def softplus_(Z, zeros):
    return np.logaddexp(0.0, Z, out=Z)


def softplus_times_derivative_(dA, A):
    G = np.exp(np.negative(A, out=A), out=A)
    return np.multiply(dA, np.subtract(1.0, G, out=G), out=dA)


def swish(Z):
    """Z sigmoid(Z) (SiLU)."""
    return Z * sigmoid(Z)


def swish_derivative(Z, A):
    """sigmoid(Z) + A (1 - sigmoid(Z)): needs Z, so swish declares no in-place forms."""
    s = sigmoid(Z)
    return s + A * (1.0 - s)


TOYS = {
    "softplus": Activation("softplus", softplus, softplus_derivative,
                           in_place=InPlace(softplus_, softplus_times_derivative_)),
    "swish": Activation("swish", swish, swish_derivative),
}


@pytest.fixture(params=sorted(TOYS), ids=["softplus (in-place forms)", "swish (none: the fallback)"])
def toy(request, monkeypatch):
    """The toy's name, registered for the test through its ACTIVATIONS entry alone."""
    monkeypatch.setitem(ACTIVATIONS, request.param, TOYS[request.param])
    return request.param


def test_a_toy_activation_trains_from_its_registry_entry_alone(toy):
    cfg = load_config(CONFIGS / "deep.yaml", [f"model.activations=[{toy}, {toy}, {toy}, sigmoid]",
                                              "model.init=xavier"], epochs=300)
    result = fit(prepare(cfg, source="deep.yaml"))
    assert result.costs[-1] < 0.1 * result.costs[0]
    assert result.final["train_accuracy"] > 0.95 and result.final["dev_accuracy"] > 0.95


def test_a_toy_activation_gradchecks_on_both_paths(toy):
    cfg = load_config(FLOWER, [f"model.activations=[{toy}, {toy}, sigmoid]", "model.layers=[2, 5, 3, 1]",
                               "model.init=xavier"])
    result = gradcheck_config(cfg, epsilon=1e-6)
    assert [t.status for t in result.tensors] == ["pass"] * 6, result.tensors
    assert all(max(t.differences) < 1e-7 and len(t.differences) == 2 for t in result.tensors)


@pytest.mark.parametrize("output, loss", [("sigmoid", "binary_cross_entropy"), ("toy", "mse")],
                         ids=["hidden", "hidden and output (mse)"])
@pytest.mark.parametrize("keep", [None, [0.7, 0.9]], ids=["plain", "dropout"])
def test_the_training_step_with_a_toy_is_bit_identical_to_forward_cost_backward(toy, output, loss, keep):
    rng = np.random.default_rng(3)
    g_L = toy if output == "toy" else output
    net = Network.initialize([3, 6, 5, 2 if loss == "mse" else 1], [toy, toy, g_L], "xavier", rng=rng, loss=loss)
    X = rng.standard_normal((3, 13))
    Y = net.targets(rng.standard_normal((2, 13)) if loss == "mse" else rng.integers(0, 2, (1, 13)))
    AL, caches = net.forward(X, keep_prob=keep, rng=np.random.default_rng(9))
    expected = net.backward(Y, caches, l2=0.4)
    J, AL_fast, grads = train_step(net, X, Y, Workspace(net), l2=0.4, keep_prob=keep, rng=np.random.default_rng(9),
                                   Y_is_one=labels_if_binary(net, Y))
    assert J == net.cost(AL, Y, l2=0.4)
    assert AL_fast.tobytes() == AL.tobytes()
    assert grads.vector().tobytes() == expected.vector().tobytes()


def test_a_new_activation_fits_an_mse_output_without_a_second_entry(toy):
    assert toy in losses.LOSSES["mse"].fits()
    assert losses.resolve_loss("auto", toy).name == "mse"
    with pytest.raises(ConfigError, match=f"expected an output of sigmoid, tanh, relu, leaky_relu, linear, {toy}$"):
        losses.resolve_loss("mse", "softmax")


def test_the_shipped_activations_and_losses_keep_their_in_place_forms():
    assert [name for name, g in ACTIVATIONS.items() if g.in_place is None] == []
    assert all(loss.in_place is not None for loss in losses.LOSSES.values())
    assert not hasattr(fast_step, "IN_PLACE") and not hasattr(fast_step, "times_derivative_")


# gradcheck checks the path that trains --------------------------------------------------------


def wrong_tanh_times_derivative_(dA, A):
    return np.multiply(dA, np.subtract(1.0, A, out=A), out=dA)    # 1 - A, should be 1 - A * A


def test_a_bug_in_the_training_step_only_is_caught_by_gradcheck(monkeypatch):
    good = ACTIVATIONS["tanh"]
    wrong = InPlace(good.in_place.g_, wrong_tanh_times_derivative_)
    monkeypatch.setitem(ACTIVATIONS, "tanh", Activation("tanh", good.g, good.derivative, in_place=wrong))
    result = gradcheck_config(load_config(FLOWER), epsilon=1e-6)
    assert not result.passed
    by_name = {t.name: t for t in result.tensors}
    for name in ("W^[1]", "b^[1]"):
        trained, reference = by_name[name].differences
        assert trained > 1e-5 and reference < 1e-7
        assert by_name[name].failing_paths == ["training step"]
    assert {t.status for t in result.tensors if t.l == 2} == {"pass"}


def test_a_bug_in_a_loss_in_place_form_only_is_caught_by_gradcheck(monkeypatch):
    mse = losses.LOSSES["mse"]
    wrong = losses.InPlaceLoss(mse.in_place.cost_, lambda AL, Y, out: np.subtract(AL, Y, out=out))   # 2/n^[L] lost
    monkeypatch.setitem(losses.LOSSES, "mse", losses.Loss("mse", mse.cost, mse.output_delta, "linear", None, wrong))
    rng = np.random.default_rng(0)
    net = Network.initialize([2, 3, 3], ["tanh", "linear"], "xavier", rng=rng, loss="mse")
    result = gradcheck(net, rng.standard_normal((2, 9)), rng.standard_normal((3, 9)))
    assert [t.failing_paths for t in result.tensors] == [["training step"]] * 4


def test_the_cli_says_which_path_it_checked_and_which_failed(cli, monkeypatch):
    result = cli("gradcheck", FLOWER)
    assert result.exit_code == 0
    assert f"checked: {CHECKED}" in result.stdout
    assert all(path in result.stdout for path in PATHS)
    good = ACTIVATIONS["tanh"]
    wrong = InPlace(good.in_place.g_, wrong_tanh_times_derivative_)
    monkeypatch.setitem(ACTIVATIONS, "tanh", Activation("tanh", good.g, good.derivative, in_place=wrong))
    result = cli("gradcheck", FLOWER)
    assert result.exit_code == 1
    assert result.stderr.startswith("dnn: error: gradcheck failed: W^[1] (")
    assert ", in the training step only)" in result.stderr


def test_training_gradients_are_the_training_loops_first_step():
    rng = np.random.default_rng(1)
    net = Network.initialize([2, 4, 1], ["tanh", "sigmoid"], "xavier", rng=rng)
    X, Y = rng.standard_normal((2, 20)), rng.integers(0, 2, (1, 20))
    dW, db = training_gradients(net, X, Y, l2=0.2)
    flat = np.concatenate([d.ravel() for pair in zip(dW, db) for d in pair])
    before = net.theta.copy()
    next(iter_epochs(net, X, Y, epochs=1, learning_rate=0.5, l2=0.2, rng=np.random.default_rng(0)))
    # gd: theta_1 = theta_0 - 0.5 dtheta, with the dtheta of the training loop's first step, bit for bit.
    np.testing.assert_array_equal(net.theta, before - 0.5 * flat)


def test_library_gradcheck_names_parameters_and_the_cli_names_flags(cli):
    with pytest.raises(UsageError, match=r"^epsilon: expected a positive number no larger than 0\.01"):
        gradcheck_config(load_config(FLOWER), epsilon=1.0)
    assert_input_error(cli("gradcheck", FLOWER, "--epsilon", "1"), "--epsilon: expected a positive number")
    assert_input_error(cli("gradcheck", FLOWER, "--m", "0"), "--m: expected a positive integer, got 0")


# Explicit state ------------------------------------------------------------------------------


def test_workspace_zeros_are_per_instance_state():
    assert not hasattr(fast_step, "_zeros")
    net = Network.initialize([2, 4, 1], ["relu", "sigmoid"], rng=np.random.default_rng(0))
    first, second = Workspace(net).buffers(8), Workspace(net).buffers(8)
    assert first.zeros[0] is not second.zeros[0]
    assert not first.zeros[0].any() and not first.zeros[0].flags.writeable


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_moments_are_an_explicit_dict(name):
    net = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], rng=np.random.default_rng(0))
    opt = get_optimizer(name)(net)
    assert sorted(opt.vectors) == sorted(opt.moments)
    assert all(v.shape == net.theta.shape and not v.any() for v in opt.vectors.values())
    opt.step(net.theta, np.ones_like(net.theta), 0.1)
    state = opt.state()
    assert sorted(state) == sorted(["t"] + [f"{v}{k}{l}" for v in opt.moments for k in "Wb" for l in (1, 2)])
    other = get_optimizer(name)(net)
    other.load_state(state)
    assert all(np.array_equal(other.vectors[k], opt.vectors[k]) for k in opt.vectors)


def test_training_memory_counts_the_optimizers_own_moments():
    layers = [10, 20, 1]
    parameters = 10 * 20 + 20 + 20 + 1
    base = training_bytes(layers, 100, "full", "float64", "gd")
    for name, cls in OPTIMIZERS.items():
        assert training_bytes(layers, 100, "full", "float64", name) - base == 8 * parameters * len(cls.moments)
    with pytest.raises(ConfigError, match="optimizer"):
        training_bytes(layers, 100, "full", "float64", "lbfgs")


def test_activations_module_is_the_one_place_for_in_place_forms():
    # The registry entry carries the forms; nothing else keys activations by name.
    assert isinstance(activations.ACTIVATIONS["relu"].in_place, InPlace)
    assert not hasattr(fast_step, "COSTS_IN_PLACE") and not hasattr(fast_step, "DELTAS_IN_PLACE")
