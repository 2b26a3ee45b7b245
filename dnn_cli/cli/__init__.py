"""The `dnn` command line: one module per command, registered on one Typer app.

The modules of this package keep real annotations (no PEP 563 `annotations` future import): Typer reads every
command's signature at each start, and string annotations would be evaluated with `eval`, about 10 ms of
`dnn --help` for 13 commands.
"""

import signal
import sys
from typing import Annotated

import typer

from . import (
    compare_activations,
    compare_init,
    datasets,
    evaluate,
    export,
    gradcheck,
    init,
    predict,
    schema,
    shapes,
    show,
    sweep,
    train,
)
from ._common import BROKEN_PIPE, DnnGroup, silence_stdout

app = typer.Typer(
    name="dnn",
    cls=DnnGroup,
    help="Train fully-connected deep neural networks from YAML configs, in the notation of the deep-learning course.",
    no_args_is_help=True,
    add_completion=True,  # dnn --install-completion / --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for module in (train, predict, evaluate, shapes, datasets, init, compare_init, compare_activations, gradcheck,
               show, export, schema, sweep):
    app.command(module.NAME)(module.command)


def version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("dnn-cli")
    except PackageNotFoundError:
        from .. import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"dnn {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version, help="Print the version and exit.")] = False,
) -> None:
    """Train fully-connected deep neural networks from YAML configs, in the notation of the deep-learning course."""


def main() -> None:
    """The `dnn` entry point; exits 141 (128 + SIGPIPE) without a word when stdout's reader goes away."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # here, not at interpreter exit, where a broken pipe would print "Exception ignored"
    except BrokenPipeError:
        silence_stdout()
        sys.exit(BROKEN_PIPE)
    except KeyboardInterrupt:  # Ctrl-C outside a command's own handling
        from ..__main__ import interrupted

        interrupted()
    finally:
        # The command has chosen its exit code: a signal arriving while the process ends changes nothing.
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
