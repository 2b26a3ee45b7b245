"""Preparing a dataset for training: the dev split and per-feature standardisation.

X is (n_x, m), one sample per column; a split takes whole columns, the scaling works per row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .datasets import Dataset
from .errors import DataError, is_real


def _take(dataset: Dataset, columns: np.ndarray) -> Dataset:
    raw = dataset.raw.take(columns) if dataset.raw is not None else None
    return replace(dataset, X=dataset.X[:, columns], y=dataset.y[:, columns], raw=raw)


def split(
    dataset: Dataset, dev_fraction: float, rng: np.random.Generator
) -> tuple[Dataset, Dataset | None]:
    """Shuffle the m columns with rng and hold out round(dev_fraction * m) of them as dev.

    Returns (train, dev): X (n_x, m_train) and (n_x, m_dev); dev is None when dev_fraction is 0.
    """
    if not is_real(dev_fraction) or not 0 <= dev_fraction < 1:
        raise DataError(f"expected dev_fraction in [0, 1), got {dev_fraction!r}")
    if dev_fraction == 0:
        return dataset, None
    m = dataset.m
    perm = rng.permutation(m)
    n_dev = round(float(dev_fraction) * m)
    if n_dev < 1 or n_dev >= m:
        raise DataError(
            f"{dataset.source}: dev_fraction {dev_fraction} of m={m} samples gives {n_dev} dev and "
            f"{m - n_dev} train samples; expected at least 1 of each"
        )
    return _take(dataset, perm[n_dev:]), _take(dataset, perm[:n_dev])


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature scaling to zero mean and unit variance, fitted on the training X.

    mean, std: (n_x, 1), broadcast over the m columns of X (n_x, m).
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        """Mean and population std of each row of X (n_x, m)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < 1:
            raise DataError(
                f"expected X of shape (n_x, m) with m >= 1, got shape {X.shape}"
            )
        mean = X.mean(axis=1, keepdims=True)
        std = X.std(axis=1, keepdims=True)
        # A constant row's computed mean can be off by an ulp, leaving std ~1e-17 instead of 0 and
        # blowing rounding noise up to O(1); detect constancy exactly and map it to 0.
        constant = (X.max(axis=1) == X.min(axis=1))[:, np.newaxis]
        mean = np.where(constant, X[:, :1], mean)
        std = np.where(constant, 1.0, std)
        return cls(mean, std)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / std as a new (n_x, m) array."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] != self.mean.shape[0]:
            raise DataError(
                f"expected X of shape ({self.mean.shape[0]}, m) to standardize, got shape {X.shape}"
            )
        return (X - self.mean) / self.std

    def __repr__(self) -> str:
        return f"Standardizer(n_x={self.mean.shape[0]})"
