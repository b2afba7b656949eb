"""Presenter mode at 1280x720: nothing clipped or overlapping, everything scaled up, restored."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QSlider,
    QWidget,
)

from neuroviz.app import palette as palettes

CONTROL_TYPES = (QAbstractButton, QComboBox, QSlider, QAbstractSpinBox, QLabel)


@pytest.fixture
def win(window):
    return window


def visible_controls(root: QWidget) -> list[QWidget]:
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROL_TYPES) or not w.isVisible():
            continue
        if w.width() <= 0 or w.height() <= 0:
            continue
        if isinstance(w, QLabel) and not w.text() and w.pixmap().isNull():
            continue
        if any(isinstance(p, QComboBox) for p in _ancestors(w)):
            continue  # a combo box's own inner parts
        out.append(w)
    return out


def _ancestors(w: QWidget):
    p = w.parentWidget()
    while p is not None:
        yield p
        p = p.parentWidget()


def window_rect(w: QWidget, root: QWidget) -> QRect:
    return QRect(w.mapTo(root, QPoint(0, 0)), w.size())


def scroll_ancestor(w: QWidget):
    for p in _ancestors(w):
        if isinstance(p, QAbstractScrollArea):
            return p
    return None


def layout_problems(root: QWidget) -> list[str]:
    """Controls outside the window or their scroll area, text that does not fit, overlaps."""
    problems = []
    bounds = root.rect()
    controls = visible_controls(root)
    for w in controls:
        r = window_rect(w, root)
        name = w.objectName() or f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
        area = scroll_ancestor(w)
        if area is None and not bounds.contains(r):
            problems.append(f"{name} is clipped by the window: {r} not in {bounds}")
        if area is not None:
            viewport = window_rect(area.viewport(), root)
            if not bounds.contains(viewport):
                problems.append(f"scroll area of {name} is clipped by the window")
        if isinstance(w, QAbstractButton) and w.text():
            needed = w.fontMetrics().horizontalAdvance(w.text()) + 6
            if not w.icon().isNull():
                needed += w.iconSize().width() + 4
            if needed > w.width():
                problems.append(f"{name}: text does not fit ({needed} > {w.width()})")
        if isinstance(w, QLabel) and not w.wordWrap() and w.objectName() not in (
                "presenter_loss", "status_training", "charts_summary", "timeline_readout",
                "gradient_summary"):
            if w.minimumSizeHint().width() > w.width() + 2:
                problems.append(f"{name}: text does not fit ({w.minimumSizeHint().width()} > "
                                f"{w.width()})")
    for a, b in itertools.combinations(controls, 2):
        if a in _ancestors(b) or b in _ancestors(a):
            continue
        if scroll_ancestor(a) is not scroll_ancestor(b):
            continue  # different scrolling layers
        ra, rb = window_rect(a, root), window_rect(b, root)
        inter = ra.intersected(rb)
        if inter.width() > 1 and inter.height() > 1:
            problems.append(f"{a.objectName() or a} overlaps {b.objectName() or b}: {ra} {rb}")
    return problems


def present_at_1280x720(win, qtbot, **enter_options) -> None:
    """Enter presenter mode in a 1280 x 720 window (not full screen) and draw everything."""
    win.showNormal()
    win.presenter.enter(full_screen=False, **enter_options)
    win.resize(1280, 720)
    qtbot.waitUntil(lambda: win.size().width() == 1280 and win.size().height() == 720)
    QApplication.processEvents()
    win.network_view.redraw_now()
    win.output_view.flush()


def test_presenter_mode_at_1280x720(win, qtbot, screenshot):
    presenter = win.presenter
    before_palette = palettes.current_palette().name
    present_at_1280x720(win, qtbot)
    assert presenter.active
    assert palettes.current_palette().name == "high_contrast"
    assert not win.data_dock.isVisible()
    assert not win.toolbar.isVisible() and not win.menuBar().isVisible()
    bar = presenter.bar
    for b in (bar.play_button, bar.step_button, bar.reset_button, bar.exit_button):
        assert b.isVisible() and b.height() >= 40
    assert win.network_view.scale == presenter.scale >= 1.25
    assert bar.play_button.font().pointSizeF() >= 15
    # the whole network fits: no horizontal scrolling needed on the projector
    assert not win.network_view.scroll.horizontalScrollBar().isVisible()
    problems = layout_problems(win)
    path = screenshot(win, "presenter_1280x720")
    assert path.exists()
    assert not problems, "\n".join(problems)

    # the large controls work
    bar.play_button.click()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert "Pause" in bar.play_button.text()
    bar.play_button.click()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)

    bar.exit_button.click()
    assert not presenter.active
    assert palettes.current_palette().name == before_palette
    assert win.data_dock.isVisible() and win.toolbar.isVisible()
    assert win.network_view.scale == 1.0


def test_explain_panel_in_presenter_mode_fits(win, qtbot, screenshot):
    presenter = win.presenter
    win.showNormal()
    presenter.enter(full_screen=False, scale=1.5)
    win.resize(1280, 720)
    qtbot.waitUntil(lambda: win.size().width() == 1280)
    assert win.explain.start()
    QApplication.processEvents()
    assert (win.width(), win.height()) == (1280, 720)  # the panel fits without growing it
    panel = win.explain.panel
    assert panel.equation.font().pointSizeF() >= 25
    panel.command("next")
    QApplication.processEvents()
    screenshot(win, "presenter_explain_1280x720")
    problems = layout_problems(win)
    assert not problems, "\n".join(problems)
    win.explain.stop()
    presenter.exit()


def test_f5_toggles_full_screen_and_escape_leaves(win, qtbot):
    action = win.action_presenter
    assert action.shortcut().toString() == "F5"
    assert not win.action_leave_presenter.isEnabled()
    action.trigger()
    assert win.presenter.active
    assert win.isFullScreen()
    assert win.action_leave_presenter.isEnabled()
    win.action_leave_presenter.trigger()
    assert not win.presenter.active
    assert not win.isFullScreen()


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_presenter_mode_at_1280x720_large_scales(win, qtbot, screenshot, scale):
    presenter = win.presenter
    details_before = win.output_view.details_shown()
    present_at_1280x720(win, qtbot, scale=scale)
    assert presenter.scale == scale
    assert not win.output_view.secondary.isVisible()  # the boundary plot needs the height
    # the network is drawn at the chosen size, or as large as fits without scrolling
    assert 1.0 < win.network_view.scale <= scale
    assert presenter.bar.play_button.font().pointSizeF() >= 12 * scale
    problems = layout_problems(win)
    shot = screenshot(win, f"presenter_1280x720_{scale:g}x")
    assert (win.width(), win.height()) == (1280, 720)  # nothing forced the window to grow
    assert QImage(str(shot)).height() <= 720 * win.devicePixelRatioF() + 1
    assert not problems, "\n".join(problems)
    # the whole network fits: no horizontal scrolling needed on the projector
    assert not win.network_view.scroll.horizontalScrollBar().isVisible()
    presenter.exit()
    QApplication.processEvents()
    assert win.output_view.details_shown() == details_before  # restored
