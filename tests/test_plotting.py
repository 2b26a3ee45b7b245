"""Decision-boundary grids (pure NumPy, by hand) and the PNG files drawn from them."""

from __future__ import annotations

import struct
import sys

import numpy as np
import pytest

from dnn_cli.decision_boundary import axis_range, decision_curve, decision_grid
from dnn_cli.errors import UsageError
from dnn_cli.network import Network
from dnn_cli.preprocessing import Standardizer

from .conftest import CONFIGS, assert_input_error

X_BOX = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]])


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_axis_range_adds_the_margin_and_widens_constants():
    assert axis_range(np.array([0.0, 10.0]), 0.1) == (-1.0, 11.0)
    assert axis_range(np.array([3.0, 3.0]), 0.1) == (2.0, 4.0)


def test_grid_of_a_linear_classifier_is_its_half_plane():
    # A^[1] = sigmoid(x1 - x2): class 1 exactly where x1 > x2.
    network = Network([np.array([[1.0, -1.0]])], [np.zeros((1, 1))], ["sigmoid"])
    grid = decision_grid(network, X_BOX, resolution=41, margin=0.0)
    np.testing.assert_allclose(grid.x1, np.linspace(-1, 1, 41), rtol=0, atol=1e-15)
    np.testing.assert_allclose(grid.x2, np.linspace(-2, 2, 41), rtol=0, atol=1e-15)
    G1, G2 = np.meshgrid(grid.x1, grid.x2)
    np.testing.assert_array_equal(grid.values, (G1 - G2 > 0).astype(float))
    np.testing.assert_allclose(grid.proba, 1 / (1 + np.exp(-(G1 - G2))), rtol=1e-15, atol=0)


def test_grid_of_a_softmax_is_the_argmax_region():
    # Z = (x1, -x1, x2): class 0 where x1 is largest, 1 where -x1, 2 where x2.
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    network = Network([W], [np.zeros((3, 1))], ["softmax"])
    grid = decision_grid(network, X_BOX, resolution=9, margin=0.0)
    G1, G2 = np.meshgrid(grid.x1, grid.x2)
    expected = np.argmax(np.stack([G1, -G1, G2]), axis=0).astype(float)
    np.testing.assert_array_equal(grid.values, expected)
    assert grid.proba is None


def test_regression_surface_and_standardizer():
    # Trained on standardized inputs: the grid is in raw units and standardized before the forward pass.
    network = Network([np.array([[2.0, 3.0]])], [np.array([[1.0]])], ["linear"])
    scaler = Standardizer(np.array([[1.0], [-1.0]]), np.array([[2.0], [4.0]]))
    grid = decision_grid(network, X_BOX, resolution=5, margin=0.5, standardizer=scaler)
    G1, G2 = np.meshgrid(grid.x1, grid.x2)
    np.testing.assert_allclose(grid.x1[[0, -1]], [-2.0, 2.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(grid.values, 2 * (G1 - 1) / 2 + 3 * (G2 + 1) / 4 + 1, rtol=1e-14, atol=1e-14)


def test_curve_for_one_input():
    network = Network([np.array([[-2.0]])], [np.array([[0.5]])], ["linear"])
    curve = decision_curve(network, np.array([[0.0, 1.0]]), resolution=11, margin=0.0)
    np.testing.assert_allclose(curve.x, np.linspace(0, 1, 11), rtol=0, atol=1e-15)
    np.testing.assert_allclose(curve.values, -2 * curve.x + 0.5, rtol=0, atol=1e-15)


def test_a_grid_needs_two_features():
    network = Network([np.ones((1, 3))], [np.zeros((1, 1))], ["sigmoid"])
    with pytest.raises(UsageError, match="n\\^\\[0\\] = 2"):
        decision_grid(network, np.zeros((3, 4)))


def _flower_network():
    rng = np.random.default_rng(0)
    network = Network.initialize([2, 4, 1], ["tanh", "sigmoid"], "xavier", rng=rng)
    X = rng.standard_normal((2, 40))
    y = (X[0] * X[1] > 0).astype(np.int64)[None, :]
    return network, X, y


@pytest.mark.parametrize("with_model, size", [(True, (1200, 450)), (False, (600, 450))],
                         ids=["two-panels", "cost-only"])
def test_training_figure_is_a_png_of_the_expected_size(tmp_path, with_model, size):
    pytest.importorskip("matplotlib")
    from dnn_cli.plotting import training_figure

    network, X, y = _flower_network()
    path = tmp_path / "train.png"
    costs = list(np.linspace(0.7, 0.2, 50))
    training_figure(path, costs, dev=([0, 25, 49], [0.7, 0.4, 0.3]), network=network if with_model else None,
                    X=X, y=y, classes=(0, 1), title="layers [2, 4, 1]")
    assert _png_size(path) == size


@pytest.mark.parametrize("with_models, size", [(True, (1800, 900)), (False, (600, 450))], ids=["boundaries", "curves"])
def test_compare_figure_is_a_png_of_the_expected_size(tmp_path, with_models, size):
    pytest.importorskip("matplotlib")
    from dnn_cli.plotting import PlotRun, compare_figure

    network, X, y = _flower_network()
    runs = [PlotRun(name, list(np.linspace(0.7, end, 30)), network) for name, end in
            (("zeros", 0.69), ("random", 0.3), ("he", 0.2))]
    path = tmp_path / "compare.png"
    compare_figure(runs, path, X=X if with_models else None, y=y, classes=(0, 1))
    assert _png_size(path) == size


@pytest.mark.parametrize("config, args", [
    ("flower.yaml", ["--epochs", "50"]),
    ("sine.yaml", ["--epochs", "5"]),
    ("fruit.yaml", ["--epochs", "20"]),
], ids=["flower-boundary", "sine-curve", "fruit-3-features-cost-only"])
def test_train_plot_writes_a_png(cli, tmp_path, config, args):
    pytest.importorskip("matplotlib")
    path = tmp_path / "run.png"
    result = cli("train", CONFIGS / config, *args, "--plot", path)
    assert result.exit_code == 0, result.output
    assert f"saved the plot to {path}" in result.stdout
    width, height = _png_size(path)
    assert height == 450 and width == (600 if config == "fruit.yaml" else 1200)


def test_plot_without_matplotlib_names_the_install_command(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    result = cli("train", CONFIGS / "flower.yaml", "--epochs", 5, "--plot", tmp_path / "run.png")
    assert_input_error(result, "pip install -e '.[plot]'")
    assert not (tmp_path / "run.png").exists()


def test_plot_needs_a_picture_suffix(cli, tmp_path):
    assert_input_error(cli("train", CONFIGS / "flower.yaml", "--epochs", 5, "--plot", tmp_path / "run.txt"),
                       "expected a file name ending in .png")


@pytest.mark.slow
@pytest.mark.parametrize("command, runs", [("compare-init", 5), ("compare-activations", 5)],
                         ids=["compare-init", "compare-activations"])
def test_compare_commands_plot_one_panel_per_run(cli, tmp_path, command, runs):
    pytest.importorskip("matplotlib")
    path = tmp_path / "compare.png"
    result = cli(command, "--epochs", 20, "--plot", path)
    assert result.exit_code == 0, result.output
    assert f"saved the plot to {path}" in result.stdout
    assert _png_size(path) == (600 * runs, 900)
