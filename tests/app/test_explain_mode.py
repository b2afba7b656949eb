"""Explain mode in the real window: numbers from the engine, navigation, canvas focus, events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from neuroviz.app.explain_install import install
from neuroviz.engine import Network


@pytest.fixture
def win(window):
    install(window)
    install(window)  # idempotent
    return window


def explained_net(win):
    net = Network.from_spec(win.state.spec)
    net.set_weights(win.latest_snapshot.weights)
    return net


def test_explain_mode_numbers_match_engine(win, qtbot, screenshot):
    events = []
    win.extras.event_happened.connect(events.append)
    win.output_view.example_selected.emit("train", 5)  # as if the user clicked a point
    win.output_view.set_selected_example("train", 5)
    assert win.extras.explain.start()
    panel = win.extras.explain.panel
    assert win.extras.explain.dock.isVisible()
    e = panel.explanation
    ds = win.dataset
    net = explained_net(win)
    x, y = ds.X_train[5], ds.Y_train[5]
    np.testing.assert_array_equal(e.x, x)
    cache = net.forward_all(x[None, :])
    loss, grads = net.loss_and_gradients(x[None, :], y[None, :])
    for k, (z, a) in enumerate(cache):
        np.testing.assert_allclose(e.forward[k][0], z[0], rtol=1e-12)
        np.testing.assert_allclose(e.forward[k][1], a[0], rtol=1e-12)
    assert e.loss == pytest.approx(loss, rel=1e-12)
    for (dW, db), (gW, gb) in zip(e.grads, grads):
        np.testing.assert_allclose(dW, gW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, gb, rtol=1e-10, atol=1e-14)
    assert events == ["explain_started"]
    assert not win.is_running
    # the second micro-step is a weighted sum shown with its numbers, neuron in focus
    panel.command("next")
    step = panel.step
    assert step.kind == "weighted_sum"
    assert win.network_view.highlighted == ("node", 1, 0)
    assert "z =" in panel.equation.text()
    assert panel.findChild(QLabel, "explain_equation").font().pointSizeF() >= 16
    screenshot(win, "explain_forward")


def test_stepping_forward_then_back_restores_the_same_state(win, qtbot):
    assert win.extras.explain.start("train", 3)
    panel = win.extras.explain.panel
    e = panel.explanation
    states = [panel.view_state()]
    for _ in range(len(e) - 1):
        panel.command("next")
        states.append(panel.view_state())
    assert panel.index == len(e) - 1
    for i in range(len(e) - 1, 0, -1):
        assert panel.view_state() == states[i]
        panel.command("previous")
    assert panel.view_state() == states[0]
    # layer jumps are reversible too
    panel.command("next_layer")
    after = panel.view_state()
    panel.command("next_layer")
    panel.command("previous_layer")
    assert panel.view_state() == after


def test_keyboard_phases_canvas_and_events(win, qtbot, screenshot):
    events = []
    win.extras.event_happened.connect(events.append)
    assert win.extras.explain.start()
    panel = win.extras.explain.panel
    e = panel.explanation
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert panel.index == 1
    qtbot.keyClick(panel, Qt.Key.Key_Left)
    assert panel.index == 0
    qtbot.keyClick(panel, Qt.Key.Key_PageDown)
    assert panel.step.group != e.steps[0].group
    # backward: edges show gradients, an edge is in focus on edge steps
    panel.go_to(e.first_of("backward"))
    assert win.network_view.edge_mode == "gradients"
    edge_step = next(s for s in e.steps if s.kind == "edge_grad")
    panel.go_to(edge_step.index)
    assert win.network_view.highlighted == ("edge", edge_step.node_layer, *edge_step.edge)
    screenshot(win, "explain_backward")
    panel.go_to(e.first_of("update"))
    assert win.network_view.edge_mode == "weights"
    qtbot.keyClick(panel, Qt.Key.Key_End)
    assert panel.index == len(e) - 1
    assert events == ["explain_started", "explain_forward_done", "explain_backward_reached",
                      "explain_backward_done", "explain_update_done"]
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert not win.extras.explain.active
    assert win.network_view.highlighted is None


def test_play_runs_and_stops_its_timer(win, qtbot):
    assert win.extras.explain.start()
    panel = win.extras.explain.panel
    panel.speed.setValue(panel.speed.maximum())
    panel.command("toggle_play")
    assert panel.is_playing
    qtbot.waitUntil(lambda: panel.index >= 3, timeout=3000)
    panel.command("toggle_play")
    assert not panel.is_playing
    panel.command("toggle_play")
    win.extras.explain.stop()
    assert not panel.is_playing


def test_apply_update_sets_the_new_weights(win, qtbot):
    assert win.extras.explain.start("train", 0)
    panel = win.extras.explain.panel
    e = panel.explanation
    panel.command("last")
    panel.command("apply")
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and np.array_equal(
        win.latest_snapshot.weights[0][0], e.new_weights[0][0]), timeout=5000)


def test_gradient_view_toggle_chart_and_event(win, qtbot):
    events = []
    win.extras.event_happened.connect(events.append)
    win.extras.action_gradient_view.trigger()
    assert win.extras.gradient_box.isChecked()
    assert win.network_view.edge_mode == "gradients"
    assert events == ["gradient_view_on"]
    win.play()
    qtbot.waitUntil(lambda: len(win.extras.gradients.chart.epochs) >= 3, timeout=20_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=5000)
    chart = win.extras.gradients.chart
    assert len(chart.curves) == len(win.state.spec["layers"])
    assert np.all(np.array(chart.norms) > 0)
    win.extras.gradient_box.setChecked(False)
    assert not win.extras.action_gradient_view.isChecked()
    assert win.network_view.edge_mode == "weights"
