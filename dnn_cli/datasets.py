"""The built-in datasets and their registry; the Dataset every source (built-in or file) becomes.

Everything is in the course layout: X is (n_x, m) with one sample per COLUMN. In memory X stays
sample-major (each sample's features contiguous: X.T is C-contiguous, X is Fortran-ordered), as the
file readers leave it too: a mini-batch then gathers whole rows of X.T, several times faster than
gathering single entries from every row of a C-ordered X.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import DataError, is_int, is_real, suggest

TASKS = ("classification", "regression")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features and targets in the course layout.

    X: (n_x, m) float64.
    y: classification (1, m) int64 codes 0..K-1 indexing `classes`; regression (n_y, m) float64.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    classes: tuple | None
    feature_names: tuple[str, ...]
    source: str
    # A text table with string columns or missing cells: its feature columns before encoding
    # (`encoding.RawFeatures`), X being (0, m) until `encoding.Encoder` fitted on the train split fills it.
    raw: object = None
    dropped: tuple[int, ...] = ()  # data.missing: drop: the file lines of the rows left out
    label: str | None = None  # a text table's label column

    @property
    def m(self) -> int:
        """Number of samples (columns of X)."""
        return self.X.shape[1]

    @property
    def n_x(self) -> int:
        """Number of features (rows of X), n^[0]."""
        return self.X.shape[0]

    def __repr__(self) -> str:
        return (
            f"Dataset(source={self.source!r}, task={self.task!r}, n_x={self.n_x}, m={self.m}, "
            f"classes={self.classes!r})"
        )


def feature_names(n_x: int) -> tuple[str, ...]:
    """The names of features that have none (a built-in dataset, an array file): x1, x2, ..., x{n_x}."""
    return tuple(f"x{i}" for i in range(1, n_x + 1))


@dataclass(frozen=True)
class DatasetSpec:
    """One built-in dataset: make(rng, **params) returns X (n_x, m) float64 and y (1, m)."""

    name: str
    task: str
    description: str
    defaults: dict
    make: Callable


# ---------------------------------------------------------------------------------------------
# Built-in datasets. Each draws only from the rng it is given, so a seed fixes it bit for bit.


def _class_counts(m: int, K: int) -> list[int]:
    """Split m samples over K classes; the remainder goes to the last classes.

    For K = 2 and odd m this gives the extra point to class 1, as the flower dataset does and as
    sklearn's make_circles / make_moons do (their inner circle / second moon is the larger half).
    """
    base, extra = divmod(m, K)
    return [base + (1 if j >= K - extra else 0) for j in range(K)]


def _labels(counts: list[int]) -> np.ndarray:
    """(1, m) int64 codes, class j repeated counts[j] times."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)[np.newaxis, :]


def _make_flower(rng: np.random.Generator, *, n_samples: int, noise: float):
    """The course's planar petals (planar_utils.load_planar_dataset); X (2, m), y (1, m)."""
    a = 4  # maximum ray of a petal
    counts = _class_counts(n_samples, 2)
    parts = []
    for j, N in enumerate(counts):
        # The course draws the angle noise, then the radius noise, class by class; keep that order.
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.standard_normal(N) * noise
        r = a * np.sin(4 * t) + rng.standard_normal(N) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def _make_circles(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Two concentric circles (outer 0, inner 1, radius ratio 0.5), as sklearn's make_circles."""
    factor = 0.5
    n_out, n_in = _class_counts(n_samples, 2)
    # endpoint=False so the first and last points of a circle do not coincide.
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.concatenate([np.cos(t_out), factor * np.cos(t_in)]),
            np.concatenate([np.sin(t_out), factor * np.sin(t_in)]),
        ]
    )
    X = X + noise * rng.standard_normal(X.shape)
    return X, _labels([n_out, n_in])


def _make_moons(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Two interleaving half circles, as sklearn's make_moons; X (2, m), y (1, m)."""
    n_out, n_in = _class_counts(n_samples, 2)
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.concatenate([np.cos(t_out), 1 - np.cos(t_in)]),
            np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5]),
        ]
    )
    X = X + noise * rng.standard_normal(X.shape)
    return X, _labels([n_out, n_in])


def _make_xor(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Uniform points in [-1, 1]^2, label 1 where x1 * x2 > 0; jitter added after labelling."""
    X = rng.uniform(-1.0, 1.0, size=(2, n_samples))
    y = (X[0] * X[1] > 0).astype(np.int64)[np.newaxis, :]
    # Always drawn (even for noise 0) so the noise level never shifts the rest of the stream.
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def _make_spiral(
    rng: np.random.Generator, *, n_samples: int, n_classes: int, noise: float
):
    """cs231n's K-armed spiral, n_samples in total; X (2, m), y (1, m) codes 0..K-1."""
    counts = _class_counts(n_samples, n_classes)
    parts = []
    for j, N in enumerate(counts):
        r = np.linspace(0.0, 1.0, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def _make_blobs(
    rng: np.random.Generator,
    *,
    n_samples: int,
    n_classes: int,
    n_features: int,
    noise: float,
):
    """K isotropic gaussian clusters (std `noise`), centres uniform in [-5, 5]^n_features.

    X (n_features, m), y (1, m) codes 0..K-1.
    """
    centres = rng.uniform(-5.0, 5.0, size=(n_features, n_classes))
    y = _labels(_class_counts(n_samples, n_classes))
    X = centres[:, y[0]] + noise * rng.standard_normal((n_features, n_samples))
    return X, y


def _make_sine(rng: np.random.Generator, *, n_samples: int, noise: float):
    """Regression: x uniform in [-pi, pi], y = sin(x) + noise * N(0, 1); X (1, m), y (1, m)."""
    X = rng.uniform(-np.pi, np.pi, size=(1, n_samples))
    y = np.sin(X) + noise * rng.standard_normal((1, n_samples))
    return X, y


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            name="flower",
            task="classification",
            description="the course's planar petals: 2 classes in 2-D, not linearly separable",
            defaults={"n_samples": 400, "noise": 0.2},
            make=_make_flower,
        ),
        DatasetSpec(
            name="circles",
            task="classification",
            description="two concentric circles (outer 0, inner 1), 2-D",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_circles,
        ),
        DatasetSpec(
            name="moons",
            task="classification",
            description="two interleaving half moons, 2-D",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_moons,
        ),
        DatasetSpec(
            name="xor",
            task="classification",
            description="uniform points in [-1, 1]^2, label 1 where x1*x2 > 0",
            defaults={"n_samples": 300, "noise": 0.0},
            make=_make_xor,
        ),
        DatasetSpec(
            name="spiral",
            task="classification",
            description="cs231n's spiral: n_classes interleaved arms, 2-D",
            defaults={"n_samples": 300, "n_classes": 3, "noise": 0.2},
            make=_make_spiral,
        ),
        DatasetSpec(
            name="blobs",
            task="classification",
            description="n_classes gaussian clusters (std = noise) in n_features dimensions",
            defaults={"n_samples": 300, "n_classes": 2, "n_features": 2, "noise": 1.0},
            make=_make_blobs,
        ),
        DatasetSpec(
            name="sine",
            task="regression",
            description="regression: y = sin(x) + noise, x uniform in [-pi, pi]",
            defaults={"n_samples": 300, "noise": 0.1},
            make=_make_sine,
        ),
    ]
}


def get_dataset_spec(name: str) -> DatasetSpec:
    """The registered built-in dataset called `name`, or a DataError listing the choices."""
    spec = DATASETS.get(name)
    if spec is None:
        raise DataError(
            f"unknown dataset '{name}': expected one of {', '.join(sorted(DATASETS))}"
            + suggest(name, DATASETS)
        )
    return spec


def _check_params(name: str, params: dict) -> None:
    """Raise one DataError listing every out-of-range parameter of a built-in dataset."""
    problems = []
    for key in ("n_samples", "n_classes", "n_features"):
        if key in params and not is_int(params[key]):
            problems.append(f"expected an integer {key}, got {params[key]!r}")
    if "noise" in params:
        noise = params["noise"]
        if not is_real(noise) or not math.isfinite(noise) or noise < 0:
            problems.append(f"expected a finite number noise >= 0, got {noise!r}")
    ints = {
        k: params[k] for k in ("n_samples", "n_classes", "n_features") if k in params
    }
    if all(is_int(v) for v in ints.values()):
        K = ints.get("n_classes", 2)
        if "n_classes" in ints and K < 2:
            problems.append(f"expected n_classes >= 2, got {K}")
        if ints.get("n_features", 1) < 1:
            problems.append(f"expected n_features >= 1, got {ints['n_features']}")
        min_m = max(2, K)
        if ints["n_samples"] < min_m:
            why = " (at least one per class)" if min_m > 2 else ""
            problems.append(
                f"expected n_samples >= {min_m}{why}, got {ints['n_samples']}"
            )
    if problems:
        raise DataError(f"dataset '{name}': " + "; ".join(problems))


def make_dataset(
    name: str,
    rng: np.random.Generator,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    n_classes: int | None = None,
    n_features: int | None = None,
) -> Dataset:
    """Generate built-in dataset `name` from `rng`; None means the dataset's default.

    Returns X (n_x, m) float64 and y (1, m): int64 codes (classification) or float64 (regression).
    """
    spec = get_dataset_spec(name)
    given = {
        "n_samples": n_samples,
        "noise": noise,
        "n_classes": n_classes,
        "n_features": n_features,
    }
    params = dict(spec.defaults)
    for key, value in given.items():
        if value is None:
            continue
        if key not in spec.defaults:
            raise DataError(
                f"dataset '{name}' does not take {key} (it takes {', '.join(spec.defaults)})"
            )
        params[key] = value
    _check_params(name, params)
    # Plain Python numbers, so numpy scalars from a config behave the same as ints and floats.
    params = {k: (float(v) if k == "noise" else int(v)) for k, v in params.items()}
    X, y = spec.make(rng, **params)
    if spec.task == "classification":
        y = np.asarray(y, dtype=np.int64)
        classes = tuple(range(params.get("n_classes", 2)))
    else:
        y = np.asarray(y, dtype=np.float64)
        classes = None
    X = np.asfortranarray(X, dtype=np.float64)
    assert X.shape[1] == y.shape[1] == params["n_samples"]
    return Dataset(X, y, spec.task, classes, feature_names(X.shape[0]), name)
