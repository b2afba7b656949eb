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
from neuroviz.lessons import (
    Lesson,
    LessonError,
    LessonProblem,
    ProgressStore,
    lesson_files,
    read_lesson,
)

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
            if not any(_same_path(folder, f) for f in folders):
                folders.append(folder)
        return folders

    def reload(self) -> None:
        """Read every folder again. A bad lesson is left out with the checker's messages; a
        folder that cannot be read at all is reported by name. Neither stops the app."""
        lessons: list[Lesson] = []
        problems: list[LessonProblem] = []
        seen: dict[str, Path] = {}
        for folder in self.folders():
            found, found_problems = read_lesson_folder(folder)
            problems.extend(found_problems)
            for lesson in found:
                if lesson.id in seen:
                    problems.append(LessonProblem(
                        str(lesson.path), None, "id",
                        f"{lesson.id!r} is already used by {seen[lesson.id]}"))
                    continue
                seen[lesson.id] = lesson.path
                lessons.append(lesson)
        self.lessons, self.problems = lessons, problems
        if self.progress.warning:
            self.problems.append(LessonProblem(str(self.progress.path), None, "progress",
                                               self.progress.warning))

    def add_folder(self, folder: str | Path) -> list[LessonProblem]:
        """Read a teacher's folder and remember it in the settings if it could be read;
        returns the problems in it (bad lessons in it are left out, each with its reasons).

        A folder that is missing, is not a folder, or holds no lesson files is not
        remembered, so a later start never trips over it.
        """
        folder = Path(folder)
        found, problems = read_lesson_folder(folder)
        readable = folder.is_dir() and not any(p.field == "folder" for p in problems)
        if readable:
            settings = app_settings()
            saved = _as_list(settings.value(FOLDERS_KEY))
            if str(folder) not in saved:
                saved.append(str(folder))
                settings.setValue(FOLDERS_KEY, saved)
                settings.sync()
        self.reload()
        if not readable:
            return problems
        return [p for p in self.problems if _inside(p.file, folder)]

    def remove_folder(self, folder: str | Path) -> None:
        settings = app_settings()
        saved = [p for p in _as_list(settings.value(FOLDERS_KEY)) if Path(p) != Path(folder)]
        settings.setValue(FOLDERS_KEY, saved)
        settings.sync()
        self.extra_dirs = [d for d in self.extra_dirs if d != Path(folder)]
        self.reload()


def read_lesson_folder(folder: str | Path) -> tuple[list[Lesson], list[LessonProblem]]:
    """The good lessons in ``folder`` and the problems of the others; never raises.

    Each file is read on its own, so one bad lesson never hides the good ones beside it.
    The loader reports what is wrong with a lesson as problems or a :class:`LessonError`;
    any other exception from a teacher's file is caught here too, at the app's boundary,
    and reported with the file's name, because a lesson must never stop the app.
    """
    folder = Path(folder)
    try:
        files, problems = lesson_files([folder])
    except Exception as exc:  # noqa: BLE001 - the app's boundary: a folder never stops it
        return [], [LessonProblem(str(folder), None, "folder", f"could not be read: {exc}")]
    lessons: list[Lesson] = []
    for path in files:
        try:
            lesson, found = read_lesson(path)
        except LessonError as exc:
            lesson, found = None, list(exc.problems) or [
                LessonProblem(str(path), None, "file", str(exc))]
        except Exception as exc:  # noqa: BLE001 - as above, for one lesson file
            lesson, found = None, [LessonProblem(
                str(path), None, "file",
                f"could not be read ({type(exc).__name__}: {_short(exc)})")]
        problems.extend(found)
        if lesson is not None:
            lessons.append(lesson)
    return lessons, problems


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _same_path(a: Path, b: Path) -> bool:
    ra, rb = _resolved(a), _resolved(b)
    return (ra == rb) if ra is not None and rb is not None else a == b


def _inside(file: str, folder: Path) -> bool:
    f, d = _resolved(Path(file)), _resolved(folder)
    if f is None or d is None:
        return Path(file).is_relative_to(folder)
    return f.is_relative_to(d)
