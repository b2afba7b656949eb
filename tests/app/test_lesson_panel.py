"""The lesson panel in the real window, with the real engine and the shipped lessons."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton

from neuroviz.lessons import load_lessons
from neuroviz.resources import lessons_dir


def click(qtbot, root, name):
    button = root.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"{name!r} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def progress_file(tmp_path):
    return tmp_path / "progress.json"


@pytest.fixture
def panel(make_window, progress_file, monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel

    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "keep")
    window = make_window(progress_path=progress_file)
    window.resize(1500, 900)
    return window.lesson_panel


def shipped_lessons():
    lessons, problems = load_lessons([lessons_dir()])
    assert not problems
    return lessons


def test_lists_every_shipped_lesson(panel, screenshot):
    lessons = shipped_lessons()
    shipped = sorted(p for p in lessons_dir().rglob("*.md") if p.name != "README.md")
    assert len(lessons) == len(shipped)
    assert panel.list.count() == len(lessons)
    texts = [panel.list.item(k).text() for k in range(panel.list.count())]
    for lesson, text in zip(lessons, texts):
        assert lesson.title in text
        assert f"{len(lesson.steps)} steps" in text
    assert not panel.problems_label.isVisible()
    assert panel.window.findChild(QAbstractButton, "lesson_start").isEnabled()
    screenshot(panel.window, "lesson_picker_window")
    screenshot(panel, "lesson_picker")


def test_whole_lesson_in_the_real_window(panel, qtbot, screenshot, progress_file,
                                         wait_snapshot_fits):
    win = panel.window
    reg = win.controls
    lesson_id = "why-nonlinearity"
    item = panel.list.item_for(lesson_id)
    panel.list.setCurrentItem(item)
    click(qtbot, panel, "lesson_start")
    assert panel.in_lesson and panel.step_number == 1
    lesson = panel.lesson

    # step 1: its preset is applied, its controls hidden, locked and highlighted
    assert win.state.dataset.name == "circle"
    assert win.state.hidden_sizes == []
    assert win.state.hyperparameters.optimizer == "adam"
    assert reg.is_hidden("regularization") and reg.is_hidden("datasets_classification")
    assert not win.findChild(QAbstractButton, "add_layer").isEnabled()
    assert reg.is_highlighted("play_pause")
    assert "Epochs trained in this step 0" in panel.status_text
    wait_snapshot_fits(win)
    screenshot(panel, "lesson_step1")

    for number in range(1, len(lesson.steps) + 1):
        assert panel.step_number == number
        assert not panel.step_done
        if panel.step.hints:
            click(qtbot, panel, "lesson_hint")
            assert panel.step.hints[0] in panel.hints_label.text()
        if panel.prediction_box.pending:  # show me waits for the learner's prediction
            assert not panel.show_me_button.isEnabled()
            panel.prediction_box.set_answer(panel.step.prediction.answer)
            click(qtbot, panel, "lesson_prediction_commit")
            assert "prediction_made" in panel.events
        click(qtbot, panel, "lesson_show_me")
        qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
        qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
        assert panel.goal_label.text().startswith("\u2713")
        assert "training_started" in panel.events
        if number == 2:
            assert "activation_changed" in panel.events
            assert win.state.spec["layers"][0]["activation"] == "tanh"
            assert "Test accuracy" in panel.status_text and ": done" in panel.status_text
            screenshot(panel, "lesson_step2_done")
            win.set_theme("dark")
            screenshot(panel, "lesson_step2_done_dark")
            win.set_theme("light")
            screenshot(win, "lesson_step2_window")
        if number == 3:
            assert win.state.dataset.name == "xor"
        saved = json.loads(progress_file.read_text())
        assert number in saved["lessons"][lesson_id]["completed"]
        click(qtbot, panel, "lesson_next")

    # finished: back to the picker, controls and the learner's experiment restored
    assert not panel.in_lesson
    assert panel.stack.currentIndex() == 0
    assert not reg.is_hidden("regularization") and not reg.is_hidden("datasets_classification")
    assert win.findChild(QAbstractButton, "add_layer").isEnabled()
    assert not reg.is_highlighted("play_pause")
    assert win.state.dataset.name == "circle" and win.state.hidden_sizes == [4, 2]
    assert panel.list.item_for(lesson_id).text().startswith("\u2713 ")
    screenshot(panel, "lesson_picker_progress")

    # progress survives a restart: a new store and panel read the same file
    from neuroviz.lessons import ProgressStore

    store = ProgressStore(progress_file)
    p = store.get(lesson_id)
    assert p.finished and p.completed == {1, 2, 3}
    assert panel.list.item_for(lesson_id).text().startswith("\u2713 ")


def train_own_experiment(qtbot, win, wait_snapshot_fits):
    """The learner's own work: an extra layer, a changed rate, some training."""
    from PySide6.QtWidgets import QComboBox

    click(qtbot, win, "add_layer")
    qtbot.waitUntil(lambda: win.state.hidden_sizes == [4, 2, 4], timeout=60_000)
    combo = win.findChild(QComboBox, "learning_rate")
    combo.setCurrentIndex(combo.findText("0.1"))
    assert win.state.hyperparameters.learning_rate == 0.1
    wait_snapshot_fits(win)
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch >= 1
                    and len(win.latest_snapshot.layer_sizes) == 5, timeout=60_000)
    return [(w.copy(), b.copy()) for w, b in win.latest_snapshot.weights]


def test_unsaved_work_is_asked_about_kept_and_restored(make_window, qtbot, progress_file,
                                                       monkeypatch, wait_snapshot_fits):
    from neuroviz.app.lessons.panel import LessonPanel

    win = make_window(progress_path=progress_file)
    panel = win.lesson_panel
    weights = train_own_experiment(qtbot, win, wait_snapshot_fits)
    answers = []

    def ask(self, answer):
        answers.append(answer)
        return answer

    # cancel: nothing changes
    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: ask(self, "cancel"))
    assert panel.open_lesson("single-neuron") is False
    assert answers == ["cancel"] and not panel.in_lesson
    assert win.state.hidden_sizes == [4, 2, 4]

    # keep: the lesson runs, and leaving it brings the learner's work back, weights too
    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: ask(self, "keep"))
    assert panel.open_lesson("single-neuron") is True
    assert win.state.dataset.name == "boxoffice_budget" and win.state.hidden_sizes == []
    panel.close_lesson()
    assert win.state.hidden_sizes == [4, 2, 4]
    assert win.state.hyperparameters.learning_rate == 0.1
    wait_snapshot_fits(win)
    for (w0, b0), (w1, b1) in zip(weights, win.latest_snapshot.weights):
        assert (w0 == w1).all() and (b0 == b1).all()


def test_unsaved_work_saved_to_a_file_first(make_window, qtbot, progress_file, tmp_path,
                                            monkeypatch, wait_snapshot_fits):
    from neuroviz.app.lessons.panel import LessonPanel
    from neuroviz.experiment import load_experiment

    win = make_window(progress_path=progress_file)
    panel = win.lesson_panel
    train_own_experiment(qtbot, win, wait_snapshot_fits)
    target = tmp_path / "mine.neuroviz.json"
    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "save")
    monkeypatch.setattr(LessonPanel, "choose_save_path", lambda self: str(target))
    assert panel.open_lesson("why-nonlinearity")
    assert [layer["units"] for layer in load_experiment(target).spec["layers"]] == [4, 2, 4, 1]
    assert win.path is None  # File > Save in the lesson never overwrites the learner's file
    panel.close_lesson()
    assert win.path == target and win.state.hidden_sizes == [4, 2, 4]


def test_the_real_question_box_does_not_block(make_window, qtbot, progress_file, screenshot,
                                              wait_snapshot_fits):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton

    win = make_window(progress_path=progress_file)
    panel = win.lesson_panel
    train_own_experiment(qtbot, win, wait_snapshot_fits)
    seen = []

    def answer():
        box = QApplication.activeModalWidget()
        seen.append(box.objectName())
        screenshot(box, "lesson_unsaved_question")
        box.findChild(QPushButton, "lesson_unsaved_cancel").click()

    QTimer.singleShot(0, answer)
    assert panel.open_lesson("why-nonlinearity") is False
    assert seen == ["lesson_unsaved_box"]
    assert not panel.in_lesson and win.state.hidden_sizes == [4, 2, 4]


def test_clean_experiment_is_not_asked_about(panel, monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel

    def fail(self):
        raise AssertionError("asked although nothing was unsaved")

    monkeypatch.setattr(LessonPanel, "ask_unsaved", fail)
    assert panel.open_lesson("why-nonlinearity")
    panel.close_lesson()


def test_resume_where_the_learner_left(make_window, qtbot, progress_file, monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel
    from neuroviz.lessons import ProgressStore

    store = ProgressStore(progress_file)
    store.set_step("why-nonlinearity", 2)
    store.complete_step("why-nonlinearity", 1)
    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "keep")
    window = make_window(progress_path=progress_file)
    panel = window.lesson_panel
    text = panel.list.item_for("why-nonlinearity").text()
    assert "1/3 steps" in text
    panel.list.setCurrentItem(panel.list.item_for("why-nonlinearity"))
    assert panel.start_button.text() == "Continue"
    qtbot.waitUntil(panel.start_button.isVisible, timeout=60_000)
    click(qtbot, panel, "lesson_start")
    assert panel.step_number == 2
    # entering step 2 directly applies the presets of steps 1 and 2
    assert window.state.dataset.name == "circle"
    assert [layer["activation"] for layer in window.state.spec["layers"]] == ["linear", "sigmoid"]
    click(qtbot, panel, "lesson_back")
    assert panel.step_number == 1 and window.state.hidden_sizes == []
    panel.close_lesson()
