"""Early stopping and Restore Best Weights in the real window with the real engine: the
option stops training and puts back the weights of the lowest test loss, the loss chart
marks that epoch, restoring by hand is undoable, and the option is saved with the
experiment."""

from __future__ import annotations

import numpy as np

from neuroviz.engine import Network

SPEC = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 32, "activation": "relu"},
    {"type": "dense", "units": 32, "activation": "relu"},
    {"type": "dense", "units": 1, "activation": "sigmoid"}]}


def overfitting_setup(win):
    """Forty noisy moons points to train on, 360 to test on: the test loss soon turns up."""
    win.apply_preset(
        dataset={"name": "moons", "noise": 0.5, "train_ratio": 0.1, "n_samples": 400,
                 "data_seed": 0, "features": ("x1", "x2")},
        spec=SPEC, seed=0,
        hyperparameters={"optimizer": "adam", "learning_rate": 0.01, "batch_size": 10})


def numpy_test_loss(win, weights) -> float:
    """Binary cross-entropy on the test set, from the exact NumPy forward pass."""
    net = Network.from_spec(win.state.spec, seed=0)
    net.set_weights(weights)
    p = np.clip(net.predict(win.dataset.X_test), 1e-12, 1 - 1e-12)
    y = win.dataset.Y_test
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def lowest_in_history(win) -> tuple[float, float]:
    history = win.state.history
    test = np.asarray(history.test_loss)
    k = int(np.nanargmin(test))
    return history.epochs[k], float(test[k])


def test_early_stopping_keeps_the_best_weights(window, qtbot):
    win = window
    overfitting_setup(win)
    events, restores = [], []
    win.best_weights.event_happened.connect(events.append)
    win.best_weights.restored.connect(restores.append)
    assert not win.action_early_stopping.isChecked()
    win.action_early_stopping.trigger()  # Training › Early Stopping: Keep the Best Weights
    assert win.state.hyperparameters.early_stopping
    assert win.best_weights.switch.isChecked()  # the switch on the timeline follows
    assert win.best_weights.set_patience(15)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.latest_snapshot.test_loss is not None, timeout=60_000)
    win.play()
    qtbot.waitUntil(lambda: bool(restores) and not win.is_running, timeout=60_000)
    info = restores[0]
    assert info.stopped_at is not None and info.stopped_at - info.epoch >= 15
    assert events == ["stopped_early", "restored_best"]
    assert f"Restored the weights of epoch {info.epoch}" in win.best_weights.last_message
    assert f"Stopped early at epoch {info.stopped_at}" in win.statusBar().currentMessage()

    # the weights shown are those of the lowest test loss the chart recorded
    qtbot.waitUntil(lambda: win.latest_snapshot.test_loss == info.test_loss, timeout=60_000)
    epoch, lowest = lowest_in_history(win)
    assert abs(numpy_test_loss(win, win.latest_snapshot.weights) - lowest) < 1e-5
    assert int(epoch) == info.epoch
    assert lowest < float(np.nanmax(win.state.history.test_loss[-20:]))  # it did turn up

    # the loss chart marks that epoch
    charts = win.charts
    charts.update_history(win.state.history)
    assert charts.best_line.isVisible() and charts.best_line.value() == epoch
    assert f"best: epoch {info.epoch}" in charts.best_label.toPlainText()


def test_restore_best_by_hand_is_undoable(window, qtbot):
    win = window
    overfitting_setup(win)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.latest_snapshot.layer_sizes[-2] == 32, timeout=60_000)
    run = []
    win.worker.run_finished.connect(run.append)
    win.train_epochs(60, 1)
    qtbot.waitUntil(lambda: bool(run) and not win.is_running, timeout=60_000)
    last = win.latest_snapshot
    before = [np.array(a) for group in last.weights for a in group]
    restores = []
    win.best_weights.restored.connect(restores.append)
    win.action_restore_best.trigger()  # Training › Restore Best Weights
    qtbot.waitUntil(lambda: bool(restores), timeout=60_000)
    info = restores[0]
    assert info.stopped_at is None
    qtbot.waitUntil(lambda: win.latest_snapshot.test_loss == info.test_loss, timeout=60_000)
    epoch, lowest = lowest_in_history(win)
    assert int(epoch) == info.epoch < 60
    assert abs(numpy_test_loss(win, win.latest_snapshot.weights) - lowest) < 1e-5
    assert numpy_test_loss(win, last.weights) > lowest + 0.05  # the end was worse
    assert f"epoch {info.epoch}" in win.statusBar().currentMessage()

    best = [np.array(a) for group in win.latest_snapshot.weights for a in group]
    assert win.undo_stack.undoText() == f"Restore best weights (epoch {info.epoch})"
    win.action_undo.trigger()

    def weights_are(expected):
        shown = [np.array(a) for group in win.latest_snapshot.weights for a in group]
        return all(np.array_equal(x, y) for x, y in zip(shown, expected, strict=True))

    qtbot.waitUntil(lambda: weights_are(before), timeout=60_000)
    win.action_redo.trigger()
    qtbot.waitUntil(lambda: weights_are(best), timeout=60_000)


def test_early_stopping_is_saved_with_the_experiment(window, qtbot, tmp_path):
    win = window
    win.best_weights.switch.setChecked(True)  # the switch on the timeline bar
    assert win.best_weights.set_patience(7)
    assert win.action_early_stopping.isChecked()
    path = tmp_path / "es.neuroviz.json"
    assert win.save_experiment(path)
    win.new_experiment()
    assert not win.action_early_stopping.isChecked()
    assert not win.state.hyperparameters.early_stopping
    assert win.open_experiment(path)
    hp = win.state.hyperparameters
    assert hp.early_stopping and hp.patience == 7
    assert win.action_early_stopping.isChecked() and win.best_weights.switch.isChecked()
    assert "7 epochs" in win.best_weights.action_patience.text()


LESSON = """\
+++
schema_version = 1
id = "stop-early"
title = "Stop early"
summary = "Early stopping from a lesson."
level = "beginner"
minutes = 1
+++

## Keep the best weights

```toml
[preset]
seed = 0
dataset = { name = "moons", noise = 0.5, train_ratio = 0.1, n_samples = 400, seed = 0 }
network = { inputs = 2, loss = "bce", layers = [
  { type = "dense", units = 32, activation = "relu" },
  { type = "dense", units = 32, activation = "relu" },
  { type = "dense", units = 1, activation = "sigmoid" },
] }

[preset.training]
optimizer = "adam"
learning_rate = 0.01
batch_size = 10
early_stopping = true
patience = 10

[goal]
event = "restored_best"

[solution]
epochs = 300
```

Train until early stopping stops and keeps the best weights.
"""


def test_a_lesson_sets_early_stopping_and_hears_the_restore(one_lesson_panel, qtbot):
    panel = one_lesson_panel("01-stop-early.md", LESSON)
    win = panel.window
    assert panel.open_lesson("stop-early")
    hp = win.state.hyperparameters
    assert hp.early_stopping and hp.patience == 10
    assert win.action_early_stopping.isChecked()
    assert not panel.step_done
    restores = []
    win.best_weights.restored.connect(restores.append)
    panel.show_me()
    qtbot.waitUntil(lambda: panel.step_done and not win.is_running, timeout=60_000)
    assert restores and restores[0].stopped_at == restores[0].epoch + 10
    assert restores[0].stopped_at < 300  # stopped by early stopping, not the epoch budget
