"""`python benchmarks/bench.py --sweep`: dnn sweep on Dask against one process, and Dask's own costs.

Three wall times of whole processes, start-up included: the same 8 runs of configs/flower.yaml (50,000
epochs each; learning_rate 0.6 and 1.2 x 4 seeds) as `dnn sweep --workers 2`, as `dnn sweep --workers 1`,
and one after another in one process without Dask (`sweep.run_one` in a loop: what each run does, without
the engine). Then, separately: the start of a 2-worker local cluster (until its workers are ready) and
its close, and the engine's overhead per run (scheduling, sending the config, the result back), from
200 one-epoch runs. Nothing here asserts a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = ["--grid", "train.learning_rate=0.6,1.2", "--seeds", "4", "--epochs", "50000"]
SEQUENTIAL = """\
import sys
from dnn_cli.sweep import parse_grid, plan_sweep, read_data, data_key, run_one
sweep = plan_sweep('configs/flower.yaml', parse_grid(['train.learning_rate=0.6,1.2']), seeds=4, epochs=50000)
data = read_data(sweep)
records = [run_one(run.config, sweep.source, data.get(data_key(run.config))) for run in sweep.runs]
assert all(r['status'] == 'finished' for r in records)
"""
OVERHEAD = """\
import json, time
from dnn_cli.sweep import parse_grid, plan_sweep, read_data, run_one
from dnn_cli.sweep_engine import Engine, finished, submit
t0 = time.perf_counter()
engine = Engine(workers=2).start()
client = engine.client()
started = time.perf_counter() - t0
sweep = plan_sweep('configs/flower.yaml', parse_grid(['train.learning_rate=1.2']), seeds=200, epochs=1)
inline = time.perf_counter()
for run in sweep.runs:
    run_one(run.config, sweep.source)
inline = (time.perf_counter() - inline) / len(sweep.runs)
for _ in range(2):  # the second round is measured: the first imports dnn_cli on the workers
    t = time.perf_counter()
    records = [record for _, record in finished(client, submit(client, sweep, sweep.runs, {}))]
    total = time.perf_counter() - t
t = time.perf_counter()
engine.close()
closed = time.perf_counter() - t
print(json.dumps({"start": started, "close": closed, "per_run_inline": inline, "runs": len(records),
                  "per_run_on_dask": total / len(records)}))
"""


def _wall(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def sweep_times(repeats: int = 1) -> dict:
    """The three wall times (min of `repeats`, the commands taking turns) and Dask's start-up and per-run cost."""
    import json

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="dnn-bench-sweep-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": tmp}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        dnn = [sys.executable, "-m", "dnn_cli", "sweep", "configs/flower.yaml", *GRID, "--quiet"]
        commands = {"dnn sweep --workers 2": [*dnn, "--workers", "2"],
                    "dnn sweep --workers 1": [*dnn, "--workers", "1"],
                    "one process, no Dask": [sys.executable, "-c", SEQUENTIAL]}
        subprocess.run([sys.executable, "-c", "import dnn_cli.cli, dnn_cli.sweep, distributed"], cwd=ROOT, env=env,
                       check=True)  # bytecode cached, as for an installed package
        times = {name: [] for name in commands}
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(_wall(command, env))
        best = {name: min(t) for name, t in times.items()}
        engine = json.loads(subprocess.run([sys.executable, "-c", OVERHEAD], cwd=ROOT, env=env, check=True,
                                           capture_output=True, text=True).stdout)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    two, one, alone = best["dnn sweep --workers 2"], best["dnn sweep --workers 1"], best["one process, no Dask"]
    print(f"\ndnn sweep: 8 runs of configs/flower.yaml x 50,000 epochs, wall time with start-up (min of {repeats}):")
    for name, t in best.items():
        print(f"  {name:<24} {t:6.2f} s")
    print(f"  2 workers / 1 worker        {two / one:.2f} (target <= 0.6)")
    print(f"  2 workers / one process     {two / alone:.2f} (target <= 0.7)")
    print(f"Dask: a 2-worker local cluster starts in {engine['start']:.2f} s and closes in {engine['close']:.2f} s; "
          f"per run {engine['per_run_on_dask'] * 1e3:.1f} ms on the cluster (one-epoch runs, {engine['runs']} of them "
          f"on 2 workers) against {engine['per_run_inline'] * 1e3:.1f} ms in-process")
    if load_before is not None:
        print(f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} cores: "
              "above 0 means other processes took some of the cores")
    return {"wall_s": best, "ratios": {"2 workers / 1 worker": two / one, "2 workers / one process": two / alone},
            "engine": engine, "load_average": [load_before, load_after]}
