"""Rich renderables for the command line: tables built from the core's plain data, no I/O."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

SPARK = "▁▂▃▄▅▆▇█"


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.2f} %"


def _num(value) -> str:
    return "" if value is None else f"{value:.6f}"


def history_table(history, *, show_lr: bool = False) -> Table:
    """Cost (and metrics) every log_every epochs."""
    rows = [h.to_dict() for h in history]
    table = Table(title="Training history")
    columns = [("epoch", "epoch", str), ("cost", "cost", _num)]
    present = {key for row in rows for key in row}
    for key, title, fmt in (("train_accuracy", "train acc", _pct), ("train_rmse", "train RMSE", _num),
                            ("dev_cost", "dev cost", _num), ("dev_accuracy", "dev acc", _pct),
                            ("dev_rmse", "dev RMSE", _num)):
        if key in present:
            columns.append((key, title, fmt))
    if show_lr:
        columns.append(("learning_rate", "learning rate", lambda v: f"{v:.6g}"))
    for _, title, _ in columns:
        table.add_column(title, justify="right")
    for row in rows:
        table.add_row(*(fmt(row[key]) if key in row else "" for key, _, fmt in columns))
    return table


_FINAL_NAMES = {
    "cost": "train cost", "train_accuracy": "train accuracy", "train_rmse": "train RMSE", "train_m": "train samples",
    "dev_cost": "dev cost", "dev_accuracy": "dev accuracy", "dev_rmse": "dev RMSE", "dev_m": "dev samples",
    "best_epoch": "best epoch (restored)",
}


def final_table(final: dict, seconds: float | None = None, epochs: int | None = None) -> Table:
    """The final metrics of a run, one row each."""
    table = Table(title="Final metrics")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in final.items():
        if key.endswith("accuracy"):
            text = _pct(value)
        elif isinstance(value, float):
            text = _num(value)
        else:
            text = str(value)
        table.add_row(_FINAL_NAMES.get(key, key), text)
    if epochs is not None:
        table.add_row("epochs run", str(epochs))
    if seconds is not None:
        table.add_row("time", f"{seconds:.2f} s")
    return table


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _table(title: str, columns, caption: str | None = None) -> Table:
    # Course notation such as g^[l] would otherwise be read as rich markup and vanish.
    table = Table(title=escape(title), caption=escape(caption) if caption else None)
    for name, justify in columns:
        table.add_column(escape(name), justify=justify)
    return table


def shapes_table(rows, *, layers, m: int) -> Table:
    """l, n^[l], g^[l], the shapes of W^[l] (= dW^[l]), b^[l] (= db^[l]), Z^[l] and A^[l], and parameter counts."""
    L = len(layers) - 1
    total = sum(r["parameters"] for r in rows)
    table = _table(f"Dimensions: L = {L}, n^[0] = n_x = {layers[0]}, m = {m}",
                   [("l", "right"), ("n^[l]", "right"), ("g^[l]", "left"), ("W^[l], dW^[l]", "right"),
                    ("b^[l], db^[l]", "right"), ("Z^[l], A^[l]", "right"), ("params", "right")],
                   caption=f"layers n^[0..L] = {list(layers)}; A^[0] = X is {_shape((layers[0], m))}")
    for r in rows:
        table.add_row(str(r["l"]), str(r["W"][0]), r["g"], _shape(r["W"]), _shape(r["b"]), _shape(r["Z"]),
                      f"{r['parameters']:,}")
    table.add_section()
    table.add_row("", "", "", "", "", "total", f"{total:,}")
    return table


def parameters_table(network) -> Table:
    """The trained parameters: W^[l] and b^[l] shapes per layer with g^[l]."""
    table = _table(f"Parameters: L = {network.L}, layers {network.layers}",
                   [("l", "right"), ("g^[l]", "left"), ("W^[l]", "right"), ("b^[l]", "right"),
                    ("parameters", "right")])
    for l, (W, b, g) in enumerate(zip(network.W, network.b, network.activations), start=1):
        table.add_row(str(l), g, _shape(W.shape), _shape(b.shape), f"{W.size + b.size:,}")
    table.add_section()
    table.add_row("", "", "", "total", f"{network.n_parameters:,}")
    return table


def datasets_table(specs) -> Table:
    """The built-in datasets: name, task, parameters with defaults, description."""
    table = Table(title="Built-in datasets (data.source)")
    for name in ("name", "task", "parameters (defaults)", "description"):
        table.add_column(name)
    for spec in specs.values():
        params = ", ".join(f"{k}={v}" for k, v in spec.defaults.items())
        table.add_row(spec.name, spec.task, params, spec.description)
    return table


def sparkline(values, width: int = 40) -> str:
    """The values as one line of block characters, resampled to at most `width` points."""
    values = list(values)
    if not values:
        return ""
    if len(values) > width:
        step = (len(values) - 1) / (width - 1)
        values = [values[round(i * step)] for i in range(width)]
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - lo) / span * len(SPARK)))] for v in values)
