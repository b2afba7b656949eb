"""Turn what happens in the window into the lesson events of :data:`neuroviz.lessons.EVENTS`.

:class:`EventBridge` listens to the window's public signals and to its Qt-free experiment
state, and emits :attr:`EventBridge.event_happened` with an event name such as
``"weight_edited"`` or ``"layer_added"``. Changes the lesson panel makes itself when it
sets up a step are not the learner's doing: wrap them in :meth:`EventBridge.quietly`.
A "show me" is applied *without* ``quietly``, so it reports the same events as the learner
making the same change by hand.

Where each event comes from:

==========================  ==========================================================
``weight_edited``           ``window.weight_edited`` with j >= 0 (canvas edit, undo/redo)
``bias_edited``             ``window.weight_edited`` with j == -1
``dataset_changed``,        the experiment state: dataset name, features, noise and
``features_changed``,       train/test split compared with the last state seen
``noise_changed``,
``train_ratio_changed``
``layer_added`` ...         the experiment state: hidden layer count, neurons per layer,
``activation_changed``      activations (``layer_added/removed``, ``neuron_added/removed``)
``learning_rate_changed``,  the experiment state: hyperparameters
``optimizer_changed``,
``batch_size_changed``,
``regularization_changed``
``training_started``        ``worker.running_changed(True)`` (play button, Space, show me)
``stepped``                 the toolbar's step button and the Training > Step action
``reset``                   reset and new-seed buttons and actions
``diverged``                a drawn snapshot whose ``diverged`` flag is set
``neuron_hovered``          ``network_view.neuron_hovered`` on a neuron
``example_selected``        ``output_view.example_selected``
``show_test_toggled``       ``output_view.show_test_toggled``
``gradient_view_on``,       the ``event_happened(str)`` signals of explain mode and the
``explain_*``               gradient view, given with :meth:`EventBridge.add_source`
==========================  ==========================================================
"""

from __future__ import annotations

import contextlib
import copy

from PySide6.QtCore import QObject, Signal

from neuroviz.lessons import EVENTS
from neuroviz.lessons.goals import network_events


def state_events(old, new) -> set[str]:
    """Events between two ``(dataset, spec, hyperparameters)`` tuples of the window state."""
    events: set[str] = set()
    (d0, s0, h0), (d1, s1, h1) = old, new
    if d0.name != d1.name:
        events.add("dataset_changed")
    elif tuple(d0.features) != tuple(d1.features) or d0.options != d1.options:
        events.add("features_changed")
    if d0.noise != d1.noise:
        events.add("noise_changed")
    if d0.train_ratio != d1.train_ratio:
        events.add("train_ratio_changed")
    if h0.learning_rate != h1.learning_rate:
        events.add("learning_rate_changed")
    if h0.optimizer != h1.optimizer:
        events.add("optimizer_changed")
    if h0.batch_size != h1.batch_size:
        events.add("batch_size_changed")
    if (h0.regularization, h0.regularization_rate) != (h1.regularization, h1.regularization_rate):
        events.add("regularization_changed")
    events |= network_events(s0, s1)
    return events


class EventBridge(QObject):
    """Reports the window's user actions as lesson events."""

    event_happened = Signal(str)

    def __init__(self, window, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self._quiet = 0
        self._last = self._state()
        self._unsubscribe = window.state.subscribe(self._on_state_changed)

        window.weight_edited.connect(self._on_weight_edited)
        window.worker.running_changed.connect(self._on_running_changed)
        window.snapshot_drawn.connect(self._on_snapshot)
        tb = window.toolbar
        tb.step_clicked.connect(lambda: self.report("stepped"))
        tb.reset_clicked.connect(lambda: self.report("reset"))
        tb.new_seed_clicked.connect(lambda: self.report("reset"))
        for name, event in (("action_step", "stepped"), ("action_reset", "reset"),
                            ("action_new_seed", "reset")):
            action = getattr(window, name, None)
            if action is not None:
                action.triggered.connect(lambda _=False, e=event: self.report(e))
        window.network_view.neuron_hovered.connect(
            lambda k, _j: self.report("neuron_hovered") if k >= 0 else None)
        ov = window.output_view
        ov.example_selected.connect(lambda *_: self.report("example_selected"))
        if hasattr(ov, "show_test_toggled"):
            ov.show_test_toggled.connect(lambda *_: self.report("show_test_toggled"))

    # -- public ------------------------------------------------------------------------
    def report(self, event: str) -> None:
        """Report ``event`` now (ignored while :meth:`quietly` is in effect)."""
        if not self._quiet and event in EVENTS:
            self.event_happened.emit(event)

    @contextlib.contextmanager
    def quietly(self):
        """Changes made inside this block are the lesson's own, not the learner's."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
            if not self._quiet:
                self._last = self._state()

    def add_source(self, signal) -> None:
        """Forward the lesson events of another feature's ``event_happened(str)`` signal
        (explain mode, the gradient view); the window's composition root connects them."""
        signal.connect(self._forward)

    def detach(self) -> None:
        self._unsubscribe()

    # -- sources -------------------------------------------------------------------------
    def _forward(self, event) -> None:
        self.report(str(event))

    def _state(self):
        st = self.window.state
        return (st.dataset, st.spec, st.hyperparameters)

    def _on_state_changed(self, change: str) -> None:
        if change == "history":
            return
        new = self._state()
        if self._quiet:
            self._last = new
            return
        events = state_events(self._last, new)
        self._last = copy.deepcopy(new)
        for event in sorted(events):
            self.report(event)

    def _on_weight_edited(self, _k: int, _i: int, j: int, _value: float) -> None:
        self.report("bias_edited" if j < 0 else "weight_edited")

    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.report("training_started")

    def _on_snapshot(self, snap) -> None:
        if getattr(snap, "diverged", False):
            self.report("diverged")
