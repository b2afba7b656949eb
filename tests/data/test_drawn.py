"""Drawn points: kept inside the experiment, the same data after saving and opening."""

from __future__ import annotations

import numpy as np

from neuroviz.data.embedded import load_embedded, point_parts, points_payload
from neuroviz.experiment import DatasetSettings, Experiment, load_experiment, save_experiment


def test_draw_save_open_gives_the_same_data(tmp_path):
    points = np.array([[-3.0, 2.0], [4.5, -1.25], [0.0, 0.5], [2.0, 2.0], [-5.0, -5.0]])
    labels = np.array([0, 1, 1, 0, 1])
    payload = points_payload(points, labels, "classification", ["orange", "blue"])
    exp = Experiment(dataset=DatasetSettings(name="drawn", features=("x1", "x2", "x1*x2"),
                                             data=payload, train_ratio=0.6, data_seed=7))
    exp.spec["inputs"] = 3
    path = save_experiment(exp, tmp_path / "drawn.json")
    opened = load_experiment(path)
    ds = load_embedded(opened.dataset.data, opened.dataset.train_ratio,
                       opened.dataset.data_seed, opened.dataset.features)
    part = point_parts(5, 0.6, 7)
    np.testing.assert_array_equal(ds.points_train, points[part])
    np.testing.assert_array_equal(ds.points_test, points[~part])
    np.testing.assert_array_equal(ds.y_train, labels[part])
    x1, x2 = points[part, 0], points[part, 1]
    np.testing.assert_allclose(ds.X_train, np.column_stack([x1, x2, x1 * x2]))


def test_points_keep_their_part_when_more_are_drawn():
    first = point_parts(20, 0.5, 3)
    more = point_parts(50, 0.5, 3)
    np.testing.assert_array_equal(more[:20], first)
    assert first.any() and not first.all()


def test_regression_values():
    payload = points_payload([[0, 0], [1, 1], [2, 2]], [0.5, -0.25, 1.0], "regression", [])
    ds = load_embedded(payload, 0.5, 0)
    got = np.concatenate([ds.Y_train[:, 0], ds.Y_test[:, 0]])
    assert sorted(got) == [-0.25, 0.5, 1.0] and ds.loss == "mse"


def test_drawn_experiment_without_its_data_names_the_problem(tmp_path):
    import json

    import pytest

    from neuroviz.experiment import ExperimentError

    payload = points_payload([[0, 0], [1, 1], [2, 2]], [0, 1, 0], "classification",
                             ["orange", "blue"])
    exp = Experiment(dataset=DatasetSettings(name="drawn", data=payload))
    path = save_experiment(exp, tmp_path / "drawn.json")
    raw = json.loads(path.read_text())
    del raw["dataset"]["data"]
    path.write_text(json.dumps(raw))
    with pytest.raises(ExperimentError, match=r"drawn.json: dataset: the dataset 'drawn' has "
                                              r"no data in the file"):
        load_experiment(path)
    raw["dataset"]["data"] = dict(payload, values={"dtype": "float64", "shape": [3],
                                                   "zlib_base64": "!!"})
    path.write_text(json.dumps(raw))
    with pytest.raises(ExperimentError, match=r"dataset: data.values.zlib_base64: damaged"):
        load_experiment(path)
