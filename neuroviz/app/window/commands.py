"""Undoable network edits (Edit > Undo / Redo), on a QUndoStack.

Each command keeps the spec (and weights) before and after the edit and asks the window
to apply one or the other; the window forwards it to the training worker.
"""

from __future__ import annotations

import copy
from typing import Protocol

import numpy as np
from PySide6.QtGui import QUndoCommand


class NetworkEditor(Protocol):
    def apply_network(self, spec: dict, weights=None) -> None: ...
    def apply_weight(self, node_layer: int, i: int, j: int | None, value: float) -> None: ...
    def apply_filter(self, node_layer: int, f: int, kernel, bias: float) -> None: ...


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


class FilterEditCommand(QUndoCommand):
    """A convolution filter (its k x k x c_in weights and its bias) set in the editor."""

    def __init__(self, editor: NetworkEditor, text: str, node_layer: int, f: int,
                 old: tuple, new: tuple) -> None:
        super().__init__(text)
        self._editor = editor
        self._where = (node_layer, f)
        self._old = (np.array(old[0], dtype=np.float64), float(old[1]))
        self._new = (np.array(new[0], dtype=np.float64), float(new[1]))

    def redo(self) -> None:
        self._editor.apply_filter(*self._where, *self._new)

    def undo(self) -> None:
        self._editor.apply_filter(*self._where, *self._old)


#: Network edits on layer kinds, with their undo texts.
KIND_EDITS = ("add_kind", "dropout_rate", "skip", "column", "layer_settings")
#: Kinds that work on maps (an image input): the convolutional part of a network.
MAP_LAYER_KINDS = ("conv2d", "maxpool", "avgpool")
#: Kinds that turn maps into values for the dense part.
MAP_END_KINDS = ("globalavgpool", "globalmaxpool", "flatten")
_KIND_NAMES = {"conv2d": "convolution", "maxpool": "max pool", "avgpool": "average pool",
               "globalavgpool": "global average pool", "globalmaxpool": "global max pool",
               "flatten": "flatten"}
#: The dense layers of a new residual block (the width of the layer before it).
BLOCK_DEPTH = 2


def kind_edit_text(op: str, value) -> str:
    """The Edit › Undo text of a layer-kind edit."""
    if op == "add_kind":
        if value in _KIND_NAMES:
            return f"Add {_KIND_NAMES[value]}"
        return {"dense": "Add hidden layer", "dropout": "Add dropout layer",
                "layernorm": "Add layer norm", "residual": "Add residual block",
                "wrap": "Wrap last hidden layer in a residual block"}[value]
    if op == "dropout_rate":
        return f"Set dropout rate to {value:g}"
    if op == "layer_settings":
        if set(value) == {"size"}:
            return f"Set pool size to {value['size']}"
        return "Set convolution " + ", ".join(f"{key} {v}" for key, v in value.items())
    if op == "column":
        if value.startswith("insert_") and value[7:] in _KIND_NAMES:
            return f"Insert {_KIND_NAMES[value[7:]]}"
        return {"insert_dropout": "Insert dropout layer", "insert_layernorm": "Insert layer norm",
                "wrap": "Wrap layer in a residual block", "remove": "Remove layer"}[value]
    return "Switch skip path on" if value else "Switch skip path off"


def spec_with_kind(spec: dict, op: str, where: tuple[int, int | None] | None, value) -> dict:
    """The spec after a layer-kind edit (a new copy; the same spec when not possible).

    ``op``: "add_kind" (``value`` a kind, or "wrap": a residual block around the last hidden
    layer), "dropout_rate" (``value`` the rate) or "skip" (``value`` on/off). ``where`` is
    ``(top-level layer, index inside a residual block or None)`` of the layer edited.
    """
    spec = copy.deepcopy(spec)
    layers = spec["layers"]
    hidden = len(layers) - 1
    if op == "add_kind":
        width = _width_before(spec, hidden)
        activation = next((layer.get("activation", "tanh") for layer in reversed(layers[:-1])
                           if layer.get("type", "dense") == "dense"), "tanh")
        if value == "dense":
            new = {"type": "dense", "units": min(max(width, 1), 16) if hidden else 4,
                   "activation": activation}
        elif value == "dropout":
            new = {"type": "dropout", "rate": 0.5}
        elif value == "layernorm":
            new = {"type": "layernorm"}
        elif value == "residual":
            units = width if hidden else 4
            new = {"type": "residual", "layers": [
                {"type": "dense", "units": units, "activation": activation}
                for _ in range(BLOCK_DEPTH)]}
        elif value in MAP_LAYER_KINDS + MAP_END_KINDS:
            # the convolutional part ends at the first layer that is not a conv or pool:
            # the new layer goes there (the engine rejects shapes that do not fit)
            layers.insert(map_end(spec), new_map_layer(value))
            return spec
        elif value == "wrap":
            if not hidden or layers[hidden - 1].get("type") == "residual":
                return spec
            layers[hidden - 1] = {"type": "residual", "layers": [layers[hidden - 1]]}
            return spec
        else:
            raise ValueError(f"unknown layer kind {value!r}")
        layers.insert(hidden, new)
        return spec
    top, inner = where
    if op == "column":
        return _column_edit(spec, top, inner, value)
    layer = layers[top] if inner is None else layers[top]["layers"][inner]
    if op == "layer_settings":
        layer.update(value)
    elif op == "dropout_rate":
        layer["rate"] = float(value)
    elif op == "skip":
        if value:
            layer.pop("skip", None)
        else:
            layer["skip"] = False
    else:
        raise ValueError(f"unknown network edit {op!r}")
    return spec


def _column_edit(spec: dict, top: int, inner: int | None, what: str) -> dict:
    """Insert a dropout or layer norm after a layer, wrap it in a block, or remove it.

    ``inner`` None with a residual block at ``top`` means the block as a whole (its sum
    column)."""
    layers = spec["layers"]
    if top >= len(layers) - 1:
        return spec  # the output layer stays
    into, at = (layers[top]["layers"], inner) if inner is not None else (layers, top)
    if what.startswith("insert_") and what[7:] in MAP_LAYER_KINDS + MAP_END_KINDS:
        into.insert(at + 1, new_map_layer(what[7:]))
    elif what == "insert_dropout":
        into.insert(at + 1, {"type": "dropout", "rate": 0.5})
    elif what == "insert_layernorm":
        into.insert(at + 1, {"type": "layernorm"})
    elif what == "wrap":
        if inner is None and layers[top].get("type") != "residual":
            layers[top] = {"type": "residual", "layers": [layers[top]]}
    elif what == "remove":
        del into[at]
        if inner is not None and not into:  # the block's last layer: the block goes too
            del layers[top]
    else:
        raise ValueError(f"unknown layer edit {what!r}")
    return spec


def new_map_layer(kind: str) -> dict:
    """A new layer of the convolutional part with the editor's defaults."""
    if kind == "conv2d":
        return {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "same",
                "activation": "relu"}
    if kind in ("maxpool", "avgpool"):
        return {"type": kind, "size": 2}
    return {"type": kind}


def map_end(spec: dict) -> int:
    """Index of the first top-level layer that is not a convolution or pool (where the
    convolutional part ends)."""
    layers = spec["layers"]
    return next((i for i, layer in enumerate(layers)
                 if layer.get("type", "dense") not in MAP_LAYER_KINDS), len(layers))


def _width_before(spec: dict, index: int) -> int:
    """Values per example entering top-level layer ``index`` of ``spec``."""
    import math

    from neuroviz.engine.network import input_shape

    def width(layer: dict, n: int) -> int:
        kind = layer.get("type", "dense")
        if kind == "dense":
            return int(layer["units"])
        if kind == "residual":
            for sub in layer["layers"]:
                n = width(sub, n)
        return n

    from neuroviz.app.network.kinds import layer_shapes
    from neuroviz.engine import SpecError

    try:
        return math.prod(layer_shapes(spec)[index])
    except SpecError:  # a spec the engine rejects: its widths as written
        n = math.prod(input_shape(spec["inputs"]))
        for layer in spec["layers"][:index]:
            n = width(layer, n)
        return n
