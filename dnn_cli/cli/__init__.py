"""The `dnn` command line: one module per command, registered on one Typer app."""

from __future__ import annotations

import signal

import typer

from . import compare_activations, compare_init, datasets, evaluate, gradcheck, init, predict, shapes, train

app = typer.Typer(
    name="dnn",
    help="Train fully-connected deep neural networks from YAML configs, in the notation of the deep-learning course.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

for module in (train, predict, evaluate, shapes, datasets, init, compare_init, compare_activations, gradcheck):
    app.command(module.NAME)(module.command)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C outside a command's own handling
        from ..__main__ import interrupted

        interrupted()
    finally:
        # The command has chosen its exit code: a signal arriving while the process ends changes nothing.
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
