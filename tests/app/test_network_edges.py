"""Every edge of the network canvas is visible, even when its weight is exactly 0: a minimum
width, a neutral colour near zero, the sign's colour and more width above it; in the light and
dark themes and at presenter scale. Measured on the pixels the real canvas paints."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from neuroviz.app.network.view import NetworkView
from neuroviz.app.window.themes import apply_theme
from neuroviz.engine import Network, Trainer

SPEC = {"inputs": 2, "loss": "bce",
        "layers": [{"type": "dense", "units": 2, "activation": "tanh"},
                   {"type": "dense", "units": 1, "activation": "sigmoid"}]}


def snapshot(value: float):
    """A real engine snapshot whose weight x1 -> hidden neuron 1 is ``value``."""
    net = Network.from_spec(SPEC, seed=0)
    W1 = np.array([[value, 0.5], [0.5, 3.0]])
    net.set_weights([(W1, np.zeros(2)), (np.array([[1.0], [-1.0]]), np.zeros(1))])
    X = np.zeros((4, 2))
    return Trainer(net, X, np.zeros((4, 1))).snapshot()


def luminance(rgb) -> float:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def measure_edge(view: NetworkView, value: float) -> dict:
    """Paint the edge x1 -> hidden 1 (a horizontal line: both columns have two nodes) with
    weight ``value`` and measure it on a vertical cut through its middle."""
    view.set_snapshot(snapshot(value))
    view.redraw_now()
    QApplication.processEvents()
    canvas = view.canvas
    image = canvas.grab().toImage()
    a, b = canvas.edge_point(1, 0, 0, 0.0), canvas.edge_point(1, 0, 0, 1.0)
    assert abs(a.y() - b.y()) < 0.5, "the test edge should be horizontal"
    x, y = int(round((a.x() + b.x()) / 2)), int(round(a.y()))
    bg = canvas.palette().base().color()
    bg_rgb = np.array([bg.red(), bg.green(), bg.blue()], dtype=float)
    rows = []
    for yy in range(y - 12, y + 13):
        c = QColor(image.pixel(x, yy))
        rows.append([c.red(), c.green(), c.blue()])
    rows = np.array(rows, dtype=float)
    diff = np.abs(rows - bg_rgb).max(axis=1)
    peak = rows[int(np.argmax(diff))]
    return {
        # painted width in pixels: antialiased coverage relative to the line's own colour
        "width": float(diff.sum() / max(diff.max(), 1e-9)),
        "contrast": abs(luminance(peak) - luminance(bg_rgb)),
        "red_minus_blue": float(peak[0] - peak[2]),
        "spread": float(peak.max() - peak.min()),
    }


@pytest.fixture
def view(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    v.set_network(["x1", "x2"], [2, 2, 1], ["tanh", "sigmoid"], ["P(blue)"])
    v.resize(800, 500)
    v.show()
    qtbot.waitExposed(v)
    yield v
    apply_theme("light")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_zero_weight_edges_are_visible_and_width_grows_with_the_weight(view, theme, scale):
    apply_theme(theme)
    view.set_scale(scale)
    view.resize(int(800 * scale), int(500 * scale))
    QApplication.processEvents()
    m = {value: measure_edge(view, value) for value in (0.0, 1e-9, 0.3, -0.3, 3.0, -3.0)}
    for value, edge in m.items():
        # every edge is seen: a real width and a clear difference from the background
        assert edge["width"] >= 1.3 * scale, (value, edge)
        assert edge["contrast"] >= 40, (value, edge)
    for value in (0.0, 1e-9):  # (nearly) zero: a neutral grey, not one sign's colour
        assert m[value]["spread"] < 25, (value, m[value])
    for value in (0.3, 3.0):  # positive: blue
        assert m[value]["red_minus_blue"] < -40, (value, m[value])
    for value in (-0.3, -3.0):  # negative: orange
        assert m[value]["red_minus_blue"] > 40, (value, m[value])
    # above the minimum the width grows with |weight|
    assert m[3.0]["width"] > m[0.3]["width"] + 1.5 * scale
    assert m[-3.0]["width"] > m[-0.3]["width"] + 1.5 * scale
    assert m[0.3]["width"] >= m[0.0]["width"] - 0.25
