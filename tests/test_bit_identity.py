"""Training is bit-identical to the recorded runs: every shipped config and a few variants, 300 epochs each.

tests/data/bit_identity.json holds, per run, the final cost (float.hex), a sha256 of the costs of every
epoch and a sha256 of the final theta's bytes. The numbers depend on the machine's BLAS (its kernels
round differently), so the file also records the BLAS fingerprint it was made with, and the test skips,
saying why, on a machine whose fingerprint differs: it is a same-machine check, run before and after a
refactoring that must not change a single bit. Record it again (on purpose, never to make it pass) with

    PYTHONPATH=$PWD python tests/test_bit_identity.py --record
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "bit_identity.json"
EPOCHS = 300

# name -> (config, --set overrides, parameters file for --init-from or None)
RUNS = {
    "circles": ("configs/circles.yaml", [], None),
    "deep": ("configs/deep.yaml", [], None),
    "deep_relu": ("configs/deep_relu.yaml", [], None),
    "flower": ("configs/flower.yaml", [], None),
    "fruit": ("configs/fruit.yaml", [], None),
    "houses": ("configs/houses.yaml", [], None),
    "sine": ("configs/sine.yaml", [], None),
    "spiral": ("configs/spiral.yaml", [], None),
    "course-planar": ("configs/course/planar.yaml", [], "configs/course/parameters.npz"),
    "flower-dropout": ("configs/flower.yaml", ["model.keep_prob=0.8"], None),
    "flower-adam-minibatch-l2": ("configs/flower.yaml", ["train.optimizer=adam", "train.batch_size=64",
                                                         "train.l2=0.1", "train.learning_rate=0.01"], None),
    "flower-float32": ("configs/flower.yaml", ["train.dtype=float32"], None),
    "flower-rmsprop-batch50": ("configs/flower.yaml", ["train.optimizer=rmsprop", "train.batch_size=50",
                                                       "train.learning_rate=0.01"], None),
    "circles-leaky-momentum": ("configs/circles.yaml", ["model.activations=[leaky_relu, leaky_relu, sigmoid]",
                                                        "train.optimizer=momentum"], None),
    "spiral-dropout-minibatch": ("configs/spiral.yaml", ["model.keep_prob=0.9", "train.batch_size=32"], None),
}


def blas_fingerprint() -> dict:
    """What decides the rounding of the matrix products: numpy, its BLAS build, the machine and its CPU."""
    found = {"numpy": np.__version__, "machine": platform.machine()}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        found["blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception:  # an older numpy without mode="dicts": the version and machine must do
        pass
    try:
        from threadpoolctl import threadpool_info
        found["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture")}
                                for p in threadpool_info()]
    except ImportError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                found["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return found


def same_machine(recorded: dict, here: dict) -> bool:
    """The fingerprints agree on every entry both hold (threadpoolctl, say, may be installed on one side only)."""
    shared = recorded.keys() & here.keys()
    return {"numpy", "machine"} <= shared and all(recorded[k] == here[k] for k in shared)


def run(name: str) -> dict:
    """Train run `name` for EPOCHS epochs through the library; its final cost and the hashes."""
    from dnn_cli import fit, load_config, prepare

    path, overrides, init_from = RUNS[name]
    cfg = load_config(ROOT / path, overrides, epochs=EPOCHS)
    parameters = None
    if init_from is not None:
        with np.load(ROOT / init_from) as archive:
            parameters = {key: archive[key] for key in archive.files}
    result = fit(prepare(cfg, source=path, parameters=parameters))
    costs = np.array(result.costs, dtype=np.float64)
    return {"final_cost": float(result.costs[-1]).hex(),
            "costs_sha256": hashlib.sha256(costs.tobytes()).hexdigest(),
            "theta_sha256": hashlib.sha256(result.network.theta.tobytes()).hexdigest(),
            "theta_dtype": str(result.network.theta.dtype)}


def _recorded() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(RUNS))
def test_training_is_bit_identical_to_the_recorded_run(name):
    recorded = _recorded()
    if not same_machine(recorded["fingerprint"], blas_fingerprint()):
        pytest.skip(f"same-machine check: {RECORD.name} was recorded with a different numpy/BLAS/CPU "
                    f"({recorded['fingerprint']}), this machine has {blas_fingerprint()}")
    assert run(name) == recorded["runs"][name]


def test_the_record_covers_every_shipped_config():
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "configs").glob("*.yaml")} | {"configs/course/planar.yaml"}
    assert shipped <= {path for path, _, _ in RUNS.values()}
    assert set(_recorded()["runs"]) == set(RUNS)


def test_another_machine_skips_with_the_reason(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "blas_fingerprint", lambda: {"numpy": "0.0", "machine": "elsewhere"})
    with pytest.raises(pytest.skip.Exception, match="same-machine check: .* recorded with a different numpy/BLAS/CPU"):
        test_training_is_bit_identical_to_the_recorded_run("flower")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: PYTHONPATH=$PWD python tests/test_bit_identity.py --record")
    document = {"epochs": EPOCHS, "fingerprint": blas_fingerprint(), "runs": {name: run(name) for name in RUNS}}
    RECORD.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(RUNS)} runs to {RECORD}")
