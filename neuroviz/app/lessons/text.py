"""The widgets that show a lesson step: its Markdown text, and the lesson picker list.

:class:`StepText` renders a step's Markdown with ``QTextBrowser.setMarkdown``. Every
resource the text asks for (``![..](path)``, reference-style images, ``<img src=..>``,
style sheets) goes through the lessons package's ``resolve_resource``: only regular image
files inside the lesson's own folder, or ``asset:`` files from neuroviz's ``assets/``, of a
limited size, are read. Anything else is answered with an empty resource, so Qt never
opens the path itself (an absolute path to a pipe would freeze the window). Links are
never followed.
"""

from __future__ import annotations

import html
import os
import stat
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser

from neuroviz.app import palette as palettes
from neuroviz.lessons import Lesson, LessonProgress, Step, image_references, resolve_resource

MAX_IMAGE_WIDTH = 360
#: The largest image file a lesson may show (the loader enforces its own limit too).
MAX_IMAGE_BYTES = 16 * 1024 * 1024


def lesson_resource(folder: Path | None, ref: str) -> Path | None:
    """The file a lesson in ``folder`` may load for ``ref``, or None if it may not.

    ``resolve_resource`` decides; the app checks once more that the answer is a regular
    file of a limited size before anything reads it.
    """
    if folder is None or not isinstance(ref, str) or not ref:
        return None
    try:
        path = Path(resolve_resource(folder, ref))
        info = os.stat(path)
    except (ValueError, OSError, TypeError, RuntimeError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_IMAGE_BYTES:
        return None
    return path


def plain(text: str) -> str:
    """Lesson text (a title, a summary, a hint) safe to put into rich text: shown as
    written, and never a tag that loads a file."""
    return html.escape(str(text), quote=False)


class StepText(QTextBrowser):
    """Read-only Markdown view of one lesson step."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson_text")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self._folder: Path | None = None
        self._images: dict[str, Path] = {}
        self._shown: tuple = (None, None)
        palettes.notifier.palette_changed.connect(self._on_palette_changed)

    def _on_palette_changed(self, _name: str) -> None:
        if self._shown[0] is not None:
            scroll = self.verticalScrollBar().value()
            self.set_step(*self._shown)
            self.verticalScrollBar().setValue(scroll)

    def set_step(self, step: Step | None, folder: Path | None) -> None:
        """Show ``step``; its colour words ("the blue points") follow the palette."""
        self._images = {}
        self._shown = (step, folder)
        self._folder = folder
        if step is None:
            self.clear()
            return
        for ref in image_references(step.text):
            path = lesson_resource(folder, ref)
            if path is not None:
                self._images[ref] = path
        self.document().clear()
        self.setMarkdown(palettes.palette_words(step.text))
        self.verticalScrollBar().setValue(0)

    @property
    def image_paths(self) -> list[Path]:
        return list(self._images.values())

    def loadResource(self, kind: int, name: QUrl):  # noqa: N802 - Qt override
        """Only resolved lesson images; an empty answer for anything else.

        Returning nothing (None) would make Qt open ``name`` itself, so a refused resource
        is answered with an empty image (or empty data for other kinds).
        """
        if kind != int(QTextDocument.ResourceType.ImageResource.value):
            return QByteArray()
        path = None
        for ref in (name.toString(), QUrl.fromPercentEncoding(name.toEncoded())):
            path = self._images.get(ref) or lesson_resource(self._folder, ref)
            if path is not None:
                break
        if path is None:
            return QImage()
        image = QImage(str(path))
        if image.isNull():
            return QImage()
        width = min(MAX_IMAGE_WIDTH, max(120, self.viewport().width() - 24))
        if image.width() > width:
            image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        return image


def progress_text(lesson: Lesson, progress: LessonProgress) -> str:
    """"3/4 steps" or "done" for the picker."""
    n = len(lesson.steps)
    done = len({k for k in progress.completed if 1 <= k <= n})
    if progress.finished:
        return f"done, {done}/{n} steps"
    if done == 0 and progress.step == 1:
        return f"{n} steps"
    return f"{done}/{n} steps"


class LessonList(QListWidget):
    """The lesson picker: title, level, minutes and progress of every lesson."""

    ID_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson_list")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setSpacing(2)
        self.setUniformItemSizes(False)

    def set_lessons(self, lessons: list[Lesson], progress_of) -> None:
        """``progress_of(lesson_id) -> LessonProgress``."""
        current = self.current_id()
        self.clear()
        for k, lesson in enumerate(lessons, start=1):
            p = progress_of(lesson.id)
            mark = "\u2713 " if p.finished else ""
            text = (f"{mark}{k}. {lesson.title}\n"
                    f"    {lesson.level}, {lesson.minutes} min \u2014 {progress_text(lesson, p)}")
            item = QListWidgetItem(text)
            item.setData(self.ID_ROLE, lesson.id)
            item.setToolTip(f"<b>{plain(lesson.title)}</b><br>{plain(lesson.summary)}<br>"
                            f"<i>{plain(lesson.path)}</i>")
            self.addItem(item)
            if lesson.id == current:
                self.setCurrentItem(item)
        if self.currentItem() is None and self.count():
            self.setCurrentRow(0)

    def current_id(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(self.ID_ROLE)

    def item_for(self, lesson_id: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(self.ID_ROLE) == lesson_id:
                return item
        return None
