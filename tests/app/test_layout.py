"""The window's layout at laptop and projector sizes, checked from real widget geometry.

The real window is shown at 1280x720, 1366x768 and 1920x1080 (and in presenter mode at
1280x720). At each size the named views (network canvas with its output column, output plot,
loss chart, data panel, toolbar, lesson panel when shown, explain panel when open) must be
fully visible inside the window, not cut by their parents, at least a minimum size, and must
not overlap each other; the network must fit without scrolling at the default zoom, also at
its largest (32 hidden layers of 64 neurons). Screenshots go to ``screenshots/``.

The same checks run once more in a child process with ``QT_SCALE_FACTOR=2`` (a 2x screen).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from neuroviz.app.network.view import MAX_HIDDEN_LAYERS, MAX_NEURONS

SIZES = [(1280, 720), (1366, 768), (1920, 1080)]
#: The output plot's smaller side as a share of the window height, at least (presenter mode
#: asks for a third).
NORMAL_PLOT = 0.28
REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ geometry helpers
def window_rect(widget: QWidget, win) -> QRect:
    return QRect(widget.mapTo(win, QPoint(0, 0)), widget.size())


def scene_rect(view, item, win) -> QRect:
    """A pyqtgraph item's rectangle in window coordinates."""
    r: QRectF = item.sceneBoundingRect()
    top_left = view.mapTo(win, view.mapFromScene(r.topLeft()))
    return QRect(top_left, r.size().toSize())


def fully_shown(widget: QWidget) -> bool:
    """Visible, and no part of it cut off by a parent (up to the window)."""
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    rect = QRect(QPoint(0, 0), widget.size())
    w = widget
    while w.parentWidget() is not None and not w.isWindow():
        rect.translate(w.pos())
        w = w.parentWidget()
        if not w.rect().adjusted(-1, -1, 1, 1).contains(rect):
            return False
    return True


def shown(dock) -> bool:
    """A dock is shown: open, and the current tab if it is tabbed (Qt moves the other tabs'
    docks out of the window)."""
    win = dock.parentWidget()
    return dock.isVisible() and win.rect().intersects(window_rect(dock, win))


def settle(win, qtbot, width: int, height: int) -> None:
    win.resize(width, height)
    qtbot.waitUntil(lambda: (win.width(), win.height()) == (width, height), timeout=60_000)
    for _ in range(5):
        QApplication.processEvents()
    win.network_view.redraw_now()
    win.output_view.flush()
    QApplication.processEvents()


def named_views(win) -> dict[str, QRect]:
    """Window rectangles of the views a student or teacher needs to see."""
    views = {
        "network canvas": window_rect(win.network_view.scroll.viewport(), win),
        "output plot": window_rect(win.output_view.main_stack.currentWidget(), win),
        "loss chart": scene_rect(win.charts.view, win.charts.loss_plot, win),
    }
    if win.toolbar.isVisible():
        views["toolbar"] = window_rect(win.toolbar, win)
    if win.presenter.active:
        views["presenter bar"] = window_rect(win.presenter.bar, win)
    for name, dock in (("data panel", win.data_dock), ("lesson panel", win.lesson_dock),
                       ("explain panel", win.explain.dock)):
        if shown(dock):
            views[name] = window_rect(dock.widget(), win)
    return views


def layout_problems(win, min_plot: float) -> list[str]:
    problems = []
    bounds = win.rect()
    views = named_views(win)
    for name, rect in views.items():
        if not bounds.contains(rect):
            problems.append(f"{name} is outside the window: {rect} not in {bounds}")
    for (a, ra), (b, rb) in itertools.combinations(views.items(), 2):
        inter = ra.intersected(rb)
        if inter.width() > 1 and inter.height() > 1:
            problems.append(f"{a} overlaps {b}: {ra} {rb}")
    # nothing cut by a parent or covered
    widgets = {"network canvas": win.network_view.scroll.viewport(),
               "output plot": win.output_view.main_stack.currentWidget(),
               "loss chart": win.charts.view}
    if win.toolbar.isVisible():
        widgets["toolbar"] = win.toolbar
    for name, widget in widgets.items():
        if not fully_shown(widget):
            problems.append(f"{name} is cut off by its parents")
    # minimum sizes
    canvas = views["network canvas"]
    if canvas.width() < 380 or canvas.height() < 300:
        problems.append(f"network canvas too small: {canvas.size()}")
    box = win.output_view.plot.getPlotItem().getViewBox()
    side = min(box.width(), box.height())  # the square the 2-D boundary is drawn in
    if win.output_view.plot.isVisible() and side < min_plot:
        problems.append(f"decision boundary only {side:.0f} px (need {min_plot:.0f})")
    loss = views["loss chart"]
    if loss.width() < 140 or loss.height() < 90:
        problems.append(f"loss chart too small: {loss.size()}")
    # every toolbar control shows (none pushed into the overflow menu)
    if win.toolbar.isVisible():
        for action in win.toolbar.actions():
            widget = win.toolbar.widgetForAction(action)
            if action.isVisible() and widget is not None and not widget.isVisible():
                problems.append(f"toolbar control {widget.objectName()} does not fit")
    # the data panel: its thumbnails and texts are not cut at the side
    if "data panel" in views:
        scroll = win.data_dock.widget()
        if scroll.viewport().width() < win.data_panel.minimumSizeHint().width():
            problems.append(f"data panel cut: {scroll.viewport().width()} < "
                            f"{win.data_panel.minimumSizeHint().width()}")
    problems += network_problems(win)
    return problems


def network_problems(win) -> list[str]:
    """The whole network, output neurons and their labels included, is in view unscrolled."""
    nv = win.network_view
    problems = []
    if nv.scroll.horizontalScrollBar().isVisible():
        problems.append("the network canvas scrolls horizontally")
    if nv.scroll.verticalScrollBar().isVisible():
        problems.append("the network canvas scrolls vertically")
    viewport = window_rect(nv.scroll.viewport(), win)
    canvas = nv.canvas
    last = len(nv.layer_sizes) - 1
    for k in (0, last):
        for j in range(nv.layer_sizes[k]):
            r = canvas.node_rect(k, j).toAlignedRect()
            r.moveTopLeft(canvas.mapTo(win, r.topLeft()))
            if not viewport.contains(r):
                problems.append(f"neuron {j} of layer {k} is out of view: {r} {viewport}")
    # the input and output names beside the first and last columns fit in the canvas (long
    # names are elided to the room the canvas gives them)
    fm = canvas.fontMetrics()
    room_in, room_out = canvas.label_width
    left = canvas.col_x[0] - canvas.node_sizes[0] / 2 - 6 * nv.scale
    for name in nv.feature_names[: nv.layer_sizes[0]]:
        if left - min(fm.horizontalAdvance(name), room_in) < -1:
            problems.append(f"input label {name!r} is cut")
    right = canvas.col_x[last] + canvas.node_sizes[last] / 2 + 6 * nv.scale
    for name in nv.output_names:
        if right + min(fm.horizontalAdvance(name), room_out) > canvas.width() + 1:
            problems.append(f"output label {name!r} is cut")
    # captions and pickers sit above the neurons
    top = min(float(ys[0]) - size / 2 for ys, size in zip(canvas.node_y, canvas.node_sizes))
    for c in nv._layer_controls:
        for w in c.values():
            if w.isVisible() and w.geometry().bottom() > top:
                problems.append(f"{w.objectName()} overlaps the neurons")
    return problems


# ------------------------------------------------------------------ tests
@pytest.fixture
def win(make_window):
    return make_window()


def test_named_views_fit_at_laptop_and_projector_sizes(win, qtbot, screenshot):
    for width, height in SIZES:
        settle(win, qtbot, width, height)
        problems = layout_problems(win, min_plot=NORMAL_PLOT * height)
        screenshot(win, f"layout_{width}x{height}")
        assert not problems, f"{width}x{height}:\n" + "\n".join(problems)
        # side panels: tabbed with the data panel below WIDE_LAYOUT_WIDTH, own column above
        area = win.dockWidgetArea(win.lesson_dock)
        assert (area == win.dockWidgetArea(win.data_dock)) != win.wide_layout, (width, area)
        # neurons are at least as large as TensorFlow Playground's (40 px)
        assert win.network_view.canvas.node_size >= 40


@pytest.mark.parametrize("name", ["penguins", "digits"])
def test_tabular_and_image_data_fit_at_1280x720(win, qtbot, wait_snapshot_fits, screenshot,
                                                name):
    from neuroviz.experiment import DatasetSettings

    win.apply_preset(dataset=DatasetSettings(name=name))
    wait_snapshot_fits(win)
    settle(win, qtbot, 1280, 720)
    problems = layout_problems(win, min_plot=NORMAL_PLOT * 720)
    screenshot(win, f"layout_{name}_1280x720")
    assert not problems, "\n".join(problems)


def test_network_canvas_has_no_empty_band_and_grows_neurons(win, qtbot):
    settle(win, qtbot, 1920, 1080)
    canvas = win.network_view.canvas
    big = canvas.node_size
    # the tallest layer starts right under the layer headers
    top = min(float(ys[0]) - s / 2 for ys, s in zip(canvas.node_y, canvas.node_sizes))
    assert top - canvas.header_h < 0.15 * canvas.height()
    settle(win, qtbot, 1280, 720)
    assert canvas.node_size < big  # neurons follow the space they have


def test_presenter_mode_at_1280x720_keeps_the_boundary_large(win, qtbot, screenshot):
    from neuroviz.app.classroom.presenter import SCALES

    win.showNormal()
    win.presenter.enter(full_screen=False)
    try:
        for scale in SCALES:
            win.presenter.set_scale(scale)
            settle(win, qtbot, 1280, 720)
            win.presenter.fit_layout()
            QApplication.processEvents()
            problems = layout_problems(win, min_plot=720 / 3)
            bar = win.presenter.bar
            loss = bar.loss_label
            # the loss readout is whole and nothing covers it
            assert loss.text() and fully_shown(loss), scale
            assert loss.width() >= loss.fontMetrics().horizontalAdvance(loss.text()), scale
            for button in (bar.play_button, bar.step_button, bar.reset_button,
                           bar.exit_button, bar.scale_combo):
                assert fully_shown(button), (scale, button.objectName())
            screenshot(win, f"layout_presenter_1280x720_{scale:g}x")
            assert not problems, f"presenter {scale}:\n" + "\n".join(problems)
    finally:
        win.presenter.exit()


def test_explain_panel_has_room_and_follows_the_clicked_example(win, qtbot, screenshot):
    settle(win, qtbot, 1280, 720)
    assert win.explain.start("train", 3)
    settle(win, qtbot, 1280, 720)
    panel = win.explain.panel
    assert fully_shown(panel)
    assert panel.height() >= 720 / 2
    assert not shown(win.lesson_dock)  # the explain panel takes the lesson list's place
    screenshot(win, "layout_explain_1280x720")
    problems = layout_problems(win, min_plot=NORMAL_PLOT * 720)
    assert not problems, "\n".join(problems)
    # go to the backward pass, then click another example: same step, new numbers
    panel.go_to(panel.explanation.first_of("backward") + 1)
    index, before = panel.index, panel.equation.text()
    win.output_view.example_selected.emit("train", 11)
    assert panel.index == index
    assert win.output_view.selected == ("train", 11)
    assert "row 12" in panel.header.text()
    assert panel.equation.text() != before
    win.explain.stop()


def test_largest_network_fits_at_1280x720_and_zoom_scrolls(win, qtbot, wait_snapshot_fits,
                                                           screenshot):
    settle(win, qtbot, 1280, 720)
    spec = win.state.spec
    spec["layers"] = [{"type": "dense", "units": MAX_NEURONS, "activation": "relu"}
                      for _ in range(MAX_HIDDEN_LAYERS)] + [spec["layers"][-1]]
    win.apply_preset(spec=spec)
    wait_snapshot_fits(win)
    settle(win, qtbot, 1280, 720)
    nv = win.network_view
    assert nv.layer_sizes[1:-1] == [MAX_NEURONS] * MAX_HIDDEN_LAYERS
    problems = network_problems(win)
    screenshot(win, "layout_largest_network_1280x720")
    assert not problems, "\n".join(problems)
    # zoom in (View menu, Ctrl+=): the canvas grows and scrolls; Ctrl+0 fits it again
    zoom_in = win.control("zoom_in")
    assert "Ctrl+=" in [s.toString() for s in zoom_in.shortcuts()]
    zoom_in.trigger()
    zoom_in.trigger()
    QApplication.processEvents()
    assert nv.zoom > 1.2
    assert nv.canvas.width() > nv.scroll.viewport().width()
    assert nv.scroll.horizontalScrollBar().isVisible()
    win.control("zoom_fit").trigger()
    QApplication.processEvents()
    assert nv.zoom == 1.0 and not nv.scroll.horizontalScrollBar().isVisible()
    assert win.control("zoom_out").shortcut().toString() == "Ctrl+-"


def test_activation_change_does_not_scroll_the_canvas(win, qtbot, wait_snapshot_fits):
    settle(win, qtbot, 1280, 720)
    nv = win.network_view
    nv.set_zoom(2.0)
    QApplication.processEvents()
    bar = nv.scroll.horizontalScrollBar()
    bar.setValue(bar.maximum() // 2)
    value = bar.value()
    assert value > 0
    combo = nv.findChild(QWidget, "activation_1")
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())
    wait_snapshot_fits(win)
    QApplication.processEvents()
    assert bar.value() == value
    assert nv.findChild(QWidget, "activation_1") is combo  # the picker stays in place


@pytest.mark.skipif(os.environ.get("NEUROVIZ_LAYOUT_2X") == "1",
                    reason="this is the parent of the 2x run")
def test_layout_at_device_pixel_ratio_2(tmp_path):
    env = dict(os.environ, QT_SCALE_FACTOR="2", NEUROVIZ_LAYOUT_2X="1",
               QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         f"{Path(__file__)}::test_named_views_fit_at_2x"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


@pytest.mark.skipif(os.environ.get("NEUROVIZ_LAYOUT_2X") != "1",
                    reason="runs in a child process with QT_SCALE_FACTOR=2")
def test_named_views_fit_at_2x(win, qtbot, screenshot):
    assert win.devicePixelRatioF() == 2.0
    for width, height in SIZES:
        settle(win, qtbot, width, height)
        problems = layout_problems(win, min_plot=NORMAL_PLOT * height)
        screenshot(win, f"layout_{width}x{height}_2x")
        assert not problems, f"{width}x{height} at 2x:\n" + "\n".join(problems)


def test_hovering_a_neuron_shows_its_heatmap_large(win, qtbot):
    from neuroviz.app.constants import GRID_N

    settle(win, qtbot, 1280, 720)
    canvas = win.network_view.canvas
    centre = canvas.node_rect(1, 0).center().toPoint()
    qtbot.mouseMove(canvas, centre)
    qtbot.waitUntil(lambda: "Neuron" in win.output_view.title.text(), timeout=60_000)
    image = win.output_view.image.image
    # the whole plane grid (not the neuron's thumbnail), over the plot's full extent
    assert image.shape[:2] == (GRID_N, GRID_N) and GRID_N >= 100
    # the worker sends the hovered neuron's layer at the full grid too (others smaller)
    qtbot.waitUntil(lambda: win.latest_snapshot.grid[0].shape[1:] == (GRID_N, GRID_N),
                    timeout=20_000)
    expected = win.latest_snapshot.grid[0][0]  # hidden layer 1, neuron 1
    np.testing.assert_array_equal(win.network_view.neuron_image(1, 0), expected)
    # while training, the large picture follows the neuron
    first = win.output_view.image.image.copy()
    win.train_epochs(20)
    qtbot.waitUntil(lambda: not np.array_equal(win.output_view.image.image, first),
                    timeout=60_000)
    assert "Neuron" in win.output_view.title.text()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    qtbot.mouseMove(canvas, canvas.rect().bottomRight() - QPoint(2, 2))
    qtbot.waitUntil(lambda: "Decision boundary" in win.output_view.title.text(), timeout=60_000)


def test_network_top_row_never_overlaps_with_layer_kinds(win, qtbot):
    """The layer buttons, the kind menu, the layer and parameter counts, the colour key and
    the edge caption: what does not fit steps aside, nothing is drawn over anything else."""
    spec = {"inputs": 2, "loss": "bce", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"},
        {"type": "dropout", "rate": 0.3},
        {"type": "residual", "layers": [{"type": "dense", "units": 6, "activation": "tanh"},
                                        {"type": "layernorm"}]},
        {"type": "residual", "skip": False,
         "layers": [{"type": "dense", "units": 6, "activation": "tanh"}]},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]}
    from neuroviz.engine.network import layer_param_counts

    win.apply_preset(dataset={"name": "spiral"}, spec=spec)
    qtbot.waitUntil(lambda: win.param_count.count == sum(layer_param_counts(spec)),
                    timeout=60_000)
    nv = win.network_view
    for width, height in SIZES:
        settle(win, qtbot, width, height)
        row = [nv.top_row.itemAt(i).widget() for i in range(nv.top_row.count())]
        shown = [w for w in row if w is not None and w.isVisible()]
        assert win.param_count in shown and nv.layers_label in shown
        rects = [window_rect(w, win) for w in shown]
        for w in shown:  # no caption squeezed below its text's width (its text cut)
            if isinstance(w, QLabel):
                assert w.width() >= w.sizeHint().width() - 1, (width, w.objectName())
        for i, a in enumerate(rects):
            assert a.right() <= window_rect(nv, win).right(), shown[i].objectName()
            for j in range(i + 1, len(rects)):
                assert not a.intersects(rects[j]), (width, shown[i].objectName(),
                                                    shown[j].objectName())
