"""The number of weights and biases of the network, shown beside its layer buttons.

A dense layer with ``n`` inputs and ``m`` neurons has ``n·m`` weights and ``m`` biases (layer
norms a gain and a bias per unit, residual blocks their layers and any projection: the
engine counts them); the label adds them up, and its tooltip shows them layer by layer. It
follows the experiment state, so adding a neuron updates it at once.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from neuroviz.engine import SpecError
from neuroviz.engine.network import layer_param_counts

__all__ = ["ParamCountLabel"]


class ParamCountLabel(QLabel):
    """"1,234 parameters", kept up to date from an ExperimentState."""

    text_changed = Signal()  # its width may have changed: the row around it re-fits

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("param_count")
        self.setContentsMargins(10, 0, 0, 0)  # apart from the layer count beside it
        self.state = state
        self.count = 0
        state.subscribe(self._on_state)
        self.refresh()

    def _on_state(self, change: str) -> None:
        if change in ("network", "dataset", "experiment"):
            self.refresh()

    def refresh(self) -> None:
        try:
            counts = layer_param_counts(self.state.spec)
        except SpecError:  # a spec being edited; the window reports it
            counts = []
        self.count = sum(counts)
        self.setText(f"{self.count:,} parameters")
        kinds = [layer.get("type", "dense") for layer in self.state.spec.get("layers", ())]
        lines = [f"layer {k} ({kind}): {n:,}" for k, (kind, n) in
                 enumerate(zip(kinds, counts), start=1)]
        self.setToolTip("Weights and biases the network learns\n" + "\n".join(lines))
        self.updateGeometry()
        self.text_changed.emit()
