"""compare-init as data: one network under several init schemes, and a verdict per scheme from its numbers."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .config import config_from_dict
from .errors import ParameterError, suggest
from .experiments import MeasuredRun, describe, run_measured, seeded, with_model
from .initializers import INITIALIZERS

DEFAULT_SCHEMES = ("zeros", "random", "random:10", "he", "xavier")
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
            raise ParameterError("schemes", f": unknown init scheme '{name}': expected one of {', '.join(valid)}"
                                            + suggest(init, INITIALIZERS))
        if not sep:
            schemes.append(Scheme(name, init, RANDOM_SCALE))
            continue
        if init != "random":
            raise ParameterError("schemes", f": '{name}': only random takes a scale (random:SCALE), {init} does not")
        try:
            scale = float(scale_text)
        except ValueError:
            scale = math.nan
        if not (math.isfinite(scale) and scale > 0):
            raise ParameterError("schemes", f": '{name}': expected random:SCALE with a positive number, "
                                            f"got '{scale_text}'")
        schemes.append(Scheme(name, init, scale))
    if not schemes or any(not s.label for s in schemes):
        raise ParameterError("schemes", f": expected a comma-separated list such as zeros,he,random:0.5, got '{text}'")
    return schemes



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


def _value(run: MeasuredRun, key: str) -> float:
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


def check_repeats(repeats: int) -> None:
    """`repeats` (seeds per scheme) must be a positive integer."""
    if repeats < 1:
        raise ParameterError("repeats", f": expected a positive integer, got {repeats}")


def compare_init(config, schemes=DEFAULT_SCHEMES, *, repeats: int = 1, source: str = "<config>", title: str = "",
                 note: str = "") -> InitComparison:
    """Train `config`'s network once per scheme and seed (seed, seed + 1, ... for repeats)."""
    check_repeats(repeats)
    start = time.perf_counter()
    schemes = parse_schemes(schemes) if isinstance(schemes, str) else [
        s if isinstance(s, Scheme) else parse_schemes([s])[0] for s in schemes]
    results = []
    for scheme in schemes:
        runs = []
        for k in range(repeats):
            config_k = seeded(config, config.seed + k, source) if k else config
            changed = with_model(config_k, source=source, init=scheme.init, init_scale=scheme.init_scale)
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

