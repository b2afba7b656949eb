"""Every shipped lesson, walked in the real window by pressing "Show me" at every step.

"Show me" trains a fixed number of epochs and the window sees every chunk of it, so the
outcome does not depend on the machine's speed; the test waits for states only (the run
to end, the goal to be reached), with generous limits for a busy machine.
"""

from __future__ import annotations

import pytest

from neuroviz.lessons import load_lessons
from neuroviz.resources import lessons_dir

LESSON_IDS = [lesson.id for lesson in load_lessons([lessons_dir()])[0]]


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_show_me_reaches_every_goal_in_the_window(make_window, qtbot, tmp_path, lesson_id,
                                                  monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel

    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "keep")
    window = make_window(progress_path=tmp_path / "progress.json")
    panel = window.lesson_panel
    assert panel.open_lesson(lesson_id)
    lesson = panel.lesson
    for step in lesson.steps:
        assert panel.step_number == step.number
        if step.solution is not None:
            panel.show_me()
            # the solution's epochs, however long they take on this machine
            qtbot.waitUntil(lambda: not panel.showing, timeout=600_000)
        try:
            qtbot.waitUntil(lambda: panel.step_done, timeout=60_000)
        except qtbot.TimeoutError:
            pytest.fail(f"step {step.number}: {panel.status_text} (events {panel.events})")
        panel.next_step()
    assert not panel.in_lesson
    assert panel.progress.get(lesson_id).finished
