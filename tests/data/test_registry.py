"""DATASETS metadata agrees with what load_dataset returns; package hygiene."""

import subprocess
import sys

import numpy as np
import pytest

from neuroviz.data import DATASETS, DatasetError, DatasetInfo, load_dataset


def test_documented_names():
    assert set(DATASETS) == {
        "circle",
        "xor",
        "gauss",
        "spiral",
        "moons",
        "checkerboard",
        "spiral3",
        "plane",
        "multigauss",
        "penguins",
        "boxoffice",
        "boxoffice_budget",
        "digits",
        "strokes",
        "shapes",
    }


@pytest.mark.parametrize("name", list(DATASETS))
def test_info_matches_dataset(name):
    info = DATASETS[name]
    assert isinstance(info, DatasetInfo) and info.name == name and info.description
    ds = load_dataset(name, seed=0)
    assert (ds.name, ds.title, ds.task, ds.kind) == (info.name, info.title, info.task, info.kind)
    assert ds.n_classes == info.n_classes
    assert ds.description and isinstance(ds.feature_names, list)
    assert len(ds.feature_names) == ds.X_train.shape[1] == ds.X_test.shape[1]
    assert ds.Y_train.shape[1] == ds.Y_test.shape[1] == ds.n_outputs
    for a in (ds.X_train, ds.X_test, ds.Y_train, ds.Y_test):
        assert a.dtype == np.float64 and np.all(np.isfinite(a))
    if not info.synthetic:
        assert ds.credit
    if info.kind != "2d":
        with pytest.raises(DatasetError, match="only for 2-D"):
            ds.transform(np.zeros((3, 2)))
        assert ds.points_train is None and ds.extent is None


@pytest.mark.parametrize("name", ["penguins", "digits"])
def test_real_data_ignores_noise_and_features(name):
    a = load_dataset(name, seed=1)
    b = load_dataset(name, seed=1, noise=0.3, features=("x1", "x2", "sin x1"))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not DATASETS[name].uses_noise and not DATASETS[name].uses_features


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DatasetError, match="unknown dataset 'mnist'") as err:
        load_dataset("mnist")
    for name in DATASETS:
        assert name in str(err.value)


def test_unknown_option_for_a_2d_set():
    with pytest.raises(DatasetError, match="valid options: none"):
        load_dataset("circle", island=True)


def test_settings_record_the_request():
    ds = load_dataset("moons", noise=0.2, train_ratio=0.4, seed=8, features=["x1", "x2^2"])
    again = load_dataset(**{k: v for k, v in ds.settings.items()})
    np.testing.assert_array_equal(ds.X_train, again.X_train)


def test_data_package_imports_no_qt():
    code = (
        "import sys, neuroviz.data as d; d.load_dataset('spiral'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'sklearn', 'pandas', 'numba')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
