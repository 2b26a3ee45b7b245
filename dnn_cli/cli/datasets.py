"""`dnn datasets`: the built-in datasets and their parameters."""

from ._common import boundary, out

NAME = "datasets"


@boundary
def command() -> None:
    """List the built-in datasets (data.source) with their parameters and defaults."""
    from .. import render
    from ..datasets import DATASETS

    out().print(render.datasets_table(DATASETS))
