"""The fast CSV reader: the same Dataset as the careful reader, bit for bit, or no answer (the careful reader
then reports the cell); and a file too large for memory refused, with an estimate, before it is read."""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli import resources
from dnn_cli.errors import ConfigError, DataError
from dnn_cli.io.fastcsv import class_codes, estimate_bytes, numeric_table, select_columns
from dnn_cli.io.tables import _text_dataset, load_file, read_table

from .conftest import write


def _careful(path, label=None, task="classification"):
    return _text_dataset(read_table(path), label, task)


def _same(a, b) -> None:
    assert a.X.dtype == b.X.dtype and a.X.shape == b.X.shape
    assert a.X.flags.f_contiguous and b.X.flags.f_contiguous
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.tobytes() == b.X.tobytes()  # -0.0 and every last bit
    assert a.y.dtype == b.y.dtype and a.y.tobytes() == b.y.tobytes()
    assert a.classes == b.classes and a.feature_names == b.feature_names and a.source == b.source
    assert type(a.classes) is type(b.classes)
    if a.classes:
        assert [type(c) for c in a.classes] == [type(c) for c in b.classes]


NUMERIC = {
    "plain": "x1,x2,label\n1,2,0\n3,4,1\n",
    "exponents-signs": "x1,x2,label\n-1.5e-3,+.5,1\n1E+05,-0,0\n0.1,1.,1\n",
    "spaces-bom-crlf": "\ufeff x1 , x2 ,label\r\n 1.25 ,\t2,1\r\n\r\n3, 4 ,0\r\n",
    "digits": "a,b,c\n0.1000000000000000055511151231257827,3.141592653589793238,7\n1e-320,2.2250738585072014e-308,3\n",
    "label-first": "y,x1,x2\n2,1,2\n1,3,4\n2,5,6\n",
    "integer-labels-as-floats": "x1,x2,label\n1,2,1.0\n3,4,1e1\n5,6,-0\n",
}


@pytest.mark.parametrize("text", NUMERIC.values(), ids=NUMERIC.keys())
def test_the_fast_path_gives_the_careful_readers_dataset_bit_for_bit(tmp_path, text):
    path = write(tmp_path / "d.csv", text)
    assert numeric_table(path) is not None
    label = "y" if text.startswith("y,") else None
    _same(load_file(path, label=label), _careful(path, label))
    _same(load_file(path, label=label, task="regression"), _careful(path, label, "regression"))


@pytest.mark.parametrize("text, message", [
    ("x1,x2,label\n1,nan,0\n", "line 2, column 'x2': expected a finite number, got 'nan'"),
    ("x1,x2,label\n1,2,0\nInfinity,2,0\n", "line 3, column 'x1': expected a finite number, got 'Infinity'"),
    ("x1,x2,label\n1,2,0\n1,,0\n", "line 3, column 'x2': expected a number, got an empty cell"),
    ("x1,x2,label\n1,2,0\n1,1_000,0\n2,3,1\n", "line 3, column 'x2': expected a number, got '1_000'"),
    ("x1,x2,label\n1,2,0\n  \n", "line 3: expected 3 cells, got 1"),
    ("x1,x2,label\n1,2,0\n1,2,0,\n", "line 3: expected 3 cells, got 4"),
    ("x1,x2,label\n1,2#,0\n3,4,1\n5,6,0\n", "line 2, column 'x2': expected a number, got '2#'"),
], ids=["nan", "infinity", "empty", "underscore", "blank-with-spaces", "trailing-comma", "hash"])
def test_a_bad_cell_is_still_reported_by_file_line_and_column(tmp_path, text, message):
    path = write(tmp_path / "d.csv", text)
    assert numeric_table(path) is None
    with pytest.raises(DataError) as caught:
        load_file(path)
    assert str(caught.value) == f"{path}: {message}"


def test_labels_the_fast_path_cannot_keep_go_the_careful_way(tmp_path):
    big = write(tmp_path / "big.csv", "x,label\n1,9007199254740993\n2,9007199254740992\n")
    dataset = load_file(big)
    assert dataset.classes == (9007199254740992, 9007199254740993)  # every digit kept
    halves = write(tmp_path / "halves.csv", "x,label\n1,0.5\n2,1.5\n")
    assert load_file(halves).classes == ("0.5", "1.5")  # as before: not integers, so text classes
    _same(load_file(halves), _careful(halves))


def test_header_checks_are_the_careful_readers(tmp_path):
    for text, message in [("1.5,2,3\n4,5,6\n", "the first line looks like data"),
                          ("a,a,label\n1,2,3\n", "expected unique column names, got 'a' more than once"),
                          ("a;b;label\n1;2;3\n", "seems to use ';' (semicolon) as its delimiter"),
                          ("a,,label\n1,2,3\n", "column 2 has an empty name")]:
        path = write(tmp_path / "h.csv", text)
        with pytest.raises(DataError) as caught:
            load_file(path)
        assert message in str(caught.value)


@pytest.mark.parametrize("columns", [[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], [0, 2, 4], [6, 5, 0, 3]])
def test_select_columns_moves_the_columns_in_place_in_their_new_order(columns):
    values = np.arange(5000 * 7, dtype=np.float64).reshape(5000, 7)
    expected = values[:, columns].copy()
    selected = select_columns(values, columns)
    assert selected.flags.c_contiguous and np.shares_memory(selected, values)
    assert selected.__array_interface__["data"][0] == values.__array_interface__["data"][0]
    np.testing.assert_array_equal(selected, expected)


def test_a_file_too_large_for_memory_is_refused_with_an_estimate_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path / "d.csv", "x1,x2,label\n" + "1.5,2.5,0\n" * 2000)
    size, fast, careful = estimate_bytes(path)
    assert size == path.stat().st_size
    assert fast == 2 * (2001 * 3 * 8) and careful == 14 * (2001 * 3 * 8)  # 3 cells per row, header included
    monkeypatch.setattr(resources, "_available", lambda: (fast - 1, " (a test's limit)"))
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}: reading d.csv (0.0 MiB) as float64 needs about 0.1 MiB of memory, "
                                        "but only 0.1 MiB is available (a test's limit)")
    text = write(tmp_path / "t.csv", "x1,x2,label\n" + "1.5,2.5,a\n" * 2000)
    _, fast, careful = estimate_bytes(text)
    monkeypatch.setattr(resources, "_available", lambda: (careful - 1, ""))
    with pytest.raises(ConfigError, match="reading t.csv .* cell by cell .* needs about"):
        load_file(text)


@pytest.mark.parametrize("scale", [1, 3, 1000, 10**12])
def test_class_codes_are_numpy_uniques_inverse(scale):
    """The lookup table (labels spanning a narrow range) and the sort (a wide one) give np.unique's answer."""
    rng = np.random.default_rng(scale)
    for m in (1, 2, 17, 500):
        labels = rng.integers(-5, 7, size=m) * scale
        found, inverse = np.unique(labels, return_inverse=True)
        classes, codes = class_codes(labels.copy())
        np.testing.assert_array_equal(classes, found)
        np.testing.assert_array_equal(codes, inverse)
        assert codes.dtype == np.int64


def test_a_numeric_csv_is_read_and_trained_holding_little_more_than_its_table(tmp_path):
    """Memory, counted by tracemalloc (NumPy reports every array to it): reading a numeric CSV allocates the
    float64 table and little more (the labels move into the label column's memory), and an epoch of training
    with its final metrics adds a few arrays of length m, not copies of X or of the batches' outputs.
    The benchmark (benchmarks/reader.py) measures the whole process's peak on a 200,000-row file."""
    import tracemalloc

    from dnn_cli import fit, load_config, prepare

    m, n = 50_000, 20
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, n))
    table = np.column_stack([X, X[:, 0] + X[:, 1] > 0])
    np.savetxt(tmp_path / "d.csv", table, delimiter=",", fmt=["%.17g"] * n + ["%d"],
               header=",".join([f"x{i}" for i in range(n)] + ["label"]), comments="")
    config = write(tmp_path / "c.yaml", "data:\n  source: d.csv\nmodel:\n  layers: [20, 8, 1]\n  activations: "
                   "[relu, sigmoid]\ntrain:\n  epochs: 1\n  batch_size: 1024\n")
    cfg = load_config(config)
    tracemalloc.start()
    try:
        prepared = prepare(cfg, source=config)
        read, read_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fit(prepared)
        fit_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read_peak < 1.2 * table.nbytes and read < 1.05 * table.nbytes
    assert fit_peak < 1.35 * table.nbytes
