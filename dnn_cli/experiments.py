"""One training run measured every epoch: the building block of compare-init and compare-activations.

Each comparison trains the network of one config several times, changing only the init scheme
or the hidden activation. `pipeline.prepare` draws the data, the initial parameters and the
batch order from independent streams of one seed, so the data are the same in every run.
The comparisons themselves live in `init_comparison` and `activation_comparison`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .config import config_from_dict
from .errors import TrainingError
from .pipeline import prepare
from .training import final_metrics, iter_epochs


def with_model(config, *, source: str = "<config>", **model):
    """The config with some model keys replaced, validated again."""
    raw = config.to_dict()
    raw["model"].update(model)
    return config_from_dict(raw, source=source)


def seeded(config, seed: int, source: str):
    raw = config.to_dict()
    raw["seed"] = seed
    return config_from_dict(raw, source=source)



# --------------------------------------------------------------------------------------------
# Symmetry: distinct hidden units


def unit_rows(W, b) -> np.ndarray:
    """[W^[l] | b^[l]] of shape (n^[l], n^[l-1] + 1): row i is everything unit i computes from."""
    return np.hstack([W, b])


def distinct_units(W, b, *, rtol: float = 1e-12) -> int:
    """How many different units a layer has: rows of [W^[l] | b^[l]] within rtol (1 + max|.|) are one."""
    rows = unit_rows(W, b)
    tolerance = rtol * (1.0 + float(np.max(np.abs(rows))))
    spread = np.ptp(rows, axis=0)
    if spread.max() <= tolerance:
        return 1
    # Two equal rows agree in every column; if the widest column already separates all of them,
    # every unit is distinct (the usual case after a random init), without comparing pairs.
    column = np.sort(rows[:, int(spread.argmax())])
    if np.all(np.diff(column) > tolerance):
        return len(rows)
    representatives = rows[:1]
    for row in rows[1:]:
        if not np.any(np.max(np.abs(representatives - row), axis=1) <= tolerance):
            representatives = np.vstack([representatives, row])
    return len(representatives)


def row_spread(W, b) -> float:
    """max over columns of (max - min over units) of [W^[l] | b^[l]]: 0 when all units are equal."""
    rows = unit_rows(W, b)
    return float(np.max(np.ptp(rows, axis=0)))


def chance_cost(network, Y) -> float:
    """The cost of knowing nothing: predicting the training targets' mean (class frequencies) for every sample."""
    Y = network.targets(Y)
    mean = np.repeat(Y.mean(axis=1, keepdims=True), Y.shape[1], axis=1)
    return network.cost(mean, Y)


# --------------------------------------------------------------------------------------------
# One run, measured every epoch


@dataclass
class MeasuredRun:
    """One training run: what was changed (`label`), its costs, history and final metrics.

    distinct: per hidden layer, the number of distinct units after each epoch (index 0 is the
    initial parameters), so distinct[0][e] is layer 1 after e epochs. max_row_spread: per hidden
    layer, the largest row_spread seen over the whole run.
    """

    label: str
    seed: int
    hidden_sizes: list
    costs: list
    history: list
    final: dict
    chance_cost: float
    distinct: list
    max_row_spread: list
    diverged: str | None = None
    seconds: float = 0.0
    network: object = field(default=None, repr=False)
    X: np.ndarray | None = field(default=None, repr=False)

    @property
    def cost_start(self) -> float:
        return self.costs[0] if self.costs else math.nan

    @property
    def cost_end(self) -> float:
        return self.final.get("cost", math.nan)

    @property
    def final_distinct(self) -> list:
        return [d[-1] for d in self.distinct]

    @property
    def max_distinct(self) -> list:
        """Per hidden layer, the most distinct units at any epoch."""
        return [max(d) for d in self.distinct]

    def to_dict(self) -> dict:
        return {"label": self.label, "seed": self.seed, "cost_start": self.cost_start, "cost_end": self.cost_end,
                "final": self.final, "chance_cost": self.chance_cost, "hidden_sizes": self.hidden_sizes,
                "distinct_units": self.final_distinct, "max_distinct_units": self.max_distinct,
                "max_row_spread": self.max_row_spread, "diverged": self.diverged,
                "history": [h.to_dict() for h in self.history], "seconds": self.seconds}


def run_measured(config, *, label: str, source: str = "<config>", track_units: bool = True) -> MeasuredRun:
    """Train the config's network epoch by epoch, counting distinct hidden units after every epoch."""
    start = time.perf_counter()
    prepared = prepare(config, source=source)
    network = prepared.network
    X, y = prepared.train.X, prepared.train.y
    hidden = list(range(network.L - 1))
    options = prepared.train_options()

    def measure(distinct, spread):
        for k in hidden:
            distinct[k].append(distinct_units(network.W[k], network.b[k]))
            spread[k] = max(spread[k], row_spread(network.W[k], network.b[k]))

    hidden = hidden if track_units else []
    distinct, spread = [[] for _ in hidden], [0.0 for _ in hidden]
    measure(distinct, spread)
    history, diverged = [], None
    try:
        for result in iter_epochs(network, X, y, state=prepared.state, **options):
            if result.logged:
                history.append(result)
            measure(distinct, spread)
    except TrainingError as e:
        diverged = str(e)
    if diverged is None:
        final = final_metrics(network, X, y, options.get("X_dev"), options.get("Y_dev"),
                              target_scale=options.get("target_scale"))  # RMSE in the targets' units, as dnn train
    else:
        final = {"cost": math.nan}
    return MeasuredRun(label, config.seed, network.layers[1:-1], list(prepared.state.costs), history, final,
               chance_cost(network, y), distinct, spread, diverged, time.perf_counter() - start, network, X)



def describe(config) -> str:
    """'moons (150 train, 50 dev), layers [2, 10, 1], tanh / sigmoid, 2000 epochs, lr 0.5' in one line."""
    model, train, data = config.model, config.train, config.data
    names = model.activation_names()
    hidden = sorted(set(names[:-1]), key=names.index)
    acts = "/".join(hidden) + (" hidden, " if hidden else "") + f"{names[-1]} output"
    source = data.source.rsplit("/", 1)[-1]
    return (f"{source}, layers {list(model.layers)}, {acts}, {train.epochs} epochs, "
            f"learning rate {train.learning_rate:g}, seed {config.seed}")

