"""`dnn sweep CONFIG --grid KEY=V1,V2 --seeds K`: many runs in parallel on Dask, one table of the results."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import ConfigFile, Epochs, Overrides, Seed, boundary, err, flags, out

NAME = "sweep"
WRITE_EVERY = 1.0  # seconds: --out is rewritten at most this often while runs finish (and always at the end)
INTERRUPTED = 130  # 128 + SIGINT


@boundary
def command(
    config: ConfigFile,
    grid: Annotated[list[str], typer.Option(
        "--grid", metavar="KEY=V1,V2,...",
        help="A key and its values, each read as YAML like --set (a list is written [2,4,1], so "
             "model.layers=[2,4,1],[2,8,1] is two values); repeatable: the runs cover every combination.")] = [],
    seeds: Annotated[int, typer.Option("--seeds", help="Run every combination with seeds S, S+1, ..., S+K-1.")] = 1,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", help="Worker processes of the local Dask cluster (default: one per core).")] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="Run on the existing Dask cluster at this address (tcp://HOST:8786).")] = None,
    out_path: Annotated[Optional[Path], typer.Option(
        "--out", help="Write every run (.json or .csv) as runs finish; the same command with the same file "
                      "skips the runs already in it.")] = None,
    save_best: Annotated[Optional[Path], typer.Option(
        "--save-best", help="Write the best combination's resolved config to this .yaml file.")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Draw the mean cost curve per combination (and a heat map for two grid keys) to this .png.")
    ] = None,
    epochs: Epochs = None,
    seed: Seed = None,
    set_: Overrides = [],
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing on stdout (errors still go to stderr); useful with --out, --save-best, "
                              "--plot.")] = False,
) -> None:
    """Train CONFIG for every combination of the --grid values and every seed, in parallel, and rank them."""
    import time

    from ..io.sweepfile import read_runs
    from ..sweep import parse_grid, plan_sweep, read_data
    from ..sweep_engine import Engine, require_dask

    require_dask()
    _check_options(out_path, save_best, plot, workers, scheduler, grid)
    with flags(grid="--grid", seeds="--seeds"):
        sweep = plan_sweep(config, parse_grid(grid), seeds=seeds, seed=seed, overrides=set_, epochs=epochs)
    kept = read_runs(out_path) if out_path is not None else []
    done = {}
    for record in kept:
        done.setdefault(_identity(record["config"]), record)
    records = {run: done[run.identity()] for run in sweep.runs if run.identity() in done}
    todo = [run for run in sweep.runs if run not in records]
    start, stopped, where = time.perf_counter(), False, None
    if todo:
        engine = Engine(workers=workers, scheduler=scheduler).start()  # the cluster starts while the data is read
        try:
            datasets = read_data(sweep)
            client = engine.client()
            start = time.perf_counter()
            stopped = _run(client, sweep, todo, datasets, records, kept, out_path, quiet)
            where = engine.describe()
        finally:
            engine.close()
    _report(sweep, records, out_path, save_best, plot, quiet, where, len(sweep.runs) - len(todo),
            time.perf_counter() - start)
    if stopped:
        raise typer.Exit(INTERRUPTED)


def _identity(config: dict) -> str:
    import json

    return json.dumps(config, sort_keys=True)


def _check_options(out_path, save_best, plot, workers, scheduler, grid) -> None:
    """Fail before any work on options that cannot work together or files that cannot be written."""
    from ..errors import UsageError
    from ..io.atomic import check_writable
    from ..io.sweepfile import SUFFIXES
    from ._plots import check_plot_option

    if not grid:
        raise UsageError("missing --grid KEY=V1,V2,...: the values to sweep, e.g. --grid train.learning_rate=0.1,1")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers: expected a positive number of worker processes, got {workers}")
    if workers is not None and scheduler is not None:
        raise UsageError("--workers and --scheduler cannot be combined: the cluster at --scheduler has its own workers")
    if out_path is not None:
        if out_path.suffix.lower() not in SUFFIXES:
            raise UsageError(f"--out {out_path}: expected a .json or .csv file name")
        check_writable(out_path, "sweep results")
    if save_best is not None:
        if save_best.suffix.lower() not in (".yaml", ".yml"):
            raise UsageError(f"--save-best {save_best}: expected a .yaml or .yml file name")
        check_writable(save_best, "config")
    check_plot_option(plot)


def _run(client, sweep, todo, datasets, records, kept, out_path, quiet) -> bool:
    """Submit the runs, follow them with a progress bar, keep --out up to date; True when Ctrl-C stopped it."""
    import time

    from ..sweep_engine import cancel, finished, submit
    from ._progress import runs_bar
    from ._stopping import say

    futures = {}
    last_write = [time.perf_counter()]

    def write(force: bool = False) -> None:
        if out_path is not None and (force or time.perf_counter() - last_write[0] >= WRITE_EVERY):
            _write_out(out_path, sweep, records, kept)
            last_write[0] = time.perf_counter()

    progress = runs_bar(err(), enabled=not quiet)
    try:
        with progress:
            task = progress.add_task("sweep", total=len(sweep.runs), completed=len(records), best="")
            futures = submit(client, sweep, todo, datasets)
            for run, record in finished(client, futures):
                record["grid"] = sweep.combinations[run.combination]
                record["config"] = run.config.to_dict()
                records[run] = record
                write()
                if not progress.disable:
                    progress.update(task, completed=len(records), best=_best_text(sweep, records))
    except KeyboardInterrupt:
        cancel(client, futures)
        write(force=True)
        kept_text = f"; wrote them to {out_path}" if out_path is not None else ""
        say(f"dnn: interrupted: cancelled the {len(sweep.runs) - len(records)} runs not finished; "
            f"{len(records)} of {len(sweep.runs)} runs finished{kept_text}")
        return True
    write(force=True)
    return False


def _best_text(sweep, records) -> str:
    """The progress bar's 'best learning_rate=0.1, init=he: dev_accuracy 0.9867'."""
    from ..sweep_results import best, summarize, value_text

    combinations, key, _ = summarize(sweep, records)
    top = best(combinations, key)
    if top is None:
        return ""
    values = ", ".join(f"{k.split('.')[-1]}={value_text(v)}" for k, v in top.values.items())
    score = top.mean(key)
    shown = {"dev_accuracy": f"dev acc {100 * score:.2f} %", "dev_rmse": f"dev RMSE {score:.4f}"}
    return f"best {values}: {shown.get(key, f'cost {score:.4f}')}"


def _write_out(out_path, sweep, records, kept) -> None:
    """Every record: those of the file that are not runs of this sweep, then this sweep's in plan order."""
    from ..io.sweepfile import write_runs

    mine = {run.identity() for run in sweep.runs}
    others = [r for r in kept if _identity(r["config"]) not in mine]
    write_runs(out_path, others + [records[run] for run in sweep.runs if run in records])


def _report(sweep, records, out_path, save_best, plot, quiet, where, from_file, seconds) -> None:
    """The table and where the runs ran, then --save-best and --plot."""
    from ..io.atomic import atomic_write
    from ..sweep_results import best, summarize
    from ._sweep_table import sweep_table

    console = out(quiet)
    combinations, key, _ = summarize(sweep, records)
    title = (f"sweep: {len(sweep.combinations)} combinations x {len(sweep.seeds)} seed"
             f"{'s' if len(sweep.seeds) != 1 else ''}, {len(records)} of {len(sweep.runs)} runs")
    if combinations:
        console.print(sweep_table(sweep, combinations, key, title=title))
    submitted, ran = len(sweep.runs) - from_file, len(records) - from_file
    if submitted:
        taken = f"; {from_file} taken from {out_path}" if from_file else ""
        console.print(f"ran {ran} of {submitted} runs on {where} in {seconds:.1f} s{taken}")
        if out_path is not None:
            console.print(f"saved the runs to {out_path}")
    else:
        console.print(f"all {from_file} runs taken from {out_path}: nothing left to run")
    top = best(combinations, key)
    if save_best is not None and top is not None:
        atomic_write(save_best, sweep.combination_config(top.index).to_yaml().encode(), "config")
        console.print(f"saved the best combination's config to {save_best}")
    elif save_best is not None:
        console.print(f"no run finished: nothing saved to {save_best}")
    if plot is not None and combinations:
        from .. import plotting

        plotting.sweep_figure(plot, sweep, combinations, key)
        console.print(f"saved the plot to {plot}")
