"""Drawing an example with the mouse: the sketch pad, its live prediction, and the window's
selected example (real widgets, real engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from neuroviz.app.data.sketch import SketchPad
from neuroviz.data import load_dataset
from neuroviz.engine import Network
from neuroviz.experiment import DatasetSettings

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def _block_mean(raster: np.ndarray, shape) -> np.ndarray:
    """Each image pixel: the mean of the raster cells it covers (loops, as a reference)."""
    h, w = shape
    k = raster.shape[0] // h
    assert raster.shape == (h * k, w * k)
    out = np.empty((h, w))
    for i in range(h):
        for j in range(w):
            out[i, j] = raster[i * k:(i + 1) * k, j * k:(j + 1) * k].sum() / (k * k)
    return out.reshape(-1)


def _centre(canvas, row: float, col: float) -> QPoint:
    """Widget position of the centre of image pixel (row, col)."""
    k = canvas.factor
    return QPoint(int(1 + (col + 0.5) * k), int(1 + (row + 0.5) * k))


def _stroke(canvas, points, button=Qt.MouseButton.LeftButton) -> None:
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, points[0])
    for a, b in zip(points[:-1], points[1:]):
        for t in np.linspace(0, 1, 6)[1:]:
            QTest.mouseMove(canvas, QPoint(int(a.x() + t * (b.x() - a.x())),
                                           int(a.y() + t * (b.y() - a.y()))))
    QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, points[-1])


def test_pad_draws_erases_undoes_and_downsamples(qtbot):
    ds = load_dataset("strokes")
    pad = SketchPad()
    qtbot.addWidget(pad)
    pad.set_dataset(ds.title, ds.image_shape, ds.class_names)
    pad.show()
    qtbot.waitExposed(pad)
    canvas = pad.canvas
    assert 160 <= canvas.width() <= 240 and canvas.width() == canvas.height()
    assert canvas.is_empty() and not pad.undo_button.isEnabled()
    changes = []
    canvas.image_changed.connect(lambda: changes.append(1))

    # a horizontal stroke along image row 5, from column 2 to column 9
    _stroke(canvas, [_centre(canvas, 5, 2), _centre(canvas, 5, 9)])
    assert changes
    image = canvas.image().reshape(12, 12)
    np.testing.assert_allclose(canvas.image(), _block_mean(canvas.raster, (12, 12)))
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image[5, 3:9].min() > 0.5  # the row drawn over is inked
    assert image[:4].sum() == 0 and image[7:].sum() == 0  # far rows stay white
    assert np.argmax(image.sum(axis=1)) == 5

    # the right button rubs out what it passes over
    before = image.copy()
    _stroke(canvas, [_centre(canvas, 5, 2), _centre(canvas, 5, 5)],
            Qt.MouseButton.RightButton)
    after = canvas.image().reshape(12, 12)
    assert after[5, 2:5].max() < 0.2 and after[5, 7:9].min() > 0.5
    assert after.sum() < before.sum()

    # Ctrl+Z inside the pad takes back one stroke at a time
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_allclose(canvas.image().reshape(12, 12), before)
    pad.clear_button.click()
    assert canvas.is_empty()
    pad.undo_button.click()
    np.testing.assert_allclose(canvas.image().reshape(12, 12), before)

    # the eraser tool: the left button rubs out too
    pad.eraser_button.click()
    _stroke(canvas, [_centre(canvas, 5, 0), _centre(canvas, 5, 11)])
    assert canvas.image().reshape(12, 12)[5].max() < 0.2


def _draw_square(canvas, top, left, bottom, right) -> None:
    corners = [_centre(canvas, top, left), _centre(canvas, top, right),
               _centre(canvas, bottom, right), _centre(canvas, bottom, left),
               _centre(canvas, top, left)]
    _stroke(canvas, corners)


def _predict(win, x):
    net = Network.from_spec(win.state.spec, seed=5)
    net.set_weights(win.latest_snapshot.weights)
    return net.predict(x[None, :])[0]


@pytest.mark.parametrize("name", ["shapes", "digits"])
def test_drawing_predicts_live_and_becomes_the_selected_example(make_window, qtbot, name):
    win = make_window(restore=False)
    win.set_dataset(DatasetSettings(name=name))
    assert win.state.spec["inputs"] == list(win.dataset.spec_inputs)
    ds = win.dataset
    h, w = ds.image_shape
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.latest_snapshot.epoch >= 1, timeout=60_000)

    win.action_draw_example.trigger()
    sketch = win.sketch
    qtbot.waitUntil(lambda: sketch.active, timeout=60_000)
    canvas = sketch.pad.canvas
    assert canvas.shape == (h, w)
    _draw_square(canvas, 2, 2, h - 4, w - 4)

    def shown_matches() -> bool:
        x = _block_mean(canvas.raster, (h, w))
        probs = sketch.pad.probabilities
        return probs is not None and np.allclose(probs, _predict(win, x), atol=1e-9)

    qtbot.waitUntil(shown_matches, timeout=60_000)
    x = _block_mean(canvas.raster, (h, w))
    p = _predict(win, x)
    best = ds.class_names[int(np.argmax(p))]
    assert best in sketch.pad.answer.text()
    # the drawing is the window's selected example: the canvas shows its forward pass ...
    assert win.selected_example == ("drawn", 0)
    np.testing.assert_allclose(win.drawn_example, x)
    nv = win.network_view
    np.testing.assert_allclose(nv.example_values(0), x)
    np.testing.assert_allclose(nv.example_values(len(nv.columns) - 1), p, atol=1e-9)
    # ... and the output panel its answer
    ov = win.output_view
    qtbot.waitUntil(lambda: ov.prob_bars.probs is not None, timeout=60_000)
    np.testing.assert_allclose(ov.drawn, x)
    np.testing.assert_allclose(ov.prob_bars.probs, p, atol=1e-9)
    assert "Your drawing" in ov.digit_image.caption and best in ov.digit_image.caption

    # drawing more changes the answer shown, again equal to an independent prediction
    before = canvas.image().copy()
    _stroke(canvas, [_centre(canvas, 1, 1), _centre(canvas, h - 2, w - 2)])
    assert not np.array_equal(before, canvas.image())
    qtbot.waitUntil(shown_matches, timeout=60_000)
    # the saliency view follows the selected example too: d P(predicted) / d pixel of the
    # drawing, checked by central differences
    win.saliency_view.open()
    qtbot.waitUntil(lambda: "your drawing" in win.saliency_view.title.text(), timeout=60_000)
    x = canvas.image()
    net = Network.from_spec(win.state.spec, seed=1)
    net.set_weights(win.latest_snapshot.weights)
    c = int(np.argmax(net.predict(x[None, :])[0]))
    g = win.saliency_view.gradients
    assert g.shape == (h * w,)
    for j in (int(np.argmax(np.abs(g))), int(np.argmin(np.abs(g)))):
        e = np.zeros_like(x)
        e[j] = 1e-6
        fd = (net.predict((x + e)[None, :])[0, c] - net.predict((x - e)[None, :])[0, c]) / 2e-6
        assert fd == pytest.approx(g[j], rel=1e-4, abs=1e-8)
    if name == "shapes":
        _shot(sketch.dialog, "sketch_shapes")
        ov.flush()
        _shot(ov, "output_shapes_drawn")

    # the network trains on: the answer follows the newest snapshot
    step = win.latest_snapshot.step
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot.step > step, timeout=60_000)
    qtbot.waitUntil(shown_matches, timeout=60_000)

    # picking an example on the output panel selects it instead; closing the pad goes back
    ov.example_selected.emit("test", 3)
    assert win.selected_example == ("test", 3)
    win.sketch.close()
    qtbot.waitUntil(lambda: not sketch.active, timeout=60_000)
    assert win.selected_example[0] in ("train", "test")
    assert ov.drawn is None


def test_pad_follows_the_dataset(make_window, qtbot):
    win = make_window(restore=False)
    win.set_dataset(DatasetSettings(name="strokes"))
    assert win.output_view.draw_button.isVisible()
    win.output_view.draw_button.click()
    qtbot.waitUntil(lambda: win.sketch.active, timeout=60_000)
    assert win.sketch.pad.canvas.shape == (12, 12)
    win.set_dataset(DatasetSettings(name="shapes"))
    qtbot.waitUntil(lambda: win.sketch.pad.canvas.shape == (16, 16), timeout=60_000)
    assert win.sketch.pad.class_names == win.dataset.class_names
    # other data: the pad closes, and asking for it again says why it cannot open
    win.set_dataset(DatasetSettings(name="circle"))
    qtbot.waitUntil(lambda: not win.sketch.active, timeout=60_000)
    assert win.action_draw_example.isEnabled()
    assert not win.sketch.open()
    assert "image data" in win.statusBar().currentMessage()
    assert win.action_draw_example.shortcut().toString() == "Ctrl+Shift+D"
    assert win.action_draw_example.toolTip()
    assert win.action_draw_example in win.data_menu.actions()
