"""Network canvas: structure, controls, editing, tooltips, heatmaps (real engine and data)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QPushButton

from neuroviz.app import palette
from neuroviz.app.network.heatmaps import plane_grid
from neuroviz.app.network.view import MAX_HIDDEN_LAYERS, MAX_NEURONS, NetworkView
from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def _spec(ds, hidden, activation="tanh"):
    layers = [{"type": "dense", "units": n, "activation": activation} for n in hidden]
    layers.append({"type": "dense", "units": ds.n_outputs, "activation": ds.output_activation})
    return {"inputs": ds.n_features, "layers": layers, "loss": ds.loss}


def _trainer(ds, hidden, grid_n=24):
    net = Network.from_spec(_spec(ds, hidden), seed=0)
    tr = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, lr=0.03, batch_size=10)
    if ds.kind == "2d":
        _, feats, shape = plane_grid(ds, grid_n)
        tr.set_grid(feats, shape)
    return tr


def _make_view(qtbot, ds, trainer, size=(1000, 620)):
    view = NetworkView()
    qtbot.addWidget(view)
    net = trainer.net
    view.set_network(ds.feature_names, net.layer_sizes, net.activations, ["out"])
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    if ds.kind == "2d":
        _, feats, (n, m) = plane_grid(ds, trainer._grid_shape[0])
        view.set_input_images(feats.T.reshape(ds.n_features, n, m).astype(np.float32))
    view.set_snapshot(trainer.run(20, grid=ds.kind == "2d", gradients=True))
    QApplication.processEvents()
    return view


def _send_move(widget, pos: QPointF) -> None:
    gpos = QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QMouseEvent(QEvent.MouseMove, pos, gpos, Qt.NoButton, Qt.NoButton, Qt.NoModifier)
    QApplication.sendEvent(widget, ev)


def _unique_edge_point(canvas, k, i, j) -> QPointF:
    for t in (0.3, 0.2, 0.4, 0.15, 0.6, 0.7, 0.8):
        p = canvas.edge_point(k, i, j, t)
        if canvas.hit(p) == ("edge", k, i, j):
            return p
    raise AssertionError("no point picks this edge alone")


@pytest.fixture(scope="module")
def spiral():
    return load_dataset("spiral")


@pytest.mark.parametrize("hidden", [(), (4,), (3, 5), (8, 2, 6)])
def test_builds_for_zero_to_three_hidden_layers(qtbot, spiral, hidden):
    tr = _trainer(spiral, hidden)
    view = _make_view(qtbot, spiral, tr)
    L = len(hidden) + 1
    assert view.objectName() == "network_view"
    assert view.layers_label.text().startswith(f"{len(hidden)} hidden")
    combos = [view.findChild(QComboBox, f"activation_{k}") for k in range(1, L + 1)]
    assert all(c is not None and c.toolTip() for c in combos)
    assert combos[-1].currentData() == "sigmoid"
    for k in range(1, L):
        assert view.findChild(QPushButton, f"add_neuron_{k}").isEnabled()
        cap = view.findChild(QLabel, f"caption_{k}")
        assert f"Hidden layer {k}" in cap.text() and f"{hidden[k - 1]} neuron" in cap.text()
    assert view.findChild(QPushButton, f"add_neuron_{L}") is None  # not on the output layer
    assert all(view.heatmaps[k].values is not None for k in range(L + 1))
    # every control has a tooltip; captions do not overlap each other
    for cls in (QPushButton, QComboBox, QLabel):
        for w in view.findChildren(cls):
            if w.isVisible():
                assert w.toolTip(), w.objectName()
    caps = [view.findChild(QLabel, f"caption_{k}").geometry() for k in range(L + 1)]
    assert not any(a.intersects(b) for a, b in zip(caps, caps[1:]))
    _shot(view, f"network_view_{len(hidden)}_hidden")


def test_plus_minus_buttons_emit_requests_and_respect_limits(qtbot, spiral):
    view = _make_view(qtbot, spiral, _trainer(spiral, (3, MAX_NEURONS, 1)))
    with qtbot.waitSignal(view.add_layer_requested, timeout=60_000):
        qtbot.mouseClick(view.findChild(QPushButton, "add_layer"), Qt.LeftButton)
    with qtbot.waitSignal(view.remove_layer_requested, timeout=60_000):
        qtbot.mouseClick(view.findChild(QPushButton, "remove_layer"), Qt.LeftButton)
    with qtbot.waitSignal(view.add_neuron_requested, timeout=60_000) as blk:
        qtbot.mouseClick(view.findChild(QPushButton, "add_neuron_1"), Qt.LeftButton)
    assert blk.args == [1]
    with qtbot.waitSignal(view.remove_neuron_requested, timeout=60_000) as blk:
        qtbot.mouseClick(view.findChild(QPushButton, "remove_neuron_2"), Qt.LeftButton)
    assert blk.args == [2]
    # layer 2 has MAX_NEURONS neurons (max), layer 3 has 1 (min)
    add2 = view.findChild(QPushButton, "add_neuron_2")
    rem3 = view.findChild(QPushButton, "remove_neuron_3")
    assert not add2.isEnabled() and "maximum" in add2.toolTip()
    assert not rem3.isEnabled() and "at least one" in rem3.toolTip()
    with qtbot.assertNotEmitted(view.add_neuron_requested):
        qtbot.mouseClick(add2, Qt.LeftButton)

    # hidden-layer limits: 0 and MAX_HIDDEN_LAYERS
    view.set_network(["x1", "x2"], [2, 1], ["sigmoid"])
    rem = view.findChild(QPushButton, "remove_layer")
    assert not rem.isEnabled() and "no hidden layers" in rem.toolTip()
    assert view.findChild(QPushButton, "add_layer").isEnabled()
    sizes = [2] + [2] * MAX_HIDDEN_LAYERS + [1]
    view.set_network(["x1", "x2"], sizes, ["relu"] * MAX_HIDDEN_LAYERS + ["sigmoid"])
    add = view.findChild(QPushButton, "add_layer")
    assert not add.isEnabled() and str(MAX_HIDDEN_LAYERS) in add.toolTip()
    QApplication.processEvents()
    # the deepest network fits without scrolling; the captions shown are not clipped and do
    # not overlap (a very deep one captions every other layer)
    assert not view.scroll.horizontalScrollBar().isVisible()
    caps = [view.findChild(QLabel, f"caption_{k}") for k in range(len(sizes))]
    shown = [cap for cap in caps if cap.isVisible()]
    assert len(shown) >= MAX_HIDDEN_LAYERS // 3
    for cap in shown:
        assert cap.geometry().width() >= cap.sizeHint().width(), cap.text()
    assert not any(a.geometry().intersects(b.geometry()) for a, b in zip(shown, shown[1:]))
    _shot(view, f"network_view_{MAX_HIDDEN_LAYERS}_hidden")


def test_activation_picker_emits_and_output_choices_follow_the_loss(qtbot, spiral):
    view = _make_view(qtbot, spiral, _trainer(spiral, (4,)))
    combo = view.findChild(QComboBox, "activation_1")
    with qtbot.waitSignal(view.activation_change_requested, timeout=60_000) as blk:
        combo.setCurrentIndex(combo.findData("relu"))
    assert blk.args == [1, "relu"]
    view.set_output_activation_choices(["sigmoid"])
    out = view.findChild(QComboBox, "activation_2")
    assert [out.itemData(i) for i in range(out.count())] == ["sigmoid"]


def test_editing_a_weight_through_the_editor(qtbot, spiral):
    tr = _trainer(spiral, (4, 3))
    view = _make_view(qtbot, spiral, tr)
    canvas = view.canvas
    p = _unique_edge_point(canvas, 2, 1, 2)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=p.toPoint())
    editor = view.editor
    assert editor.isVisible()
    w_before = float(view.weights[1][0][1, 2])
    assert editor.line.text() == repr(w_before)
    _shot(view, "network_view_editor")

    for bad in ("abc", "nan", "inf", ""):
        editor.line.clear()
        qtbot.keyClicks(editor.line, bad)
        with qtbot.assertNotEmitted(view.weight_edited):
            qtbot.keyClick(editor.line, Qt.Key_Return)
        assert editor.isVisible() and editor.error.isVisible() and editor.error.text()
        assert float(view.weights[1][0][1, 2]) == w_before  # nothing changed
    assert "not a number" in _error_for(qtbot, editor, "abc")
    assert "finite" in _error_for(qtbot, editor, "nan")
    _shot(view, "network_view_editor_error")

    editor.line.clear()
    qtbot.keyClicks(editor.line, "-0.75")
    with qtbot.waitSignal(view.weight_edited, timeout=60_000) as blk:
        qtbot.keyClick(editor.line, Qt.Key_Return)
    assert blk.args == [2, 1, 2, -0.75]
    assert not editor.isVisible()
    assert view.weights[1][0][1, 2] == -0.75  # the view shows the new value at once


def _error_for(qtbot, editor, text):
    editor.line.clear()
    qtbot.keyClicks(editor.line, text)
    qtbot.keyClick(editor.line, Qt.Key_Return)
    return editor.error.text()


def test_editing_a_bias_by_clicking_a_neuron(qtbot, spiral):
    view = _make_view(qtbot, spiral, _trainer(spiral, (4,)))
    r = view.canvas.node_rect(1, 2)
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=r.center().toPoint() + QPoint(4, -4))
    view.editor.line.clear()
    qtbot.keyClicks(view.editor.line, "1.5")
    with qtbot.waitSignal(view.bias_edited, timeout=60_000) as blk:
        qtbot.mouseClick(view.editor.ok, Qt.LeftButton)
    assert blk.args == [1, 2, 1.5]
    # Escape cancels without a signal
    view.edit_bias(1, 0)
    with qtbot.assertNotEmitted(view.bias_edited):
        qtbot.keyClick(view.editor.line, Qt.Key_Escape)
    assert not view.editor.isVisible()


def test_hover_tooltips_show_exact_values_and_emit_neuron_hovered(qtbot, spiral):
    tr = _trainer(spiral, (4,))
    view = _make_view(qtbot, spiral, tr)
    canvas = view.canvas
    w = float(view.weights[0][0][1, 3])
    _send_move(canvas, _unique_edge_point(canvas, 1, 1, 3))
    assert repr(w) in canvas.toolTip() and "x2" in canvas.toolTip()
    with qtbot.waitSignal(view.neuron_hovered, timeout=60_000) as blk:
        _send_move(canvas, view.canvas.node_rect(1, 2).center() + QPointF(5, -5))
    assert blk.args == [1, 2]
    b = float(view.weights[0][1][2])
    assert repr(b) in canvas.toolTip() and "bias" in canvas.toolTip()
    with qtbot.waitSignal(view.neuron_hovered, timeout=60_000) as blk:
        _send_move(canvas, QPointF(3, canvas.height() - 3))
    assert blk.args == [-1, -1]
    # gradient mode adds dL/dw and still works
    view.set_edge_mode("gradients")
    _send_move(canvas, _unique_edge_point(canvas, 1, 0, 0))
    assert "dL/dw" in canvas.toolTip()
    with pytest.raises(ValueError):
        view.set_edge_mode("colours")


def test_six_by_eight_heatmaps_update_from_a_snapshot(qtbot, spiral):
    tr = _trainer(spiral, (8,) * 6, grid_n=40)
    view = _make_view(qtbot, spiral, tr, size=(1200, 700))
    first = {k: h.buf.copy() for k, h in view.heatmaps.items()}
    snaps = [tr.run(50, grid=True, gradients=True) for _ in range(5)]
    view.set_snapshot(snaps[-1])
    for k in range(1, 8):
        assert view.heatmaps[k].values.shape == (view.layer_sizes[k], 40, 40)
        np.testing.assert_array_equal(view.heatmaps[k].values, snaps[-1].grid[k - 1])
    assert any(not np.array_equal(first[k], view.heatmaps[k].buf) for k in range(1, 8))
    # output neuron: tanh spiral at layer 1, neuron 0, checked against the engine directly
    _, feats, _ = plane_grid(spiral, 40)
    z1 = tr.net.forward_all(feats)[0][1][:, 0].reshape(40, 40)
    np.testing.assert_allclose(view.neuron_image(1, 0), z1, atol=1e-5)

    view.redraw_now()
    t0 = time.perf_counter()
    n = 30
    for i in range(n):
        view.set_snapshot(snaps[i % len(snaps)])
        view.redraw_now()
    ms = (time.perf_counter() - t0) / n * 1000
    print(f"6x8 network, 40x40 heatmaps: {ms:.2f} ms per update+repaint")  # speed: benchmarks
    _shot(view, "network_view_6x8_heatmaps")

    view.highlight(3, 4)
    view.highlight(4, edge=(2, 5))
    assert view.highlighted == ("edge", 4, 2, 5)
    view.set_edge_mode("gradients")
    _shot(view, "network_view_6x8_gradients_highlight")
    view.highlight(None)
    assert view.highlighted is None

    # switching the palette recolours the heatmaps in place (same buffers, new pixels)
    buf = view.heatmaps[1].buf
    before = buf.copy()
    try:
        palette.set_palette("purple_orange")
        assert view.heatmaps[1].buf is buf and not np.array_equal(before, buf)
    finally:
        palette.set_palette("default")
    np.testing.assert_array_equal(before, view.heatmaps[1].buf)


def test_nan_snapshot_keeps_the_last_finite_picture(qtbot, spiral):
    import dataclasses

    tr = _trainer(spiral, (4,))
    view = _make_view(qtbot, spiral, tr)
    good = [(W.copy(), b.copy()) for W, b in view.weights]
    snap = tr.snapshot(grid=True)
    bad_w = tuple((np.full_like(W, np.nan), b) for W, b in snap.weights)
    bad_g = tuple(np.full_like(g, np.nan) for g in snap.grid)
    view.set_snapshot(dataclasses.replace(snap, weights=bad_w, grid=bad_g))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(good, view.weights))
    assert np.isfinite(view.heatmaps[1].values).all()
    view.redraw_now()


def test_tabular_example_values_scale_and_palette(qtbot):
    ds = load_dataset("penguins")
    tr = _trainer(ds, (6,))
    view = NetworkView()
    qtbot.addWidget(view)
    view.set_network(ds.feature_names, tr.net.layer_sizes, tr.net.activations, ds.class_names)
    view.resize(900, 560)
    view.show()
    qtbot.waitExposed(view)
    view.set_snapshot(tr.run(100))
    x = ds.X_train[:1]
    view.set_example([x[0]] + [a[0] for _, a in tr.net.forward_all(x)])
    _send_move(view.canvas, view.canvas.node_rect(0, 2).center())
    assert "flipper length" in view.canvas.toolTip() and repr(float(x[0, 2])) in \
        view.canvas.toolTip()
    _shot(view, "network_view_penguins")
    try:
        palette.set_palette("high_contrast")
        view.set_scale(1.6)
        view.resize(1280, 720)
        QApplication.processEvents()
        assert view.canvas.font().pointSizeF() == pytest.approx(16.0)
        caps = [view.findChild(QLabel, f"caption_{k}") for k in range(3)]
        assert all(c.geometry().width() >= c.sizeHint().width() for c in caps)
        _shot(view, "network_view_presenter_scale")
    finally:
        palette.set_palette("default")


def test_digits_network_squeezes_64_inputs(qtbot):
    ds = load_dataset("digits")
    tr = _trainer(ds, (12,))
    view = NetworkView()
    qtbot.addWidget(view)
    view.set_network(ds.feature_names, tr.net.layer_sizes, tr.net.activations, ds.class_names)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_snapshot(tr.run(20))
    cv = view.canvas
    last = cv.node_rect(0, 63)
    assert last.bottom() <= cv.height() and cv.node_rect(1, 0).width() > last.width()
    _shot(view, "network_view_digits")


def test_dark_theme_side_by_side_with_the_output_view(qtbot, spiral):
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from neuroviz.app.output.view import OutputView
    from neuroviz.app.window.themes import apply_theme

    app = QApplication.instance()
    original = app.palette()
    try:
        apply_theme("dark")
        tr = _trainer(spiral, (8, 8, 4), grid_n=40)
        win = QWidget()
        qtbot.addWidget(win)
        lay = QHBoxLayout(win)
        view, out = NetworkView(), OutputView()
        lay.addWidget(view, 3)
        lay.addWidget(out, 2)
        view.set_network(spiral.feature_names, tr.net.layer_sizes, tr.net.activations, ["out"])
        out.set_dataset(spiral, tr.net.spec)
        _, feats, (n, m) = plane_grid(spiral, 40)
        view.set_input_images(feats.T.reshape(2, n, m).astype(np.float32))
        win.resize(1400, 720)
        win.show()
        qtbot.waitExposed(win)
        snap = tr.run(400, grid=True, gradients=True)
        view.set_snapshot(snap)
        out.set_snapshot(snap)
        out.flush()
        view.neuron_hovered.connect(
            lambda k, j: out.show_neuron_image(view.neuron_image(k, j) if k >= 0 else None,
                                               f"layer {k}, neuron {j + 1}"))
        _send_move(view.canvas, view.canvas.node_rect(2, 1).center())
        assert "neuron 2" in out.title.text()
        base = view.canvas.palette().base().color()
        assert base.lightness() < 80  # dark background really applied
        _shot(win, "network_and_output_dark")
    finally:
        app.setPalette(original)


def _pixels(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format_RGB32)
    a = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                           image.bytesPerLine() // 4, 4)
    return a[:, :image.width(), :3].astype(int)


def test_edge_pictures_are_repainted_only_for_layers_whose_edges_changed(qtbot, spiral):
    import dataclasses

    from PySide6.QtGui import QImage, QPainter, QPicture, QRegion
    from PySide6.QtWidgets import QWidget

    tr = _trainer(spiral, (4, 4))
    view = _make_view(qtbot, spiral, tr)
    canvas = view.canvas
    cache = canvas._edge_cache
    snap = tr.run(200, grid=True)
    view.set_snapshot(snap)
    canvas.repaint()
    before = cache.repainted
    canvas.repaint()  # the same values: every layer's edges are blitted
    assert cache.repainted == before
    # flip the sign of the strongest weight into layer 2: only that layer is redrawn
    weights = [tuple(np.array(a) for a in group) for group in snap.weights]
    W = weights[1][0]
    i, j = np.unravel_index(np.argmax(np.abs(W)), W.shape)
    W[i, j] = -W[i, j]
    view.set_snapshot(dataclasses.replace(snap, weights=tuple(weights)))
    canvas.repaint()
    assert cache.repainted == before + 1
    assert view.weights[1][0][i, j] == W[i, j]
    # the picture matches drawing every line and image directly (a recording, replayed)
    grabbed = canvas.grab().toImage()
    picture = QPicture()
    recorder = QPainter(picture)
    QWidget.render(canvas, recorder, QPoint(0, 0), QRegion(),
                   QWidget.RenderFlag.DrawWindowBackground)
    recorder.end()
    direct = QImage(grabbed.size(), QImage.Format_RGB32)
    direct.fill(canvas.palette().base().color())
    painter = QPainter(direct)
    painter.drawPicture(0, 0, picture)
    painter.end()
    diff = np.abs(_pixels(grabbed) - _pixels(direct)).max(axis=2)
    assert (diff > 24).mean() < 0.01, f"{(diff > 24).mean():.3%} of the pixels differ"


def test_neuron_thumbnails_at_drawn_size_and_the_hovered_picture_at_the_full_grid(qtbot,
                                                                                spiral):
    from PySide6.QtCore import Qt as QtCore_Qt

    # The trainer sends hidden layers thinned (as the worker does for a 48 x 48 grid with
    # step 2); the view draws them at the neuron's pixel size, and a hovered neuron's large
    # picture is the full grid, computed from the weights (checked against the engine).
    tr = _trainer(spiral, (8, 8), grid_n=48)
    _, feats, shape = plane_grid(spiral, 48)
    tr.set_grid(feats, shape, hidden_step=2)
    view = NetworkView()
    qtbot.addWidget(view)
    spec = _spec(spiral, (8, 8))
    view.set_spec(spiral.feature_names, spec, ["out"])
    view.set_grid_points(feats, shape)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    snap = tr.run(300, grid=True)
    view.set_snapshot(snap)
    view.canvas.repaint()
    heat = view.heatmaps[1]
    assert heat.values.shape == (8, 24, 24)
    px = round(view.canvas.node_sizes[1] * view.canvas.devicePixelRatioF())
    sized = heat.sized_images(px, view.canvas.devicePixelRatioF())
    assert sized[0].width() == sized[0].height() == px
    scaled = heat.image(0).scaled(px, px, QtCore_Qt.IgnoreAspectRatio,
                                  QtCore_Qt.FastTransformation)
    # nearest samples, as Qt's unsmoothed scaling picks them (at most a neighbouring one)
    diff = np.abs(_pixels(sized[0]) - _pixels(scaled)).max(axis=2)
    assert (diff > 40).mean() < 0.02, f"{(diff > 40).mean():.3%} of the pixels differ"
    image = view.neuron_image(1, 2)
    assert image.shape == (48, 48)
    net = Network.from_spec(spec, seed=0)
    net.set_weights(snap.weights)
    expected = net.forward_all(feats)[0][1][:, 2].reshape(48, 48)
    np.testing.assert_allclose(image, expected, atol=1e-5)
    # the output layer came at the full grid from the trainer: used as it is
    np.testing.assert_array_equal(view.neuron_image(3, 0), snap.grid[2][0])
