"""`dnn init PATH`: write a commented starter config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..io.atomic import atomic_write, check_writable
from ._common import boundary, out

NAME = "init"


@boundary
def command(
    path: Annotated[Path, typer.Argument(help="Where to write the config (.yaml).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config that trains as written (the course's flower network)."""
    check_writable(path, "config")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    atomic_write(path, resources.files("dnn_cli").joinpath("starter.yaml").read_bytes(), "config")
    out().print(f"wrote {path}; train it with: dnn train {path}")
