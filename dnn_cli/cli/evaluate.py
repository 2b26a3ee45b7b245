"""`dnn evaluate MODEL DATA`: cost and scores of a saved model on labelled data."""

from pathlib import Path
from typing import Annotated

import typer

from ._common import ByPosition, ModelFile, boundary, out

NAME = "evaluate"


@boundary
def command(
    model: ModelFile,
    data: Annotated[Path, typer.Argument(metavar="DATA", help="A labelled .csv (header row) or .npz (X and y).")],
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    by_position: ByPosition = False,
) -> None:
    """Cost and accuracy, per-class precision/recall/F1 and the confusion matrix (or RMSE, MAE, R^2)."""
    import json
    import math

    from .. import render
    from ..errors import DataError
    from ..predictor import evaluation
    from ._inputs import model_and_inputs

    loaded, inputs, AL = model_and_inputs(model, data, by_position=by_position, labels=True)
    document = evaluation(loaded, inputs, AL)
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
