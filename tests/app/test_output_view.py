"""Output panel with real datasets and the real engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox

from neuroviz.app.network.heatmaps import plane_grid
from neuroviz.app.output.view import OutputView
from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def _spec(ds, hidden=(8, 8), activation="tanh"):
    layers = [{"type": "dense", "units": n, "activation": activation} for n in hidden]
    layers.append({"type": "dense", "units": ds.n_outputs, "activation": ds.output_activation})
    return {"inputs": ds.n_features, "layers": layers, "loss": ds.loss}


def _setup(qtbot, name, steps=600, hidden=(8, 8), grid_n=40, size=(440, 760)):
    ds = load_dataset(name)
    spec = _spec(ds, hidden)
    tr = Trainer(Network.from_spec(spec, seed=0), ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                 lr=0.03, batch_size=10)
    if ds.kind == "2d":
        _, feats, shape = plane_grid(ds, grid_n)
        tr.set_grid(feats, shape)
    view = OutputView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_dataset(ds, spec)
    snap = tr.run(steps, grid=ds.kind == "2d")
    view.set_snapshot(snap)
    view.flush()
    return ds, spec, tr, view, snap


def _independent_confusion(spec, snap, ds):
    net = Network.from_spec(spec, seed=123)
    net.set_weights([(np.array(W), np.array(b)) for W, b in snap.weights])
    p = net.predict(ds.X_test)
    pred = (p[:, 0] > 0.5).astype(int) if p.shape[1] == 1 else p.argmax(axis=1)
    k = max(len(ds.class_names), 2)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (ds.y_test, pred), 1)
    return counts


def _click_data_point(qtbot, plot, x, y):
    vb = plot.getPlotItem().getViewBox()
    scene_pt = vb.mapViewToScene(QPointF(float(x), float(y)))
    pos = plot.mapFromScene(scene_pt)
    qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=pos)


def test_spiral_decision_boundary_points_and_confusion(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "spiral")
    assert view.image.image is not None and view.image.image.shape == (40, 40, 4)
    np.testing.assert_array_equal(view._boundary, snap.grid[-1])
    assert len(view.train_points.data) == ds.n_train
    assert len(view.test_points.data) == ds.n_test
    np.testing.assert_array_equal(view.counts, _independent_confusion(spec, snap, ds))
    assert "test accuracy" in view.title.text()
    _shot(view, "output_spiral")

    # a click on a training point selects it
    i = 7
    x, y = ds.points_train[i]
    with qtbot.waitSignal(view.example_selected, timeout=60_000) as blk:
        _click_data_point(qtbot, view.plot, x, y)
    assert blk.args[0] in ("train", "test")
    split, idx = blk.args
    pts = ds.points_train if split == "train" else ds.points_test
    assert np.hypot(*(pts[idx] - (x, y))) < 0.4  # the point under the mouse
    assert view.selected == (split, idx)

    # toggles: the panel's own check boxes and the setters agree
    box = view.findChild(QCheckBox, "output_show_test")
    with qtbot.waitSignal(view.show_test_toggled, timeout=60_000):
        box.setChecked(False)
    assert len(view.test_points.data) == 0
    view.set_show_test(True)
    assert box.isChecked() and len(view.test_points.data) == ds.n_test
    view.set_discretize(True)
    assert view.findChild(QCheckBox, "output_discretize").isChecked()
    colours = {tuple(c) for c in view.image.image[..., :3].reshape(-1, 3)}
    assert len(colours) <= 2  # two flat colours
    _shot(view, "output_spiral_discretised")


def test_spiral3_boundary_has_one_colour_per_class(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "spiral3", steps=1500)
    view.set_discretize(True)
    colours = {tuple(c) for c in view.image.image[..., :3].reshape(-1, 3)}
    predicted = set(np.argmax(snap.grid[-1], axis=0).ravel().tolist())
    assert len(colours) == len(predicted) >= 2
    np.testing.assert_array_equal(view.counts, _independent_confusion(spec, snap, ds))
    view.set_discretize(False)
    _shot(view, "output_spiral3")


def test_penguins_slice_and_confusion_counts(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "penguins", steps=300)
    sx = view.findChild(QComboBox, "slice_x")
    sy = view.findChild(QComboBox, "slice_y")
    assert sx.isVisible() and sx.count() == ds.n_features == sy.count()
    assert (sx.currentIndex(), sy.currentIndex()) == (0, 1)
    np.testing.assert_array_equal(view.counts, _independent_confusion(spec, snap, ds))
    assert view.counts.sum() == ds.n_test
    _shot(view, "output_penguins")

    with qtbot.waitSignal(view.slice_axes_changed, timeout=60_000) as blk:
        sx.setCurrentIndex(2)
    assert blk.args == [2, 1]
    assert view.plot.getPlotItem().getAxis("bottom").labelText == ds.feature_names[2]
    # x on the horizontal axis = raw flipper length of each training example
    raw = ds.X_train * ds.feature_std + ds.feature_mean
    np.testing.assert_allclose(view.train_points.data["x"], raw[:, 2])
    # the slice: others at their mean; check one pixel against the engine
    net = Network.from_spec(spec)
    net.set_weights([(np.array(W), np.array(b)) for W, b in snap.weights])
    assert view._boundary.shape == (3, 48, 48)
    (lo, hi) = view._slice_box
    x0 = np.tile(ds.X_train.mean(axis=0), (1, 1))
    x0[0, 2] = (lo[0] - ds.feature_mean[2]) / ds.feature_std[2]
    x0[0, 1] = (lo[1] - ds.feature_mean[1]) / ds.feature_std[1]
    np.testing.assert_allclose(view._boundary[:, 0, 0], net.predict(x0)[0], rtol=1e-9)
    # choosing the same feature on both axes swaps them
    sy.setCurrentIndex(2)
    assert view.slice_axes == (1, 2)
    _shot(view, "output_penguins_flipper")


@pytest.mark.parametrize("name", ["plane", "boxoffice", "boxoffice_budget"])
def test_regression_surface_and_predicted_vs_actual(qtbot, name):
    ds, spec, tr, view, snap = _setup(qtbot, name, steps=800)
    assert view.secondary.currentWidget() is view.pva
    net = Network.from_spec(spec)
    net.set_weights([(np.array(W), np.array(b)) for W, b in snap.weights])
    np.testing.assert_allclose(view.pva_test.data["y"], net.predict(ds.X_test)[:, 0])
    np.testing.assert_allclose(view.pva_test.data["x"], ds.Y_test[:, 0])
    lx, ly = view.pva_line.getData()
    np.testing.assert_allclose(lx, ly)  # the y = x line
    assert "R²" in view.title.text()
    if name == "boxoffice_budget":
        xs, ys = view.curve.getData()
        assert len(xs) == 200 and np.isfinite(ys).all()
    else:
        assert view.image.image is not None
    _shot(view, f"output_{name}")


def test_digits_image_bars_and_gallery(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "digits", steps=150, hidden=(16,))
    np.testing.assert_array_equal(view.counts, _independent_confusion(spec, snap, ds))
    assert view.selected == ("test", 0)
    net = Network.from_spec(spec)
    net.set_weights([(np.array(W), np.array(b)) for W, b in snap.weights])
    p = net.predict(ds.X_test)
    np.testing.assert_allclose(view.prob_bars.probs, p[0])
    wrong = np.flatnonzero(p.argmax(axis=1) != ds.y_test)
    assert view.gallery.count() == min(len(wrong), 60) > 0
    _shot(view, "output_digits")
    item = view.gallery.item(0)
    rect = view.gallery.visualItemRect(item)
    with qtbot.waitSignal(view.example_selected, timeout=60_000) as blk:
        qtbot.mouseClick(view.gallery.viewport(), Qt.LeftButton, pos=rect.center())
    assert blk.args == ["test", int(wrong[0])]
    assert f"image {int(wrong[0])}" in view.digit_image.caption
    np.testing.assert_allclose(view.prob_bars.probs, p[wrong[0]])


def test_never_draws_from_nans_and_throttles(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "spiral")
    before_img = view.image.image.copy()
    before_counts = view.counts.copy()
    bad = dataclasses.replace(
        snap, weights=tuple((np.full_like(W, np.nan), b) for W, b in snap.weights),
        grid=tuple(np.full_like(g, np.nan) for g in snap.grid))
    view.set_snapshot(bad)
    view.flush()
    np.testing.assert_array_equal(view.image.image, before_img)
    np.testing.assert_array_equal(view.counts, before_counts)

    # many snapshots in a burst: expensive work waits for the timer, then uses the newest
    snaps = [tr.run(40, grid=True) for _ in range(5)]
    calls = []
    orig = view._update_confusion
    view._update_confusion = lambda: (calls.append(1), orig())
    for s in snaps:
        view.set_snapshot(s)
    assert view._timer.isActive() and not calls
    qtbot.waitUntil(lambda: len(calls) > 0, timeout=60_000)  # the timer fired
    assert len(calls) == 1 and not view._timer.isActive()
    np.testing.assert_array_equal(view.counts, _independent_confusion(spec, snaps[-1], ds))


def test_hovered_neuron_image_replaces_the_boundary(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "circle")
    img = snap.grid[0][3]
    view.show_neuron_image(img, "hidden layer 1, neuron 4")
    assert "neuron 4" in view.title.text()
    assert view.image.image.shape[:2] == img.shape
    _shot(view, "output_neuron_hover")
    view.show_neuron_image(None)
    assert "Decision boundary" in view.title.text()
    np.testing.assert_array_equal(view._boundary, snap.grid[-1])


def test_presenter_scale_keeps_everything_readable(qtbot):
    ds, spec, tr, view, snap = _setup(qtbot, "penguins", steps=200, size=(640, 900))
    view.set_scale(1.6)
    QApplication.processEvents()
    assert view.title.font().pointSizeF() == pytest.approx(16.0)
    assert view.confusion.height() >= view.confusion.sizeHint().height() - 1
    _shot(view, "output_penguins_presenter")


@pytest.mark.parametrize("name", ["strokes", "shapes"])
def test_generated_images_image_bars_confusion_and_gallery(qtbot, name):
    ds = load_dataset(name, noise=0.1)
    h, w = ds.image_shape
    spec = {"inputs": ds.spec_inputs, "loss": ds.loss,
            "layers": [{"type": "dense", "units": 12, "activation": "relu"},
                       {"type": "dense", "units": 4, "activation": "softmax"}]}
    assert spec["inputs"] == [h, w, 1]
    tr = Trainer(Network.from_spec(spec, seed=0), ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                 lr=0.05, batch_size=16)
    view = OutputView()
    qtbot.addWidget(view)
    view.resize(520, 900)
    view.show()
    qtbot.waitExposed(view)
    view.set_dataset(ds, spec)
    view.set_details_shown(True)
    snap = tr.run(300)
    view.set_snapshot(snap)
    view.flush()
    # the confusion matrix counts what a NumPy reference counts
    net = Network.from_spec(spec, seed=9)
    net.set_weights(snap.weights)
    p = net.predict(ds.X_test)
    reference = np.zeros((4, 4), dtype=np.int64)
    for t, q in zip(ds.y_test, p.argmax(axis=1)):
        reference[t, q] += 1
    np.testing.assert_array_equal(view.counts, reference)
    np.testing.assert_array_equal(view.confusion.counts, reference)
    assert f"{100 * np.trace(reference) / reference.sum():.1f}% correct" in \
        view.secondary_title.text()
    # the selected image at its own size, its class probabilities and its true class
    assert view.main_stack.currentWidget() is view.digits_row
    assert (view.digit_image.image.width(), view.digit_image.image.height()) == (w, h)
    np.testing.assert_allclose(view.prob_bars.probs, p[0])
    assert view.prob_bars.true_class == int(ds.y_test[0])
    assert ds.class_names[int(np.argmax(p[0]))] in view.digit_image.caption
    # ink 0 is white and ink 1 black in the picture (the dataset's own value range)
    img = view.digit_image.image
    x = ds.X_test[0].reshape(h, w)
    r, c = np.unravel_index(np.argmax(x), x.shape)
    assert abs(img.pixelColor(int(c), int(r)).lightness() - (255 - 255 * x[r, c])) <= 1
    wrong = np.flatnonzero(p.argmax(axis=1) != ds.y_test)
    assert view.gallery.count() == min(len(wrong), 60)
    assert view.gallery.isVisible() and view.confusion.isVisible()
    _shot(view, f"output_{name}")
