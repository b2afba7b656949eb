"""Explain mode in the real window: numbers from the engine, navigation, canvas focus, events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from neuroviz.engine import Network


@pytest.fixture
def win(window):
    return window


def explained_net(win):
    net = Network.from_spec(win.state.spec)
    net.set_weights(win.latest_snapshot.weights)
    return net


def test_explain_mode_numbers_match_engine(win, qtbot, screenshot):
    events = []
    win.explain.event_happened.connect(events.append)
    win.gradients.event_happened.connect(events.append)
    win.output_view.example_selected.emit("train", 5)  # as if the user clicked a point
    win.output_view.set_selected_example("train", 5)
    assert win.explain.start()
    panel = win.explain.panel
    assert win.explain.dock.isVisible()
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
    assert win.explain.start("train", 3)
    panel = win.explain.panel
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
    win.explain.event_happened.connect(events.append)
    win.gradients.event_happened.connect(events.append)
    assert win.explain.start()
    panel = win.explain.panel
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
    assert not win.explain.active
    assert win.network_view.highlighted is None


def test_play_runs_and_stops_its_timer(win, qtbot):
    assert win.explain.start()
    panel = win.explain.panel
    panel.speed.setValue(panel.speed.maximum())
    panel.command("toggle_play")
    assert panel.is_playing
    qtbot.waitUntil(lambda: panel.index >= 3, timeout=60_000)
    panel.command("toggle_play")
    assert not panel.is_playing
    panel.command("toggle_play")
    win.explain.stop()
    assert not panel.is_playing


def test_apply_update_sets_the_new_weights(win, qtbot):
    assert win.explain.start("train", 0)
    panel = win.explain.panel
    e = panel.explanation
    panel.command("last")
    panel.command("apply")
    message = win.statusBar().currentMessage()
    assert message.startswith("Applied one training step")
    # the trainer's set_weights starts momentum/Adam state afresh, and the user is told
    assert ("start afresh" in message) == (win.state.hyperparameters.optimizer != "sgd")
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and np.array_equal(
        win.latest_snapshot.weights[0][0], e.new_weights[0][0]), timeout=60_000)


def test_gradient_view_toggle_chart_and_event(win, qtbot):
    events = []
    win.explain.event_happened.connect(events.append)
    win.gradients.event_happened.connect(events.append)
    win.action_gradient_view.trigger()
    assert win.gradient_box.isChecked()
    assert win.network_view.edge_mode == "gradients"
    assert events == ["gradient_view_on"]
    win.play()
    qtbot.waitUntil(lambda: len(win.gradients.chart.epochs) >= 3, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    chart = win.gradients.chart
    assert len(chart.curves) == len(win.state.spec["layers"])
    assert np.all(np.array(chart.norms) > 0)
    win.gradient_box.setChecked(False)
    assert not win.action_gradient_view.isChecked()
    assert win.network_view.edge_mode == "weights"


def _load_state(trainer, state):
    """Put a per-layer optimizer state (as the worker returns it) into a Trainer."""
    from neuroviz.engine import kernels as K

    for layer, offs, m1, m2 in zip(trainer.net.layers, trainer.net.param_offsets,
                                   state["m1"], state["m2"], strict=True):
        for shape, off, a1, a2 in zip(layer.param_shapes(), offs, m1, m2, strict=True):
            size = int(np.prod(shape))
            trainer._m1[off:off + size] = np.ravel(a1)
            trainer._m2[off:off + size] = np.ravel(a2)
    trainer._counters[K.C_T] = state["t"]


def test_explain_update_uses_the_trainers_real_adam_state(win, qtbot):
    from neuroviz.engine import Trainer
    from neuroviz.engine.explain import explain, optimizer_state_from_trainer

    win.set_hyperparameters(optimizer="adam", learning_rate=0.03)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    assert win.latest_snapshot.step == 0
    initial = [(W.copy(), b.copy()) for W, b in win.latest_snapshot.weights]
    for _ in range(3):
        before = win.latest_snapshot.epoch
        win.step_epoch()
        qtbot.waitUntil(lambda b=before: win.latest_snapshot.epoch == b + 1, timeout=60_000)
    row = 7
    assert win.explain.start("train", row)
    e = win.explain.panel.explanation
    state = win.explain.optimizer_state
    ds = win.dataset
    hp = win.state.hyperparameters
    assert state is not None and state["optimizer"] == e.optimizer == "adam"
    assert state["t"] == state["step"] == win.latest_snapshot.step > 0
    assert "current state" in win.explain.panel.header.text()

    # The state is the real one: an independent trainer replaying the same steps from the
    # same initial weights ends with the same weights and Adam moments.
    replay_net = Network.from_spec(win.state.spec)
    replay_net.set_weights(initial)
    replay = Trainer(replay_net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                     optimizer="adam", lr=hp.learning_rate, batch_size=int(hp.batch_size),
                     seed=win.state.seed, l1=hp.l1, l2=hp.l2, momentum=hp.momentum,
                     task=ds.task)
    replay.run(state["step"])
    expected = optimizer_state_from_trainer(replay)
    for (W, b), (Wr, br) in zip(state["weights"], replay.net.get_weights(), strict=True):
        np.testing.assert_array_equal(W, Wr)
        np.testing.assert_array_equal(b, br)
    for key in ("m1", "m2"):
        for got, want in zip(state[key], expected[key], strict=True):
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
    assert any(np.abs(m[0]).max() > 0 for m in state["m1"])

    # The explained update equals one real trainer step on that single example, taken
    # from the same weights and the same optimizer state: exactly with the engine's NumPy
    # reference backend, and to the compiled kernel's precision with the Numba backend the
    # app trains with (its tanh is a rational approximation, |error| < 1e-7).
    for backend, rtol in (("numpy", 1e-12), ("numba", 1e-6)):
        one_net = Network.from_spec(win.state.spec)
        one_net.set_weights(state["weights"])
        one = Trainer(one_net, ds.X_train[row:row + 1], ds.Y_train[row:row + 1],
                      optimizer="adam", lr=hp.learning_rate, batch_size=1, seed=0,
                      l1=hp.l1, l2=hp.l2, momentum=hp.momentum, task=ds.task,
                      backend=backend)
        _load_state(one, state)
        one.run(1)
        for (W, b), (Wn, bn) in zip(e.new_weights, one.net.get_weights(), strict=True):
            np.testing.assert_allclose(W, Wn, rtol=rtol, atol=1e-15)
            np.testing.assert_allclose(b, bn, rtol=rtol, atol=1e-15)
    np.testing.assert_array_equal(e.old_weights[0][0], state["weights"][0][0])

    # With a fresh state (the old behaviour) the update would have been different.
    fresh_net = Network.from_spec(win.state.spec)
    fresh_net.set_weights(state["weights"])
    fresh = explain(fresh_net, ds.X_train[row], ds.Y_train[row], optimizer="adam",
                    lr=hp.learning_rate)
    assert not np.allclose(fresh.new_weights[0][0], e.new_weights[0][0], rtol=1e-6)
    step = e.steps[e.first_of("update")]
    assert step.values["t"] == state["t"] + 1
    assert step.values["m_old"] != 0.0
    win.explain.stop()


def test_optimizer_state_without_a_running_thread():
    from neuroviz.app.training.worker import TrainingWorker

    worker = TrainingWorker()
    assert worker.optimizer_state() is None  # no trainer yet, no thread: answers at once
