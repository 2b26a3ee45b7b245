"""`dnn init [PATH] [--data FILE.csv [--label COLUMN]]`: write a commented starter config."""

from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..io.atomic import atomic_write, check_writable
from ._common import boundary, out

NAME = "init"


@boundary
def command(
    path: Annotated[Optional[Path], typer.Argument(
        metavar="PATH",
        help="Where to write the config (.yaml); with --data, default: the data file's name with .yaml.")] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Infer n^[0], the task, the output layer and the loss from this CSV.")] = None,
    label: Annotated[Optional[str], typer.Option(
        "--label", help="With --data: the label column (default: the last column).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config that trains as written: the course's flower network, or with --data a
    network for that CSV."""
    if data is None and label is not None:
        raise UsageError("--label needs --data FILE.csv: the file whose label column it names")
    if path is None:
        if data is None:
            raise UsageError("expected PATH, where to write the config (or --data FILE.csv to infer one from data)")
        path = data.with_suffix(".yaml")
    if data is not None and path.resolve() == data.resolve():
        raise UsageError(f"{path}: is the data file; expected another path for the config")
    check_writable(path, "config")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    if data is None:
        atomic_write(path, resources.files("dnn_cli").joinpath("starter.yaml").read_bytes(), "config")
        out().print(f"wrote {path}; train it with: dnn train {path}", markup=False)
        return
    from ..io.datapath import check_data_path
    from ..starter_config import starter_from_data

    check_data_path(str(data), None, "--data")
    starter = starter_from_data(data, path, label=label)
    atomic_write(path, starter.text.encode(), "config")
    console = out()
    for sentence in starter.inferred:
        console.print(f"inferred: {sentence}", markup=False, soft_wrap=True)
    console.print(f"wrote {path}; train it with: dnn train {path}", markup=False, soft_wrap=True)
