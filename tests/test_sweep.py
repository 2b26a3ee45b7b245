"""dnn sweep: the grid, every run identical to its `dnn train`, diverging runs, resumable --out, Ctrl-C, and a real
distributed run on a `dask scheduler` and a `dask worker` started here."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dnn_cli.errors import ConfigError, DataError, ParameterError
from dnn_cli.io.sweepfile import read_runs, write_runs
from dnn_cli.sweep import data_key, heldout_tables, parse_grid, plan_sweep, read_data, run_one, split_values

from .conftest import CONFIGS, ROOT, assert_input_error

SINE = CONFIGS / "sine.yaml"
FRUIT = CONFIGS / "fruit.yaml"
EPOCHS = 150
# 2 x 2 combinations x 2 seeds; learning_rate 10 diverges within a few epochs on the sine network
SINE_SWEEP = ["--grid", "train.learning_rate=0.05,10", "--grid", "model.init=xavier,he", "--seeds", "2",
              "--epochs", str(EPOCHS)]
COMPARED = ("status", "message", "epochs", "final", "history", "curve", "parameters_sha256", "warnings")


def needs_dask():
    return pytest.importorskip("dask.distributed", reason="needs Dask: pip install -e '.[sweep]'")


def digest(npz_path: Path) -> str:
    """The SHA-256 of a model file's W1, b1, ..., WL, bL, as `sweep.parameters_digest` takes it."""
    with np.load(npz_path, allow_pickle=False) as z:
        L = sum(1 for name in z.files if name.startswith("W") and name[1:].isdigit())
        h = hashlib.sha256()
        for l in range(1, L + 1):
            h.update(z[f"W{l}"].tobytes())
            h.update(z[f"b{l}"].tobytes())
    return h.hexdigest()


def by_run(records) -> dict:
    return {(json.dumps(r["grid"], sort_keys=True), r["seed"]): r for r in records}


# ---------------------------------------------------------------------------------------------
# The grid: parsing and validation (no Dask needed)


@pytest.mark.parametrize("text, values", [
    ("0.01,0.1,1", ["0.01", "0.1", "1"]),
    ("[2,4,1],[2,8,1]", ["[2,4,1]", "[2,8,1]"]),
    ("{hidden: relu, output: sigmoid}, [tanh, sigmoid]", ["{hidden: relu, output: sigmoid}", "[tanh, sigmoid]"]),
    ("'a,b',c", ["'a,b'", "c"]),
], ids=["numbers", "lists", "mapping-and-list", "quoted-comma"])
def test_split_values_keeps_commas_inside_brackets_and_quotes(text, values):
    assert split_values(text) == values


def test_grid_values_are_read_as_yaml_like_set():
    grid = parse_grid(["train.learning_rate=0.01,1", "model.layers=[1,8,1],[1,4,4,1]", "train.batch_size=full,32"])
    assert [g.key for g in grid] == ["train.learning_rate", "model.layers", "train.batch_size"]
    assert grid[0].values == (0.01, 1)
    assert grid[1].values == ([1, 8, 1], [1, 4, 4, 1])
    assert grid[2].values == ("full", 32)


@pytest.mark.parametrize("texts, fragment", [
    (["train.lr=1,2"], "grid 'train.lr=1,2': unknown key 'train.lr'; did you mean 'learning_rate'?"),
    (["train.learning_rate"], "grid 'train.learning_rate': expected KEY=V1,V2,..."),
    (["train.learning_rate=0.1,,1"], "an empty value"),
    (["train.learning_rate=0.1,0.1"], "a value is given twice"),
    (["model.init=he", "model.init=xavier"], "the key model.init is already in the grid"),
], ids=["unknown-key", "no-values", "empty-value", "repeated-value", "repeated-key"])
def test_bad_grid_is_refused_by_name(texts, fragment):
    with pytest.raises(ParameterError) as e:
        parse_grid(texts)
    assert fragment in str(e.value)


def test_every_combination_is_validated_before_any_run():
    grid = parse_grid(["model.init=he,hee", "train.learning_rate=0.1,-1"])
    with pytest.raises(ConfigError) as e:
        plan_sweep(SINE, grid)
    lines = str(e.value).splitlines()
    assert any(line.startswith("--grid model.init=hee: model.init:") and "did you mean 'he'" in line
               for line in lines), lines
    assert any(line.startswith("--grid train.learning_rate=-1: train.learning_rate:") for line in lines), lines


def test_the_configs_own_problem_is_reported_once_and_one_the_grid_fixes_is_not(tmp_path):
    text = SINE.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  noise: 0.1\n", "  noise: 0.1\n  nosie: 2\n"))
    with pytest.raises(ConfigError) as e:
        plan_sweep(bad, parse_grid(["model.init=he,xavier"]))
    line = bad.read_text().splitlines().index("  nosie: 2") + 1
    lines = str(e.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}:{line}: data.nosie: unknown key 'nosie'; did you mean 'noise'?")
    without_layers = tmp_path / "no-layers.yaml"
    without_layers.write_text(text.replace("  layers: [1, 20, 20, 1]\n", ""))
    sweep = plan_sweep(without_layers, parse_grid(["model.layers=[1,8,8,1],[1,4,4,1]"]))
    assert [run.config.model.layers for run in sweep.runs] == [[1, 8, 8, 1], [1, 4, 4, 1]]


def test_layers_that_do_not_fit_the_data_are_refused_before_any_run():
    sweep = plan_sweep(SINE, parse_grid(["model.layers=[1,8,8,1],[2,8,8,1]"]))
    with pytest.raises(ConfigError, match=r"model.layers\[0\]: n\^\[0\] = 2 but the data"):
        read_data(sweep)


def test_a_combination_that_clashes_with_the_file_is_named():
    with pytest.raises(ConfigError) as e:
        plan_sweep(SINE, parse_grid(["model.layers=[1,8,8,1],[1,8,1]"]))
    assert str(e.value).startswith("with --grid model.layers=[1,8,1]: ")
    assert "model.activations: expected 2 (one per layer l = 1..2 of layers [1, 8, 1]), got 3" in str(e.value)


def test_plan_covers_the_product_times_the_seeds():
    sweep = plan_sweep(SINE, parse_grid(["model.init=he,xavier", "train.learning_rate=0.1,0.2,0.3"]), seeds=3,
                       seed=7)
    assert sweep.seeds == [7, 8, 9]
    assert len(sweep.combinations) == 6 and len(sweep.runs) == 18
    assert sweep.combinations[1] == {"model.init": "he", "train.learning_rate": 0.2}
    run = sweep.runs[4]  # combination 1, seed 8
    assert (run.combination, run.seed, run.config.seed) == (1, 8, 8)
    assert (run.config.model.init, run.config.train.learning_rate) == ("he", 0.2)


def _file_config(tmp_path, files: dict, config: str):
    """Data files (name -> lines, header first) and the config c.yaml beside them; the config's path."""
    for name, lines in files.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def _colours(rows) -> list[str]:
    """A table with a text column: colour, weight, kind (0/1) for the given row numbers."""
    colours = ["red", "green", "blue"]
    return ["colour,weight,kind"] + [f"{colours[k % 3]},{k * 0.7 % 5},{(k % 3 == 0) ^ (k % 7 == 1):d}" for k in rows]


def test_runs_that_read_their_file_differently_do_not_share_one_reading(tmp_path):
    """data.missing (and data.ignore_columns) change what a data file reads as: a sweep over them reads it once per
    value, and each run trains on its own reading (before, every run took the first one)."""
    lines = ["a,b,kind"] + [f"{k},{'' if k % 5 == 0 else k * 0.5},{k % 2}" for k in range(1, 41)]
    config = _file_config(tmp_path, {"d.csv": lines}, "data:\n  source: d.csv\n  missing: drop\nmodel:\n  layers: "
                          "[2, 3, 1]\n  activations: [tanh, sigmoid]\ntrain:\n  epochs: 3\n")
    sweep = plan_sweep(config, parse_grid(["data.missing=drop,mean"]), seeds=1)
    datasets = read_data(sweep)
    assert len(datasets) == 2
    records = [run_one(run.config, sweep.source, datasets[data_key(run.config)]) for run in sweep.runs]
    assert [r["final"]["train_m"] for r in records] == [32, 40]


def test_a_file_with_text_columns_sweeps_as_dnn_train_trains_it(cli, tmp_path):
    """Raw columns (a text column here) are encoded per run, as prepare does; n^[0] is checked after encoding
    before any run starts (before, every such sweep stopped at once: 'the data has 0 features')."""
    config = _file_config(tmp_path, {"d.csv": _colours(range(60))}, "data:\n  source: d.csv\nmodel:\n  layers: "
                          "[4, 3, 1]\n  activations: [tanh, sigmoid]\ntrain:\n  epochs: 30\n  learning_rate: 0.5\n")
    sweep = plan_sweep(config, parse_grid(["train.learning_rate=0.5"]), seeds=1)
    datasets = read_data(sweep)
    record = run_one(sweep.runs[0].config, sweep.source, datasets[data_key(sweep.runs[0].config)])
    assert record["status"] == "finished", record["message"]
    metrics = tmp_path / "m.json"
    assert cli("train", config, "--quiet", "--metrics-out", metrics).exit_code == 0
    assert record["final"] == json.loads(metrics.read_text())["final"]
    wrong = plan_sweep(config, parse_grid(["model.layers=[3, 3, 1]"]), seeds=1)
    with pytest.raises(ConfigError, match="n\\^\\[0\\] = 3 but the data .* has 4 features after encoding"):
        read_data(wrong)
    fewer = plan_sweep(config, parse_grid(["data.ignore_columns=[],[weight]"]), seeds=1)
    with pytest.raises(ConfigError) as caught:
        read_data(fewer)
    assert str(caught.value).startswith("with --grid data.ignore_columns=[weight]: ")
    assert "n^[0] = 4 but the data" in str(caught.value) and "has 3 features after encoding" in str(caught.value)


def test_dev_and_test_files_are_read_once_by_the_client_not_by_the_workers(cli, tmp_path):
    """A remote cluster's workers need not see the client's paths: read_data reads the dev and test files, and a
    run given them trains as dnn train does (here with the files gone by the time it runs)."""
    config = _file_config(tmp_path, {"d.csv": _colours(range(60)), "dev.csv": _colours(range(60, 80)),
                                     "test.csv": _colours(range(80, 95))},
                          "data:\n  source: d.csv\n  dev_source: dev.csv\n  test_source: test.csv\nmodel:\n"
                          "  layers: [4, 3, 1]\n  activations: [tanh, sigmoid]\ntrain:\n  epochs: 30\n"
                          "  learning_rate: 0.5\n")
    metrics = tmp_path / "m.json"
    assert cli("train", config, "--quiet", "--metrics-out", metrics).exit_code == 0
    sweep = plan_sweep(config, parse_grid(["train.learning_rate=0.5"]), seeds=1)
    data = read_data(sweep)
    (tmp_path / "dev.csv").unlink()
    (tmp_path / "test.csv").unlink()
    run = sweep.runs[0]
    record = run_one(run.config, sweep.source, data[data_key(run.config)], heldout_tables(run.config, data))
    assert record["status"] == "finished", record["message"]
    assert record["final"] == json.loads(metrics.read_text())["final"]
    assert "test_accuracy" in record["final"] and "dev_accuracy" in record["final"]


def test_the_run_function_is_dnn_train(cli, tmp_path):
    """What a worker runs gives `dnn train --set ... --seed S`'s final metrics, history and parameters, bit for bit."""
    sweep = plan_sweep(FRUIT, parse_grid(["train.learning_rate=0.05,0.3"]), seeds=2, epochs=EPOCHS)
    datasets = read_data(sweep)
    for run in sweep.runs[1:3]:
        record = run_one(run.config, sweep.source, datasets[data_key(run.config)])
        model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
        rate = run.config.train.learning_rate
        result = cli("train", FRUIT, "--epochs", EPOCHS, "--set", f"train.learning_rate={rate}", "--seed", run.seed,
                      "--save", model, "--metrics-out", metrics, "--quiet")
        assert result.exit_code == 0, result.output
        document = json.loads(metrics.read_text())
        assert record["final"] == document["final"]
        assert record["history"] == document["history"]
        assert record["parameters_sha256"] == digest(model)


def test_a_diverging_run_is_a_record():
    sweep = plan_sweep(SINE, parse_grid(["train.learning_rate=10"]), epochs=EPOCHS)
    record = run_one(sweep.runs[0].config, sweep.source)
    assert record["status"] == "diverged"
    assert "the run diverged" in record["message"]
    assert record["final"] == {} and record["parameters_sha256"] is None
    assert 0 < record["epochs"] < EPOCHS


def test_results_file_round_trips_as_json_and_csv(tmp_path):
    records = [{"grid": {"model.layers": [1, 8, 1]}, "seed": 0, "status": "finished", "message": None, "epochs": 3,
                "seconds": 0.5, "final": {"cost": 0.1 + 0.2}, "history": [], "curve": [[0, 1.0]],
                "parameters_sha256": "ab", "warnings": [], "config": {"seed": 0}}]
    for name in ("r.json", "r.csv"):
        write_runs(tmp_path / name, records)
        assert read_runs(tmp_path / name) == records
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("model.layers,seed,status,epochs,seconds,")
    assert read_runs(tmp_path / "new.json") == []
    (tmp_path / "bad.json").write_text('{"runs": [1, 2]}')
    with pytest.raises(DataError, match="bad.json: expected a file written by dnn sweep --out"):
        read_runs(tmp_path / "bad.json")


def test_the_core_loads_no_dask():
    code = ("import sys; import dnn_cli.sweep, dnn_cli.sweep_engine, dnn_cli.sweep_results, dnn_cli.io.sweepfile; "
            "print([m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# The command line, before any cluster starts


def test_without_dask_the_command_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    result = cli("sweep", SINE, "--grid", "train.learning_rate=0.1,1")
    assert_input_error(result, "dnn sweep runs on Dask, which is not installed: pip install -e '.[sweep]'")


@pytest.mark.parametrize("args, fragment", [
    (["--grid", "train.lr=0.1,1"], "--grid 'train.lr=0.1,1': unknown key 'train.lr'"),
    (["--grid", "model.init=he,hee"], "--grid model.init=hee: model.init: expected one of"),
    ([], "missing --grid KEY=V1,V2,..."),
    (["--grid", "model.init=he", "--seeds", "0"], "--seeds: expected a positive number of seeds, got 0"),
    (["--grid", "model.init=he", "--workers", "0"], "--workers: expected a positive number of worker processes"),
    (["--grid", "model.init=he", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "cannot be combined"),
    (["--grid", "model.init=he", "--out", "r.txt"], "--out r.txt: expected a .json or .csv file name"),
    (["--grid", "model.init=he", "--save-best", "b.json"], "--save-best b.json: expected a .yaml or .yml file"),
], ids=["unknown-key", "bad-value", "no-grid", "seeds", "workers", "workers-and-scheduler", "out", "save-best"])
def test_bad_options_are_refused_before_any_run(cli, args, fragment):
    needs_dask()
    assert_input_error(cli("sweep", SINE, *args), fragment)


def test_an_unreadable_results_file_is_refused(cli, tmp_path):
    needs_dask()
    out = tmp_path / "r.json"
    out.write_text("not json")
    assert_input_error(cli("sweep", SINE, "--grid", "model.init=he", "--out", out),
                       f"{out}: expected a file written by dnn sweep --out")


# ---------------------------------------------------------------------------------------------
# Real runs on a local cluster (each start costs 2-3 s: one sweep, shared by the tests below)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    needs_dask()
    from typer.testing import CliRunner

    from dnn_cli.cli import app

    folder = tmp_path_factory.mktemp("local")
    out = folder / "local.json"
    runner = CliRunner(env={"COLUMNS": "120", "NO_COLOR": "1"})
    result = runner.invoke(app, ["sweep", str(SINE), *SINE_SWEEP, "--workers", "2", "--out", str(out),
                                 "--save-best", str(folder / "best.yaml")], catch_exceptions=False)
    return result, out, folder


@pytest.mark.slow
def test_sweep_runs_are_bit_identical_to_dnn_train(cli, local_sweep, tmp_path):
    result, out, _ = local_sweep
    assert result.exit_code == 0, result.output
    records = by_run(read_runs(out))
    assert len(records) == 8
    for init, seed in (("xavier", 0), ("he", 1), ("he", 0)):
        record = records[(json.dumps({"train.learning_rate": 0.05, "model.init": init}, sort_keys=True), seed)]
        model, metrics = tmp_path / f"{init}{seed}.npz", tmp_path / f"{init}{seed}.json"
        done = cli("train", SINE, "--epochs", EPOCHS, "--set", "train.learning_rate=0.05",
                   "--set", f"model.init={init}", "--seed", seed, "--save", model, "--metrics-out", metrics, "--quiet")
        assert done.exit_code == 0, done.output
        document = json.loads(metrics.read_text())
        assert record["final"] == document["final"]
        assert record["history"] == document["history"]
        assert record["parameters_sha256"] == digest(model)


@pytest.mark.slow
def test_diverged_runs_are_recorded_and_the_sweep_goes_on(local_sweep):
    result, out, folder = local_sweep
    assert result.exit_code == 0, result.output
    records = read_runs(out)
    diverged = [r for r in records if r["status"] == "diverged"]
    assert {r["grid"]["train.learning_rate"] for r in diverged} == {10}
    assert len(diverged) == 4 and all("the run diverged" in r["message"] for r in diverged)
    assert "0/2 (2 diverged)" in result.stdout
    table = [line for line in result.stdout.splitlines() if "│" in line]
    assert table[0].startswith("│ * │ 0.05"), table  # the best marked first; the diverged combinations last
    assert all("diverged" in line for line in table[-2:])
    assert "ran 8 of 8 runs on a local Dask cluster of 2 worker processes" in result.stdout
    best = (folder / "best.yaml").read_text()
    assert "learning_rate: 0.05" in best and "epochs: 150" in best


@pytest.mark.slow
def test_the_same_command_with_the_same_out_skips_the_runs_there(cli, local_sweep, tmp_path):
    _, out, _ = local_sweep
    records = read_runs(out)
    again = tmp_path / "again.json"
    shutil.copy(out, again)
    result = cli("sweep", SINE, *SINE_SWEEP, "--workers", "1", "--out", again)
    assert result.exit_code == 0, result.output
    assert "all 8 runs taken from" in result.stdout and "nothing left to run" in result.stdout
    assert read_runs(again) == records
    # A sweep cut short: one run missing from the file is the only one run again.
    dropped = records[5]
    write_runs(again, records[:5] + records[6:])
    result = cli("sweep", SINE, *SINE_SWEEP, "--workers", "1", "--out", again)
    assert result.exit_code == 0, result.output
    assert "ran 1 of 1 runs on a local Dask cluster of 1 worker process" in result.stdout
    assert "7 taken from" in result.stdout
    resumed = read_runs(again)
    assert len(resumed) == 8
    rerun = by_run(resumed)[(json.dumps(dropped["grid"], sort_keys=True), dropped["seed"])]
    assert {k: rerun[k] for k in COMPARED} == {k: dropped[k] for k in COMPARED}


@pytest.mark.slow
def test_a_sweep_whose_runs_all_diverge_saves_no_best(cli, tmp_path):
    needs_dask()
    best = tmp_path / "best.yaml"
    result = cli("sweep", SINE, "--grid", "train.learning_rate=10,20", "--epochs", EPOCHS, "--workers", "1",
                 "--save-best", best)
    assert result.exit_code == 0, result.output
    assert "0/1 (1 diverged)" in result.stdout
    assert f"no run finished: nothing saved to {best}" in result.stdout and not best.exists()


@pytest.mark.slow
def test_file_data_is_read_once_and_sent_to_the_workers(cli, tmp_path):
    needs_dask()
    out = tmp_path / "fruit.csv"
    result = cli("sweep", FRUIT, "--grid", "train.learning_rate=0.05,0.3", "--epochs", EPOCHS, "--workers", "1",
                 "--out", out)
    assert result.exit_code == 0, result.output
    assert "dev acc" in result.stdout
    records = read_runs(out)
    model = tmp_path / "m.npz"
    done = cli("train", FRUIT, "--epochs", EPOCHS, "--set", "train.learning_rate=0.3", "--save", model, "--quiet")
    assert done.exit_code == 0, done.output
    assert by_run(records)[('{"train.learning_rate": 0.3}', 0)]["parameters_sha256"] == digest(model)


@pytest.mark.slow
def test_ctrl_c_cancels_the_pending_runs_and_keeps_the_finished(tmp_path):
    needs_dask()
    out = tmp_path / "r.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "dnn_cli", "sweep", str(SINE), "--grid", "train.learning_rate=0.01,0.02,0.03",
         "--seeds", "8", "--epochs", "1500", "--workers", "1", "--out", str(out)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert out.exists(), process.communicate()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert "dnn: interrupted: cancelled the" in stderr and f"wrote them to {out}" in stderr
    records = read_runs(out)
    assert 1 <= len(records) < 24
    assert all(r["status"] == "finished" for r in records)
    assert f"{len(records)} of 24 runs" in stdout


# ---------------------------------------------------------------------------------------------
# A real distributed run: `dask scheduler` and one `dask worker` as processes of their own


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler on a free port of 127.0.0.1 (port 0, the address read from its --scheduler-file) and one worker,
    both started in a folder of their own; killed at the end whatever happens."""
    needs_dask()
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = []

    def start(*args):
        log = open(folder / f"{args[0]}.log", "w")  # noqa: SIM115 - closed with the process below
        processes.append((subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=folder, env=env,
                                           stdout=log, stderr=subprocess.STDOUT), log))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
              str(scheduler_file))
        deadline = time.monotonic() + 60
        address = None
        while address is None and time.monotonic() < deadline:
            try:
                address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        assert address is not None, (folder / "scheduler.log").read_text()
        start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--local-directory",
              str(folder))
        from dask.distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process, log in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


@pytest.mark.slow
def test_a_sweep_on_a_real_cluster_gives_the_local_clusters_results(cli, local_sweep, dask_cluster, tmp_path):
    _, local_out, _ = local_sweep
    out = tmp_path / "distributed.json"
    result = cli("sweep", SINE, *SINE_SWEEP, "--scheduler", dask_cluster, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"on the Dask cluster at {dask_cluster} (1 worker)" in result.stdout
    local, distributed = by_run(read_runs(local_out)), by_run(read_runs(out))
    assert local.keys() == distributed.keys() and len(local) == 8
    for key, record in local.items():
        assert {k: distributed[key][k] for k in COMPARED} == {k: record[k] for k in COMPARED}, key


@pytest.mark.slow  # Dask tries to connect for 10 s
def test_an_unreachable_scheduler_is_an_input_error(cli):
    needs_dask()
    result = cli("sweep", SINE, "--grid", "model.init=he", "--epochs", "5", "--scheduler", "tcp://127.0.0.1:9")
    assert_input_error(result, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")


def test_a_readme_sample_needing_a_missing_module_is_kept_as_written(tmp_path):
    from .test_readme import readme_samples

    text = ("<!-- sample: needs no_such_module.sub -->\n```\n$ dnn datasets\nwhat was there\n```\n<!-- /sample -->\n"
            "<!-- sample: needs json -->\n```\n$ dnn --version\nold\n```\n<!-- /sample -->\n")
    regenerated = readme_samples.regenerate(text, tmp_path)
    assert "$ dnn datasets\nwhat was there\n" in regenerated
    assert "$ dnn --version\ndnn " in regenerated and "old" not in regenerated


def test_a_run_given_the_data_never_opens_the_data_file(tmp_path):
    """The client reads a data file once; the workers get its contents and need no shared file system."""
    shutil.copy(FRUIT, tmp_path / "fruit.yaml")
    shutil.copy(CONFIGS / "fruit.csv", tmp_path / "fruit.csv")
    sweep = plan_sweep(tmp_path / "fruit.yaml", parse_grid(["train.learning_rate=0.3"]), epochs=EPOCHS)
    run = sweep.runs[0]
    data = read_data(sweep)[data_key(run.config)]
    expected = run_one(run.config, sweep.source)
    (tmp_path / "fruit.csv").unlink()
    record = run_one(run.config, sweep.source, data)
    assert record["status"] == "finished"
    assert {k: record[k] for k in COMPARED} == {k: expected[k] for k in COMPARED}


@pytest.mark.slow
def test_a_worker_that_dies_has_its_runs_retried_elsewhere():
    needs_dask()
    from dnn_cli.sweep_engine import Engine, finished, submit

    sweep = plan_sweep(SINE, parse_grid(["train.learning_rate=0.01,0.02"]), seeds=3, epochs=1500)
    engine = Engine(workers=2).start()
    try:
        client = engine.client()
        futures = submit(client, sweep, sweep.runs, {})
        deadline = time.monotonic() + 60
        while not client.processing() or not any(client.processing().values()):  # a run under way somewhere
            assert time.monotonic() < deadline
            time.sleep(0.05)
        busy = next(address for address, keys in client.processing().items() if keys)
        pid = client.run(os.getpid, workers=[busy])[busy]
        os.kill(pid, signal.SIGKILL)
        records = {run.seed + 10 * run.combination: record for run, record in finished(client, futures)}
    finally:
        engine.close()
    assert len(records) == 6
    for run in sweep.runs:
        expected = run_one(run.config, sweep.source)
        record = records[run.seed + 10 * run.combination]
        assert {k: record[k] for k in COMPARED} == {k: expected[k] for k in COMPARED}
