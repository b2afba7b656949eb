"""Generated image datasets: strokes (12x12) and shapes (16x16), and digits as images."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.data import DATASETS, DatasetError, load_dataset
from neuroviz.data.imagegen import draw_shape, draw_stroke
from neuroviz.engine import Network

IMAGE_SETS = {"strokes": (12, 12), "shapes": (16, 16)}


@pytest.mark.parametrize("name", IMAGE_SETS)
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_shapes_dtypes_labels(name, noise):
    ds = load_dataset(name, noise=noise, train_ratio=0.6, seed=3)
    h, w = IMAGE_SETS[name]
    assert ds.kind == "image" and ds.task == "classification"
    assert ds.image_shape == (h, w)
    assert ds.spec_inputs == [h, w, 1]
    assert ds.n_classes == 4 == DATASETS[name].n_classes
    n = DATASETS[name].default_n_samples
    assert ds.n_train + ds.n_test == n
    assert ds.n_train == round(0.6 * n)
    for X, Y, y in ((ds.X_train, ds.Y_train, ds.y_train), (ds.X_test, ds.Y_test, ds.y_test)):
        assert X.dtype == np.float64 and X.shape == (len(y), h * w)
        assert X.flags.c_contiguous
        assert X.min() >= 0.0 and X.max() <= 1.0  # ink, as in the digits set
        assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1, 2, 3}
        assert Y.shape == (len(y), 4)
        np.testing.assert_array_equal(np.argmax(Y, axis=1), y)
        np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    assert len(ds.feature_names) == h * w and ds.feature_names[w] == "pixel 1,0"
    assert ds.feature_mean is None and ds.feature_std is None
    assert ds.loss == "softmax_ce"


@pytest.mark.parametrize("name,option", [("strokes", {"placement": "anywhere"}),
                                         ("strokes", {"placement": "split"}),
                                         ("shapes", {"size": "mixed"}),
                                         ("shapes", {"size": "split"})])
def test_classes_balanced(name, option):
    ds = load_dataset(name, noise=0.1, seed=1, n_samples=403, **option)
    for y in (ds.y_train, ds.y_test):
        counts = np.bincount(y, minlength=4)
        assert counts.max() - counts.min() <= 1
    total = np.bincount(np.concatenate([ds.y_train, ds.y_test]), minlength=4)
    assert total.max() - total.min() <= 2


@pytest.mark.parametrize("name", IMAGE_SETS)
def test_seeded_determinism(name):
    a = load_dataset(name, noise=0.2, seed=7)
    b = load_dataset(name, noise=0.2, seed=7)
    c = load_dataset(name, noise=0.2, seed=8)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.X_train, c.X_train)


def test_noise_adds_pixel_noise():
    clean = load_dataset("strokes", noise=0.0, seed=2)
    noisy = load_dataset("strokes", noise=0.3, seed=2)
    # clean strokes leave most of the image white; noise inks the background
    assert np.mean(clean.X_train == 0.0) > 0.7
    assert np.mean(noisy.X_train == 0.0) < 0.6
    assert noisy.X_train.min() >= 0 and noisy.X_train.max() <= 1


def _mass(X, shape):
    h, w = shape
    im = X.reshape(-1, h, w)
    return im[:, :, : w // 2].sum(), im[:, :, w // 2:].sum()


def test_split_placement_puts_train_left_and_test_right():
    ds = load_dataset("strokes", placement="split", noise=0.0, seed=4)
    left, right = _mass(ds.X_train, (12, 12))
    assert left > 0 and right == 0.0
    left, right = _mass(ds.X_test, (12, 12))
    assert right > 0 and left == 0.0
    # with noise the background gets ink everywhere, but the strokes stay where they were
    ds = load_dataset("strokes", placement="split", noise=0.2, seed=4)
    left, right = _mass(ds.X_train, (12, 12))
    assert left > 1.5 * right
    left, right = _mass(ds.X_test, (12, 12))
    assert right > 1.5 * left


def test_anywhere_placement_uses_both_halves_in_both_parts():
    ds = load_dataset("strokes", placement="anywhere", noise=0.0, seed=4)
    for X in (ds.X_train, ds.X_test):
        left, right = _mass(X, (12, 12))
        assert 0.7 < left / right < 1.4


def test_split_size_trains_small_tests_large():
    ds = load_dataset("shapes", size="split", noise=0.0, seed=0)
    assert ds.X_test.sum(axis=1).mean() > 1.3 * ds.X_train.sum(axis=1).mean()
    small = load_dataset("shapes", size="small", seed=0)
    large = load_dataset("shapes", size="large", seed=0)
    assert large.X_train.sum(axis=1).mean() > 1.3 * small.X_train.sum(axis=1).mean()


def test_drawings_match_their_geometry():
    # a horizontal stroke through the middle row inks that row only around the centre
    img = draw_stroke((12, 12), (6.0, 6.5), 0.0, 4.0).reshape(12, 12)
    assert img[6, 4:8].min() == 1.0
    assert img[:5].sum() == 0 and img[8:].sum() == 0
    vertical = draw_stroke((12, 12), (6.5, 6.0), 90.0, 4.0).reshape(12, 12)
    np.testing.assert_allclose(vertical, img.T)
    # a circle's ring leaves its centre white; a cross inks its centre
    circle = draw_shape((16, 16), 0, (8.0, 8.0), 6.0).reshape(16, 16)
    cross = draw_shape((16, 16), 3, (8.0, 8.0), 6.0).reshape(16, 16)
    assert circle[7:9, 7:9].sum() == 0 and circle.sum() > 20
    assert cross[7:9, 7:9].min() > 0.8  # pixel centres half a pixel off both bars


@pytest.mark.parametrize("kwargs,needle", [
    ({"placement": "left"}, "'placement' of 'strokes' must be one of 'anywhere', 'split'"),
    ({"placement": True}, "must be one of"),
    ({"size": "huge"}, "unknown option 'size' for dataset 'strokes'"),
    ({"noise": 0.8}, "noise must be from 0.0 to 0.5"),
    ({"noise": "lots"}, "noise must be a number"),
    ({"n_samples": 5}, "n_samples must be from 10"),
    ({"n_samples": 50_000}, "at most 20,000 images"),
    ({"n_samples": 12.5}, "n_samples must be an integer"),
    ({"train_ratio": 0.95}, "train_ratio must be from 0.1 to 0.9"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_strokes_options_validated(kwargs, needle):
    with pytest.raises(DatasetError, match=None) as info:
        load_dataset("strokes", **kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize("kwargs,needle", [
    ({"size": "medium"}, "'size' of 'shapes' must be one of 'mixed', 'small', 'large', 'split'"),
    ({"size": 3}, "must be one of"),
    ({"placement": "split"}, "unknown option 'placement' for dataset 'shapes'"),
])
def test_shapes_options_validated(kwargs, needle):
    with pytest.raises(DatasetError) as info:
        load_dataset("shapes", **kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize("name", ["digits", "strokes", "shapes"])
def test_image_data_feeds_a_network_with_an_image_input(name):
    ds = load_dataset(name, seed=0)
    spec = {"inputs": ds.spec_inputs,
            "layers": [{"type": "dense", "units": 8, "activation": "relu"},
                       {"type": "dense", "units": ds.n_outputs, "activation": "softmax"}],
            "loss": ds.loss}
    net = Network.from_spec(spec, seed=0)
    assert net.n_inputs == ds.n_features
    h, w = ds.image_shape
    flat = net.predict(ds.X_test[:5])
    shaped = net.predict(ds.X_test[:5].reshape(5, h, w, 1))
    np.testing.assert_allclose(flat, shaped)
    assert load_dataset("digits").spec_inputs == [8, 8, 1]


def test_tabular_and_2d_inputs_stay_counts():
    assert load_dataset("penguins").spec_inputs == 4
    assert load_dataset("circle", features=("x1", "x2", "x1^2")).spec_inputs == 3
