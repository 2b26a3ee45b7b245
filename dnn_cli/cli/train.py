"""`dnn train CONFIG`: train a network with a live progress bar, then print the tables.

The run itself (resume, checkpoints, stop after the current epoch, the writes and their rescue, the
stop reports) is `dnn_cli.training_run`; here are the options, the signal handlers and the output.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import ConfigFile, Epochs, Overrides, Seed, boundary, err, out

NAME = "train"
UPDATES_PER_SECOND = 4  # of the progress bar, at most


@boundary
def command(
    config: ConfigFile,
    epochs: Epochs = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Override train.learning_rate.")] = None,
    seed: Seed = None,
    set_: Overrides = [],
    save: Annotated[Optional[Path], typer.Option(
        "--save", help="Write the trained model (with its training state) to this .npz file.")] = None,
    init_from: Annotated[Optional[Path], typer.Option(
        "--init-from", help="Start from W1..WL, b1..bL in this .npz file.")] = None,
    resume: Annotated[Optional[Path], typer.Option(
        "--resume", help="Continue the run saved in this .npz checkpoint exactly, up to train.epochs.")] = None,
    checkpoint_every: Annotated[Optional[int], typer.Option(
        "--checkpoint-every", help="Also write the --save file every N epochs.")] = None,
    metrics_out: Annotated[Optional[Path], typer.Option(
        "--metrics-out", help="Write the history and final metrics to this .json or .csv file.")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Draw the cost curve (and the decision boundary for 2 features) to this .png file.")] = None,
    print_config: Annotated[bool, typer.Option("--print-config", help="Print the resolved config and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
    trace: Annotated[bool, typer.Option(
        "--trace", help="Per-layer signals at every logged epoch (std of Z/A, dead and saturated units, ||dW||, "
                        "update ratio) and verdicts.")] = False,
) -> None:
    """Train the network of CONFIG and print the cost history, final metrics and parameter shapes."""
    import signal

    from ..config import load_config
    from ..training_run import start_run
    from ._plots import draw_training
    from ._progress import throttled
    from ._stopping import say, stop_on_signals

    cfg = load_config(config, set_, epochs=epochs, learning_rate=lr, seed=seed)
    if print_config:
        typer.echo(cfg.to_yaml(), nl=False)
        return
    _check_options(save, init_from, resume, checkpoint_every, metrics_out, plot)
    run = start_run(config, cfg, save=save, init_from=init_from, resume=resume, checkpoint_every=checkpoint_every,
                    metrics_out=metrics_out, plot=plot, draw_plot=draw_training,
                    report=lambda text: say(f"dnn: {text}"), trace=trace)
    with stop_on_signals(run.requests, lambda: run.phase):
        try:
            progress = _progress(enabled=not quiet)
            with progress:
                task = progress.add_task("training", total=cfg.train.epochs, cost=None,
                                         completed=run.prepared.state.epoch)
                result = run.train(on_epoch=throttled(progress, task, UPDATES_PER_SECOND))
            finished = run.finish(result)
            hung_up = run.requests.signum == getattr(signal, "SIGHUP", None)  # the terminal is gone: nobody reads it
            if not quiet and not hung_up and (result is not None or run.prepared.state.costs):
                _summary(run, finished)
        except KeyboardInterrupt as stop:  # StopNow (a second signal), or Ctrl-C outside the main thread
            say(f"dnn: {run.stopped_at_once(getattr(stop, 'signum', signal.SIGINT))}")
            raise typer.Exit(128 + run.requests.signum) from None
    if run.exit_code:
        raise typer.Exit(run.exit_code)


def _check_options(save, init_from, resume, checkpoint_every, metrics_out, plot) -> None:
    """Fail before any work on options that cannot work together or files that cannot be written."""
    from ..errors import UsageError
    from ..io.atomic import check_writable
    from ..io.outputs import check_model_path
    from ._common import check_metrics_path
    from ._plots import check_plot_option

    if resume is not None and init_from is not None:
        raise UsageError("--resume and --init-from cannot be combined: --resume continues a run (parameters and "
                         "training state), --init-from starts a new run from saved parameters")
    if checkpoint_every is not None:
        if checkpoint_every < 1:
            raise UsageError(f"--checkpoint-every: expected a positive number of epochs, got {checkpoint_every}")
        if save is None:
            raise UsageError("--checkpoint-every needs --save MODEL.npz: the file the checkpoints are written to")
    if save is not None:
        check_model_path(save)
        check_writable(save, "model")
    if metrics_out is not None:
        check_metrics_path(metrics_out)
    check_plot_option(plot)


def _summary(run, finished) -> None:
    """The history, final metrics and cost line; for a finished run the parameter shapes and the files written."""
    from .. import render

    console, state = out(), run.prepared.state
    if finished.history:
        console.print(render.history_table(finished.history, show_lr=run.cfg.train.lr_decay != "none"))
    if finished.verdicts is not None:
        from . import _render_layers as render_layers

        for table in render_layers.trace_tables(finished.history):
            console.print(table)
        console.print(render_layers.verdict_lines(finished.verdicts))
    console.print(render.final_table(finished.final, finished.seconds, state.epoch))
    if state.costs:
        console.print(render.cost_line(state.costs))
    if finished.result is not None:
        encoder = run.prepared.encoder
        inputs = encoder.describe() if encoder is not None and encoder.has_categories else None
        console.print(render.parameters_table(finished.result.network, inputs))
        for what, path in run.written():
            console.print(f"saved the {what} to {path}")


def _progress(enabled: bool):
    """A progress bar on stderr (epoch, cost, time left), shown only when stderr is a terminal."""
    from ._progress import training_bar

    return training_bar(err(), enabled=enabled, refresh_per_second=UPDATES_PER_SECOND)
