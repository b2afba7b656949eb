"""Attach the lesson panel and a Lessons menu to a playground window.

>>> panel = install(window, lesson_dirs=lesson_dirs_from_argv(sys.argv))   # doctest: +SKIP

Uses only the window's public API: ``add_side_panel`` docks the panel on the right,
the menu goes before Help. Menu actions (objectNames): ``action_lessons_show``,
``action_lessons_add_folder``, ``action_lessons_reload``, ``action_lessons_forget_folders``,
``action_lessons_leave``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from neuroviz.app.lessons.panel import LessonPanel
from neuroviz.app.lessons.store import LessonLibrary, lesson_dirs_from_argv

__all__ = ["install", "lesson_dirs_from_argv"]


def install(window, lesson_dirs: Iterable[str | Path] = (), *,
            argv: Sequence[str] | None = None,
            progress_path: str | Path | None = None) -> LessonPanel:
    """Dock a :class:`LessonPanel` in ``window`` and add the Lessons menu (once per window).

    Parameters
    ----------
    window
        A :class:`neuroviz.app.window.main_window.MainWindow`.
    lesson_dirs
        Extra folders of teachers' lessons for this run (``--lessons DIR``); the window's
        own ``lesson_dirs`` (set by ``main_window.run`` from the command line) are added.
    argv
        A command line to read ``--lessons`` options from, in addition to ``lesson_dirs``.
    progress_path
        The progress file (default: the standard app data folder, see ``lesson_store``).
    """
    existing = getattr(window, "lesson_panel", None)
    if existing is not None:  # idempotent: one panel per window
        return existing
    dirs = [Path(d) for d in lesson_dirs] + lesson_dirs_from_argv(argv)
    dirs += [Path(d) for d in getattr(window, "lesson_dirs", ()) if Path(d) not in dirs]
    library = LessonLibrary(dirs, progress_path=progress_path)
    panel = LessonPanel(window, library)
    dock = window.add_side_panel(panel, "Lessons", "lesson_dock")
    panel.dock = dock
    window.lesson_panel = panel

    menu = QMenu("&Lessons", window)
    menu.setObjectName("menu_lessons")
    bar = window.menuBar()
    help_menu = window.findChild(QMenu, "menu_help")
    if help_menu is not None:
        bar.insertMenu(help_menu.menuAction(), menu)
    else:
        bar.addMenu(menu)

    def add(name: str, text: str, tip: str, slot) -> QAction:
        action = QAction(text, window)
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
    panel.menu = menu

    if library.problems:
        window.statusBar().showMessage(
            f"{len(library.problems)} problem(s) in lesson files: see the Lessons panel", 8000)
    return panel
