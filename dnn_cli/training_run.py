"""One `dnn train` run in the library: resume, a checkpoint every N epochs, stop after the current epoch, the
final writes (a result whose file cannot be written goes to a rescue file), and what a stopped run reports.

No printing and no signal handling here. The caller installs the handlers (they call
`run.requests.request(signum)`), and every message goes to the `report(text)` it passes, one line
each, e.g. "note: ..." or "warning: ...":

    run = start_run("flower.yaml", config, save=Path("m.npz"), report=print)
    result = run.train()          # None when a stop request or a failed checkpoint ended it early
    run.finish(result)            # the writes and, for a stopped run, the report
    run.exit_code                 # 0, 1 (an output could not be written), 128 + N after signal N
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from .checkpointing import Entry, Ledger, StopRequests, StopRun, check_resumable, check_same_data, checkpoint_due
from .errors import TrainingError
from .io.metricsfile import metrics_document, write_metrics
from .io.modelfile import load_model, load_parameters, save_model
from .io.outputs import check_distinct_files, same_file
from .io.rescue import reason, write_or_rescue
from .io.statefile import restore_state
from .layer_stats import verdicts as layer_verdicts
from .pipeline import fit, prepare
from .training import cost_curve, final_metrics


def signal_name(signum: int) -> str:
    """'SIGTERM' for 15; 'signal 99' for a number without a name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _ignore(text: str) -> None:
    pass


def start_run(config_path, config, *, save=None, init_from=None, resume=None, checkpoint_every=None,
              metrics_out=None, plot=None, draw_plot=None, report=_ignore, trace=False) -> TrainingRun:
    """Check the outputs, load the checkpoint to resume (or the parameters to start from), prepare the run.

    `draw_plot(path, prepared)` draws the picture for `plot`; `trace` records the per-layer signals
    of the logged epochs (layer_stats) and their verdicts. Raises the project's errors for outputs
    that clash with each other or with an input, and for a checkpoint this config cannot continue.
    """
    check_distinct_files(config_path, config, save=save, init_from=init_from, resume=resume,
                         metrics_out=metrics_out, plot=plot)
    model = load_model(resume) if resume is not None else None
    if model is not None:
        for note in check_resumable(model, config, config_path):
            report(f"note: {note}")
        parameters = model.resume_parameters()
    else:
        parameters = load_parameters(init_from, config.model.layers) if init_from is not None else None
    prepared = prepare(config, source=str(config_path), parameters=parameters)
    for note in prepared.notes:
        report(f"note: {note}")
    for warning in prepared.warnings:
        report(f"warning: {warning}")
    if model is not None:
        check_same_data(model, prepared)
        restore_state(prepared.state, model)
    run = TrainingRun(prepared, config, save=save, checkpoint_every=checkpoint_every, metrics_out=metrics_out,
                      plot=plot, draw_plot=draw_plot, report=report, trace=trace)
    if model is not None and save is not None and same_file(resume, save):
        run.ledger.entries["model"] = Entry(save, model.epoch, written=False)
    return run


@dataclass
class Finished:
    """What a run ended with: the logged history, the final metrics, the seconds it trained (None: stopped)."""

    result: object  # the TrainResult, None when the run stopped early
    history: list
    final: dict
    seconds: float
    verdicts: list | None = None  # a traced run's layer_stats.verdicts


class TrainingRun:
    """One training run's checkpoints, stop requests and writes, and what they left on disk."""

    def __init__(self, prepared, config, *, save=None, checkpoint_every=None, metrics_out=None, plot=None,
                 draw_plot=None, report=_ignore, trace=False):
        self.prepared, self.cfg, self.save_path, self.every = prepared, config, save, checkpoint_every
        self.metrics_out, self.plot, self.draw_plot, self.report = metrics_out, plot, draw_plot, report
        self.trace = trace
        self.save_existed = save is not None and save.exists()
        self.requests = StopRequests()
        self.ledger = Ledger()
        self.phase = "training"  # then "writing", then "summary"
        self.failure = None  # the OSError of a checkpoint that could not be written
        self.failed = False  # a final write failed
        self.rescued = {}  # output -> Rescued, for the writes that failed
        self.start = time.perf_counter()

    def train(self, on_epoch=None):
        """Train to train.epochs, or to the end of the epoch a stop request or a failed checkpoint stops at.

        `on_epoch(result)` is called after every epoch (e.g. for a progress bar). Returns the
        TrainResult, or None when the run stopped early.
        """
        self.start = time.perf_counter()
        every, epochs, requests = self.every, self.cfg.train.epochs, self.requests

        def after_epoch(result) -> None:
            if on_epoch is not None:
                on_epoch(result)
            if every and checkpoint_due(result.epoch + 1, every, epochs):
                try:
                    self._save_model(self.save_path)
                except OSError as e:
                    self.ledger.abandon()
                    self.failure = e
                    raise StopRun from None
            if requests.count:
                raise StopRun

        try:
            traced = {"trace": True} if self.trace else {}
            return fit(self.prepared, callback=after_epoch, **traced)
        except TrainingError:
            kept, save = self.ledger.get("model"), self.save_path
            if save is not None and kept is not None:
                self.report(f"kept the checkpoint of epoch {kept.epoch} in {save}; the parameters after it are "
                            "not saved")
            elif save is not None:
                self.report(f"nothing saved to {save}: the run diverged")
            raise
        except StopRun:
            return None

    def finish(self, result) -> Finished:
        """Write the model, metrics and plot asked for (each with its rescue); report a stopped run."""
        self.phase = "writing"
        prepared, state = self.prepared, self.prepared.state
        if result is None:
            train, dev = prepared.train, prepared.dev
            final = final_metrics(prepared.network, train.X, train.y, dev.X if dev else None, dev.y if dev else None,
                                  target_scale=prepared.train_options().get("target_scale"))
            history, seconds, warnings = state.history, time.perf_counter() - self.start, []
        else:
            history, final, seconds, warnings = result.history, result.final, result.seconds, result.warnings
        for warning in warnings:
            self.report(f"warning: {warning}")
        verdicts = layer_verdicts([(h.epoch, h.layers) for h in history]) if self.trace else None
        failed = not self.write_model(stopped=result is None)
        if self.metrics_out is not None:
            document = metrics_document(self.cfg.to_dict(), history, final, seconds,
                                        warnings=[*prepared.warnings, *warnings],
                                        curve=cost_curve(state), verdicts=verdicts)
            failed |= not self.write("metrics", self.metrics_out, lambda path: write_metrics(path, document))
        if self.plot is not None:
            failed |= not self.write("plot", self.plot, lambda path: self.draw_plot(path, prepared))
        self.failed = failed
        self.phase = "summary"
        if result is None or self.requests.requested:
            self.report(self.stop_report(result is None))
        return Finished(result, history, final, seconds if result is not None else None, verdicts)

    @property
    def exit_code(self) -> int:
        """1 when an output could not be written where asked, else 128 + N after signal N, else 0."""
        if self.failed or self.failure is not None:
            return 1
        return 128 + self.requests.signum if self.requests.requested else 0

    def written(self) -> list:
        """(what, path) of the outputs this run wrote where asked, in the order model, metrics, plot."""
        entries = [(what, self.ledger.get(what)) for what in ("model", "metrics", "plot")]
        return [(what, entry.path) for what, entry in entries if entry is not None and entry.written]

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
        self.report(f"error: {path}: cannot write the {what}: {reason(rescued.error)}; {_rescue_text(what, rescued)}")
        return False

    def write_model(self, *, stopped: bool) -> bool:
        """The final save, when asked for; False when it failed (after a failed checkpoint: straight to the
        rescue file). A stopped run saves only finite parameters."""
        if self.save_path is None or stopped and not self.prepared.network.is_finite():
            return True
        p = self.prepared
        return self.write("model", self.save_path, lambda path: save_model(
            path, p.network, self.cfg.to_dict(), state=p.state, **p.model_contents()), known_error=self.failure)

    def stop_report(self, stopped: bool) -> str:
        """What a run stopped by a signal or a failed checkpoint did: where it stopped, what it saved."""
        state, total, save = self.prepared.state, self.cfg.train.epochs, self.save_path
        signum = self.requests.signum
        if not stopped:
            head = f"interrupted ({signal_name(signum)}) during the final writes, after all {total} epochs"
        elif self.failure is not None:
            head = (f"stopped after epoch {state.epoch} of {total}: the checkpoint could not be written "
                    f"({reason(self.failure)})")
        elif signum == signal.SIGINT:
            head = f"interrupted after epoch {state.epoch} of {total}"
        else:
            head = f"stopped by {signal_name(signum)} after epoch {state.epoch} of {total}"
        parts = [head]
        if save is not None:
            entry = self.ledger.get("model")
            rescued = self.rescued.get("model")
            if entry is not None and entry.written and entry.epoch == state.epoch:
                parts.append(f"saved the parameters and training state to {save} (continue with --resume {save})")
            elif rescued is not None:
                parts.append(f"the model is in {rescued.path}" if rescued.path else "the model is not saved")
            else:
                parts.append(f"nothing saved to {save}: the parameters are not finite")
        return "; ".join(parts + self._other_outputs())

    def _other_outputs(self) -> list[str]:
        """What became of the metrics and the plot, once the writes have begun."""
        parts = []
        for what, path in (("metrics", self.metrics_out), ("plot", self.plot)):
            if path is None:
                continue
            entry, rescued = self.ledger.get(what), self.rescued.get(what)
            if entry is not None:
                parts.append(f"wrote the {what} to {path}")
            elif rescued is not None and rescued.path is not None:
                parts.append(f"wrote the {what} to {rescued.path}")
            else:
                parts.append(f"did not write the {what}")
        return parts

    def stopped_at_once(self, signum: int) -> str:
        """A second signal (or Ctrl-C outside the handlers) ended the run: where it stopped, what is on disk.

        Every write is atomic, so nothing is half-written; a write the stop cut short counts as done
        when its file was replaced after all.
        """
        self.ledger.settle()
        if self.requests.signum is None:
            self.requests.request(signum)
        state, total, save = self.prepared.state, self.cfg.train.epochs, self.save_path
        where = {"training": f"during epoch {state.epoch + 1} of {total}", "writing": "while writing the results",
                 "summary": "while printing the summary"}[self.phase]
        parts = [f"stopped at once {where}"]
        if save is not None:
            entry = self.ledger.get("model")
            if entry is not None:
                verb = "holds" if entry.written and entry.epoch == state.epoch else "still holds"
                parts.append(f"{save} {verb} the checkpoint of epoch {entry.epoch} (continue with --resume {save})")
            else:
                why = ": the parameters are not finite" if not self.prepared.network.is_finite() else ""
                left = " (the file there is left as it was)" if self.save_existed else ""
                parts.append(f"nothing saved to {save}{why}{left}")
        if self.phase != "training":
            parts += self._other_outputs()
        return "; ".join(parts)


def _rescue_text(what: str, rescued) -> str:
    if rescued.path is None:
        return (f"could not write it anywhere else either ({reason(rescued.rescue_error)}): the {what} "
                "is lost")
    resume = f" (continue with --resume {rescued.path})" if what == "model" else ""
    return f"saved it to {rescued.path} instead{resume}"
