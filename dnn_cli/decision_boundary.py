"""What a network decides over the input plane: the grid behind decision-boundary pictures.

Pure NumPy, no plotting: `decision_grid` evaluates a network with n^[0] = 2 on a regular grid
covering the data, `decision_curve` does the same on a line for n^[0] = 1. Grids are in the data's
own units; a standardizer (from training) is applied before the forward pass, as in prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import UsageError


@dataclass(frozen=True, eq=False)
class Grid:
    """A network's output over a grid.

    x1 (r1,), x2 (r2,): the grid's coordinates; values (r2, r1): values[j, i] is the decision at
    (x1[i], x2[j]) — a class code for a classifier, the output A^[L] for a regressor (n^[L] = 1);
    proba (r2, r1) or None: A^[L] of a sigmoid output (the probability of class 1).
    """

    x1: np.ndarray
    x2: np.ndarray
    values: np.ndarray
    proba: np.ndarray | None


@dataclass(frozen=True, eq=False)
class Curve:
    """A network's output along one input: x (r,), values (r,) as in `Grid`."""

    x: np.ndarray
    values: np.ndarray


def axis_range(x: np.ndarray, margin: float = 0.1) -> tuple[float, float]:
    """(low, high) covering the values x plus `margin` times their span on each side (1 when constant)."""
    lo, hi = float(np.min(x)), float(np.max(x))
    pad = margin * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _outputs(network, X, standardizer, target_scaler=None):
    """Decisions (one row) for the columns of X (n^[0], m), and A^[L] for a sigmoid output; a regressor's
    outputs in the targets' own units when it learnt them standardised (`target_scaler`)."""
    if network.layers[-1] != 1 and not network.is_classifier:
        raise UsageError(f"a picture needs one output for regression, got n^[L] = {network.layers[-1]}")
    if standardizer is not None:
        X = standardizer.transform(X)
    AL = network.predict_proba(X)
    values = network.decide(AL)[0].astype(np.float64)
    if target_scaler is not None and not network.is_classifier:
        values = values * target_scaler.std[0, 0] + target_scaler.mean[0, 0]
    proba = AL[0] if network.loss.name == "binary_cross_entropy" else None
    return values, proba


def decision_grid(network, X, *, resolution: int = 200, margin: float = 0.1, standardizer=None,
                  target_scaler=None) -> Grid:
    """The network's decisions on a resolution x resolution grid covering X (2, m) plus a margin."""
    if network.layers[0] != 2 or X.shape[0] != 2:
        raise UsageError(f"a decision-boundary picture needs n^[0] = 2 features, got {network.layers[0]}")
    x1 = np.linspace(*axis_range(X[0], margin), resolution)
    x2 = np.linspace(*axis_range(X[1], margin), resolution)
    G1, G2 = np.meshgrid(x1, x2)
    points = np.vstack([G1.ravel(), G2.ravel()])
    values, proba = _outputs(network, points, standardizer, target_scaler)
    shape = (x2.size, x1.size)
    return Grid(x1, x2, values.reshape(shape), None if proba is None else proba.reshape(shape))


def decision_curve(network, X, *, resolution: int = 400, margin: float = 0.1, standardizer=None,
                   target_scaler=None) -> Curve:
    """The network's output along a line covering X (1, m) plus a margin."""
    if network.layers[0] != 1 or X.shape[0] != 1:
        raise UsageError(f"a curve picture needs n^[0] = 1 feature, got {network.layers[0]}")
    x = np.linspace(*axis_range(X[0], margin), resolution)
    values, _ = _outputs(network, x[np.newaxis, :], standardizer, target_scaler)
    return Curve(x, values)
