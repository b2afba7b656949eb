"""Painting that can never take the window down: every ``paintEvent`` override paints with
:func:`painter_for`.

A Python exception escaping a ``paintEvent`` leaves its QPainter active; Qt then reports
"QBackingStore::endPaint() called with active painter" and the next grab of the window
(copy, export, GIF recording) can crash the process. :func:`painter_for` always ends the
painter, and turns an exception into a report instead: printed once per place in the code
(through ``sys.excepthook``, so the standard error stream or a test's hook sees it) and
shown in the window's status bar. The widget simply shows less until the next repaint.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPaintDevice, QPainter
from PySide6.QtWidgets import QWidget

__all__ = ["painter_for", "report_paint_error", "reported_paint_errors"]

#: Where a paint error was raised (widget class, exception type, file, line) -> its text;
#: each is reported once per process.
_REPORTED: dict[tuple, str] = {}


def reported_paint_errors() -> list[str]:
    """The paint errors reported so far (each once)."""
    return list(_REPORTED.values())


def report_paint_error(widget: QWidget | None, exc: BaseException) -> None:
    """Report an exception raised while painting ``widget``: once per place in the code."""
    tb = exc.__traceback__
    last = traceback.extract_tb(tb)[-1] if tb is not None else None
    key = (type(widget).__name__, type(exc).__name__,
           last.filename if last else "", last.lineno if last else 0)
    if key in _REPORTED:
        return
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    _REPORTED[key] = text
    hook = sys.excepthook
    try:
        hook(type(exc), exc, tb)
    except Exception:  # a broken hook must not bring painting down either
        sys.__excepthook__(type(exc), exc, tb)
    window = widget.window() if isinstance(widget, QWidget) else None
    status = getattr(window, "statusBar", None)
    if callable(status):
        message = (f"A view could not be drawn ({type(exc).__name__}: {exc}); "
                   "it is drawn again with the next change")

        def show() -> None:
            try:
                status().showMessage(message, 8000)
            except RuntimeError:  # the window is gone
                pass

        # Not now: showing a message repaints the status bar, and we are inside a paint.
        QTimer.singleShot(0, window, show)


@contextmanager
def painter_for(device: QPaintDevice, widget: QWidget | None = None) -> Iterator[QPainter]:
    """A QPainter on ``device`` that is always ended; exceptions are reported, not raised.

    ``widget`` (default: ``device`` itself if it is a widget) names where the error happened.
    """
    painter = QPainter(device)
    try:
        yield painter
    except Exception as exc:  # noqa: BLE001 - a paint must never raise into Qt
        report_paint_error(widget if widget is not None else
                           (device if isinstance(device, QWidget) else None), exc)
    finally:
        if painter.isActive():
            painter.end()
