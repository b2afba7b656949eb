"""New, Open and Quit never lose unsaved work without asking."""

from __future__ import annotations

import pytest

from neuroviz.experiment import load_experiment


def train_a_little(win, qtbot):
    win.play()
    qtbot.waitUntil(lambda: win.latest_snapshot.step > 20, timeout=60_000)
    win.pause()
    # the last snapshot of the burst reaches the window
    qtbot.waitUntil(lambda: not win.is_running and win.latest_snapshot.step
                    == win.worker.trained_steps, timeout=60_000)


@pytest.fixture
def asked(window, monkeypatch):
    questions: list[str] = []
    answer = {"value": "cancel"}

    def ask(self, doing):
        questions.append(doing)
        return answer["value"]

    monkeypatch.setattr(type(window), "ask_unsaved_changes", ask)
    return questions, answer


def test_a_fresh_window_has_nothing_to_lose(window, asked):
    questions, _ = asked
    assert not window.has_unsaved_changes()
    window.action_new.trigger()
    assert questions == []


def test_cancel_keeps_the_trained_network(window, qtbot, asked, worker_barrier):
    questions, answer = asked
    train_a_little(window, qtbot)
    before = window.latest_snapshot
    assert window.has_unsaved_changes()
    window.action_new.trigger()
    assert questions == ["start a new experiment"]
    worker_barrier(window)  # a reset, had one been sent, would have arrived by now
    assert window.latest_snapshot.step == before.step
    window.close()
    assert window.isVisible(), "cancel must keep the window open"
    assert questions[-1] == "quit"
    answer["value"] = "discard"
    window.action_new.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot is not None
                    and window.latest_snapshot.step == 0, timeout=60_000)


def test_save_answer_writes_the_file_first(window, qtbot, asked, tmp_path):
    questions, answer = asked
    path = tmp_path / "mine.neuroviz.json"
    assert window.save_experiment(path)
    assert not window.has_unsaved_changes()  # just saved: nothing to ask
    train_a_little(window, qtbot)
    assert window.has_unsaved_changes()
    answer["value"] = "save"
    window.action_new.trigger()
    assert questions == ["start a new experiment"]
    saved = load_experiment(path)
    assert saved.epoch >= 0 and saved.weights is not None
    assert not window.has_unsaved_changes()


def test_shortcut_list_names_every_feature(window):
    from neuroviz.app.window.main_window import build_window

    keys = dict(window.shortcut_list())
    assert "Space" in keys and "Ctrl+S" in keys
    full = build_window()
    try:
        listed = dict(full.shortcut_list())
        assert "F5" in listed and "E" in listed
    finally:
        full.worker.shutdown()
        full.close()
