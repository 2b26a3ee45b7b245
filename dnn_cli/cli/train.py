"""`dnn train CONFIG`: train a network with a live progress bar, then print the tables."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from .. import render
from ..config import load_config
from ..errors import ModelFileError, TrainingError, UsageError
from ..io.atomic import check_writable
from ..io.metricsfile import metrics_document, write_metrics
from ..io.modelfile import load_model, load_parameters, save_model
from ..io.statefile import differing_keys, restore_state
from ..pipeline import fit, prepare
from ..training import cost_curve, final_metrics
from ._common import Epochs, Overrides, Seed, boundary, check_metrics_path, err, out
from ._plots import check_plot_option, data_for_plot

NAME = "train"


@boundary
def command(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
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
) -> None:
    """Train the network of CONFIG and print the cost history, final metrics and parameter shapes."""
    cfg = load_config(config, set_, epochs=epochs, learning_rate=lr, seed=seed)
    if print_config:
        typer.echo(cfg.to_yaml(), nl=False)
        return
    _check_options(save, init_from, resume, checkpoint_every, metrics_out, plot)
    model = load_model(resume) if resume is not None else None
    if model is not None:
        parameters = _resumable(model, cfg, config)
    else:
        parameters = load_parameters(init_from, cfg.model.layers) if init_from is not None else None
    prepared = prepare(cfg, source=str(config), parameters=parameters)
    if model is not None:
        restore_state(prepared.state, model)
    run = _Run(prepared, cfg, save, checkpoint_every)
    console = out()
    progress = _progress(enabled=not quiet)
    try:
        with progress, _deferred_interrupt(run):
            task = progress.add_task("training", total=cfg.train.epochs, cost=None, completed=prepared.state.epoch)
            result = fit(prepared, callback=lambda r: run.after_epoch(r, lambda: progress.update(
                task, completed=r.epoch + 1, cost=r.cost)))
    except TrainingError:
        if save is not None and run.saved_epoch is not None:
            typer.echo(f"dnn: kept the checkpoint of epoch {run.saved_epoch} in {save}; the parameters after it "
                       "are not saved", err=True)
        elif save is not None:
            typer.echo(f"dnn: nothing saved to {save}: the run diverged", err=True)
        raise
    except KeyboardInterrupt:
        _interrupted(run, console, metrics_out, plot, quiet)
        raise typer.Exit(130) from None
    for warning in result.warnings:
        typer.echo(f"dnn: warning: {warning}", err=True)
    config_dict = cfg.to_dict()
    if save is not None:
        run.save(with_state=True)
    if metrics_out is not None:
        write_metrics(metrics_out, metrics_document(config_dict, result.history, result.final, result.seconds,
                                                    warnings=result.warnings, curve=cost_curve(result.state)))
    if plot is not None:
        _plot(plot, prepared)
    if quiet:
        return
    _summary(console, cfg, result.history, result.final, result.state, result.seconds)
    console.print(render.parameters_table(result.network))
    for path, what in ((save, "model"), (metrics_out, "metrics"), (plot, "plot")):
        if path is not None:
            console.print(f"saved the {what} to {path}")


def _check_options(save, init_from, resume, checkpoint_every, metrics_out, plot) -> None:
    """Fail before any work on options that cannot work together or files that cannot be written."""
    if resume is not None and init_from is not None:
        raise UsageError("--resume and --init-from cannot be combined: --resume continues a run (parameters and "
                         "training state), --init-from starts a new run from saved parameters")
    if checkpoint_every is not None:
        if checkpoint_every < 1:
            raise UsageError(f"--checkpoint-every: expected a positive number of epochs, got {checkpoint_every}")
        if save is None:
            raise UsageError("--checkpoint-every needs --save MODEL.npz: the file the checkpoints are written to")
    if save is not None:
        check_writable(save, "model")
    if metrics_out is not None:
        check_metrics_path(metrics_out)
    check_plot_option(plot)


def _resumable(model, cfg, config_path) -> dict:
    """The checkpoint's parameters, after checking the config can continue its run."""
    if model.state is None:
        raise ModelFileError(f"{model.path}: holds no training state to resume; use --init-from to start a new "
                             "run from its parameters")
    if list(model.network.layers) != list(cfg.model.layers):
        raise ModelFileError(f"{model.path}: has layers {model.network.layers}, but {config_path} has "
                             f"model.layers {cfg.model.layers}")
    if model.state["stopped_early"]:
        raise UsageError(f"{model.path}: its run stopped early at epoch {model.epoch} (best epoch "
                         f"{model.state['best_epoch']}); there is nothing to resume")
    if model.epoch >= cfg.train.epochs:
        raise UsageError(f"{model.path}: has already run {model.epoch} epochs and train.epochs is "
                         f"{cfg.train.epochs}; pass --epochs N with N > {model.epoch} to continue")
    changed = [key for key in differing_keys(model.config.to_dict(), cfg.to_dict()) if key != "train.epochs"]
    if changed:
        typer.echo(f"dnn: note: {config_path} differs from the checkpoint's config in {', '.join(changed)}; "
                   "the resumed run will not match an uninterrupted one", err=True)
    return model.resume_parameters()


class _Run:
    """What the training callback needs: checkpoints every N epochs and a clean stop on Ctrl-C."""

    def __init__(self, prepared, cfg, save, checkpoint_every):
        self.prepared, self.cfg, self.save_path, self.every = prepared, cfg, save, checkpoint_every
        self.stop_requested = False
        self.at_epoch_boundary = False
        self.saved_epoch = None  # the epoch count of the last checkpoint this run wrote

    def after_epoch(self, result, update_progress) -> None:
        update_progress()
        done = result.epoch + 1
        if self.every and done % self.every == 0 and done < self.cfg.train.epochs:
            self.save(with_state=True)
        if self.stop_requested:
            self.at_epoch_boundary = True
            raise KeyboardInterrupt

    def request_stop(self, signum, frame) -> None:
        """SIGINT: the first stops after the current epoch (so the state is exact), the second at once."""
        if self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True
        typer.echo("\ndnn: stopping after this epoch (Ctrl-C again to stop at once)", err=True)

    def save(self, *, with_state: bool) -> None:
        p = self.prepared
        save_model(self.save_path, p.network, self.cfg.to_dict(), classes=p.train.classes,
                   standardizer=p.standardizer, features=p.train.feature_names,
                   state=p.state if with_state else None)
        self.saved_epoch = p.state.epoch


@contextlib.contextmanager
def _deferred_interrupt(run: _Run):
    """Route SIGINT to `run.request_stop` while training (only possible in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, run.request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(run: _Run, console, metrics_out, plot, quiet) -> None:
    """Ctrl-C: save when --save was given, say where training stopped, print the summary so far."""
    prepared, cfg = run.prepared, run.cfg
    state = prepared.state
    message = f"interrupted after epoch {state.epoch} of {cfg.train.epochs}"
    if run.save_path is not None:
        if not prepared.network.is_finite():
            message += f"; nothing saved to {run.save_path}: the parameters are not finite"
        elif run.at_epoch_boundary:
            run.save(with_state=True)
            message += (f"; saved the parameters and training state to {run.save_path} "
                        f"(continue with --resume {run.save_path})")
        else:
            run.save(with_state=False)
            message += (f"; saved the current parameters (mid-epoch, so without training state: start from "
                        f"them with --init-from) to {run.save_path}")
    typer.echo(f"dnn: {message}", err=True)
    train, dev = prepared.train, prepared.dev
    final = final_metrics(prepared.network, train.X, train.y, dev.X if dev else None, dev.y if dev else None)
    if metrics_out is not None:
        write_metrics(metrics_out, metrics_document(cfg.to_dict(), state.history, final, 0.0,
                                                    curve=cost_curve(state)))
    if plot is not None:
        _plot(plot, prepared)
    if not quiet and state.costs:
        _summary(console, cfg, state.history, final, state, None)


def _summary(console, cfg, history, final, state, seconds) -> None:
    if history:
        console.print(render.history_table(history, show_lr=cfg.train.lr_decay != "none"))
    console.print(render.final_table(final, seconds, state.epoch))
    if state.costs:
        console.print(render.cost_line(state.costs))


def _plot(path, prepared) -> None:
    """The cost curve (train, dev at logged epochs) and the model panel in the data's own units."""
    from .. import plotting

    state = prepared.state
    dev_points = [(e, c) for e, c in enumerate(state.dev_costs) if c is not None]
    dev_curve = tuple(zip(*dev_points)) if dev_points else None
    X, y = data_for_plot(prepared)
    plotting.training_figure(path, state.costs, dev=dev_curve, best_epoch=state.best_epoch,
                             network=prepared.network, X=X, y=y,
                             classes=prepared.train.classes, standardizer=prepared.standardizer,
                             title=f"layers {prepared.network.layers}, {' / '.join(prepared.network.activations)}")


class _CostColumn(ProgressColumn):
    """The last epoch's cost; blank until the first epoch has one."""

    def render(self, task) -> Text:
        cost = task.fields.get("cost")
        return Text("" if cost is None else f"cost {cost:.6f}")


def _progress(enabled: bool) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    console = err()
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        _CostColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=not (enabled and console.is_terminal),
    )
