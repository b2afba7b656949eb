"""8x8 digits: real data, shape, classes, scaling, corrupt files."""

import csv
import gzip
import io

import numpy as np
import pytest

from neuroviz.data import DatasetError, load_dataset
from neuroviz.data.digits import read_digits
from neuroviz.resources import asset_path


def _independent_rows():
    with gzip.open(asset_path("digits", "digits.csv.gz"), "rt") as fh:
        return [list(map(int, r)) for r in csv.reader(fh) if r]


def test_asset_is_compact():
    assert asset_path("digits", "digits.csv.gz").stat().st_size < 200_000


def test_shape_classes_and_counts():
    rows = _independent_rows()
    ds = load_dataset("digits", train_ratio=0.7, seed=0)
    assert ds.n_train + ds.n_test == 1797 == len(rows)
    assert ds.X_train.shape[1] == 64 and ds.image_shape == (8, 8)
    assert ds.kind == "image" and ds.task == "classification"
    assert ds.class_names == [str(d) for d in range(10)]
    counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]), minlength=10)
    ref = np.bincount([r[64] for r in rows], minlength=10)
    np.testing.assert_array_equal(counts, ref)
    assert ds.Y_train.shape == (ds.n_train, 10)
    np.testing.assert_array_equal(ds.Y_train.sum(axis=1), 1)
    np.testing.assert_allclose(np.bincount(ds.y_train) / ref, 0.7, atol=0.01)
    assert ds.loss == "softmax_ce" and ds.n_outputs == 10
    assert "CC BY 4.0" in ds.credit


def test_pixels_scaled_to_unit_range_and_names():
    rows = _independent_rows()
    ds = load_dataset("digits", seed=3)
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.dtype == np.float64 and X.min() == 0.0 and X.max() == 1.0
    ref = sorted(tuple(v / 16 for v in r[:64]) for r in rows)
    assert sorted(map(tuple, X)) == ref
    assert ds.feature_names[0] == "pixel 0,0" and ds.feature_names[9] == "pixel 1,1"
    assert ds.feature_names[63] == "pixel 7,7"
    assert ds.feature_mean is None and ds.feature_std is None


def test_deterministic():
    a = load_dataset("digits", seed=5)
    b = load_dataset("digits", seed=5)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)


def test_corrupt_files_are_named(tmp_path):
    not_gzip = tmp_path / "digits.csv.gz"
    not_gzip.write_bytes(b"this is not gzip data")
    with pytest.raises(DatasetError, match=r"corrupt data file .*digits\.csv\.gz"):
        read_digits(not_gzip)
    short = tmp_path / "short.csv.gz"
    data = io.StringIO("0," * 64 + "3\n" + "0,1,2\n")
    with gzip.open(short, "wt") as fh:
        fh.write(data.getvalue())
    with pytest.raises(DatasetError, match=r"short\.csv\.gz, line 2: 3 values, expected 65"):
        read_digits(short)
    missing = tmp_path / "nope.csv.gz"
    with pytest.raises(DatasetError, match=r"nope\.csv\.gz"):
        read_digits(missing)
