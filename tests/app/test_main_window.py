"""The playground window, driven through its controls with the real engine."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

from neuroviz.experiment import DatasetSettings


def click(qtbot, win, name):
    button = win.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"{name!r} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def snap(win, name):
    """An attribute of the newest drawn snapshot (None while a new run starts)."""
    return getattr(win.latest_snapshot, name, None)


def sizes(win):
    return tuple(win.latest_snapshot.layer_sizes) if win.latest_snapshot else None


def wait_sizes(qtbot, win, expected):
    qtbot.waitUntil(lambda: sizes(win) == tuple(expected), timeout=60_000)


def test_build_network_through_the_ui(window, qtbot, screenshot):
    win = window
    assert win.state.hidden_sizes == [4, 2]
    click(qtbot, win, "add_layer")
    wait_sizes(qtbot, win, (2, 4, 2, 4, 1))
    click(qtbot, win, "add_neuron_1")
    click(qtbot, win, "add_neuron_1")
    click(qtbot, win, "remove_neuron_2")
    wait_sizes(qtbot, win, (2, 6, 1, 4, 1))
    click(qtbot, win, "remove_layer")
    click(qtbot, win, "remove_layer")
    wait_sizes(qtbot, win, (2, 6, 1))
    combo = win.findChild(QComboBox, "activation_1")
    combo.setCurrentIndex(combo.findData("relu") if combo.findData("relu") >= 0
                          else combo.findText("ReLU"))
    qtbot.waitUntil(lambda: win.state.spec["layers"][0]["activation"] == "relu")
    # zero hidden layers: logistic regression
    click(qtbot, win, "remove_layer")
    wait_sizes(qtbot, win, (2, 1))
    assert win.state.hidden_sizes == []
    screenshot(win, "network_no_hidden_layer")


def test_training_loss_falls_then_pause_and_step(window, qtbot, screenshot, wait_settled):
    win = window
    first = win.latest_snapshot.train_loss
    click(qtbot, win, "play_pause")
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    qtbot.waitUntil(lambda: (snap(win, "train_loss") or 1e9) < 0.5 * first, timeout=60_000)
    assert len(win.state.history) > 3
    screenshot(win, "training_circle")
    click(qtbot, win, "play_pause")
    wait_settled(win)
    epoch = win.latest_snapshot.epoch
    click(qtbot, win, "step")
    qtbot.waitUntil(lambda: snap(win, "epoch") == epoch + 1, timeout=60_000)
    assert not win.is_running
    assert win.toolbar.epoch_label.text() == f"Epoch {epoch + 1:,}"


def test_edit_weight_changes_output(window, qtbot):
    win = window
    before = win.latest_snapshot
    editor = win.network_view.edit_weight(1, 0, 0)
    line = editor.findChild(QLineEdit)
    line.setText("3.5")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.latest_snapshot.weights[0][0][0, 0] == 3.5, timeout=60_000)
    after = win.latest_snapshot
    assert not np.allclose(before.grid[-1], after.grid[-1]), "the output did not change"
    assert not np.allclose(before.grid[0][0], after.grid[0][0])
    # a bias edit, and undo restores the weight
    win.network_view.bias_edited.emit(2, 1, -0.75)
    qtbot.waitUntil(lambda: win.latest_snapshot.weights[1][1][1] == -0.75, timeout=60_000)
    win.undo_stack.undo()
    qtbot.waitUntil(lambda: win.latest_snapshot.weights[1][1][1] == before.weights[1][1][1])
    win.undo_stack.undo()
    qtbot.waitUntil(lambda: win.latest_snapshot.weights[0][0][0, 0]
                    == before.weights[0][0][0, 0])


def test_edit_weight_while_running(window, qtbot):
    win = window
    win.play()
    qtbot.waitUntil(lambda: win.is_running)
    win.network_view.weight_edited.emit(2, 0, 0, 7.25)
    # Training goes on from the edited weight: it is seen once, then moves away.
    qtbot.waitUntil(lambda: win.undo_stack.count() == 1)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running)


def test_undo_redo_network_edit(window, qtbot):
    win = window
    click(qtbot, win, "add_neuron_2")
    wait_sizes(qtbot, win, (2, 4, 3, 1))
    win.action_undo.trigger()
    wait_sizes(qtbot, win, (2, 4, 2, 1))
    assert win.state.hidden_sizes == [4, 2]
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    wait_sizes(qtbot, win, (2, 4, 3, 1))
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_sizes(qtbot, win, (2, 4, 2, 1))


def test_rebuild_keeps_weights_of_unchanged_layers(window, qtbot):
    win = window
    before = win.latest_snapshot.weights
    click(qtbot, win, "add_neuron_2")
    wait_sizes(qtbot, win, (2, 4, 3, 1))
    after = win.latest_snapshot.weights
    np.testing.assert_array_equal(before[0][0], after[0][0])
    np.testing.assert_array_equal(before[0][1], after[0][1])


def test_reset_gives_same_weights_and_new_seed_changes_them(window, qtbot):
    win = window
    start = win.latest_snapshot.weights
    win.step_epoch()
    qtbot.waitUntil(lambda: snap(win, "epoch") == 1)
    qtbot.keyClick(win, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: snap(win, "step") == 0)
    for (w0, b0), (w1, b1) in zip(start, win.latest_snapshot.weights, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    click(qtbot, win, "new_seed")
    qtbot.waitUntil(lambda: win.state.seed == 1)
    qtbot.waitUntil(lambda: not np.array_equal(win.latest_snapshot.weights[0][0], start[0][0]))


def test_space_and_right_shortcuts(window, qtbot, wait_settled):
    win = window
    win.activateWindow()
    win.network_view.setFocus()
    qtbot.keyClick(win.network_view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    qtbot.keyClick(win.network_view, Qt.Key.Key_Space)
    wait_settled(win)
    epoch = win.latest_snapshot.epoch
    qtbot.keyClick(win.network_view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: snap(win, "epoch") == epoch + 1, timeout=60_000)


def test_live_hyperparameters(window, qtbot):
    win = window
    combo = win.findChild(QComboBox, "learning_rate")
    combo.setCurrentIndex(combo.findText("0.3"))
    assert win.state.hyperparameters.learning_rate == 0.3
    qtbot.waitUntil(lambda: snap(win, "lr") == 0.3, timeout=60_000)
    win.findChild(QComboBox, "optimizer").setCurrentText("Adam")
    qtbot.waitUntil(lambda: snap(win, "optimizer") == "adam", timeout=60_000)
    win.data_panel.batch_size.setValue(25)
    qtbot.waitUntil(lambda: snap(win, "batch_size") == 25, timeout=60_000)
    win.findChild(QComboBox, "regularization").setCurrentText("L2")
    win.findChild(QComboBox, "regularization_rate").setCurrentText("0.01")
    assert win.state.hyperparameters.l2 == 0.01


def test_divergence_banner(window, qtbot, screenshot):
    win = window
    win.set_dataset(DatasetSettings(name="plane"))
    qtbot.waitUntil(lambda: win.dataset.name == "plane" and win.latest_snapshot is not None
                    and win.latest_snapshot.layer_sizes[-1] == 1)
    assert not win.set_hyperparameters(learning_rate=1e5)  # beyond what the engine takes
    assert "learning_rate" in win.last_error
    assert win.set_hyperparameters(learning_rate=1000.0)
    win.play()
    banner = win.divergence_banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=60_000)
    assert "infinite" in banner.label.text() or "NaN" in banner.label.text()
    assert "smaller learning rate" in banner.label.text()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    snap = win.latest_snapshot
    assert snap.diverged
    assert all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in snap.weights)
    assert all(np.isfinite(v) for v in win.state.history.train_loss)
    screenshot(win, "divergence")
    # the banner's button lowers the learning rate (x0.1 as often as a short trial run
    # needs: 100 and 10 still diverge here), resets, and says what it chose
    qtbot.mouseClick(banner.action, Qt.MouseButton.LeftButton)
    lr = win.state.hyperparameters.learning_rate
    assert lr <= 1.0
    assert f"from 1000 to {lr:g}" in win.message_banner.label.text()
    assert "100, 10" in win.message_banner.label.text()
    qtbot.waitUntil(lambda: not banner.isVisible())


def test_switch_datasets_penguins_digits_spiral(window, qtbot, screenshot):
    win = window
    click(qtbot, win, "dataset_penguins")
    qtbot.waitUntil(lambda: sizes(win) is not None and sizes(win)[0] == 4
                    and sizes(win)[-1] == 3, timeout=60_000)
    assert win.state.spec["loss"] == "softmax_ce"
    assert win.network_view.example_values(0) is not None
    win.output_view.example_selected.emit("test", 3)
    np.testing.assert_allclose(win.network_view.example_values(0), win.dataset.X_test[3])
    win.play()
    qtbot.waitUntil(lambda: snap(win, "epoch") >= 5, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running)
    screenshot(win, "penguins")

    click(qtbot, win, "dataset_digits")
    qtbot.waitUntil(lambda: sizes(win) is not None and sizes(win)[0] == 64
                    and sizes(win)[-1] == 10, timeout=60_000)
    win.output_view.example_selected.emit("train", 7)
    np.testing.assert_allclose(win.network_view.example_values(0), win.dataset.X_train[7])
    screenshot(win, "digits")

    click(qtbot, win, "dataset_spiral")
    qtbot.waitUntil(lambda: win.dataset.name == "spiral" and sizes(win) is not None
                    and sizes(win)[0] == 2)
    box = win.findChild(QAbstractButton, "feature_x1sq")
    box.click()
    qtbot.waitUntil(lambda: sizes(win) is not None and sizes(win)[0] == 3)
    assert win.dataset.feature_names == ["x1", "x2", "x1^2"]
    assert win.latest_snapshot.grid is not None
    screenshot(win, "spiral_features")

    win.findChild(QComboBox, "problem_type").setCurrentText("Regression")
    qtbot.waitUntil(lambda: win.dataset.task == "regression")
    qtbot.waitUntil(lambda: snap(win, "metric_name") == "r2")


def test_data_controls(window, qtbot):
    win = window
    x0 = win.dataset.X_train.copy()
    click(qtbot, win, "regenerate")
    qtbot.waitUntil(lambda: win.state.dataset.data_seed == 1)
    assert not np.array_equal(win.dataset.X_train, x0)
    win.data_panel.noise.setValue(30)
    qtbot.waitUntil(lambda: win.state.dataset.noise == 0.3)
    win.data_panel.train_ratio.setValue(70)
    qtbot.waitUntil(lambda: win.state.dataset.train_ratio == 0.7)
    assert win.dataset.n_train > win.dataset.n_test


def test_save_and_reopen(window, qtbot, tmp_path):
    win = window
    click(qtbot, win, "add_neuron_1")
    wait_sizes(qtbot, win, (2, 5, 2, 1))
    win.set_hyperparameters(learning_rate=0.1, optimizer="adam")
    win.step_epoch()
    win.step_epoch()
    qtbot.waitUntil(lambda: snap(win, "epoch") == 2)
    saved = win.latest_snapshot
    history = list(win.state.history.train_loss)
    path = tmp_path / "run.neuroviz.json"
    assert win.save_experiment(path)
    assert json.loads(path.read_text())["schema_version"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    win.new_experiment()
    wait_sizes(qtbot, win, (2, 4, 2, 1))
    assert win.state.hyperparameters.learning_rate == 0.03

    assert win.open_experiment(path)
    wait_sizes(qtbot, win, (2, 5, 2, 1))
    for (w0, b0), (w1, b1) in zip(saved.weights, win.latest_snapshot.weights, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    assert win.state.hyperparameters.learning_rate == 0.1
    assert win.state.hyperparameters.optimizer == "adam"
    assert list(win.state.history.train_loss)[: len(history)] == history
    assert win.toolbar.epoch_label.text() == "Epoch 2"
    assert "run.neuroviz.json" in win.windowTitle()


def test_bad_file_gives_message_and_changes_nothing(window, qtbot, tmp_path, screenshot):
    win = window
    good = tmp_path / "good.json"
    assert win.save_experiment(good)
    text = good.read_text()
    bad = tmp_path / "broken.json"
    bad.write_text(text[: len(text) // 2])
    spec, ds, weights = win.state.spec, win.state.dataset, win.latest_snapshot.weights

    assert not win.open_experiment(bad)
    boxes = win.open_message_boxes
    assert boxes and "broken.json" in boxes[-1].text()
    assert "truncated" in boxes[-1].text() or "JSON" in boxes[-1].text()
    screenshot(win, "bad_file_message")
    for box in boxes:
        box.close()
    assert win.state.spec == spec and win.state.dataset == ds
    assert win.latest_snapshot.weights[0][0] is weights[0][0]

    wrong = tmp_path / "wrong.json"
    data = json.loads(text)
    data["network"]["weights"][0][0] = [[1.0]]
    wrong.write_text(json.dumps(data))
    assert not win.open_experiment(wrong)
    assert "wrong.json" in win.last_error and "network.weights" in win.last_error
    for box in win.open_message_boxes:
        box.close()
    assert win.state.spec == spec


def test_apply_preset_and_controls_registry(window, qtbot):
    win = window
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 3, "activation": "relu"},
                                    {"type": "dense", "units": 1, "activation": "sigmoid"}],
            "loss": "bce"}
    weights = [(np.full((2, 3), 0.5), np.zeros(3)), (np.ones((3, 1)), np.array([-0.25]))]
    win.apply_preset(dataset={"name": "xor", "noise": 0.1}, spec=spec, weights=weights,
                     hyperparameters={"learning_rate": 0.01}, seed=5)
    wait_sizes(qtbot, win, (2, 3, 1))
    assert win.dataset.name == "xor" and win.state.seed == 5
    np.testing.assert_array_equal(win.latest_snapshot.weights[1][1], [-0.25])
    assert win.toolbar.learning_rate.currentText() == "0.01"

    for name in ("play_pause", "learning_rate", "noise", "add_layer", "dataset_spiral",
                 "feature_x1sq", "network_view", "charts"):
        assert win.control(name) is not None
    combo = win.findChild(QComboBox, "learning_rate")
    win.set_control_hidden("learning_rate")
    qtbot.waitUntil(lambda: not combo.isVisible())
    assert win.controls.is_hidden("learning_rate")
    win.set_control_hidden("learning_rate", False)
    qtbot.waitUntil(combo.isVisible)
    win.set_control_hidden("regenerate")
    assert not win.control("regenerate").isVisible()
    win.set_control_locked("add_layer")
    assert not win.control("add_layer").isEnabled()
    win.set_control_highlighted("play_pause")
    assert win.controls.is_highlighted("play_pause")
    win.controls.clear()
    assert win.control("add_layer").isEnabled()
    assert win.control("play_pause").graphicsEffect() is None


def test_side_panel_theme_and_settings(window, qtbot, screenshot, isolated_settings):
    from PySide6.QtWidgets import QLabel

    from neuroviz.app.window.main_window import MainWindow

    win = window
    dock = win.add_side_panel(QLabel("Lesson text"), "Lesson", "lesson_dock")
    # a side column on the right in a wide window, tabbed with the data panel otherwise
    assert not win.wide_layout  # the test window is 1400 pixels wide
    assert win.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    qtbot.waitUntil(lambda: dock in win.tabifiedDockWidgets(win.data_dock), timeout=60_000)
    win.set_theme("dark")
    win.play()
    qtbot.waitUntil(lambda: snap(win, "epoch") > 20, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running)
    screenshot(win, "dark_theme_side_panel")
    win.set_theme("light")
    win.set_hyperparameters(learning_rate=0.3)
    win.close()
    assert isolated_settings.exists()

    again = MainWindow()
    qtbot.addWidget(again)
    assert again.state.hyperparameters.learning_rate == 0.3
    again.close()


def test_dialogs_do_not_block(window, qtbot):
    win = window
    win.show_shortcuts()
    win.show_about()
    assert len(win.open_message_boxes) == 2
    assert "Space" in win.open_message_boxes[0].text()
    for box in win.open_message_boxes:
        box.close()


def test_export_image(window, tmp_path):
    path = tmp_path / "window.png"
    assert window.export_image(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
