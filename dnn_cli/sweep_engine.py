"""A sweep's runs on Dask (`dask.distributed`): a local cluster of worker processes, or an existing cluster.

Dask is an optional extra: it is imported only inside these functions, and a missing Dask is a
UsageError that says how to install it. The cluster starts in a background thread (`Engine.start`)
while the caller validates the config and reads the data; `Engine.client()` waits for it.

    engine = Engine(workers=2).start()
    ...                                     # plan the sweep, read the data files meanwhile
    futures = submit(engine.client(), sweep, runs, datasets)
    for run, record in finished(client, futures):   # in the order the runs finish
        ...
    engine.close()
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import uuid

from .errors import UsageError
from .sweep import data_key, heldout_tables, run_one

INSTALL = "pip install -e '.[sweep]' (or pip install 'dask[distributed]')"
# A run that raises (not a diverged run: that is a record) is tried again this many times. A run whose worker dies
# is rescheduled by Dask itself, until it has seen distributed.scheduler.allowed-failures deaths (3 by default).
RETRIES = 2
CONNECT_SECONDS = 10


def require_dask() -> None:
    """Raise a UsageError saying how to install Dask when it is missing."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise UsageError(f"dnn sweep runs on Dask, which is not installed: {INSTALL}") from None


def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Engine:
    """A Dask client: on a LocalCluster started (and closed) here, or on the scheduler at `scheduler`."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None):
        self.workers, self.scheduler = workers, scheduler
        self._client = self._cluster = self._error = None
        self._thread = None

    def start(self) -> Engine:
        """Start the cluster (or connect) in a background thread; returns at once."""
        require_dask()
        # Worker processes inherit an ignored SIGINT: a Ctrl-C in the terminal reaches the whole process group,
        # and only this process should act on it (cancel the pending runs, keep the finished ones).
        ignore = threading.current_thread() is threading.main_thread() and self.scheduler is None
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None

        def connect():
            try:
                self._connect()
            except BaseException as e:  # handed to the main thread by client()
                self._error = e

        self._thread = threading.Thread(target=connect, name="dnn-sweep-cluster", daemon=True)
        self._thread.start()
        self._restore = (lambda: signal.signal(signal.SIGINT, previous)) if ignore else (lambda: None)
        return self

    def _connect(self) -> None:
        from dask.distributed import Client, LocalCluster

        if self.scheduler is not None:
            self._client = Client(self.scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
            return
        # No dashboard, and the scheduler's small HTTP server on any free port of 127.0.0.1: its default port
        # 8787 may be taken (another cluster), and Dask would warn about it.
        self._cluster = LocalCluster(n_workers=self.workers or default_workers(), threads_per_worker=1,
                                     processes=True, dashboard_address=None, silence_logs=logging.ERROR,
                                     scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
        self._client = Client(self._cluster, set_as_default=False)

    def client(self):
        """The connected client; waits for the start. Raises UsageError when the scheduler cannot be reached."""
        try:
            self._thread.join()
        finally:
            self._restore()
            self._restore = lambda: None
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, (OSError, TimeoutError)):
                raise UsageError(f"cannot reach the Dask scheduler at {self.scheduler}: {error}") from None
            raise error
        return self._client

    def describe(self) -> str:
        """'a local cluster of 2 worker processes' or 'the cluster at tcp://...: 3 workers'."""
        n = len(self._client.scheduler_info().get("workers", {})) if self._client is not None else 0
        if self.scheduler is None:
            return f"a local Dask cluster of {n} worker process{'es' if n != 1 else ''}"
        return f"the Dask cluster at {self.scheduler} ({n} worker{'s' if n != 1 else ''})"

    def close(self) -> None:
        """Close the client, and the local cluster when it was started here."""
        if self._thread is not None:
            self._thread.join()
            self._restore()
        for closable in (self._client, self._cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # noqa: BLE001 - a cluster already gone has nothing left to close
                    pass
        self._client = self._cluster = None


def submit(client, sweep, runs, datasets: dict) -> dict:
    """Send the data files (and the dev and test files) to the cluster once (scatter), then one task per run;
    future -> Run."""
    scattered = {key: client.scatter(dataset, hash=False) for key, dataset in datasets.items()}
    tag = uuid.uuid4().hex[:8]
    futures = {}
    for k, run in enumerate(runs):
        data = scattered.get(data_key(run.config))
        future = client.submit(run_one, run.config, sweep.source, data, heldout_tables(run.config, scattered),
                               key=f"dnn-run-{tag}-{k}", pure=False, retries=RETRIES)
        futures[future] = run
    return futures


def finished(client, futures: dict):
    """Yield (run, record) as the runs finish; a run whose workers kept dying is a record with status "failed"."""
    from dask.distributed import as_completed

    for future in as_completed(list(futures), loop=client.loop):
        run = futures[future]
        if future.status == "error":
            error = future.exception()
            if type(error).__name__ != "KilledWorker":
                raise error
            record = {"seed": run.seed, "status": "failed", "message": f"the workers running it kept dying ({error})",
                      "epochs": 0, "seconds": None, "final": {}, "history": [], "curve": [],
                      "parameters_sha256": None, "warnings": []}
        else:
            record = future.result()
        yield run, record


def cancel(client, futures: dict) -> None:
    """Cancel the runs not yet finished (Ctrl-C)."""
    pending = [f for f in futures if not f.done()]
    if pending:
        client.cancel(pending)
