"""Tests for the data modules: built-in datasets (datasets), CSV/NPZ readers (io.tables), splits and scaling
(preprocessing)."""

from __future__ import annotations

import numpy as np
import pytest

from dnn_cli.datasets import DATASETS, Dataset, get_dataset_spec, make_dataset
from dnn_cli.errors import DataError
from dnn_cli.io.tables import load_file
from dnn_cli.preprocessing import Standardizer, split

ALL_DATASETS = sorted(DATASETS)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# Built-in datasets


@pytest.mark.parametrize("name", ALL_DATASETS)
def test_registry_lookup_returns_registered_spec(name):
    spec = get_dataset_spec(name)
    assert spec is DATASETS[name]
    assert spec.name == name
    assert spec.task in ("classification", "regression")
    assert spec.description and "\n" not in spec.description
    assert "n_samples" in spec.defaults and "noise" in spec.defaults


@pytest.mark.parametrize("name", ALL_DATASETS)
def test_dataset_defaults_have_documented_shapes_and_labels(name):
    spec = DATASETS[name]
    ds = make_dataset(name, rng())
    m = spec.defaults["n_samples"]
    n_x = spec.defaults.get("n_features", 1 if name == "sine" else 2)
    assert isinstance(ds, Dataset)
    assert ds.X.shape == (n_x, m) and ds.X.dtype == np.float64
    assert (ds.m, ds.n_x) == (m, n_x)
    assert np.all(np.isfinite(ds.X))
    assert ds.task == spec.task
    assert ds.feature_names == tuple(f"x{i}" for i in range(1, n_x + 1))
    assert ds.source == name
    if spec.task == "classification":
        K = spec.defaults.get("n_classes", 2)
        assert ds.y.shape == (1, m) and ds.y.dtype == np.int64
        assert ds.classes == tuple(range(K))
        assert set(np.unique(ds.y)) == set(range(K))
    else:
        assert ds.y.shape == (1, m) and ds.y.dtype == np.float64
        assert ds.classes is None


@pytest.mark.parametrize("name", ALL_DATASETS)
def test_dataset_same_seed_is_bit_identical_and_other_seed_differs(name):
    a, b, c = (
        make_dataset(name, rng(7)),
        make_dataset(name, rng(7)),
        make_dataset(name, rng(8)),
    )
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", ALL_DATASETS)
def test_dataset_never_touches_global_rng(name):
    _, keys, pos, *_ = np.random.get_state()
    make_dataset(name, rng())
    _, keys_after, pos_after, *_ = np.random.get_state()
    np.testing.assert_array_equal(keys_after, keys)
    assert pos_after == pos


@pytest.mark.parametrize("name", ALL_DATASETS)
@pytest.mark.parametrize("n_samples", [7, 8], ids=["odd_m", "even_m"])
def test_dataset_n_samples_gives_m_columns(name, n_samples):
    ds = make_dataset(name, rng(), n_samples=n_samples)
    assert ds.m == n_samples and ds.y.shape[1] == n_samples


def test_flower_even_m_has_equal_classes():
    ds = make_dataset("flower", rng(), n_samples=400)
    np.testing.assert_array_equal(np.bincount(ds.y[0]), [200, 200])


def test_flower_odd_m_gives_extra_point_to_class_1():
    ds = make_dataset("flower", rng(), n_samples=401)
    np.testing.assert_array_equal(np.bincount(ds.y[0]), [200, 201])


def test_flower_points_lie_within_max_ray_plus_noise():
    noise = 0.2
    ds = make_dataset("flower", rng(), noise=noise)
    radius = np.sqrt((ds.X**2).sum(axis=0))
    # |r| <= a + |noise * z|; six std of a normal is never reached in 400 draws at this seed.
    assert radius.max() <= 4 + 6 * noise


def test_flower_without_noise_is_the_course_curve():
    ds = make_dataset("flower", rng(), n_samples=6, noise=0.0)
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, 3)
        r = 4 * np.sin(4 * t)
        cols = ds.y[0] == j
        np.testing.assert_allclose(
            ds.X[:, cols], np.vstack([r * np.sin(t), r * np.cos(t)]), rtol=0, atol=1e-15
        )


def test_flower_matches_course_draw_order():
    # The course's load_planar_dataset with np.random swapped for the generator passed in.
    m, noise, a = 10, 0.2, 4
    g = rng(3)
    N = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype=np.int64)
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + g.standard_normal(N) * noise
        r = a * np.sin(4 * t) + g.standard_normal(N) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    ds = make_dataset("flower", rng(3), n_samples=m, noise=noise)
    np.testing.assert_allclose(ds.X, X.T, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(ds.y, Y.T)


def test_circles_without_noise_have_radius_1_outer_and_half_inner():
    ds = make_dataset("circles", rng(), n_samples=101, noise=0.0)
    radius = np.sqrt((ds.X**2).sum(axis=0))
    np.testing.assert_allclose(radius[ds.y[0] == 0], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(radius[ds.y[0] == 1], 0.5, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.bincount(ds.y[0]), [50, 51])


def test_moons_without_noise_lie_on_their_half_circles():
    ds = make_dataset("moons", rng(), n_samples=50, noise=0.0)
    upper = ds.X[:, ds.y[0] == 0]
    lower = ds.X[:, ds.y[0] == 1]
    np.testing.assert_allclose(np.hypot(upper[0], upper[1]), 1.0, rtol=0, atol=1e-12)
    assert np.all(upper[1] >= -1e-12)
    np.testing.assert_allclose(
        np.hypot(lower[0] - 1, lower[1] - 0.5), 1.0, rtol=0, atol=1e-12
    )
    assert np.all(lower[1] <= 0.5 + 1e-12)


def test_xor_without_noise_follows_sign_rule():
    ds = make_dataset("xor", rng(), n_samples=500, noise=0.0)
    assert np.all(np.abs(ds.X) <= 1.0)
    np.testing.assert_array_equal(ds.y[0], (ds.X[0] * ds.X[1] > 0).astype(np.int64))
    assert 0 < ds.y.sum() < 500


def test_spiral_classes_and_radii():
    ds = make_dataset("spiral", rng(), n_samples=10, n_classes=4, noise=0.0)
    np.testing.assert_array_equal(np.bincount(ds.y[0]), [2, 2, 3, 3])
    assert ds.classes == (0, 1, 2, 3)
    radius = np.sqrt((ds.X**2).sum(axis=0))
    np.testing.assert_allclose(
        radius[ds.y[0] == 3], np.linspace(0, 1, 3), rtol=0, atol=1e-12
    )


def test_blobs_clusters_have_the_requested_std():
    noise = 0.5
    ds = make_dataset(
        "blobs", rng(), n_samples=6000, n_classes=3, n_features=4, noise=noise
    )
    assert ds.X.shape == (4, 6000) and ds.classes == (0, 1, 2)
    for k in range(3):
        Xk = ds.X[:, ds.y[0] == k]
        centre = Xk.mean(axis=1)
        assert np.all(np.abs(centre) <= 5 + 0.1)
        np.testing.assert_allclose(Xk.std(axis=1), noise, rtol=0.1)


def test_sine_targets_are_close_to_sin_x():
    noise = 0.1
    ds = make_dataset("sine", rng(), n_samples=1000, noise=noise)
    assert np.all(np.abs(ds.X) <= np.pi)
    assert np.max(np.abs(ds.y - np.sin(ds.X))) <= 5 * noise
    np.testing.assert_allclose(np.std(ds.y - np.sin(ds.X)), noise, rtol=0.1)


def test_unknown_dataset_suggests_nearest_name():
    with pytest.raises(DataError) as e:
        get_dataset_spec("flwer")
    msg = str(e.value)
    assert "unknown dataset 'flwer'" in msg
    assert "circles" in msg and "sine" in msg
    assert "did you mean 'flower'?" in msg


def test_make_dataset_unknown_name_is_data_error():
    with pytest.raises(DataError, match="did you mean 'moons'"):
        make_dataset("mons", rng())


@pytest.mark.parametrize(
    "name, params, expected",
    [
        (
            "flower",
            {"n_classes": 3},
            "dataset 'flower' does not take n_classes (it takes n_samples, noise)",
        ),
        ("sine", {"n_features": 2}, "dataset 'sine' does not take n_features"),
        ("flower", {"n_samples": 1}, "expected n_samples >= 2, got 1"),
        ("spiral", {"n_samples": 3, "n_classes": 4}, "expected n_samples >= 4"),
        ("flower", {"noise": -0.1}, "noise >= 0, got -0.1"),
        ("flower", {"noise": float("nan")}, "noise >= 0, got nan"),
        ("spiral", {"n_classes": 1}, "expected n_classes >= 2, got 1"),
        ("blobs", {"n_features": 0}, "expected n_features >= 1, got 0"),
        ("flower", {"n_samples": 2.5}, "expected an integer n_samples, got 2.5"),
        ("flower", {"n_samples": True}, "expected an integer n_samples, got True"),
    ],
    ids=[
        "param_not_taken",
        "param_not_taken_sine",
        "too_few_samples",
        "fewer_samples_than_classes",
        "negative_noise",
        "nan_noise",
        "one_class",
        "zero_features",
        "float_samples",
        "bool_samples",
    ],
)
def test_make_dataset_rejects_bad_parameters(name, params, expected):
    with pytest.raises(DataError) as e:
        make_dataset(name, rng(), **params)
    assert expected in str(e.value)


def test_make_dataset_accepts_numpy_scalars():
    ds = make_dataset(
        "spiral",
        rng(),
        n_samples=np.int64(9),
        n_classes=np.int64(3),
        noise=np.float64(0.1),
    )
    assert ds.m == 9 and ds.classes == (0, 1, 2)


# ---------------------------------------------------------------------------------------------
# CSV


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_round_trip_transposes_and_keeps_integer_labels(tmp_path):
    path = write(tmp_path, "data.csv", "x1,x2,label\n1.5,2,0\n-3,4e-1,1\n5,6,1\n")
    ds = load_file(path)
    np.testing.assert_array_equal(ds.X, [[1.5, -3.0, 5.0], [2.0, 0.4, 6.0]])
    assert ds.X.dtype == np.float64 and ds.X.T.flags.c_contiguous   # sample-major
    assert ds.classes == (0, 1) and all(type(c) is int for c in ds.classes)
    np.testing.assert_array_equal(ds.y, [[0, 1, 1]])
    assert ds.y.dtype == np.int64
    assert ds.feature_names == ("x1", "x2")
    assert ds.task == "classification" and ds.source == str(path)


def test_csv_integer_valued_labels_sort_numerically(tmp_path):
    path = write(tmp_path, "d.csv", "a,y\n0,10\n0,2\n0,2.0\n0,-1\n")
    ds = load_file(path)
    assert ds.classes == (-1, 2, 10)
    np.testing.assert_array_equal(ds.y, [[2, 1, 1, 0]])


def test_csv_string_labels_sort_and_encode(tmp_path):
    path = write(tmp_path, "pets.csv", "w,h,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,1\n")
    ds = load_file(path)
    assert ds.classes == ("1", "cat", "dog")
    np.testing.assert_array_equal(ds.y, [[2, 1, 2, 0]])


def test_csv_label_column_chosen_by_name(tmp_path):
    path = write(tmp_path, "d.csv", "x1,target,x2\n1,a,2\n3,b,4\n")
    ds = load_file(path, label="target")
    assert ds.feature_names == ("x1", "x2")
    np.testing.assert_array_equal(ds.X, [[1.0, 3.0], [2.0, 4.0]])
    assert ds.classes == ("a", "b")


def test_csv_regression_labels_are_floats(tmp_path):
    path = write(tmp_path, "r.csv", "x,y\n1,0.5\n2,-1.25\n")
    ds = load_file(path, task="regression")
    assert ds.classes is None and ds.task == "regression"
    assert ds.y.dtype == np.float64
    np.testing.assert_allclose(ds.y, [[0.5, -1.25]], rtol=0, atol=0)


def test_csv_tolerates_bom_quotes_spaces_and_blank_lines(tmp_path):
    path = write(tmp_path, "d.csv", '\ufeffx1, x2 ,label\n" 1",2, cat\n\n3,4,dog\n')
    ds = load_file(path, label="label")
    assert ds.feature_names == ("x1", "x2")
    np.testing.assert_array_equal(ds.X, [[1.0, 3.0], [2.0, 4.0]])
    assert ds.classes == ("cat", "dog")


CSV_ERRORS = [
    ("empty", "", {}, ["empty file"]),
    ("header_only", "x1,x2,label\n", {}, ["header only"]),
    ("one_column", "label\n1\n", {}, ["line 1", "at least 2 columns", "got 1"]),
    (
        "short_row",
        "x1,x2,label\n1,2,0\n1,2,0\n1,2,0\n1,2\n",
        {},
        ["line 5: expected 3 cells, got 2"],
    ),
    ("long_row", "x1,x2,label\n1,2,0,9\n", {}, ["line 2: expected 3 cells, got 4"]),
    (
        "not_a_number",
        "x1,x2,label\n1,2,0\n1,abc,0\n",
        {},
        ["line 3, column 'x2': expected a number, got 'abc'"],
    ),
    ("empty_feature", "x1,x2,label\n,2,0\n", {}, ["line 2, column 'x1'", "empty cell"]),
    (
        "nan_feature",
        "x1,x2,label\n1,nan,0\n",
        {},
        ["line 2, column 'x2'", "finite", "'nan'"],
    ),
    (
        "inf_feature",
        "x1,x2,label\n1,2,0\n-inf,2,0\n",
        {},
        ["line 3, column 'x1'", "finite"],
    ),
    (
        "empty_label",
        "x1,x2,label\n1,2,0\n1,2,\n",
        {},
        ["line 3, column 'label'", "empty cell"],
    ),
    # (a column of texts only is categorical now: a stray text among numbers is still refused)
    ("line_after_blank", "x1,x2,label\n\n1,2,0\n1,x,0\n1,3,0\n", {}, ["line 4, column 'x2'"]),
    (
        "unknown_label",
        "x1,x2,label\n1,2,0\n",
        {"label": "lable"},
        ["no label column 'lable'", "x1, x2, label", "did you mean 'label'?"],
    ),
    (
        "regression_label",
        "x1,y\n1,2\n3,big\n",
        {"task": "regression"},
        ["line 3, column 'y': expected a number, got 'big'"],
    ),
    ("duplicate_columns", "x,x,label\n1,2,0\n", {}, ["unique column names", "'x'"]),
    ("empty_column_name", "x1,,label\n1,2,0\n", {}, ["column 2 has an empty name"]),
    ("bad_task", "x1,label\n1,0\n", {"task": "clustering"}, ["'clustering'"]),
]


@pytest.mark.parametrize(
    "text, kwargs, expected",
    [c[1:] for c in CSV_ERRORS],
    ids=[c[0] for c in CSV_ERRORS],
)
def test_csv_errors_name_file_line_and_column(tmp_path, text, kwargs, expected):
    path = write(tmp_path, "bad_data.csv", text)
    with pytest.raises(DataError) as e:
        load_file(path, **kwargs)
    msg = str(e.value)
    assert "\n" not in msg
    if "task" not in kwargs or kwargs["task"] in ("classification", "regression"):
        assert "bad_data.csv" in msg
    for part in expected:
        assert part in msg


def test_csv_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.csv: no such file"):
        load_file(tmp_path / "nothere.csv")


def test_csv_directory_is_not_readable(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match=r"dir\.csv: cannot read file"):
        load_file(tmp_path / "dir.csv")


def test_csv_not_utf8_is_data_error(tmp_path):
    path = write(tmp_path, "latin.csv", "x1,label\n1,caf\u00e9\n", encoding="latin-1")
    with pytest.raises(DataError) as e:
        load_file(path)
    assert "latin.csv" in str(e.value) and "UTF-8" in str(e.value)


def test_csv_quoted_multiline_cell_reports_the_row_start_line(tmp_path):
    path = write(tmp_path, "m.csv", 'x1,label\n1,"two\nlines"\nzzz,0\n')
    with pytest.raises(DataError, match="line 4, column 'x1'"):
        load_file(path)


# ---------------------------------------------------------------------------------------------
# NPZ


def test_npz_round_trip_classification(tmp_path):
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=np.array([5, 3, 5]))
    ds = load_file(path)
    np.testing.assert_array_equal(ds.X, X.T)
    assert ds.X.T.flags.c_contiguous   # sample-major
    assert ds.classes == (3, 5) and all(type(c) is int for c in ds.classes)
    np.testing.assert_array_equal(ds.y, [[1, 0, 1]])
    assert ds.feature_names == ("x1", "x2") and ds.source == str(path)


@pytest.mark.parametrize(
    "y, classes, codes",
    [
        (np.array([["b"], ["a"], ["b"]]), ("a", "b"), [1, 0, 1]),
        (np.array([1.0, 0.0, 1.0]), (0, 1), [1, 0, 1]),
        (np.array([True, False, True]), (0, 1), [1, 0, 1]),
    ],
    ids=["string_column", "integer_valued_floats", "bools"],
)
def test_npz_label_encodings(tmp_path, y, classes, codes):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.zeros((3, 1)), y=y)
    ds = load_file(path)
    assert ds.classes == classes
    np.testing.assert_array_equal(ds.y, [codes])


@pytest.mark.parametrize(
    "y_shape", [(4,), (4, 1), (4, 3)], ids=["vector", "column", "three_targets"]
)
def test_npz_regression_targets_transpose(tmp_path, y_shape):
    y = np.arange(np.prod(y_shape), dtype=np.float64).reshape(y_shape)
    path = tmp_path / "r.npz"
    np.savez(path, X=np.ones((4, 2)), y=y)
    ds = load_file(path, task="regression")
    np.testing.assert_array_equal(ds.y, y.reshape(4, -1).T)
    assert ds.y.dtype == np.float64 and ds.classes is None


def _object_array():
    a = np.empty(3, dtype=object)
    a[:] = [1, "two", 3.0]
    return a


NPZ_ERRORS = [
    ("missing_y", {"X": np.ones((3, 2))}, {}, ["missing 'y'", "found 'X'"]),
    (
        "object_y",
        {"X": np.ones((3, 2)), "y": _object_array()},
        {},
        ["array 'y'", "object array"],
    ),
    (
        "x_1d",
        {"X": np.ones(3), "y": np.zeros(3)},
        {},
        ["array 'X'", "2 dimensions", "(3,)"],
    ),
    (
        "y_3d",
        {"X": np.ones((3, 2)), "y": np.zeros((3, 1, 1))},
        {},
        ["array 'y'", "(3, 1, 1)"],
    ),
    (
        "m_mismatch",
        {"X": np.ones((3, 2)), "y": np.zeros(4)},
        {},
        ["array 'y'", "expected 3 rows", "(4,)"],
    ),
    (
        "x_strings",
        {"X": np.array([["a", "b"]]), "y": np.zeros(1)},
        {},
        ["array 'X'", "expected numbers"],
    ),
    (
        "x_complex",
        {"X": np.ones((1, 2), dtype=complex), "y": np.zeros(1)},
        {},
        ["array 'X'", "complex"],
    ),
    (
        "x_nan",
        {"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)},
        {},
        ["array 'X'", "finite", "(0, 1)"],
    ),
    (
        "y_inf_regression",
        {"X": np.ones((2, 1)), "y": np.array([0.0, np.inf])},
        {"task": "regression"},
        ["array 'y'", "finite"],
    ),
    (
        "y_fractional_labels",
        {"X": np.ones((2, 1)), "y": np.array([0.5, 1.0])},
        {},
        ["array 'y'", "integer or string labels", "0.5"],
    ),
    (
        "y_two_label_columns",
        {"X": np.ones((2, 1)), "y": np.zeros((2, 2))},
        {},
        ["array 'y'", "(2, 2)"],
    ),
    (
        "y_empty_string_label",
        {"X": np.ones((2, 1)), "y": np.array(["a", ""])},
        {},
        ["array 'y'", "empty string at index 1"],
    ),
    (
        "no_samples",
        {"X": np.ones((0, 2)), "y": np.zeros(0)},
        {},
        ["array 'X'", "at least one sample"],
    ),
]


@pytest.mark.parametrize(
    "arrays, kwargs, expected",
    [c[1:] for c in NPZ_ERRORS],
    ids=[c[0] for c in NPZ_ERRORS],
)
def test_npz_errors_name_file_and_array(tmp_path, arrays, kwargs, expected):
    path = tmp_path / "bad_data.npz"
    np.savez(path, allow_pickle=True, **arrays)
    with pytest.raises(DataError) as e:
        load_file(path, **kwargs)
    msg = str(e.value)
    assert "bad_data.npz" in msg and "\n" not in msg
    for part in expected:
        assert part in msg


@pytest.mark.parametrize(
    "content",
    [b"", b"x1,x2\n1,2\n", b"PK\x03\x04 truncated"],
    ids=["empty", "text", "corrupt_zip"],
)
def test_npz_unreadable_file_is_data_error(tmp_path, content):
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"broken\.npz: expected an \.npz archive"):
        load_file(path)


def test_npz_single_npy_array_is_data_error(tmp_path):
    path = tmp_path / "single.npz"
    with open(path, "wb") as f:
        np.save(f, np.ones((2, 2)))
    with pytest.raises(DataError, match="single .npy array"):
        load_file(path)


def test_npz_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"gone\.npz: no such file"):
        load_file(tmp_path / "gone.npz")


# ---------------------------------------------------------------------------------------------
# load_file


def test_load_file_dispatches_on_suffix(tmp_path):
    csv_path = write(tmp_path, "d.CSV", "a,b\n1,0\n")
    npz_path = tmp_path / "d.npz"
    np.savez(npz_path, X=np.ones((1, 1)), y=np.zeros(1))
    assert load_file(csv_path).source == str(csv_path)
    assert load_file(str(npz_path)).source == str(npz_path)


def test_load_file_rejects_other_suffixes(tmp_path):
    with pytest.raises(DataError) as e:
        load_file(tmp_path / "data.txt")
    assert (
        "data.txt" in str(e.value)
        and ".csv or .npz" in str(e.value)
        and "'.txt'" in str(e.value)
    )


def test_load_file_rejects_label_for_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((1, 1)), y=np.zeros(1))
    with pytest.raises(DataError, match="CSV files only"):
        load_file(path, label="target")


# ---------------------------------------------------------------------------------------------
# split


def _indexed_dataset(m: int) -> Dataset:
    """Column i holds the value i, so a split's columns say which samples it took."""
    X = np.vstack([np.arange(m, dtype=np.float64), -np.arange(m, dtype=np.float64)])
    y = (np.arange(m) % 2).astype(np.int64)[np.newaxis, :]
    return Dataset(X, y, "classification", (0, 1), ("x1", "x2"), "indexed")


@pytest.mark.parametrize(
    "m, fraction, n_dev",
    [(10, 0.2, 2), (10, 0.25, 2), (7, 0.5, 4), (400, 0.1, 40)],
    ids=["m10_f0.2", "m10_f0.25_rounds", "m7_f0.5", "m400_f0.1"],
)
def test_split_sizes_disjoint_and_in_permutation_order(m, fraction, n_dev):
    ds = _indexed_dataset(m)
    train, dev = split(ds, fraction, rng(5))
    perm = rng(5).permutation(m)
    assert (dev.m, train.m) == (n_dev, m - n_dev)
    np.testing.assert_array_equal(dev.X[0], perm[:n_dev])
    np.testing.assert_array_equal(train.X[0], perm[n_dev:])
    np.testing.assert_array_equal(train.y[0], train.X[0].astype(np.int64) % 2)
    assert set(train.X[0]).isdisjoint(dev.X[0])
    assert sorted(np.concatenate([train.X[0], dev.X[0]])) == list(range(m))
    assert train.classes == dev.classes == (0, 1)


def test_split_is_deterministic_given_rng():
    ds = make_dataset("flower", rng())
    a_train, a_dev = split(ds, 0.3, rng(9))
    b_train, b_dev = split(ds, 0.3, rng(9))
    np.testing.assert_array_equal(a_train.X, b_train.X)
    np.testing.assert_array_equal(a_dev.y, b_dev.y)


def test_split_zero_fraction_returns_dataset_and_none():
    ds = _indexed_dataset(5)
    train, dev = split(ds, 0.0, rng())
    assert train is ds and dev is None


@pytest.mark.parametrize(
    "m, fraction, expected",
    [
        (10, 0.01, "gives 0 dev"),
        (3, 0.9, "gives 3 dev and 0 train"),
        (10, 1.0, "[0, 1)"),
        (10, -0.1, "[0, 1)"),
    ],
    ids=["no_dev_samples", "no_train_samples", "fraction_one", "negative_fraction"],
)
def test_split_rejects_empty_parts(m, fraction, expected):
    with pytest.raises(DataError) as e:
        split(_indexed_dataset(m), fraction, rng())
    assert expected in str(e.value)


# ---------------------------------------------------------------------------------------------
# Standardizer


def test_standardizer_gives_zero_mean_unit_std_on_train():
    X = rng(1).normal(
        loc=[[3.0], [-7.0], [0.0]], scale=[[2.0], [0.01], [50.0]], size=(3, 200)
    )
    scaler = Standardizer.fit(X)
    assert scaler.mean.shape == (3, 1) and scaler.std.shape == (3, 1)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=1), 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1), 1.0, rtol=1e-12, atol=0)
    np.testing.assert_allclose(scaler.transform(X[:, :5]), Z[:, :5], rtol=0, atol=0)


@pytest.mark.parametrize("value", [0.0, 0.1, -1e6], ids=["zero", "tenth", "large"])
def test_standardizer_maps_constant_feature_to_zero(value):
    X = np.vstack([np.full(7, value), np.arange(7.0)])
    scaler = Standardizer.fit(X)
    Z = scaler.transform(X)
    np.testing.assert_array_equal(Z[0], np.zeros(7))
    np.testing.assert_array_equal(scaler.std[0], [1.0])
    assert np.all(np.isfinite(Z))


def test_standardizer_transform_returns_new_array():
    X = np.arange(6.0).reshape(2, 3)
    original = X.copy()
    scaler = Standardizer.fit(X)
    Z = scaler.transform(X)
    assert Z is not X
    np.testing.assert_array_equal(X, original)


def test_standardizer_rejects_wrong_feature_count():
    scaler = Standardizer.fit(np.ones((2, 4)))
    with pytest.raises(DataError, match=r"expected X of shape \(2, m\)"):
        scaler.transform(np.ones((3, 4)))


def test_dataset_repr_is_short():
    ds = make_dataset("flower", rng())
    assert (
        repr(ds)
        == "Dataset(source='flower', task='classification', n_x=2, m=400, classes=(0, 1))"
    )
