"""Controls addressed by stable ID: hide, lock and highlight them (lessons, presenter mode).

Every interactive control in the window has an ``objectName`` that never changes
(see :data:`neuroviz.app.window.main_window.CONTROL_IDS`). :class:`ControlRegistry` finds a
control by that name: the controls features register (:meth:`ControlRegistry.register`,
called by the window's composition root for explain mode, the gradient view, the timeline,
presenter mode...), and the window's own controls anywhere under it, including the network
and output views. It changes how a control is shown:

* hidden: not shown (a control inside a toolbar is hidden through its toolbar action);
* locked: shown but disabled, with "(locked)" added to its tooltip;
* highlighted: a coloured glow around it, to point at it.

Locks combine with the window's own enabling logic through :meth:`set_enabled`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QGraphicsDropShadowEffect, QWidget

HIGHLIGHT_COLOUR = "#ff9f1c"
LOCKED_SUFFIX = "\n(locked)"


class ControlRegistry:
    def __init__(self, root: QWidget) -> None:
        self._root = root
        self._toolbar_actions: dict[str, QAction] = {}
        self._registered: dict[str, QWidget | QAction] = {}
        self._wanted_enabled: dict[str, bool] = {}
        self._locked: set[str] = set()
        self._hidden: set[str] = set()
        self._highlighted: set[str] = set()

    # -- lookup -----------------------------------------------------------------------
    def add_toolbar_widget(self, name: str, action: QAction) -> None:
        """Remember the toolbar action that shows a widget placed with QToolBar.addWidget."""
        self._toolbar_actions[name] = action

    def register(self, *controls: QWidget | QAction) -> None:
        """Make a feature's controls addressable by their ``objectName``."""
        for control in controls:
            name = control.objectName()
            if not name:
                raise ValueError(f"{control!r} has no objectName to address it by")
            self._registered[name] = control

    def find(self, name: str) -> QWidget | QAction | None:
        control = self._registered.get(name)
        if control is not None:
            return control
        widget = self._root.findChild(QWidget, name)
        if widget is not None:
            return widget
        return self._root.findChild(QAction, name)

    def require(self, name: str) -> QWidget | QAction:
        control = self.find(name)
        if control is None:
            raise KeyError(f"no control with ID {name!r}")
        return control

    def ids(self) -> list[str]:
        names = {w.objectName() for w in self._root.findChildren(QWidget) if w.objectName()}
        names |= {a.objectName() for a in self._root.findChildren(QAction) if a.objectName()}
        names |= set(self._registered)
        return sorted(n for n in names if not n.startswith(("qt_", "_")))

    # -- state --------------------------------------------------------------------------
    def set_hidden(self, name: str, hidden: bool = True) -> None:
        control = self.require(name)
        (self._hidden.add if hidden else self._hidden.discard)(name)
        action = self._toolbar_actions.get(name)
        if action is not None:
            action.setVisible(not hidden)
            caption = self._toolbar_actions.get(name + "_label")
            if caption is not None:  # a toolbar combo's caption goes with it
                caption.setVisible(not hidden)
        else:
            control.setVisible(not hidden)

    def set_locked(self, name: str, locked: bool = True) -> None:
        control = self.require(name)
        if locked and name not in self._locked:
            self._locked.add(name)
            control.setToolTip(control.toolTip() + LOCKED_SUFFIX)
        elif not locked and name in self._locked:
            self._locked.discard(name)
            tip = control.toolTip()
            if tip.endswith(LOCKED_SUFFIX):
                control.setToolTip(tip[: -len(LOCKED_SUFFIX)])
        self._apply_enabled(name, control)

    def set_highlighted(self, name: str, highlighted: bool = True) -> None:
        control = self.require(name)
        if isinstance(control, QAction):
            widgets = [w for w in control.associatedObjects() if isinstance(w, QWidget)]
            control = widgets[0] if widgets else None
            if control is None:
                return
        if highlighted:
            self._highlighted.add(name)
            glow = QGraphicsDropShadowEffect(control)
            glow.setColor(QColor(HIGHLIGHT_COLOUR))
            glow.setBlurRadius(22)
            glow.setOffset(0, 0)
            control.setGraphicsEffect(glow)
        else:
            self._highlighted.discard(name)
            if isinstance(control.graphicsEffect(), QGraphicsDropShadowEffect):
                control.setGraphicsEffect(None)
        control.setProperty("highlighted", highlighted)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """The window's own enabling (e.g. noise off for real data); locks still win."""
        self._wanted_enabled[name] = enabled
        control = self.find(name)
        if control is not None:
            self._apply_enabled(name, control)

    def _apply_enabled(self, name: str, control: QObject) -> None:
        enabled = self._wanted_enabled.get(name, True) and name not in self._locked
        control.setEnabled(enabled)

    def is_locked(self, name: str) -> bool:
        return name in self._locked

    def is_hidden(self, name: str) -> bool:
        return name in self._hidden

    def is_highlighted(self, name: str) -> bool:
        return name in self._highlighted

    def clear(self) -> None:
        """Show, unlock and un-highlight everything this registry changed."""
        for name in list(self._hidden):
            self.set_hidden(name, False)
        for name in list(self._locked):
            self.set_locked(name, False)
        for name in list(self._highlighted):
            self.set_highlighted(name, False)
