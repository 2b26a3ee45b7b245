"""Extreme numbers: every activation and loss over arrays of floats up to 1e308, under warnings-as-errors;
a diverging run stops at the first non-finite cost (exit 1) and never writes non-finite parameters."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dnn_cli.activations import ACTIVATIONS
from dnn_cli.errors import TrainingError
from dnn_cli.io.modelfile import load_model, save_model
from dnn_cli.losses import LOSSES
from dnn_cli.network import Network

from .conftest import needs_matplotlib, write

EXAMPLES = int(os.environ.get("DNN_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=EXAMPLES or 150, derandomize=not EXAMPLES, deadline=None, database=None)

EXTREME = st.one_of(st.floats(-1e308, 1e308), st.sampled_from([-1e308, 1e308, -800.0, 800.0, -40.0, 40.0, 0.0,
                                                               -0.0, 5e-324, -5e-324, 1.7976931348623157e308]))
Z_ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6), elements=EXTREME)


@pytest.mark.slow
@SETTINGS
@given(name=st.sampled_from(sorted(ACTIVATIONS)), Z=Z_ARRAYS, float32=st.booleans())
def test_every_activation_and_derivative_is_finite_for_extreme_z(name, Z, float32):
    if float32:
        Z = np.clip(Z, -3e38, 3e38).astype(np.float32)
    g = ACTIVATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = g(Z)
        assert A.shape == Z.shape and np.all(np.isfinite(A))
        if name == "softmax":
            np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-6)
        else:
            assert np.all(np.isfinite(g.derivative(Z, A)))
    if name == "sigmoid":
        assert np.all((A >= 0) & (A <= 1))


def _targets(loss, n, m, rng):
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, m)).astype(np.float64)
    if loss == "cross_entropy":
        Y = np.zeros((n, m))
        Y[rng.integers(0, n, size=m), np.arange(m)] = 1.0
        return Y
    return rng.uniform(-1e3, 1e3, size=(n, m))


@SETTINGS
@given(name=st.sampled_from(sorted(LOSSES)), Z=Z_ARRAYS, seed=st.integers(0, 2**32 - 1))
def test_every_loss_is_finite_for_saturated_outputs(name, Z, seed):
    """Sigmoid outputs of exactly 0 and 1, one-hot softmax outputs, linear outputs up to 1e308."""
    loss = LOSSES[name]
    n, m = Z.shape
    Y = _targets(name, n, m, np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AL = ACTIVATIONS[loss.canonical](Z)
        J = loss.cost(AL, Y)
        delta = loss.output_delta(AL, Y)
    if name == "mse" and np.max(np.abs(AL - Y)) > 1e154:
        assert J == np.inf  # the square of the error is beyond float64: inf, which training reports
    else:
        assert np.isfinite(J) and J >= 0
    if name != "mse":
        assert np.all(np.isfinite(delta))
        # The clipping that keeps log finite: a fully wrong saturated output costs at most -log(eps) per unit.
        assert J <= n * -np.log(np.finfo(np.float64).eps) + 1e-9


def test_exact_zero_and_one_outputs_cost_what_the_clip_says():
    eps = np.finfo(np.float64).eps
    AL, Y = np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[0.0, 1.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J = LOSSES["binary_cross_entropy"].cost(AL, Y)
    np.testing.assert_allclose(J, (-2 * np.log1p(-eps) - 2 * np.log(eps)) / 4, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# A diverging run

DIVERGING = """seed: 1
data:
  source: sine
  n_samples: 50
model:
  layers: [1, 8, 1]
  activations: [relu, linear]
  init: he
train:
  learning_rate: 5.0
  epochs: 200
"""


@pytest.mark.parametrize("output", [None, "--metrics-out", pytest.param("--plot", marks=needs_matplotlib)])
def test_a_diverging_run_exits_1_with_the_hint_and_keeps_the_previous_file(cli, tmp_path, output):
    config = write(tmp_path / "div.yaml", DIVERGING)
    model = tmp_path / "model.npz"
    assert cli("train", config, "--lr", "0.01", "--epochs", "3", "-q", "--save", model).exit_code == 0
    before = model.read_bytes()
    options = {None: (), "--metrics-out": (output, tmp_path / "m.json"), "--plot": (output, tmp_path / "p.png")}
    result = cli("train", config, "-q", "--save", model, *options[output])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # The parameters overflow (their norm passes sqrt(max float)) an epoch before the cost becomes inf.
    assert "dnn: error: the parameters grew past" in result.stderr
    assert "the run diverged; lower train.learning_rate" in result.stderr
    assert f"nothing saved to {model}" in result.stderr
    assert model.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["div.yaml", "model.npz"]


def test_checkpoints_of_a_diverging_run_are_finite_and_named(cli, tmp_path):
    config = write(tmp_path / "div.yaml", DIVERGING)
    model = tmp_path / "model.npz"
    result = cli("train", config, "-q", "--save", model, "--checkpoint-every", "1")
    assert result.exit_code == 1, result.output
    loaded = load_model(model)
    assert loaded.network.is_finite() and np.all(np.isfinite(loaded.state["costs"]))
    assert f"kept the checkpoint of epoch {loaded.epoch} in {model}" in result.stderr


def test_save_model_refuses_non_finite_parameters_and_leaves_the_file(tmp_path):
    net = Network.initialize([2, 3, 1], ["tanh", "sigmoid"], "random", rng=np.random.default_rng(0))
    path = tmp_path / "m.npz"
    save_model(path, net, {})
    before = path.read_bytes()
    for bad in (np.nan, np.inf):
        net.W[1][0, 0] = bad
        with pytest.raises(TrainingError, match="not finite"):
            save_model(path, net, {})
        assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_ctrl_c_after_non_finite_parameters_saves_nothing(cli, tmp_path, monkeypatch):
    import dnn_cli.training_run as train_command

    def diverge_then_interrupt(prepared, callback=None):
        prepared.network.W[0][...] = np.nan
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "fit", diverge_then_interrupt)
    model = tmp_path / "model.npz"
    result = cli("train", write(tmp_path / "div.yaml", DIVERGING), "-q", "--save", model)
    assert result.exit_code == 130, result.output
    assert f"nothing saved to {model}: the parameters are not finite" in result.stderr
    assert not model.exists()
