"""compare-activations as data: one network with each hidden activation, and the all-linear one as one layer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .config import config_from_dict
from .errors import ParameterError, UsageError, suggest
from .experiments import MeasuredRun, describe, run_measured, with_model

DEFAULT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")

# The built-in demo, validated with config_from_dict like any config. It trains in about a second.
ACTIVATIONS_DEMO = {
    "seed": 3,
    "data": {"source": "flower", "n_samples": 400, "noise": 0.2},
    "model": {"layers": [2, 8, 8, 1], "activations": {"hidden": "tanh", "output": "sigmoid"}, "init": "xavier"},
    "train": {"learning_rate": 0.5, "epochs": 3000, "log_every": 300},
}


def parse_activations(text) -> list[str]:
    """'linear,tanh' -> ['linear', 'tanh'], each a registered activation allowed in a hidden layer."""
    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text)]
    hidden = [name for name, g in ACTIVATIONS.items() if g.hidden_ok]
    for name in names:
        if name not in ACTIVATIONS:
            raise ParameterError("activations", f": unknown activation '{name}': expected one of {', '.join(hidden)}"
                                                + suggest(name, hidden))
        if not ACTIVATIONS[name].hidden_ok:
            raise ParameterError("activations", f": '{name}' may only be the output activation g^[L]; "
                                                f"hidden layers take one of {', '.join(hidden)}")
    return names



def collapse_linear(network):
    """W_eff = W^[L] ... W^[1] and b_eff with Z^[L] = W_eff X + b_eff, for linear hidden layers.

    Shapes: W_eff (n^[L], n^[0]), b_eff (n^[L], 1). b_eff folds every bias forward:
    b_eff <- W^[l] b_eff + b^[l].
    """
    if any(name != "linear" for name in network.activations[:-1]):
        raise UsageError("collapse_linear: every hidden activation must be linear, got "
                         f"{network.activations[:-1]}")
    W_eff, b_eff = network.W[0], network.b[0]
    for W, b in zip(network.W[1:], network.b[1:]):
        W_eff, b_eff = W @ W_eff, W @ b_eff + b
    return W_eff, b_eff


@dataclass
class Collapse:
    """The all-linear network as one layer, and how far Z^[L] is from W_eff X + b_eff on the train data."""

    W_eff: np.ndarray
    b_eff: np.ndarray
    max_difference: float
    max_abs_Z: float
    L: int


@dataclass
class ActivationComparison:
    """One network trained with each hidden activation, plus the network without a hidden layer."""

    config: object
    title: str
    runs: list
    baseline: MeasuredRun | None
    collapse: Collapse | None
    seconds: float = 0.0

    @property
    def is_classifier(self) -> bool:
        return "train_accuracy" in (self.runs[0].final if self.runs else {})

    def to_dict(self) -> dict:
        out = {"title": self.title, "config": self.config.to_dict(), "runs": [r.to_dict() for r in self.runs],
               "no_hidden_layer": self.baseline.to_dict() if self.baseline else None}
        if self.collapse is not None:
            c = self.collapse
            out["collapse"] = {"W_eff": c.W_eff.tolist(), "b_eff": c.b_eff.tolist(),
                               "max_abs_difference": c.max_difference, "max_abs_Z": c.max_abs_Z}
        return out


def compare_activations(config, activations=DEFAULT_ACTIVATIONS, *, source: str = "<config>",
                        title: str = "") -> ActivationComparison:
    """Train `config`'s network with each hidden activation; collapse the linear one; train [n^[0], n^[L]]."""
    start = time.perf_counter()
    names = parse_activations(activations)
    layers = list(config.model.layers)
    if len(layers) < 3:
        raise UsageError(f"compare-activations: the network has no hidden layer (layers {layers}); "
                         "add one, e.g. layers: [n_x, 4, n_y]")
    output = config.model.activation_names()[-1]
    runs, collapse = [], None
    for name in names:
        changed = with_model(config, source=source, activations=[name] * (len(layers) - 2) + [output])
        run = run_measured(changed, label=name, source=source, track_units=False)
        runs.append(run)
        if name == "linear" and not run.diverged:
            collapse = _collapse_of(run)
    baseline_config = with_model(config, source=source, layers=[layers[0], layers[-1]], activations=[output],
                            keep_prob=1.0)
    baseline = run_measured(baseline_config, label="none (no hidden layer)", source=source, track_units=False)
    return ActivationComparison(config, title or describe(config), runs, baseline, collapse,
                                time.perf_counter() - start)


def _collapse_of(run: MeasuredRun) -> Collapse:
    """The trained linear network as one layer, and max |Z^[L] - (W_eff X + b_eff)| on its train data."""
    network, X = run.network, run.X
    _, caches = network.forward(X)
    Z = caches[-1].Z
    W_eff, b_eff = collapse_linear(network)
    return Collapse(W_eff, b_eff, float(np.max(np.abs(Z - (W_eff @ X + b_eff)))), float(np.max(np.abs(Z))),
                    network.L)


def activations_demo(*, overrides=(), **flags):
    """The built-in compare-activations demo config (the flower data)."""
    return config_from_dict(ACTIVATIONS_DEMO, source="<demo>", overrides=overrides, **flags)

