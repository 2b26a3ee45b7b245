"""Scores of outputs A^[L] against targets Y, both of shape (n^[L], m)."""

from __future__ import annotations

import numpy as np


def correct(network, AL, Y) -> tuple[int, int]:
    """(right, made): the correct predictions and the predictions made, per entry for sigmoid outputs
    (n^[L] m of them), per column for softmax (m)."""
    if network.loss.name == "cross_entropy":
        right = AL.argmax(axis=0) == Y.argmax(axis=0)
    elif network.loss.name == "binary_cross_entropy":
        right = (AL > 0.5) == Y   # decide's 0/1 as bools: the same comparisons, a smaller array
    else:
        right = network.decide(AL) == Y
    return int(np.count_nonzero(right)), int(right.size)


def accuracy(network, AL, Y) -> float:
    """Fraction of correct predictions: per entry for sigmoid outputs, per column for softmax."""
    right, made = correct(network, AL, Y)
    return right / made   # np.mean of the bools' number: an exact count over an exact count, rounded once


def rmse(AL, Y, scale=None) -> float:
    """sqrt(mean((A^[L] - Y)^2)) over all entries; with scale (n^[L], 1), of the errors times scale (the
    targets' standard deviations, when the network learnt standardised targets: the RMSE in their units)."""
    D = AL - Y
    if scale is not None:
        D = D * scale
    return float(np.sqrt(np.mean(D * D)))


def scores(network, AL, Y, target_scale=None) -> dict:
    """{'accuracy': ...} for a classifier, {'rmse': ...} for a regressor; Y already as `network.targets`;
    target_scale: see `rmse`."""
    if network.is_classifier:
        return {"accuracy": accuracy(network, AL, Y)}
    return {"rmse": rmse(AL, Y, target_scale)}


class BatchScores:
    """`scores` of an epoch's outputs and targets, given a batch at a time: bit for bit `scores` of the
    batches put side by side. A classifier keeps counts; a regressor's RMSE sums its errors in one pass over
    all of them (the order of a floating-point sum matters), so it keeps the outputs and targets in two
    (n^[L], m) arrays, filled in place (without holding the batches as well)."""

    def __init__(self, network, m: int, target_scale=None):
        self.network, self.m, self.target_scale = network, m, target_scale
        self.right = self.made = self.filled = 0
        self.AL = self.Y = None

    def add(self, AL, Y) -> None:
        if self.network.is_classifier:
            right, made = correct(self.network, AL, Y)
            self.right, self.made = self.right + right, self.made + made
            return
        if Y.shape[1] == self.m:                     # the full batch: a copy of its outputs
            self.AL, self.Y, self.filled = AL.copy(), Y, self.m
            return
        if self.AL is None:
            self.AL = np.empty((AL.shape[0], self.m), dtype=AL.dtype)
            self.Y = np.empty((Y.shape[0], self.m), dtype=Y.dtype)
        columns = slice(self.filled, self.filled + AL.shape[1])
        self.AL[:, columns], self.Y[:, columns] = AL, Y
        self.filled += AL.shape[1]

    def result(self) -> dict:
        if self.network.is_classifier:
            return {"accuracy": self.right / self.made}
        return {"rmse": rmse(self.AL[:, :self.filled], self.Y[:, :self.filled], self.target_scale)}


def evaluate(network, X, Y, target_scale=None) -> dict:
    """{'cost', 'accuracy' or 'rmse', 'm'} of the network on X (n^[0], m) and Y."""
    Y = network.targets(Y)
    AL = network.predict_proba(X)
    found = scores(network, AL, Y, target_scale)
    return {"cost": network.cost_over_(AL, Y), **found, "m": int(Y.shape[1])}   # AL is overwritten


def confusion_matrix(true_codes, predicted_codes, K: int) -> np.ndarray:
    """C (K, K) int64 with C[i, j] = the number of samples of class i predicted as class j."""
    true_codes = np.asarray(true_codes).reshape(-1).astype(np.int64)
    predicted_codes = np.asarray(predicted_codes).reshape(-1).astype(np.int64)
    C = np.zeros((K, K), dtype=np.int64)
    np.add.at(C, (true_codes, predicted_codes), 1)
    return C


def per_class(C) -> dict:
    """Precision, recall, F1 and support per class from a confusion matrix C (K, K), as arrays (K,).

    precision_k = C[k, k] / sum_i C[i, k]; recall_k = C[k, k] / sum_j C[k, j]; F1 their harmonic
    mean. A ratio with a zero denominator is 0 (scikit-learn's zero_division=0).
    """
    C = np.asarray(C, dtype=np.float64)
    tp = np.diag(C)
    predicted, support = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(np.int64)}


def mae(AL, Y) -> float:
    """mean(|A^[L] - Y|) over all entries."""
    return float(np.mean(np.abs(AL - Y)))


def r2(AL, Y) -> float:
    """R^2 = 1 - SS_res / SS_tot per output row, averaged over the n^[L] rows.

    A row whose targets are constant scores 1 when predicted exactly, else 0 (as scikit-learn).
    """
    ss_res = np.sum((Y - AL) ** 2, axis=1)
    ss_tot = np.sum((Y - Y.mean(axis=1, keepdims=True)) ** 2, axis=1)
    scores = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), (ss_res == 0).astype(float))
    return float(np.mean(scores))


def classification_report(network, AL, codes, K: int) -> dict:
    """Cost, accuracy, m, the confusion matrix (K, K) and per-class scores of a classifier's outputs A^[L].

    codes: the true class codes (1, m); K: the number of classes the codes index.
    """
    Y = network.targets(codes)
    predicted = network.decide(AL)
    C = confusion_matrix(codes, predicted, K)
    return {"cost": network.cost(AL, Y), "accuracy": float(np.trace(C) / C.sum()), "m": int(C.sum()),
            "confusion_matrix": C, **per_class(C), "predicted": predicted}


def regression_report(network, AL, Y, target_scaler=None) -> dict:
    """Cost, RMSE, MAE, R^2 and m of a regressor's outputs A^[L] against Y (n^[L], m).

    target_scaler: when the network learnt standardised targets, their (mean, std); the cost is then the
    one it minimised (on standardised targets), RMSE, MAE and R^2 are in the targets' own units.
    """
    # Errors beyond ~1e154 square to inf; the caller sees a non-finite cost instead of a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        cost = network.cost(AL, Y if target_scaler is None else target_scaler.transform(Y))
        if target_scaler is not None:
            AL = AL * target_scaler.std + target_scaler.mean
        return {"cost": cost, "rmse": rmse(AL, Y), "mae": mae(AL, Y), "r2": r2(AL, Y), "m": int(Y.shape[1])}
