"""Window actions reach the current lesson step as lesson events; controls follow the step."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

from neuroviz.app.lessons.events import EventBridge


def click(qtbot, root, name):
    button = root.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"{name!r} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


class FakeExplain(QObject):
    """Stands in for the explain panel: anything with an event_happened(str) signal."""

    event_happened = Signal(str)


@pytest.fixture
def panel(make_window, tmp_path, monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel

    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "keep")
    return make_window(progress_path=tmp_path / "progress.json").lesson_panel


def test_window_actions_become_lesson_events(window, qtbot):
    win = window
    bridge = EventBridge(win)
    seen: list[str] = []
    bridge.event_happened.connect(seen.append)

    def expect(event):
        qtbot.waitUntil(lambda: event in seen, timeout=60_000)

    click(qtbot, win, "add_layer")
    expect("layer_added")
    click(qtbot, win, "add_neuron_1")
    expect("neuron_added")
    click(qtbot, win, "remove_layer")
    expect("layer_removed")
    combo = win.findChild(QComboBox, "activation_1")
    combo.setCurrentIndex(combo.findData("relu"))
    expect("activation_changed")
    lr = win.findChild(QComboBox, "learning_rate")
    lr.setCurrentIndex(lr.findText("0.1"))
    expect("learning_rate_changed")
    opt = win.findChild(QComboBox, "optimizer")
    opt.setCurrentIndex(opt.findText("Adam"))
    expect("optimizer_changed")
    feature = next(b for b in win.data_panel.feature_boxes.values() if not b.isChecked())
    feature.setChecked(True)
    expect("features_changed")
    click(qtbot, win, "dataset_xor")
    expect("dataset_changed")
    click(qtbot, win, "step")
    expect("stepped")
    click(qtbot, win, "reset")
    expect("reset")
    click(qtbot, win, "play_pause")
    expect("training_started")
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running)
    editor = win.network_view.edit_weight(1, 0, 0)
    line = editor.findChild(QLineEdit)
    line.setText("1.5")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    expect("weight_edited")
    win.network_view.bias_edited.emit(1, 0, 0.25)
    expect("bias_edited")
    win.network_view.neuron_hovered.emit(1, 0)
    expect("neuron_hovered")
    win.output_view.example_selected.emit("train", 3)
    expect("example_selected")

    # explain mode and other features: a source given to the bridge is forwarded
    fake = FakeExplain(win)
    bridge.add_source(fake.event_happened)
    fake.event_happened.emit("explain_forward_done")
    expect("explain_forward_done")
    fake.event_happened.emit("not_an_event")
    assert "not_an_event" not in seen

    # the lesson's own changes are not the learner's
    seen.clear()
    with bridge.quietly():
        win.apply_preset(dataset={"name": "circle"}, hyperparameters={"learning_rate": 0.003})
    assert seen == []
    bridge.detach()


def test_single_neuron_goal_is_reached_by_editing_a_weight(panel, qtbot, screenshot):
    win = panel.window
    assert panel.open_lesson("single-neuron")
    assert panel.events == set() and not panel.step_done
    assert "Edit a weight by hand" in panel.status_text
    # step 1 hides the architecture controls, even those the view rebuilds later
    for name in ("add_layer", "activation_1", "optimizer", "noise", "datasets_regression"):
        assert win.controls.is_hidden(name), name
    assert win.controls.is_highlighted("network_canvas")
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and tuple(win.latest_snapshot.layer_sizes) == (1, 1), timeout=60_000)
    screenshot(panel.window, "lesson_single_neuron_window")
    box = panel.prediction_box  # the step asks first; the edit answers the question
    box.set_answer(panel.step.prediction.answer)
    assert box.commit() and not panel.step_done

    editor = win.network_view.edit_weight(1, 0, 0)
    line = editor.findChild(QLineEdit)
    line.setText("1")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
    assert "weight_edited" in panel.events
    assert panel.goal_label.text().startswith("\u2713")
    screenshot(panel, "lesson_single_neuron_done")

    # an architecture change outside the lesson (undo, File > Open ...) rebuilds the
    # view's buttons: the step's hidden controls stay hidden
    spec = win.state.spec
    spec["layers"].insert(0, {"type": "dense", "units": 3, "activation": "tanh"})
    win.apply_network(spec)
    qtbot.waitUntil(lambda: win.controls.find("activation_2") is not None
                    and win.controls.is_hidden("activation_2")
                    and not win.controls.find("add_neuron_1").isVisible(), timeout=60_000)
    panel.close_lesson()
    for name in ("add_layer", "activation_1", "optimizer", "noise", "datasets_regression"):
        assert not win.controls.is_hidden(name), name
    assert not win.controls.is_highlighted("network_canvas")


def test_locked_weight_editing_and_restore(window, qtbot):
    from neuroviz.app.lessons.controls import StepControls

    win = window
    controls = StepControls(win)
    controls.set_step(hidden=["regenerate"], locked=["edit_weights", "learning_rate"],
                      highlight=["play"])
    assert win.controls.is_hidden("regenerate")
    assert not win.findChild(QComboBox, "learning_rate").isEnabled()
    canvas = win.network_view.canvas
    pos = canvas.edge_point(1, 0, 0).toPoint()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert not win.network_view.editor.isVisible()
    controls.clear()
    assert not win.controls.is_hidden("regenerate")
    assert win.findChild(QComboBox, "learning_rate").isEnabled()
    assert not win.controls.is_highlighted("play_pause")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(win.network_view.editor.isVisible, timeout=60_000)
    win.network_view.editor.close_editor()


def test_closing_the_window_in_a_lesson_keeps_the_learners_experiment(
        panel, qtbot, isolated_settings):
    from neuroviz.app.window.settings import app_settings

    win = panel.window
    click(qtbot, win, "dataset_spiral")
    qtbot.waitUntil(lambda: win.state.dataset.name == "spiral")
    assert panel.open_lesson("single-neuron")
    assert win.state.dataset.name == "boxoffice_budget"
    win.close()
    saved = json.loads(app_settings().value("last_experiment"))
    assert saved["dataset"]["name"] == "spiral"
    assert panel.progress.get("single-neuron").step == 1


def test_forward_pass_lesson_with_the_real_explain_mode(panel, qtbot, screenshot):
    win = panel.window
    explain = win.explain
    assert panel.open_lesson("forward-pass")
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and len(win.latest_snapshot.layer_sizes)
                    == len(win.state.spec["layers"]) + 1, timeout=60_000)
    assert not panel.step_done
    # the learner starts explain mode by hand: the panel's event reaches the lesson
    assert explain.start()
    qtbot.waitUntil(lambda: "explain_started" in panel.events, timeout=60_000)
    explain.stop()
    panel.show_me()
    qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
    panel.next_step()
    assert panel.step_number == 2 and not panel.step_done
    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    panel.show_me()  # plays explain mode to the end of the forward pass
    qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
    e = explain.panel.explanation
    assert explain.active and explain.panel.index == e.last_of("forward")
    # both panels stay in view: the lesson is not hidden behind the explain tab
    qtbot.waitUntil(lambda: explain.panel.isVisible() and panel.isVisible(), timeout=60_000)
    assert win.tabifiedDockWidgets(panel.dock) == []
    screenshot(win, "lesson_with_explain_mode")
    panel.close_lesson()
    assert not explain.active
