"""The CSV reader against numpy.loadtxt: wall time and peak memory, each in its own process.

    python benchmarks/bench.py --reader           # or: python benchmarks/reader.py
    python benchmarks/reader.py --rows 50000      # a smaller file

A generated CSV of 200,000 rows x 20 float64 features (written with 17 significant digits) and an integer label
column (about 80 MB) is read by: `numpy.loadtxt` (the target), `dnn train` of a [20, 8, 1] network for 1 epoch
(mini-batches of 1,024), `dnn predict` and `dnn evaluate` of that model on the same file, dnn's reader alone
(`io.tables.load_file`), and the careful reader alone (the csv module, every cell checked: the path a file with
text takes). Peak RSS is VmHWM of the process; work RSS subtracts the peak after the imports.
Not part of the test suite: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# Each child prints one JSON line: the peak RSS after its imports and at its end (KiB).
PEAK = ("def peak():\n    for line in open('/proc/self/status'):\n        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1])\n    return 0\n")
CHILDREN = {
    "numpy.loadtxt": "import numpy as np\nbefore = peak()\n"
                     "a = np.loadtxt(PATH, delimiter=',', skiprows=1, ndmin=2)\n",
    "dnn train (1 epoch)": "import dnn_cli.cli.train, dnn_cli.pipeline, dnn_cli.config\nbefore = peak()\n"
                           "from dnn_cli.cli import app\n"
                           "try:\n    app(['train', CONFIG, '-q'])\nexcept SystemExit as e:\n"
                           "    assert not e.code, e.code\n",
    "dnn predict": "import dnn_cli.cli.predict, dnn_cli.pipeline, dnn_cli.config\nbefore = peak()\n"
                   "from dnn_cli.cli import app\n"
                   "try:\n    app(['predict', MODEL, PATH, '--out', OUT])\nexcept SystemExit as e:\n"
                   "    assert not e.code, e.code\n",
    "dnn evaluate": "import dnn_cli.cli.evaluate, dnn_cli.pipeline, dnn_cli.config\nbefore = peak()\n"
                    "from dnn_cli.cli import app\n"
                    "try:\n    app(['evaluate', MODEL, PATH, '--json'])\nexcept SystemExit as e:\n"
                    "    assert not e.code, e.code\n",
    "dnn reader (load_file)": "import dnn_cli.pipeline\nbefore = peak()\nfrom dnn_cli.io.tables import load_file\n"
                              "d = load_file(PATH)\n",
    "careful reader": "import dnn_cli.pipeline\nbefore = peak()\nfrom dnn_cli.io.tables import _text_dataset, "
                      "read_table\nd = _text_dataset(read_table(PATH), None, 'classification')\n",
}


def write_csv(path: Path, rows: int, features: int = 20, seed: int = 0) -> None:
    """rows x features standard normal floats (17 significant digits) and a 0/1 label column."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(f"x{i}" for i in range(1, features + 1)) + ",label\n")
        np.savetxt(f, np.column_stack([X, y]), delimiter=",", fmt=["%.17g"] * features + ["%d"])


def run_child(name: str, path: Path, config: Path) -> dict:
    model, out = config.with_name("model.npz"), config.with_name("predictions.csv")
    code = (PEAK + f"PATH, CONFIG, MODEL, OUT = {str(path)!r}, {str(config)!r}, {str(model)!r}, {str(out)!r}\n"
            + CHILDREN[name]
            + "import json\nprint(json.dumps({'before': before, 'peak': peak()}))\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}
    return {"seconds": seconds, **json.loads(done.stdout.strip().splitlines()[-1])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-careful", action="store_true", help="leave out the careful reader (slow)")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dnn-reader-") as tmp:
        path, config = Path(tmp) / "big.csv", Path(tmp) / "big.yaml"
        write_csv(path, args.rows)
        config.write_text("seed: 0\ndata:\n  source: big.csv\nmodel:\n  layers: [20, 8, 1]\n  activations: [relu, "
                          "sigmoid]\n  init: he\ntrain:\n  epochs: 1\n  batch_size: 1024\n  log_every: 1\n")
        # The model predict and evaluate apply: the same run as the `dnn train` child, saved.
        subprocess.run([sys.executable, "-m", "dnn_cli", "train", str(config), "-q", "--save",
                        str(config.with_name("model.npz"))], check=True, cwd=ROOT, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        array_mb = args.rows * 21 * 8 / 2**20
        print(f"file: {args.rows:,} rows x 21 columns, {path.stat().st_size / 2**20:.1f} MB; as float64 "
              f"{array_mb:.1f} MB; {args.repeats} runs each (wall time of the whole process)")
        results = {}
        for name in CHILDREN:
            if name == "careful reader" and args.skip_careful:
                continue
            runs = [run_child(name, path, config) for _ in range(args.repeats)]
            bad = [r["error"] for r in runs if "error" in r]
            if bad:
                print(f"{name}: failed: {bad[0]}")
                continue
            results[name] = {"median_s": statistics.median(r["seconds"] for r in runs),
                             "min_s": min(r["seconds"] for r in runs),
                             "peak_mb": max(r["peak"] for r in runs) / 1024,
                             "work_mb": max(r["peak"] - r["before"] for r in runs) / 1024}
    base = results.get("numpy.loadtxt")
    print(f"{'':<24} {'median':>8} {'min':>8} {'x loadtxt':>10} {'peak RSS':>9} {'x array':>8} {'work RSS':>9} "
          f"{'x array':>8}")
    for name, r in results.items():
        ratio = f"{r['median_s'] / base['median_s']:.2f}" if base else "-"
        print(f"{name:<24} {r['median_s']:7.2f}s {r['min_s']:7.2f}s {ratio:>10} {r['peak_mb']:7.0f}MB "
              f"{r['peak_mb'] / array_mb:8.2f} {r['work_mb']:7.1f}MB {r['work_mb'] / array_mb:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "array_mb": array_mb, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
