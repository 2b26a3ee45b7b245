"""`dnn evaluate MODEL DATA`: cost and scores of a saved model on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import ByPosition, ModelFile, boundary, out

NAME = "evaluate"


@boundary
def command(
    model: ModelFile,
    data: Annotated[Path, typer.Argument(help="A labelled .csv (header row) or .npz (X and y).")],
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    by_position: ByPosition = False,
) -> None:
    """Cost and accuracy, per-class precision/recall/F1 and the confusion matrix (or RMSE, MAE, R^2)."""
    import json
    import math

    from .. import render
    from ..errors import DataError
    from ._inputs import model_and_inputs

    loaded, inputs = model_and_inputs(model, data, by_position=by_position)
    document = evaluation(loaded, inputs)
    if not math.isfinite(document["cost"]):
        raise DataError(f"{inputs.source}: the cost on this data is {document['cost']}: its values are too large "
                        "for float64 arithmetic (|y - prediction| above about 1e154)")
    if json_:
        typer.echo(json.dumps(document, indent=2))
        return
    console = out()
    console.print(f"{document['model']} on {document['data']}", markup=False)
    for table in render.evaluation_tables(document):
        console.print(table)


def evaluation(model, inputs) -> dict:
    """The JSON-ready evaluation: model, data, task, m, cost and the task's scores."""
    from ..data import encode_with_classes, targets_of
    from ..metrics import classification_report, regression_report

    X = model.scale(inputs.X)
    head = {"model": str(model.path), "data": inputs.source, "task": model.task}
    if not model.network.is_classifier:
        Y = targets_of(inputs, model.network.layers[-1])
        return {**head, **regression_report(model.network, X, Y)}
    labels = model.labels
    codes = encode_with_classes(inputs, model.classes)
    report = classification_report(model.network, X, codes, len(labels))
    per_class = [{"class": label, "precision": float(report["precision"][k]), "recall": float(report["recall"][k]),
                  "f1": float(report["f1"][k]), "support": int(report["support"][k])}
                 for k, label in enumerate(labels)]
    return {**head, "m": report["m"], "cost": report["cost"], "accuracy": report["accuracy"],
            "macro_f1": float(report["f1"].mean()), "classes": list(labels), "per_class": per_class,
            "confusion_matrix": report["confusion_matrix"].tolist()}
