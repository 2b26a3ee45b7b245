"""Generated damage to a real model file: every variant loads, or is refused with exit 2 naming the file.

The hand-written cases (one per kind of damage, with the exact message) are in test_model_files.py;
these are the property-based versions: random truncation, byte flips, arrays replaced by arrays of
any dtype and shape, arrays removed or added, and any JSON in place of the config.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dnn_cli.errors import ModelFileError
from dnn_cli.io.modelfile import load_model

from .conftest import ADAM_CHECKPOINT, CONFIGS, assert_input_error, train_and_save

# DNN_FUZZ_EXAMPLES=2000 explores further (random, not derandomized) than the bounded default run.
EXAMPLES = int(os.environ.get("DNN_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=EXAMPLES or 60, derandomize=not EXAMPLES, deadline=None, database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A flower checkpoint (Adam, so it holds optimizer moments), its bytes and a data file to predict on."""
    folder = tmp_path_factory.mktemp("model")
    path = folder / "flower.npz"
    train_and_save(path, CONFIGS / "flower.yaml", ADAM_CHECKPOINT, epochs=10)
    data = folder / "points.csv"
    data.write_text("x1,x2,label\n0.5,1.0,1\n-2,0.25,0\n", encoding="utf-8")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return path.read_bytes(), arrays, data


def check(cli, path, data):
    """load_model gives a Model or a ModelFileError naming the file; predict and evaluate exit 0 or 2."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            loaded = load_model(path)
        except ModelFileError as e:
            assert str(path) in str(e)
            loaded = None
        for command in ("predict", "evaluate"):
            result = cli(command, path, data)
            assert result.exit_code in (0, 2), result.output
            assert "Traceback" not in result.output
            if result.exit_code == 2:
                lines = result.stderr.splitlines()
                assert lines and all(line.startswith("dnn: error: ") for line in lines), result.stderr
                assert str(path) in result.stderr or str(data) in result.stderr, result.stderr
            elif loaded is not None:
                assert "nan" not in result.stdout.lower()
    return loaded


@pytest.mark.slow
@SETTINGS
@given(cut=st.integers(0, 10**9))
def test_a_truncated_model_file_is_refused(cli, model, tmp_path, cut):
    good, _, data = model
    path = tmp_path / "cut.npz"
    path.write_bytes(good[: cut % len(good)])
    assert check(cli, path, data) is None


@pytest.mark.slow
@SETTINGS
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=8))
def test_flipped_bytes_load_or_are_refused(cli, model, tmp_path, flips):
    good, _, data = model
    damaged = bytearray(good)
    for at, mask in flips:
        damaged[at % len(good)] ^= mask
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(damaged))
    loaded = check(cli, path, data)
    if loaded is not None:
        assert loaded.network.is_finite()


DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128, "<U4", "S4", "M8[s]"])
ANY_ARRAY = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
NAMES = ["W1", "b1", "W2", "b2", "config", "format_version", "classes", "features", "epoch", "costs", "history",
         "rng_state", "early_stopping", "optimizer_t", "optimizer_vW1", "optimizer_sb2", "x_mean", "x_std", "extra"]


@pytest.mark.slow
@SETTINGS
@given(changes=st.dictionaries(st.sampled_from(NAMES), st.none() | ANY_ARRAY, min_size=1, max_size=3))
def test_arrays_replaced_removed_or_added(cli, model, tmp_path, changes):
    _, arrays, data = model
    arrays = dict(arrays)
    for name, value in changes.items():
        if value is None:
            arrays.pop(name, None)
        else:
            arrays[name] = value
    path = tmp_path / "changed.npz"
    np.savez(path, **arrays)
    check(cli, path, data)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=10)
SECTIONS = st.sampled_from(["seed", "data", "model", "train", "model.layers", "model.activations", "model.loss",
                            "train.optimizer", "train.dtype", "train.epochs", "data.source", "data.label"])


@pytest.mark.slow
@SETTINGS
@given(where=SECTIONS, value=JSON)
def test_any_json_in_the_config(cli, model, tmp_path, where, value):
    _, arrays, data = model
    config = json.loads(str(arrays["config"]))
    node = config
    *parents, key = where.split(".")
    for part in parents:
        node = node[part]
    node[key] = value
    path = tmp_path / "config.npz"
    np.savez(path, **{**arrays, "config": np.array(json.dumps(config))})
    check(cli, path, data)


@pytest.mark.parametrize("name, text", [
    ("config", "[" * 100_000 + "]" * 100_000),
    ("history", "[" * 100_000 + "]" * 100_000),
    ("config", "1" * 100_000),
    ("classes", json.dumps([[0], [1]])),
    ("history", json.dumps([{"epoch": "x", "cost": None}])),
    ("early_stopping", json.dumps({"best_cost": "low", "best_epoch": [], "wait": None, "stopped_early": 3})),
], ids=["deep-config", "deep-history", "huge-number", "nested-classes", "history-types", "early-stopping-types"])
def test_hostile_json_arrays_are_refused(cli, model, tmp_path, name, text):
    _, arrays, data = model
    path = tmp_path / "json.npz"
    np.savez(path, **{**arrays, name: np.array(text)})
    with pytest.raises(ModelFileError, match=f"array '{name}'"):
        load_model(path)
    assert_input_error(cli("predict", path, data), str(path), f"array '{name}'")


def test_a_huge_declared_shape_is_refused_without_allocating(cli, model, tmp_path):
    import io
    import zipfile

    good, _, data = model
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 10**9)})
    path = tmp_path / "huge.npz"
    path.write_bytes(good)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("W9.npy", header.getvalue() + b"\x00" * 16)
    # Refused by its name, before its header's shape is even considered.
    assert_input_error(cli("predict", path, data), str(path), "array 'W9'", "not part of a model of layers")
