"""Regression test for PySide6 6.12.0, which lost a reference to None on every call of a
Python paintEvent override (fatal 'none_dealloc' within seconds of live plotting).

The pin in pyproject.toml keeps that release out; this test catches it (or a relapse)
on whatever PySide6 is installed.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

REPAINTS = 300


class _Painted(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.calls += 1
        painter = QPainter(self)
        painter.drawLine(0, 0, self.width(), self.height())
        painter.end()


def test_python_paint_override_keeps_none_refcount(qtbot):
    widget = _Painted()
    qtbot.addWidget(widget)
    widget.resize(120, 80)
    with qtbot.waitExposed(widget):
        widget.show()
    widget.repaint()
    before = sys.getrefcount(None)
    for _ in range(REPAINTS):
        widget.repaint()
    after = sys.getrefcount(None)
    assert widget.calls >= REPAINTS
    # A healthy binding leaves None's count alone (give or take a few temporaries);
    # the broken one loses at least one reference per paint.
    assert after >= before - 10, f"None lost {before - after} references in {REPAINTS} paints"


def test_pyqtgraph_plot_keeps_none_refcount(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    with qtbot.waitExposed(plot):
        plot.show()
    curve = plot.plot()
    x = np.arange(200, dtype=np.float64)
    curve.setData(x, np.sin(x / 10), skipFiniteCheck=True)
    plot.repaint()
    before = sys.getrefcount(None)
    for k in range(REPAINTS):
        curve.setData(x, np.sin(x / 10 + k / 20), skipFiniteCheck=True)
        plot.viewport().repaint()
    after = sys.getrefcount(None)
    assert after >= before - 10, f"None lost {before - after} references in {REPAINTS} frames"


def test_main_window_canvas_keeps_none_refcount(window, qtbot):
    canvas = window.network_view.findChild(QWidget, "network_canvas")
    assert canvas is not None
    canvas.repaint()
    before = sys.getrefcount(None)
    for _ in range(REPAINTS):
        canvas.repaint()
    after = sys.getrefcount(None)
    assert after >= before - 10, f"None lost {before - after} references in {REPAINTS} paints"
