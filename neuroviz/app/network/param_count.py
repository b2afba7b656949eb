"""The number of weights and biases of the network, shown beside its layer buttons.

A dense layer with ``n`` inputs and ``m`` neurons has ``n·m`` weights and ``m`` biases; the
label adds them up over every layer, and its tooltip shows the sum layer by layer. It follows
the experiment state, so adding a neuron updates it at once.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["ParamCountLabel", "layer_param_counts"]


def layer_param_counts(spec) -> list[tuple[int, int]]:
    """``(weights, biases)`` of each dense layer of an engine spec."""
    out = []
    fan_in = int(spec["inputs"])
    for layer in spec["layers"]:
        units = int(layer["units"])
        out.append((fan_in * units, units))
        fan_in = units
    return out


class ParamCountLabel(QLabel):
    """"1,234 parameters", kept up to date from an ExperimentState."""

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("param_count")
        self.state = state
        self.count = 0
        state.subscribe(self._on_state)
        self.refresh()

    def _on_state(self, change: str) -> None:
        if change in ("network", "dataset", "experiment"):
            self.refresh()

    def refresh(self) -> None:
        counts = layer_param_counts(self.state.spec)
        self.count = sum(w + b for w, b in counts)
        self.setText(f"{self.count:,} parameters")
        lines = [f"layer {k}: {w:,} weights + {b:,} biases" for k, (w, b) in
                 enumerate(counts, start=1)]
        self.setToolTip("Weights and biases the network learns\n" + "\n".join(lines))
