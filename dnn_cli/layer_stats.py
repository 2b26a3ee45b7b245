"""Per-layer signals of a network on a batch: how the signal and the gradient travel through the layers.

For every layer l: the mean and standard deviation of Z^[l] and A^[l], the fraction of dead units
(ReLU / leaky ReLU units with Z^[l] <= 0 for every sample of the batch), the fraction of saturated
activations (sigmoid / tanh entries where g'(Z) is below 1 % of its maximum), ||W^[l]||_F,
||dW^[l]||_F and their ratio, and, while training, the update ratio ||Delta W^[l]||_F / ||W^[l]||_F of
the step actually taken (whatever the optimizer). Nothing here changes the network.

`verdicts` turns the traced rows into sentences that name the cause and the fix; the thresholds
are the constants below (documented in the README).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

DEAD_ACTIVATIONS = ("relu", "leaky_relu")
DERIVATIVE_MAX = {"sigmoid": 0.25, "tanh": 1.0}  # max over z of g'(z), at z = 0
SATURATED_BELOW = 0.01      # an entry is saturated where g'(z) < 1 % of max g'
VANISHING = 1e-3            # ||dW^[1]|| / ||dW^[L]|| below this: vanishing gradients
EXPLODING = 1e3             # ... above this: exploding gradients
MOSTLY = 0.5                # more than half of a layer dead or saturated
UPDATE_LOW, UPDATE_HIGH = 1e-5, 1e-1   # update ratios outside these (the usual is ~1e-3)


class LayerStats(NamedTuple):
    """Layer l's signals on one batch. dead / saturated are fractions in [0, 1], None where g has no such state."""

    l: int
    g: str
    mean_Z: float
    std_Z: float
    mean_A: float
    std_A: float
    dead: float | None
    saturated: float | None
    W_norm: float
    dW_norm: float | None = None
    update_ratio: float | None = None

    @property
    def dW_over_W(self) -> float | None:
        """||dW^[l]||_F / ||W^[l]||_F (None without a gradient or for W = 0)."""
        if self.dW_norm is None or self.W_norm == 0:
            return None
        return self.dW_norm / self.W_norm

    def to_dict(self) -> dict:
        return {"l": self.l, "g": self.g, "mean_Z": self.mean_Z, "std_Z": self.std_Z, "mean_A": self.mean_A,
                "std_A": self.std_A, "dead": self.dead, "saturated": self.saturated, "W_norm": self.W_norm,
                "dW_norm": self.dW_norm, "dW_over_W": self.dW_over_W, "update_ratio": self.update_ratio}


def dead_fraction(name: str, Z) -> float | None:
    """The fraction of layer units (rows of Z, (n^[l], m)) with Z <= 0 for every sample; None unless ReLU-like."""
    if name not in DEAD_ACTIVATIONS or Z.shape[1] == 0:
        return None
    return float(np.mean(np.all(Z <= 0, axis=1)))


def saturated_fraction(g, Z, A) -> float | None:
    """The fraction of entries of Z where g'(Z) < 1 % of its maximum; None unless g is sigmoid or tanh."""
    top = DERIVATIVE_MAX.get(g.name)
    if top is None or Z.size == 0:
        return None
    return float(np.mean(g.derivative(Z, A) < SATURATED_BELOW * top))


def layer_stats(network, X, dW=None, before=None) -> list[LayerStats]:
    """The per-layer signals of `network` on X (n^[0], m), forward without dropout.

    dW: the gradients dW^[l] of the step (list, in the shapes of W^[l]); before: (W, b), the lists of
    W^[l], b^[l] before a step that has since been taken. Then the update ratio is
    ||W - W_before||_F / ||W_before||_F, and the forward pass and ||W|| describe the parameters before
    the step, those the gradient was computed at.
    """
    W_now = list(network.W)
    W_at, b_at = before if before is not None else (W_now, list(network.b))
    rows = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        A = np.asarray(X, dtype=network.dtype)
        for l, (W, b, g) in enumerate(zip(W_at, b_at, network.g), start=1):
            Z = W @ A + b
            A = g(Z)
            W_norm = float(np.linalg.norm(W))
            ratio = None
            if before is not None and W_norm > 0:
                ratio = float(np.linalg.norm(W_now[l - 1] - W)) / W_norm
            rows.append(LayerStats(
                l, g.name, _stat(np.mean, Z), _stat(np.std, Z), _stat(np.mean, A), _stat(np.std, A),
                dead_fraction(g.name, Z), saturated_fraction(g, Z, A), W_norm,
                None if dW is None else float(np.linalg.norm(dW[l - 1])), ratio))
    return rows


def _stat(f, M) -> float:
    return float(f(M)) if M.size else math.nan


class Tracer:
    """Observes one optimizer step: the signals before it, the update ratios after it.

    The training loop calls `before(network, X, dW)` and `after(network)` around the step of a traced
    epoch; `rows` then holds that step's LayerStats. It only copies W^[l] and b^[l], never writes to the network.
    """

    def __init__(self):
        self.rows = None
        self._W = self._b = self._X = self._dW_norms = None

    def before(self, network, X, dW) -> None:
        """Before the step: keep W^[l], b^[l] and ||dW^[l]||_F (X must stay unchanged until `after`)."""
        self._W = [W.copy() for W in network.W]
        self._b = [b.copy() for b in network.b]
        self._X = X
        self._dW_norms = [float(np.linalg.norm(d)) for d in dW]

    def after(self, network) -> list[LayerStats]:
        """After the step: the signals at the parameters the step started from, with its update ratios."""
        rows = layer_stats(network, self._X, before=(self._W, self._b))
        self.rows = [r._replace(dW_norm=n) for r, n in zip(rows, self._dW_norms)]
        self._W = self._b = self._X = self._dW_norms = None
        return self.rows


def _fmt(x: float) -> str:
    return f"{x:.2g}"


def verdicts(traced) -> list[str]:
    """Sentences naming cause and fix, from [(epoch, [LayerStats or their dicts])] of the traced epochs.

    Vanishing / exploding gradients: ||dW^[1]|| / ||dW^[L]|| below VANISHING or above EXPLODING at a
    traced epoch (the first such epoch is named); vanishing / exploding signal: std A^[L-1] / std A^[1]
    likewise (with two hidden layers or more). Dead / saturated: more than MOSTLY of a hidden layer
    at a traced epoch. Update ratios: the median over the traced epochs, per layer, below UPDATE_LOW or
    above UPDATE_HIGH. Returns one sentence saying all is well when nothing is found.
    """
    traced = [(epoch, [_as_dict(r) for r in rows]) for epoch, rows in traced if rows]
    if not traced:
        return []
    found = []
    L = len(traced[0][1])
    for epoch, rows in traced:
        first, last = rows[0]["dW_norm"], rows[-1]["dW_norm"]
        if L < 2 or first is None or last is None or not last > 0 or not math.isfinite(first):
            continue
        ratio = first / last
        if ratio < VANISHING:
            found.append(f"vanishing gradients: ||dW^[1]|| / ||dW^[{L}]|| = {_fmt(ratio)} at epoch {epoch} "
                         f"(below {VANISHING:g}): the first layers barely learn; try He / Xavier init or ReLU")
            break
        if ratio > EXPLODING:
            found.append(f"exploding gradients: ||dW^[1]|| / ||dW^[{L}]|| = {_fmt(ratio)} at epoch {epoch} "
                         f"(above {EXPLODING:g}): try He / Xavier init, a smaller learning rate or fewer layers")
            break
    for epoch, rows in traced:
        first, last = rows[0]["std_A"], rows[L - 2]["std_A"] if L >= 3 else None
        if last is None or not first > 0 or not math.isfinite(last):
            continue
        ratio = last / first
        if ratio < VANISHING:
            found.append(f"vanishing signal: std A^[{L - 1}] / std A^[1] = {_fmt(ratio)} at epoch {epoch} (below "
                         f"{VANISHING:g}): the hidden layers shrink the signal, and the gradients with it; try "
                         "He / Xavier init")
            break
        if ratio > EXPLODING:
            found.append(f"exploding signal: std A^[{L - 1}] / std A^[1] = {_fmt(ratio)} at epoch {epoch} (above "
                         f"{EXPLODING:g}): the hidden layers amplify the signal; try He / Xavier init")
            break
    for key, text, fix in (
            ("dead", "dead ReLU units", "lower the learning rate, use leaky_relu or He init"),
            ("saturated", "saturated units", "use a smaller init (Xavier) and standardised inputs "
                                             "(data.standardize: true)")):
        for l in range(1, L):
            hit = next(((e, rows[l - 1][key]) for e, rows in traced
                        if rows[l - 1][key] is not None and rows[l - 1][key] > MOSTLY), None)
            if hit is not None:
                e, fraction = hit
                found.append(f"{text}: {fraction:.0%} of layer {l} at epoch {e} (more than {MOSTLY:.0%}): {fix}")
    medians = {}
    for l in range(1, L + 1):
        ratios = [rows[l - 1]["update_ratio"] for _, rows in traced if rows[l - 1]["update_ratio"] is not None]
        if ratios:
            medians[l] = float(np.median(ratios))
    for kind, bound, outside, cause in (("small", UPDATE_LOW, lambda r: r < UPDATE_LOW,
                                         "the learning rate is too small, or the gradients vanish"),
                                        ("large", UPDATE_HIGH, lambda r: r > UPDATE_HIGH,
                                         "the learning rate is too large")):
        layers = [l for l, r in medians.items() if outside(r)]
        if layers:
            worst = min(layers, key=medians.get) if kind == "small" else max(layers, key=medians.get)
            where = "below" if kind == "small" else "above"
            found.append(f"{kind} updates: the update ratio ||Delta W^[l]|| / ||W^[l]|| (median over the traced "
                         f"epochs) is {where} {bound:g} in {_layers(layers)} ({_fmt(medians[worst])} in layer "
                         f"{worst}; the usual is ~1e-3): {cause}")
    if not found:
        found.append(f"healthy: gradient ratio ||dW^[1]|| / ||dW^[L]|| within [{VANISHING:g}, {EXPLODING:g}], no "
                     f"layer more than {MOSTLY:.0%} dead or saturated, update ratios within "
                     f"[{UPDATE_LOW:g}, {UPDATE_HIGH:g}]")
    return found


def _layers(ls) -> str:
    """[1, 2, 3, 5] -> 'layers 1-3, 5'; [2] -> 'layer 2'."""
    runs, start = [], ls[0]
    for prev, l in zip(ls, ls[1:] + [None]):
        if l != prev + 1 if l is not None else True:
            runs.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = l
    return ("layer " if len(ls) == 1 else "layers ") + ", ".join(runs)


def _as_dict(row) -> dict:
    return row.to_dict() if isinstance(row, LayerStats) else row
