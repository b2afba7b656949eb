"""Keys a focused control needs for itself win over the window's single-key shortcuts.

The window binds Right (train one epoch) and Space (play/pause) as shortcuts. Qt offers
every key to its shortcuts before the focused widget, so without this a student who clicks
a slider and presses the arrow keys would train the network instead of moving the slider.
:class:`ControlKeys` answers Qt's ``ShortcutOverride`` question for the focused control: a
slider, spin box, combo box or text field keeps its arrow keys (and Page Up/Down, Home,
End; a text field or spin box also keeps Space, which types a space).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

__all__ = ["ControlKeys", "install_control_keys"]

NAVIGATION_KEYS = frozenset({
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
    Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End,
})
_VALUE_CONTROLS = (QAbstractSlider, QAbstractSpinBox, QComboBox)
_TEXT_CONTROLS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)


def control_wants_key(widget, key: int, modifiers) -> bool:
    """True if ``widget`` (the focused widget) uses ``key`` itself."""
    if widget is None or modifiers & (Qt.KeyboardModifier.ControlModifier
                                      | Qt.KeyboardModifier.AltModifier
                                      | Qt.KeyboardModifier.MetaModifier):
        return False
    if key in NAVIGATION_KEYS:
        if isinstance(widget, _VALUE_CONTROLS + _TEXT_CONTROLS):
            return widget.isEnabled()
        # a combo box's line edit, a spin box's line edit
        parent = widget.parentWidget()
        return isinstance(parent, _VALUE_CONTROLS) and parent.isEnabled()
    if key == Qt.Key.Key_Space:
        return isinstance(widget, _TEXT_CONTROLS) and not getattr(widget, "isReadOnly",
                                                                   lambda: False)()
    return False


class ControlKeys(QObject):
    """Application event filter: focused controls keep the keys they need (see module)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and watched is \
                QApplication.focusWidget():
            if control_wants_key(watched, event.key(), event.modifiers()):
                event.accept()  # the key goes to the control as a normal key press
                return True
        return False


def install_control_keys(window) -> ControlKeys:
    """Install the filter for ``window``'s lifetime (it is removed when the window goes)."""
    keys = ControlKeys(window)
    app = QApplication.instance()
    if app is not None:
        app.installEventFilter(keys)
    return keys
