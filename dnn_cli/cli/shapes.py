"""`dnn shapes CONFIG`: the dimension table of the configured network, no training."""

from typing import Annotated, Optional

import typer

from ._common import ConfigFile, Overrides, boundary, out

NAME = "shapes"


@boundary
def command(
    config: ConfigFile,
    m: Annotated[Optional[int], typer.Option("--m", help="The batch size m to show (default: the config's).")] = None,
    set_: Overrides = [],
) -> None:
    """Print n^[l], g^[l] and the shapes of W^[l], b^[l], Z^[l], A^[l], dW^[l], db^[l] for l = 1..L."""
    from .. import render
    from ..config import load_config
    from ..errors import UsageError
    from ..network import shape_rows
    from ..pipeline import check_layers_match_data, encoded_train_split

    cfg = load_config(config, set_)
    if m is not None and m < 1:
        raise UsageError(f"--m: expected a positive integer, got {m}")
    encoder = None
    if m is None or cfg.data.is_file():
        train, encoder = encoded_train_split(cfg, str(config))
        m = default_m(cfg, train) if m is None else m
        # As dnn train would: a table of a network that does not fit the data is not shown as if it did.
        check_layers_match_data(cfg, train, str(config), encoder)
    rows = shape_rows(cfg.model.layers, cfg.model.activations, m)
    inputs = encoder.describe() if encoder is not None and encoder.has_categories else None
    out().print(render.shapes_table(rows, layers=cfg.model.layers, m=m, inputs=inputs))


def default_m(cfg, train) -> int:
    """The config's batch: the size of the train split `dnn train` uses, or train.batch_size when that is smaller."""
    m = train.m
    return m if cfg.train.batch_size == "full" else min(m, cfg.train.batch_size)
