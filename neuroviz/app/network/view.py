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
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
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
    "NetworkView",
    "activation_title",
]

MAX_HIDDEN_LAYERS = 8
MIN_NEURONS = 1

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

    canvas_help = ("Hover a neuron or a connection to see its exact value; click it to type a "
                   "new bias or weight.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("network_view")
        self.scale = 1.0
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
        self.add_layer_btn.clicked.connect(self.add_layer_requested)
        self.remove_layer_btn.clicked.connect(self.remove_layer_requested)
        top = self.top_row = QHBoxLayout()  # other features may add small labels here
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.add_layer_btn)
        top.addWidget(self.remove_layer_btn)
        top.addWidget(self.layers_label)
        top.addStretch(1)
        self.legend = ColourLegend()
        top.addWidget(self.legend)
        top.addSpacing(12)
        top.addWidget(self.mode_label)

        self.canvas = NetworkCanvas(self)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("network_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setWidget(self.canvas)
        self.editor = ValueEditor(self.canvas)
        self._edit_target: tuple | None = None
        self.editor.value_accepted.connect(self._apply_edit)

        lay = QVBoxLayout(self)
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
        self._build_controls()
        self.canvas.relayout()

    def set_output_activation_choices(self, names) -> None:
        """Activations the output layer may use (depends on the loss)."""
        self.output_choices = tuple(names)
        if self._layer_controls:
            self._fill_combo(len(self.layer_sizes) - 1)

    @property
    def n_hidden(self) -> int:
        return max(len(self.layer_sizes) - 2, 0)

    def _build_controls(self) -> None:
        for ctrls in self._layer_controls:
            for w in ctrls.values():
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self._layer_controls = []
        last = len(self.layer_sizes) - 1
        for k, n in enumerate(self.layer_sizes):
            c: dict[str, QWidget] = {}
            cap = QLabel(self.canvas)
            cap.setObjectName(f"caption_{k}")
            cap.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
            name = layer_name(k, last)
            unit = "feature" if k == 0 else "neuron"
            plural = unit if n == 1 else unit + "s"
            cap.setText(f"<b>{name}</b><br>{n} {plural}")
            tip = f"{name} \u2014 {n} {plural}"
            if k >= 1:
                tip += f", activation {activation_title(self.activations[k - 1])}"
            cap.setToolTip(tip)
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
        for c in self._layer_controls:
            for w in c.values():
                w.setFont(bold if isinstance(w, QPushButton) else font)

    def _place_controls(self) -> None:
        cv = self.canvas
        if not self._layer_controls or len(cv.col_x) != len(self._layer_controls):
            return
        s = self.scale
        fm = QFontMetricsF(cv.font())
        cap_h = math.ceil(2 * fm.height() + 4)
        bs = int(self.button_size)
        width = int(cv.col_w - 4 * s)
        for k, c in enumerate(self._layer_controls):
            cx = cv.col_x[k]
            y = 4 * s
            c["caption"].setGeometry(int(cx - width / 2), int(y), width, cap_h)
            y += cap_h + 2 * s
            if "add_neuron" in c:
                c["remove_neuron"].setGeometry(int(cx - bs - 3 * s), int(y), bs, bs)
                c["add_neuron"].setGeometry(int(cx + 3 * s), int(y), bs, bs)
            y += bs + 4 * s
            if "activation" in c:
                cw = int(min(width, self.column_min_width + 12 * s))
                c["activation"].setGeometry(int(cx - cw / 2), int(y), cw, int(self.combo_height))

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
        if values.ndim != 3 or values.shape[0] != self.layer_sizes[k] or min(values.shape) < 1:
            return
        h = self.heatmaps.get(k)
        if h is None or not h.matches(values.shape):
            h = self.heatmaps[k] = HeatmapLayer(*values.shape)
        h.update(values, activation, _palette.current_palette())

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
        return h.values[j]

    def set_edge_mode(self, mode: str) -> None:
        """Colour and size edges by "weights" or by the last mini-batch "gradients"."""
        if mode not in ("weights", "gradients"):
            raise ValueError(f"unknown edge mode {mode!r} (choose 'weights' or 'gradients')")
        self.edge_mode = mode
        self.mode_label.setText("Edges: weights" if mode == "weights" else "Edges: gradients")
        self.mode_label.setToolTip(
            "Connections are coloured by the sign of their weight (orange negative, blue "
            "positive; grey when it is zero) and drawn thicker the larger it is"
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
        self.canvas.update()

    def redraw_now(self) -> None:
        """Paint synchronously (benchmarks and screenshots)."""
        self.canvas.repaint()


def _all_finite(pairs) -> bool:
    return all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in pairs)
