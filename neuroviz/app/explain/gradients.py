"""Gradient view: edges coloured and sized by dL/dw while training, and a dock with the
per-layer gradient-norm chart. ``event_happened`` reports "gradient_view_on" to lessons."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget

from neuroviz.app.explain.controller import ExplainController
from neuroviz.app.output.gradient_chart import GradientNormChart

__all__ = ["GradientController"]


class GradientController(QObject):
    """Edges coloured by gradient while training, and the per-layer gradient-norm chart."""

    event_happened = Signal(str)
    toggled = Signal(bool)

    def __init__(self, window, explain: ExplainController) -> None:
        super().__init__(window)
        self.window = window
        self.explain = explain
        self.on = False
        self.chart = GradientNormChart()
        self.dock = QDockWidget("Gradients", window)
        self.dock.setObjectName("gradient_dock")
        self.dock.setWidget(self.chart)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        window.snapshot_drawn.connect(self._on_snapshot)
        # A new network, dataset or experiment, or a reset, starts the chart afresh: it never
        # keeps the previous network's layers.
        window.state.subscribe(self._on_state)
        for signal in (window.toolbar.reset_clicked, window.action_reset.triggered,
                       window.action_new_seed.triggered):
            signal.connect(self._clear)

    def _on_state(self, change: str) -> None:
        if change in ("network", "dataset", "experiment", "seed"):
            self._clear()

    def _clear(self, *_args) -> None:
        self.chart.clear()

    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on == self.on:
            return
        self.on = on
        w = self.window
        w.worker.set_gradients(on)
        if not self.explain.active:
            w.network_view.set_edge_mode("gradients" if on else "weights")
        else:
            self.explain._edge_mode = "gradients" if on else "weights"
        self.dock.setVisible(on)
        if on:
            self.event_happened.emit("gradient_view_on")
        self.toggled.emit(on)

    def _on_snapshot(self, snap) -> None:
        if self.on and snap.gradients is not None:
            self.chart.add_snapshot(snap, self.window.state.epoch_offset)
