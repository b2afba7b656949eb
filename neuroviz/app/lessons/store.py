"""Where lessons come from and where progress goes (Qt settings, no widgets).

* Lessons: the shipped ``lessons/`` folder, the teacher folders remembered in the settings
  (key :data:`FOLDERS_KEY`, added with Lessons > Add Lesson Folder...), and folders given
  on the command line with ``--lessons DIR`` (for this run only).
* Progress: a JSON :class:`ProgressStore` file, by default ``lesson-progress.json`` in the
  standard app data folder. When ``NEUROVIZ_SETTINGS_FILE`` isolates the settings (tests),
  the progress file sits beside that file, so tests never touch a real learner's progress.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from neuroviz.app.window.settings import ENV_VAR, app_settings
from neuroviz.lessons import Lesson, LessonProblem, ProgressStore, load_lessons

FOLDERS_KEY = "lessons/folders"
PROGRESS_KEY = "lessons/progress_file"
PROGRESS_NAME = "lesson-progress.json"


def lesson_dirs_from_argv(argv: Sequence[str] | None) -> list[Path]:
    """The ``--lessons DIR`` / ``--lessons=DIR`` options of a command line (may repeat).

    Other arguments are ignored, so the whole ``sys.argv`` can be passed.
    """
    if not argv:
        return []
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--lessons", action="append", default=[])
    known, _ = parser.parse_known_args(list(argv)[1:])
    return [Path(p).expanduser() for p in known.lessons]


def default_progress_path() -> Path:
    settings = app_settings()
    configured = settings.value(PROGRESS_KEY)
    if isinstance(configured, str) and configured:
        return Path(configured)
    isolated = os.environ.get(ENV_VAR)
    if isolated:
        return Path(isolated).with_name(PROGRESS_NAME)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        base = str(Path.home() / ".neuroviz")
    return Path(base) / PROGRESS_NAME


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]


class LessonLibrary:
    """All lessons the app offers, the problems of those it refused, and the progress store."""

    def __init__(self, extra_dirs: Iterable[str | Path] = (), *,
                 progress_path: str | Path | None = None,
                 shipped: bool = True) -> None:
        self.extra_dirs = [Path(d) for d in extra_dirs]
        self.shipped = shipped
        self.progress = ProgressStore(progress_path or default_progress_path())
        self.lessons: list[Lesson] = []
        self.problems: list[LessonProblem] = []
        self.reload()

    def saved_folders(self) -> list[Path]:
        return [Path(p) for p in _as_list(app_settings().value(FOLDERS_KEY))]

    def folders(self) -> list[Path]:
        """Every folder searched, shipped first; duplicates removed."""
        folders: list[Path] = []
        if self.shipped:
            from neuroviz.resources import lessons_dir

            folders.append(lessons_dir())
        for folder in self.saved_folders() + self.extra_dirs:
            if all(folder.resolve() != f.resolve() for f in folders):
                folders.append(folder)
        return folders

    def reload(self) -> None:
        """Read every folder again (bad lessons are refused with the checker's messages)."""
        self.lessons, self.problems = load_lessons(self.folders())
        if self.progress.warning:
            self.problems.append(LessonProblem(str(self.progress.path), None, "progress",
                                               self.progress.warning))

    def add_folder(self, folder: str | Path) -> list[LessonProblem]:
        """Remember a teacher's folder in the settings; returns the problems in it."""
        folder = Path(folder)
        settings = app_settings()
        saved = _as_list(settings.value(FOLDERS_KEY))
        if str(folder) not in saved:
            saved.append(str(folder))
            settings.setValue(FOLDERS_KEY, saved)
            settings.sync()
        self.reload()
        return [p for p in self.problems if Path(p.file).resolve().is_relative_to(
            folder.resolve())]

    def remove_folder(self, folder: str | Path) -> None:
        settings = app_settings()
        saved = [p for p in _as_list(settings.value(FOLDERS_KEY)) if Path(p) != Path(folder)]
        settings.setValue(FOLDERS_KEY, saved)
        settings.sync()
        self.extra_dirs = [d for d in self.extra_dirs if d != Path(folder)]
        self.reload()
