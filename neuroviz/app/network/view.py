"""The network canvas: nodes, edges, biases, per-neuron heatmaps and architecture controls.

Everything variable is drawn by one custom-painted widget (:class:`NetworkCanvas`) with QPainter:
edges are batched into a handful of pens (sign x magnitude bin), neuron heatmaps are QImages
wrapping LUT-mapped buffers that are updated in place (:mod:`.heatmaps`). Controls (+/-
buttons, activation pickers, captions) are ordinary child widgets positioned over the canvas.

Run ``python -m neuroviz.app.network.demo`` to see it on its own with live training.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app import palette as _palette
from neuroviz.app.network.canvas import BASE_POINT_SIZE, MAX_NEURONS, ColourLegend, NetworkCanvas
from neuroviz.app.network.editor import ValueEditor
from neuroviz.app.network.heatmaps import HeatmapLayer
from neuroviz.app.network.text import DescriptionsMixin, activation_title, layer_name

__all__ = [
    "MAX_HIDDEN_LAYERS",
    "MAX_NEURONS",
    "NetworkCanvas",
    "ZOOM_MAX",
    "ZOOM_MIN",
    "NetworkView",
    "activation_title",
]

MAX_HIDDEN_LAYERS = 32
MIN_NEURONS = 1
#: Heatmap samples per side drawn in a neuron (finer plane grids are thinned to this).
NODE_GRID = 50
#: Zoom range of the canvas (1 = the whole network fits the view; View › Zoom In/Out).
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 1.0, 4.0, 1.25

try:  # the engine is the source of truth for activation names
    from neuroviz.engine import ACTIVATIONS as _ACTIVATIONS
    from neuroviz.engine import OUTPUT_ACTIVATIONS as _OUTPUT_ACTIVATIONS
except ImportError:  # engine not importable (e.g. while it is being written)
    _ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus",
                    "swish", "gelu", "sine", "gaussian")
    _OUTPUT_ACTIVATIONS = _ACTIVATIONS + ("softmax",)

try:
    from neuroviz.engine.activations import FORMULAS as _FORMULAS
except ImportError:
    _FORMULAS = {}

class NetworkView(DescriptionsMixin, QWidget):
    """Centre canvas of the playground (see /work/notes/api.md for the contract).

    Node layer 0 is the input, node layer ``k >= 1`` is dense layer ``k``; weights into node
    layer ``k`` are ``snap.weights[k-1]`` with ``W[i, j]`` from node ``i`` to node ``j``.
    """

    add_layer_requested = Signal()
    remove_layer_requested = Signal()
    add_neuron_requested = Signal(int)
    remove_neuron_requested = Signal(int)
    activation_change_requested = Signal(int, str)
    weight_edited = Signal(int, int, int, float)
    bias_edited = Signal(int, int, float)
    neuron_hovered = Signal(int, int)
    zoom_changed = Signal(float)

    canvas_help = ("Hover a neuron or a connection to see its exact value; click it to type a "
                   "new bias or weight.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("network_view")
        self.scale = 1.0
        self.zoom = 1.0
        self.feature_names: list[str] = []
        self.layer_sizes: list[int] = []
        self.activations: list[str] = []
        self.output_names: list[str] = []
        self.output_choices: tuple[str, ...] = tuple(_OUTPUT_ACTIVATIONS)
        self.weights: list[tuple[np.ndarray, np.ndarray]] | None = None
        self.gradients: list[tuple[np.ndarray, np.ndarray]] | None = None
        self.edge_mode = "weights"
        self.heatmaps: dict[int, HeatmapLayer] = {}
        self._examples: list[np.ndarray] | None = None
        self.highlighted: tuple | None = None
        self._layer_controls: list[dict[str, QWidget]] = []
        self.button_size = 24.0
        self.combo_height = 24.0
        self.column_min_width = 120.0

        # top bar: hidden-layer count and its +/- buttons
        self.add_layer_btn = QPushButton("+")
        self.add_layer_btn.setObjectName("add_layer")
        self.remove_layer_btn = QPushButton("\u2212")
        self.remove_layer_btn.setObjectName("remove_layer")
        self.layers_label = QLabel()
        self.layers_label.setObjectName("hidden_layers_label")
        self.mode_label = QLabel()
        self.mode_label.setObjectName("edge_mode_label")
        # Shown only where it fits (see resizeEvent): the edge colours say it too.
        self.mode_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.add_layer_btn.clicked.connect(self.add_layer_requested)
        self.remove_layer_btn.clicked.connect(self.remove_layer_requested)
        top = self.top_row = QHBoxLayout()  # other features may add small labels here
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.add_layer_btn)
        top.addWidget(self.remove_layer_btn)
        top.addWidget(self.layers_label)
        top.addStretch(1)
        self.legend = ColourLegend()
        # Shown where it fits (see _fit_top_bar): a narrow view keeps its width for the network.
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        top.addWidget(self.legend)
        top.addSpacing(12)
        top.addWidget(self.mode_label)

        self.canvas = NetworkCanvas(self)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("network_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setWidget(self.canvas)
        self.scroll.viewport().installEventFilter(self)
        self.editor = ValueEditor(self.canvas)
        self._edit_target: tuple | None = None
        self.editor.value_accepted.connect(self._apply_edit)

        lay = QVBoxLayout(self)
        # Minimum size from minimumSizeHint (below): the colour key and the edge-mode caption
        # step aside in a narrow view instead of holding the window's width up.
        lay.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.scroll, 1)
        self.set_edge_mode("weights")
        _palette.notifier.palette_changed.connect(self._on_palette_changed)
        self.set_scale(1.0)

    # -- structure ---------------------------------------------------------------------
    def set_network(self, feature_names, layer_sizes, activations, output_names=()) -> None:
        """Rebuild for a new architecture. ``layer_sizes`` = [inputs, units_1, ..., units_L]."""
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or len(activations) != len(sizes) - 1:
            raise ValueError("layer_sizes needs inputs and at least one dense layer, and one "
                             "activation per dense layer")
        changed = sizes != self.layer_sizes
        self.feature_names = [str(n) for n in feature_names]
        self.layer_sizes = sizes
        self.activations = [str(a) for a in activations]
        self.output_names = [str(n) for n in output_names]
        if changed:
            self.weights = self.gradients = None
            self._examples = None
            self.heatmaps = {k: h for k, h in self.heatmaps.items()
                             if k == 0 and h.units == sizes[0]}
            self.highlighted = None
            self.editor.close_editor()
        bars = (self.scroll.horizontalScrollBar(), self.scroll.verticalScrollBar())
        kept = [bar.value() for bar in bars]
        self._build_controls()
        self.canvas.relayout()
        for bar, value in zip(bars, kept):  # an edit never scrolls the canvas
            bar.setValue(value)

    def set_output_activation_choices(self, names) -> None:
        """Activations the output layer may use (depends on the loss)."""
        self.output_choices = tuple(names)
        if self._layer_controls:
            self._fill_combo(len(self.layer_sizes) - 1)

    @property
    def n_hidden(self) -> int:
        return max(len(self.layer_sizes) - 2, 0)

    def _build_controls(self) -> None:
        if len(self._layer_controls) == len(self.layer_sizes):
            # Same number of layers: update in place, so a picker keeps its focus and place.
            for k in range(1, len(self.layer_sizes)):
                self._fill_combo(k)
            self._update_captions()
            self._update_limits()
            return
        for ctrls in self._layer_controls:
            for w in ctrls.values():
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self._layer_controls = []
        last = len(self.layer_sizes) - 1
        for k in range(len(self.layer_sizes)):
            c: dict[str, QWidget] = {}
            cap = QLabel(self.canvas)
            cap.setObjectName(f"caption_{k}")
            cap.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
            c["caption"] = cap
            if 1 <= k < last:
                for kind, text in (("remove_neuron", "\u2212"), ("add_neuron", "+")):
                    b = QPushButton(text, self.canvas)
                    b.setObjectName(f"{kind}_{k}")
                    sig = self.add_neuron_requested if kind == "add_neuron" else \
                        self.remove_neuron_requested
                    b.clicked.connect(lambda _=False, kk=k, sg=sig: sg.emit(kk))
                    c[kind] = b
            if k >= 1:
                combo = QComboBox(self.canvas)
                combo.setObjectName(f"activation_{k}")
                combo.currentIndexChanged.connect(lambda _i, kk=k: self._on_combo(kk))
                c["activation"] = combo
            self._layer_controls.append(c)
            if k >= 1:
                self._fill_combo(k)
        self._update_captions()
        self._update_limits()
        self._apply_fonts()
        for c in self._layer_controls:
            for w in c.values():
                w.show()
        self.editor.raise_()

    def _fill_combo(self, k: int) -> None:
        combo: QComboBox = self._layer_controls[k]["activation"]
        last = len(self.layer_sizes) - 1
        names = list(self.output_choices if k == last else _ACTIVATIONS)
        current = self.activations[k - 1]
        if current not in names:
            names.append(current)
        combo.blockSignals(True)
        combo.clear()
        for name in names:
            combo.addItem(activation_title(name), name)
            formula = _FORMULAS.get(name)
            if formula:
                combo.setItemData(combo.count() - 1, f"{activation_title(name)}: {formula}",
                                  Qt.ToolTipRole)
        combo.setCurrentIndex(names.index(current))
        combo.blockSignals(False)
        where = "the output layer" if k == last else f"hidden layer {k}"
        tip = f"Activation function of {where}"
        if k == last:
            tip += " (the choices depend on the loss)"
        combo.setToolTip(tip)

    def _on_combo(self, k: int) -> None:
        combo: QComboBox = self._layer_controls[k]["activation"]
        name = combo.currentData()
        if name and name != self.activations[k - 1]:
            self.activation_change_requested.emit(k, str(name))

    def _update_limits(self) -> None:
        h = self.n_hidden
        can_add, can_remove = h < MAX_HIDDEN_LAYERS, h > 0
        self.add_layer_btn.setEnabled(can_add)
        self.remove_layer_btn.setEnabled(can_remove)
        self.add_layer_btn.setToolTip(
            "Add a hidden layer before the output" if can_add
            else f"The network already has the maximum of {MAX_HIDDEN_LAYERS} hidden layers")
        self.remove_layer_btn.setToolTip(
            "Remove the last hidden layer" if can_remove
            else "There are no hidden layers to remove (this is logistic or linear regression)")
        self.layers_label.setText(f"{h} hidden layer{'s' if h != 1 else ''}")
        self.layers_label.setToolTip("Hidden layers between the inputs and the output "
                                     f"(0 to {MAX_HIDDEN_LAYERS})")
        self._fit_top_bar()
        for k, c in enumerate(self._layer_controls):
            if "add_neuron" not in c:
                continue
            n = self.layer_sizes[k]
            add, rem = c["add_neuron"], c["remove_neuron"]
            add.setEnabled(n < MAX_NEURONS)
            rem.setEnabled(n > MIN_NEURONS)
            add.setToolTip(f"Add a neuron to hidden layer {k}" if n < MAX_NEURONS
                           else f"Hidden layer {k} already has the maximum of {MAX_NEURONS} "
                                "neurons")
            rem.setToolTip(f"Remove the last neuron of hidden layer {k}" if n > MIN_NEURONS
                           else "A layer needs at least one neuron; remove the layer instead")

    # -- scaling -----------------------------------------------------------------------
    def set_scale(self, factor: float) -> None:
        """Scale text, nodes, lines and controls (presenter mode). 1.0 = normal."""
        self.scale = float(min(max(factor, 0.5), 4.0))
        self._apply_fonts()
        self.canvas.relayout()

    def _apply_fonts(self) -> None:
        s = self.scale
        font = QFont(self.font())
        font.setPointSizeF(BASE_POINT_SIZE * s)
        self.canvas.setFont(font)
        for w in (self.add_layer_btn, self.remove_layer_btn, self.layers_label, self.mode_label,
                  self.legend):
            w.setFont(font)
        for i in range(self.top_row.count()):  # labels other features put in the top row
            w = self.top_row.itemAt(i).widget()
            if isinstance(w, QLabel):
                w.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        self.add_layer_btn.setFont(bold)
        self.remove_layer_btn.setFont(bold)
        fm = QFontMetricsF(font)
        self.button_size = math.ceil(fm.height() + 10 * s)
        for b in (self.add_layer_btn, self.remove_layer_btn):
            b.setFixedSize(int(self.button_size), int(self.button_size))
        # Columns as narrow as the widest caption ("Hidden layer 8", bold) or a readable
        # activation picker, so 8 hidden layers fit ~1100 px at scale 1.
        bold_fm = QFontMetricsF(bold)
        caption_w = bold_fm.horizontalAdvance(f"Hidden layer {MAX_HIDDEN_LAYERS}")
        combo_w = fm.horizontalAdvance("Leaky ReLU") + 30 * s
        self.column_min_width = max(caption_w, combo_w) + 14 * s
        self.combo_height = math.ceil(fm.height() + 10 * s)
        self.editor.setFont(font)
        self._fit_top_bar()
        for c in self._layer_controls:
            for w in c.values():
                w.setFont(bold if isinstance(w, QPushButton) else font)

    def _caption_texts(self, k: int) -> list[tuple[str, str]]:
        """(bold first line, second line) from the longest to the shortest form."""
        last = len(self.layer_sizes) - 1
        n = self.layer_sizes[k]
        unit = "feature" if k == 0 else "neuron"
        plural = unit if n == 1 else unit + "s"
        name = layer_name(k, last)
        short = "In" if k == 0 else "Out" if k == last else f"L{k}"
        middle = "Input" if k == 0 else "Output" if k == last else f"Layer {k}"
        return [(name, f"{n} {plural}"), (middle, f"{n} {plural}"), (middle, str(n)),
                (short, str(n)), (str(k) if 0 < k < last else short[0], str(n))]

    def _update_captions(self) -> None:
        last = len(self.layer_sizes) - 1
        for k, c in enumerate(self._layer_controls):
            name, second = self._caption_texts(k)[0]
            tip = f"{name} \u2014 {second}"
            if k >= 1:
                tip += f", activation {activation_title(self.activations[k - 1])}"
            if 0 < k < last:
                tip += " (use + and \u2212 to change its size)"
            c["caption"].setToolTip(tip)

    def _header_parts(self, col_w: float) -> tuple[float, bool, float, bool]:
        """(button size, show buttons, picker width, show picker) for columns ``col_w`` wide."""
        s = self.scale
        bs = min(self.button_size, (col_w - 8 * s) / 2)
        show_buttons = self.n_hidden > 0 and bs >= 0.6 * self.button_size
        fm = QFontMetricsF(self.canvas.font())
        cw = min(col_w - 4 * s, self.column_min_width + 12 * s)
        show_combo = cw >= fm.horizontalAdvance("ReLU") + 26 * s
        return bs, show_buttons, cw, show_combo

    def header_height(self, col_w: float) -> float:
        """Height of the layer headers above the network for columns ``col_w`` wide: the
        caption, then (where they fit) the +/- buttons and the activation picker."""
        s = self.scale
        fm = QFontMetricsF(self.canvas.font())
        h = 4 * s + math.ceil(2 * fm.height() + 4) + 2 * s
        bs, show_buttons, _cw, show_combo = self._header_parts(col_w)
        if show_buttons:
            h += bs + 4 * s
        if show_combo:
            h += self.combo_height + 2 * s
        return h

    def _place_controls(self) -> None:
        cv = self.canvas
        if not self._layer_controls or len(cv.col_x) != len(self._layer_controls):
            return
        s = self.scale
        fm = QFontMetricsF(cv.font())
        bold = QFont(cv.font())
        bold.setBold(True)
        bold_fm = QFontMetricsF(bold)
        cap_h = math.ceil(2 * fm.height() + 4)
        bs, show_buttons, cw, show_combo = self._header_parts(cv.col_w)
        width = max(int(cv.col_w - 2 * s), 4)
        last = len(self._layer_controls) - 1
        # Very deep networks: when even "12" does not fit a column, caption every
        # ``every``-th hidden layer (the caption then spans its neighbours' room).
        widest = max(bold_fm.horizontalAdvance(str(last)), fm.horizontalAdvance("64")) + 4
        every = max(1, math.ceil(widest / max(cv.col_w, 1.0)))
        # One caption form for every hidden layer: the one the widest label fits.
        room = width if every == 1 else int(every * cv.col_w)
        widest_texts = self._caption_texts(max(last - 1, 0))
        form = next((i for i, (a, b) in enumerate(widest_texts)
                     if max(bold_fm.horizontalAdvance(a), fm.horizontalAdvance(b)) + 4 <= room),
                    len(widest_texts) - 1)
        for k, c in enumerate(self._layer_controls):
            cx = cv.col_x[k]
            y = 4 * s
            texts = self._caption_texts(k)
            room = width if every == 1 else int(every * cv.col_w)
            first, second = texts[form if 0 < k < last else 0]
            if max(bold_fm.horizontalAdvance(first), fm.horizontalAdvance(second)) + 4 > room:
                first, second = next(
                    ((a, b) for a, b in texts
                     if max(bold_fm.horizontalAdvance(a), fm.horizontalAdvance(b)) + 4 <= room),
                    texts[-1])
            shown = every == 1 or (0 < k < last and k % every == 0)
            c["caption"].setVisible(shown)
            c["caption"].setText(f"<b>{first}</b><br>{second}")
            c["caption"].setGeometry(int(cx - room / 2), int(y), room, cap_h)
            y += cap_h + 2 * s
            if "add_neuron" in c:
                c["remove_neuron"].setVisible(show_buttons)
                c["add_neuron"].setVisible(show_buttons)
                if show_buttons:
                    c["remove_neuron"].setGeometry(int(cx - bs - 3 * s), int(y), int(bs),
                                                   int(bs))
                    c["add_neuron"].setGeometry(int(cx + 3 * s), int(y), int(bs), int(bs))
            if show_buttons:
                y += bs + 4 * s
            if "activation" in c:
                c["activation"].setVisible(show_combo)
                if show_combo:
                    c["activation"].setGeometry(int(cx - cw / 2), int(y), int(cw),
                                                int(self.combo_height))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_top_bar()

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        hint.setWidth(int(2 * self.button_size + self.layers_label.sizeHint().width() + 40))
        return hint

    def _fit_top_bar(self) -> None:
        """The colour key and the edge-mode caption show only where they fit beside the
        +/- buttons and the layer count (the network needs the width more)."""
        base = 2 * self.button_size + self.layers_label.sizeHint().width() + 40
        legend = self.legend.sizeHint().width() + 12
        self.legend.setVisible(self.width() >= base + legend)
        self.mode_label.setVisible(
            self.width() >= base + legend + self.mode_label.sizeHint().width())

    # -- zoom --------------------------------------------------------------------------
    def set_zoom(self, factor: float) -> None:
        """Zoom the canvas: 1 fits the whole network in the view; above 1 it scrolls."""
        zoom = float(min(max(factor, ZOOM_MIN), ZOOM_MAX))
        if abs(zoom - 1.0) < 0.02:
            zoom = 1.0
        changed = zoom != self.zoom
        self.zoom = zoom
        self._apply_zoom()
        if changed:
            self.zoom_changed.emit(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def _apply_zoom(self) -> None:
        if self.zoom <= 1.0:
            self.canvas.setMinimumSize(0, 0)  # the canvas is exactly the viewport
            return
        frame = 2 * self.scroll.frameWidth()
        w = int((self.scroll.width() - frame) * self.zoom)
        h = int((self.scroll.height() - frame) * self.zoom)
        self.canvas.setMinimumSize(w, h)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if (obj is self.scroll.viewport() and event.type() == QEvent.Type.Resize
                and self.zoom > 1.0):
            self._apply_zoom()
        return False

    # -- data --------------------------------------------------------------------------
    def set_snapshot(self, snap) -> None:
        """Take weights, gradients and neuron grids from an engine Snapshot (NaN-safe)."""
        weights = getattr(snap, "weights", None)
        if weights is not None and self._shapes_match(weights) and _all_finite(weights):
            self.weights = [(np.asarray(W), np.asarray(b)) for W, b in weights]
        grads = getattr(snap, "gradients", None)
        if grads is not None and self._shapes_match(grads) and _all_finite(grads):
            self.gradients = [(np.asarray(W), np.asarray(b)) for W, b in grads]
        grid = getattr(snap, "grid", None)
        if grid is not None and len(grid) == len(self.layer_sizes) - 1:
            for k, g in enumerate(grid, start=1):
                self._set_heat(k, g, self.activations[k - 1])
        self.canvas.update()

    def _shapes_match(self, weights) -> bool:
        if len(weights) != len(self.layer_sizes) - 1:
            return False
        return all(np.shape(W) == (self.layer_sizes[k], self.layer_sizes[k + 1])
                   and np.shape(b) == (self.layer_sizes[k + 1],)
                   for k, (W, b) in enumerate(weights))

    def _set_heat(self, k: int, values, activation: str | None) -> None:
        values = np.asarray(values)
        full = values
        if values.ndim == 3 and min(values.shape[1:]) >= 2 * NODE_GRID:
            # A neuron is a few dozen pixels: every other sample of the plane's grid is plenty
            # (the output plot shows the full grid), at a quarter of the colouring cost.
            step = min(values.shape[1:]) // NODE_GRID
            values = values[:, ::step, ::step]
        if values.ndim != 3 or values.shape[0] != self.layer_sizes[k] or min(values.shape) < 1:
            return
        h = self.heatmaps.get(k)
        if h is None or not h.matches(values.shape):
            h = self.heatmaps[k] = HeatmapLayer(*values.shape)
        if h.update(values, activation, _palette.current_palette()):
            h.full_values = full  # the whole grid, for the large picture on hover

    def set_input_images(self, images) -> None:
        """(n_inputs, N, N) input-feature heatmaps over the plane (2-D data); None clears."""
        if images is None:
            self.heatmaps.pop(0, None)
        elif self.layer_sizes:
            self._set_heat(0, images, None)
        self.canvas.update()

    def clear_heatmaps(self) -> None:
        """Forget all neuron heatmaps (e.g. when switching to tabular data)."""
        self.heatmaps.clear()
        self.canvas.update()

    def set_example(self, values_per_layer) -> None:
        """Non-2-D data: one array per node layer with the activations for the selected example."""
        if values_per_layer is None:
            self._examples = None
        else:
            vals = [np.asarray(v, dtype=np.float64).ravel() for v in values_per_layer]
            if len(vals) == len(self.layer_sizes) and all(
                    v.size == n and np.isfinite(v).all() for v, n in zip(vals, self.layer_sizes)):
                self._examples = vals
        self.canvas.update()

    def example_values(self, k: int) -> np.ndarray | None:
        return None if self._examples is None else self._examples[k]

    def layer_activation(self, k: int) -> str | None:
        return self.activations[k - 1] if k >= 1 else None

    def neuron_image(self, k: int, j: int) -> np.ndarray | None:
        """The last finite (N, N) heatmap values of neuron ``j`` in node layer ``k`` (or None)."""
        h = self.heatmaps.get(k)
        if h is None or h.values is None or j >= h.units:
            return None
        full = getattr(h, "full_values", None)
        return h.values[j] if full is None else np.asarray(full[j])

    def hovered_neuron(self) -> tuple[int, int] | None:
        """(node layer, index) of the neuron (or bias) under the mouse, else None."""
        h = self.canvas._hover
        return (h[1], h[2]) if h and h[0] in ("node", "bias") else None

    def set_edge_mode(self, mode: str) -> None:
        """Colour and size edges by "weights" or by the last mini-batch "gradients"."""
        if mode not in ("weights", "gradients"):
            raise ValueError(f"unknown edge mode {mode!r} (choose 'weights' or 'gradients')")
        self.edge_mode = mode
        self.mode_label.setText("Edges: weights" if mode == "weights" else "Edges: gradients")
        pal = _palette.current_palette()
        self._fit_top_bar()
        self.mode_label.setToolTip(
            f"Connections are coloured by the sign of their weight ({pal.negative_name} "
            f"negative, {pal.positive_name} positive; grey when it is zero) and drawn thicker "
            "the larger it is"
            if mode == "weights" else
            "Connections are coloured and sized by dL/dw of the last mini-batch, on one scale for "
            "the whole network, so vanishing or exploding gradients stand out")
        self.canvas.update()

    def edge_values(self) -> list[np.ndarray] | None:
        src = self.gradients if self.edge_mode == "gradients" else self.weights
        return None if src is None else [W for W, _ in src]

    def edge_reference(self, values: list[np.ndarray]) -> float:
        mags = np.concatenate([np.abs(W).ravel() for W in values]) if values else np.ones(1)
        if self.edge_mode == "gradients":
            return max(float(mags.max()), 1e-12)
        return max(float(np.percentile(mags, 95)), 0.5)

    def highlight(self, node_layer: int | None, index: int | None = None, edge=None) -> None:
        """Draw a focus ring on a neuron (``index``), a whole layer (``index=None``) or an edge.

        ``edge=(i, j)`` highlights the connection from node ``i`` of layer ``node_layer - 1`` to
        node ``j`` of ``node_layer``. ``node_layer=None`` clears the highlight.
        """
        if node_layer is None or not (0 <= node_layer < len(self.layer_sizes)):
            self.highlighted = None
        elif edge is not None:
            self.highlighted = ("edge", node_layer, int(edge[0]), int(edge[1]))
        else:
            self.highlighted = ("node", node_layer, index)
        self.canvas.update()

    # -- editing -----------------------------------------------------------------------
    def edit_weight(self, k: int, i: int, j: int, pos=None) -> ValueEditor:
        """Open the editor for the weight from node ``i`` of layer ``k-1`` to node ``j``."""
        value = self.weights[k - 1][0][i, j] if self.weights is not None else 0.0
        self._edit_target = ("edge", k, i, j)
        if pos is None:
            pos = self.canvas.edge_point(k, i, j).toPoint()
        self.editor.open_at(pos, f"New weight: {self._edge_name(k, i, j)}", value)
        return self.editor

    def edit_bias(self, k: int, j: int, pos=None) -> ValueEditor:
        """Open the editor for the bias of neuron ``j`` in node layer ``k >= 1``."""
        value = self.weights[k - 1][1][j] if self.weights is not None else 0.0
        self._edit_target = ("bias", k, j)
        if pos is None:
            pos = self.canvas.node_rect(k, j).center().toPoint()
        self.editor.open_at(pos, f"New bias of {self._neuron_name(k, j)}", value)
        return self.editor

    def _apply_edit(self, value: float) -> None:
        t = self._edit_target
        if t is None:
            return
        if self.weights is not None:  # show the new value at once; the owner confirms later
            self.weights = [(W.copy(), b.copy()) for W, b in self.weights]
            if t[0] == "edge":
                self.weights[t[1] - 1][0][t[2], t[3]] = value
            else:
                self.weights[t[1] - 1][1][t[2]] = value
        self.canvas.update()
        if t[0] == "edge":
            self.weight_edited.emit(t[1], t[2], t[3], value)
        else:
            self.bias_edited.emit(t[1], t[2], value)

    def _on_palette_changed(self, _name: str) -> None:
        pal = _palette.current_palette()
        for h in self.heatmaps.values():
            h.remap(pal)
        self.set_edge_mode(self.edge_mode)  # its tooltip names the palette's colours

    def redraw_now(self) -> None:
        """Paint synchronously (benchmarks and screenshots)."""
        self.canvas.repaint()


def _all_finite(pairs) -> bool:
    return all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in pairs)
