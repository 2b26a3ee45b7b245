"""Signals during `dnn train`: the first SIGINT, SIGTERM or SIGHUP stops after the current epoch, a second at once.

The handlers stay in place from the first epoch to the last write, so a signal during the final
save, metrics or plot lets the writes finish (first signal) or abandons them without touching a
file (second signal: every write is atomic).
"""

import contextlib
import signal
import threading

import typer

from ..checkpointing import StopNow, StopRequests
from ..training_run import signal_name

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def say(message: str) -> None:
    """A line on stderr that never fails: after SIGHUP the terminal may be gone."""
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        typer.echo(message, err=True)


@contextlib.contextmanager
def stop_on_signals(requests: StopRequests, phase: callable):
    """Route SIGINT, SIGTERM and SIGHUP to `requests` (only possible in the main thread).

    `phase()` tells what the run is doing ("training", "writing", "summary"), for the message. A
    signal that the process was told to ignore (nohup, a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        count = requests.request(signum)
        if count == 1:
            again = "Ctrl-C again to stop at once" if signum == signal.SIGINT else "a second signal stops at once"
            where = {"training": "after this epoch", "writing": "after the writes under way"}.get(
                phase(), "after the summary")
            prefix = "" if signum == signal.SIGINT else f"{signal_name(signum)}: "
            say(f"\ndnn: {prefix}stopping {where} ({again})")
        elif count == 2:
            raise StopNow(signum)

    previous = {}
    for signum in SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
