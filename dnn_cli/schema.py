"""The config schema: one pydantic model per section, every key with its default and a description.

Config keys are the field names verbatim, so `train.learning_rate` in YAML is
`config.train.learning_rate` in code. `dnn_cli.config` loads and validates; this module only declares.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import listed, shorten, shown
from .initializers import INITIALIZERS
from .io.tables import is_data_file
from .losses import LOSSES
from .network import expand_activations
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES
from .yaml_loader import Dumper

# numpy takes any seed >= 0; beyond 64 bits no other tool (PyTorch, a uint64 column) can hold it.
MAX_SEED = 2**64 - 1


class _Strict(BaseModel):
    # strict: a YAML string "0.1" is not silently taken for a number, nor true for 1.
    # allow_inf_nan=False: .inf or .nan for a rate or a size is never meant.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class DataConfig(_Strict):
    source: str = Field("flower", description="a built-in dataset (dnn datasets), or a path to a .csv / .npz file")
    n_samples: int | None = Field(None, ge=2, description="built-in datasets only: how many samples to draw")
    noise: float | None = Field(None, ge=0, description="built-in datasets only: the noise level")
    n_classes: int | None = Field(None, ge=2, description="built-in datasets only: the number of classes")
    n_features: int | None = Field(None, ge=1, description="built-in datasets only: the number of features")
    label: str | None = Field(None, description="CSV: the label column's name (default: the last column)")
    ignore_columns: list[str] = Field(
        [], description="CSV: columns that are not features (identifiers, free text, leaks of "
                                          "the label): left out of X; the files predict reads may keep them")
    dev_fraction: float = Field(0.0, ge=0, lt=1, description="the fraction held out for dev metrics")
    standardize: bool = Field(False, description="scale features to zero mean, unit variance (from the train split)")
    dev_source: str | None = Field(None, description="a CSV of dev samples with the columns of `source` (instead of "
                                                     "dev_fraction); relative to the config file")
    test_source: str | None = Field(None, description="a CSV of test samples with the columns of `source`: scored "
                                                      "once, for the final model")
    missing: Literal["error", "drop", "mean"] = Field(
        "error", description="CSV cells that are empty, NA or NaN: error | drop (the rows) | mean (numeric: the "
                             "train mean; text: a category of its own), kept with the model")
    unknown_categories: Literal["error", "ignore"] = Field(
        "error", description="a text value the train split never had: error, or ignore (its one-hot columns all 0)")
    standardize_target: bool | None = Field(
        None, description="regression: learn targets scaled to zero mean, unit variance (train split); predict and "
                          "RMSE stay in their units. null: on for a data file")

    @field_validator("ignore_columns")
    @classmethod
    def _ignore_columns(cls, value):
        twice = sorted({c for c in value if value.count(c) > 1})
        if twice:
            raise ValueError(f"expected each column once, got {listed([repr(c) for c in twice], 200)} more than once")
        if "" in value:
            raise ValueError("expected column names, got an empty one")
        return value

    @field_validator("source", "dev_source", "test_source")
    @classmethod
    def _source(cls, value):
        if value is None:
            return value
        if len(value) > 4096:  # no dataset has such a name, and no OS takes such a path (PATH_MAX)
            raise ValueError(f"expected a dataset name or a file path of at most 4,096 characters, got "
                             f"{len(value):,} characters ({shorten(repr(value))})")
        if "\0" in value:
            raise ValueError(f"expected a dataset name or a file path, got a text with a NUL byte: "
                             f"{shorten(repr(value))}")
        return value

    def is_file(self) -> bool:
        """True when `source` names a data file (a suffix of io.tables.READERS, or a path) rather than a built-in
        dataset."""
        return is_data_file(self.source)


class ActivationsSpec(_Strict):
    hidden: str = Field(description="g^[1] .. g^[L-1]")
    output: str = Field(description="g^[L]")


class ModelConfig(_Strict):
    layers: list[int] = Field(description="n^[0] .. n^[L]; n^[0] must equal the data's feature count",
                              json_schema_extra={"example": [2, 4, 1]})
    activations: Any = Field(description="g^[1] .. g^[L], one per layer; or {hidden: NAME, output: NAME}",
                             json_schema_extra={"example": ["tanh", "sigmoid"]})
    init: Literal[tuple(INITIALIZERS)] = Field("random", description=" | ".join(INITIALIZERS))
    init_scale: float = Field(0.01, gt=0, description="the scale of the random init: W = randn * init_scale")
    loss: Literal[("auto", *LOSSES)] = Field(
        "auto", description="auto (from the output activation) | " + " | ".join(LOSSES))
    keep_prob: Any = Field(1.0, description="inverted dropout: 1.0 = none; a number for every hidden layer, "
                                            "or a list with one per hidden layer")

    @field_validator("activations")
    @classmethod
    def _activations(cls, value):
        if isinstance(value, dict):
            return ActivationsSpec.model_validate(value).model_dump()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise ValueError(f"expected a list of names or {{hidden: NAME, output: NAME}}, got {shown(value)}")

    @field_validator("keep_prob")
    @classmethod
    def _keep_prob(cls, value):
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ValueError(f"expected a number in (0, 1] or a list of them, got {shown(value)}")
        return value

    def activation_names(self) -> list[str]:
        return expand_activations(self.activations, len(self.layers) - 1)


class EarlyStoppingConfig(_Strict):
    patience: int = Field(ge=1, description="stop after this many epochs without a better dev cost",
                          json_schema_extra={"example": 10})
    min_delta: float = Field(0.0, ge=0, description="the smallest fall of the dev cost that counts as better")


class TrainConfig(_Strict):
    learning_rate: float = Field(0.01, gt=0, description="alpha, the step size")
    epochs: int = Field(1000, ge=1, description="passes over the training set")
    batch_size: Any = Field("full", description="full, or an integer (mini-batches, reshuffled each epoch)")
    optimizer: Literal[tuple(OPTIMIZERS)] = Field("gd", description=" | ".join(OPTIMIZERS))
    beta1: float = Field(0.9, ge=0, lt=1, description="momentum's beta, Adam's beta1")
    beta2: float = Field(0.999, ge=0, lt=1, description="RMSprop and Adam")
    epsilon: float = Field(1e-8, gt=0, description="RMSprop and Adam: added to the denominator")
    l2: float = Field(0.0, ge=0, description="lambda of L2 regularisation")
    lr_decay: Literal[tuple(SCHEDULES)] = Field("none", description=" | ".join(SCHEDULES))
    decay_rate: float = Field(0.0, ge=0, description="the rate of lr_decay")
    decay_every: int = Field(1000, ge=1, description="step decay only: epochs between steps")
    early_stopping: EarlyStoppingConfig | None = Field(
        None, description="null, or {patience: N, min_delta: X}; needs a dev split")
    log_every: int = Field(1000, ge=1, description="record the cost every this many epochs")
    dtype: Literal["float64", "float32"] = Field("float64", description="float64 | float32")

    @field_validator("batch_size")
    @classmethod
    def _batch_size(cls, value):
        if value == "full" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"expected 'full' or a positive integer, got {shown(value)}")


class Config(_Strict):
    seed: int = Field(0, ge=0, le=MAX_SEED, description="one seed for the data, the initial parameters and "
                                                        "the batch order")
    data: DataConfig = Field(DataConfig(), description="where the samples come from")
    model: ModelConfig = Field(description="the network")
    train: TrainConfig = Field(TrainConfig(), description="how it is trained")

    def to_dict(self) -> dict:
        """The resolved config as plain data (what goes into model and metrics files)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML: mappings as blocks, lists inline ([2, 4, 1])."""
        return yaml.dump(self.to_dict(), Dumper=Dumper, sort_keys=False)


# Key path -> the model that validates the mapping found there.
SECTIONS = {(): Config, ("data",): DataConfig, ("model",): ModelConfig, ("train",): TrainConfig,
            ("train", "early_stopping"): EarlyStoppingConfig}
MODELS = {**SECTIONS, ("model", "activations"): ActivationsSpec}

