"""Rich renderables for the command line: tables built from the core's plain data, no I/O."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

SPARK = "▁▂▃▄▅▆▇█"
MATRIX_MAX_CLASSES = 30  # above this, a K x K confusion matrix is summarised (--json keeps it whole)
TOP_PAIRS = 10
RECALL_EXTREMES = 5


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
    "cost": "train cost (final model)", "train_accuracy": "train accuracy", "train_rmse": "train RMSE",
    "train_m": "train samples",
    "dev_cost": "dev cost", "dev_accuracy": "dev accuracy", "dev_rmse": "dev RMSE", "dev_m": "dev samples",
    "test_cost": "test cost", "test_accuracy": "test accuracy", "test_rmse": "test RMSE", "test_m": "test samples",
    "best_epoch": "best epoch (restored)", "cost_with_l2": "train cost + L2 term (final model)",
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


def shapes_table(rows, *, layers, m: int, inputs: str | None = None) -> Table:
    """l, n^[l], g^[l], the shapes of W^[l] (= dW^[l]), b^[l] (= db^[l]), Z^[l] and A^[l], and parameter counts;
    inputs: where the n^[0] features come from (encoded text columns), for the caption."""
    L = len(layers) - 1
    total = sum(r["parameters"] for r in rows)
    table = _table(f"Dimensions: L = {L}, n^[0] = n_x = {layers[0]}, m = {m}",
                   [("l", "right"), ("n^[l]", "right"), ("g^[l]", "left"), ("W^[l], dW^[l]", "right"),
                    ("b^[l], db^[l]", "right"), ("Z^[l], A^[l]", "right"), ("params", "right")],
                   caption=f"layers n^[0..L] = {list(layers)}; A^[0] = X is {_shape((layers[0], m))}"
                   + (f"\n{inputs}" if inputs else ""))
    for r in rows:
        table.add_row(str(r["l"]), str(r["W"][0]), r["g"], _shape(r["W"]), _shape(r["b"]), _shape(r["Z"]),
                      f"{r['parameters']:,}")
    table.add_section()
    table.add_row("", "", "", "", "", "total", f"{total:,}")
    return table


def parameters_table(network, inputs: str | None = None) -> Table:
    """The trained parameters: W^[l] and b^[l] shapes per layer with g^[l]; inputs: where n^[0] comes from."""
    table = _table(f"Parameters: L = {network.L}, layers {network.layers}",
                   [("l", "right"), ("g^[l]", "left"), ("W^[l]", "right"), ("b^[l]", "right"),
                    ("parameters", "right")], caption=inputs)
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


def cost_line(costs) -> str:
    """The cost of every epoch as a sparkline with its first and last value, and a line saying what they are.

    Epoch e's cost is measured on its forward pass, before its update, so the last value is not the
    final model's cost (the final table's "train cost (final model)" is measured after the last update).
    """
    return (f"cost  {sparkline(costs)}  {costs[0]:.6f} -> {costs[-1]:.6f}\n"
            f"      epochs 0 -> {len(costs) - 1}, each cost measured before the epoch's update")


def evaluation_tables(doc: dict) -> list:
    """`dnn evaluate`: the scores, and for a classifier the per-class scores and the confusion matrix."""
    summary = _table("Evaluation", [("metric", "left"), ("value", "right")])
    names = {"cost": "cost J", "accuracy": "accuracy", "macro_f1": "macro F1", "rmse": "RMSE", "mae": "MAE",
             "r2": "R^2", "m": "samples m"}
    for key, title in names.items():
        if key in doc:
            value = doc[key]
            text = _pct(value) if key == "accuracy" else str(value) if key == "m" else _num(value)
            summary.add_row(escape(title), text)
    if doc["task"] != "classification":
        return [summary]
    labels = [escape(str(c)) for c in doc["classes"]]
    scores = _table("Per class", [("class", "left"), ("precision", "right"), ("recall", "right"), ("F1", "right"),
                                  ("support", "right")])
    for row, label in zip(doc["per_class"], labels):
        scores.add_row(label, _num(row["precision"]), _num(row["recall"]), _num(row["f1"]), str(row["support"]))
    if len(labels) > MATRIX_MAX_CLASSES:
        return [summary, scores, *_confusion_summary(doc, labels)]
    confusion = _table("Confusion matrix (rows: true class, columns: predicted)",
                       [("true \\ predicted", "left")] + [(str(c), "right") for c in doc["classes"]])
    for label, counts in zip(labels, doc["confusion_matrix"]):
        confusion.add_row(label, *(str(n) for n in counts))
    return [summary, scores, confusion]


def _confusion_summary(doc: dict, labels: list[str]) -> list:
    """Many classes: the most confused (true, predicted) pairs and the lowest and highest recalls."""
    K = len(labels)
    C = np.asarray(doc["confusion_matrix"], dtype=np.int64)
    errors = C.copy()
    np.fill_diagonal(errors, 0)
    flat = errors.ravel()
    n = min(TOP_PAIRS, int(np.count_nonzero(flat)))
    top = np.argpartition(-flat, n - 1)[:n] if n else np.zeros(0, dtype=np.intp)
    top = top[np.lexsort((top, -flat[top]))]  # most errors first, ties in class order
    support = C.sum(axis=1)
    pairs = _table(f"Most confused pairs (of {int(flat.sum())} errors)",
                   [("true class", "left"), ("predicted as", "left"), ("count", "right"),
                    ("share of true class", "right")])
    for i, j in zip(*np.unravel_index(top, C.shape)):
        pairs.add_row(labels[i], labels[j], str(C[i, j]), _pct(C[i, j] / support[i]))
    present = [k for k in range(K) if support[k] > 0]
    ranked = sorted(present, key=lambda k: (doc["per_class"][k]["recall"], k))
    extremes = _table("Lowest and highest recall",
                      [("", "left"), ("class", "left"), ("recall", "right"), ("support", "right")])
    lowest = ranked[:RECALL_EXTREMES]
    highest = [k for k in sorted(present, key=lambda k: (-doc["per_class"][k]["recall"], k))[:RECALL_EXTREMES]
               if k not in lowest]
    for which, ks in (("lowest", lowest), ("highest", highest)):
        for k in ks:
            extremes.add_row(which, labels[k], _num(doc["per_class"][k]["recall"]), str(int(support[k])))
    note = Text(f"{K} classes: the {K} x {K} confusion matrix is summarised above; "
                "`dnn evaluate MODEL DATA --json` gives it whole (confusion_matrix).")
    return [pairs, extremes, note]


# ---------------------------------------------------------------------------------------------
# compare-init, compare-activations, gradcheck (from dnn_cli.init_comparison, activation_comparison, gradcheck)


def _mean_sd(values, fmt) -> str:
    """'0.693' for one value, '0.693 ± 0.004' (mean ± standard deviation) for repeats."""
    values = [v for v in values if v is not None]
    if not values:
        return ""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return fmt(mean)
    sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return f"{fmt(mean)} ± {fmt(sd).replace(' %', '')}" + (" %" if fmt(mean).endswith("%") else "")


def _cost(value) -> str:
    return "" if value is None else f"{value:.4f}"


def _score_columns(runs) -> list:
    """(final key, column title, formatter) for the scores the runs have: accuracy or RMSE, train and dev."""
    present = {key for run in runs for key in run.final}
    columns = []
    for key, title, fmt in (("train_accuracy", "train acc", _pct), ("train_rmse", "train RMSE", _cost),
                            ("dev_accuracy", "dev acc", _pct), ("dev_rmse", "dev RMSE", _cost)):
        if key in present:
            columns.append((key, title, fmt))
    return columns


def compare_init_table(comparison) -> Group:
    """One row per init scheme (costs, scores, distinct units per hidden layer out of n^[l]), then the verdicts."""
    runs = [r for s in comparison.schemes for r in s.runs]
    scores = _score_columns(runs)
    sizes = comparison.hidden_sizes
    columns = [("scheme", "left"), ("cost epoch 0", "right"), ("cost end", "right")]
    columns += [(title, "right") for _, title, _ in scores]
    columns += [(f"units l={l}", "right") for l in range(1, len(sizes) + 1)]
    repeats = f", mean ± sd over {comparison.repeats} seeds" if comparison.repeats > 1 else ""
    caption = ("units l=k: distinct hidden units of layer k out of n^[k] at the end (rows of [W^[k] | b^[k]] "
               f"equal within 1e-12 count as one){repeats}")
    table = _table(f"compare-init: {comparison.title}", columns, caption=caption)
    # The verdicts are sentences: a table of their own lets them use the full width.
    verdicts = _table("verdicts", [("scheme", "left"), ("verdict", "left")],
                      caption=comparison.note or None)
    for result in comparison.schemes:
        cells = [result.scheme.label,
                 _mean_sd([r.cost_start for r in result.runs], _cost),
                 _mean_sd([r.cost_end for r in result.runs], _cost)]
        cells += [_mean_sd([r.final.get(key) for r in result.runs], fmt) for key, _, fmt in scores]
        for (low, high), n in zip(result.distinct_range, sizes):
            cells.append(f"{low}/{n}" if low == high else f"{low}-{high}/{n}")
        table.add_row(*(escape(c) for c in cells))
        verdicts.add_row(escape(result.scheme.label), escape(result.verdict))
    return Group(table, verdicts)


def compare_activations_table(comparison) -> Table:
    """One row per hidden activation, then the network without a hidden layer: costs and scores."""
    runs = comparison.runs + ([comparison.baseline] if comparison.baseline else [])
    scores = _score_columns(runs)
    columns = [("hidden g^[l]", "left"), ("cost epoch 0", "right"), ("cost end", "right")]
    columns += [(title, "right") for _, title, _ in scores]
    table = _table(f"compare-activations: {comparison.title}", columns,
                   caption="the same data, init and seed in every row; only g^[1..L-1] changes")

    def row(run):
        cells = [run.label, _cost(run.cost_start), _cost(run.cost_end) if not run.diverged else "diverged"]
        cells += [fmt(run.final.get(key)) for key, _, fmt in scores]
        table.add_row(*(escape(c) for c in cells))

    for run in comparison.runs:
        row(run)
    if comparison.baseline is not None:
        table.add_section()
        row(comparison.baseline)
    return table


def _matrix(M, limit: int = 12) -> str:
    """A small matrix as '[[0.12, -0.3]]', or its shape alone when it has more than `limit` entries."""
    if M.size > limit:
        return f"{M.shape[0]} x {M.shape[1]} values"
    return "[" + ", ".join("[" + ", ".join(f"{v:.4g}" for v in row) + "]" for row in M) + "]"


def collapse_table(comparison) -> Table:
    """The all-linear network as one layer: W_eff, b_eff, and max |Z^[L] - (W_eff X + b_eff)|."""
    c = comparison.collapse
    product = " ".join(f"W^[{l}]" for l in range(c.L, 0, -1))
    table = _table("linear hidden layers collapse into one layer: Z^[L] = W_eff X + b_eff",
                   [("quantity", "left"), ("shape", "right"), ("value", "left")],
                   caption="the output activation g^[L] is applied to Z^[L] as before")
    table.add_row(escape(f"W_eff = {product}"), _shape(c.W_eff.shape), escape(_matrix(c.W_eff)))
    table.add_row("b_eff", _shape(c.b_eff.shape), escape(_matrix(c.b_eff)))
    table.add_row(escape("max |Z^[L] - (W_eff X + b_eff)|"), "",
                  f"{c.max_difference:.2e} (rounding level; max |Z^[L]| = {c.max_abs_Z:.3g})")
    key = next((k for k in ("train_accuracy", "train_rmse") if k in comparison.runs[0].final), None)
    linear = next((r for r in comparison.runs if r.label == "linear"), None)
    if key and linear is not None and comparison.baseline is not None:
        fmt = _pct if key == "train_accuracy" else _cost
        what = "train accuracy" if key == "train_accuracy" else "train RMSE"
        table.add_row(escape(f"{what}: linear hidden layers vs no hidden layer"), "",
                      f"{fmt(linear.final.get(key))} vs {fmt(comparison.baseline.final.get(key))}")
    return table


def gradcheck_table(result) -> Table:
    """Per tensor W^[l], b^[l]: shape, ||analytic||, each path's relative difference, status, kinks near Z^[l]."""
    kinks = {k.l: k for k in result.kinks}
    columns = [("tensor", "left"), ("shape", "right"), ("||analytic||", "right"),
               ("training step", "right"), ("Network.backward", "right"), ("status", "left")]
    sampled = any(t.sampled for t in result.tensors)
    if sampled:
        columns.insert(2, ("entries checked", "right"))
    if kinks:
        columns.append(("Z^[l] within epsilon of a kink", "right"))
    table = _table(f"gradcheck: float64 backprop vs centred differences, epsilon = {result.epsilon:g}, "
                   f"m = {result.m}, J = {result.cost:.6f}", columns,
                   caption="||a - n|| / (||a|| + ||n||) per path: pass below 1e-7, warn below 1e-5, "
                           "fail otherwise")
    for t in result.tensors:
        cells = [t.name, _shape(t.shape), f"{t.analytic_norm:.3e}", *(f"{d:.2e}" for d in t.differences),
                 t.status.upper() if t.status == "fail" else t.status]
        if sampled:
            cells.insert(2, f"{t.checked:,} of {t.size:,}" if t.sampled else f"all {t.size:,}")
        if kinks:
            k = kinks.get(t.l)
            cells.append(f"{k.near} of {k.total} ({k.activation})" if k and t.kind == "W" else "")
        table.add_row(*(escape(c) for c in cells))
    return table
