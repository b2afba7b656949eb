"""The number of weights and biases of the network, shown beside its layer buttons.

A dense layer with ``n`` inputs and ``m`` neurons has ``n·m`` weights and ``m`` biases; the
label adds them up over every layer, and its tooltip shows the sum layer by layer. It follows
the experiment state, so adding a neuron updates it at once.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["ParamCountLabel", "layer_param_counts"]


def layer_param_counts(spec) -> list[tuple[int, int]]:
    """``(weights, biases)`` of each top-level layer of an engine spec: for a layer norm its
    gains and biases, for a residual block its layers' weights (and projection) and biases;
    a dropout layer has none."""
    from neuroviz.engine import Network

    out = []
    for layer in Network.from_spec(spec, seed=0).layers:
        weights = biases = 0
        for name, shape in zip(layer.param_names(), layer.param_shapes()):
            size = 1
            for d in shape:
                size *= int(d)
            if name.split(".")[-1] in ("b", "bias"):
                biases += size
            else:
                weights += size
        out.append((weights, biases))
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
