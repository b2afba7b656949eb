"""Explain mode's sliding-window view with real widgets: the window is drawn on the right cells,
the focus moves by keys, buttons and clicks, and the equation's numbers add up to z."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from neuroviz.app.explain.map_canvas import WINDOW_COLOUR
from neuroviz.app.explain.panel import ExplainPanel
from neuroviz.engine import Network
from neuroviz.engine.explain import explain

SPEC = {"inputs": [7, 7, 1], "layers": [
    {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": "same",
     "activation": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"},
    {"type": "dense", "units": 3, "activation": "softmax"}], "loss": "softmax_ce"}


@pytest.fixture
def panel(qtbot):
    net = Network.from_spec(SPEC, seed=5)
    x = np.random.default_rng(5).normal(size=net.n_inputs)
    p = ExplainPanel(None)
    qtbot.addWidget(p)
    p.resize(348, 525)  # the explain dock's size in a 1280x720 window
    p.show()
    p.start(explain(net, x, [0.0, 1.0, 0.0]), "a test example")
    p.net, p.x = net, x
    return p


def go_to_kind(panel, kind, which=0):
    index = [s.index for s in panel.explanation.steps if s.kind == kind][which]
    panel.go_to(index)
    return panel.step


def colour_near(image, x, y, colour, tolerance=60):
    c = image.pixelColor(int(x), int(y))
    return (abs(c.red() - colour.red()) + abs(c.green() - colour.green())
            + abs(c.blue() - colour.blue())) < tolerance


def written_sum(text):
    """The terms and total of the ``z = x·w + ... + b = total`` line of the shown equation."""
    plain = re.sub(r"<[^>]+>", "\n", text).replace("\u2212", "-")
    line = next(ln for ln in plain.splitlines()
                if ln.startswith("z = ") and "\u03a3" not in ln)  # not the rule
    middle, total = line.split(" = ")[1], line.split(" = ")[2].split()[0]
    terms = [math.prod(float(f.strip("()")) for f in t.split("\u00b7"))
             for t in middle.split(" + ")]
    return terms, float(total)


def test_conv_window_is_drawn_on_the_right_cells_and_follows_the_focus(panel, qtbot):
    step = go_to_kind(panel, "conv_window", 1)
    canvas = panel.map_canvas
    assert canvas.isVisible() and panel.focus_position == (0, 0)
    # 7x7, kernel 3, stride 2, same: 4x4 outputs, padding 1 on every side (SAME_UPPER)
    assert step.map_view.shape == (4, 4)
    for _ in range(6):  # Down arrow: next position, in reading order
        qtbot.keyClick(panel, Qt.Key.Key_Down)
    assert panel.focus_position == (1, 2)
    qtbot.keyClick(panel, Qt.Key.Key_Up)
    assert panel.focus_position == (1, 1)
    panel.next_position_button.click()
    i, j = panel.focus_position
    assert (i, j) == (1, 2)
    # the window covers padded rows i·2 .. i·2+2 and columns j·2 .. j·2+2 of the input grid
    image = canvas.grab().toImage()
    ratio = image.width() / canvas.width()
    top_left = canvas.cell_rect(0, 2 * i, 2 * j)
    bottom_right = canvas.cell_rect(0, 2 * i + 2, 2 * j + 2)
    mid_y = (top_left.top() + bottom_right.bottom()) / 2 * ratio
    mid_x = (top_left.left() + bottom_right.right()) / 2 * ratio
    assert colour_near(image, top_left.left() * ratio, mid_y, WINDOW_COLOUR)
    assert colour_near(image, bottom_right.right() * ratio, mid_y, WINDOW_COLOUR)
    assert colour_near(image, mid_x, top_left.top() * ratio, WINDOW_COLOUR)
    # ... and not one cell further left or up
    outside = canvas.cell_rect(0, 2 * i - 1, 2 * j - 1)
    assert not colour_near(image, outside.left() * ratio + 1, outside.center().y() * ratio,
                           WINDOW_COLOUR)
    # the equation shown is the one at the focus, and its written terms add up to z
    z = panel.step.map_view.values((i, j))["z"]
    a_map = panel.net.forward_all(panel.x[None, :])[0].z[0].reshape(4, 4, 2)
    assert z == pytest.approx(a_map[i, j, 1], abs=1e-12)
    terms, total = written_sum(panel.equation.text())
    assert len(terms) == 10  # nine x·w terms and the bias
    assert sum(terms) == pytest.approx(z, abs=2e-3)
    assert total == pytest.approx(z, rel=1e-3, abs=1e-4)
    assert "(row 2, col 3)" in panel.map_position.text()


def test_clicking_a_cell_moves_the_focus_and_a_new_step_starts_at_its_first(panel, qtbot):
    step = go_to_kind(panel, "pool_window", 1)
    canvas = panel.map_canvas
    assert step.map_view.shape == (2, 2)
    out_grid = 1  # the output map of the pooling view
    cell = canvas.cell_rect(out_grid, 1, 0).center()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(cell.x()),
                                                                    int(cell.y())))
    assert panel.focus_position == (1, 0)
    # the maximum of that window is ringed, and the equation names it
    view = panel.step.map_view
    row, col = view.values((1, 0))["max_row"], view.values((1, 0))["max_col"]
    assert f"(row {int(row) + 1}, col {int(col) + 1})" in panel.equation.text()
    panel.command("next")  # another step: its focus starts at the first position
    panel.command("previous")
    assert panel.focus_position == (0, 0)


def test_the_map_view_steps_aside_on_other_steps(panel):
    go_to_kind(panel, "loss")
    assert not panel.map_canvas.isVisible() and not panel.map_row.isVisible()
    go_to_kind(panel, "conv_filter_grad")
    assert panel.map_canvas.isVisible()
    # the drawing leaves room for the equation below it
    assert panel.map_canvas.height() <= 0.6 * panel.scroll.viewport().height()


def test_a_one_hot_target_is_named_by_its_class():
    from neuroviz.app.explain.controller import target_text

    assert target_text([0.0, 0.0, 1.0, 0.0], ["0", "1", "2", "3"]) == "class 2"
    assert target_text([0.0, 1.0], []) == "class 1"
    assert target_text([1.0], ["P(blue)"]) == "1"  # one output: its value
    assert target_text([0.25, 1.0], []) == "0.25, 1"  # not one-hot: the values
