"""Epochs trained before a step began never count for that step, however late their
snapshots arrive (a busy machine delivers them after the step has changed)."""

from __future__ import annotations

import textwrap
import threading

from PySide6.QtWidgets import QApplication

LESSON = textwrap.dedent('''\
    +++
    schema_version = 1
    id = "counting"
    title = "Counting epochs"
    summary = "Two steps that each count their own epochs."
    level = "beginner"
    minutes = 5
    +++

    ## Train

    ```toml
    [preset]
    seed = 0
    dataset = { name = "xor", noise = 0.0 }
    network = { inputs = 2, loss = "bce", layers = [
      { type = "dense", units = 4, activation = "tanh" },
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }
    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = 100000
    ```

    Train.

    ## Train again

    ```toml
    [goal]
    metric = "trained_epochs"
    compare = ">="
    value = 100000
    ```

    Train again.
    ''')


def wait_for_worker(condition) -> None:
    """Wait for the worker thread without handling GUI events (so snapshots pile up)."""
    event = threading.Event()
    for _ in range(6000):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("the worker did not get there")


def test_snapshots_from_before_a_step_are_not_counted_in_it(one_lesson_panel, qtbot):
    panel = one_lesson_panel("counting.md", LESSON)
    win = panel.window
    assert panel.open_lesson("counting")
    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    worker = win.worker
    start = worker.latest.epoch
    win.play()
    # train on while the GUI handles nothing: the snapshots queue up undelivered
    wait_for_worker(lambda: worker.latest is not None and worker.latest.epoch >= start + 5)
    win.pause()
    wait_for_worker(lambda: not worker._running)
    panel.next_step()  # step 2 begins while step 1's snapshots are still on their way
    assert panel.step_number == 2
    QApplication.processEvents()
    qtbot.waitUntil(lambda: win.latest_snapshot is worker.latest, timeout=60_000)
    assert panel.trained_epochs == 0
    before = win.latest_snapshot.epoch
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch == before + 1, timeout=60_000)
    qtbot.waitUntil(lambda: panel.trained_epochs == 1, timeout=60_000)
