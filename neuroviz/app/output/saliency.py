"""Saliency: which inputs does the network's answer for one example depend on?

For the selected example (a row of the data, or on image data the learner's drawing) the view
shows one bar per input, the derivative of the output with
respect to that input, ``∂p/∂xᵢ`` (blue: the output rises with the input, orange: it falls).
For 2-D data it also draws a map of the saliency's size ``Σᵢ |∂p/∂xᵢ|`` over the whole plane,
with the example marked: large along the decision boundary, near zero deep inside a class.

The derivative is computed exactly (float64 NumPy), by the same backward pass training uses,
carried one step further to the inputs: start from ``∂p/∂p = 1`` at the output and multiply
back through each layer (``dz = da · f'(z)``, ``dx = dz @ Wᵀ``). For several classes ``p`` is
the probability of the class the network predicts for the example.

Showing an example's saliency reports the lesson event ``saliency_shown``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from neuroviz.app import palette as palettes
from neuroviz.app.constants import GRID_N

__all__ = ["SaliencyView", "input_gradients", "saliency_class"]


def saliency_class(net, X: np.ndarray) -> np.ndarray:
    """The output each example's saliency is about: the predicted class (0 for one output)."""
    p = net.predict(X)
    if p.shape[1] == 1:
        return np.zeros(len(p), dtype=int)
    return np.argmax(p, axis=1)


def input_gradients(net, X, outputs=None) -> np.ndarray:
    """``∂ output / ∂ input`` for each row of ``X`` (n, inputs), exact float64.

    ``outputs`` gives, per row, which output unit to differentiate (default: the predicted
    class, see :func:`saliency_class`). Uses ``net.forward_all`` and each layer kind's own
    backward step, so it holds for every kind (convolution, pooling, residual blocks...).
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    cache = net.forward_all(X)
    if outputs is None:
        outputs = saliency_class(net, X)
    outputs = np.asarray(outputs, dtype=int)
    rows = np.arange(len(X))
    layers = net.layers
    z, a = cache[-1]
    last = layers[-1]
    if last.activation == "softmax":
        # ∂p_c/∂z_k = p_c (δ_ck − p_k)
        pc = a[rows, outputs][:, None]
        dz = -pc * a
        dz[rows, outputs] += pc[:, 0]
    else:
        da = np.zeros_like(a)
        da[rows, outputs] = 1.0
        dz = last.dz_from_da(z, a, da)
    dx = dz
    for i in range(len(layers) - 1, -1, -1):
        x_in = X if i == 0 else cache[i - 1].a
        _, dx = layers[i].backward(x_in, dz, cache[i])
        if i > 0:
            z_prev, a_prev = cache[i - 1]
            dz = layers[i - 1].dz_from_da(z_prev, a_prev, dx)
    return dx


class SaliencyView(QWidget):
    """Bars of ∂p/∂input for the selected example, and a saliency map for 2-D data."""

    event_happened = Signal(str)  # "saliency_shown"
    open_requested = Signal()

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saliency")
        self.window = window
        self.gradients: np.ndarray | None = None  # of the example shown, one per input
        self.example: tuple[str, int] | None = None
        self.map: np.ndarray | None = None
        self._dirty = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("Click an example in the output plot to see its saliency.")
        self.title.setObjectName("saliency_title")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.bars_plot = pg.PlotWidget(background=None)
        self.bars_plot.setObjectName("saliency_bars")
        self.bars_plot.setMinimumHeight(140)
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.setMouseEnabled(False, False)
        self.bars_plot.getPlotItem().hideButtons()
        self.bars_plot.setLabel("bottom", "\u2202p / \u2202input")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[])
        self.bars_plot.addItem(self.bars)
        self.bars_plot.addLine(x=0, pen=pg.mkPen("#888888"))
        layout.addWidget(self.bars_plot, 1)
        self.map_label = QLabel("Saliency over the plane: \u03a3 |\u2202p/\u2202input| "
                                "(dark: the answer barely moves; bright: it moves a lot)")
        self.map_label.setWordWrap(True)
        layout.addWidget(self.map_label)
        self.map_plot = pg.PlotWidget(background=None)
        self.map_plot.setObjectName("saliency_map")
        self.map_plot.setMinimumHeight(180)
        self.map_plot.setMenuEnabled(False)
        self.map_plot.getPlotItem().hideButtons()
        self.map_plot.setAspectLocked(True)
        self.map_image = pg.ImageItem()
        self.map_image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self.map_plot.addItem(self.map_image)
        self.map_marker = pg.ScatterPlotItem(size=14, symbol="o", pen=pg.mkPen("#ff2d2d", width=2),
                                             brush=None)
        self.map_plot.addItem(self.map_marker)
        layout.addWidget(self.map_plot, 2)
        window.output_view.example_selected.connect(lambda *_: self.show_selected())
        if hasattr(window, "selected_example_changed"):  # a drawing became (or left) it
            window.selected_example_changed.connect(self._follow_drawing)
        window.snapshot_drawn.connect(self._on_snapshot)
        window.experiment_applied.connect(self._clear)

    # -- public ----------------------------------------------------------------------------
    def open(self) -> None:
        """Ask the window to show this view (its dock)."""
        self.open_requested.emit()

    def show_selected(self) -> bool:
        """Compute and show the saliency of the example selected in the output view; reports
        ``saliency_shown`` when the view is open. False when there is nothing to show."""
        # the window's selected example (a row, or the learner's drawing on image data);
        # 2-D data: the point picked on the output plot
        selected = getattr(self.window, "selected_example", None) or \
            getattr(self.window.output_view, "selected", None)
        if selected is None:
            return False
        self.example = (str(selected[0]), int(selected[1]))
        if not self._draw():
            return False
        if self.isVisible():
            self.event_happened.emit("saliency_shown")
        return True

    # -- drawing ---------------------------------------------------------------------------
    def _net(self):
        from neuroviz.engine import Network

        snap = self.window.latest_snapshot
        if snap is None:
            return None
        try:
            net = Network.from_spec(self.window.state.spec)
            net.set_weights(snap.weights)
        except ValueError:
            return None
        return net

    def _draw(self) -> bool:
        ds = self.window.dataset
        net = self._net()
        if ds is None or net is None or self.example is None:
            return False
        split, row = self.example
        if split == "drawn":
            drawn = getattr(self.window, "drawn_example", None)
            if drawn is None or drawn.size != ds.n_features:
                return False
            x = drawn[None, :]
        else:
            X = ds.X_train if split == "train" else ds.X_test
            if not 0 <= row < len(X):
                return False
            x = X[row:row + 1]
        c = int(saliency_class(net, x)[0])
        g = input_gradients(net, x, [c])[0]
        self.gradients = g
        p = float(net.predict(x)[0, c])
        names = list(ds.feature_names)
        what = "the output" if ds.task == "regression" else (
            f"P({ds.class_names[c]})" if len(ds.class_names) > c and net.n_outputs > 1
            else f"P({ds.class_names[-1]})" if ds.class_names else "the output")
        which = "your drawing" if split == "drawn" else f"{split} example {row + 1}"
        self.title.setText(f"Saliency of {which}: \u2202{what}/\u2202input "
                           f"({what} = {p:.3f})")
        pal = palettes.current_palette()
        brushes = [pal.positive if v >= 0 else pal.negative for v in g]
        n = len(g)
        self.bars.setOpts(x0=np.minimum(g, 0.0), y=np.arange(n), width=np.abs(g), height=0.6,
                          brushes=brushes)
        left = self.bars_plot.getAxis("left")
        left.setTicks([[(k, names[k] if k < len(names) else f"x{k + 1}") for k in range(n)]])
        vmax = float(np.max(np.abs(g))) if n else 1.0
        vmax = vmax if vmax > 0 else 1.0
        self.bars_plot.setXRange(-vmax * 1.1, vmax * 1.1, padding=0)
        self.bars_plot.setYRange(-0.6, n - 0.4, padding=0)
        self._draw_map(ds, net, split, row)
        self._dirty = False
        return True

    def _draw_map(self, ds, net, split: str, row: int) -> None:
        is_2d = ds.kind == "2d" and ds.extent is not None
        self.map_plot.setVisible(is_2d)
        self.map_label.setVisible(is_2d)
        if not is_2d:
            self.map = None
            return
        lo, hi = ds.extent
        xs = np.linspace(lo, hi, GRID_N)
        gx, gy = np.meshgrid(xs, xs)
        points = ds.transform(np.column_stack([gx.ravel(), gy.ravel()]))
        with np.errstate(all="ignore"):
            g = input_gradients(net, points)
        size = np.abs(g).sum(axis=1).reshape(GRID_N, GRID_N)
        self.map = size
        top = float(np.nanmax(size)) if np.isfinite(size).any() else 1.0
        self.map_image.setImage(np.ascontiguousarray(size.T, dtype=np.float32),
                                autoLevels=False, levels=(0.0, max(top, 1e-9)))
        step = (hi - lo) / (GRID_N - 1)
        self.map_image.setRect(lo - step / 2, lo - step / 2, hi - lo + step, hi - lo + step)
        pts = ds.points_train if split == "train" else ds.points_test
        if pts is not None and 0 <= row < len(pts):
            self.map_marker.setData([pts[row, 0]], [pts[row, 1]])

    def _follow_drawing(self) -> None:
        if self.isVisible():
            self.show_selected()
        else:
            self._dirty = True
            selected = getattr(self.window, "selected_example", None)
            if selected is not None:
                self.example = (str(selected[0]), int(selected[1]))

    def _on_snapshot(self, _snap) -> None:
        self._dirty = True
        if self.isVisible() and self.example is not None and not self.window.is_running:
            self._draw()

    def _clear(self) -> None:
        self.example = None
        self.gradients = None
        self.bars.setOpts(x0=[], y=[], width=[], height=0.6)
        self.map_marker.setData([], [])
        self.title.setText("Click an example in the output plot to see its saliency.")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty and self.example is not None:
            self._draw()

