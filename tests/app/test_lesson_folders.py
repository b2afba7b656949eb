"""Teachers' lesson folders: --lessons DIR, Lessons > Add Lesson Folder, bad lessons refused."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import QMessageBox

from neuroviz.app.lessons.store import FOLDERS_KEY, lesson_dirs_from_argv
from neuroviz.lessons import check_paths, load_lessons
from neuroviz.resources import lessons_dir

#: how many lessons ship with neuroviz (a teacher's folder adds to them)
SHIPPED = len(load_lessons([lessons_dir()])[0])

GOOD = textwrap.dedent('''\
    +++
    schema_version = 1
    id = "teacher-xor"
    title = "A teacher's XOR lesson"
    summary = "A hidden layer for XOR."
    level = "beginner"
    minutes = 5
    +++

    ## Try it

    ```toml
    hidden = ["regularization"]
    [preset]
    seed = 0
    dataset = { name = "xor", noise = 0.0 }
    network = { inputs = 2, loss = "bce", layers = [
      { type = "dense", units = 4, activation = "tanh" },
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }
    [goal]
    metric = "test_accuracy"
    compare = ">="
    value = 0.9
    [solution]
    epochs = 100
    ```

    Train it. ![sketch](images/sketch.png)
    ''')

BAD = GOOD.replace('id = "teacher-xor"', 'id = "teacher-bad"').replace(
    'metric = "test_accuracy"', 'metric = "test_happiness"')


def write_folder(tmp_path):
    folder = tmp_path / "my-lessons"
    (folder / "images").mkdir(parents=True)
    image = QImage(16, 16, QImage.Format.Format_RGB32)
    image.fill(QColor("#ff9f1c"))
    assert image.save(str(folder / "images" / "sketch.png"))
    (folder / "01-good.md").write_text(GOOD, encoding="utf-8")
    (folder / "02-bad.md").write_text(BAD, encoding="utf-8")
    return folder


def test_lessons_option_is_parsed():
    argv = ["neuroviz", "--lessons=/a", "-platform", "offscreen", "--lessons", "/b"]
    assert [str(p) for p in lesson_dirs_from_argv(argv)] == ["/a", "/b"]
    assert lesson_dirs_from_argv(["neuroviz"]) == []


def test_bad_lesson_from_the_command_line_is_refused_with_the_checker_message(
        make_window, tmp_path, qtbot, screenshot):
    folder = write_folder(tmp_path)
    expected = [str(p) for p in check_paths([folder])]
    assert len(expected) == 1 and "02-bad.md" in expected[0] and "test_happiness" in expected[0]

    # what main_window.run does with --lessons DIR
    window = make_window(lesson_dirs=[folder], progress_path=tmp_path / "p.json")
    panel = window.lesson_panel
    ids = [panel.list.item(k).data(panel.list.ID_ROLE) for k in range(panel.list.count())]
    assert ids[-1] == "teacher-xor" and "teacher-bad" not in ids and len(ids) == SHIPPED + 1
    qtbot.waitUntil(panel.problems_label.isVisible, timeout=60_000)
    assert expected[0] in panel.problems_label.text()
    screenshot(panel, "lesson_bad_teacher_lesson")

    # the good teacher lesson works, its image comes from its own folder
    assert panel.open_lesson("teacher-xor")
    assert [p.name for p in panel.text.image_paths] == ["sketch.png"]
    image_kind = int(QTextDocument.ResourceType.ImageResource.value)
    assert not panel.text.loadResource(image_kind, QUrl("images/sketch.png")).isNull()
    # refused names get an empty image, never None (with None Qt would open the path itself)
    assert panel.text.loadResource(image_kind, QUrl("../secret.png")).isNull()
    assert panel.text.loadResource(image_kind, QUrl("file:///etc/passwd")).isNull()
    assert window.controls.is_hidden("regularization")
    panel.close_lesson()
    assert not window.controls.is_hidden("regularization")


def test_add_folder_from_the_menu_is_remembered(make_window, tmp_path, qtbot, monkeypatch):
    from neuroviz.app.lessons.panel import LessonPanel
    from neuroviz.app.window.settings import app_settings

    folder = write_folder(tmp_path)
    window = make_window(progress_path=tmp_path / "p.json")
    panel = window.lesson_panel
    assert panel.list.count() == SHIPPED
    monkeypatch.setattr(LessonPanel, "choose_folder", lambda self: str(folder))
    menu = window.lessons_menu
    action = next(a for a in menu.actions() if a.objectName() == "action_lessons_add_folder")
    action.trigger()
    assert panel.list.count() == SHIPPED + 1
    boxes = [b for b in window.findChildren(QMessageBox, "lesson_message_box")
             if b.isVisible()]
    assert boxes and "test_happiness" in boxes[0].text()
    for box in boxes:
        box.close()
    saved = app_settings().value(FOLDERS_KEY)
    assert str(folder) in ([saved] if isinstance(saved, str) else saved)

    # a second window (next start) finds the folder again
    from neuroviz.app.window.main_window import MainWindow

    other = MainWindow(start_worker=False, progress_path=tmp_path / "p.json")
    qtbot.addWidget(other)
    panel2 = other.lesson_panel
    assert panel2.list.count() == SHIPPED + 1
    other.close()

    forget = next(a for a in menu.actions() if a.objectName() == "action_lessons_forget_folders")
    forget.trigger()
    assert panel.list.count() == SHIPPED and not panel.problems_label.isVisible()


RUN_SCRIPT = '''
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMenu
from neuroviz.app.window import main_window

def check():
    win = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "main_window")
    panel = win.lesson_panel
    print("LESSONS", panel.list.count())
    for problem in panel.library.problems:
        print("PROBLEM", problem)
    print("MENU", win.findChild(QMenu, "menu_lessons") is not None)
    win.close()
    QApplication.instance().quit()

app = QApplication(["neuroviz", "-platform", "offscreen"])
QTimer.singleShot(500, check)
sys.exit(main_window.run(["neuroviz", "--lessons=" + sys.argv[1]]))
'''


def test_run_with_lessons_option_installs_the_panel(tmp_path):
    import os
    import subprocess
    import sys

    folder = write_folder(tmp_path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               NEUROVIZ_SETTINGS_FILE=str(tmp_path / "settings.ini"))
    out = subprocess.run([sys.executable, "-c", RUN_SCRIPT, str(folder)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"LESSONS {SHIPPED + 1}" in out.stdout
    assert "MENU True" in out.stdout
    expected = str(check_paths([folder])[0])
    assert f"PROBLEM {expected}" in out.stdout
