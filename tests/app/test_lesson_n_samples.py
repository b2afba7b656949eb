"""A lesson preset's dataset ``n_samples`` reaches the real window: the data panel, the
dataset settings, the loaded data and the trainer all use it."""

from __future__ import annotations

import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from neuroviz.experiment import Experiment, ExperimentError, experiment_from_dict

LESSON = textwrap.dedent("""\
    +++
    schema_version = 1
    id = "few-points"
    title = "Few points"
    summary = "A small dataset."
    level = "beginner"
    minutes = 1
    +++

    ## Sixty points

    ```toml
    [preset]
    seed = 0
    dataset = { name = "circle", noise = 0.0, train_ratio = 0.5, n_samples = 60 }
    network = { inputs = 2, loss = "bce", layers = [
      { type = "dense", units = 4, activation = "tanh" },
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }
    training = { optimizer = "adam", learning_rate = 0.03, batch_size = 10 }
    ```

    Only sixty points.

    ## Noisier

    ```toml
    [preset]
    dataset = { noise = 0.2 }

    [solution]
    dataset = { n_samples = 400 }
    ```

    Same size, more noise.

    ## Another dataset

    ```toml
    [preset]
    dataset = { name = "xor" }
    ```

    Back to the usual size.
    """)


@pytest.fixture
def panel(one_lesson_panel):
    return one_lesson_panel("01-few-points.md", LESSON)


def wait_for_data(qtbot, win, n_train):
    """Wait until the worker publishes a snapshot trained on ``n_train`` examples."""
    qtbot.waitUntil(lambda: win.dataset.n_train == n_train
                    and win.latest_snapshot is not None, timeout=60_000)


def first_epoch_steps(qtbot, win) -> int:
    """Optimizer steps of the first epoch in the real trainer (= ceil(n_train / batch))."""
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch == 1, timeout=60_000)
    return win.latest_snapshot.step


def size_text(win) -> str:
    return win.data_panel.findChild(QLabel, "dataset_size").text()


def test_preset_n_samples_sizes_the_training_set(panel, qtbot):
    win = panel.window
    assert panel.open_lesson("few-points")
    assert win.state.dataset.n_samples == 60
    wait_for_data(qtbot, win, 30)
    assert (win.dataset.n_train, win.dataset.n_test) == (30, 30)
    assert size_text(win).startswith("60 examples: 30 for training, 30 for testing")
    assert win.data_panel.settings().n_samples == 60
    assert first_epoch_steps(qtbot, win) == 3  # 30 training examples, batches of 10

    # a later preset that changes only the noise keeps the size
    panel.next_step()
    assert win.state.dataset.noise == pytest.approx(0.2)
    assert win.state.dataset.n_samples == 60
    wait_for_data(qtbot, win, 30)
    # moving a slider keeps it too
    win.data_panel.train_ratio.setValue(80)
    qtbot.waitUntil(lambda: win.state.dataset.train_ratio == pytest.approx(0.8), timeout=60_000)
    assert win.state.dataset.n_samples == 60
    wait_for_data(qtbot, win, 48)
    assert win.dataset.n_test == 12
    # "show me" applies its own size on top
    panel.show_me()
    assert win.state.dataset.n_samples == 400
    wait_for_data(qtbot, win, 320)

    # a preset that picks another dataset goes back to that dataset's usual size
    panel.next_step()
    assert win.state.dataset.name == "xor"
    assert win.state.dataset.n_samples is None
    qtbot.waitUntil(lambda: win.dataset.name == "xor", timeout=60_000)
    assert win.dataset.n_train + win.dataset.n_test == 500

    # entering step 2 directly applies the presets of steps 1 and 2: 60 examples again
    panel.go_to_step(2)
    assert win.state.dataset.n_samples == 60
    wait_for_data(qtbot, win, 30)


def test_learner_picking_a_dataset_gets_its_usual_size(panel, qtbot):
    win = panel.window
    assert panel.open_lesson("few-points")
    wait_for_data(qtbot, win, 30)
    qtbot.mouseClick(win.data_panel.dataset_buttons["moons"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dataset.name == "moons", timeout=60_000)
    assert win.state.dataset.n_samples is None
    assert win.dataset.n_train + win.dataset.n_test == 500
    assert size_text(win).startswith("500 examples")


def test_n_samples_is_saved_and_checked_in_experiment_files():
    exp = Experiment()
    exp.dataset.n_samples = 60
    back = experiment_from_dict(exp.to_dict())
    assert back.dataset.n_samples == 60
    assert "n_samples" not in Experiment().to_dict()["dataset"]  # old files stay as they were
    exp.dataset.n_samples = 5  # below what the data package generates
    with pytest.raises(ExperimentError, match="n_samples"):
        experiment_from_dict(exp.to_dict())
