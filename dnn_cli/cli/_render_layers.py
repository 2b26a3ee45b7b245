"""Rich renderables for the per-layer signals: `dnn train --trace` and `dnn compare-init --depth`."""

import math

from rich.console import Group
from rich.markup import escape
from rich.table import Table


def _g(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _get(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def _table(title: str, columns, caption: str | None = None) -> Table:
    # Course notation such as g^[l] would otherwise be read as rich markup and vanish.
    table = Table(title=escape(title), caption=escape(caption) if caption else None)
    for name, justify in columns:
        table.add_column(escape(name), justify=justify)
    return table


def _dead_or_saturated(row) -> str:
    dead, saturated = _get(row, "dead"), _get(row, "saturated")
    if dead is not None:
        return f"{_pct(dead)} dead"
    if saturated is not None:
        return f"{_pct(saturated)} sat."
    return "-"


def trace_table(epoch: int, rows) -> Table:
    """One logged epoch of a traced run: per layer l, g^[l], std A^[l], dead / saturated %, ||dW^[l]||, update ratio."""
    table = _table(f"Layers at epoch {epoch}", [("l", "right"), ("g^[l]", "left"), ("std Z^[l]", "right"),
                                                ("std A^[l]", "right"), ("dead/sat.", "right"),
                                                ("||dW^[l]||", "right"), ("update ratio", "right")])
    for row in rows:
        table.add_row(str(_get(row, "l")), escape(_get(row, "g")), _g(_get(row, "std_Z")), _g(_get(row, "std_A")),
                      _dead_or_saturated(row), _g(_get(row, "dW_norm")), _g(_get(row, "update_ratio")))
    return table


def trace_tables(history) -> list:
    """A trace_table per logged epoch that carries layers."""
    return [trace_table(h.epoch, h.layers) for h in history if h.layers]


def verdict_lines(verdicts) -> Group:
    """The verdicts of a traced run, one line each."""
    table = _table("Verdicts (per-layer signals)", [("verdict", "left")])
    for text in verdicts:
        table.add_row(escape(text))
    return Group(table)


def _pair(measured, predicted) -> str:
    return f"{_g(measured)} / {_g(predicted)}"


def depth_tables(experiment) -> Group:
    """compare-init --depth: std of Z^[l] per layer and scheme (measured / predicted), growth, training, verdicts."""
    results = experiment.schemes
    title = (f"compare-init --depth {experiment.depth} --width {experiment.width}: {experiment.activation} hidden "
             "layers at initialisation")
    caption = ("std of Z^[l] on the training data, measured / mean-field prediction (from the measured Z^[1]); "
               "growth = (std Z^[D] / std Z^[1])^(1/(D-1))")
    signal = _table(title, [("l", "right")] + [(r.scheme.label, "right") for r in results], caption=caption)
    for k, layer in enumerate(results[0].layers):
        signal.add_row(str(layer["l"]), *(_pair(r.layers[k]["std_Z"], r.layers[k]["predicted_std_Z"])
                                          for r in results))
    signal.add_row("growth", *(_pair(r.growth["measured"], r.growth["predicted"]) for r in results))
    parts = [signal]
    gradients = _table("||dW^[l]|| at initialisation", [("l", "right")] + [(r.scheme.label, "right")
                                                                           for r in results])
    for k, layer in enumerate(results[0].layers):
        gradients.add_row(str(layer["l"]), *(_g(r.layers[k]["dW_norm"]) for r in results))
    parts.append(gradients)
    trained = [r for r in results if r.run is not None]
    if trained:
        keys = [(key, name) for key, name in (("train_accuracy", "train acc"), ("dev_accuracy", "dev acc"),
                                              ("train_rmse", "train RMSE"), ("dev_rmse", "dev RMSE"))
                if any(key in r.run.final for r in trained)]
        table = _table(f"after {experiment.config.train.epochs} epochs",
                       [("scheme", "left"), ("cost epoch 0", "right"), ("cost end", "right")]
                       + [(name, "right") for _, name in keys])
        for r in trained:
            cells = [f"{r.run.cost_start:.4f}", f"{r.run.cost_end:.4f}"]
            for key, _ in keys:
                value = r.run.final.get(key)
                cells.append("" if value is None else (f"{100 * value:.2f} %" if "accuracy" in key else f"{value:.4f}"))
            table.add_row(escape(r.scheme.label), *cells)
        parts.append(table)
    verdicts = _table("verdicts", [("scheme", "left"), ("verdict", "left")])
    for r in results:
        verdicts.add_row(escape(r.scheme.label), escape(r.verdict))
    parts.append(verdicts)
    return Group(*parts)
