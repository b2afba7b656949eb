"""Small inline editor used by the network view to type a new weight or bias."""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["MAX_ABS_VALUE", "ValueEditor", "parse_value"]

#: Largest weight or bias the editor accepts; beyond this every neuron saturates.
MAX_ABS_VALUE = 1e4


def apply_cancel_buttons(parent: QWidget, name: str, apply_tip: str,
                         apply_text: str = "Apply"
                         ) -> tuple[QPushButton, QPushButton, QHBoxLayout]:
    """The Apply and Cancel buttons of a small editor popup (object names ``<name>_apply`` and
    ``<name>_cancel``), right-aligned in a row: ``(apply, cancel, row)``."""
    ok = QPushButton(apply_text, parent)
    ok.setObjectName(f"{name}_apply")
    ok.setToolTip(apply_tip)
    cancel = QPushButton("Cancel", parent)
    cancel.setObjectName(f"{name}_cancel")
    cancel.setToolTip("Close without changing anything (Escape)")
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(cancel)
    row.addWidget(ok)
    return ok, cancel, row


def parse_value(text: str) -> tuple[float | None, str]:
    """Parse what the user typed into a finite float.

    Returns ``(value, "")`` on success or ``(None, message)`` explaining what is wrong.
    A single decimal comma (``"0,5"``) is accepted as a decimal point.
    """
    t = text.strip().replace("\u2212", "-")  # typographic minus
    if not t:
        return None, "Type a number, for example 0.5 or -1.25."
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None, (f"\u201c{text.strip()}\u201d is not a number. "
                      "Type a number such as 0.5 or -1.25.")
    if not math.isfinite(value):
        return None, "The value must be a finite number (not NaN or infinity)."
    if abs(value) > MAX_ABS_VALUE:
        return None, f"Keep the value between -{MAX_ABS_VALUE:g} and {MAX_ABS_VALUE:g}."
    return value, ""


class PopupEditor(QFrame):
    """A framed editor popup over the canvas: shown beside a point and kept inside its
    parent, Escape cancels (``cancelled``), Enter applies when :attr:`enter_applies`.
    Subclasses build their widgets and implement :meth:`apply`."""

    cancelled = Signal()
    enter_applies = True

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.StyledPanel)
        self.setAutoFillBackground(True)

    def show_at(self, x: float, y: float, focus: QWidget) -> None:
        """Show with the top-left corner at (x, y), moved to stay inside the parent."""
        self.adjustSize()
        parent = self.parentWidget()
        if parent is not None:
            x = max(0, min(x, parent.width() - self.width()))
            y = max(0, min(y, parent.height() - self.height()))
        self.move(int(x), int(y))
        self.show()
        self.raise_()
        focus.setFocus(Qt.PopupFocusReason)

    def apply(self) -> None:
        raise NotImplementedError

    def close_editor(self) -> None:
        if self.isVisible():
            self.hide()
            self.cancelled.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key_Escape:
            self.close_editor()
            return
        if self.enter_applies and event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.apply()
            return
        super().keyPressEvent(event)


class ValueEditor(PopupEditor):
    """A framed popup with a title, a line edit and an error line.

    Enter applies, Escape cancels. ``value_accepted(float)`` is emitted only for valid input;
    invalid input shows a message and leaves everything unchanged.
    """

    value_accepted = Signal(float)
    enter_applies = False  # the line edit's returnPressed applies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("value_editor", parent)
        self.setToolTip("Type a new value and press Enter; Escape cancels.")
        self.title = QLabel(self)
        self.title.setObjectName("value_editor_title")
        self.title.setWordWrap(True)
        self.line = QLineEdit(self)
        self.line.setObjectName("value_editor_input")
        self.line.setToolTip("A finite number, e.g. 0.5 or -1.25. Enter applies, Escape cancels.")
        self.error = QLabel(self)
        self.error.setObjectName("value_editor_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        self.ok, self.cancel, buttons = apply_cancel_buttons(self, "value_editor",
                                                             "Set this value (Enter)")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.line)
        lay.addWidget(self.error)
        lay.addLayout(buttons)
        self.line.returnPressed.connect(self.apply)
        self.ok.clicked.connect(self.apply)
        self.cancel.clicked.connect(self.close_editor)
        self.hide()

    def open_at(self, pos: QPoint, title: str, value: float) -> None:
        """Show the editor near ``pos`` (parent coordinates) prefilled with ``value``."""
        self.title.setText(title)
        self.line.setText(repr(float(value)))
        self.error.hide()
        self.error.clear()
        self.show_at(pos.x() + 12, pos.y() + 12, self.line)
        self.line.selectAll()

    def apply(self) -> None:
        value, message = parse_value(self.line.text())
        if value is None:
            self.error.setText(message)
            self.error.show()
            self.adjustSize()
            return
        self.hide()
        self.value_accepted.emit(value)
