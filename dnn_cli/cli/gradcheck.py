"""`dnn gradcheck CONFIG`: the training step's and Network.backward's gradients against centred differences."""

from typing import Annotated

import typer

from ._common import ConfigFile, Overrides, Seed, boundary, err, out

NAME = "gradcheck"
# What to add to a note about one of gradcheck_config's parameters: the flag that sets it.
HINTS = {"every_entry": "--all checks every entry", "epsilon": "a larger --epsilon such as 1e-6 lowers the floor"}


@boundary
def command(
    config: ConfigFile,
    m: Annotated[int, typer.Option("--m", help="How many training samples to check on.")] = 32,
    epsilon: Annotated[float, typer.Option("--epsilon", help="The finite-difference step.")] = 1e-7,
    seed: Seed = None,
    set_: Overrides = [],
    all_: Annotated[bool, typer.Option(
        "--all", help="Check every entry of every tensor, however long it takes (by default a large network is "
                      "checked on a random sample of entries per tensor).")] = False,
) -> None:
    """Compare dW^[l], db^[l] of the training step and of backprop with centred differences; exit 1 on failure."""
    from .. import render
    from ..config import load_config
    from ..errors import TrainingError, UsageError
    from ..gradcheck import CHECKED, WARN_BELOW, epsilon_problem, gradcheck_config
    from ._progress import entries_bar

    if m < 1:
        raise UsageError(f"--m: expected a positive integer, got {m}")
    problem = epsilon_problem(epsilon)
    if problem:
        raise UsageError(f"--epsilon: {problem}")
    cfg = load_config(config, set_, seed=seed)
    with entries_bar(err()) as bar:
        task = bar.add_task("gradcheck", total=None)
        result = gradcheck_config(cfg, m=m, epsilon=epsilon, source=str(config), every_entry=all_,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    console = out()
    console.print(render.gradcheck_table(result))
    console.print(f"checked: {CHECKED}", markup=False)
    for note in result.notes:
        hint = HINTS.get(getattr(note, "about", None))
        console.print(f"note: {note}" + (f"; {hint}" if hint else ""), markup=False)
    if not result.passed:
        failed = ", ".join(f"{t.name} ({t.relative_difference:.2e}{_only(t)})" for t in result.failed)
        hint = ""
        if any(k.near for k in result.kinks):
            hint = "; some pre-activations sit within epsilon of a relu kink, where finite differences mislead"
        raise TrainingError(f"gradcheck failed: {failed} differ by more than {WARN_BELOW:g}{hint}")
    worst = max(result.tensors, key=lambda t: t.relative_difference)
    console.print(f"gradcheck {'passed' if worst.status == 'pass' else 'passed with warnings'}: "
                  f"worst relative difference {worst.relative_difference:.2e} ({worst.name})", markup=False)


def _only(t) -> str:
    """', in the training step only' when one path of two fails, else ''."""
    paths = t.failing_paths
    return f", in the {paths[0]} only" if len(paths) < len(t.differences) else ""
