"""The training loop: mini-batches, one optimizer step per batch, one result per epoch.

`iter_epochs` is a generator the CLI renders as it goes; `train` runs it to the end and returns
the history and final metrics. The cost recorded for epoch e is computed on the forward pass of
epoch e, before that epoch's updates (epoch 0 is the cost of the initial parameters); with
mini-batches it is the mean over the epoch's batches, weighted by batch size.

With a dev set, the dev cost of the parameters after e epochs of updates is recorded for every
e = 0..epochs (`TrainingState.dev_costs`): epoch e's dev metrics, like its cost, describe the
parameters before its updates, and the last entry scores the final parameters. Early stopping
watches the same numbers, so the weights after the final update can be the best ones.

L2 follows the course: J = (1/m) sum L + (l2 / 2m) sum_l ||W^[l]||^2 with m the training set's
size, whatever the batch size (see `fast_step.train_step`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .errors import ConfigError, TrainingError
from .fast_step import Workspace, labels_if_binary, train_step
from .layer_stats import Tracer
from .metrics import BatchScores, evaluate
from .optimizers import get_optimizer
from .schedules import SCHEDULES


class EpochResult(NamedTuple):
    """What one epoch measured. Metrics other than the cost are filled on logged epochs only."""

    epoch: int
    cost: float
    learning_rate: float
    logged: bool = False
    train_accuracy: float | None = None
    train_rmse: float | None = None
    dev_cost: float | None = None
    dev_accuracy: float | None = None
    dev_rmse: float | None = None
    layers: list | None = None  # with trace=True: the per-layer signals of the epoch's first step (layer_stats)

    def to_dict(self) -> dict:
        """The fields that were measured, without `logged`."""
        out = {k: v for k, v in self._asdict().items() if v is not None and k != "logged"}
        if self.layers is not None:
            out["layers"] = [r if isinstance(r, dict) else r.to_dict() for r in self.layers]
        return out


@dataclass
class TrainingState:
    """Everything the loop carries between epochs, so a run can be checkpointed and resumed exactly.

    `epoch` is the next epoch to run; `rng` draws the mini-batch order and the dropout masks;
    `costs` holds the cost of every epoch run, `history` the EpochResults of the logged ones (every
    log_every-th, the last, and the best by dev cost); `dev_costs[e]` the dev cost of the parameters
    after e epochs (e = 0..epoch, None where a checkpoint did not record it); `last_W`, `last_b` keep the
    final parameters when early stopping put the best ones in the network.
    """

    optimizer: object
    rng: np.random.Generator
    epoch: int = 0
    costs: list = field(default_factory=list)
    history: list = field(default_factory=list)
    best_cost: float = math.inf
    best_epoch: int | None = None
    best_W: list | None = None
    best_b: list | None = None
    wait: int = 0
    stopped_early: bool = False
    last_W: list | None = None
    last_b: list | None = None
    dev_costs: list = field(default_factory=list)


def cost_curve(state: TrainingState) -> list[dict]:
    """Train and dev cost of every epoch run, and the final parameters' dev cost; [] without a dev set.

    Row e: {"epoch": e, "cost": the forward pass's cost of epoch e, "dev_cost": of the same parameters};
    the last row, e = epochs run, holds the dev cost after the final update.
    """
    if not state.dev_costs:
        return []
    rows = [{"epoch": e, "cost": c, "dev_cost": d} for e, (c, d) in enumerate(zip(state.costs, state.dev_costs))]
    if len(state.dev_costs) > len(state.costs):
        rows.append({"epoch": len(state.costs), "dev_cost": state.dev_costs[len(state.costs)]})
    return rows


@dataclass
class TrainResult:
    """A finished run: the network (trained in place), logged history, final metrics, wall time.

    `warnings`: one sentence each for a legal but suspicious outcome (the cost ended above its start,
    early stopping restored the initial parameters); the caller shows them, the core never prints.
    """

    network: object
    history: list
    final: dict
    seconds: float
    state: TrainingState
    warnings: list = field(default_factory=list)

    @property
    def costs(self) -> list:
        """The cost of every epoch run (not only the logged ones)."""
        return self.state.costs


def keep_probs(keep_prob, L: int):
    """One keep probability per hidden layer l = 1..L-1, or None when dropout is off."""
    probs = [float(keep_prob)] * (L - 1) if np.isscalar(keep_prob) else [float(p) for p in keep_prob]
    if len(probs) != L - 1:
        raise ConfigError(f"model.keep_prob: expected one value per hidden layer ({L - 1}), got {len(probs)}")
    for p in probs:
        if not 0.0 < p <= 1.0:
            raise ConfigError(f"model.keep_prob: expected values in (0, 1], got {p}")
    return probs if any(p < 1.0 for p in probs) else None


def is_full_batch(m: int, batch_size) -> bool:
    return batch_size in (None, "full") or batch_size >= m


ALL = slice(None)   # the full batch's index set: every column, in order


def batches(m: int, batch_size, rng) -> list:
    """Column index sets for one epoch: [ALL] for full batch, else a fresh shuffle cut into batches."""
    if is_full_batch(m, batch_size):
        return [ALL]
    order = rng.permutation(m)
    return [order[k:k + batch_size] for k in range(0, m, batch_size)]


def new_state(network, *, optimizer="gd", beta1=0.9, beta2=0.999, epsilon=1e-8, rng=None) -> TrainingState:
    """A fresh TrainingState: optimizer state at zero, epoch 0."""
    opt = get_optimizer(optimizer)(network, beta1=beta1, beta2=beta2, epsilon=epsilon)
    return TrainingState(optimizer=opt, rng=rng if rng is not None else np.random.default_rng())


def iter_epochs(network, X, Y, *, epochs: int, learning_rate: float, batch_size="full", l2: float = 0.0,
                keep_prob=1.0, lr_decay: str = "none", decay_rate: float = 0.0, decay_every: int = 1000,
                early_stopping: dict | None = None, log_every: int = 1, X_dev=None, Y_dev=None,
                state: TrainingState | None = None, target_scale=None, trace: bool = False,
                **optimizer_options) -> Iterator[EpochResult]:
    """Train `network` in place from epoch `state.epoch` to `epochs - 1`, yielding each epoch's result.

    X (n^[0], m), Y (n^[L], m) or integer labels (1, m); X_dev, Y_dev likewise. Keyword names are
    the config's `train` keys; `optimizer`, `beta1`, `beta2`, `epsilon` go to the optimizer
    when no `state` is given. target_scale (n^[L], 1): the standard deviations of standardised regression
    targets, so that RMSE is reported in the targets' own units (the cost stays the one minimised).
    trace=True adds `layers` (layer_stats.LayerStats of the epoch's first step) to every logged epoch's
    result; it reads the network only, so the run stays bit-identical.
    """
    if state is None:
        state = new_state(network, **optimizer_options)
    X = np.asarray(X, dtype=network.dtype)
    Y = network.targets(Y)
    has_dev = X_dev is not None
    if has_dev:
        X_dev = np.asarray(X_dev, dtype=network.dtype)
        Y_dev = network.targets(Y_dev)
    elif early_stopping:
        raise ConfigError("train.early_stopping: needs a dev split (set data.dev_fraction > 0)")
    m = X.shape[1]
    keep = keep_probs(keep_prob, network.L)
    schedule = SCHEDULES[lr_decay]
    # A Python float multiplies a float32 network's arrays in float32, as the formulas do.
    learning_rate = float(learning_rate)
    last = epochs - 1
    workspace = Workspace(network)
    Y_is_one = labels_if_binary(network, Y)
    dev = None
    if has_dev and state.epoch < epochs and not state.stopped_early:
        # The parameters as they are now: the initial ones (scored once, here) or a resumed run's, whose
        # score the checkpoint already holds (measuring them again gives the same numbers).
        dev = _evaluate(network, X_dev, Y_dev, target_scale)
        if state.epoch == 0 and not state.dev_costs:
            state.dev_costs.append(dev["cost"])
            if early_stopping:
                _watch(state, network, dev["cost"], 0, early_stopping)
        elif len(state.dev_costs) != state.epoch + 1:
            # A checkpoint written before dev costs were recorded: the curve starts here, and its early
            # stopping scored the parameters at the start of an epoch, so these are not scored yet.
            state.dev_costs[:] = [None] * state.epoch + [dev["cost"]]
            if early_stopping:
                _watch(state, network, dev["cost"], state.epoch, early_stopping)
    while state.epoch < epochs and not state.stopped_early:
        epoch = state.epoch
        alpha = schedule(learning_rate, epoch, decay_rate, decay_every)
        logged = epoch % log_every == 0 or epoch == last or (bool(early_stopping) and state.best_epoch == epoch)
        # Early stopping may end the run after this epoch: keep its outputs in case it becomes the last row.
        may_stop = bool(early_stopping) and state.wait + 1 >= early_stopping["patience"]
        batch_costs, measured = [], {}
        seen = BatchScores(network, m, target_scale) if logged or may_stop else None
        tracer = Tracer() if trace and logged else None
        dev_before = dev  # like the cost, epoch e's dev metrics describe the parameters before its updates
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for idx in batches(m, batch_size, state.rng):
                if idx is ALL:                       # the full batch: the arrays themselves
                    X_t, Y_t, Y1_t = X, Y, Y_is_one
                else:
                    X_t, Y_t = workspace.columns(X, idx), Y[:, idx]
                    Y1_t = None if Y_is_one is None else Y_is_one[:, idx]
                # The fast path: the numbers of forward, cost and backward, in reused arrays.
                J, AL, grads = train_step(network, X_t, Y_t, workspace, l2=l2, keep_prob=keep, rng=state.rng,
                                          Y_is_one=Y1_t, m_train=m)
                if not math.isfinite(J):
                    raise TrainingError(_non_finite(J, epoch, alpha, updated=bool(state.costs) or bool(batch_costs)))
                batch_costs.append((J, Y_t.shape[1]))
                if seen is not None:
                    seen.add(AL, Y_t)
                if tracer is None:
                    state.optimizer.step(network.theta, grads.vector(), alpha)
                else:
                    tracer.before(network, X_t, grads.dW)
                    state.optimizer.step(network.theta, grads.vector(), alpha)
                    measured["layers"] = tracer.after(network)
                    tracer = None
            _check_parameters(network.theta, epoch, alpha)
        cost = batch_costs[0][0] if len(batch_costs) == 1 else sum(J * n for J, n in batch_costs) / m
        state.costs.append(cost)
        state.epoch += 1
        if has_dev:
            # Score the parameters after this epoch's updates: the next epoch's dev metrics, or the final ones.
            dev = _evaluate(network, X_dev, Y_dev, target_scale)
            state.dev_costs.append(dev["cost"])
            if early_stopping:
                _watch(state, network, dev["cost"], state.epoch, early_stopping)
        logged = logged or state.stopped_early
        if logged:
            measured.update({f"train_{k}": v for k, v in seen.result().items()})
            if dev_before is not None:
                measured.update({f"dev_{k}": v for k, v in dev_before.items() if k != "m"})
        yield EpochResult(epoch, cost, alpha, logged, **measured)
    if early_stopping and state.best_W is not None:
        # The network ends with the best parameters; a resumed run must continue from the last ones.
        state.last_W = [W.copy() for W in network.W]
        state.last_b = [b.copy() for b in network.b]
        for P, best in zip(network.W + network.b, state.best_W + state.best_b):
            P[...] = best


def parameter_limit(dtype) -> float:
    """sqrt(largest finite value) of `dtype`: above it a product of two parameters already overflows."""
    return math.sqrt(float(np.finfo(dtype).max))


def _check_parameters(theta, epoch: int, alpha: float) -> None:
    """Divergence a clipped cross-entropy cannot show: parameters not finite, or ||theta|| past `parameter_limit`.

    One dot product per epoch: theta . theta is finite exactly when every entry is finite and the norm
    stays below sqrt(max) of the dtype (past it, products of parameters and the L2 term overflow).
    Call it under np.errstate(over="ignore"), as the training loop does.
    """
    if theta.dot(theta) < math.inf:  # False for inf and NaN
        return
    with np.errstate(invalid="ignore"):
        top = float(np.max(np.abs(theta)))
    found = ("are not finite" if not math.isfinite(top) else
             f"grew past {parameter_limit(theta.dtype):.3g} in norm (largest |entry| {top:.3g}; their products "
             f"overflow {theta.dtype})")
    raise TrainingError(f"the parameters {found} after epoch {epoch} with learning_rate {alpha:g}: the run "
                        "diverged; lower train.learning_rate")


def _evaluate(network, X, Y, target_scale=None) -> dict:
    """`metrics.evaluate` without NumPy's overflow warnings: a diverging run's outputs may saturate."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return evaluate(network, X, Y, target_scale)


def _non_finite(J, epoch, alpha, *, updated: bool) -> str:
    """Why the cost is not finite: a diverged run (blame the rate) or data out of range (no update yet)."""
    if not updated:
        return (f"the cost is {J} for the initial parameters, before any update: the data or the initial "
                "weights are too large for the dtype; check the data's values or set data.standardize: true")
    return (f"the cost became {J} at epoch {epoch} with learning_rate {alpha:g}: the run diverged; "
            "lower train.learning_rate")


def _watch(state, network, dev_cost, epoch, early_stopping):
    """Early stopping: remember the best parameters by dev cost; stop after `patience` epochs without progress."""
    if dev_cost < state.best_cost - early_stopping.get("min_delta", 0.0):
        state.best_cost, state.best_epoch, state.wait = dev_cost, epoch, 0
        state.best_W = [W.copy() for W in network.W]
        state.best_b = [b.copy() for b in network.b]
    else:
        state.wait += 1
        if state.wait >= early_stopping["patience"]:
            state.stopped_early = True


def train(network, X, Y, *, callback: Callable | None = None, **options) -> TrainResult:
    """Run `iter_epochs` to the end; return the logged history and the final train (and dev) metrics.

    `callback(result)` is called with every EpochResult, e.g. to draw a progress bar.
    """
    start = time.perf_counter()
    state = options.pop("state", None)
    if state is None:
        optimizer_keys = ("optimizer", "beta1", "beta2", "epsilon", "rng")
        state = new_state(network, **{k: options.pop(k) for k in optimizer_keys if k in options})
    log_every, epochs = options.get("log_every", 1), options["epochs"]
    trim_history(state, log_every, epochs)
    best = state.best_epoch
    for result in iter_epochs(network, X, Y, state=state, **options):
        if result.logged:
            state.history.append(result)
        if state.best_epoch != best:
            # The history keeps the best epoch's row; an earlier best's row goes unless it is logged anyway.
            if best is not None and not _regular(best, log_every, epochs):
                state.history[:] = [h for h in state.history if h.epoch != best]
            best = state.best_epoch
        if callback is not None:
            callback(result)
    final = final_metrics(network, X, Y, options.get("X_dev"), options.get("Y_dev"),
                          target_scale=options.get("target_scale"))
    l2 = options.get("l2", 0.0)
    if l2:
        # The history's costs include the L2 term; `cost` in the final metrics is the data cost alone.
        with np.errstate(over="ignore"):
            final["cost_with_l2"] = final["cost"] + float(network.l2_cost(l2, X.shape[1]))
    if state.best_epoch is not None:
        final["best_epoch"] = state.best_epoch
    warnings = run_warnings(state, final, options["learning_rate"], bool(options.get("early_stopping")))
    return TrainResult(network, list(state.history), final, time.perf_counter() - start, state, warnings)


def run_warnings(state: TrainingState, final: dict, learning_rate: float, early_stopping: bool) -> list[str]:
    """Sentences for a legal but suspicious run: it ended above its starting cost, or kept the initial weights."""
    warnings = []
    if state.costs:
        start, end = state.costs[0], final.get("cost_with_l2", final["cost"])
        if end > start:
            warnings.append(f"the cost ended above where it started ({start:.6g} -> {end:.6g}): the learning rate "
                            f"{learning_rate:g} is probably too large; try {learning_rate / 10:g}")
    if early_stopping and state.best_epoch == 0:
        warnings.append(f"early stopping restored epoch 0: the saved model is the untrained one (no later epoch "
                        f"brought the dev cost below {state.best_cost:.6g}); try a smaller learning rate or a "
                        "larger patience")
    return warnings


def _regular(epoch: int, log_every: int, epochs: int) -> bool:
    """True for the epochs every run of `epochs` epochs logs: every log_every-th and the last."""
    return epoch % log_every == 0 or epoch == epochs - 1


def trim_history(state: TrainingState, log_every: int, epochs: int) -> None:
    """Drop logged epochs that a longer run would not log, so a resumed run's history is exact.

    A run of 600 epochs logs its last epoch, 599; resumed to 1,000 epochs, 599 is no longer the last
    and an uninterrupted 1,000-epoch run would not have logged it (unless it is the best so far).
    """
    state.history[:] = [h for h in state.history
                        if _regular(h.epoch, log_every, epochs) or h.epoch == state.best_epoch]


def final_metrics(network, X, Y, X_dev=None, Y_dev=None, *, target_scale=None) -> dict:
    """{'cost', 'train_accuracy' | 'train_rmse', 'dev_cost', ...} of the network as it is now."""
    train = _evaluate(network, X, Y, target_scale)
    final = {"cost": train.pop("cost")}
    final.update({f"train_{k}": v for k, v in train.items()})
    if X_dev is not None:
        final.update({f"dev_{k}": v for k, v in _evaluate(network, X_dev, Y_dev, target_scale).items()})
    return final
