"""What every command shares: the consoles and the error boundary (the project's errors and click's usage
errors alike come out as `dnn: error: ...` lines on stderr)."""

import contextlib
import functools
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from ..errors import DnnError, ParameterError, shorten
from ..errors import UsageError as DnnUsageError  # click has its own UsageError
from ..io import metricsfile
from ..io.atomic import check_writable
from . import _completion

try:  # newer typer carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import ClickException, UsageError

BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`dnn train ... | head -2`)

# The arguments and options several commands share, declared once.
ConfigFile = Annotated[Path, typer.Argument(metavar="CONFIG", help="The YAML config.")]
DemoConfig = Annotated[Optional[Path], typer.Argument(
    metavar="CONFIG", help="The YAML config (default: a built-in demo).")]
ModelFile = Annotated[Path, typer.Argument(metavar="MODEL", help="The model .npz written by `dnn train --save`.")]
ByPosition = Annotated[bool, typer.Option(
    "--by-position", help="Take a CSV's columns in file order (the label by name, else the last) instead of matching "
                          "the model's feature names.")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Override train.epochs.")]
Seed = Annotated[Optional[int], typer.Option(
    "--seed", help="Override seed (an integer from 0 to 2**64 - 1; one seed fixes data, init and batch order).")]
Overrides = Annotated[list[str], typer.Option(
    "--set", metavar="KEY=VALUE", help="Override a key: dotted.key=value (repeatable).",
    autocompletion=_completion.override)]
ComparisonMetrics = Annotated[Optional[Path], typer.Option(
    "--metrics-out", help="Write every run's history and final metrics to this .json file.")]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print nothing on stdout (errors still go to stderr); useful with --metrics-out, --plot.")]
ComparisonPlot = Annotated[Optional[Path], typer.Option(
    "--plot", help="Draw all runs' cost curves (and, for 2 features, their decision boundaries) to this .png.")]


def check_metrics_path(path, suffixes=metricsfile.SUFFIXES, why: str = "") -> None:
    """Fail before any work when --metrics-out has another suffix or cannot be written."""
    if Path(path).suffix.lower() not in suffixes:
        raise DnnUsageError(f"--metrics-out {path}: expected a {' or '.join(suffixes)} file name{why}")
    check_writable(path, "metrics")


def check_comparison_metrics_path(path) -> None:
    """--metrics-out of the compare commands holds several runs: JSON only."""
    if path is not None:
        check_metrics_path(path, (".json",), why=" (the runs of a comparison do not fit one CSV table)")


@functools.cache
def _stdout_console():
    """rich's Console for stdout, loaded on first use (not at start-up: `dnn --help` needs no rich)."""
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1, the code of a failed run; the top level exits 141 quietly

    return StdoutConsole


def out(quiet: bool = False):
    """The console for results (stdout); plain text when stdout is not a terminal; silent when `quiet`."""
    return _stdout_console()(highlight=False, quiet=quiet)


def err():
    """The console for progress (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(error: DnnError) -> typer.Exit:
    """Print a project error to stderr, one line per problem, and return the Exit to raise."""
    text = str(error)
    for parameter, option in error.options.items():
        text = text.replace(parameter, option)
    for line in text.splitlines():
        typer.echo(f"dnn: error: {line}", err=True)
    return typer.Exit(error.exit_code)


def boundary(command):
    """Turn the project's exceptions into a message on stderr and the error's exit code.

    Only DnnError is caught, and MemoryError (the machine's limit, not a bug: it becomes one line with the
    run's memory estimate, exit 2): anything else is a bug and keeps its traceback.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .. import resources  # here, not at start-up: `dnn --help` loads no NumPy

        resources.LAST_ESTIMATE.clear()
        try:
            return command(*args, **kwargs)
        except DnnError as e:
            raise fail(e) from None
        except MemoryError:
            raise fail(resources.out_of_memory()) from None

    return wrapper


@contextlib.contextmanager
def flags(**names):
    """Inside, a library's ParameterError comes out under the command line's name: flags(schemes="--schemes")."""
    try:
        yield
    except ParameterError as e:
        if e.param not in names:
            raise
        raise e.as_named(names[e.param]) from None


# pydantic error types behind typer's parsing of numbers and flags, in the house's words
_EXPECTED = {"float_parsing": "a number", "float_type": "a number", "finite_number": "a finite number",
             "int_parsing": "an integer", "int_from_float": "an integer", "int_type": "an integer",
             "bool_parsing": "true or false"}


def usage_message(error: ClickException) -> str:
    """A usage error of click (bad value, unknown option, missing argument) as one house-style line."""
    ctx = getattr(error, "ctx", None)
    param = getattr(error, "param", None)
    message = " ".join(error.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]  # "No such option: --foo" -> "no such option: --foo"
    message = re.sub(r"\.? (?:Did you mean (.+?)\??|\(Possible options: (.+)\))$",
                     lambda m: f"; did you mean {m[1] or ('one of ' if ', ' in m[2] else '') + m[2]}?", message)
    cause = error.__cause__
    if param is not None and type(error).__name__ == "MissingParameter":
        what = getattr(error, "param_type", None) or param.param_type_name
        message = f"missing the {what} {param.opts[0] if what == 'option' else param.name.upper()}"
    elif param is not None and hasattr(cause, "errors"):
        details = cause.errors()
        if details and details[0].get("type") in _EXPECTED:
            name = param.opts[0] if param.param_type_name == "option" else param.name.upper()
            got = shorten(repr(details[0].get("input")), 200)
            message = f"{name}: expected {_EXPECTED[details[0]['type']]}, got {got}"
    message = shorten(message, 400)
    if ctx is None:
        return message
    if ctx.parent is not None:
        return f"{ctx.info_name}: {message} (see dnn {ctx.info_name} --help)"
    return f"{message} (see dnn --help)"


class DnnGroup(TyperGroup):
    """The `dnn` group: click's usage errors come out in the house form, and a closed stdout exits 141."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # `dnn` alone: the help, as click shows it
                e.show()
                sys.exit(e.exit_code)
            typer.echo(f"dnn: error: {usage_message(e)}", err=True)
            sys.exit(2)
        except ClickException as e:
            typer.echo(f"dnn: error: {shorten(' '.join(e.format_message().split()), 400)}", err=True)
            sys.exit(e.exit_code)
        except typer.Abort:
            typer.echo("dnn: error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        try:
            super().invoke(ctx)  # a command's return value is never an exit code: only typer.Exit is
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(BROKEN_PIPE) from None


def silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a stdout without a file descriptor (tests)
        pass
