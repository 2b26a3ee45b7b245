"""`dnn train CONFIG`: train a network with a live progress bar, then print the tables."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from .. import render
from ..checkpointing import Entry, Ledger, StopRequests, StopRun, check_resumable, check_same_data, checkpoint_due
from ..config import load_config
from ..errors import TrainingError, UsageError
from ..io.atomic import check_writable
from ..io.metricsfile import metrics_document, write_metrics
from ..io.modelfile import load_model, load_parameters, save_model
from ..io.outputs import check_distinct_files, check_model_path, same_file
from ..io.rescue import reason, write_or_rescue
from ..io.statefile import restore_state
from ..pipeline import fit, prepare
from ..training import cost_curve, final_metrics
from ._common import Epochs, Overrides, Seed, boundary, check_metrics_path, err, out
from ._plots import check_plot_option, data_for_plot
from ._stopping import say, signal_name, stop_on_signals

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
    check_distinct_files(config, cfg, save=save, init_from=init_from, resume=resume, metrics_out=metrics_out,
                         plot=plot)
    model = load_model(resume) if resume is not None else None
    if model is not None:
        for note in check_resumable(model, cfg, config):
            typer.echo(f"dnn: note: {note}", err=True)
        parameters = model.resume_parameters()
    else:
        parameters = load_parameters(init_from, cfg.model.layers) if init_from is not None else None
    prepared = prepare(cfg, source=str(config), parameters=parameters)
    for note in prepared.notes:
        typer.echo(f"dnn: note: {note}", err=True)
    if model is not None:
        check_same_data(model, prepared)
        restore_state(prepared.state, model)
    run = _Run(prepared, cfg, save, checkpoint_every, metrics_out, plot)
    if model is not None and save is not None and same_file(resume, save):
        run.ledger.entries["model"] = Entry(save, model.epoch, written=False)
    with stop_on_signals(run.requests, lambda: run.phase):
        try:
            code = _train_and_write(run, quiet)
        except KeyboardInterrupt as stop:  # StopNow (a second signal), or Ctrl-C outside the main thread
            run.ledger.settle()
            if run.requests.signum is None:
                run.requests.request(getattr(stop, "signum", signal.SIGINT))
            say(f"dnn: {_stopped_at_once(run)}")
            raise typer.Exit(128 + run.requests.signum) from None
    if code:
        raise typer.Exit(code)


def _train_and_write(run: _Run, quiet: bool) -> int:
    """Train (to the end, or to the epoch a signal or a failed checkpoint stops at), write, summarise.

    Returns the exit code: 0, 1 when an output could not be written where asked, 128 + N after signal N.
    """
    prepared, cfg, save = run.prepared, run.cfg, run.save_path
    console = out()
    progress = _progress(enabled=not quiet)
    start = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("training", total=cfg.train.epochs, cost=None, completed=prepared.state.epoch)
            result = fit(prepared, callback=lambda r: run.after_epoch(r, lambda: progress.update(
                task, completed=r.epoch + 1, cost=r.cost)))
    except TrainingError:
        kept = run.ledger.get("model")
        if save is not None and kept is not None:
            say(f"dnn: kept the checkpoint of epoch {kept.epoch} in {save}; the parameters after it are not saved")
        elif save is not None:
            say(f"dnn: nothing saved to {save}: the run diverged")
        raise
    except StopRun:
        result = None
    run.phase = "writing"
    state = prepared.state
    if result is None:
        train, dev = prepared.train, prepared.dev
        final = final_metrics(prepared.network, train.X, train.y, dev.X if dev else None, dev.y if dev else None,
                              target_scale=prepared.train_options().get("target_scale"))
        history, seconds, warnings = state.history, time.perf_counter() - start, []
    else:
        history, final, seconds, warnings = result.history, result.final, result.seconds, result.warnings
    for warning in warnings:
        say(f"dnn: warning: {warning}")
    failed = not run.write_model(stopped=result is None)
    config_dict = cfg.to_dict()
    if run.metrics_out is not None:
        document = metrics_document(config_dict, history, final, seconds, warnings=warnings, curve=cost_curve(state))
        failed |= not run.write("metrics", run.metrics_out, lambda path: write_metrics(path, document))
    if run.plot is not None:
        failed |= not run.write("plot", run.plot, lambda path: _plot(path, prepared))
    run.phase = "summary"
    if result is None or run.requests.requested:
        say(f"dnn: {_stop_report(run, result is None)}")
    hung_up = run.requests.signum == getattr(signal, "SIGHUP", None)  # the terminal is gone: nobody reads it
    if not quiet and not hung_up and (result is not None or state.costs):
        _summary(console, cfg, history, final, state, seconds if result is not None else None)
        if result is not None:
            encoder = prepared.encoder
            inputs = encoder.describe() if encoder is not None and encoder.has_categories else None
            console.print(render.parameters_table(result.network, inputs))
            for what in ("model", "metrics", "plot"):
                entry = run.ledger.get(what)
                if entry is not None and entry.written:
                    console.print(f"saved the {what} to {entry.path}")
    if failed or run.failure is not None:
        return 1
    return 128 + run.requests.signum if run.requests.requested else 0


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
        check_model_path(save)
        check_writable(save, "model")
    if metrics_out is not None:
        check_metrics_path(metrics_out)
    check_plot_option(plot)


class _Run:
    """One training run's checkpoints, stop requests and writes, and what they left on disk."""

    def __init__(self, prepared, cfg, save, checkpoint_every, metrics_out, plot):
        self.prepared, self.cfg, self.save_path, self.every = prepared, cfg, save, checkpoint_every
        self.metrics_out, self.plot = metrics_out, plot
        self.save_existed = save is not None and save.exists()
        self.requests = StopRequests()
        self.ledger = Ledger()
        self.phase = "training"  # then "writing", then "summary"
        self.failure = None  # the OSError of a checkpoint that could not be written
        self.rescued = {}  # output -> Rescued, for the writes that failed

    def after_epoch(self, result, update_progress) -> None:
        update_progress()
        done = result.epoch + 1
        if checkpoint_due(done, self.every, self.cfg.train.epochs):
            try:
                self._save_model(self.save_path)
            except OSError as e:
                self.ledger.abandon()
                self.failure = e
                raise StopRun from None
        if self.requests.requested:
            raise StopRun

    def _save_model(self, path) -> None:
        """The model with its training state: a checkpoint, valid at an epoch boundary only."""
        p = self.prepared
        self.ledger.start("model", path, p.state.epoch)
        save_model(path, p.network, self.cfg.to_dict(), state=p.state, **p.model_contents())
        self.ledger.done()

    def write(self, what: str, path, write, known_error=None) -> bool:
        """Write one output; when the system refuses, say so and put the result elsewhere. False on failure."""
        epoch = self.prepared.state.epoch if what == "model" else None
        self.ledger.start(what, path, epoch)
        rescued = write_or_rescue(path, write, known_error=known_error)
        if rescued is None:
            self.ledger.done()
            return True
        self.ledger.abandon()
        self.rescued[what] = rescued
        say(f"dnn: error: {path}: cannot write the {what}: {reason(rescued.error)}; {_rescue_text(what, rescued)}")
        return False

    def write_model(self, *, stopped: bool) -> bool:
        """The final save, when --save was given; False when it failed (after a failed checkpoint: straight to
        the rescue file). A stopped run saves only finite parameters."""
        if self.save_path is None or stopped and not self.prepared.network.is_finite():
            return True
        p = self.prepared
        return self.write("model", self.save_path, lambda path: save_model(
            path, p.network, self.cfg.to_dict(), state=p.state, **p.model_contents()), known_error=self.failure)


def _rescue_text(what: str, rescued) -> str:
    if rescued.path is None:
        return (f"could not write it anywhere else either ({reason(rescued.rescue_error)}): the {what} "
                "is lost")
    resume = f" (continue with --resume {rescued.path})" if what == "model" else ""
    return f"saved it to {rescued.path} instead{resume}"


def _stop_report(run: _Run, stopped: bool) -> str:
    """What a run stopped by a signal or a failed checkpoint did: where it stopped, what it saved."""
    state, total, save = run.prepared.state, run.cfg.train.epochs, run.save_path
    signum = run.requests.signum
    if not stopped:
        head = f"interrupted ({signal_name(signum)}) during the final writes, after all {total} epochs"
    elif run.failure is not None:
        head = (f"stopped after epoch {state.epoch} of {total}: the checkpoint could not be written "
                f"({reason(run.failure)})")
    elif signum == signal.SIGINT:
        head = f"interrupted after epoch {state.epoch} of {total}"
    else:
        head = f"stopped by {signal_name(signum)} after epoch {state.epoch} of {total}"
    parts = [head]
    if save is not None:
        entry = run.ledger.get("model")
        rescued = run.rescued.get("model")
        if entry is not None and entry.written and entry.epoch == state.epoch:
            parts.append(f"saved the parameters and training state to {save} (continue with --resume {save})")
        elif rescued is not None:
            parts.append(f"the model is in {rescued.path}" if rescued.path else "the model is not saved")
        else:
            parts.append(f"nothing saved to {save}: the parameters are not finite")
    return "; ".join(parts + _other_outputs(run))


def _other_outputs(run: _Run) -> list[str]:
    """What became of --metrics-out and --plot, once the writes have begun."""
    parts = []
    for what, path in (("metrics", run.metrics_out), ("plot", run.plot)):
        if path is None:
            continue
        entry, rescued = run.ledger.get(what), run.rescued.get(what)
        if entry is not None:
            parts.append(f"wrote the {what} to {path}")
        elif rescued is not None and rescued.path is not None:
            parts.append(f"wrote the {what} to {rescued.path}")
        else:
            parts.append(f"did not write the {what}")
    return parts


def _stopped_at_once(run: _Run) -> str:
    """A second signal: where the run stopped and what is on disk (every write is atomic: nothing half-written)."""
    state, total, save = run.prepared.state, run.cfg.train.epochs, run.save_path
    where = {"training": f"during epoch {state.epoch + 1} of {total}", "writing": "while writing the results",
             "summary": "while printing the summary"}[run.phase]
    parts = [f"stopped at once {where}"]
    if save is not None:
        entry = run.ledger.get("model")
        if entry is not None:
            verb = "holds" if entry.written and entry.epoch == state.epoch else "still holds"
            parts.append(f"{save} {verb} the checkpoint of epoch {entry.epoch} (continue with --resume {save})")
        else:
            why = ": the parameters are not finite" if not run.prepared.network.is_finite() else ""
            left = " (the file there is left as it was)" if run.save_existed else ""
            parts.append(f"nothing saved to {save}{why}{left}")
    if run.phase != "training":
        parts += _other_outputs(run)
    return "; ".join(parts)


def _summary(console, cfg, history, final, state, seconds) -> None:
    if history:
        console.print(render.history_table(history, show_lr=cfg.train.lr_decay != "none"))
    console.print(render.final_table(final, seconds, state.epoch))
    if state.costs:
        console.print(render.cost_line(state.costs))


def _plot(path, prepared) -> None:
    """The cost curve (train, dev every epoch, the best epoch marked) and the model panel in the data's own units."""
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
