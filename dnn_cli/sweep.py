"""A sweep: one config over a grid of values and several seeds, every run exactly a `dnn train`.

    grid = parse_grid(["train.learning_rate=0.01,0.1,1", "model.init=random,he"])
    sweep = plan_sweep("circles.yaml", grid, seeds=3)     # every combination validated before any run
    record = run_one(sweep.runs[0].config, sweep.source)  # what a worker does: a plain dict

`run_one` is `dnn train CONFIG --set KEY=VALUE ... --seed S` through the library (`pipeline.prepare`
and `fit`), so its final cost and parameters are those of that command, bit for bit. A run that
diverges is a record with status "diverged", not an exception. The engine that runs the records in
parallel (Dask) is `dnn_cli.sweep_engine`; this module imports nothing of it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import config_from_dict, parse_override, parse_yaml
from .errors import ConfigError, DataError, DnnError, ParameterError, TrainingError, shorten
from .io.configfile import read_config_text

CURVE_POINTS = 200  # cost curve points kept per run (for the plot), evenly spaced over the epochs run
MAX_MESSAGES = 30


@dataclass(frozen=True)
class GridKey:
    """One `--grid KEY=V1,V2,...`: the dotted key, the values (read as YAML) and their texts as written."""

    key: str
    values: tuple
    texts: tuple


def split_values(text: str) -> list[str]:
    """'0.01,0.1' -> ['0.01', '0.1']; commas inside [...], {...} or quotes stay: '[2,4,1],[2,8,1]' is two values."""
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_grid(texts) -> list[GridKey]:
    """`--grid` options -> GridKeys; each value is read as YAML by --set's own parser (keys checked there)."""
    grid, seen = [], set()
    for text in texts:
        key, sep, values = text.partition("=")
        key = key.strip()
        label = f" '{shorten(text, 200)}'"
        if not sep or not key or not values.strip():
            raise ParameterError("grid", f"{label}: expected KEY=V1,V2,... with a dotted key, "
                                         "e.g. train.learning_rate=0.01,0.1")
        if key in seen:
            raise ParameterError("grid", f"{label}: the key {key} is already in the grid; give its values once")
        seen.add(key)
        items = split_values(values)
        if any(not item for item in items):
            raise ParameterError("grid", f"{label}: an empty value; separate the values with single commas")
        parsed = []
        for item in items:
            try:
                parsed.append(parse_override(f"{key}={item}")[1])
            except ConfigError as e:
                rest = str(e).split(": ", 1)[-1]  # parse_override's message without its "--set '...'" label
                raise ParameterError("grid", f"{label}: {rest}") from None
        if len({json.dumps(v, sort_keys=True) for v in parsed}) < len(parsed):
            raise ParameterError("grid", f"{label}: a value is given twice")
        grid.append(GridKey(key, tuple(parsed), tuple(items)))
    return grid


@dataclass(eq=False)  # runs are told apart by identity (dict keys)
class Run:
    """One run of a sweep: its combination (index into `Sweep.combinations`), seed and validated config."""

    combination: int
    seed: int
    config: object

    def identity(self) -> str:
        """The run's resolved config as canonical JSON: a finished run with the same one is the same run."""
        return json.dumps(self.config.to_dict(), sort_keys=True)


@dataclass
class Sweep:
    """The planned runs: the grid's combinations (one dict key -> value each) times the seeds."""

    source: str
    grid: list
    combinations: list
    seeds: list
    runs: list = field(default_factory=list)

    def combination_config(self, index: int):
        """The resolved config of a combination at the first seed (what `--save-best` writes)."""
        return next(run.config for run in self.runs if run.combination == index)


def _choices(grid: list[GridKey]) -> list[tuple]:
    """Every combination as one value index per grid key, the last key varying fastest."""
    return list(itertools.product(*[range(len(g.values)) for g in grid]))


def plan_sweep(config_path, grid: list[GridKey], *, seeds: int = 1, seed: int | None = None, overrides=(),
               epochs: int | None = None) -> Sweep:
    """Validate every combination x seed against the schema (all problems at once); the runs to do.

    The runs of a combination use seeds seed, seed+1, ..., seed+seeds-1 (seed: the flag, else the config's).
    """
    if seeds < 1:
        raise ParameterError("seeds", f": expected a positive number of seeds, got {seeds}")
    path = Path(config_path)
    source = str(path)
    raw, lines = parse_yaml(read_config_text(path), source)
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: expected a mapping of keys (seed, data, model, train), "
                          f"got {type(raw).__name__}")
    choices = _choices(grid)
    combinations = [{g.key: g.values[i] for g, i in zip(grid, choice)} for choice in choices]
    sweep = Sweep(source, grid, combinations, [])
    try:  # the config's own problems (those the grid does not fix) are reported once, as `dnn train` reports them
        config_from_dict(raw, source=source, lines=lines, base=path.parent, overrides=overrides, epochs=epochs,
                         seed=seed)
        own = set()
    except ConfigError as e:
        own = set(str(e).splitlines())
    problems = []
    for index, choice in enumerate(choices):
        texts = [f"{g.key}={g.texts[i]}" for g, i in zip(grid, choice)]
        first = seed  # the flag, else the combination's own seed (the config's, or --set seed=...)
        for k in range(seeds):
            try:
                config = config_from_dict(raw, source=source, lines=lines, base=path.parent,
                                          overrides=[*overrides, *texts], epochs=epochs,
                                          seed=None if first is None else first + k)
            except ConfigError as e:
                problems += [line for line in _grid_lines(str(e), texts, own) if line not in problems]
                break
            first = config.seed if first is None else first
            sweep.runs.append(Run(index, config.seed, config))
    if sweep.runs:
        sweep.seeds = [run.seed for run in sweep.runs if run.combination == sweep.runs[0].combination]
    if problems:
        if len(problems) > MAX_MESSAGES:
            problems[MAX_MESSAGES:] = [f"{source}: and {len(problems) - MAX_MESSAGES:,} more problems"]
        raise ConfigError("\n".join(problems))
    return sweep


def _grid_lines(message: str, texts: list[str], own: set) -> list[str]:
    """A combination's config problems naming its --grid values: a value's own problem as '--grid KEY=VALUE: ...',
    one the values cause in the file's keys as 'with --grid ..., --grid ...: ...'; the config's `own` as they are."""
    for text in texts:
        message = message.replace(f"--set {shorten(text, 200)}", f"--grid {shorten(text, 200)}")
    combination = ", ".join(f"--grid {shorten(text, 200)}" for text in texts)
    return [line if line in own or line.startswith(("--grid", "--set", "--epochs", "--seed")) else
            f"with {combination}: {line}" for line in message.splitlines()]


def data_key(config) -> tuple | None:
    """What identifies a run's data file contents as read (path, label, columns left out, missing cells, task);
    None for a built-in dataset. Runs with equal keys share one reading."""
    from .pipeline import task_of

    data = config.data
    if not data.is_file():
        return None
    return data.source, data.label, tuple(data.ignore_columns), data.missing, task_of(config)


def read_data(sweep: Sweep) -> dict:
    """Read every data file the runs use, once: data_key -> Dataset (built-in datasets are drawn by the runs),
    and ("heldout", path) -> the table of each dev and test file (`heldout_tables` picks a run's), so that
    the workers read no file themselves (those of a remote cluster need not see the client's paths).

    Each run's layers are checked against its data here, before any run starts: a data file as read, a
    built-in dataset as drawn for the first seed (its features and classes do not depend on the seed).
    """
    datasets, drawn, encoders = {}, {}, {}
    for run in sweep.runs:
        try:
            _read_run_data(run, sweep.source, datasets, drawn, encoders)
        except (ConfigError, DataError) as e:
            combination = sweep.combinations[run.combination]
            if not any(key.startswith(("data.", "model.")) for key in combination):
                raise
            texts = ", ".join(f"--grid {g.key}={g.texts[g.values.index(combination[g.key])]}" for g in sweep.grid)
            raise type(e)(f"with {texts}: {e}") from None
    return datasets


def _read_run_data(run, source: str, datasets: dict, drawn: dict, encoders: dict) -> None:
    """`read_data` for one run: its data file and dev and test files into `datasets` (each once), its layers
    checked against the data (drawn: built-in datasets by their keys; encoders: encoded train splits by key)."""
    from .heldout import HELDOUT_KEYS, read_heldout
    from .pipeline import check_layers_match_data, encoded_train_split, load_dataset, streams, task_of

    key = data_key(run.config)
    if key is not None:
        if key not in datasets:
            datasets[key] = load_dataset(run.config, None, source)
        dataset = datasets[key]
    else:
        key = (json.dumps(run.config.data.model_dump(mode="json"), sort_keys=True), task_of(run.config))
        if key not in drawn:
            drawn[key] = load_dataset(run.config, streams(run.config)[0], source)
        dataset = drawn[key]
    encoder = None
    if dataset.raw is not None:
        # Raw columns (text, missing cells): n^[0] is known once an encoder is fitted on a train split, as
        # `prepare` does for each run; the first run's split stands for all here (each run checks its own).
        if key not in encoders:
            encoders[key] = encoded_train_split(run.config, source, file_data=dataset)
        dataset, encoder = encoders[key]
    check_layers_match_data(run.config, dataset, source, encoder)
    for name in HELDOUT_KEYS:
        path = getattr(run.config.data, name)
        if path is not None and ("heldout", path) not in datasets:
            datasets["heldout", path] = read_heldout(path, name, source)


def heldout_tables(config, data: dict) -> dict:
    """A run's dev and test files as `read_data` read them: "dev_source" / "test_source" -> table."""
    from .heldout import HELDOUT_KEYS

    return {name: data["heldout", getattr(config.data, name)] for name in HELDOUT_KEYS
            if getattr(config.data, name) is not None}


def parameters_digest(network) -> str:
    """SHA-256 of W^[1], b^[1], ..., W^[L], b^[L] (their bytes, in order): equal digests, equal parameters."""
    digest = hashlib.sha256()
    for W, b in zip(network.W, network.b):
        digest.update(W.tobytes())
        digest.update(b.tobytes())
    return digest.hexdigest()


def curve(costs: list, points: int = CURVE_POINTS) -> list:
    """[[epoch, cost], ...] at up to `points` evenly spaced epochs, the first and last included."""
    n = len(costs)
    if n <= points:
        return [[e, c] for e, c in enumerate(costs)]
    picks = sorted({round(k * (n - 1) / (points - 1)) for k in range(points)})
    return [[e, costs[e]] for e in picks]


def run_one(config, source: str = "<config>", dataset=None, heldout: dict | None = None) -> dict:
    """Train one run as `dnn train` does; its record: final metrics, history, cost curve, parameter digest.

    `dataset`: the config's data file, already read (a sweep's client reads it once for all workers);
    `heldout`: its dev and test files likewise (`heldout_tables`).
    status is "finished", "diverged" (the run's TrainingError in `message`) or "failed" (another input
    problem this run's data revealed, e.g. a dev split without both classes).
    """
    from .pipeline import fit, prepare

    start = time.perf_counter()
    record = {"seed": config.seed, "status": "finished", "message": None, "epochs": 0, "seconds": None,
              "final": {}, "history": [], "curve": [], "parameters_sha256": None, "warnings": []}
    try:
        prepared = prepare(config, source=source, dataset=dataset, heldout_tables=heldout)
    except DnnError as e:
        record.update(status="failed", message=str(e), seconds=time.perf_counter() - start)
        return record
    try:
        result = fit(prepared)
    except TrainingError as e:
        state = prepared.state
        record.update(status="diverged", message=str(e), epochs=state.epoch,
                      curve=curve([c for c in state.costs if math.isfinite(c)]))
    except DnnError as e:
        record.update(status="failed", message=str(e))
    else:
        record.update(epochs=result.state.epoch, final=result.final,
                      warnings=[*prepared.warnings, *result.warnings],
                      history=[h.to_dict() for h in result.history], curve=curve(result.state.costs),
                      parameters_sha256=parameters_digest(result.network))
    record["seconds"] = time.perf_counter() - start
    return record
