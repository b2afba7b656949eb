"""Drawing your own data in the real window: brush, eraser, clear, drag while training."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from neuroviz.engine import Network


def plot_pixel(win, x: float, y: float) -> QPoint:
    """The viewport pixel of plane position (x, y)."""
    plot = win.output_view.plot
    scene = plot.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    return plot.mapFromScene(scene)


def all_points(ds):
    return np.vstack([ds.points_train, ds.points_test])


def all_labels(ds):
    return np.concatenate([ds.y_train, ds.y_test])


def press(win, x, y, qtbot):
    QTest.mouseClick(win.output_view.plot.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, plot_pixel(win, x, y))


def test_draw_with_brushes_erase_and_clear(window, qtbot, screenshot):
    win = window
    circle = win.dataset
    win.action_draw_data.trigger()
    assert win.drawing.active and win.drawing.toolbar.isVisible()
    # Drawing starts from the circle's points, now drawn data.
    qtbot.waitUntil(lambda: win.state.dataset.name == "drawn", timeout=60000)
    got = sorted(map(tuple, all_points(win.dataset)))
    assert got == sorted(map(tuple, all_points(circle)))

    win.drawing.clear()
    win.drawing.brush_actions[0].trigger()
    press(win, -3.0, 2.0, qtbot)
    press(win, -2.6, 2.4, qtbot)  # farther than the pick radius from the first
    win.drawing.brush_actions[1].trigger()
    press(win, 3.0, -2.0, qtbot)
    press(win, 2.0, -3.0, qtbot)
    qtbot.waitUntil(lambda: win.dataset.n_train + win.dataset.n_test == 4, timeout=60000)
    pts = all_points(win.dataset)
    labels = all_labels(win.dataset)
    order = np.argsort(pts[:, 0])
    np.testing.assert_allclose(pts[order], [[-3, 2], [-2.6, 2.4], [2, -3], [3, -2]], atol=0.1)
    np.testing.assert_array_equal(labels[order], [0, 0, 1, 1])

    win.drawing.eraser_action.trigger()
    press(win, -2.8, 2.2, qtbot)  # both orange points are well within the eraser's radius
    qtbot.waitUntil(lambda: win.dataset.n_train + win.dataset.n_test == 2, timeout=60000)
    assert set(all_labels(win.dataset)) == {1}
    screenshot(win, "drawing_eraser")

    win.drawing.clear()
    assert len(win.drawing.points) == 0
    win.drawing.stop()
    assert not win.drawing.active and not win.drawing.toolbar.isVisible()
    assert win.output_view.train_points.isVisible()


def bce(net, X, Y):
    p = np.clip(net.predict(X), 1e-12, 1 - 1e-12)
    return float(np.mean(-(Y * np.log(p) + (1 - Y) * np.log(1 - p))))


def test_dragging_a_point_while_training_keeps_the_weights(window, qtbot, screenshot):
    win = window
    win.action_draw_data.trigger()
    qtbot.waitUntil(lambda: win.state.dataset.name == "drawn", timeout=60000)
    drawing = win.drawing
    drawing.clear()
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(-5, 5, size=(30, 2)):
        drawing.add_point(x, y, value=float(x > 0))
    qtbot.waitUntil(lambda: win.dataset.n_train + win.dataset.n_test == 30, timeout=60000)
    win.play()
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and win.latest_snapshot.epoch >= 20
                    and win.state.dataset.name == "drawn", timeout=60000)
    generation = win._generation
    epoch_before = win.latest_snapshot.epoch
    history_before = len(win.state.history)

    # Drag a training point across the plane with the mouse.
    train = win.dataset.points_train
    start = train[0]
    viewport = win.output_view.plot.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     plot_pixel(win, *start))
    target = np.array([-start[0], -start[1]])
    for t in np.linspace(0.1, 1.0, 8):
        QTest.mouseMove(viewport, plot_pixel(win, *(start + t * (target - start))))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       plot_pixel(win, *target))
    qtbot.waitUntil(lambda: np.min(np.hypot(*(win.dataset.points_train - target).T)) < 0.1,
                    timeout=60000)
    ds = win.dataset

    # The worker trains on the new data: a snapshot's training loss is the loss of its
    # weights on the new training set (a NumPy reference computed here).
    net = Network.from_spec(win.state.spec, seed=0)

    def trains_on_new_data():
        snap = win.latest_snapshot
        if snap is None:
            return False
        net.set_weights(snap.weights)
        return abs(bce(net, ds.X_train, ds.Y_train) - snap.train_loss) < 1e-6

    qtbot.waitUntil(trains_on_new_data, timeout=60000)
    # ... with the weights it had: the same run goes on, its epochs and loss history too.
    assert win._generation == generation
    assert win.latest_snapshot.epoch >= epoch_before
    assert len(win.state.history) >= history_before
    win.output_view.flush()
    screenshot(win, "drawing_training")
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60000)


def test_drawn_data_round_trip_through_the_file(window, make_window, qtbot, tmp_path):
    win = window
    win.action_draw_data.trigger()
    qtbot.waitUntil(lambda: win.state.dataset.name == "drawn", timeout=60000)
    win.drawing.clear()
    win.drawing.set_task("regression")
    for x, y, v in ((-4, -4, -1.0), (-1, 2, 0.5), (3, 1, 1.0), (4, -3, 0.25), (0, 0, -0.5)):
        win.drawing.value_box.setValue(v)
        win.drawing.add_point(x, y)
    win.drawing.stop()
    qtbot.waitUntil(lambda: win.dataset.task == "regression"
                    and win.dataset.n_train + win.dataset.n_test == 5, timeout=60000)
    path = tmp_path / "drawn.json"
    assert win.save_experiment(path)
    other = make_window(restore=False)
    assert other.open_experiment(path)
    a, b = win.dataset, other.dataset
    assert b.name == "drawn" and b.task == "regression"
    np.testing.assert_array_equal(b.points_train, a.points_train)
    np.testing.assert_array_equal(b.Y_test, a.Y_test)
    values = dict(zip(map(tuple, all_points(b)), np.concatenate([b.Y_train, b.Y_test])[:, 0]))
    assert values == {(-4.0, -4.0): -1.0, (-1.0, 2.0): 0.5, (3.0, 1.0): 1.0, (4.0, -3.0): 0.25,
                      (0.0, 0.0): -0.5}
