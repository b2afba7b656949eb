"""Lessons and explain mode side by side.

A "show me" whose solution lists ``explain_*`` events performs them for real through explain
mode (the :class:`~neuroviz.app.explain.controller.ExplainController` the window's
composition root hands to the lesson panel): it starts explain mode on the selected example
and moves to the end of the forward pass, the start or end of the backward pass, or the
weight update. The events then come from the explain panel itself, as when the learner steps
through by hand.

Both panels dock on the right; when they share a tab, the lesson text would disappear behind
the explain panel just when the lesson talks about it. :func:`keep_beside` puts them one
above the other instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

_TARGETS = {
    "explain_forward_done": ("last", "forward"),
    "explain_backward_reached": ("first", "backward"),
    "explain_backward_done": ("last", "backward"),
    "explain_update_done": ("last", "update"),
}


def play_explain_events(explain, events: Iterable[str]) -> bool:
    """Perform ``explain_*`` events through ``explain`` (an ExplainController, or None when
    there is no explain mode); False if it is not available."""
    wanted = [e for e in events if e.startswith("explain_")]
    if not wanted or explain is None:
        return False
    try:
        if not explain.start():
            return False
        panel = explain.panel
        explanation = panel.explanation
        indices = [0]
        for event in wanted:
            if event in _TARGETS:
                which, phase = _TARGETS[event]
                indices.append(explanation.last_of(phase) if which == "last"
                               else explanation.first_of(phase))
        panel.go_to(max(indices))
    except (AttributeError, ValueError, TypeError):
        return False  # another version of explain mode: the events are reported anyway
    return True


def keep_beside(window, dock: QDockWidget) -> None:
    """Move right-hand docks that share a tab with ``dock`` below it."""
    try:
        others = window.tabifiedDockWidgets(dock)
    except RuntimeError:
        return
    for other in others:
        # a dock in a tab group cannot be split (Qt adds a tab instead): take it out first
        visible = not other.isHidden()
        window.removeDockWidget(other)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, other)
        window.splitDockWidget(dock, other, Qt.Orientation.Vertical)
        other.setVisible(visible)
    if others:
        dock.show()
        height = max(400, window.height() - 120)
        window.resizeDocks([dock, *others], [height // 2] + [height // (2 * len(others))]
                           * len(others), Qt.Orientation.Vertical)
