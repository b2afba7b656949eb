"""What does a hidden neuron respond to? Its output against each input and each named factor.

For the selected neuron of the first hidden layer, one small scatter plot per input feature and
per named quantity of the data (for the box-office films: spend, awareness, distribution, see
:mod:`neuroviz.lessons.factors`) shows the neuron's output for every training example against
that quantity, titled with their correlation ``r``. A neuron "tracks" a quantity when its
points line up (``r`` near +1 or −1).

The name picker gives the selected neuron a name: one of the factors, or "none". The names
(:attr:`NeuronResponseView.names`) are what a lesson's naming goal checks.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from neuroviz.lessons.factors import FACTORS, NONE

__all__ = ["NeuronResponseView", "correlation", "neuron_outputs"]

UNNAMED = "\u2014"
MAX_PLOTS = 9


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two series (0 when either does not vary)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    sa, sb = a.std(), b.std()
    if sa < 1e-12 or sb < 1e-12:
        return 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def neuron_outputs(net, X: np.ndarray) -> np.ndarray:
    """Outputs of the first hidden layer's neurons for each example (n, neurons)."""
    return np.asarray(net.forward_all(X)[0][1])


class NeuronResponseView(QWidget):
    """Scatter plots of one hidden neuron's output against inputs and factors; naming."""

    names_changed = Signal(object)  # {neuron index: name}
    open_requested = Signal()

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuron_response")
        self.window = window
        self.names: dict[int, str] = {}
        self.neuron = 0
        self.correlations: dict[str, float] = {}  # of the selected neuron, by quantity
        self._dirty = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Hidden neuron:"))
        self.neuron_box = QComboBox()
        self.neuron_box.setObjectName("neuron_response_neuron")
        self.neuron_box.setToolTip("The neuron of the first hidden layer to look at (hovering "
                                   "a neuron on the network also selects it)")
        self.neuron_box.currentIndexChanged.connect(self._on_neuron_chosen)
        row.addWidget(self.neuron_box, 1)
        row.addWidget(QLabel("Name it:"))
        self.name_box = QComboBox()
        self.name_box.setObjectName("neuron_response_name")
        self.name_box.setToolTip("Name the neuron after the quantity its output follows, or "
                                 "'none' when it follows none of them closely")
        self.name_box.activated.connect(self._on_name_chosen)
        row.addWidget(self.name_box, 1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setObjectName("neuron_response_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.grid = QGridLayout()
        self.plots: list[pg.PlotWidget] = []
        self.scatters: list[pg.ScatterPlotItem] = []
        self._factor_brush = pg.mkBrush(10, 95, 163, 150)
        self._input_brush = pg.mkBrush(120, 120, 120, 150)
        for k in range(MAX_PLOTS):
            plot = pg.PlotWidget(background=None)
            plot.setMinimumSize(120, 110)
            plot.setMenuEnabled(False)
            plot.getPlotItem().hideButtons()
            scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(10, 95, 163, 140))
            plot.addItem(scatter)
            self.grid.addWidget(plot, k // 3, k % 3)
            self.plots.append(plot)
            self.scatters.append(scatter)
        layout.addLayout(self.grid, 1)
        self.summary = QLabel()
        self.summary.setObjectName("neuron_response_names")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        window.snapshot_drawn.connect(self._on_snapshot)
        window.experiment_applied.connect(self._on_network_changed)
        window.state.subscribe(self._on_state)
        window.network_view.neuron_hovered.connect(self._on_hovered)
        self._on_network_changed()

    # -- public ----------------------------------------------------------------------------
    def open(self) -> None:
        self.open_requested.emit()

    def factor_names(self) -> tuple[str, ...]:
        ds = self.window.dataset
        from neuroviz.lessons.factors import FACTOR_NAMES

        return FACTOR_NAMES.get(getattr(ds, "name", None), ())

    def set_neuron(self, j: int) -> None:
        if 0 <= j < self.neuron_box.count():
            self.neuron_box.setCurrentIndex(j)

    def set_name(self, j: int, name: str | None) -> None:
        """Name neuron ``j`` (``None`` or the dash: no name)."""
        if name is None or name == UNNAMED:
            self.names.pop(j, None)
        else:
            self.names[j] = name
        self._update_names()
        self.names_changed.emit(dict(self.names))

    def set_names(self, names: dict[int, str]) -> None:
        self.names = dict(names)
        self._update_names()
        self.names_changed.emit(dict(self.names))

    def clear_names(self) -> None:
        if self.names:
            self.set_names({})

    # -- drawing ---------------------------------------------------------------------------
    def _hidden_units(self) -> int:
        """Neurons of the first hidden layer when it is a dense layer (0 otherwise: a
        convolution's thousand values are feature maps, shown on the network canvas)."""
        from neuroviz.app.network.kinds import top_sizes

        spec = self.window.state.spec
        if len(spec["layers"]) < 2 or spec["layers"][0].get("type", "dense") != "dense":
            return 0
        return int(top_sizes(spec)[1])

    def _on_state(self, change: str) -> None:
        if change in ("network", "dataset", "experiment"):
            self._on_network_changed()

    def _on_network_changed(self) -> None:
        n = self._hidden_units()
        self.neuron_box.blockSignals(True)
        self.neuron_box.clear()
        self.neuron_box.addItems([f"Neuron {j + 1}" for j in range(n)])
        self.neuron = min(self.neuron, max(0, n - 1))
        self.neuron_box.setCurrentIndex(self.neuron if n else -1)
        self.neuron_box.blockSignals(False)
        self.name_box.clear()
        self.name_box.addItems([UNNAMED, *self.factor_names(), NONE])
        self.names = {j: v for j, v in self.names.items() if j < n}
        self._update_names()
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def _on_neuron_chosen(self, j: int) -> None:
        if j >= 0:
            self.neuron = j
            self._update_names()
            self.redraw()

    def _on_hovered(self, k: int, j: int) -> None:
        if k == 1 and self.isVisible():
            self.set_neuron(j)

    def _on_name_chosen(self, index: int) -> None:
        self.set_name(self.neuron, self.name_box.itemText(index))

    def _update_names(self) -> None:
        name = self.names.get(self.neuron, UNNAMED)
        i = self.name_box.findText(name)
        self.name_box.setCurrentIndex(max(0, i))
        n = self._hidden_units()
        if n == 0:
            self.summary.setText("")
            return
        parts = [f"{j + 1}: {self.names.get(j, UNNAMED)}" for j in range(n)]
        self.summary.setText("Names \u2014 " + ", ".join(parts))

    def _on_snapshot(self, _snap) -> None:
        self._dirty = True
        if self.isVisible() and not self.window.is_running:
            self.redraw()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def series(self) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """The selected neuron's outputs over the training examples, and each input and
        factor over the same examples (``None`` without a hidden layer or a snapshot)."""
        ds = self.window.dataset
        snap = self.window.latest_snapshot
        if ds is None or snap is None or self._hidden_units() == 0:
            return None
        from neuroviz.engine import Network

        try:
            net = Network.from_spec(self.window.state.spec)
            net.set_weights(snap.weights)
        except ValueError:
            return None
        X = ds.X_train
        outputs = neuron_outputs(net, X)
        if self.neuron >= outputs.shape[1]:
            return None
        raw = X
        if ds.feature_mean is not None and ds.feature_std is not None:
            raw = X * np.asarray(ds.feature_std) + np.asarray(ds.feature_mean)
        against = {name: raw[:, i] for i, name in enumerate(ds.feature_names)}
        factors_of = FACTORS.get(ds.name)
        if factors_of is not None:
            against.update(factors_of(ds, X))
        return outputs[:, self.neuron], against

    def redraw(self) -> None:
        self._dirty = False
        data = self.series()
        if data is None:
            first = self.window.state.spec["layers"][0].get("type", "dense")
            if first != "dense" and len(self.window.state.spec["layers"]) > 1:
                self.message.setText(f"This view shows what each neuron of a first dense "
                                     f"hidden layer responds to; this network starts with a "
                                     f"{first} layer, whose maps the network canvas shows.")
            else:
                self.message.setText("Add a hidden layer and train: this view shows what "
                                     "each neuron of the first hidden layer responds to.")
            for plot in self.plots:
                plot.hide()
            self.correlations = {}
            return
        outputs, against = data
        factors = set(self.factor_names())
        self.correlations = {name: correlation(outputs, values)
                             for name, values in against.items()}
        shown = list(against)[:MAX_PLOTS]
        if factors:
            # the named quantities first: they are what the neuron may be named after
            shown = [n for n in against if n in factors] + [n for n in against
                                                            if n not in factors]
            shown = shown[:MAX_PLOTS]
        strongest = max(self.correlations.items(), key=lambda kv: abs(kv[1]))
        self.message.setText(f"Neuron {self.neuron + 1}'s output (up) for every training "
                             f"example, against each quantity (across; blue: the data's "
                             f"named factors, grey: inputs). Strongest: {strongest[0]} "
                             f"(r = {strongest[1]:+.2f}).")
        for k, plot in enumerate(self.plots):
            if k >= len(shown):
                plot.hide()
                continue
            name = shown[k]
            r = self.correlations[name]
            self.scatters[k].setData(np.asarray(against[name], dtype=np.float64), outputs)
            kind = "a named factor of the data" if name in factors else "an input"
            plot.setTitle(f"r={r:+.2f} {name}", size="8pt")  # r first: long names clip
            plot.setToolTip(f"x: {name} ({kind}); y: neuron {self.neuron + 1}'s output; "
                            f"correlation r = {r:+.3f}")
            self.scatters[k].setBrush(self._factor_brush if name in factors
                                      else self._input_brush)
            plot.show()
