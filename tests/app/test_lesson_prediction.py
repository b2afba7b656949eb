"""Prediction questions, run comparison, the timeline and settings goals in the real window."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton

HEAD = '''\
    +++
    schema_version = 1
    id = "{id}"
    title = "A test lesson"
    summary = "For the tests."
    level = "beginner"
    minutes = 5
    +++
'''

PREDICT = textwrap.dedent(HEAD.format(id="predict") + '''
    ## Predict, then train

    ```toml
    [preset]
    seed = 0
    dataset = { name = "circle", noise = 0.0 }
    training = { optimizer = "adam", learning_rate = 0.03, batch_size = 10 }
    network = { inputs = 2, loss = "bce", layers = [
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }

    [predict]
    question = "How accurate will one neuron be on the circle?"
    choices = ["Close to 100 %", "Far short of 100 %"]
    answer = "Far short of 100 %"
    feedback = "One neuron draws one straight line."

    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = 3

    [solution]
    epochs = 3
    ```

    Train it.

    ## A number this time

    ```toml
    [predict]
    question = "How many epochs will you train?"
    answer = 4
    tolerance = 1
    unit = "epochs"
    feedback = "Four, as the step asks."

    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = 4

    [solution]
    epochs = 4
    ```

    Train four epochs.
''')

RUNS = textwrap.dedent(HEAD.format(id="runs") + '''
    ## First run

    ```toml
    [preset]
    seed = 0
    dataset = { name = "xor", noise = 0.0 }
    training = { optimizer = "adam", learning_rate = 0.03, batch_size = 10 }
    network = { inputs = 2, loss = "mse", layers = [
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }

    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = 10

    [solution]
    epochs = 10
    ```

    Train a run.

    ## A bigger batch, then a second run

    ```toml
    [goal]
    all = [
      { setting = "batch_size", compare = "==", value = 50 },
      { versus = "previous", metric = "train_loss", compare = ">", same_epochs = true },
    ]

    [solution]
    training = { batch_size = 50 }
    reset = true
    epochs = 10
    ```

    With batch size 50 the same epochs make fewer updates.

    ## Overtrain, then go back

    ```toml
    [preset]
    dataset = { name = "circle", noise = 0.3, n_samples = 60 }
    network = { inputs = 2, loss = "bce", layers = [
      { type = "dense", units = 8, activation = "tanh" },
      { type = "dense", units = 8, activation = "tanh" },
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }
    training = { batch_size = 10, learning_rate = 0.03 }

    [goal]
    timeline = "lowest_test_loss"
    within = 2
    trained_past = 20

    [solution]
    epochs = 150
    rewind = "lowest_test_loss"
    ```

    Go back to the best epoch.
''')


def click(qtbot, root, name):
    button = root.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"{name!r} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_prediction_locks_play_until_committed_then_shows_the_outcome(
        one_lesson_panel, qtbot, screenshot):
    panel = one_lesson_panel("01-predict.md", PREDICT)
    win = panel.window
    assert panel.open_lesson("predict")
    box = panel.prediction_box
    assert box.isVisible() and box.pending
    assert "How accurate" in box.question.text()
    # play, step and show me wait for the prediction; nothing counts before it
    assert win.controls.is_locked("play_pause") and win.controls.is_locked("step")
    assert not panel.show_me_button.isEnabled()
    assert not box.commit_button.isEnabled()  # nothing chosen yet
    assert panel.status_text.startswith("First make your prediction")
    screenshot(panel, "lesson_prediction_asked")
    choice = panel.findChild(QAbstractButton, "lesson_prediction_choice_0")
    qtbot.mouseClick(choice, Qt.MouseButton.LeftButton, pos=QPoint(8, choice.height() // 2))
    assert choice.isChecked()
    click(qtbot, panel, "lesson_prediction_commit")
    assert panel.event_log == ["prediction_made"]
    assert not win.controls.is_locked("play_pause") and panel.show_me_button.isEnabled()
    assert not box.outcome_shown
    click(qtbot, panel, "lesson_show_me")
    qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
    qtbot.waitUntil(lambda: not panel.showing, timeout=60_000)
    assert box.outcome_shown and box.outcome.property("right") is False
    assert "Not quite" in box.outcome.text() and "Far short of 100 %" in box.outcome.text()
    assert "One neuron draws one straight line." in box.outcome.text()
    screenshot(panel, "lesson_prediction_outcome")

    # a number question: the unit beside the box; show me answers with the stated answer
    click(qtbot, panel, "lesson_next")
    assert box.pending and box.number_row.isVisible() and box.unit.text() == "epochs"
    panel.show_me()
    assert box.guess == 4.0
    qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
    qtbot.waitUntil(lambda: not panel.showing, timeout=60_000)
    assert box.outcome.property("right") is True
    assert panel.trained_epochs == 4  # exactly the solution's epochs


def test_goal_counts_only_after_the_prediction(one_lesson_panel, qtbot):
    panel = one_lesson_panel("01-predict.md", PREDICT)
    assert panel.open_lesson("predict")
    win = panel.window
    for _ in range(3):  # the Training menu still trains (the toolbar's step is locked)
        win.step_epoch()
    qtbot.waitUntil(lambda: panel.trained_epochs >= 3, timeout=60_000)
    panel.update_goal()
    assert not panel.step_done and "First make your prediction" in panel.status_text
    assert not panel.prediction_box.outcome_shown
    panel.prediction_box.set_answer("Close to 100 %")
    panel.prediction_box.commit()
    assert panel.step_done
    assert panel.prediction_box.outcome.property("right") is False


def test_runs_settings_and_timeline_in_the_window(one_lesson_panel, qtbot):
    panel = one_lesson_panel("01-runs.md", RUNS)
    win = panel.window
    assert panel.open_lesson("runs")
    panel.show_me()
    qtbot.waitUntil(lambda: panel.step_done and not panel.showing, timeout=60_000)
    first = panel.run_tracker.current()
    assert first.epochs == 10
    assert win.state.spec["loss"] == "mse"  # the lesson's squared error, not cross-entropy
    panel.next_step()
    status = panel.tracker.check(panel.goal_context())[1]
    assert "Batch size 10, goal exactly 50" in status
    panel.show_me()
    qtbot.waitUntil(lambda: panel.step_done and not panel.showing, timeout=60_000)
    runs = panel.run_tracker.runs
    assert len(runs) == 1 and runs[0].epochs == 10
    assert runs[0].final["train_loss"] == pytest.approx(first.final["train_loss"])
    current = panel.run_tracker.current()
    assert current.epochs == 10 and win.state.hyperparameters.batch_size == 50
    # each run's history has one entry per epoch, from the untrained network on
    assert [e for e, _ in current.history] == list(range(11))
    # the panel shows both runs' numbers side by side
    text = panel.runs_label.text()
    assert panel.runs_label.isVisible() and text.startswith("Training loss: the previous run")
    assert f"{runs[0].final['train_loss']:.3f} after 10 epochs" in text
    assert f"this run {current.at_epoch(10)['train_loss']:.3f} after as many" in text

    panel.next_step()
    panel.show_me()
    qtbot.waitUntil(lambda: panel.step_done and not panel.showing, timeout=60_000)
    run = panel.run_tracker.current()
    losses = [m["test_loss"] for _, m in run.history]
    best = run.history[int(np.argmin(losses))][0]
    assert panel.timeline_position == best
    assert run.history[-1][0] - best >= 20
    # the network shows the weights of that epoch: their test loss is the lowest
    ds = win.dataset
    from neuroviz.engine import Network

    net = Network.from_spec(win.state.spec)
    net.set_weights(win.timeline.scrubbed_entry.weights)
    assert net.loss_value(ds.X_test, ds.Y_test) == pytest.approx(min(losses), rel=1e-6)
