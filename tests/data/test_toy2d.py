"""2-D toy datasets: determinism, shapes, labels, features, validation."""

import numpy as np
import pytest

from neuroviz.data import DATASETS, FEATURES_2D, DatasetError, load_dataset

NAMES_2D = [n for n, info in DATASETS.items() if info.kind == "2d"]
CLASSIFY_2D = [n for n in NAMES_2D if DATASETS[n].task == "classification"]
REGRESS_2D = [n for n in NAMES_2D if DATASETS[n].task == "regression"]


def test_the_documented_2d_sets_exist():
    assert set(CLASSIFY_2D) == {
        "circle",
        "xor",
        "gauss",
        "spiral",
        "moons",
        "checkerboard",
        "spiral3",
    }
    assert set(REGRESS_2D) == {"plane", "multigauss"}
    assert FEATURES_2D == ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2")


@pytest.mark.parametrize("name", NAMES_2D)
def test_same_seed_same_arrays_other_seed_differs(name):
    a = load_dataset(name, noise=0.2, train_ratio=0.6, seed=3, features=FEATURES_2D)
    b = load_dataset(name, noise=0.2, train_ratio=0.6, seed=3, features=FEATURES_2D)
    c = load_dataset(name, noise=0.2, train_ratio=0.6, seed=4, features=FEATURES_2D)
    for attr in ("X_train", "Y_train", "X_test", "Y_test", "points_train", "points_test"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert not np.array_equal(a.points_train, c.points_train)


@pytest.mark.parametrize("name", NAMES_2D)
def test_shapes_dtypes_and_split(name):
    ds = load_dataset(
        name, noise=0.1, train_ratio=0.3, seed=0, n_samples=300, features=("x1", "x2", "x1*x2")
    )
    n = ds.n_train + ds.n_test
    assert n == 300
    assert abs(ds.n_train - 90) <= 3  # stratified rounding may move a row per class
    for X, Y, P in (
        (ds.X_train, ds.Y_train, ds.points_train),
        (ds.X_test, ds.Y_test, ds.points_test),
    ):
        assert X.dtype == np.float64 and Y.dtype == np.float64
        assert X.shape == (len(X), 3) and P.shape == (len(X), 2) and Y.shape[0] == len(X)
        assert np.all(np.isfinite(X)) and np.all(np.isfinite(Y))
    assert ds.kind == "2d" and ds.extent == (-6.0, 6.0)
    assert ds.feature_names == ["x1", "x2", "x1*x2"]
    assert ds.image_shape is None and ds.feature_mean is None
    # points stay in the plane (the noisiest sets spill a little at most)
    assert np.abs(np.concatenate([ds.points_train, ds.points_test])).max() < 9


@pytest.mark.parametrize("name", CLASSIFY_2D)
def test_classification_targets(name):
    ds = load_dataset(name, noise=0.25, seed=1)
    k = DATASETS[name].n_classes
    assert ds.task == "classification" and len(ds.class_names) == k
    for Y, y in ((ds.Y_train, ds.y_train), (ds.Y_test, ds.y_test)):
        assert y.dtype == np.int64 and set(np.unique(y)) <= set(range(k))
        if k == 2:
            assert Y.shape == (len(y), 1) and set(np.unique(Y)) <= {0.0, 1.0}
            np.testing.assert_array_equal(Y[:, 0], y)
            assert ds.loss == "bce" and ds.output_activation == "sigmoid" and ds.n_outputs == 1
        else:
            assert Y.shape == (len(y), k)
            np.testing.assert_array_equal(Y.sum(axis=1), np.ones(len(y)))
            np.testing.assert_array_equal(Y.argmax(axis=1), y)
            assert ds.loss == "softmax_ce" and ds.output_activation == "softmax"
    # every class appears in both parts
    assert len(np.unique(ds.y_train)) == k and len(np.unique(ds.y_test)) == k


@pytest.mark.parametrize("name", REGRESS_2D)
def test_regression_targets_in_unit_range_without_noise(name):
    ds = load_dataset(name, noise=0.0, seed=2)
    assert ds.task == "regression" and ds.y_train is None and ds.class_names == []
    assert ds.loss == "mse" and ds.output_activation == "linear" and ds.n_outputs == 1
    Y = np.concatenate([ds.Y_train, ds.Y_test])
    assert Y.shape[1] == 1 and Y.min() >= -1.0 and Y.max() <= 1.0
    assert Y.std() > 0.2


def _all(ds):
    return np.concatenate([ds.points_train, ds.points_test]), np.concatenate(
        [ds.Y_train, ds.Y_test]
    )


def test_noise_free_labels_follow_the_geometry():
    pts, Y = _all(load_dataset("circle", seed=5))
    np.testing.assert_array_equal(Y[:, 0], np.hypot(pts[:, 0], pts[:, 1]) < 2.5)
    pts, Y = _all(load_dataset("xor", seed=5))
    np.testing.assert_array_equal(Y[:, 0], pts[:, 0] * pts[:, 1] >= 0)
    pts, Y = _all(load_dataset("checkerboard", seed=5))
    cells = np.floor((pts + 5) / 2.5)
    np.testing.assert_array_equal(Y[:, 0], (cells.sum(axis=1) % 2) == 0)
    pts, Y = _all(load_dataset("plane", seed=5))
    np.testing.assert_allclose(Y[:, 0], (pts[:, 0] + pts[:, 1]) / 12)


def test_noise_flips_some_labels_but_keeps_points():
    clean = load_dataset("circle", noise=0.0, seed=7)
    noisy = load_dataset("circle", noise=0.5, seed=7)
    np.testing.assert_array_equal(clean.points_train, noisy.points_train)
    flipped = np.mean(clean.Y_train != noisy.Y_train)
    assert 0.02 < flipped < 0.5


def test_gauss_noise_widens_the_clusters():
    tight = load_dataset("gauss", noise=0.0, seed=0)
    wide = load_dataset("gauss", noise=0.5, seed=0)
    assert wide.points_train.std() > tight.points_train.std()


def test_transform_reproduces_the_training_features():
    ds = load_dataset("spiral", noise=0.1, seed=0, features=FEATURES_2D)
    np.testing.assert_array_equal(ds.transform(ds.points_train), ds.X_train)
    np.testing.assert_array_equal(ds.transform(ds.points_test), ds.X_test)
    # independent reference for each feature on a grid
    g = np.linspace(-6, 6, 7)
    grid = np.column_stack([np.repeat(g, 7), np.tile(g, 7)])
    x1, x2 = grid[:, 0], grid[:, 1]
    ref = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(ds.transform(grid), ref)


def test_feature_order_is_kept():
    ds = load_dataset("xor", features=["x1*x2", "x1"])
    np.testing.assert_array_equal(ds.X_train[:, 0], ds.points_train.prod(axis=1))
    np.testing.assert_array_equal(ds.X_train[:, 1], ds.points_train[:, 0])


def test_transform_rejects_bad_shapes():
    ds = load_dataset("circle")
    with pytest.raises(DatasetError, match=r"\(m, 2\)"):
        ds.transform(np.zeros((4, 3)))


@pytest.mark.parametrize("noise", [-0.01, 0.51, 5, float("nan"), "0.1", None, True])
def test_bad_noise(noise):
    with pytest.raises(DatasetError, match="noise"):
        load_dataset("circle", noise=noise)


def test_noise_given_as_percent_gets_a_hint():
    with pytest.raises(DatasetError, match="pass 0.1"):
        load_dataset("circle", noise=10)


@pytest.mark.parametrize("ratio", [0.05, 0.95, 0.0, 1.0, 50, "half"])
def test_bad_train_ratio(ratio):
    with pytest.raises(DatasetError, match="train_ratio"):
        load_dataset("spiral", train_ratio=ratio)


@pytest.mark.parametrize("ratio", [0.1, 0.9])
def test_extreme_ratios_are_allowed(ratio):
    ds = load_dataset("gauss", train_ratio=ratio)
    assert abs(ds.n_train / 500 - ratio) < 0.01


@pytest.mark.parametrize(
    "features, pattern",
    [
        (("x1", "x3"), "unknown feature 'x3'"),
        ((), "at least one"),
        (("x1", "x1"), "more than once"),
        ("x1", "list of feature names"),
    ],
)
def test_bad_features(features, pattern):
    with pytest.raises(DatasetError, match=pattern):
        load_dataset("circle", features=features)


@pytest.mark.parametrize("n", [0, 5, 10**7, 2.5, True])
def test_bad_n_samples(n):
    with pytest.raises(DatasetError, match="n_samples"):
        load_dataset("circle", n_samples=n)


@pytest.mark.parametrize("seed", [-1, 1.5, None, "0"])
def test_bad_seed(seed):
    with pytest.raises(DatasetError, match="seed"):
        load_dataset("circle", seed=seed)


def test_errors_are_value_errors():
    assert issubclass(DatasetError, ValueError)
