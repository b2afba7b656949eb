"""CSV import: reading, column kinds, task inference, one-hot, missing values, every problem."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.data import DatasetError
from neuroviz.data.embedded import decode_array, load_embedded
from neuroviz.data.tableimport import (
    ImportChoices,
    build_import,
    default_choices,
    describe_columns,
    infer_task,
    read_table,
)
from neuroviz.experiment import DatasetSettings, Experiment, load_experiment, save_experiment


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


PETS = """weight,colour,legs,kind
4.0,brown,4,dog
3.0,black,4,cat
5.0,brown,4,dog
2.5,white,4,cat
6.0,NA,4,dog
2.0,black,4,cat
5.5,white,4,dog
,brown,4,cat
"""


def test_columns_are_described(tmp_path):
    table = read_table(write(tmp_path, PETS))
    infos = {c.name: c for c in describe_columns(table)}
    assert infos["weight"].kind == "numeric" and infos["weight"].n_missing == 1
    assert infos["colour"].kind == "categorical"
    assert infos["colour"].categories == ["black", "brown", "white"]
    assert infos["colour"].n_missing == 1 and infos["colour"].first_missing_line == 6
    assert infos["kind"].kind == "categorical"


def test_task_is_inferred(tmp_path):
    table = read_table(write(tmp_path, "a,b,c\n1,0.5,x\n2,1.5,y\n3,2.25,x\n4,3.75,y\n"))
    assert infer_task(table, "c") == "classification"
    assert infer_task(table, "a") == "classification"  # few whole numbers
    assert infer_task(table, "b") == "regression"
    assert default_choices(table).target == "c"
    assert default_choices(table).features == ["a", "b"]


def test_one_hot_keeps_names_and_drop_missing(tmp_path):
    table = read_table(write(tmp_path, PETS))
    payload = build_import(table, ImportChoices("kind", ["weight", "colour"], missing="drop"))
    assert payload["feature_names"] == ["weight", "colour=black", "colour=brown",
                                        "colour=white"]
    X = decode_array(payload["X"], "X", 2)
    # Rows 6 (colour NA) and 9 (weight empty) are dropped: six rows remain.
    expected = np.array([[4.0, 0, 1, 0], [3.0, 1, 0, 0], [5.0, 0, 1, 0], [2.5, 0, 0, 1],
                         [2.0, 1, 0, 0], [5.5, 0, 0, 1]])
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_array_equal(decode_array(payload["y"], "y", 1), [1, 0, 1, 0, 0, 1])
    assert payload["class_names"] == ["cat", "dog"]
    assert "2 rows with missing values dropped" in payload["notes"]
    assert payload["standardise"] == [True, False, False, False]


def test_fill_with_mean(tmp_path):
    table = read_table(write(tmp_path, PETS))
    payload = build_import(table, ImportChoices("kind", ["weight", "colour"], missing="mean"))
    X = decode_array(payload["X"], "X", 2)
    assert X.shape == (8, 4)
    weights = [4.0, 3.0, 5.0, 2.5, 6.0, 2.0, 5.5]
    assert X[7, 0] == pytest.approx(sum(weights) / 7)
    # The missing colour is filled with each category's share among the other rows.
    assert X[4, 1:] == pytest.approx([2 / 7, 3 / 7, 2 / 7])
    assert "filled with the mean" in payload["notes"]


def test_missing_as_error_names_line_and_column(tmp_path):
    table = read_table(write(tmp_path, PETS))
    with pytest.raises(DatasetError, match=r"line 6: missing value in column 'colour'"):
        build_import(table, ImportChoices("kind", ["colour"], missing="error"))


def test_standardised_on_training_split(tmp_path):
    rows = "\n".join(f"{i},{(i * 7) % 11},{i % 2}" for i in range(40))
    table = read_table(write(tmp_path, "a,b,t\n" + rows + "\n"))
    payload = build_import(table, ImportChoices("t", ["a", "b"], "classification"))
    ds = load_embedded(payload, train_ratio=0.75, seed=3)
    assert ds.n_train == 30 and ds.n_test == 10
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0)
    raw = decode_array(payload["X"], "X", 2)
    # Test rows are scaled with the training rows' statistics, not their own.
    assert ds.feature_mean[0] != pytest.approx(raw[:, 0].mean())
    assert not np.allclose(ds.X_test.mean(axis=0), 0.0)


@pytest.mark.parametrize("text, target, features, task, message", [
    ("name,town\nann,paris\nbob,rome\ncy,oslo\ndi,lima\n", "town", None, None,
     r"no column besides the target 'town' holds numbers"),
    ("a,t\n1,x\n2,x\n3,x\n4,x\n", "t", ["a"], "classification", r"only one class \('x'\)"),
    ("a,t\n1,0\n2,1\nthree,0\n4,1\n5,0\n", "t", ["a"], None,
     r"line 4: column 'a' mixes numbers and text \('three'\)"),
    ("a,t\n1,0.5\n2,1.5\n3,high\n4,2.5\n", "t", ["a"], "regression",
     r"line 4: the target 't' must be a number for regression, found 'high'"),
    ("a,t\n1,0\n2,1\n", "t", ["a"], None, r"only 2 usable rows"),
])
def test_problems_name_the_column_or_line(tmp_path, text, target, features, task, message):
    table = read_table(write(tmp_path, text))
    choices = ImportChoices(target, features or [h for h in table.header if h != target], task)
    with pytest.raises(DatasetError, match=message) as info:
        build_import(table, choices)
    assert "data.csv" in str(info.value)


def test_ten_million_rows_are_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 10_000_000)
    with pytest.raises(DatasetError, match=r"huge.csv: 10,000,000 rows, at most 1,000,000"):
        read_table(path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(DatasetError, match=r"photo.csv: .*binary file"):
        read_table(path)


def test_ragged_row_names_line(tmp_path):
    with pytest.raises(DatasetError, match=r"data.csv, line 3: 3 fields, expected 2"):
        read_table(write(tmp_path, "a,b\n1,2\n1,2,3\n"))


def test_imported_table_saved_inside_experiment(tmp_path):
    src = write(tmp_path, PETS, "pets.csv")
    payload = build_import(read_table(src), ImportChoices("kind", ["weight", "colour"]))
    ds = load_embedded(payload, 0.5, 0)
    exp = Experiment(dataset=DatasetSettings(name="imported", data=payload))
    exp.spec["inputs"] = ds.n_features
    path = tmp_path / "elsewhere" / "pets.json"
    path.parent.mkdir()
    save_experiment(exp, path)
    src.unlink()  # the original file is gone: the experiment still opens
    opened = load_experiment(path)
    again = load_embedded(opened.dataset.data, 0.5, 0)
    np.testing.assert_array_equal(again.X_train, ds.X_train)
    np.testing.assert_array_equal(again.Y_test, ds.Y_test)
    assert again.feature_names == ds.feature_names


def test_damaged_embedded_data_names_the_field(tmp_path):
    payload = build_import(read_table(write(tmp_path, PETS)), ImportChoices("kind", ["weight"]))
    payload["X"]["zlib_base64"] = "AAAA" + payload["X"]["zlib_base64"][4:]
    with pytest.raises(DatasetError, match=r"data.X.zlib_base64: damaged data"):
        load_embedded(payload)
    payload["X"]["shape"] = [10**7, 10]
    with pytest.raises(DatasetError, match=r"data.X: 100,000,000 values, at most"):
        load_embedded(payload)
