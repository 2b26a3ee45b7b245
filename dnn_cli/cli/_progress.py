"""The progress bars of `dnn train` and `dnn gradcheck` (rich, loaded when a command runs, not at start-up)."""

import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text


class CostColumn(ProgressColumn):
    """The last epoch's cost; blank until the first epoch has one."""

    def render(self, task) -> Text:
        cost = task.fields.get("cost")
        return Text("" if cost is None else f"cost {cost:.6f}")


def training_bar(console, *, enabled: bool, refresh_per_second: float) -> Progress:
    """epoch n/N, cost, time left on `console`; disabled unless `enabled` and the console is a terminal."""
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        CostColumn(), TimeRemainingColumn(),
        console=console, transient=True, refresh_per_second=refresh_per_second,
        disable=not (enabled and console.is_terminal),
    )


def runs_bar(console, *, enabled: bool) -> Progress:
    """A sweep's runs n/N, the best combination so far, time left; disabled unless `enabled` and a terminal."""
    return Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                    TimeRemainingColumn(), TextColumn("{task.fields[best]}"), console=console, transient=True,
                    disable=not (enabled and console.is_terminal))


def entries_bar(console) -> Progress:
    """gradcheck's entries n/N and time left; disabled unless the console is a terminal."""
    return Progress(TextColumn("gradcheck"), BarColumn(), MofNCompleteColumn(), TextColumn("entries"),
                    TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal)


def throttled(progress: Progress, task, per_second: float):
    """The per-epoch callback: None when no bar is shown, else one that updates it `per_second` times at most
    (an update costs more than an epoch of a small network)."""
    if progress.disable:
        return None
    interval, clock = 1.0 / per_second, time.perf_counter
    due = [0.0]

    def update(result) -> None:
        now = clock()
        if now >= due[0]:
            due[0] = now + interval
            progress.update(task, completed=result.epoch + 1, cost=result.cost)

    return update
