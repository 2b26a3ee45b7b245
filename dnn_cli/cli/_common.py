"""What every command shares: the consoles and the error boundary."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .. import resources
from ..errors import DnnError
from ..files import check_metrics_path

# The arguments and options several commands share, declared once.
DemoConfig = Annotated[Optional[Path], typer.Argument(help="The YAML config (default: a built-in demo).")]
ModelFile = Annotated[Path, typer.Argument(help="The model .npz written by `dnn train --save`.")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Override train.epochs.")]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Override seed.")]
Overrides = Annotated[list[str], typer.Option(
    "--set", metavar="KEY=VALUE", help="Override a key: dotted.key=value (repeatable).")]
ComparisonMetrics = Annotated[Optional[Path], typer.Option(
    "--metrics-out", help="Write every run's history and final metrics to this .json file.")]
ComparisonPlot = Annotated[Optional[Path], typer.Option(
    "--plot", help="Draw all runs' cost curves (and, for 2 features, their decision boundaries) to this .png.")]


def check_comparison_metrics_path(path) -> None:
    """--metrics-out of the compare commands holds several runs: JSON only."""
    if path is not None:
        check_metrics_path(path, (".json",), why=" (the runs of a comparison do not fit one CSV table)")


def out() -> Console:
    """The console for results (stdout); plain text when stdout is not a terminal."""
    return Console(highlight=False)


def err() -> Console:
    """The console for progress (stderr)."""
    return Console(stderr=True, highlight=False)


def fail(error: DnnError) -> typer.Exit:
    """Print a project error to stderr, one line per problem, and return the Exit to raise."""
    for line in str(error).splitlines():
        typer.echo(f"dnn: error: {line}", err=True)
    return typer.Exit(error.exit_code)


def boundary(command):
    """Turn the project's exceptions into a message on stderr and the error's exit code.

    Only DnnError is caught, and MemoryError (the machine's limit, not a bug: it becomes one line with the
    run's memory estimate, exit 2): anything else is a bug and keeps its traceback.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        resources.LAST_ESTIMATE.clear()
        try:
            return command(*args, **kwargs)
        except DnnError as e:
            raise fail(e) from None
        except MemoryError:
            raise fail(resources.out_of_memory()) from None

    return wrapper
