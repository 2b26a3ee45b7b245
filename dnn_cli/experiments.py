"""compare-init and compare-activations as data: every run, every measurement, and the verdicts.

Each comparison trains the network of one config several times, changing only the init scheme
or the hidden activation. `pipeline.prepare` draws the data, the initial parameters and the
batch order from independent streams of one seed, so the data are the same in every run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS
from .config import config_from_dict
from .errors import TrainingError, UsageError, suggest
from .initializers import INITIALIZERS
from .pipeline import prepare
from .training import final_metrics, iter_epochs

DEFAULT_SCHEMES = ("zeros", "random", "random:10", "he", "xavier")
DEFAULT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
RANDOM_SCALE = 0.01

# Built-in demos, validated with config_from_dict like any config. Both train in about a second.
INIT_DEMO = {
    "seed": 1,
    "data": {"source": "moons", "n_samples": 200, "noise": 0.2, "dev_fraction": 0.25},
    "model": {"layers": [2, 10, 5, 1], "activations": {"hidden": "tanh", "output": "sigmoid"}},
    "train": {"learning_rate": 0.5, "epochs": 2000, "log_every": 200},
}
# Sigmoid units output g(0) = 0.5, not 0, so a zero-initialised layer still passes a signal and
# learns, but as one unit. One hidden layer: deeper, the symmetric signal takes far longer to grow.
INIT_DEMO_SIGMOID = {
    "seed": 1,
    "data": {"source": "moons", "n_samples": 200, "noise": 0.2, "dev_fraction": 0.25},
    "model": {"layers": [2, 10, 1], "activations": {"hidden": "sigmoid", "output": "sigmoid"}},
    "train": {"learning_rate": 2.0, "epochs": 2000, "log_every": 200},
}
ACTIVATIONS_DEMO = {
    "seed": 3,
    "data": {"source": "flower", "n_samples": 400, "noise": 0.2},
    "model": {"layers": [2, 8, 8, 1], "activations": {"hidden": "tanh", "output": "sigmoid"}, "init": "xavier"},
    "train": {"learning_rate": 0.5, "epochs": 3000, "log_every": 300},
}


# --------------------------------------------------------------------------------------------
# Schemes and activations named on the command line


@dataclass(frozen=True)
class Scheme:
    """An init scheme as named by the user: 'random:10' is random with init_scale 10."""

    label: str
    init: str
    init_scale: float


def parse_schemes(text) -> list[Scheme]:
    """'zeros,he,random:0.5' -> Schemes; UsageError naming the valid choices otherwise."""
    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text)]
    valid = [*INITIALIZERS, "random:SCALE"]
    schemes = []
    for name in names:
        init, sep, scale_text = name.partition(":")
        if init not in INITIALIZERS:
            raise UsageError(f"--schemes: unknown init scheme '{name}': expected one of {', '.join(valid)}"
                             + suggest(init, INITIALIZERS))
        if not sep:
            schemes.append(Scheme(name, init, RANDOM_SCALE))
            continue
        if init != "random":
            raise UsageError(f"--schemes: '{name}': only random takes a scale (random:SCALE), {init} does not")
        try:
            scale = float(scale_text)
        except ValueError:
            scale = math.nan
        if not (math.isfinite(scale) and scale > 0):
            raise UsageError(f"--schemes: '{name}': expected random:SCALE with a positive number, got '{scale_text}'")
        schemes.append(Scheme(name, init, scale))
    if not schemes or any(not s.label for s in schemes):
        raise UsageError(f"--schemes: expected a comma-separated list such as zeros,he,random:0.5, got '{text}'")
    return schemes


def parse_activations(text) -> list[str]:
    """'linear,tanh' -> ['linear', 'tanh'], each a registered activation allowed in a hidden layer."""
    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text)]
    hidden = [name for name, g in ACTIVATIONS.items() if g.hidden_ok]
    for name in names:
        if name not in ACTIVATIONS:
            raise UsageError(f"--activations: unknown activation '{name}': expected one of {', '.join(hidden)}"
                             + suggest(name, hidden))
        if not ACTIVATIONS[name].hidden_ok:
            raise UsageError(f"--activations: '{name}' may only be the output activation g^[L]; "
                             f"hidden layers take one of {', '.join(hidden)}")
    return names


def _with(config, *, source: str = "<config>", **model):
    """The config with some model keys replaced, validated again."""
    raw = config.to_dict()
    raw["model"].update(model)
    return config_from_dict(raw, source=source)


def _seeded(config, seed: int, source: str):
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
class Run:
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


def run_measured(config, *, label: str, source: str = "<config>", track_units: bool = True) -> Run:
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
        final = final_metrics(network, X, y, options.get("X_dev"), options.get("Y_dev"))
    else:
        final = {"cost": math.nan}
    return Run(label, config.seed, network.layers[1:-1], list(prepared.state.costs), history, final,
               chance_cost(network, y), distinct, spread, diverged, time.perf_counter() - start, network, X)


# --------------------------------------------------------------------------------------------
# compare-init


@dataclass
class SchemeResult:
    """All repeats of one scheme, and the verdict drawn from their numbers."""

    scheme: Scheme
    runs: list
    verdict: str = ""

    def mean(self, key: str) -> float:
        values = [_value(r, key) for r in self.runs]
        return float(np.mean(values)) if values else math.nan

    def spread(self, key: str) -> float:
        """The standard deviation over repeats (0 for a single run)."""
        values = [_value(r, key) for r in self.runs]
        return float(np.std(values)) if len(values) > 1 else 0.0

    @property
    def distinct_range(self) -> list:
        """Per hidden layer: (fewest, most) distinct units at the end, over the repeats."""
        per_layer = zip(*(r.final_distinct for r in self.runs))
        return [(min(v), max(v)) for v in per_layer]


def _value(run: Run, key: str) -> float:
    if key == "cost_start":
        return run.cost_start
    if key == "cost_end":
        return run.cost_end
    value = run.final.get(key)
    return math.nan if value is None else value


@dataclass
class InitComparison:
    """One network trained under several init schemes (and `repeats` seeds each)."""

    config: object
    title: str
    schemes: list
    repeats: int
    note: str = ""
    seconds: float = 0.0

    @property
    def hidden_sizes(self) -> list:
        return list(self.config.model.layers[1:-1])

    def to_dict(self) -> dict:
        return {"title": self.title, "config": self.config.to_dict(), "repeats": self.repeats,
                "schemes": [{"scheme": s.scheme.label, "init": s.scheme.init, "init_scale": s.scheme.init_scale,
                             "verdict": s.verdict, "runs": [r.to_dict() for r in s.runs]} for s in self.schemes]}


def compare_init(config, schemes=DEFAULT_SCHEMES, *, repeats: int = 1, source: str = "<config>", title: str = "",
                 note: str = "") -> InitComparison:
    """Train `config`'s network once per scheme and seed (seed, seed + 1, ... for repeats)."""
    if repeats < 1:
        raise UsageError(f"--repeats: expected a positive integer, got {repeats}")
    start = time.perf_counter()
    schemes = parse_schemes(schemes) if isinstance(schemes, str) else [
        s if isinstance(s, Scheme) else parse_schemes([s])[0] for s in schemes]
    results = []
    for scheme in schemes:
        runs = []
        for k in range(repeats):
            seeded = _seeded(config, config.seed + k, source) if k else config
            changed = _with(seeded, source=source, init=scheme.init, init_scale=scheme.init_scale)
            runs.append(run_measured(changed, label=scheme.label, source=source))
        results.append(SchemeResult(scheme, runs))
    for result in results:
        result.verdict = init_verdict(result, results)
    title = title or describe(config)
    return InitComparison(config, title, results, repeats, note, time.perf_counter() - start)


def init_verdict(result: SchemeResult, all_results) -> str:
    """A few words from the numbers: symmetric (1 unit per layer), saturated start, stuck, slow or learns."""
    parts = []
    runs = result.runs
    if any(r.diverged for r in runs):
        return "diverged: " + next(r.diverged for r in runs if r.diverged)
    sizes = runs[0].hidden_sizes
    collapsed = [(l, n) for l, n in enumerate(sizes, start=1)
                 if n > 1 and all(max(r.distinct[l - 1]) == 1 for r in runs)]
    if collapsed:
        first, n = collapsed[0]
        text = f"symmetric: layer {first} acts as 1 unit of {n}"
        text += "".join(f", layer {l} as 1 of {n}" for l, n in collapsed[1:])
        parts.append(text)
    broken = [(l, n, r) for l, n in enumerate(sizes, start=1) for r in runs
              if n > 1 and r.distinct[l - 1][0] == 1 and max(r.distinct[l - 1]) > 1]
    if broken:
        # In exact arithmetic the copies stay equal forever; in floating point the rows are summed
        # in different orders, and an unstable symmetric state amplifies those rounding differences.
        l, n, r = broken[0]
        epoch = next(e for e, d in enumerate(r.distinct[l - 1]) if d > 1)
        parts.append(f"symmetric at the start, then rounding broke it: layer {l} has {r.distinct[l - 1][epoch]} "
                     f"distinct units after epoch {epoch}, {r.final_distinct[l - 1]} of {n} at the end")
    start, end = result.mean("cost_start"), result.mean("cost_end")
    chance = float(np.mean([r.chance_cost for r in runs]))
    if start > 2 * chance:
        parts.append(f"saturated: initial cost {start:.3g}")
    best = min(r.mean("cost_end") for r in all_results if not any(x.diverged for x in r.runs))
    if end >= 0.98 * min(start, chance):
        parts.append(f"stuck at cost {end:.3g}")
    elif end > 3 * best and end - best > 0.05:
        parts.append(f"slow: cost {end:.3g} at the end, best scheme {best:.3g}")
    else:
        parts.append("learns" + (" as that one unit" if collapsed else "") + f": cost {start:.3g} -> {end:.3g}")
    return "; ".join(parts)


def describe(config) -> str:
    """'moons (150 train, 50 dev), layers [2, 10, 1], tanh / sigmoid, 2000 epochs, lr 0.5' in one line."""
    model, train, data = config.model, config.train, config.data
    names = model.activation_names()
    hidden = sorted(set(names[:-1]), key=names.index)
    acts = "/".join(hidden) + (" hidden, " if hidden else "") + f"{names[-1]} output"
    source = data.source.rsplit("/", 1)[-1]
    return (f"{source}, layers {list(model.layers)}, {acts}, {train.epochs} epochs, "
            f"learning rate {train.learning_rate:g}, seed {config.seed}")


def init_demo(*, overrides=(), **flags) -> list:
    """The built-in compare-init demo: [(config, title, note, only_schemes)] for its two parts."""
    main = config_from_dict(INIT_DEMO, source="<demo>", overrides=overrides, **flags)
    sigmoid = config_from_dict(INIT_DEMO_SIGMOID, source="<demo>", overrides=overrides, **flags)
    return [
        (main, "", "", None),
        (sigmoid, "", "zeros with sigmoid hidden units: g(0) = 0.5 is not 0, so the copies still pass a signal "
                      "and learn, but as one unit (they start moving only because the train split is not "
                      "exactly balanced)", ("zeros",)),
    ]


# --------------------------------------------------------------------------------------------
# compare-activations


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
    baseline: Run | None
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
        changed = _with(config, source=source, activations=[name] * (len(layers) - 2) + [output])
        run = run_measured(changed, label=name, source=source, track_units=False)
        runs.append(run)
        if name == "linear" and not run.diverged:
            collapse = _collapse_of(run)
    baseline_config = _with(config, source=source, layers=[layers[0], layers[-1]], activations=[output],
                            keep_prob=1.0)
    baseline = run_measured(baseline_config, label="none (no hidden layer)", source=source, track_units=False)
    return ActivationComparison(config, title or describe(config), runs, baseline, collapse,
                                time.perf_counter() - start)


def _collapse_of(run: Run) -> Collapse:
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

