"""`python -m dnn_cli` and the `dnn` command: Ctrl-C while the modules load exits quietly with 130."""

from __future__ import annotations

import signal
import sys


def interrupted() -> None:
    """Ctrl-C before a command could handle it: one line, exit 130, no traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stderr.write("\ndnn: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise SystemExit(130)


def main() -> None:
    try:
        from dnn_cli.cli import main as run  # NumPy, pydantic, typer, rich: about half a second
    except KeyboardInterrupt:
        interrupted()
    run()


if __name__ == "__main__":
    main()
