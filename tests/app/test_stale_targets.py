"""The network canvas never paints a target of a network that no longer exists.

Hovering a neuron (or explaining one) and then shrinking the network (Undo of an added
neuron, removing a layer, New) used to make every repaint raise IndexError and left the
painter active, so the next grab of the window crashed the process.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from neuroviz.app import painting


def hover(canvas, pos: QPointF) -> None:
    event = QMouseEvent(QEvent.Type.MouseMove, pos, QPointF(canvas.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)


def sizes_of(win):
    spec = win.state.spec
    return [spec["inputs"]] + [layer["units"] for layer in spec["layers"]]


def test_hover_then_undo_then_copy_to_clipboard(window, qtbot, wait_snapshot_fits):
    win = window
    nv, canvas = win.network_view, win.network_view.canvas
    before = sizes_of(win)
    win._edit_network("add_neuron", 1)
    wait_snapshot_fits(win)
    new = nv.layer_sizes[1] - 1
    assert new == before[1]  # the added neuron is the last one
    hover(canvas, canvas.node_rect(1, new).center())
    assert canvas._hover == ("node", 1, new)
    hovered = []
    nv.neuron_hovered.connect(lambda k, j: hovered.append((k, j)))
    win.undo_stack.undo()
    assert nv.layer_sizes == before
    assert canvas._hover is None  # the neuron it pointed at is gone
    assert hovered[-1] == (-1, -1)  # and listeners hear that nothing is hovered
    with qtbot.capture_exceptions() as raised:
        win.exporter.copy("window")
        QApplication.processEvents()
    assert raised == []
    assert not QGuiApplication.clipboard().image().isNull()


def test_hovered_edge_of_a_removed_layer_is_forgotten(window, qtbot, wait_snapshot_fits):
    win = window
    nv, canvas = win.network_view, win.network_view.canvas
    assert len(nv.layer_sizes) >= 3  # the default network has a hidden layer
    last = len(nv.layer_sizes) - 1
    target = ("edge", last, nv.layer_sizes[last - 1] - 1, 0)
    hover(canvas, canvas.edge_point(*target[1:]))
    assert canvas._hover == target
    win._edit_network("remove_layer")
    assert len(nv.layer_sizes) == last  # one node layer fewer
    assert canvas._hover is None or canvas.target_exists(canvas._hover)
    with qtbot.capture_exceptions() as raised:
        win.grab()
    assert raised == []


def test_explain_mode_ends_when_its_network_shrinks(window, qtbot, wait_snapshot_fits):
    win = window
    nv = win.network_view
    assert win.explain.start("train", 0)
    panel = win.explain.panel
    # step to a neuron of the first hidden layer's last unit
    hidden = nv.layer_sizes[1]
    for _ in range(200):
        step = panel.step
        if step.edge is None and step.node_layer == 1 and step.neuron == hidden - 1:
            break
        panel.command("next")
    assert nv.highlighted == ("node", 1, hidden - 1)
    win._edit_network("remove_neuron", 1)
    assert nv.layer_sizes[1] == hidden - 1
    assert not win.explain.active  # the explanation was about the old network
    assert nv.highlighted is None
    with qtbot.capture_exceptions() as raised:
        win.grab()
    assert raised == []


def test_a_stale_highlight_set_late_is_not_drawn(window, qtbot):
    nv, canvas = window.network_view, window.network_view.canvas
    n = nv.layer_sizes[1]
    nv.highlight(1, n + 3)  # a neuron that does not exist
    assert not canvas.target_exists(nv.highlighted)
    assert not canvas.target_exists(("edge", 1, 0, n))
    assert canvas.target_exists(("node", 1, n - 1)) and canvas.target_exists(("node", 1, None))
    assert not canvas.target_exists(("bias", 0, 0))  # inputs have no bias
    with qtbot.capture_exceptions() as raised:
        window.grab()
    assert raised == []


class BrokenPaint(QWidget):
    def paintEvent(self, event):  # noqa: N802
        with painting.painter_for(self) as p:
            p.fillRect(self.rect(), Qt.GlobalColor.white)
            raise IndexError("index 4 is out of bounds for axis 0 with size 4")


def test_a_failing_paint_is_reported_once_and_its_painter_ended(qtbot):
    widget = BrokenPaint()
    qtbot.addWidget(widget)
    widget.resize(80, 40)
    with qtbot.capture_exceptions() as raised:
        for _ in range(3):
            image = widget.grab().toImage()  # would crash if the painter stayed active
            assert not image.isNull()
    assert len(raised) == 1  # once, not every frame
    assert raised[0][0] is IndexError
    assert not widget.paintingActive()
    assert any("out of bounds" in text for text in painting.reported_paint_errors())


@pytest.mark.parametrize("op", ["remove_layer", "new"])
def test_hover_then_shrink_then_grab(window, qtbot, op):
    win = window
    canvas = win.network_view.canvas
    last = len(win.network_view.layer_sizes) - 1
    hover(canvas, canvas.node_rect(last, win.network_view.layer_sizes[last] - 1).center())
    assert canvas._hover is not None
    if op == "remove_layer":
        win._edit_network("remove_layer")
    else:
        win.new_experiment()
    with qtbot.capture_exceptions() as raised:
        win.grab()
    assert raised == []
    assert canvas._hover is None or canvas.target_exists(canvas._hover)


def test_a_value_typed_for_a_removed_weight_is_ignored(window, qtbot):
    """The value editor can be answered after the network shrank: nothing is set, nothing
    raises, and the undo history is unchanged."""
    win = window
    sizes = win.network_view.layer_sizes
    count = win.undo_stack.count()
    with qtbot.capture_exceptions() as raised:
        win._on_weight_edited(len(sizes), 0, 0, 1.0)  # a layer that does not exist
        win._on_weight_edited(1, sizes[0] + 2, 0, 1.0)  # a weight from a missing input
        win._on_weight_edited(1, sizes[1] + 2, -1, 1.0)  # the bias of a missing neuron
    assert raised == []
    assert win.undo_stack.count() == count
    win._on_weight_edited(1, 0, 0, 0.5)  # a real one still works
    assert win.undo_stack.count() == count + 1
