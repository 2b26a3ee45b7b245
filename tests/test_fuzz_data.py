"""Generated data files through `dnn train`, `dnn predict` and `dnn evaluate`: exit 0, or exit 2 naming the file.

Every run is under warnings-as-errors, so an overflow or a parse warning fails the test like a traceback.
"""

from __future__ import annotations

import difflib
import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dnn_cli.errors import SUGGEST_LIMIT as MAX_SUGGESTIONS
from dnn_cli.errors import DataError
from dnn_cli.io.tables import load_file

from .conftest import assert_input_error, write

# DNN_FUZZ_EXAMPLES=2000 explores further (random, not derandomized) than the bounded default run.
EXAMPLES = int(os.environ.get("DNN_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=EXAMPLES or 40, derandomize=not EXAMPLES, deadline=None, database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TRAIN_CSV = "x1,x2,label\n" + "".join(f"{x1},{x2},{'a' if x1 * x2 > 0 else 'b'}\n"
                                      for x1, x2 in [(1, 2), (-1, 2), (2, 1), (-2, -1), (0.5, -3), (3, -0.5),
                                                     (-1.5, -2), (2.5, 2.5)])


def _config(folder, source, *, layers="[2, 3, 1]", output="sigmoid", extra=""):
    return write(folder / "run.yaml", f"seed: 1\ndata:\n  source: '{source}'\n{extra}model:\n  layers: {layers}\n"
                                      f"  activations: [tanh, {output}]\ntrain:\n  learning_rate: 0.1\n"
                                      "  epochs: 2\n  log_every: 1\n")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A classifier (x1, x2 -> 'a' | 'b', standardized) and a regressor (x -> y), each trained once."""
    from typer.testing import CliRunner

    from dnn_cli.cli import app

    folder = tmp_path_factory.mktemp("models")
    runner = CliRunner()
    write(folder / "train.csv", TRAIN_CSV)
    config = _config(folder, folder / "train.csv", extra="  standardize: true\n")
    assert runner.invoke(app, ["train", str(config), "-q", "--save", str(folder / "clf.npz")]).exit_code == 0
    np.savez(folder / "sine.npz", X=np.linspace(-3, 3, 9)[:, None], y=np.sin(np.linspace(-3, 3, 9)))
    config = _config(folder, folder / "sine.npz", layers="[1, 3, 1]", output="linear")
    assert runner.invoke(app, ["train", str(config), "-q", "--save", str(folder / "reg.npz")]).exit_code == 0
    return folder / "clf.npz", folder / "reg.npz"


def check(result, path):
    """Exit 0, or exit 2 with only 'dnn: error:' lines that name the data file; never a traceback."""
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("dnn: error: ") for line in lines), result.stderr
        assert path.name in result.stderr, result.stderr


def run_everywhere(cli, folder, path, models, *, layers="[2, 3, 1]"):
    """The file through train (a config pointing at it), predict and evaluate (classifier and regressor)."""
    clf, reg = models
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(cli("train", _config(folder, path, layers=layers), "-q"), path)
        for model in (clf, reg):
            check(cli("predict", model, path), path)
            check(cli("evaluate", model, path, "--json"), path)


# ---------------------------------------------------------------------------------------------
# CSV

NUMBERS = st.one_of(st.integers(-5, 5).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["1e308", "-1e308", "1e309", "5e-324", "0x10", "1_000", " 2 ", "+3", ".5"]))
CELLS = st.one_of(NUMBERS, NUMBERS, st.sampled_from(["", " ", "a", "b", "c", "nan", "NaN", "inf", "-Infinity",
                                                     '"', '"x', "ü" * 30, "\x00", "label"]),
                  st.text(max_size=12), st.text(alphabet="€日🙂", min_size=200, max_size=400))
HEADERS = st.one_of(st.just(["x1", "x2", "label"]), st.just(["x1", "x2"]), st.just(["x"]),
                    st.lists(st.sampled_from(["x1", "x2", "label", "x", "y", "", "ü", "a;b"]), max_size=5),
                    st.lists(st.text(max_size=8), max_size=4))


@st.composite
def csv_bytes(draw):
    header = draw(HEADERS)
    width = max(len(header), 1)
    ragged = draw(st.booleans())
    rows = draw(st.lists(st.lists(CELLS, min_size=0 if ragged else width, max_size=width + 1 if ragged else width),
                         max_size=8))
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(delimiter.join(row) for row in [header] + rows) + draw(st.sampled_from(["", newline]))
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


@st.composite
def numeric_csv_bytes(draw):
    """Mostly well-formed: x1, x2, label with numbers; one class or an unseen label now and then."""
    m = draw(st.integers(1, 8))
    labels = draw(st.lists(st.sampled_from(["a", "b", "a", "b", "c", "0", "1"]), min_size=m, max_size=m))
    values = st.floats(-1e308, 1e308, allow_nan=False).map(repr) | st.integers(-3, 3).map(str)
    rows = [[draw(values), draw(values), label] for label in labels]
    return ("x1,x2,label\n" + "".join(",".join(row) + "\n" for row in rows)).encode()


@pytest.mark.slow
@SETTINGS
@given(data=csv_bytes() | numeric_csv_bytes())
def test_any_csv_through_train_predict_evaluate(cli, models, tmp_path, data):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    run_everywhere(cli, tmp_path, path, models)


@pytest.mark.parametrize("text, fragments", [
    ("", ["empty file"]),
    ("x1,x2,label\n", ["header only"]),
    ("x1,x2,label\n1,2,a\n1,2\n", ["line 3", "expected 3 cells, got 2"]),
    ("x1,x2,label\n1,2,a\n1,2,b,9\n", ["line 3", "expected 3 cells, got 4"]),
    ("x1,x2,label\n1,nan,a\n", ["line 2", "column 'x2'", "finite", "'nan'"]),
    ("x1,x2,label\n1,2,a\n-inf,2,b\n", ["line 3", "column 'x1'", "finite"]),
    ("x1,x2,label\n1,,a\n", ["line 2", "column 'x2'", "empty cell"]),
    ("x1,x2,label\n1,2,\n", ["line 2", "column 'label'", "empty cell"]),
    ("x1;x2;label\n1;2;a\n3;4;b\n", ["line 1", "seems to use ';' (semicolon) as its delimiter"]),
    ("x1\tx2\tlabel\n1\t2\ta\n", ["line 1", "seems to use tabs as its delimiter"]),
    ("x1,x2,label\n1,2,a\n1,2,a\n", ["only one class 'a'"]),
    ("x1,x2,label\n1,2," + "x" * 200_000 + "\n", ["line 2", "malformed CSV"]),
], ids=["empty", "header-only", "short-row", "long-row", "nan", "inf", "empty-cell", "empty-label", "semicolon",
        "tab", "one-class", "huge-cell"])
def test_bad_csv_for_training_names_the_file_line_and_column(cli, tmp_path, text, fragments):
    path = write(tmp_path / "bad.csv", text)
    assert_input_error(cli("train", _config(tmp_path, path), "-q"), str(path), *fragments)


def test_non_utf8_bytes_name_the_byte_offset(cli, models, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("x1,x2,label\n1,2,caf\u00e9\n".encode("latin-1"))
    for result in (cli("train", _config(tmp_path, path), "-q"), cli("predict", models[0], path)):
        assert_input_error(result, str(path), "expected UTF-8 text, got byte 0xe9 at byte offset 19")


def test_a_bom_is_not_part_of_the_first_column_name(cli, models, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + TRAIN_CSV.encode())
    assert cli("train", _config(tmp_path, path), "-q").exit_code == 0
    assert cli("evaluate", models[0], path, "--json").exit_code == 0


def test_unseen_label_at_evaluate_time_exits_2(cli, models, tmp_path):
    path = write(tmp_path / "new.csv", "x1,x2,label\n1,2,a\n3,4,zebra\n")
    assert_input_error(cli("evaluate", models[0], path), str(path), "line 3", "label 'zebra' was not seen",
                       "the model's classes are a, b")
    assert cli("predict", models[0], path).exit_code == 0


@pytest.fixture
def suggestion_sizes(monkeypatch):
    """The number of choices every did-you-mean compares against: difflib is slow per choice, so it stays bounded."""
    sizes = []
    original = difflib.get_close_matches

    def spy(word, possibilities, *args, **kwargs):
        possibilities = list(possibilities)
        sizes.append(len(possibilities))
        return original(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", spy)
    return sizes


@pytest.mark.slow
@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
def test_a_header_of_a_million_columns_is_refused_quickly(cli, models, tmp_path, command, suggestion_sizes):
    n = 10**6
    path = write(tmp_path / "wide.csv", ",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(["1"] * n) + "\n")
    if command == "train":
        result = cli("train", _config(tmp_path, path, extra="  label: nope\n"), "-q")
        assert_input_error(result, str(path), "no label column 'nope'", ", ... and 999962 more")
        assert len(result.stderr) < 1000
        result = cli("train", _config(tmp_path, path), "-q")
        assert_input_error(result, str(path), "has 999999 features")
    else:
        result = cli(command, models[0], path)
        assert_input_error(result, str(path), "expected 2 feature columns", "got 1000000")
    assert len(result.stderr) < 1000
    assert all(size <= MAX_SUGGESTIONS for size in suggestion_sizes), max(suggestion_sizes)


def test_csv_reader_duplicate_check_names_each_duplicate_once(tmp_path):
    n = 200_000
    path = write(tmp_path / "dups.csv", ",".join(f"c{i % (n - 1)}" for i in range(n)) + "\n")
    with pytest.raises(DataError, match="more than once") as caught:
        load_file(path)
    assert "got 'c0' more than once" in str(caught.value) and len(str(caught.value)) < 400


# ---------------------------------------------------------------------------------------------
# NPZ

DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_,
                          np.complex128, "<U3", "S3", "M8[s]", "m8[s]"])
ARRAYS = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))


@st.composite
def npz_files(draw):
    """An archive with some of X, y (any dtype, any shape, sometimes well-formed) and maybe more."""
    m = draw(st.integers(1, 6))
    arrays = {}
    good_X = hnp.arrays(np.float64, (m, 2), elements=st.floats(-1e308, 1e308, allow_nan=False))
    X = draw(st.one_of(good_X, good_X, ARRAYS, hnp.arrays(np.float64, (m, 1))))
    if draw(st.integers(0, 5)):
        arrays["X"] = X
    y = draw(st.one_of(st.just(np.array(["a", "b"] * m)[:m]), hnp.arrays(np.int64, (m,), elements=st.integers(0, 1)),
                       hnp.arrays(np.float64, (m, draw(st.integers(0, 2)))), ARRAYS))
    if draw(st.integers(0, 5)):
        arrays["y"] = y
    if draw(st.integers(0, 4)) == 0:
        arrays[draw(st.sampled_from(["extra", "x", "Y"]))] = draw(ARRAYS)
    return arrays


@pytest.mark.slow
@SETTINGS
@given(arrays=npz_files())
def test_any_npz_through_train_predict_evaluate(cli, models, tmp_path, arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    run_everywhere(cli, tmp_path, path, models)


class _Touch:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.mark.parametrize("case", ["object-X", "object-y", "pickle-file", "npy-file", "garbage", "empty", "directory"])
def test_hostile_npz_data_is_refused_and_never_unpickled(cli, models, tmp_path, case):
    import pickle

    marker = tmp_path / "EXECUTED"
    path = tmp_path / "data.npz"
    evil = np.empty(2, dtype=object)
    evil[:] = [_Touch(marker), _Touch(marker)]
    if case == "object-X":
        np.savez(path, X=evil, y=np.zeros(2))
    elif case == "object-y":
        np.savez(path, X=np.zeros((2, 2)), y=evil)
    elif case == "pickle-file":
        path.write_bytes(pickle.dumps(_Touch(marker)))
    elif case == "npy-file":
        np.save(tmp_path / "x.npy", np.zeros((2, 2)))
        (tmp_path / "x.npy").rename(path)
    elif case == "garbage":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    elif case == "empty":
        path.write_bytes(b"")
    else:
        path.mkdir()
    for args in (("train", _config(tmp_path, path), "-q"), ("predict", models[0], path),
                 ("evaluate", models[0], path)):
        assert_input_error(cli(*args), str(path))
    assert not marker.exists()


def test_npz_data_with_a_huge_declared_shape_is_refused(cli, models, tmp_path):
    """An .npy header may declare a shape far larger than its data: refused, not allocated or hung on."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**7, 10**6)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", header.getvalue() + b"\x00" * 64)
        archive.writestr("y.npy", header.getvalue())
    for args in (("train", _config(tmp_path, path), "-q"), ("predict", models[0], path),
                 ("evaluate", models[0], path)):
        assert_input_error(cli(*args), str(path), "array 'X'")


def test_npz_evaluate_with_unseen_labels_exits_2(cli, models, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.zeros((2, 2)), y=np.array(["a", "q"]))
    assert_input_error(cli("evaluate", models[0], path), str(path), "index 1", "label 'q' was not seen")


def test_evaluate_json_is_valid_json_even_for_extreme_inputs(cli, models, tmp_path):
    path = write(tmp_path / "far.csv", "x1,x2,label\n1e308,-1e308,a\n2,1,b\n")
    result = cli("evaluate", models[0], path, "--json")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
