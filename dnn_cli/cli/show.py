"""`dnn show MODEL`: what a model file holds, in course notation (`--json` for scripts)."""

import json
from typing import Annotated

import typer

from ._common import ModelFile, boundary, out

NAME = "show"


@boundary
def command(
    model: ModelFile,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Show a model file: L, n^[l], g^[l], W^[l] / b^[l] shapes, classes, features, standardisation, training."""
    from ..io.modelfile import load_model
    from ..model_summary import model_summary

    summary = model_summary(load_model(model))
    if json_:
        typer.echo(json.dumps(summary, indent=2))
        return
    from ._render_model import model_tables

    console = out()
    for table in model_tables(summary):
        console.print(table)
