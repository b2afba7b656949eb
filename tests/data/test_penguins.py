"""Palmer penguins: real rows, explicit missing-value handling, train-only scaling."""

import csv

import numpy as np
import pytest

import neuroviz.data._files as files
from neuroviz.data import DatasetError, load_dataset
from neuroviz.data.penguins import read_penguins_csv
from neuroviz.resources import asset_path

MEASURE_COLS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _csv_rows():
    """Independent reading of the shipped file with the csv module."""
    with open(asset_path("penguins", "penguins.csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def _complete(rows, need_sex=False):
    out = [r for r in rows if all(r[c] != "NA" for c in MEASURE_COLS)]
    if need_sex:
        out = [r for r in out if r["sex"] != "NA"]
    return out


def _raw(ds, X):
    return X * ds.feature_std + ds.feature_mean


def test_row_counts_match_an_independent_count():
    rows = _csv_rows()
    assert len(rows) == 344
    ds = load_dataset("penguins")
    assert ds.n_train + ds.n_test == len(_complete(rows))
    ds_sex = load_dataset("penguins", sex=True)
    assert ds_sex.n_train + ds_sex.n_test == len(_complete(rows, need_sex=True))
    assert str(len(_complete(rows, need_sex=True))) in ds_sex.description
    assert "unknown sex dropped" in ds_sex.description


def test_values_are_the_csv_measurements_and_species():
    ds = load_dataset("penguins", train_ratio=0.7, seed=4)
    ref = sorted(
        (r["species"],) + tuple(float(r[c]) for c in MEASURE_COLS) for r in _complete(_csv_rows())
    )
    got = []
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        for row, label in zip(np.round(_raw(ds, X), 6), y):
            got.append((ds.class_names[label],) + tuple(float(v) for v in row))
    assert sorted(got) == ref


def test_standardised_with_training_statistics_only():
    ds = load_dataset("penguins", seed=1)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1, atol=1e-12)
    assert np.all(ds.X_test.mean(axis=0) != 0)
    # the stored statistics are those of the raw training rows
    raw_train = _raw(ds, ds.X_train)
    np.testing.assert_allclose(ds.feature_mean, raw_train.mean(axis=0))
    all_raw = np.concatenate([raw_train, _raw(ds, ds.X_test)])
    assert not np.allclose(ds.feature_mean, all_raw.mean(axis=0), rtol=0, atol=1e-9)


def test_shapes_classes_and_stratified_split():
    ds = load_dataset("penguins", train_ratio=0.5, seed=0)
    assert ds.task == "classification" and ds.kind == "tabular"
    assert ds.class_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert ds.feature_names == [
        "bill length (mm)",
        "bill depth (mm)",
        "flipper length (mm)",
        "body mass (g)",
    ]
    assert ds.X_train.shape[1] == 4 and ds.Y_train.shape == (ds.n_train, 3)
    np.testing.assert_array_equal(ds.Y_train.sum(axis=1), 1)
    np.testing.assert_array_equal(ds.Y_test.argmax(axis=1), ds.y_test)
    assert ds.loss == "softmax_ce" and ds.n_outputs == 3 and ds.points_train is None
    total = np.bincount(np.concatenate([ds.y_train, ds.y_test]))
    train = np.bincount(ds.y_train)
    np.testing.assert_allclose(train / total, 0.5, atol=0.01)
    assert "Gorman" in ds.credit and "CC0" in ds.credit


def test_island_and_sex_one_hot():
    ds = load_dataset("penguins", island=True, sex=True, seed=2)
    assert ds.feature_names[4:] == [
        "island: Biscoe",
        "island: Dream",
        "island: Torgersen",
        "sex: female",
        "sex: male",
    ]
    X = np.concatenate([ds.X_train, ds.X_test])
    assert set(np.unique(X[:, 4:])) == {0.0, 1.0}
    np.testing.assert_array_equal(X[:, 4:7].sum(axis=1), 1)
    np.testing.assert_array_equal(X[:, 7:9].sum(axis=1), 1)
    # island counts agree with the CSV
    rows = _complete(_csv_rows(), need_sex=True)
    for k, island in enumerate(["Biscoe", "Dream", "Torgersen"]):
        assert X[:, 4 + k].sum() == sum(r["island"] == island for r in rows)


def test_deterministic():
    a = load_dataset("penguins", seed=9, island=True)
    b = load_dataset("penguins", seed=9, island=True)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)


def test_bad_options():
    with pytest.raises(DatasetError, match="valid options: island, sex"):
        load_dataset("penguins", colour=True)
    with pytest.raises(DatasetError, match="True or False"):
        load_dataset("penguins", sex="yes")
    with pytest.raises(DatasetError, match="n_samples"):
        load_dataset("penguins", n_samples=100)


def test_missing_asset_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setattr(files.resources, "assets_dir", lambda: tmp_path)
    with pytest.raises(DatasetError, match=r"penguins\.csv"):
        load_dataset("penguins")


def test_corrupt_file_names_file_and_line(tmp_path):
    text = asset_path("penguins", "penguins.csv").read_text().splitlines()
    bad = tmp_path / "penguins.csv"
    text[5] = text[5].replace("Adelie", "Emperor", 1)
    bad.write_text("\n".join(text))
    with pytest.raises(DatasetError, match=r"penguins\.csv, line 6: unknown species 'Emperor'"):
        read_penguins_csv(bad)
    text = asset_path("penguins", "penguins.csv").read_text().splitlines()
    text[3] = text[3].replace("39.1", "thirty", 1).replace("40.3", "forty", 1)
    bad2 = tmp_path / "p2.csv"
    bad2.write_text("\n".join(text))
    with pytest.raises(DatasetError, match=r"p2\.csv, line 4: bill_length_mm is not a number"):
        read_penguins_csv(bad2)
    bad3 = tmp_path / "p3.csv"
    bad3.write_text("species,island\nAdelie,Dream\n")
    with pytest.raises(DatasetError, match=r"p3\.csv, line 1: missing column"):
        read_penguins_csv(bad3)
