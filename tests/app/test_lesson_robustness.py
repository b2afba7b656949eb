"""A teacher's lesson can never stop the app, and never make it read files outside its folder.

* A lesson with a typo the loader does not expect (``type = ["dense"]``) is left out with a
  message naming its file; the good lessons beside it load; the app starts again with the
  folder remembered, and ``neuroviz --lessons DIR`` starts too.
* A folder is remembered only when it could be read.
* Images and other resources in the step text, title, step headings and hints are read only
  when the lessons package resolves them inside the lesson's folder; an ``<img>`` pointing
  at a pipe used to freeze the window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import QMessageBox

from neuroviz.app.lessons.store import FOLDERS_KEY, LessonLibrary, read_lesson_folder
from tests.app.test_lesson_folders import GOOD, RUN_SCRIPT

TYPO = GOOD.replace('id = "teacher-xor"', 'id = "teacher-typo"').replace(
    '{ type = "dense", units = 4, activation = "tanh" }', '{ type = ["dense"], units = 4 }')


def saved_folders():
    from neuroviz.app.window.settings import app_settings

    saved = app_settings().value(FOLDERS_KEY)
    return [] if not saved else [saved] if isinstance(saved, str) else list(saved)


def write(folder, name, text):
    """Write a lesson file into ``folder`` (with the image the good lesson shows)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    image = QImage(16, 16, QImage.Format.Format_RGB32)
    image.fill(QColor("#ff9f1c"))
    assert image.save(str(folder / "images" / "sketch.png"))
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_typo_the_loader_does_not_expect_skips_only_that_lesson(tmp_path):
    assert '["dense"]' in TYPO
    folder = write(tmp_path / "typo", "01-typo.md", TYPO)
    write(folder, "02-good.md", GOOD)
    lessons, problems = read_lesson_folder(folder)
    assert [lesson.id for lesson in lessons] == ["teacher-xor"]
    assert len(problems) == 1 and "01-typo.md" in problems[0].file


def test_add_folder_with_a_typo_lesson_then_start_again(make_window, tmp_path, qtbot,
                                                        monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel
    from neuroviz.app.window.main_window import MainWindow

    folder = write(tmp_path / "typo", "01-typo.md", TYPO)
    write(folder, "02-good.md", GOOD)
    window = make_window(progress_path=tmp_path / "p.json")
    panel = window.lesson_panel
    shipped = panel.list.count()
    monkeypatch.setattr(LessonPanel, "choose_folder", lambda self: str(folder))
    action = next(a for a in window.lessons_menu.actions()
                  if a.objectName() == "action_lessons_add_folder")
    action.trigger()
    assert panel.list.count() == shipped + 1  # the good lesson beside the bad one
    boxes = [b for b in window.findChildren(QMessageBox, "lesson_message_box") if b.isVisible()]
    assert boxes and "01-typo.md" in boxes[0].text()
    for box in boxes:
        box.close()
    assert str(folder) in saved_folders()  # it loaded (one lesson refused): remembered

    # the next start reads the remembered folder and comes up
    other = MainWindow(start_worker=False, progress_path=tmp_path / "p.json")
    qtbot.addWidget(other)
    assert other.lesson_panel.list.count() == shipped + 1
    assert any("01-typo.md" in str(p) for p in other.lesson_panel.library.problems)
    other.close()


@pytest.mark.parametrize("what", ["missing", "empty", "file"])
def test_a_folder_is_remembered_only_if_it_loads(tmp_path, what):
    target = tmp_path / "lessons"
    if what == "empty":
        target.mkdir()
    elif what == "file":
        target.write_text("not a folder", encoding="utf-8")
    library = LessonLibrary(progress_path=tmp_path / "p.json")
    problems = library.add_folder(target)
    assert problems and all(str(target) in p.file for p in problems)
    assert str(target) not in saved_folders()


def test_a_remembered_folder_that_breaks_the_loader_never_stops_a_start(tmp_path, qtbot,
                                                                        monkeypatch):
    """The last line of defence: whatever a teacher's folder raises is reported with the
    folder's name, and the window still comes up."""
    from neuroviz.app.lessons import store
    from neuroviz.app.window.main_window import MainWindow
    from neuroviz.app.window.settings import app_settings

    folder = write(tmp_path / "deep", "01-good.md", GOOD)
    settings = app_settings()
    settings.setValue(FOLDERS_KEY, [str(folder)])
    settings.sync()

    def explode(paths):
        if any(str(folder) in str(p) for p in paths):
            raise RecursionError("maximum recursion depth exceeded")
        return real(paths)

    real = store.lesson_files
    monkeypatch.setattr(store, "lesson_files", explode)
    window = MainWindow(start_worker=False, progress_path=tmp_path / "p.json")
    qtbot.addWidget(window)
    problems = [str(p) for p in window.lesson_panel.library.problems]
    assert any(str(folder) in p and "recursion" in p for p in problems)
    assert window.lesson_panel.list.count() >= 1  # the shipped lessons are all there
    window.close()


def test_run_with_a_typo_lesson_folder_starts(tmp_path):
    folder = write(tmp_path / "typo", "01-typo.md", TYPO)
    write(folder, "02-good.md", GOOD)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               NEUROVIZ_SETTINGS_FILE=str(tmp_path / "settings.ini"))
    out = subprocess.run([sys.executable, "-c", RUN_SCRIPT, str(folder)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Destroyed while thread" not in out.stderr
    assert "MENU True" in out.stdout
    assert any(line.startswith("PROBLEM") and "01-typo.md" in line
               for line in out.stdout.splitlines())


PIPE_LESSON = textwrap.dedent('''\
    +++
    schema_version = 1
    id = "teacher-pipe"
    title = "Pipes <img src="{pipe}">"
    summary = "A summary <img src='{pipe}'>"
    level = "beginner"
    minutes = 5
    +++

    ## Heading <img src="{pipe}">

    ```toml
    hints = ["A hint <img src='{pipe}'>"]
    [preset]
    seed = 0
    dataset = {{ name = "xor", noise = 0.0 }}
    network = {{ inputs = 2, loss = "bce", layers = [
      {{ type = "dense", units = 1, activation = "sigmoid" }},
    ] }}
    [goal]
    event = "trained"
    ```

    Text <img src="{pipe}"> and ![inline]({pipe}) and ![ref][pipe] and
    <img src={pipe}> and <link rel="stylesheet" href="{pipe}"> and ![ok](images/ok.png)

    [pipe]: {pipe}
    ''')


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_lesson_text_never_opens_a_pipe(tmp_path, qtbot):
    """Run in a child process: if anything opened the pipe the child would block for ever,
    and the timeout turns that into a failure instead of a frozen test run."""
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    folder = tmp_path / "lesson"
    (folder / "images").mkdir(parents=True)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("#0072b2"))
    assert image.save(str(folder / "images" / "ok.png"))
    (folder / "pipe.md").write_text(PIPE_LESSON.format(pipe=pipe), encoding="utf-8")
    script = textwrap.dedent(f'''
        import sys
        from pathlib import Path
        from types import SimpleNamespace
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QTextDocument
        from PySide6.QtWidgets import QApplication, QLabel
        from neuroviz.app.lessons.text import LessonList, StepText, plain
        from neuroviz.lessons.markdown import split_lesson
        app = QApplication(["t", "-platform", "offscreen"])
        folder = Path({str(folder)!r})
        raw = split_lesson((folder / "pipe.md").read_text())
        text = StepText()
        text.resize(400, 400)
        text.set_step(SimpleNamespace(text=raw.steps[0].text), folder)
        text.show()
        text.grab()
        kind = int(QTextDocument.ResourceType.ImageResource.value)
        assert text.loadResource(kind, QUrl({str(pipe)!r})).isNull()
        assert not text.loadResource(kind, QUrl("images/ok.png")).isNull()
        print("IMAGES", [p.name for p in text.image_paths])
        # the labels and tooltips that show a title, heading or hint as written
        for words in ("Pipes <img src='{pipe}'>", "A hint <img src={pipe}>"):
            label = QLabel("<b>" + plain(words) + "</b>")
            label.show()
            label.grab()
        print("DONE")
    ''')
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120, cwd=os.getcwd())
    assert out.returncode == 0, out.stderr
    assert "IMAGES ['ok.png']" in out.stdout and "DONE" in out.stdout


def test_refused_resources_get_an_empty_answer(tmp_path, qtbot):
    from neuroviz.app.lessons.text import StepText, lesson_resource

    folder = tmp_path / "lesson"
    folder.mkdir()
    outside = tmp_path / "outside.png"
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("#e69f00"))
    assert image.save(str(outside))
    assert lesson_resource(folder, str(outside)) is None  # absolute
    assert lesson_resource(folder, "../outside.png") is None  # leaves the folder
    assert lesson_resource(folder, "file://" + str(outside)) is None  # a URL
    text = StepText()
    qtbot.addWidget(text)
    kind = int(QTextDocument.ResourceType.ImageResource.value)
    answer = text.loadResource(kind, QUrl.fromLocalFile(str(outside)))
    assert answer is not None and answer.isNull()  # None would let Qt open the file
    style = int(QTextDocument.ResourceType.StyleSheetResource.value)
    assert text.loadResource(style, QUrl(str(outside))) is not None
