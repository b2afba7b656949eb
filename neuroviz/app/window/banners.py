"""A slim message strip shown above the canvas (divergence, engine preparation, lessons)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

from neuroviz.app.window.themes import BANNER_STYLES


class Banner(QFrame):
    """Text, an optional action button and a close button; hidden until :meth:`show_message`."""

    action_clicked = Signal()
    closed = Signal()

    def __init__(self, object_name: str, kind: str = "info", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self._kind = kind
        self._theme = "light"
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setObjectName(object_name + "_text")
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.action = QPushButton(self)
        self.action.setObjectName(object_name + "_action")
        self.action.hide()
        self.action.clicked.connect(self.action_clicked)
        layout.addWidget(self.action)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName(object_name + "_close")
        self.close_button.setText("\u2715")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this message")
        self.close_button.clicked.connect(self._close)
        layout.addWidget(self.close_button)
        self._restyle()
        self.hide()

    def show_message(self, text: str, action: str | None = None, closable: bool = True) -> None:
        self.label.setText(text)
        self.action.setVisible(bool(action))
        if action:
            self.action.setText(action)
        self.close_button.setVisible(closable)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self._restyle()

    def _restyle(self) -> None:
        style = BANNER_STYLES[(self._theme, self._kind)]
        self.setStyleSheet(f"#{self.objectName()} {{ {style} border-radius: 4px; }}")

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
