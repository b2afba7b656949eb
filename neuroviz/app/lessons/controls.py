"""Hide, lock and highlight the window's controls for a lesson step, and undo it all after.

Lesson files name controls by the IDs of :data:`neuroviz.lessons.CONTROLS`; the window's
widgets have their own stable ``objectName``\\ s. :func:`widget_names` maps one to the other
(for example the lesson's ``play`` is the toolbar's ``play_pause`` button *and* the
Training menu's action, so a hidden play button cannot be pressed with the space bar
either). Names the window does not have (yet) are skipped.

:class:`StepControls` remembers what it changed, so leaving a step or the lesson restores
exactly those controls and nothing that the window or another panel changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

#: lesson control ID -> (names hidden/locked, name highlighted). Patterns end in ``_*``.
_MAP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dataset": (("datasets_classification", "datasets_regression"),
                ("datasets_classification", "datasets_regression")),
    "noise": (("noise", "noise_label", "noise_value"), ("noise",)),
    "train_ratio": (("train_ratio", "train_ratio_label", "train_ratio_value"),
                    ("train_ratio",)),
    "batch_size": (("batch_size", "batch_size_label", "batch_size_value"), ("batch_size",)),
    "features": (("features",), ("features",)),
    "regenerate": (("regenerate",), ("regenerate",)),
    "network_view": (("network_view",), ("network_canvas",)),
    "add_layer": (("add_layer",), ("add_layer",)),
    "remove_layer": (("remove_layer",), ("remove_layer",)),
    "add_neuron": (("add_neuron_*",), ("add_neuron_*",)),
    "remove_neuron": (("remove_neuron_*",), ("remove_neuron_*",)),
    "activation": (("activation_*",), ("activation_*",)),
    "edit_weights": ((), ("network_canvas",)),           # locked by an event filter
    "play": (("play_pause", "action_play"), ("play_pause",)),
    "step": (("step", "action_step"), ("step",)),
    "reset": (("reset", "action_reset"), ("reset",)),
    "new_seed": (("new_seed", "action_new_seed"), ("new_seed",)),
    "speed": (("speed",), ("speed",)),
    "epoch_counter": (("epoch_counter",), ("epoch_counter",)),
    "learning_rate": (("learning_rate",), ("learning_rate",)),
    "optimizer": (("optimizer",), ("optimizer",)),
    "regularization": (("regularization",), ("regularization",)),
    "regularization_rate": (("regularization_rate",), ("regularization_rate",)),
    "problem_type": (("problem_type",), ("problem_type",)),
    "output_view": (("output_view",), ("output_plot",)),
    "show_test": (("output_show_test",), ("output_show_test",)),
    "discretize": (("output_discretize",), ("output_discretize",)),
    "confusion_matrix": (("confusion_matrix",), ("confusion_matrix",)),
    "charts": (("charts",), ("charts",)),
    "explain": (("explain", "action_explain"), ("explain",)),
    "gradient_view": (("gradient_view", "action_gradient_view"), ("gradient_view",)),
    "timeline": (("timeline", "timeline_view"), ("timeline", "timeline_view")),
    "param_count": (("param_count",), ("param_count",)),
    "neuron_response": (("neuron_response_dock", "action_neuron_response"),
                        ("neuron_response",)),
    "saliency": (("saliency_dock", "action_saliency"), ("saliency",)),
    "loss_surface": (("loss_surface_dock", "action_loss_surface"), ("loss_surface",)),
    "weight_images": (("weight_images_dock", "action_weight_images"), ("weight_images",)),
}


def _expand(window, patterns: Iterable[str]) -> list[str]:
    """Window control names matching ``patterns`` (``name_*`` matches ``name_<digits>``)."""
    names: list[str] = []
    all_ids = None
    for pattern in patterns:
        if pattern.endswith("_*"):
            if all_ids is None:
                all_ids = window.controls.ids()
            rx = re.compile(re.escape(pattern[:-1]) + r"\d+$")
            names.extend(n for n in all_ids if rx.match(n))
        elif window.controls.find(pattern) is not None:
            names.append(pattern)
    return names


def widget_names(window, control_id: str, purpose: str = "hide") -> list[str]:
    """The window's control names that make up a lesson control ID.

    ``purpose`` is "hide" (also used for locking) or "highlight" (one main widget).
    Unknown IDs map to a control of the same name, if there is one.
    """
    hide, glow = _MAP.get(control_id, ((control_id,), (control_id,)))
    return _expand(window, glow if purpose == "highlight" else hide)


class _EditBlocker(QObject):
    """Swallows clicks on the network canvas so weights and biases cannot be edited."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        return event.type() in (QEvent.Type.MouseButtonPress,
                                QEvent.Type.MouseButtonDblClick)


class StepControls:
    """The hidden, locked and highlighted controls of the current lesson step."""

    def __init__(self, window) -> None:
        self.window = window
        self.hidden: tuple[str, ...] = ()
        self.locked: tuple[str, ...] = ()
        self.highlight: tuple[str, ...] = ()
        self._applied: dict[str, set[str]] = {"hide": set(), "lock": set(), "glow": set()}
        self._blocker = _EditBlocker()
        self._canvas: QWidget | None = None

    @property
    def editing_locked(self) -> bool:
        return self._canvas is not None

    def set_step(self, hidden=(), locked=(), highlight=()) -> None:
        """Show the controls of a new step (undoing the previous step's changes first)."""
        self.clear()
        self.hidden, self.locked, self.highlight = tuple(hidden), tuple(locked), tuple(highlight)
        self.reapply()

    def reapply(self) -> None:
        """Apply the step's settings again (the network view rebuilds its buttons after each
        change of the architecture, and a rebuilt button starts visible and enabled)."""
        reg = self.window.controls
        for cid in self.hidden:
            for name in widget_names(self.window, cid):
                control = reg.find(name)
                if (name not in self._applied["hide"] and isinstance(control, QWidget)
                        and control.isHidden() and not reg.is_hidden(name)):
                    continue  # hidden already (a closed dock...): leave it so afterwards
                reg.set_hidden(name, True)
                self._applied["hide"].add(name)
        for cid in self.locked:
            for name in widget_names(self.window, cid):
                reg.set_locked(name, True)
                self._applied["lock"].add(name)
        for cid in self.highlight:
            for name in widget_names(self.window, cid, "highlight"):
                control = reg.find(name)
                effect = getattr(control, "graphicsEffect", lambda: None)()
                if not reg.is_highlighted(name) or effect is None:
                    reg.set_highlighted(name, True)
                if name not in self._applied["glow"] and hasattr(control, "open_requested"):
                    control.open()  # a view in a closed dock: the step talks about it
                self._applied["glow"].add(name)
        if "edit_weights" in self.hidden or "edit_weights" in self.locked:
            self._block_editing(True)

    def clear(self) -> None:
        """Undo everything this object changed."""
        reg = self.window.controls
        for name in self._applied["hide"]:
            if reg.find(name) is not None:
                reg.set_hidden(name, False)
        for name in self._applied["lock"]:
            if reg.find(name) is not None:
                reg.set_locked(name, False)
        for name in self._applied["glow"]:
            if reg.find(name) is not None:
                reg.set_highlighted(name, False)
        self._applied = {"hide": set(), "lock": set(), "glow": set()}
        self._block_editing(False)
        self.hidden = self.locked = self.highlight = ()

    def _block_editing(self, on: bool) -> None:
        canvas = getattr(self.window.network_view, "canvas", None)
        if on and canvas is not None and self._canvas is None:
            canvas.installEventFilter(self._blocker)
            self._canvas = canvas
        elif not on and self._canvas is not None:
            try:
                self._canvas.removeEventFilter(self._blocker)
            except RuntimeError:  # the canvas is already gone
                pass
            self._canvas = None
