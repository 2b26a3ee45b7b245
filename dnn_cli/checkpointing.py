"""Checkpoints of a run: what a resumed run may change, stopping at an epoch's end, what is on disk.

No printing here: `training_run` turns the notes, stop requests and the ledger into messages, which the CLI prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import ModelFileError, UsageError, shorten
from .io.statefile import differing_keys
from .losses import resolve_loss

REFUSE, NOTE, IGNORED = "refuse", "note", "ignored"

# What `--resume` accepts when the config differs from the checkpoint's, by dotted key. The most
# specific entry wins ("data" covers every data.* key); a key of no entry is refused.
# REFUSE: the checkpoint would be meaningless (other samples, another network, another optimizer state);
# NOTE: a legitimate change of how training goes on (the run will not match an uninterrupted one);
# IGNORED: has no effect once the checkpoint's parameters are loaded.
RESUME_RULES = {
    "seed": (REFUSE, "the seed draws the data and the dev split the weights were trained on"),
    "data": (REFUSE, "the weights were trained on the checkpoint's samples, split and preprocessing"),
    "model": (REFUSE, "the checkpoint's parameters belong to its network"),
    "model.init": (IGNORED, "the checkpoint's parameters replace the initial ones"),
    "model.init_scale": (IGNORED, "the checkpoint's parameters replace the initial ones"),
    "model.keep_prob": (NOTE, ""),
    "train": (NOTE, ""),
    "train.epochs": (None, "the length of the run is what resuming changes"),
    "train.optimizer": (REFUSE, "the checkpoint holds that optimizer's state"),
    "train.dtype": (REFUSE, "the parameters and the optimizer state are stored in that dtype"),
}


def resume_rule(key: str) -> tuple:
    """(action, why) for a dotted config key: the entry of its longest prefix in RESUME_RULES."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        rule = RESUME_RULES.get(".".join(parts[:n]))
        if rule is not None:
            return rule
    return REFUSE, "this dnn does not know whether a resumed run may change it"


def _effective(config) -> dict:
    """The config as data, with activations and loss as the network uses them ({hidden, output} expanded)."""
    data = config.to_dict()
    model = config.model
    data["model"]["activations"] = model.activation_names()
    data["model"]["loss"] = resolve_loss(model.loss, model.activation_names()[-1]).name
    return data


def _value(config: dict, key: str):
    for part in key.split("."):
        config = config.get(part) if isinstance(config, dict) else None
    return config


def check_resumable(model, config, config_path) -> list[str]:
    """Check that `config` can continue the checkpoint `model`; return the notes on what it changes.

    Raises ModelFileError or UsageError (one line per refused key) when the checkpoint cannot be
    continued under this config.
    """
    if model.state is None:
        raise ModelFileError(f"{model.path}: holds no training state to resume; use --init-from to start a new "
                             "run from its parameters")
    if list(model.network.layers) != list(config.model.layers):
        raise ModelFileError(f"{model.path}: has layers {model.network.layers}, but {config_path} has "
                             f"model.layers {config.model.layers}")
    saved, wanted = _effective(model.config), _effective(config)
    changed = differing_keys(saved, wanted)
    refused = [key for key in changed if resume_rule(key)[0] == REFUSE]
    if refused:
        raise UsageError("\n".join(
            f"{model.path}: cannot resume with {key} = {shorten(repr(_value(wanted, key)))}: the checkpoint has "
            f"{shorten(repr(_value(saved, key)))} ({resume_rule(key)[1]}); start a new run from its parameters "
            f"with --init-from {model.path}" for key in refused))
    if model.state["stopped_early"]:
        raise UsageError(f"{model.path}: its run stopped early at epoch {model.epoch} (best epoch "
                         f"{model.state['best_epoch']}); there is nothing to resume")
    if model.epoch >= config.train.epochs:
        raise UsageError(f"{model.path}: has already run {model.epoch} epochs and train.epochs is "
                         f"{config.train.epochs}; pass --epochs N with N > {model.epoch} to continue")
    notes = []
    noted = [key for key in changed if resume_rule(key)[0] == NOTE]
    if noted:
        notes.append(f"{config_path} differs from the checkpoint's config in {', '.join(noted)}; "
                     "the resumed run will not match an uninterrupted one")
    ignored = [key for key in changed if resume_rule(key)[0] == IGNORED]
    if ignored:
        notes.append(f"{config_path} differs from the checkpoint's config in {', '.join(ignored)}, which has no "
                     "effect on a resumed run: the checkpoint's parameters replace the initial ones")
    return notes


def _plain(values) -> list | None:
    return None if values is None else [v.item() if isinstance(v, np.generic) else v for v in values]


def check_same_data(model, prepared) -> None:
    """After the data is loaded: a checkpoint continues only on the data it was trained on.

    The config may be unchanged while the data file was edited: the feature names, the classes and
    the training split's standardisation statistics stored in the checkpoint must match exactly.
    """
    train = prepared.train
    problems = []
    if model.features is not None and list(model.features) != list(train.feature_names):
        problems.append(f"its feature columns are {shorten(list(model.features), 200)}, the data's are "
                        f"{shorten(list(train.feature_names), 200)}")
    if model.classes is not None and train.classes is not None and _plain(model.classes) != _plain(train.classes):
        problems.append(f"its classes are {shorten(_plain(model.classes), 200)}, the data's are "
                        f"{shorten(_plain(train.classes), 200)}")
    saved, fitted = model.standardizer, prepared.standardizer
    if saved is not None and fitted is not None and not (
            np.array_equal(saved.mean, fitted.mean) and np.array_equal(saved.std, fitted.std)):
        problems.append("the training split's feature means or standard deviations differ from those it was "
                        "trained with")
    saved, fitted = model.encoder, prepared.encoder
    if (saved is None) != (fitted is None) or saved is not None and saved.to_json() != fitted.to_json():
        problems.append("the encoding of its columns (categories, fill values) differs from the training split's")
    saved, fitted = model.target_scaler, prepared.target_scaler
    if saved is None and fitted is not None:
        problems.append("it learnt the raw targets, this run would standardise them: set "
                        "data.standardize_target: false to continue it")
    elif saved is not None and fitted is None:
        problems.append("it learnt standardised targets, this run would not standardise them")
    elif saved is not None and not (np.array_equal(saved.mean, fitted.mean) and np.array_equal(saved.std, fitted.std)):
        problems.append("the training split's target mean or standard deviation differs from those it was "
                        "trained with")
    if problems:
        raise UsageError("\n".join(f"{model.path}: cannot resume on this data ({train.source}): {problem}; the "
                                    f"data changed since the checkpoint" for problem in problems))


class StopRun(Exception):
    """Ends training at an epoch boundary: every epoch counted is complete, so the state saves exactly."""


class StopNow(KeyboardInterrupt):
    """A second stop request: end at once, even mid-epoch or mid-write, and write nothing more.

    A KeyboardInterrupt, so that no `except Exception` on the way swallows it, and a caller that
    knows only Ctrl-C still stops.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class StopRequests:
    """Stop requests (signals) of one run: the first stops after the current epoch, the second at once."""

    def __init__(self):
        self.signum = None  # the first signal received: the run exits with 128 + signum
        self.count = 0

    def request(self, signum: int) -> int:
        """Count a request; returns 1 for the first (stop after this epoch), 2 for the second (stop now), ..."""
        self.count += 1
        if self.signum is None:
            self.signum = signum
        return self.count

    @property
    def requested(self) -> bool:
        return self.count > 0


def checkpoint_due(epochs_done: int, every: int | None, epochs: int) -> bool:
    """A checkpoint is written every `every` epochs, except after the last (the final save follows)."""
    return bool(every) and epochs_done % every == 0 and epochs_done < epochs


def _identity(path):
    """What changes when a file is replaced (inode, size, mtime), or None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class Entry:
    """One output on disk: its path and, for a model, the epoch count of the checkpoint it holds."""

    path: object
    epoch: int | None = None
    written: bool = True  # False: the file was there before this run (e.g. the checkpoint resumed from)


class Ledger:
    """What a run has written, so that a run stopped at any moment can say what is on disk.

    `writing(what, path, epoch)` wraps one write; a write abandoned by StopNow stays pending, and
    `settle()` counts it as done when the file was replaced after all (the stop came after the rename).
    """

    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self._pending = None

    def start(self, what: str, path, epoch: int | None = None) -> None:
        self._pending = (what, path, epoch, _identity(path))

    def done(self) -> None:
        what, path, epoch, _ = self._pending
        self.entries[what] = Entry(path, epoch)
        self._pending = None

    def abandon(self) -> None:
        self._pending = None

    def settle(self) -> None:
        if self._pending is not None:
            what, path, epoch, before = self._pending
            after = _identity(path)
            if after is not None and after != before:
                self.entries[what] = Entry(path, epoch)
            self._pending = None

    def get(self, what: str) -> Entry | None:
        return self.entries.get(what)
