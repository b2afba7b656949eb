"""load_csv: a user's own file, with clear errors naming file and line."""

import numpy as np
import pytest

from neuroviz.data import DatasetError, load_csv


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _rows(n, fmt):
    return "".join(fmt(i) for i in range(n))


def test_regression_file(tmp_path):
    body = _rows(40, lambda i: f"{i},{i % 7},{2 * i + 0.5}\n")
    ds = load_csv(_write(tmp_path, "a,b,y\n" + body), seed=1, train_ratio=0.75)
    assert ds.task == "regression" and ds.target_name == "y"
    assert ds.feature_names == ["a", "b"] and ds.n_train == 30 and ds.n_test == 10
    raw = ds.X_train * ds.feature_std + ds.feature_mean
    np.testing.assert_allclose(ds.Y_train[:, 0], 2 * raw[:, 0] + 0.5)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)


def test_classification_with_text_labels_and_chosen_target(tmp_path):
    body = _rows(30, lambda i: f"{['cat', 'dog', 'eel'][i % 3]};{i};{i * i}\n")
    ds = load_csv(_write(tmp_path, "animal;x;z\n" + body), target="animal")
    assert ds.task == "classification" and ds.class_names == ["cat", "dog", "eel"]
    assert ds.Y_train.shape[1] == 3 and ds.loss == "softmax_ce"
    raw = ds.X_train * ds.feature_std + ds.feature_mean
    np.testing.assert_array_equal(ds.y_train, np.round(raw[:, 0]).astype(int) % 3)


def test_integer_labels_are_classes_and_binary_is_one_column(tmp_path):
    body = _rows(20, lambda i: f"{i / 3},{i % 2}\n")
    ds = load_csv(_write(tmp_path, "x,label\n" + body))
    assert ds.task == "classification" and ds.class_names == ["0", "1"]
    assert ds.Y_train.shape == (ds.n_train, 1) and ds.loss == "bce"
    ds = load_csv(_write(tmp_path, "x,label\n" + body, "b.csv"), task="regression")
    assert ds.task == "regression"


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("a,y\n1,2\n3,x4\n5,6\n7,8\n", None),
        ("a,y\n1,2\n3\n5,6\n7,8\n", r"data\.csv, line 3: 1 fields, expected 2"),
        ("a,y\n1,2\nNA,3\n5,6\n7,8\n", r"data\.csv, line 3: missing value in column 'a'"),
        ("a,y\n1,2\nabc,3\n5,6\n7,8\n", r"data\.csv, line 3: column 'a' is not a number: 'abc'"),
        ("a,y\n1,2\ninf,3\n5,6\n7,8\n", r"data\.csv, line 3: column 'a' is not finite"),
        ("", r"data\.csv, line 1: empty file"),
        ("a,a,y\n1,2,3\n", r"line 1: the column name 'a' appears twice"),
        ("a,y\n1,2\n", r"only 1 usable data rows"),
    ],
)
def test_malformed_files(tmp_path, text, pattern):
    path = _write(tmp_path, text)
    if pattern is None:  # a non-numeric regression target
        with pytest.raises(DatasetError, match=r"data\.csv, line 3: target 'y' must be numeric"):
            load_csv(path, task="regression")
        return
    with pytest.raises(DatasetError, match=pattern):
        load_csv(path)


def test_drop_missing_reports_the_count(tmp_path):
    body = "1,2\nNA,3\n5,\n7,8\n9,10\n11,12\n"
    ds = load_csv(_write(tmp_path, "a,y\n" + body), drop_missing=True, task="regression")
    assert ds.n_train + ds.n_test == 4 and "2 rows with missing values dropped" in ds.description


def test_bad_arguments(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n3,4\n5,6\n7,8\n")
    with pytest.raises(DatasetError, match="no column 'q'"):
        load_csv(path, target="q")
    with pytest.raises(DatasetError, match="task must be"):
        load_csv(path, task="clustering")
    with pytest.raises(DatasetError, match="train_ratio"):
        load_csv(path, train_ratio=0.99)
    with pytest.raises(DatasetError, match=r"missing\.csv: file not found"):
        load_csv(tmp_path / "missing.csv")
