"""Model files: round trips, what plain numpy sees, and every kind of bad file refused with exit 2."""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import zipfile

import numpy as np
import pytest

from dnn_cli import predictor
from dnn_cli.config import load_config
from dnn_cli.errors import ModelFileError
from dnn_cli.io.modelfile import FORMAT_VERSION, load_model, model_arrays
from dnn_cli.pipeline import fit, prepare

from .conftest import CONFIGS, assert_input_error, save_prepared


def _trained(config="flower.yaml", *sets, epochs=30):
    cfg = load_config(CONFIGS / config, ["train.log_every=10", *sets], epochs=epochs)
    prepared = prepare(cfg)
    fit(prepared)
    return cfg, prepared


def _save(path, cfg, prepared, *, state=True):
    return save_prepared(path, cfg, prepared, state=state)


@pytest.fixture(scope="module")
def flower_model(tmp_path_factory):
    cfg, prepared = _trained()
    return _save(tmp_path_factory.mktemp("model") / "flower.npz", cfg, prepared), prepared


def _arrays(path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _rewrite(src, dst, **changes):
    """Copy a model file with arrays replaced (a value) or removed (None)."""
    arrays = _arrays(src)
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    np.savez(dst, **arrays)
    return dst


@pytest.mark.parametrize("config, sets", [
    ("flower.yaml", ()),
    ("fruit.yaml", ()),
    ("spiral.yaml", ("train.optimizer=adam", "train.learning_rate=0.01")),
    ("sine.yaml", ("train.dtype=float32",)),
], ids=["flower-sigmoid", "fruit-csv-strings-standardized", "spiral-softmax-adam", "sine-regression-float32"])
def test_save_load_round_trip_gives_the_same_outputs(tmp_path, config, sets):
    cfg, prepared = _trained(config, *sets)
    model = load_model(_save(tmp_path / "m.npz", cfg, prepared))
    X = prepared.train.X
    np.testing.assert_allclose(model.network.predict_proba(X), prepared.network.predict_proba(X), rtol=0, atol=0)
    assert model.network.layers == prepared.network.layers
    assert model.network.activations == prepared.network.activations
    assert model.network.dtype == prepared.network.dtype
    assert model.classes == prepared.train.classes
    assert model.features == prepared.train.feature_names
    assert model.config == cfg
    assert model.epoch == 30
    np.testing.assert_array_equal(model.state["costs"], prepared.state.costs)


def test_string_labels_survive_and_predict_returns_them(tmp_path):
    cfg, prepared = _trained("fruit.yaml", epochs=200)
    model = load_model(_save(tmp_path / "fruit.npz", cfg, prepared))
    assert model.classes == ("apple", "lemon", "orange")
    raw = prepared.standardizer.mean + prepared.train.X * prepared.standardizer.std
    expected = [model.classes[k] for k in prepared.network.predict(prepared.train.X)[0]]
    assert predictor.predict(model, raw) == expected


def test_a_model_file_is_plain_numpy(flower_model):
    path, prepared = flower_model
    arrays = _arrays(path)
    assert {"W1", "b1", "W2", "b2", "config", "format_version", "classes", "features"} <= set(arrays)
    assert arrays["W1"].shape == (4, 2) and arrays["b2"].shape == (1, 1)
    assert int(arrays["format_version"]) == FORMAT_VERSION
    assert json.loads(str(arrays["config"]))["model"]["layers"] == [2, 4, 1]
    assert json.loads(str(arrays["classes"])) == [0, 1]
    assert all(a.dtype != object for a in arrays.values())


def test_a_save_leaves_no_temporary_file(tmp_path):
    cfg, prepared = _trained(epochs=5)
    _save(tmp_path / "m.npz", cfg, prepared)
    _save(tmp_path / "m.npz", cfg, prepared)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


class _Touch:
    """Unpickling this creates a file: proof that something was executed."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def _bad_files(src, tmp_path):
    """(id, path, fragment of the expected message) for every kind of broken model file."""
    good = src.read_bytes()
    marker = tmp_path / "EXECUTED"
    cases = []

    def add(name, fragment, data=None, **changes):
        path = tmp_path / f"{name}.npz"
        if data is not None:
            path.write_bytes(data)
        else:
            _rewrite(src, path, **changes)
        cases.append((name, path, fragment))

    add("empty", "not a readable NPZ file", data=b"")
    add("garbage", "not a readable NPZ file", data=b"this is not a zip archive at all" * 10)
    add("truncated", "not a readable NPZ file", data=good[: len(good) // 2])
    add("pickle", "not a zip archive of arrays; refusing to unpickle it", data=pickle.dumps(_Touch(marker)))
    object_array = np.empty(1, dtype=object)
    object_array[0] = _Touch(marker)
    add("object-array", "array 'W1' holds Python objects", W1=object_array)
    add("misshaped-W", "array 'W1': expected shape (4, 2), got (2, 4)", W1=np.zeros((2, 4)))
    add("misshaped-b", "array 'b2': expected shape (1, 1), got (1,)", b2=np.zeros(1))
    add("integer-W", "array 'W2': expected dtype float64, got int64", W2=np.zeros((1, 4), dtype=np.int64))
    add("nan-W", "array 'W1': contains NaN", W1=np.full((4, 2), np.nan))
    add("missing-b2", "array 'b2' is missing", b2=None)
    add("missing-config", "array 'config' is missing", config=None)
    add("not-a-model", "array 'format_version' is missing", format_version=None)
    add("newer-version", f"format_version {FORMAT_VERSION + 1} is newer", format_version=np.array(FORMAT_VERSION + 1))
    add("config-not-json", "array 'config': expected valid JSON", config=np.array("{layers: [2, 4, 1"))
    add("config-invalid", "model.init", config=np.array(json.dumps(
        {"model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"], "init": "hee"}})))
    add("config-numeric", "expected a JSON text", config=np.array(3.0))
    add("unknown-array", "array 'payload' is not part of a model", payload=np.zeros(3))
    add("classes-count", "array 'classes': expected 2 labels", classes=np.array(json.dumps(["a", "b", "c"])))
    add("state-missing-costs", "array 'costs' is missing", costs=None)
    add("state-bad-rng", "array 'rng_state'", rng_state=np.array(json.dumps({"bit_generator": "MT19937"})))
    add("state-costs-length", "array 'costs': expected shape (30,)", costs=np.zeros(7))
    # A stored (not compressed) member with a flipped byte fails its CRC check.
    with zipfile.ZipFile(src) as archive:
        offset = archive.getinfo("W1.npy").header_offset + 100
    flipped = bytearray(good)
    flipped[offset] ^= 0xFF
    add("crc", "corrupt", data=bytes(flipped))
    return cases, marker


_CASE_IDS = ["empty", "garbage", "truncated", "pickle", "object-array", "misshaped-W", "misshaped-b", "integer-W",
             "nan-W", "missing-b2", "missing-config", "not-a-model", "newer-version", "config-not-json",
             "config-invalid", "config-numeric", "unknown-array", "classes-count", "state-missing-costs",
             "state-bad-rng", "state-costs-length", "crc"]


@pytest.mark.parametrize("case", _CASE_IDS)
def test_bad_model_files_exit_2_and_never_execute(cli, flower_model, tmp_path, case):
    src, _ = flower_model
    cases, marker = _bad_files(src, tmp_path)
    name, path, fragment = next(c for c in cases if c[0] == case)
    data = tmp_path / "points.csv"
    data.write_text("x1,x2\n0.5,1.0\n", encoding="utf-8")
    for command in (("predict", path, data), ("evaluate", path, data)):
        result = cli(*command)
        assert_input_error(result, str(path), fragment)
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not marker.exists()


def test_init_from_a_pickled_file_is_refused_too(cli, tmp_path):
    marker = tmp_path / "EXECUTED"
    path = tmp_path / "evil.npz"
    buffer = io.BytesIO()
    object_array = np.empty(1, dtype=object)
    object_array[0] = _Touch(marker)
    np.savez(buffer, W1=object_array)
    path.write_bytes(buffer.getvalue())
    result = cli("train", CONFIGS / "flower.yaml", "--epochs", 2, "--init-from", path)
    assert_input_error(result, "refusing to unpickle")
    assert not marker.exists()


def test_model_arrays_names_follow_the_layers():
    cfg, prepared = _trained(epochs=2)
    arrays = model_arrays(prepared.network, cfg.to_dict(), state=prepared.state)
    assert {"W1", "b1", "W2", "b2", "epoch", "costs", "history", "rng_state", "early_stopping",
            "optimizer_t"} <= set(arrays)


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from dnn_cli.io.atomic import atomic_write

    path = tmp_path / "out.bin"
    atomic_write(path, b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_single_npy_array_named_npz_is_refused(cli, tmp_path):
    path = tmp_path / "single.npz"
    with open(path, "wb") as f:
        np.save(f, np.ones(3))
    result = cli("predict", path, tmp_path / "whatever.csv")
    assert result.exit_code == 2 and "got a single .npy array" in result.stderr and "Traceback" not in result.output
    result = cli("train", CONFIGS / "flower.yaml", "--init-from", path)
    assert result.exit_code == 2 and "got a single .npy array" in result.stderr
