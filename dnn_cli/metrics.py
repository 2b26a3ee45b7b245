"""Scores of outputs A^[L] against targets Y, both of shape (n^[L], m)."""

from __future__ import annotations

import numpy as np


def accuracy(network, AL, Y) -> float:
    """Fraction of correct predictions: per entry for sigmoid outputs, per column for softmax."""
    predicted = network.decide(AL)
    if network.loss.name == "cross_entropy":
        return float(np.mean(predicted[0] == Y.argmax(axis=0)))
    return float(np.mean(predicted == Y))


def rmse(AL, Y) -> float:
    """sqrt(mean((A^[L] - Y)^2)) over all entries."""
    D = AL - Y
    return float(np.sqrt(np.mean(D * D)))


def scores(network, AL, Y) -> dict:
    """{'accuracy': ...} for a classifier, {'rmse': ...} for a regressor; Y already as `network.targets`."""
    if network.is_classifier:
        return {"accuracy": accuracy(network, AL, Y)}
    return {"rmse": rmse(AL, Y)}


def evaluate(network, X, Y) -> dict:
    """{'cost', 'accuracy' or 'rmse', 'm'} of the network on X (n^[0], m) and Y."""
    Y = network.targets(Y)
    AL = network.predict_proba(X)
    return {"cost": network.cost(AL, Y), **scores(network, AL, Y), "m": int(Y.shape[1])}
