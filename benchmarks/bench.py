"""Benchmarks: dnn against a plain NumPy reference, PyTorch CPU eager and scikit-learn's MLPClassifier.

Every peer trains the same network from the same initial parameters on the same data, in the same
batch order, with the same learning rate and plain gradient descent, each in its own process.
Run from the repository root:

    python benchmarks/bench.py            # the full run (about 20 minutes on 2 cores)
    python benchmarks/bench.py --quick    # a smoke run: fewer epochs and runs (about 1 minute)
    python benchmarks/bench.py --cli      # only the CLI against the library and bare start-ups (about 1 minute)
    python benchmarks/bench.py --reader   # only the CSV reader against numpy.loadtxt (benchmarks/reader.py)
    python benchmarks/bench.py --sweep    # only dnn sweep on Dask against one process, Dask's costs (about 1 minute)

Not part of the test suite: nothing here asserts a time. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("dnn", "numpy", "torch", "sklearn")


@dataclass(frozen=True)
class Workload:
    """One network and data set: layers n^[0..L], activations g^[1..L], batch size, epochs, learning rate."""

    name: str
    title: str
    layers: tuple
    activations: tuple
    data: str
    m: int
    batch_size: object      # "full" or an int
    epochs: int
    learning_rate: float
    init: str
    dtypes: tuple
    quick_epochs: int
    runs: int
    has_floor: bool = False


WORKLOADS = {
    w.name: w for w in [
        Workload("W1", "flower", (2, 4, 1), ("tanh", "sigmoid"), "flower", 400, "full", 10_000, 1.2, "random",
                 ("float64",), 2_000, 7),
        Workload("W2", "deep-small", (2, 10, 5, 1), ("relu", "relu", "sigmoid"), "circles", 300, "full", 15_000,
                 0.5, "he", ("float64",), 3_000, 7),
        Workload("W3", "mnist-like", (784, 256, 128, 10), ("relu", "relu", "softmax"), "pixels", 10_000, 256, 3,
                 0.1, "he", ("float64", "float32"), 1, 5, has_floor=True),
        Workload("W4", "wide", (1024, 1024, 1024, 1), ("relu", "relu", "sigmoid"), "gaussian", 8_192, "full", 20,
                 0.01, "he", ("float32", "float64"), 2, 3, has_floor=True),
    ]
}


# ---------------------------------------------------------------------------------------------
# Data and initial parameters, made once by the driver and shared with every peer through a file.


def make_problem(w: Workload, m: int, dtype: str, seed: int = 0) -> dict:
    """X (n^[0], m), integer labels y (m,), W^[l], b^[l] for the workload, all from one seed."""
    rng = np.random.default_rng(seed)
    if w.data in ("flower", "circles"):
        sys.path.insert(0, str(ROOT))
        from dnn_cli.datasets import make_dataset

        ds = make_dataset(w.data, rng, n_samples=m)
        X, y = ds.X, ds.y[0]
    elif w.data == "pixels":
        X = rng.random((w.layers[0], m))
        y = rng.integers(0, w.layers[-1], m)
    else:
        X = rng.standard_normal((w.layers[0], m))
        y = (X[0] + 0.5 * X[1] > 0).astype(np.int64)
    params = {}
    for l, (n_prev, n) in enumerate(zip(w.layers[:-1], w.layers[1:]), start=1):
        scale = 0.01 if w.init == "random" else np.sqrt(2.0 / n_prev)
        params[f"W{l}"] = (rng.standard_normal((n, n_prev)) * scale).astype(dtype)
        params[f"b{l}"] = np.zeros((n, 1), dtype=dtype)
    # Sample-major, as dnn's loaders keep data (X.T C-contiguous); every peer reads this same array.
    return {"X": np.asfortranarray(X, dtype=dtype), "y": y.astype(np.int64), **params}


def one_hot(y, K, dtype):
    """Y (K, m) from labels (m,); for K = 1 (a sigmoid output) Y is the labels as a row."""
    if K == 1:
        return y.reshape(1, -1).astype(dtype)
    Y = np.zeros((K, y.size), dtype=dtype)
    Y[y, np.arange(y.size)] = 1.0
    return Y


def batch_orders(m, batch_size, epochs, seed):
    """The column index sets of every epoch, drawn as dnn's training loop draws them."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        if batch_size == "full" or batch_size >= m:
            yield [slice(None)]
        else:
            order = rng.permutation(m)
            yield [order[k:k + batch_size] for k in range(0, m, batch_size)]


def reference_cost(AL, Y):
    """The course's cost in float64: binary cross-entropy for one sigmoid unit, else cross-entropy."""
    AL, Y = AL.astype(np.float64), Y.astype(np.float64)
    m = Y.shape[1]
    if Y.shape[0] == 1:
        return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)
    return float(-np.sum(Y * np.log(AL)) / m)


def reference_forward(params, X, activations):
    """A^[L] in float64 by the course's formulas (the common yardstick for every peer's end parameters)."""
    A = X.astype(np.float64)
    for l, g in enumerate(activations, start=1):
        Z = params[f"W{l}"].astype(np.float64) @ A + params[f"b{l}"].astype(np.float64)
        A = G[g](Z)
    return A


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


G = {"tanh": np.tanh, "relu": lambda Z: np.maximum(Z, 0), "sigmoid": lambda Z: 1 / (1 + np.exp(-Z)),
     "softmax": _softmax}
G_PRIME = {"tanh": lambda Z, A: 1 - A**2, "relu": lambda Z, A: (Z > 0).astype(Z.dtype)}


# ---------------------------------------------------------------------------------------------
# The peers. Each returns (its own last-epoch cost, the final parameters), training in place.


def run_dnn(spec, P, epochs, order_seed):
    from dnn_cli.network import Network
    from dnn_cli.training import iter_epochs

    L = len(spec["layers"]) - 1
    net = Network([P[f"W{l}"].copy() for l in range(1, L + 1)], [P[f"b{l}"].copy() for l in range(1, L + 1)],
                  list(spec["activations"]))
    cost = None
    for result in iter_epochs(net, P["X"], P["y"].reshape(1, -1), epochs=epochs,
                              learning_rate=spec["learning_rate"], batch_size=spec["batch_size"],
                              log_every=epochs, rng=np.random.default_rng(order_seed)):
        cost = result.cost
    return cost, {**{f"W{l}": W for l, W in enumerate(net.W, 1)}, **{f"b{l}": b for l, b in enumerate(net.b, 1)}}


def run_numpy(spec, P, epochs, order_seed):
    """The course's code, generalised to L layers: one new array per operation."""
    L = len(spec["layers"]) - 1
    acts, alpha = spec["activations"], spec["learning_rate"]
    W = [P[f"W{l}"].copy() for l in range(1, L + 1)]
    b = [P[f"b{l}"].copy() for l in range(1, L + 1)]
    X, Y_all = P["X"], one_hot(P["y"], spec["layers"][-1], P["X"].dtype)
    m_all = X.shape[1]
    cost = None
    for batches in batch_orders(m_all, spec["batch_size"], epochs, order_seed):
        total = 0.0
        for idx in batches:
            A0, Y = X[:, idx], Y_all[:, idx]
            m = Y.shape[1]
            caches = [(None, A0)]
            A = A0
            for l in range(L):
                Z = W[l] @ A + b[l]
                A = G[acts[l]](Z)
                caches.append((Z, A))
            if Y.shape[0] == 1:
                J = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
            else:
                J = -np.sum(Y * np.log(A)) / m
            total += float(J) * m
            dZ = A - Y
            for l in range(L, 0, -1):
                A_prev = caches[l - 1][1]
                dW = dZ @ A_prev.T / m
                db = np.sum(dZ, axis=1, keepdims=True) / m
                if l > 1:
                    Z_prev, A_prev_ = caches[l - 1]
                    dZ = W[l - 1].T @ dZ * G_PRIME[acts[l - 2]](Z_prev, A_prev_)
                W[l - 1] = W[l - 1] - alpha * dW
                b[l - 1] = b[l - 1] - alpha * db
        cost = total / m_all
    return cost, {**{f"W{l}": w for l, w in enumerate(W, 1)}, **{f"b{l}": v for l, v in enumerate(b, 1)}}


def run_torch(spec, P, epochs, order_seed):
    """nn.Linear stack, autograd, torch.optim.SGD; logits into BCEWithLogitsLoss / CrossEntropyLoss."""
    import torch

    L = len(spec["layers"]) - 1
    dtype = torch.float64 if P["X"].dtype == np.float64 else torch.float32
    modules = []
    for l, (n_prev, n) in enumerate(zip(spec["layers"][:-1], spec["layers"][1:]), start=1):
        linear = torch.nn.Linear(n_prev, n, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(P[f"W{l}"]))
            linear.bias.copy_(torch.from_numpy(P[f"b{l}"][:, 0]))
        modules.append(linear)
        if l < L:
            modules.append({"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[spec["activations"][l - 1]]())
    model = torch.nn.Sequential(*modules)
    binary = spec["layers"][-1] == 1
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(np.ascontiguousarray(P["X"].T))
    y = torch.from_numpy(P["y"].astype(P["X"].dtype).reshape(-1, 1)) if binary else torch.from_numpy(P["y"])
    optimizer = torch.optim.SGD(model.parameters(), lr=spec["learning_rate"])
    m_all = X.shape[0]
    cost = None
    for batches in batch_orders(m_all, spec["batch_size"], epochs, order_seed):
        total = 0.0
        for idx in batches:
            if isinstance(idx, slice):
                X_t, y_t = X, y
            else:
                t_idx = torch.from_numpy(idx)
                X_t, y_t = X[t_idx], y[t_idx]
            optimizer.zero_grad()
            J = loss_fn(model(X_t), y_t)
            J.backward()
            optimizer.step()
            total += J.item() * X_t.shape[0]
        cost = total / m_all
    out = {}
    for l, linear in enumerate(modules[::2], start=1):
        out[f"W{l}"] = linear.weight.detach().numpy().copy()
        out[f"b{l}"] = linear.bias.detach().numpy().reshape(-1, 1).copy()
    return cost, out


def run_sklearn(spec, P, epochs, order_seed):
    """MLPClassifier(solver='sgd'), no momentum or regularisation, warm-started from the same weights.

    Its per-epoch shuffle is replaced by dnn's permutations so the batches are the same; its loss
    (log-loss, summed in two parts) is not the same expression as dnn's cost, so only the end
    parameters are compared (through one common cost function).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.neural_network import _multilayer_perceptron as mlp

    L = len(spec["layers"]) - 1
    hidden = set(spec["activations"][:-1])
    assert len(hidden) == 1, "MLPClassifier has one activation for all hidden layers"
    activation = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}[hidden.pop()]
    X = np.ascontiguousarray(P["X"].T)
    y = P["y"]
    m_all = X.shape[0]
    full = spec["batch_size"] == "full" or spec["batch_size"] >= m_all
    rng = np.random.default_rng(order_seed)

    def shuffle(a, random_state=None):
        # scikit-learn reshuffles last epoch's order; dnn draws a fresh permutation of 0..m-1.
        return rng.permutation(len(a))

    mlp.shuffle = shuffle
    clf = MLPClassifier(hidden_layer_sizes=spec["layers"][1:-1], activation=activation, solver="sgd",
                        learning_rate="constant", learning_rate_init=spec["learning_rate"], momentum=0.0,
                        nesterovs_momentum=False, alpha=0.0, batch_size=m_all if full else spec["batch_size"],
                        shuffle=not full, max_iter=1, tol=0.0, n_iter_no_change=10**9, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        few = np.union1d(np.unique(y, return_index=True)[1], np.arange(20))
        clf.fit(X[few], y[few])  # builds the structure (classes, layer shapes) only
        rng = np.random.default_rng(order_seed)
        for l in range(1, L + 1):
            clf.coefs_[l - 1][...] = P[f"W{l}"].T
            clf.intercepts_[l - 1][...] = P[f"b{l}"][:, 0]
        clf.loss_curve_, clf.t_, clf._no_improvement_count, clf.best_loss_ = [], 0, 0, np.inf
        clf.set_params(max_iter=epochs)
        start = time.perf_counter()
        clf.fit(X, y)
        clf._bench_seconds = time.perf_counter() - start
    out = {}
    for l in range(1, L + 1):
        out[f"W{l}"] = clf.coefs_[l - 1].T.copy()
        out[f"b{l}"] = clf.intercepts_[l - 1].reshape(-1, 1).copy()
    return clf.loss_curve_[-1], out, clf._bench_seconds


def run_floor(spec, P, epochs, order_seed):
    """Only the matrix products of the epochs, into preallocated outputs: W A forward, dZ A^T and W^T dZ back."""
    L = len(spec["layers"]) - 1
    W = [P[f"W{l}"] for l in range(1, L + 1)]
    X = P["X"]
    m_all = X.shape[1]
    B = m_all if spec["batch_size"] == "full" else min(spec["batch_size"], m_all)
    sizes = [min(B, m_all - k) for k in range(0, m_all, B)]
    A = [np.ascontiguousarray(X[:, :B])] + [np.zeros((n, B), X.dtype) for n in spec["layers"][1:]]
    dZ = [np.full((n, B), 1e-3, X.dtype) for n in spec["layers"][1:]]
    dW = [np.empty_like(w) for w in W]
    for _ in range(epochs):
        for mb in sizes:
            for l in range(L):
                np.matmul(W[l], A[l][:, :mb], out=A[l + 1][:, :mb])
            for l in range(L - 1, -1, -1):
                np.matmul(dZ[l][:, :mb], A[l][:, :mb].T, out=dW[l])
                if l > 0:
                    np.matmul(W[l].T, dZ[l][:, :mb], out=dZ[l - 1][:, :mb])
    return None, None


RUNNERS = {"dnn": run_dnn, "numpy": run_numpy, "torch": run_torch, "sklearn": run_sklearn, "floor": run_floor}


def blas_info() -> list:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keys = ("user_api", "internal_api", "version", "architecture", "threading_layer", "num_threads", "prefix")
    return [{k: i.get(k) for k in keys if i.get(k) is not None} for i in threadpool_info()]


def peak_rss_kb() -> int:
    """This process's peak resident set size in KiB.

    VmHWM from /proc/self/status where there is one: resource.getrusage's ru_maxrss survives exec,
    so a worker started by a driver that holds large arrays would report the driver's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(peer: str, problem: Path, epochs: int, runs: int, warmup_epochs: int, out: Path) -> None:
    """One peer, one workload: a warm-up, then `runs` timed runs from the same initial parameters."""
    spec = json.loads(Path(str(problem) + ".json").read_text())
    rss_before = peak_rss_kb()
    runner = RUNNERS[peer]
    if peer != "floor":
        if peer == "torch":
            import torch  # noqa: F401
        elif peer == "sklearn":
            import sklearn.neural_network  # noqa: F401
        else:
            import dnn_cli.network  # noqa: F401
            import dnn_cli.training  # noqa: F401
    rss_imports = peak_rss_kb()
    with np.load(problem) as f:
        P = {k: f[k] for k in f.files}
    seconds, result = [], None
    runner(spec, P, warmup_epochs, spec["order_seed"])
    for _ in range(runs):
        start = time.perf_counter()
        result = runner(spec, P, epochs, spec["order_seed"])
        elapsed = time.perf_counter() - start
        seconds.append(result[2] if len(result) > 2 else elapsed)
    cost, params = result[0], result[1]
    record = {"peer": peer, "seconds": seconds, "epochs": epochs, "cost": cost,
              "rss_start_kb": rss_before, "rss_imports_kb": rss_imports,
              "rss_peak_kb": peak_rss_kb(), "blas": blas_info()}
    if peer == "torch":
        import torch

        record["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                           "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]}
    if params is not None:
        np.savez(out.with_suffix(".params.npz"), **params)
    out.write_text(json.dumps(record))


# ---------------------------------------------------------------------------------------------
# The driver.


def available(peer: str) -> str | None:
    """None when the peer can run, else why not."""
    module = {"torch": "torch", "sklearn": "sklearn"}.get(peer)
    if module is None:
        return None
    code = f"import {module}"
    ok = subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    pip = {"torch": "torch", "sklearn": "scikit-learn"}[peer]
    return None if ok else f"{peer}: not installed (pip install {pip}); skipped"


def spawn_rounds(peers, problem, epochs, rounds, warmup_epochs, tmp: Path, tag: str) -> dict:
    """`rounds` rounds of one process per peer, round-robin, so a noisy neighbour slows every peer alike.

    Each process warms up, then times one run of all the epochs; a peer's record gathers its rounds.
    """
    out = {}
    for _ in range(rounds):
        for peer in peers:
            if "error" in out.get(peer, {}):
                continue
            r = spawn(peer, problem, epochs, 1, warmup_epochs, tmp, tag)
            if "error" in r or peer not in out:
                out[peer] = r
            else:
                out[peer]["seconds"] += r["seconds"]
                out[peer]["rss_peak_kb"] = max(out[peer]["rss_peak_kb"], r["rss_peak_kb"])
                out[peer]["rss_imports_kb"] = min(out[peer]["rss_imports_kb"], r["rss_imports_kb"])
    return out


def spawn(peer, problem, epochs, runs, warmup_epochs, tmp: Path, tag: str) -> dict:
    out = tmp / f"{tag}-{peer}.json"
    cmd = [sys.executable, __file__, "--worker", peer, "--problem", str(problem), "--epochs", str(epochs),
           "--runs", str(runs), "--warmup-epochs", str(warmup_epochs), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"peer": peer, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    record = json.loads(out.read_text())
    params = out.with_suffix(".params.npz")
    if params.exists():
        with np.load(params) as f:
            record["params"] = {k: f[k] for k in f.files}
    return record


def per_epoch(record) -> tuple[float, float]:
    s = [t / record["epochs"] for t in record["seconds"]]
    return statistics.median(s), min(s)


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.3f} s "


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "(unset)")}


def startup_times(repeats: int) -> dict:
    """Wall time of `dnn --help` and `dnn shapes configs/flower.yaml`, and whether matplotlib was loaded."""
    out = {}
    commands = {"dnn --help": ["--help"], "dnn shapes configs/flower.yaml": ["shapes", "configs/flower.yaml"]}
    for name, args in commands.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "dnn_cli", *args], capture_output=True, cwd=ROOT, check=True)
            times.append(time.perf_counter() - start)
        out[name] = (statistics.median(times), min(times))
    code = ("import sys; from dnn_cli.cli import app; from typer.testing import CliRunner; "
            "CliRunner().invoke(app, ['shapes', 'configs/flower.yaml']); "
            "print(', '.join(f'{m}: ' + ('loaded' if m in sys.modules else 'not loaded') "
            "for m in ('matplotlib', 'pydantic', 'yaml')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    out["after `dnn shapes`"] = loaded or "?"
    return out


# The CLI's own costs: per epoch against the library's `fit`, and start-up against bare start-ups.
FIT_SCRIPT = ("import sys; from dnn_cli import fit, load_config, prepare; config = 'configs/flower.yaml'; "
              "fit(prepare(load_config(config, [], epochs=int(sys.argv[1])), source=config))")
BARE_TYPER = """\
import typer

app = typer.Typer(add_completion=False, rich_markup_mode=None)
for name in ("train", "predict", "evaluate", "shapes", "datasets", "init", "compare-init", "compare-activations",
             "gradcheck"):
    def command(config: str = "") -> None:
        \"\"\"A command.\"\"\"
    app.command(name)(command)
app()
"""
# What any `dnn shapes` built on the prescribed stack pays, with none of dnn's code: Typer parses a path (Typer 0.29
# coerces every parameter through a pydantic TypeAdapter), pydantic validates the YAML into a model, and rich
# prints one table. dnn's own cost is `dnn shapes` minus this floor.
FLOOR_SHAPES = """\
import numpy as np
import typer
import yaml
from pydantic import BaseModel

class Model(BaseModel):
    layers: list[int]
    activations: list[str]

class Config(BaseModel):
    model: Model

app = typer.Typer(add_completion=False, rich_markup_mode=None)
for name in ("train", "predict", "evaluate", "datasets", "init", "compare-init", "compare-activations", "gradcheck"):
    def command(config: str = "") -> None:
        \"\"\"A command.\"\"\"
    app.command(name)(command)

@app.command("shapes")
def shapes(config: str) -> None:
    \"\"\"A table of W^[l] shapes.\"\"\"
    from rich.console import Console
    from rich.table import Table
    with open(config, encoding="utf-8") as f:
        model = Config.model_validate(yaml.safe_load(f)).model
    table = Table("l", "n^[l]", "W^[l]", title="Dimensions")
    for l in range(1, len(model.layers)):
        table.add_row(str(l), str(model.layers[l]), str(np.zeros((model.layers[l], model.layers[l - 1])).shape))
    Console().print(table)
app()
"""
CLI_TARGETS = {"dnn train --quiet": 1.05, "dnn train": 1.05, "dnn --help": 1.3, "dnn shapes configs/flower.yaml": 1.3}


def cli_ratios(repeats: int) -> dict:
    """The CLI's per-epoch time against `fit`'s, and its start-up against bare start-ups (min wall times).

    Per epoch: (T(22000 epochs) - T(2000 epochs)) / 20000 on configs/flower.yaml, whole processes, so
    start-up and the tables cancel out. Start-up: `dnn --help` against a Typer app with the same nine
    commands that imports nothing but typer; `dnn shapes configs/flower.yaml` against `python -c
    "import numpy, yaml, pydantic, typer"`. Bytecode is cached (in a temporary folder) and every
    command runs once before it is timed, as for an installed package.
    """
    with tempfile.TemporaryDirectory(prefix="dnn-bench-cli-") as tmp:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": tmp, "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        bare, floor = Path(tmp) / "bare_typer.py", Path(tmp) / "floor_shapes.py"
        bare.write_text(BARE_TYPER)
        floor.write_text(FLOOR_SHAPES)

        def best(commands: dict) -> dict:
            """Min wall time per command; the commands take turns, so a busy moment of the machine hits them all."""
            for cmd in commands.values():
                subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env, check=True)
            times = {name: [] for name in commands}
            for _ in range(repeats):
                for name, cmd in commands.items():
                    start = time.perf_counter()
                    subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env, check=True)
                    times[name].append(time.perf_counter() - start)
            return {name: min(t) for name, t in times.items()}

        dnn = [sys.executable, "-m", "dnn_cli"]
        runs = {"fit": lambda e: [sys.executable, "-c", FIT_SCRIPT, str(e)],
                "dnn train --quiet": lambda e: [*dnn, "train", "configs/flower.yaml", "--epochs", str(e), "--quiet"],
                "dnn train": lambda e: [*dnn, "train", "configs/flower.yaml", "--epochs", str(e)]}
        t = best({(name, e): run(e) for name, run in runs.items() for e in (2_000, 22_000)})
        per_epoch = {name: (t[name, 22_000] - t[name, 2_000]) / 20_000 for name in runs}
        t = best({"help": [*dnn, "--help"], "bare": [sys.executable, str(bare), "--help"],
                  "shapes": [*dnn, "shapes", "configs/flower.yaml"],
                  "imports": [sys.executable, "-c", "import numpy, yaml, pydantic, typer"],
                  "floor": [sys.executable, str(floor), "shapes", "configs/flower.yaml"]})
        startup = {"dnn --help": (t["help"], t["bare"]), "dnn shapes configs/flower.yaml": (t["shapes"], t["imports"])}
    out = {"per_epoch_s": per_epoch, "startup_s": startup, "ratios": {},
           "floor_shapes_s": (t["floor"], t["imports"])}
    print(f"\nCLI against the library, per epoch on flower ((T(22000) - T(2000)) / 20000, min of {repeats}):")
    for name, t in per_epoch.items():
        ratio = t / per_epoch["fit"]
        if name != "fit":
            out["ratios"][name] = ratio
        target = f"  {ratio:.2f} x fit (target <= {CLI_TARGETS[name]})" if name != "fit" else ""
        print(f"  {name:<20} {fmt_time(t)}{target}")
    print(f"start-up (min wall time of {repeats}):")
    against = {"dnn --help": "a bare Typer app with the same nine commands",
               "dnn shapes configs/flower.yaml": "python -c \"import numpy, yaml, pydantic, typer\""}
    for name, (t, base) in startup.items():
        out["ratios"][name] = t / base
        print(f"  {name:<31} {t:.3f} s  {t / base:.2f} x {against[name]} ({base:.3f} s) "
              f"(target <= {CLI_TARGETS[name]})")
    t, base = out["floor_shapes_s"]
    out["ratios"]["floor: shapes with no dnn code"] = t / base
    print(f"  {'floor: shapes with no dnn code':<31} {t:.3f} s  {t / base:.2f} x the same (a Typer command that "
          "validates the YAML with a pydantic model and prints a rich table: the least any shapes on this stack "
          "pays)")
    return out


def rel(a, b) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


def param_rel_diff(P, Q) -> float:
    return max(float(np.linalg.norm(P[k].astype(np.float64) - Q[k].astype(np.float64))
                     / np.linalg.norm(Q[k].astype(np.float64))) for k in Q)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer epochs and runs")
    parser.add_argument("--workloads", default="W1,W2,W3,W4", help="comma-separated, e.g. W1,W3")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ", ".join(PEERS))
    parser.add_argument("--no-scaling", action="store_true", help="skip W3's m = 1x, 2x, 4x scaling rows")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--cli", action="store_true",
                        help="only the CLI's ratios: per epoch against fit, start-up against bare start-ups")
    parser.add_argument("--reader", action="store_true",
                        help="only the CSV reader: dnn train on a 200,000 x 20 CSV against numpy.loadtxt")
    parser.add_argument("--sweep", action="store_true",
                        help="only dnn sweep: 2 workers against 1 and against one process; Dask's start-up and per-run "
                             "cost (needs the sweep extra)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--problem", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warmup-epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reader:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import reader

        return reader.main(["--json", str(args.json)] if args.json else [])
    if args.worker:
        worker(args.worker, args.problem, args.epochs, args.runs, args.warmup_epochs, args.out)
        return 0

    if args.sweep:
        from bench_sweep import sweep_times  # benchmarks/ is this script's folder, first on sys.path

        report = {"machine": machine(), "sweep": sweep_times(1)}
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=str))
        return 0
    if args.cli:
        report = {"machine": machine(), "cli": cli_ratios(3 if args.quick else 5)}
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=str))
        return 0
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    notes = [n for n in (available(p) for p in peers) if n]
    peers = [p for p in peers if available(p) is None]
    mach = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in mach.items()), flush=True)
    report = {"machine": mach, "mode": "quick" if args.quick else "full", "rows": [], "notes": notes}
    rows = report["rows"]
    header = (f"{'workload':<16} {'dtype':<8} {'peer':<8} {'median/epoch':>12} {'min/epoch':>12} "
              f"{'x dnn med/min':>13} {'% floor med/min':>15} {'peak RSS':>9} {'work RSS':>9} "
              f"{'end cost (common)':>19} "
              f"{'rel to dnn':>10}")
    printed_blas = set()
    scaling, floor_scaling = {}, {}
    with tempfile.TemporaryDirectory(prefix="dnn-bench-") as tmp:
        tmp = Path(tmp)
        for name in args.workloads.split(","):
            w = WORKLOADS[name.strip()]
            epochs = w.quick_epochs if args.quick else w.epochs
            runs = 2 if args.quick else w.runs
            warmup = max(1, epochs // 10)
            scales = (1,) if (args.no_scaling or name != "W3") else (1, 2, 4)
            for dtype in w.dtypes:
                for scale in scales:
                    if scale > 1 and dtype != "float64":
                        continue
                    m = w.m * scale
                    tag = f"{w.name}-{dtype}-{scale}"
                    P = make_problem(w, m, dtype)
                    problem = tmp / f"{tag}.npz"
                    np.savez(problem, **P)
                    spec = {"layers": list(w.layers), "activations": list(w.activations),
                            "batch_size": w.batch_size, "learning_rate": w.learning_rate, "order_seed": 7}
                    Path(str(problem) + ".json").write_text(json.dumps(spec))
                    todo = ["dnn"] if scale > 1 else [p for p in peers if p != "dnn"]
                    if scale == 1 and "dnn" in peers:
                        todo = ["dnn"] + todo
                    if w.has_floor:
                        todo.append("floor")
                    results = spawn_rounds(todo, problem, epochs, runs, warmup, tmp, tag)
                    label = f"{w.name} {w.title}" + (f" m={m}" if len(scales) > 1 else "")
                    print(f"\n{label}: layers {list(w.layers)}, {', '.join(w.activations)}, m = {m}, batch "
                          f"{w.batch_size}, {epochs} epochs x {runs} runs, lr {w.learning_rate}, {dtype}")
                    print(header)
                    dnn = results.get("dnn")
                    dnn_t, dnn_lo = per_epoch(dnn) if dnn and "error" not in dnn else (None, None)
                    floor = results.get("floor")
                    floor_t, floor_lo = per_epoch(floor) if floor and "error" not in floor else (None, None)
                    if dnn_t and name.strip() == "W3" and dtype == "float64":
                        scaling[m] = dnn_lo
                        floor_scaling[m] = floor_lo
                    Y = one_hot(P["y"], w.layers[-1], np.float64)
                    for peer, r in results.items():
                        if "error" in r:
                            print(f"{label:<16} {dtype:<8} {peer:<8} failed: {r['error']}")
                            rows.append({"workload": w.name, "dtype": dtype, "m": m, "peer": peer, "error": r["error"]})
                            continue
                        med, lo = per_epoch(r)
                        ratio = f"{med / dnn_t:.2f}/{lo / dnn_lo:.2f}" if dnn_t else "-"
                        pct = (f"{100 * floor_t / med:.1f}/{100 * floor_lo / lo:.1f}%" if floor_t and peer != "floor"
                               else "-")
                        peak = r["rss_peak_kb"] / 1024
                        work = (r["rss_peak_kb"] - r["rss_imports_kb"]) / 1024
                        common, diff = "", ""
                        if "params" in r:
                            AL = reference_forward(r["params"], P["X"], w.activations)
                            common = f"{reference_cost(AL, Y):.15g}"
                            if dnn and "params" in dnn and peer != "dnn":
                                dnn_common = reference_cost(reference_forward(dnn["params"], P["X"], w.activations), Y)
                                diff = f"{rel(reference_cost(AL, Y), dnn_common):.1e}"
                        print(f"{'':<16} {dtype:<8} {peer:<8} {fmt_time(med):>12} {fmt_time(lo):>12} {ratio:>13} "
                              f"{pct:>15} {peak:7.0f}MB {work:7.1f}MB {common:>19} {diff:>10}")
                        row = {"workload": w.name, "dtype": dtype, "m": m, "peer": peer, "median_s": med, "min_s": lo,
                               "ratio_to_dnn": med / dnn_t if dnn_t else None,
                               "ratio_to_dnn_min": lo / dnn_lo if dnn_t else None,
                               "pct_of_floor": 100 * floor_t / med if floor_t and peer != "floor" else None,
                               "pct_of_floor_min": 100 * floor_lo / lo if floor_t and peer != "floor" else None,
                               "peak_rss_mb": peak, "work_rss_mb": work, "own_last_cost": r.get("cost"),
                               "end_cost_common": float(common) if common else None,
                               "rel_diff_to_dnn": float(diff) if diff else None}
                        rows.append(row)
                        for b in r.get("blas", []):
                            key = json.dumps(b, sort_keys=True)
                            if key not in printed_blas:
                                printed_blas.add(key)
                                report.setdefault("blas", []).append(b)
                        if "torch" in r:
                            report["torch"] = r["torch"]
                    if dnn and "params" in dnn:
                        budget = memory_budget(w, m, dtype)
                        print(f"{'':<16} memory budget 1.3 x (data + parameters + one batch of activations and "
                              f"gradients) = {1.3 * budget / 2**20:.1f} MB; dnn's working RSS = "
                              f"{(dnn['rss_peak_kb'] - dnn['rss_imports_kb']) / 1024:.1f} MB")
                    if dtype == "float64" and scale == 1:
                        own = {p: r["cost"] for p, r in results.items() if r.get("cost") is not None}
                        if "dnn" in own:
                            print(f"{'':<16} own last-epoch cost: " + ", ".join(
                                f"{p} {c:.15g} ({rel(c, own['dnn']):.1e})" for p, c in own.items()))
    if len(scaling) > 1:
        base_m = min(scaling)
        print("\nW3 float64 scaling (dnn, min per epoch): " + ", ".join(
            f"m = {m}: {fmt_time(t).strip()} ({t / scaling[base_m]:.2f} x for {m / base_m:.0f} x the samples)"
            for m, t in sorted(scaling.items())))
        if all(floor_scaling.get(m) for m in scaling):
            # The floor does the same products for every m: its own growth shows what the machine's noise did.
            print("  the GEMM floor over the same runs: " + ", ".join(
                f"{floor_scaling[m] / floor_scaling[base_m]:.2f} x" for m in sorted(scaling))
                  + "; dnn / floor: " + ", ".join(f"{scaling[m] / floor_scaling[m]:.2f}" for m in sorted(scaling)))
    report["scaling"] = scaling
    report["floor_scaling"] = floor_scaling
    print("\nBLAS / threads:")
    for b in report.get("blas", []):
        print("  " + ", ".join(f"{k}={v}" for k, v in b.items()))
    if "torch" in report:
        print("  torch: " + ", ".join(f"{k}={v}" for k, v in report["torch"].items()))
    for note in notes:
        print("note: " + note)
    agreement(rows)
    report["startup"] = startup_times(3 if args.quick else 7)
    print("\nstartup (wall time, median / min):")
    for k, v in report["startup"].items():
        print(f"  {k}: {v[0]:.3f} s / {v[1]:.3f} s" if isinstance(v, tuple) else f"  {k}: {v}")
    report["cli"] = cli_ratios(3 if args.quick else 5)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


def memory_budget(w: Workload, m: int, dtype: str) -> int:
    """Bytes of data + parameters (and their gradients) + one batch of X (when gathered), A and dZ per layer."""
    size = np.dtype(dtype).itemsize
    B = m if w.batch_size == "full" else min(w.batch_size, m)
    data = (w.layers[0] + w.layers[-1]) * m * size
    params = sum(n * (n_prev + 1) for n_prev, n in zip(w.layers[:-1], w.layers[1:])) * size
    batch = ((w.layers[0] * B if B < m else 0) + 2 * sum(w.layers[1:]) * B) * size
    return data + 2 * params + batch


def agreement(rows) -> None:
    """Float64 end costs (one common cost function of each peer's end parameters) against dnn's."""
    print("\nfloat64 end-cost agreement with dnn (common cost of the end parameters; target ~1e-12 relative):")
    for r in rows:
        if r.get("dtype") == "float64" and r.get("rel_diff_to_dnn") is not None and r["m"] == WORKLOADS[
                r["workload"]].m:
            verdict = "agrees" if r["rel_diff_to_dnn"] <= 1e-12 else "differs"
            print(f"  {r['workload']} {r['peer']:<8} {r['rel_diff_to_dnn']:.1e}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
