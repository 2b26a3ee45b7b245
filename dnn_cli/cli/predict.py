"""`dnn predict MODEL DATA`: predictions of a saved model, one row per sample, as CSV."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import ByPosition, ModelFile, boundary, out

NAME = "predict"


@boundary
def command(
    model: ModelFile,
    data: Annotated[Path, typer.Argument(
        metavar="DATA", help="A .csv (header row) or .npz (X, optionally y); labels are ignored.")],
    proba: Annotated[bool, typer.Option("--proba", help="Class probabilities, one column per class.")] = False,
    out_: Annotated[Optional[Path], typer.Option("--out", help="Write the CSV to this file instead of stdout.")] = None,
    by_position: ByPosition = False,
) -> None:
    """Predict the class (original labels) or value of every sample in DATA, one CSV row each."""
    import csv
    import io

    from ..errors import UsageError
    from ..io.atomic import atomic_write, check_writable
    from ._inputs import model_and_inputs

    if out_ is not None:
        if out_.suffix.lower() != ".csv":
            raise UsageError(f"--out {out_}: expected a .csv file name")
        check_writable(out_, "predictions")
    loaded, inputs, AL = model_and_inputs(model, data, by_position=by_position, labels=False)
    header, rows = prediction_rows(loaded, AL, proba=proba)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if out_ is None:
        typer.echo(text.getvalue(), nl=False)
    else:
        atomic_write(out_, text.getvalue().encode(), "predictions")
        out().print(f"wrote {inputs.m} predictions to {out_}")


def prediction_rows(model, AL, *, proba: bool = False) -> tuple[list[str], Iterator[list[str]]]:
    """The CSV header and rows (made one at a time, as the writer takes them) from the model's outputs A^[L]:
    'prediction' (labels or values) or one probability column per class.

    Numbers are written as Python's shortest round-trip repr, so reading them back gives the same floats.
    """
    from .. import predictor

    if proba:
        P = predictor.probabilities(model, AL)
        return [str(c) for c in model.labels], ([repr(p) for p in column.tolist()] for column in P.T)
    predicted = predictor.predictions(model, AL)
    if model.network.is_classifier:
        return ["prediction"], ([str(label)] for label in predicted)
    n_y = predicted.shape[0]
    header = ["prediction"] if n_y == 1 else [f"prediction_{k}" for k in range(1, n_y + 1)]
    return header, ([repr(v) for v in column.tolist()] for column in predicted.T)
