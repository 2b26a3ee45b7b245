"""`dnn gradcheck CONFIG`: backprop gradients against centred finite differences, per tensor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import Overrides, Seed, boundary, err, out

NAME = "gradcheck"


@boundary
def command(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
    m: Annotated[int, typer.Option("--m", help="How many training samples to check on.")] = 32,
    epsilon: Annotated[float, typer.Option("--epsilon", help="The finite-difference step.")] = 1e-7,
    seed: Seed = None,
    set_: Overrides = [],
    all_: Annotated[bool, typer.Option(
        "--all", help="Check every entry of every tensor, however long it takes (by default a large network is "
                      "checked on a random sample of entries per tensor).")] = False,
) -> None:
    """Compare dW^[l], db^[l] from backprop with centred finite differences in float64; exit 1 on failure."""
    from .. import render
    from ..config import load_config
    from ..errors import TrainingError
    from ..gradcheck import WARN_BELOW, gradcheck_config
    from ._progress import entries_bar

    cfg = load_config(config, set_, seed=seed)
    with entries_bar(err()) as bar:
        task = bar.add_task("gradcheck", total=None)
        result = gradcheck_config(cfg, m=m, epsilon=epsilon, source=str(config), every_entry=all_,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    console = out()
    console.print(render.gradcheck_table(result))
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if not result.passed:
        failed = ", ".join(f"{t.name} ({t.relative_difference:.2e})" for t in result.failed)
        hint = ""
        if any(k.near for k in result.kinks):
            hint = "; some pre-activations sit within epsilon of a relu kink, where finite differences mislead"
        raise TrainingError(f"gradcheck failed: {failed} differ by more than {WARN_BELOW:g}{hint}")
    worst = max(result.tensors, key=lambda t: t.relative_difference)
    console.print(f"gradcheck {'passed' if worst.status == 'pass' else 'passed with warnings'}: "
                  f"worst relative difference {worst.relative_difference:.2e} ({worst.name})", markup=False)
