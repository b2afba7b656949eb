"""The toolbar's Play/Pause button (and the Training menu's action) say whether the worker
trains, however training was started or stopped: play, a lesson's "show me", pause from the
toolbar, a lesson preset, explain mode, divergence."""

from __future__ import annotations

import textwrap

import pytest
from PySide6.QtCore import Qt

SHOW_ME_EPOCHS = 3000

LESSON = textwrap.dedent(f"""\
    +++
    schema_version = 1
    id = "play-state"
    title = "Play state"
    summary = "Show me trains for a while."
    level = "beginner"
    minutes = 1
    +++

    ## Train a while

    ```toml
    [preset]
    seed = 0
    dataset = {{ name = "circle", noise = 0.0, train_ratio = 0.5 }}
    network = {{ inputs = 2, loss = "bce", layers = [
      {{ type = "dense", units = 8, activation = "tanh" }},
      {{ type = "dense", units = 1, activation = "sigmoid" }},
    ] }}
    training = {{ optimizer = "adam", learning_rate = 0.003, batch_size = 10 }}

    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = {SHOW_ME_EPOCHS}

    [solution]
    epochs = {SHOW_ME_EPOCHS}
    ```

    Press "show me".

    ## Faster

    ```toml
    [preset]
    training = {{ learning_rate = 0.01 }}
    ```

    A preset that changes only the learning rate.
    """)


@pytest.fixture
def panel(one_lesson_panel):
    return one_lesson_panel("01-play-state.md", LESSON)


def shows(win) -> str:
    """What the toolbar button and the menu action offer: "Play" or "Pause" (or a mismatch)."""
    button = win.toolbar.play_button
    action = win.action_play.text().replace("&", "")
    assert button.text() == button.accessibleName() == action, (button.text(), action)
    return button.text()


def test_show_me_shows_pause_while_it_trains_and_play_after(panel, qtbot, wait_snapshot_fits):
    win = panel.window
    assert panel.open_lesson("play-state")
    wait_snapshot_fits(win)
    assert shows(win) == "Play" and not win.is_running
    # (showing, toolbar) at every snapshot the worker publishes: one per chunk of the run
    # (the window may draw fewer when frames come faster than it paints)
    seen = []
    win.worker.snapshot_ready.connect(lambda *_: seen.append((panel.showing, shows(win))))

    panel.show_me()
    assert panel.showing
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert shows(win) == "Pause"
    assert "Pause" in win.toolbar.play_button.toolTip()
    qtbot.waitUntil(lambda: not panel.showing, timeout=60_000)
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    assert shows(win) == "Play"
    assert panel.step_done
    assert panel.trained_epochs == SHOW_ME_EPOCHS  # never more than the solution's epochs
    during = [text for showing, text in seen if showing]
    assert len(during) >= 10, "show me was not watched in chunks"
    assert set(during[:-1]) == {"Pause"}, during  # the last chunk's frame may say either


def test_pause_on_the_toolbar_stops_show_me(panel, qtbot, wait_snapshot_fits, wait_settled,
                                             worker_barrier):
    win = panel.window
    assert panel.open_lesson("play-state")
    wait_snapshot_fits(win)
    panel.show_me()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert shows(win) == "Pause"
    qtbot.mouseClick(win.toolbar.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    qtbot.waitUntil(lambda: not panel.showing, timeout=60_000)
    assert shows(win) == "Play"
    assert panel.show_me_button.text() == "Show me"
    wait_settled(win)
    stopped_at = win.latest_snapshot.step
    worker_barrier(win)  # every command sent so far has been handled
    assert win.latest_snapshot.step == stopped_at, "training went on after Pause"
    assert panel.trained_epochs < SHOW_ME_EPOCHS

    # the space bar's action stops it the same way
    panel.show_me()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    win.action_play.trigger()
    qtbot.waitUntil(lambda: not panel.showing and not win.is_running, timeout=60_000)
    assert shows(win) == "Play"


def test_stop_button_of_show_me_and_a_lesson_preset_pause(panel, qtbot, wait_snapshot_fits):
    win = panel.window
    assert panel.open_lesson("play-state")
    wait_snapshot_fits(win)
    panel.show_me()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert panel.show_me_button.text() == "Stop"
    panel.show_me()  # "Stop"
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    assert shows(win) == "Play" and not panel.showing

    win.play()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert shows(win) == "Pause"
    panel.next_step()  # its preset changes the learning rate only
    assert panel.step_number == 2
    win.play()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    panel.previous_step()  # entering a step applies its presets: training pauses
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    assert shows(win) == "Play"


def test_explain_mode_and_divergence_turn_the_button_back_to_play(window, qtbot):
    win = window
    win.play()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    assert shows(win) == "Pause"
    assert win.explain.start()  # explaining pauses training
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    assert shows(win) == "Play"
    win.explain.stop()

    from neuroviz.experiment import DatasetSettings

    win.set_dataset(DatasetSettings(name="plane"))
    qtbot.waitUntil(lambda: win.dataset.name == "plane" and win.latest_snapshot is not None
                    and win.latest_snapshot.layer_sizes[-1] == 1, timeout=60_000)
    assert win.set_hyperparameters(learning_rate=1000.0)
    win.play()
    qtbot.waitUntil(lambda: win.is_running or win.latest_snapshot.diverged, timeout=60_000)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and win.latest_snapshot.diverged,
                    timeout=60_000)
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    assert shows(win) == "Play"
