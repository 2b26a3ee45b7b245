"""`dnn train CONFIG`: train a network with a live progress bar, then print the tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .. import render
from ..config import load_config
from ..errors import TrainingError
from ..files import check_metrics_path, check_writable, load_parameters, metrics_document, save_model, write_metrics
from ..pipeline import fit, prepare
from ._common import boundary, err, out

NAME = "train"


@boundary
def command(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
    epochs: Annotated[Optional[int], typer.Option("--epochs", help="Override train.epochs.")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Override train.learning_rate.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Override seed.")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a key: dotted.key=value (repeatable).")] = [],
    save: Annotated[Optional[Path], typer.Option("--save", help="Write the trained model to this .npz file.")] = None,
    init_from: Annotated[Optional[Path], typer.Option(
        "--init-from", help="Start from W1..WL, b1..bL in this .npz file.")] = None,
    metrics_out: Annotated[Optional[Path], typer.Option(
        "--metrics-out", help="Write the history and final metrics to this .json or .csv file.")] = None,
    print_config: Annotated[bool, typer.Option("--print-config", help="Print the resolved config and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
) -> None:
    """Train the network of CONFIG and print the cost history, final metrics and parameter shapes."""
    cfg = load_config(config, set_, epochs=epochs, learning_rate=lr, seed=seed)
    if print_config:
        typer.echo(cfg.to_yaml(), nl=False)
        return
    if save is not None:
        check_writable(save, "model")
    if metrics_out is not None:
        check_metrics_path(metrics_out)
    parameters = load_parameters(init_from, cfg.model.layers) if init_from is not None else None
    prepared = prepare(cfg, source=str(config), parameters=parameters)
    console = out()
    progress = _progress(enabled=not quiet)
    try:
        with progress:
            task = progress.add_task("training", total=cfg.train.epochs, cost=float("nan"))
            result = fit(prepared, callback=lambda r: progress.update(task, completed=r.epoch + 1, cost=r.cost))
    except TrainingError:
        if save is not None:
            typer.echo(f"dnn: nothing saved to {save}: the parameters are not finite", err=True)
        raise
    except KeyboardInterrupt:
        _interrupted(prepared, cfg, save, console, quiet)
        raise typer.Exit(130) from None
    config_dict = cfg.to_dict()
    if save is not None:
        save_model(save, result.network, config_dict, classes=prepared.train.classes,
                   standardizer=prepared.standardizer)
    if metrics_out is not None:
        write_metrics(metrics_out, metrics_document(config_dict, result.history, result.final, result.seconds))
    if quiet:
        return
    console.print(render.history_table(result.history, show_lr=cfg.train.lr_decay != "none"))
    console.print(render.final_table(result.final, result.seconds, result.state.epoch))
    console.print(f"cost  {render.sparkline(result.costs)}  {result.costs[0]:.6f} -> {result.costs[-1]:.6f}")
    console.print(render.parameters_table(result.network))
    for path, what in ((save, "model"), (metrics_out, "metrics")):
        if path is not None:
            console.print(f"saved the {what} to {path}")


def _progress(enabled: bool) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    console = err()
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("cost {task.fields[cost]:.6f}"), TimeRemainingColumn(),
        console=console, transient=True, disable=not (enabled and console.is_terminal),
    )


def _interrupted(prepared, cfg, save, console, quiet) -> None:
    """Ctrl-C: save the current parameters when --save was given, and say where training stopped."""
    state = prepared.state
    message = f"interrupted at epoch {state.epoch} of {cfg.train.epochs}"
    if save is not None and prepared.network.is_finite():
        save_model(save, prepared.network, cfg.to_dict(), classes=prepared.train.classes,
                   standardizer=prepared.standardizer)
        message += f"; saved the current parameters to {save}"
    typer.echo(f"dnn: {message}", err=True)
    if not quiet and state.costs:
        console.print(f"cost  {render.sparkline(state.costs)}  {state.costs[0]:.6f} -> {state.costs[-1]:.6f}")
