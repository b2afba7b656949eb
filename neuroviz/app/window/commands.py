"""Undoable network edits (Edit > Undo / Redo), on a QUndoStack.

Each command keeps the spec (and weights) before and after the edit and asks the window
to apply one or the other; the window forwards it to the training worker.
"""

from __future__ import annotations

import copy
from typing import Protocol

from PySide6.QtGui import QUndoCommand


class NetworkEditor(Protocol):
    def apply_network(self, spec: dict, weights=None) -> None: ...
    def apply_weight(self, node_layer: int, i: int, j: int | None, value: float) -> None: ...


class NetworkEditCommand(QUndoCommand):
    """Architecture change (layers, neurons, activations)."""

    def __init__(self, editor: NetworkEditor, text: str, old_spec: dict, new_spec: dict,
                 old_weights=None) -> None:
        super().__init__(text)
        self._editor = editor
        self._old_spec = copy.deepcopy(old_spec)
        self._new_spec = copy.deepcopy(new_spec)
        self._old_weights = old_weights

    def redo(self) -> None:
        self._editor.apply_network(self._new_spec)

    def undo(self) -> None:
        self._editor.apply_network(self._old_spec, self._old_weights)


class WeightEditCommand(QUndoCommand):
    """A weight (``j`` given) or bias (``i`` is the neuron, ``j`` None) typed by the user."""

    def __init__(self, editor: NetworkEditor, text: str, node_layer: int, i: int,
                 j: int | None, old: float, new: float) -> None:
        super().__init__(text)
        self._editor = editor
        self._where = (node_layer, i, j)
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._editor.apply_weight(*self._where, self._new)

    def undo(self) -> None:
        self._editor.apply_weight(*self._where, self._old)
