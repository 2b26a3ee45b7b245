"""What a model file holds, as plain JSON-ready data (`dnn show`): the network in course notation, what
prediction applies around it, how it was trained and what it measured when it was saved.
"""

from __future__ import annotations


def layer_rows(network) -> list[dict]:
    """l, n^[l], g^[l], the shapes of W^[l] (n^[l], n^[l-1]) and b^[l] (n^[l], 1), and their parameter count."""
    rows = []
    for l, (W, b, g) in enumerate(zip(network.W, network.b, network.activations), start=1):
        rows.append({"l": l, "n": int(W.shape[0]), "g": g, "W": list(W.shape), "b": list(b.shape),
                     "parameters": int(W.size + b.size)})
    return rows


def _saved_metrics(state) -> dict | None:
    """The logged metrics of the parameters the file holds: the best epoch's when early stopping restored
    it, else the last logged epoch's (None when the file has no training history)."""
    if state is None or not state["history"]:
        return None
    history = state["history"]
    chosen = history[-1]
    if state.get("best_epoch") is not None:
        chosen = next((h for h in history if h.epoch == state["best_epoch"]), chosen)
    return chosen.to_dict()


def model_summary(model) -> dict:
    """A loaded model (`io.modelfile.Model`) described: JSON-ready, keys stable for scripts."""
    network, config, state = model.network, model.config, model.state
    train = config.train
    early = None
    if train.early_stopping is not None:
        early = {"patience": train.early_stopping.patience, "min_delta": train.early_stopping.min_delta}
        if state is not None:
            early.update(best_epoch=state["best_epoch"], stopped_early=state["stopped_early"])
    standardization = None
    if model.standardizer is not None:
        standardization = {"mean": model.standardizer.mean[:, 0].tolist(), "std": model.standardizer.std[:, 0].tolist()}
    return {
        "model": model.path,
        "format_version": model.format_version,
        "task": model.task,
        "L": network.L,
        "layers": list(network.layers),
        "activations": list(network.activations),
        "loss": network.loss.name,
        "dtype": str(network.dtype),
        "parameters": int(network.n_parameters),
        "per_layer": layer_rows(network),
        "features": None if model.features is None else list(model.features),
        "classes": None if model.classes is None else list(model.labels),
        "standardization": standardization,
        "training": {"optimizer": train.optimizer, "learning_rate": train.learning_rate, "epochs": train.epochs,
                     "epochs_run": model.epoch, "batch_size": train.batch_size, "l2": train.l2,
                     "keep_prob": config.model.keep_prob, "init": config.model.init, "seed": config.seed,
                     "data": config.data.source, "early_stopping": early},
        "metrics_at_save": _saved_metrics(state),
        "resumable": state is not None,
        "config": config.to_dict(),
    }
