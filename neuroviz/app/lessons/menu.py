"""The Lessons menu: show the lesson panel, add, reload or forget lesson folders, leave a lesson.

Menu actions (object names): ``action_lessons_show``, ``action_lessons_add_folder``,
``action_lessons_reload``, ``action_lessons_forget_folders``, ``action_lessons_leave``. The
window's composition root puts the menu before Help.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from neuroviz.app.lessons.panel import LessonPanel

__all__ = ["build_lessons_menu"]


def build_lessons_menu(panel: LessonPanel, dock: QDockWidget, parent: QWidget) -> QMenu:
    """The Lessons menu for ``panel`` (docked in ``dock``), owned by ``parent``."""
    library = panel.library
    menu = QMenu("&Lessons", parent)
    menu.setObjectName("menu_lessons")

    def add(name: str, text: str, tip: str, slot) -> QAction:
        action = QAction(text, parent)
        action.setObjectName(name)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def show_panel() -> None:
        dock.show()
        dock.raise_()

    add("action_lessons_show", "Show &Lessons", "Show the lesson panel", show_panel)
    add("action_lessons_add_folder", "&Add Lesson Folder\u2026",
        "Add a folder of your own lessons (remembered)",
        lambda: (show_panel(), panel.choose_lesson_folder()))
    add("action_lessons_reload", "&Reload Lessons", "Read the lesson files again",
        panel.reload)

    def forget_folders() -> None:
        for folder in library.saved_folders():
            library.remove_folder(folder)
        panel.refresh_list()

    add("action_lessons_forget_folders", "&Forget Added Lesson Folders",
        "Stop listing the lesson folders added with Add Lesson Folder", forget_folders)
    leave = add("action_lessons_leave", "Lea&ve Lesson",
                "Leave the lesson and bring back your own experiment", panel.close_lesson)
    leave.setEnabled(False)
    panel.lesson_opened.connect(lambda _id: leave.setEnabled(True))
    panel.lesson_closed.connect(lambda: leave.setEnabled(False))
    return menu
