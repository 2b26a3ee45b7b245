"""`dnn schema`: the config's JSON Schema, for editors (the repository keeps it as configs/dnn.schema.json)."""

import typer

from ._common import boundary

NAME = "schema"


@boundary
def command() -> None:
    """Print the config's JSON Schema (every key with its description and default), e.g. to dnn.schema.json."""
    from ..config_json_schema import schema_text

    typer.echo(schema_text(), nl=False)
