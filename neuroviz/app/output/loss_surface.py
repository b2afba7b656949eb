"""The loss surface over two weights, with the path gradient descent takes across it.

Pick two parameters (weights or biases) of the network. The view computes the training loss
``L(w_a, w_b)`` on a grid of values of those two, every other parameter held at its value when
the surface was computed, and draws it as a heatmap with contour lines (the colour is
``log10`` of the loss, so the valley floor stays visible). While the network trains, the
path of ``(w_a, w_b)`` is drawn on top: with a small learning rate it creeps downhill, with
a large one it zig-zags across the valley or climbs out of it.

"Recentre" computes the surface again around the current weights (the others fixed at their
values now). The loss is the data loss without regularisation, as
:meth:`neuroviz.engine.Network.loss_value` gives it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["LossSurfaceView", "loss_surface", "parameter_names"]

SURFACE_N = 41
MAX_PATH = 5000


def parameter_names(spec) -> list[tuple[str, tuple[int, str, int, int]]]:
    """Every weight and bias of the dense and convolution layers as ``(label, (group, "W",
    "K" or "b", i, j))``; ``group`` indexes ``Network.get_weights`` (layers without
    parameters are not counted; the parameters of other kinds are left out). A convolution
    weight is ``(group, "K", flat index into the kernel, 0)``."""
    from neuroviz.engine import Network

    out = []
    group = 0
    for k, layer in enumerate(Network.from_spec(spec, seed=0).layers):
        if not layer.param_shapes():
            continue
        if layer.kind == "dense":
            fan_in, units = layer.n_in, layer.n_out
            for j in range(units):
                for i in range(fan_in):
                    out.append((f"layer {k + 1}: weight {i + 1}\u2192{j + 1}",
                                (group, "W", i, j)))
                out.append((f"layer {k + 1}: bias of neuron {j + 1}", (group, "b", j, 0)))
        elif layer.kind == "conv2d":
            kh, kw, c_in, filters = layer.param_shapes()[0]
            for f in range(filters):
                for u in range(kh):
                    for v in range(kw):
                        for c in range(c_in):
                            flat = ((u * kw + v) * c_in + c) * filters + f
                            chan = f", channel {c + 1}" if c_in > 1 else ""
                            out.append((f"layer {k + 1}: filter {f + 1} weight (row {u + 1}, "
                                        f"col {v + 1}{chan})", (group, "K", flat, 0)))
                out.append((f"layer {k + 1}: bias of filter {f + 1}", (group, "b", f, 0)))
        group += 1
    return out


def _get(weights, where) -> float:
    k, kind, i, j = where
    W, b = weights[k]
    if kind == "K":
        return float(W.flat[i])
    return float(W[i, j]) if kind == "W" else float(b[i])


def _set(weights, where, value: float) -> None:
    k, kind, i, j = where
    W, b = weights[k]
    if kind == "K":
        W.flat[i] = value
    elif kind == "W":
        W[i, j] = value
    else:
        b[i] = value


def _copy(tree):
    """A deep float64 copy of ``Network.get_weights`` (residual blocks nest their arrays)."""
    if tree is None or isinstance(tree, np.ndarray):
        return None if tree is None else np.array(tree, dtype=np.float64)
    return type(tree)(_copy(item) for item in tree) if isinstance(tree, tuple) else \
        [_copy(item) for item in tree]


def loss_surface(net, weights, X, Y, a, b, xs, ys) -> np.ndarray:
    """Loss ``L[iy, ix]`` with parameter ``a`` at ``xs[ix]`` and ``b`` at ``ys[iy]``, all other
    parameters as in ``weights`` (``Network.get_weights``: one ``(W, b)`` or ``(K, b)`` per
    layer with parameters). Uses ``net`` (its weights change)."""
    w = _copy(weights)
    out = np.empty((len(ys), len(xs)))
    with np.errstate(all="ignore"):
        for iy, vy in enumerate(ys):
            _set(w, b, vy)
            for ix, vx in enumerate(xs):
                _set(w, a, vx)
                net.set_weights(w)
                out[iy, ix] = net.loss_value(X, Y)
    return out


class LossSurfaceView(QWidget):
    """Heatmap and contours of the loss over two chosen parameters, with the descent path."""

    open_requested = Signal()

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loss_surface")
        self.window = window
        self.params: list[tuple[str, tuple]] = []
        self.xs = self.ys = None
        self.surface: np.ndarray | None = None
        self.base_weights = None  # the weights the surface was computed around
        self.path: list[tuple[float, float]] = []
        self._dirty = True
        self._stale = False
        self._generation = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.a_box = QComboBox()
        self.a_box.setObjectName("loss_surface_x")
        self.b_box = QComboBox()
        self.b_box.setObjectName("loss_surface_y")
        for box, what in ((self.a_box, "across"), (self.b_box, "up")):
            box.setToolTip(f"The parameter drawn {what}")
            box.activated.connect(lambda *_: self.recompute())
        self.recentre_button = QPushButton("Recentre")
        self.recentre_button.setObjectName("loss_surface_recentre")
        self.recentre_button.setToolTip("Compute the surface again around the current weights")
        self.recentre_button.clicked.connect(lambda _=False: self.recompute())
        row.addWidget(QLabel("x:"))
        row.addWidget(self.a_box, 1)
        row.addWidget(QLabel("y:"))
        row.addWidget(self.b_box, 1)
        row.addWidget(self.recentre_button)
        layout.addLayout(row)
        self.caption = QLabel()
        self.caption.setObjectName("loss_surface_caption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setObjectName("loss_surface_plot")
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.setMinimumSize(220, 200)
        self.image = pg.ImageItem()
        self.image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.contours = [pg.IsocurveItem(pen=pg.mkPen(255, 255, 255, 110)) for _ in range(8)]
        for c in self.contours:
            c.setParentItem(self.image)
        self.path_item = pg.PlotDataItem(pen=pg.mkPen("#ff5a36", width=2), symbol="o",
                                         symbolSize=3, symbolBrush="#ff5a36", symbolPen=None)
        self.plot.addItem(self.path_item)
        self.head = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#ffffff"),
                                       pen=pg.mkPen("#ff5a36", width=2))
        self.plot.addItem(self.head)
        layout.addWidget(self.plot, 1)
        window.snapshot_drawn.connect(self._on_snapshot)
        window.experiment_applied.connect(self._on_network_changed)
        window.state.subscribe(self._on_state)
        window.worker.snapshot_ready.connect(self._on_worker_snapshot)
        self._on_network_changed()

    # -- public ----------------------------------------------------------------------------
    def open(self) -> None:
        self.open_requested.emit()

    def choose(self, a: int, b: int) -> None:
        """Draw parameter ``a`` across and ``b`` up (indices into :attr:`params`)."""
        self.a_box.setCurrentIndex(a)
        self.b_box.setCurrentIndex(b)
        self.recompute()

    @property
    def chosen(self) -> tuple[tuple, tuple] | None:
        a, b = self.a_box.currentIndex(), self.b_box.currentIndex()
        if a < 0 or b < 0 or not self.params:
            return None
        return self.params[a][1], self.params[b][1]

    def recompute(self) -> bool:
        """Compute the surface around the current weights; False when there are none."""
        from neuroviz.engine import Network

        snap = self.window.latest_snapshot
        ds = self.window.dataset
        chosen = self.chosen
        if snap is None or ds is None or chosen is None:
            return False
        a, b = chosen
        if a == b:
            self.caption.setText("Choose two different parameters.")
            return False
        try:
            net = Network.from_spec(self.window.state.spec)
            net.set_weights(snap.weights)
        except ValueError:
            return False
        weights = net.get_weights()
        ca, cb = _get(weights, a), _get(weights, b)
        span_a = max(2.0, 1.5 * abs(ca))
        span_b = max(2.0, 1.5 * abs(cb))
        self.xs = np.linspace(ca - span_a, ca + span_a, SURFACE_N)
        self.ys = np.linspace(cb - span_b, cb + span_b, SURFACE_N)
        self.base_weights = weights
        self.surface = loss_surface(net, weights, ds.X_train, ds.Y_train, a, b,
                                    self.xs, self.ys)
        self._draw_surface()
        self.path = [(ca, cb)]
        self._generation = self.window.worker.generation  # the run these weights belong to
        self._stale = False
        self._draw_path()
        self._dirty = False
        epoch = self.window.state.epoch_offset + int(snap.epoch)
        self.caption.setText(f"Training loss (colour: log\u2081\u2080) over two parameters; "
                             f"every other parameter fixed at its value at epoch {epoch}. "
                             f"The orange path is where training takes these two.")
        return True

    # -- drawing ---------------------------------------------------------------------------
    def _draw_surface(self) -> None:
        s = self.surface
        finite = np.isfinite(s)
        if not finite.any():
            self.image.clear()
            return
        low = np.log10(np.maximum(np.where(finite, s, np.nanmax(s[finite])), 1e-12))
        lo, hi = float(low.min()), float(low.max())
        hi = hi if hi > lo else lo + 1e-9
        image = np.ascontiguousarray(low.T, dtype=np.float32)  # pyqtgraph: x first
        self.image.setImage(image, autoLevels=False, levels=(lo, hi))
        x0, x1, y0, y1 = self.xs[0], self.xs[-1], self.ys[0], self.ys[-1]
        dx = (x1 - x0) / (len(self.xs) - 1)
        dy = (y1 - y0) / (len(self.ys) - 1)
        self.image.setRect(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)
        for c, level in zip(self.contours, np.linspace(lo, hi, len(self.contours) + 2)[1:-1]):
            c.setData(image)
            c.setLevel(float(level))
        names = dict((where, label) for label, where in self.params)
        a, b = self.chosen
        self.plot.setLabel("bottom", names.get(a, ""))
        self.plot.setLabel("left", names.get(b, ""))
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _draw_path(self) -> None:
        if not self.path:
            self.path_item.setData([], [])
            self.head.setData([], [])
            return
        p = np.asarray(self.path)
        self.path_item.setData(p[:, 0], p[:, 1], skipFiniteCheck=True)
        self.head.setData([p[-1, 0]], [p[-1, 1]])

    def _on_worker_snapshot(self, snap, generation: int) -> None:
        """Every published snapshot adds a point to the path (drawn at the next frame)."""
        chosen = self.chosen
        if chosen is None or self.surface is None:
            return
        if generation != self._generation:
            self._generation = generation
            self.path = []
            self._stale = True  # new weights: compute the surface around them
        try:
            point = (_get(snap.weights, chosen[0]), _get(snap.weights, chosen[1]))
        except (IndexError, ValueError):
            return
        if np.isfinite(point).all():
            self.path.append(point)
            del self.path[:-MAX_PATH]

    def _on_snapshot(self, _snap) -> None:
        if not self.isVisible():
            self._dirty = self._dirty or self.surface is None
            return
        if self.surface is None or self._stale:
            self._stale = False
            self.recompute()
        else:
            self._draw_path()

    def _on_state(self, change: str) -> None:
        if change in ("network", "dataset"):
            self._on_network_changed()

    def _on_network_changed(self) -> None:
        self.params = parameter_names(self.window.state.spec)
        labels = [label for label, _ in self.params]
        for box, index in ((self.a_box, 0), (self.b_box, 1)):
            box.blockSignals(True)
            box.clear()
            box.addItems(labels)
            box.setCurrentIndex(min(index, len(labels) - 1))
            box.blockSignals(False)
        self.surface = None
        self.path = []
        self._dirty = True
        self.image.clear()
        self._draw_path()
        self.caption.setText("The surface is computed when this view is open and the network "
                             "has weights.")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty or self.surface is None:
            self.recompute()
