"""The I/O package's single homes: one registry of data formats, one NPZ member reader, the core naming its
parameters (the CLI its flags)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dnn_cli.config import load_config
from dnn_cli.errors import SUGGEST_LIMIT, DataError, suggest
from dnn_cli.io.tables import READERS, Reader, TextTable, is_data_file, load_file
from dnn_cli.network import Network
from dnn_cli.pipeline import fit, prepare
from dnn_cli.predictor import read_inputs

from .conftest import assert_input_error, write

ROWS = [(1.0, 2.0, "a"), (-1.0, 2.0, "b"), (2.0, 1.0, "a"), (-2.0, -1.0, "a"), (0.5, -3.0, "b"), (3.0, -0.5, "b")]


def read_tsv(path: Path) -> TextTable:
    """A toy data format: tab-separated cells, a header line, one sample per line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    rows = [(n, line.split("\t")) for n, line in enumerate(lines[1:], start=2) if line]
    return TextTable(str(path), 1, [c.strip() for c in lines[0].split("\t")], rows)


@pytest.fixture
def tsv_format(monkeypatch):
    """'.tsv' registered through the one entry a new format needs."""
    monkeypatch.setitem(READERS, ".tsv", Reader(read_tsv, header=True))


def _table(tmp_path, name: str, sep: str) -> Path:
    return write(tmp_path / name, sep.join(["x1", "x2", "label"]) + "\n"
                 + "".join(sep.join(str(c) for c in row) + "\n" for row in ROWS))


def _config(tmp_path, source: str) -> Path:
    return write(tmp_path / f"{source}.yaml", f"seed: 1\ndata: {{source: {source}}}\nmodel:\n  layers: [2, 3, 1]\n"
                                              "  activations: [tanh, sigmoid]\ntrain:\n  learning_rate: 0.5\n"
                                              "  epochs: 30\n  log_every: 10\n")


def test_a_format_registered_in_readers_trains_like_the_same_table_as_csv(cli, tmp_path, tsv_format):
    _table(tmp_path, "d.tsv", "\t"), _table(tmp_path, "d.csv", ",")
    runs = {}
    for source in ("d.tsv", "d.csv"):
        metrics = tmp_path / f"{source}.json"
        result = cli("train", _config(tmp_path, source), "-q", "--metrics-out", metrics,
                     "--save", tmp_path / f"{source}.npz")
        assert result.exit_code == 0, result.output
        runs[source] = json.loads(metrics.read_text())
    assert runs["d.tsv"]["history"] == runs["d.csv"]["history"]
    assert runs["d.tsv"]["final"] == runs["d.csv"]["final"]
    # predict and evaluate read it through the same entry, matching the model's feature names
    predicted = cli("predict", tmp_path / "d.tsv.npz", tmp_path / "d.tsv")
    assert predicted.exit_code == 0, predicted.output
    assert predicted.stdout == cli("predict", tmp_path / "d.csv.npz", tmp_path / "d.csv").stdout
    assert cli("evaluate", tmp_path / "d.tsv.npz", tmp_path / "d.tsv", "--json").exit_code == 0


def test_a_registered_format_trains_through_the_library(tmp_path, tsv_format):
    _table(tmp_path, "d.tsv", "\t")
    config = load_config(_config(tmp_path, "d.tsv"))
    assert config.data.is_file() and Path(config.data.source).is_absolute()
    prepared = prepare(config)
    assert prepared.train.feature_names == ("x1", "x2") and prepared.train.classes == ("a", "b")
    np.testing.assert_array_equal(prepared.train.X, np.array([r[:2] for r in ROWS]).T)
    assert len(fit(prepared).state.costs) == 30


def test_without_its_reader_a_suffix_is_no_data_file(cli, tmp_path):
    assert not is_data_file("d.tsv") and is_data_file("d.csv") and is_data_file("d.NPZ")
    _table(tmp_path, "d.tsv", "\t")
    assert_input_error(cli("train", _config(tmp_path, "d.tsv")), "unknown dataset 'd.tsv'")
    with pytest.raises(DataError, match=r"d\.tsv: expected a data file ending in \.csv or \.npz, got '\.tsv'"):
        load_file(tmp_path / "d.tsv")


def test_the_data_path_check_names_the_registered_suffixes(cli, tmp_path, tsv_format):
    (tmp_path / "folder.tsv").mkdir()
    assert_input_error(cli("train", _config(tmp_path, "folder.tsv")),
                       "data.source: expected a .csv, .npz or .tsv file, got a directory")


def _npz_with_raw_member(path: Path, raw: str) -> None:
    """An NPZ whose member `raw` is stored without the .npy suffix and magic: numpy hands back its bytes."""
    arrays = {"X": np.ones((3, 2)), "y": np.array([0, 1, 0])}
    with zipfile.ZipFile(path, "w") as archive:
        for name, a in arrays.items():
            if name == raw:
                archive.writestr(name, b"hello")
            else:
                buffer = io.BytesIO()
                np.save(buffer, a)
                archive.writestr(f"{name}.npy", buffer.getvalue())


@pytest.mark.parametrize("raw", ["X", "y"])
def test_a_raw_data_member_is_refused_by_name(cli, tmp_path, raw):
    path = tmp_path / "raw.npz"
    _npz_with_raw_member(path, raw)
    expected = f"{path}: array '{raw}' is not a .npy array (a raw 5-byte member)"
    with pytest.raises(DataError) as caught:
        load_file(path)
    assert str(caught.value) == expected
    with pytest.raises(DataError) as caught:
        read_inputs(path, n_x=2)
    assert str(caught.value) == expected
    np.savez(tmp_path / "train.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))
    config = write(tmp_path / "c.yaml", "data: {source: train.npz}\nmodel: {layers: [2, 2, 1], activations: "
                                        "[tanh, sigmoid]}\ntrain: {epochs: 2}\n")
    assert cli("train", config, "-q", "--save", tmp_path / "m.npz").exit_code == 0
    for command in ("predict", "evaluate"):
        assert_input_error(cli(command, tmp_path / "m.npz", path), expected)


def test_the_library_names_by_position_and_the_cli_its_flag(cli, tmp_path):
    data = _table(tmp_path, "d.csv", ",")
    assert cli("train", _config(tmp_path, "d.csv"), "-q", "--save", tmp_path / "m.npz").exit_code == 0
    other = write(tmp_path / "other.csv", "a,b\n1,2\n")
    with pytest.raises(DataError) as caught:
        read_inputs(other, n_x=2, feature_names=("x1", "x2"))
    assert "pass by_position=True to take 2 columns in file order" in str(caught.value)
    assert "--by-position" not in str(caught.value)
    assert_input_error(cli("predict", tmp_path / "m.npz", other), "pass --by-position to take 2 columns")
    assert cli("predict", tmp_path / "m.npz", other, "--by-position").exit_code == 0
    assert cli("predict", tmp_path / "m.npz", data).exit_code == 0


def test_a_missing_data_file_says_no_such_file_like_a_model_file(tmp_path):
    for name in ("gone.csv", "gone.npz"):
        with pytest.raises(DataError, match=f"{name}: no such file"):
            load_file(tmp_path / name)


def test_suggest_looks_at_a_bounded_number_of_choices():
    choices = [f"c{i}" for i in range(10 * SUGGEST_LIMIT)] + ["label"]
    assert suggest("lable", choices) == ""  # 'label' is past the limit: never looked at
    assert suggest("lable", ["label", *choices]) == "; did you mean 'label'?"


@pytest.mark.parametrize("shape", [(1, 5), (5,)], ids=["row", "flat"])
def test_network_targets_one_hot_encodes_class_codes_for_softmax(shape):
    """What data.one_hot did, done where training needs it: codes (1, m) -> Y (n^[L], m)."""
    network = Network.initialize([2, 4], ["softmax"], "zeros")
    Y = network.targets(np.array([2, 0, 1, 2, 0]).reshape(shape))
    expected = [[0, 1, 0, 0, 1], [0, 0, 1, 0, 0], [1, 0, 0, 1, 0], [0, 0, 0, 0, 0]]
    np.testing.assert_array_equal(Y, expected)
    assert Y.dtype == np.float64
