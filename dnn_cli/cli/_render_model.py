"""Rich renderables for `dnn show`: a model file's summary (`model_summary`) as tables, in course notation."""

from rich.markup import escape
from rich.table import Table

from ..render import _num, _pct, _shape, _table

_LIMIT = 12  # features, classes and standardisation rows shown before "... and N more" (--json has them all)


def _listed(values) -> str:
    shown = ", ".join(str(v) for v in values[:_LIMIT])
    return shown + (f", ... ({len(values):,} in all)" if len(values) > _LIMIT else "")


def _metric(key: str, value) -> str:
    if value is None:
        return ""
    if key.endswith("accuracy"):
        return _pct(value)
    if key == "learning_rate":
        return f"{value:g}"
    return _num(value) if isinstance(value, float) else str(value)


def model_tables(summary: dict) -> list:
    """The layers table (Keras' model.summary(), in course notation), then what the file holds besides."""
    layers = summary["layers"]
    layer_table = _table(f"Network: L = {summary['L']}, n^[0] = n_x = {layers[0]}, layers {layers}",
                         [("l", "right"), ("n^[l]", "right"), ("g^[l]", "left"), ("W^[l]", "right"),
                          ("b^[l]", "right"), ("params", "right")],
                         caption=f"loss {summary['loss']}, {summary['dtype']}")
    for r in summary["per_layer"]:
        layer_table.add_row(str(r["l"]), str(r["n"]), r["g"], _shape(r["W"]), _shape(r["b"]), f"{r['parameters']:,}")
    layer_table.add_section()
    layer_table.add_row("", "", "", "", "total", f"{summary['parameters']:,}")

    training = summary["training"]
    facts = Table(title="Model file", show_header=False)
    facts.add_column("what")
    facts.add_column("value", overflow="fold")
    rows = [("file", summary["model"]), ("format version", str(summary["format_version"])),
            ("task", summary["task"])]
    if summary["classes"] is not None:
        rows.append(("classes (output codes 0..K-1)", _listed(summary["classes"])))
    rows.append(("features", _listed(summary["features"]) if summary["features"] is not None else "not named"))
    standardization = summary["standardization"]
    if standardization is None:
        rows.append(("standardisation", "none"))
    else:
        pairs = [f"{m:.4g} ± {s:.4g}" for m, s in zip(standardization["mean"], standardization["std"])]
        rows.append(("standardisation (mean ± std)", _listed(pairs)))
    rows += [("data", str(training["data"])), ("optimizer", training["optimizer"]),
             ("learning rate", f"{training['learning_rate']:g}"), ("batch size", str(training["batch_size"])),
             ("init", training["init"]), ("seed", str(training["seed"]))]
    if training["l2"]:
        rows.append(("L2 lambda", f"{training['l2']:g}"))
    if training["keep_prob"] != 1.0:
        rows.append(("keep_prob", str(training["keep_prob"])))
    run = training["epochs_run"]
    rows.append(("epochs run", f"{run:,} of {training['epochs']:,}" if run is not None else
                 f"unknown (configured: {training['epochs']:,})"))
    early = training["early_stopping"]
    if early is not None:
        text = f"patience {early['patience']}, min_delta {early['min_delta']:g}"
        if early.get("best_epoch") is not None:
            text += f"; best epoch {early['best_epoch']} (its parameters are the ones saved)"
        if early.get("stopped_early"):
            text += "; stopped early"
        rows.append(("early stopping", text))
    rows.append(("resumable (dnn train --resume)", "yes: holds the training state" if summary["resumable"]
                 else "no: parameters only"))
    for what, value in rows:
        facts.add_row(escape(what), escape(value))

    tables = [layer_table, facts]
    metrics = summary["metrics_at_save"]
    if metrics:
        table = Table(title="Metrics at save time")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in metrics.items():
            table.add_row(key.replace("_", " "), _metric(key, value))
        tables.append(table)
    return tables
