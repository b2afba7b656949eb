"""Per-layer gradient-norm chart: vanishing and exploding gradients, layer by layer.

For every snapshot that carries gradients (the gradient view asks the worker for them) the
chart adds one point per dense layer: the Euclidean norm of that layer's weight gradient
``‖dL/dW‖`` of the last mini-batch, against epoch, on a logarithmic axis. In a deep sigmoid
network the curves of the first layers sit orders of magnitude below the last one.

Plot items are created once per layer and updated with ``setData(..., skipFiniteCheck=True)``.
Run ``python -m neuroviz.app.output.gradient_chart`` to see it with a real training run.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from neuroviz.app import palette as palettes

__all__ = ["GradientNormChart", "layer_gradient_norms"]

MAX_POINTS = 2000
NORM_FLOOR = 1e-12


def layer_gradient_norms(gradients) -> np.ndarray:
    """‖dW‖ (Frobenius norm) of each layer's weight gradient: a dense layer's dW, a residual
    block's first weight matrix (its first inner layer), a layer norm's gain gradient."""
    return np.array([float(np.linalg.norm(_first_weights(group))) for group in gradients])


def _first_weights(group) -> np.ndarray:
    if isinstance(group, np.ndarray):
        return group
    return _first_weights(group[0])


class GradientNormChart(QWidget):
    """One curve per dense layer: ‖dL/dW‖ of the last mini-batch against epoch (log scale)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradient_chart")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.summary = QLabel("Gradient norms appear while training with the gradient view on.")
        self.summary.setObjectName("gradient_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("gradient_plot")
        self.plot.setMinimumHeight(140)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(False, False)
        self.plot.setLogMode(x=False, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "\u2016dL/dW\u2016")
        self.plot.setToolTip("Size of each layer's weight gradient (last mini-batch). Curves far "
                             "below the others mean vanishing gradients: those layers barely "
                             "learn.")
        self.legend = self.plot.addLegend(offset=(-8, 8))
        layout.addWidget(self.plot, 1)
        self.curves: list[pg.PlotDataItem] = []
        self.epochs: list[float] = []
        self.norms: list[np.ndarray] = []
        self.scale = 1.0
        palettes.notifier.palette_changed.connect(self._on_palette_changed)

    def clear(self) -> None:
        self.epochs = []
        self.norms = []
        for curve in self.curves:
            self.legend.removeItem(curve)
            self.plot.removeItem(curve)
        self.curves = []
        self.summary.setText("Gradient norms appear while training with the gradient view on.")

    def add(self, epoch: float, gradients) -> bool:
        """Add the norms of one snapshot's gradients; False if they were not usable."""
        if gradients is None:
            return False
        norms = layer_gradient_norms(gradients)
        if not np.all(np.isfinite(norms)):
            return False
        if self.norms and len(self.norms[-1]) != len(norms):
            self.clear()  # the architecture changed
        if self.epochs and epoch < self.epochs[-1]:
            self.clear()  # a new run
        self.epochs.append(float(epoch))
        self.norms.append(norms)
        if len(self.epochs) > MAX_POINTS:  # keep memory bounded: thin the older half
            half = len(self.epochs) // 2
            self.epochs[:half] = self.epochs[:half:2]
            self.norms[:half] = self.norms[:half:2]
        self._redraw()
        return True

    def add_snapshot(self, snap, epoch_offset: float = 0.0) -> bool:
        return self.add(epoch_offset + snap.epoch_progress, snap.gradients)

    def set_scale(self, factor: float) -> None:
        self.scale = float(factor)
        self._restyle()

    def _redraw(self) -> None:
        data = np.maximum(np.array(self.norms), NORM_FLOOR)
        n_layers = data.shape[1]
        if len(self.curves) != n_layers:
            for curve in self.curves:
                self.legend.removeItem(curve)
                self.plot.removeItem(curve)
            self.curves = [self.plot.plot(name=_layer_name(k, n_layers)) for k in range(n_layers)]
            self._restyle()
        x = np.array(self.epochs)
        for k, curve in enumerate(self.curves):
            curve.setData(x, data[:, k], skipFiniteCheck=True)
        last = data[-1]
        ratio = last[0] / last[-1] if last[-1] > 0 else 1.0
        text = "   ".join(f"{_layer_name(k, n_layers)}: {v:.2g}" for k, v in enumerate(last))
        if n_layers > 1 and ratio < 1e-2:
            text += "   \u2014 the first layer's gradient is tiny: vanishing gradients"
        elif n_layers > 1 and ratio > 1e2:
            text += "   \u2014 the first layer's gradient is huge: exploding gradients"
        self.summary.setText(text)

    def _restyle(self) -> None:
        pal = palettes.current_palette()
        n = len(self.curves)
        for k, curve in enumerate(self.curves):
            curve.setPen(pg.mkPen(pal.class_colour(k % 10), width=2 * self.scale))
        del n

    def _on_palette_changed(self, _name: str) -> None:
        self._restyle()


def _layer_name(k: int, n_layers: int) -> str:
    return "output" if k == n_layers - 1 else f"layer {k + 1}"


def _demo() -> int:  # pragma: no cover - manual look
    import sys

    from PySide6.QtWidgets import QApplication

    from neuroviz.data import load_dataset
    from neuroviz.engine import Network, Trainer

    app = QApplication.instance() or QApplication(sys.argv)
    ds = load_dataset("spiral")
    spec = {"inputs": ds.n_features, "loss": ds.loss, "layers": [
        *[{"type": "dense", "units": 8, "activation": "sigmoid"} for _ in range(5)],
        {"type": "dense", "units": ds.n_outputs, "activation": ds.output_activation}]}
    trainer = Trainer(Network.from_spec(spec), ds.X_train, ds.Y_train, optimizer="sgd", lr=0.1)
    chart = GradientNormChart()
    for _ in range(200):
        chart.add_snapshot(trainer.run(20, gradients=True))
    chart.resize(700, 300)
    chart.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
