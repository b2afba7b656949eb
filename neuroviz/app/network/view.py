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
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app import palette as _palette
from neuroviz.app.constants import node_grid_step
from neuroviz.app.network.canvas import BASE_POINT_SIZE, MAX_NEURONS, ColourLegend, NetworkCanvas
from neuroviz.app.network.editor import ValueEditor
from neuroviz.app.network.feature_maps import is_map, width_weight
from neuroviz.app.network.filter_editor import FilterEditor
from neuroviz.app.network.heatmaps import HeatmapLayer
from neuroviz.app.network.kinds import (
    DRAWERS,
    Layout,
    build_columns,
    column_masks,
    column_params,
    column_values,
    dense_layout,
)
from neuroviz.app.network.layer_settings import (
    MAP_INSERTS,
    ConvSettings,
    conv_summary,
    image_kinds,
)
from neuroviz.app.network.text import DescriptionsMixin, activation_title

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

#: Short caption forms of the map kinds: (word, letter).
_MAP_SHORT = {"conv2d": ("Conv", "C"), "maxpool": ("Max pool", "Pool"),
              "avgpool": ("Avg pool", "Pool"), "globalmaxpool": ("Global max", "GMP"),
              "globalavgpool": ("Global avg", "GAP"), "flatten": ("Flatten", "Flat")}


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
    #: Add a hidden layer of a kind: "dense", "dropout", "layernorm", "residual" (a new block
    #: of two dense layers) or "wrap" (a residual block around the last hidden layer).
    layer_kind_requested = Signal(str)
    #: A dropout column's new rate (column, rate).
    dropout_rate_requested = Signal(int, float)
    #: A residual block's skip path on or off (its sum column, on).
    skip_requested = Signal(int, bool)
    #: An edit of hidden column k from its menu: "insert_dropout", "insert_layernorm",
    #: "wrap" (in a residual block) or "remove".
    column_edit_requested = Signal(int, str)
    #: New settings of a convolution or pooling column (column, {"filters": 16, ...}).
    layer_settings_requested = Signal(int, object)
    #: A convolution filter typed in its editor (column, filter, kernel (k, k, c_in), bias).
    filter_edited = Signal(int, int, object, float)
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
        self.layout = Layout([], [])
        self._probe = None  # a Network of the spec: inner values, dropout masks
        self._grid_weights = None  # the weights the heatmaps were computed with
        self._grid_shape = None
        self._grid_points = None
        self._mask_example = None
        self._masks: dict[int, np.ndarray] = {}
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
        self._controls_for: list | None = None  # the columns the controls were built for
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
        self.add_layer_btn.setContextMenuPolicy(Qt.CustomContextMenu)
        # A plain button that pops the menu up without blocking (QMenu.popup, not exec).
        self.add_kind_btn = QPushButton("+ kind \u25be")
        self.add_kind_btn.setObjectName("add_layer_kind")
        self.add_kind_btn.setToolTip("Add a layer of another kind: dropout, layer norm or a "
                                     "residual block")
        self.add_kind_menu = QMenu(self.add_kind_btn)
        self.add_kind_menu.setObjectName("add_layer_kind_menu")
        self.kind_actions = {}
        for kind, text, tip in (
                ("dense", "Dense layer", "A hidden layer of neurons (weights, bias, activation)"),
                ("dropout", "Dropout layer", "Drops each value with probability 0.5 while "
                 "training (a regulariser); does nothing in evaluation"),
                ("layernorm", "Layer norm", "Normalises each example's values to mean 0 and "
                 "std 1, then a learned gain and bias per unit"),
                ("residual", "Residual block (two dense layers)", "A new block computing "
                 "h + f(h): two dense layers with a skip path around them"),
                ("wrap", "Wrap the last hidden layer in a residual block",
                 "Adds a skip path around the last hidden layer: h + f(h)")):
            action = self.add_kind_menu.addAction(text)
            action.setObjectName(f"add_{kind}_layer")
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, kk=kind: self.layer_kind_requested.emit(kk))
            self.kind_actions[kind] = action
        # Image inputs: the convolutional part, inserted after the last map layer (before
        # the dense part); shown only when the input is an image.
        self.image_separator = self.add_kind_menu.addSeparator()
        for kind, text, tip in image_kinds():
            action = self.add_kind_menu.addAction(text)
            action.setObjectName(f"add_{kind}_layer")
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, kk=kind: self.layer_kind_requested.emit(kk))
            self.kind_actions[kind] = action
        self.add_kind_menu.setToolTipsVisible(True)
        self.add_kind_btn.clicked.connect(lambda: self.add_kind_menu.popup(
            self.add_kind_btn.mapToGlobal(self.add_kind_btn.rect().bottomLeft())))
        self.remove_layer_btn.clicked.connect(self.remove_layer_requested)
        top = self.top_row = QHBoxLayout()  # other features may add small labels here
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.add_layer_btn)
        top.addWidget(self.add_kind_btn)
        top.addWidget(self.remove_layer_btn)
        top.addWidget(self.layers_label)
        top.addStretch(1)
        self.legend = ColourLegend()
        # Shown where it fits (see fit_top_bar): a narrow view keeps its width for the network.
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
        self.filter_editor = FilterEditor(self.canvas)
        self._filter_target: tuple[int, int] | None = None
        self.filter_editor.filter_accepted.connect(self._apply_filter)
        self.conv_settings = ConvSettings(self.canvas)
        self.conv_settings.settings_accepted.connect(
            lambda k, settings: self.layer_settings_requested.emit(k, settings))

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
        """Rebuild for a dense stack. ``layer_sizes`` = [inputs, units_1, ..., units_L]."""
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or len(activations) != len(sizes) - 1:
            raise ValueError("layer_sizes needs inputs and at least one dense layer, and one "
                             "activation per dense layer")
        self._probe = None
        self._set_layout(dense_layout(sizes, [str(a) for a in activations]), feature_names,
                         output_names)

    def set_spec(self, feature_names, spec: dict, output_names=()) -> None:
        """Rebuild for the network ``spec`` of any layer kinds (drawn through the kinds'
        drawers, :mod:`.kinds`)."""
        from neuroviz.engine import Network

        net = Network.from_spec(spec, seed=0)
        self._probe = net
        self._set_layout(build_columns(net.n_inputs, net.describe()), feature_names,
                         output_names)

    def _set_layout(self, layout: Layout, feature_names, output_names) -> None:
        old = [(c.kind, c.units, c.edges, c.path) for c in self.layout.columns]
        new = [(c.kind, c.units, c.edges, c.path) for c in layout.columns]
        changed = old != new
        self.layout = layout
        sizes = layout.sizes
        self.feature_names = [str(n) for n in feature_names]
        self.layer_sizes = sizes
        self.activations = layout.activations
        self.output_names = [str(n) for n in output_names]
        self._masks = {}
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

    @property
    def columns(self):
        """The drawn columns (see :mod:`neuroviz.app.network.kinds`); 0 is the input."""
        return self.layout.columns

    def has_bias(self, k: int) -> bool:
        """Whether column ``k`` has a bias per unit (dense, layer norm)."""
        return 1 <= k < len(self.columns) and self.columns[k].kind in (
            "dense", "layernorm") and not is_map(self.columns[k])

    def dropout_mask(self, k: int) -> np.ndarray | None:
        """The keep-mask drawn for dropout column ``k`` (0 = dropped), or None."""
        return self._masks.get(k)

    def layer_menu(self, k: int) -> QMenu:
        """The menu of hidden column ``k`` (right-click its caption): insert a dropout layer
        or a layer norm after it, wrap it in a residual block, remove it. Each action emits
        :attr:`column_edit_requested` ``(k, op)`` and is named ``<op>_<k>``."""
        col = self.columns[k]
        menu = QMenu(self.canvas)
        menu.setObjectName(f"layer_menu_{k}")
        if is_map(col):  # the convolutional part: more maps, or the step to the dense part
            if col.kind == "conv2d":
                action = menu.addAction("Convolution settings\u2026")
                action.setObjectName(f"conv_settings_{k}")
                action.triggered.connect(lambda _=False, kk=k: self.open_conv_settings(kk))
            items = list(MAP_INSERTS)
        else:
            items = [("insert_dropout", "Insert a dropout layer after this one"),
                     ("insert_layernorm", "Insert a layer norm after this one")]
        if col.inner is None and col.kind != "sum" and not is_map(col) and \
                col.kind not in ("flatten", "globalmaxpool", "globalavgpool"):
            items.append(("wrap", "Wrap this layer in a residual block"))
        what = "this residual block" if col.kind == "sum" else "this layer"
        items.append(("remove", f"Remove {what}"))
        for op, text in items:
            action = menu.addAction(text)
            action.setObjectName(f"{op}_{k}")
            action.triggered.connect(
                lambda _=False, kk=k, o=op: self.column_edit_requested.emit(kk, o))
        self._layer_menu = menu  # kept alive while shown
        return menu

    def toggle_skip(self, k: int) -> None:
        """Ask to switch the skip path of the residual block whose sum column is ``k``."""
        col = self.columns[k]
        if col.kind == "sum":
            self.skip_requested.emit(k, not col.info["skip"])

    def set_output_activation_choices(self, names) -> None:
        """Activations the output layer may use (depends on the loss)."""
        self.output_choices = tuple(names)
        if self._layer_controls:
            self._fill_combo(len(self.layer_sizes) - 1)

    @property
    def n_hidden(self) -> int:
        """Hidden top-level layers (a residual block counts as one)."""
        if not self.columns:
            return 0
        return max(self.columns[-1].top, 0)

    def _build_controls(self) -> None:
        shape = [(c.kind, c.inner, c.units) for c in self.columns]
        if len(self._layer_controls) == len(self.layer_sizes) and shape == self._controls_for:
            # Same columns: update in place, so a picker keeps its focus and place.
            for k, c in enumerate(self._layer_controls):
                if "activation" in c:
                    self._fill_combo(k)
                if "conv" in c:
                    c["conv"].setText(conv_summary(self.columns[k].info,
                                                   self.columns[k].activation))
                for key, setter, value in (("rate", "setValue", "rate"),
                                           ("skip", "setChecked", "skip"),
                                           ("size", "setValue", "size")):
                    if key in c:
                        c[key].blockSignals(True)
                        getattr(c[key], setter)(self.columns[k].info[value])
                        c[key].blockSignals(False)
            self._update_captions()
            self._update_limits()
            return
        self._controls_for = shape
        for ctrls in self._layer_controls:
            for w in ctrls.values():
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self._layer_controls = []
        last = len(self.layer_sizes) - 1
        for k in range(len(self.layer_sizes)):
            col = self.columns[k]
            c: dict[str, QWidget] = {}
            cap = QLabel(self.canvas)
            cap.setObjectName(f"caption_{k}")
            cap.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
            c["caption"] = cap
            if 0 < k < last:  # right-click a hidden column's caption: its layer menu
                cap.setContextMenuPolicy(Qt.CustomContextMenu)
                cap.customContextMenuRequested.connect(
                    lambda pos, kk=k, w=cap: self.layer_menu(kk).popup(w.mapToGlobal(pos)))
            if col.kind == "dense" and k < last:
                for kind, text in (("remove_neuron", "\u2212"), ("add_neuron", "+")):
                    b = QPushButton(text, self.canvas)
                    b.setObjectName(f"{kind}_{k}")
                    sig = self.add_neuron_requested if kind == "add_neuron" else \
                        self.remove_neuron_requested
                    b.clicked.connect(lambda _=False, kk=k, sg=sig: sg.emit(kk))
                    c[kind] = b
            if col.kind == "dense":
                combo = QComboBox(self.canvas)
                combo.setObjectName(f"activation_{k}")
                combo.currentIndexChanged.connect(lambda _i, kk=k: self._on_combo(kk))
                c["activation"] = combo
            elif col.kind == "dropout":
                spin = QDoubleSpinBox(self.canvas)
                spin.setObjectName(f"dropout_rate_{k}")
                spin.setRange(0.0, 0.95)
                spin.setSingleStep(0.05)
                spin.setDecimals(2)
                spin.setValue(col.info["rate"])
                spin.setKeyboardTracking(False)
                spin.setToolTip("Dropout rate: the chance that each value is dropped (set to "
                                "0) in a training step; the kept ones are scaled by "
                                "1/(1 \u2212 rate). Evaluation never drops.")
                spin.valueChanged.connect(
                    lambda v, kk=k: self.dropout_rate_requested.emit(kk, float(v))
                    if abs(v - self.columns[kk].info["rate"]) > 1e-9 else None)
                c["rate"] = spin
            elif col.kind == "conv2d":
                b = QPushButton(conv_summary(col.info, col.activation), self.canvas)
                b.setObjectName(f"conv_settings_button_{k}")
                b.setToolTip("This convolution's filters, kernel size, stride, padding and "
                             "activation: click to change them")
                b.clicked.connect(lambda _=False, kk=k: self.open_conv_settings(kk))
                c["conv"] = b
            elif col.kind in ("maxpool", "avgpool"):
                spin = QSpinBox(self.canvas)
                spin.setObjectName(f"pool_size_{k}")
                spin.setRange(2, 4)
                spin.setValue(int(col.info["size"]))
                spin.setPrefix("size ")
                spin.setKeyboardTracking(False)
                spin.setToolTip("Pool size: each value pools a size \u00d7 size window (the "
                                "windows do not overlap); it must divide the map's height "
                                "and width")
                spin.valueChanged.connect(
                    lambda v, kk=k: self.layer_settings_requested.emit(kk, {"size": int(v)})
                    if v != self.columns[kk].info["size"] else None)
                c["size"] = spin
            elif col.kind == "sum":
                box = QCheckBox("skip", self.canvas)
                box.setObjectName(f"residual_skip_{k}")
                box.setChecked(col.info["skip"])
                box.setToolTip("The block's skip path: on, the block computes h + f(h), so "
                               "the gradient also flows straight past it; off, only f(h). "
                               "You can also click the drawn bypass.")
                box.toggled.connect(lambda on, kk=k: self.skip_requested.emit(kk, bool(on))
                                    if on != self.columns[kk].info["skip"] else None)
                c["skip"] = box
            self._layer_controls.append(c)
            if "activation" in c:
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
        where = "the output layer" if k == last else self.column_title(k).lower()
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
        self.add_kind_btn.setEnabled(can_add)
        last_hidden = self.columns[-2] if len(self.columns) > 2 else None
        self.kind_actions["wrap"].setEnabled(
            can_add and last_hidden is not None and last_hidden.inner is None
            and last_hidden.kind != "sum")
        image = bool(self.columns) and is_map(self.columns[0])
        self.image_separator.setVisible(image)
        for kind, _text, _tip in image_kinds():
            self.kind_actions[kind].setVisible(image)
            self.kind_actions[kind].setEnabled(can_add)
        self.add_kind_btn.setToolTip(
            "Add a layer of another kind: convolution, pooling, flatten, dropout, layer norm "
            "or a residual block" if image else
            "Add a layer of another kind: dropout, layer norm or a residual block")
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
        self.fit_top_bar()
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
        for w in (self.add_layer_btn, self.add_kind_btn, self.remove_layer_btn, self.layers_label,
                  self.mode_label, self.legend):
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
        self.fit_top_bar()
        for c in self._layer_controls:
            for key, w in c.items():
                w.setFont(bold if isinstance(w, QPushButton) and key != "conv" else font)

    def _caption_texts(self, k: int) -> list[tuple[str, str]]:
        """(bold first line, second line) from the longest to the shortest form."""
        last = len(self.layer_sizes) - 1
        n = self.layer_sizes[k]
        col = self.columns[k] if k < len(self.columns) else None
        if col is not None and 0 < k < last and (col.kind != "dense" or col.inner is not None):
            return self._kind_caption_texts(k)
        shape = col.info.get("shape", ()) if col is not None else ()
        if k == 0 and len(shape) == 3:
            h, w, c = shape
            size = f"{h}\u00d7{w}" + (f"\u00d7{c}" if c > 1 else "")
            return [("Input", f"{size} image"), ("Input", size), ("In", size),
                    ("In", f"{h}\u00d7{w}"), ("I", "")]
        unit = "feature" if k == 0 else "neuron"
        plural = unit if n == 1 else unit + "s"
        name = self.column_title(k)
        short = "In" if k == 0 else "Out" if k == last else f"L{k}"
        middle = "Input" if k == 0 else "Output" if k == last else f"Layer {k}"
        return [(name, f"{n} {plural}"), (middle, f"{n} {plural}"), (middle, str(n)),
                (short, str(n)), (str(k) if 0 < k < last else short[0], str(n))]

    def _kind_caption_texts(self, k: int) -> list[tuple[str, str]]:
        """Caption forms of a dropout, layer-norm or residual-block column."""
        col = self.columns[k]
        n = col.units
        title, second = self.column_title(k), DRAWERS[col.owner].caption(col)
        block = self.layout.block_of(k)
        b = self.layout.blocks.index(block) + 1 if block is not None else 0
        if col.kind == "sum":
            return [(title, second), (f"Block {b}", second), (f"B{b} +", ""), ("+", ""),
                    ("+", "")]
        if col.kind == "dropout":
            r = f"{col.info['rate']:g}"
            return [(title, second), ("Dropout", f"p = {r}"), ("Drop", f"p={r}"), ("D", r),
                    ("D", "")]
        if col.kind == "layernorm":
            return [(title, second), ("Layer norm", f"{n} units"), ("Norm", str(n)),
                    ("N", str(n)), ("N", "")]
        if col.kind in _MAP_SHORT:
            short, letter = _MAP_SHORT[col.kind]
            shape = col.info.get("shape")
            size = "\u00d7".join(str(d) for d in shape) if shape else str(n)
            return [(title, second), (short, second), (short, size), (letter, size),
                    (letter, "")]
        return [(title, f"{n} neuron{'s' if n != 1 else ''}"), (f"B{b} dense", f"{n} neurons"),
                (f"B{b} dense", str(n)), (f"B{b}", str(n)), (str(k), str(n))]

    def _update_captions(self) -> None:
        last = len(self.layer_sizes) - 1
        for k, c in enumerate(self._layer_controls):
            name, second = self._caption_texts(k)[0]
            tip = f"{name} \u2014 {second}"
            col = self.columns[k]
            if col.kind == "dense":
                tip += f", activation {activation_title(self.activations[k - 1])}"
                if k < last:
                    tip += " (use + and \u2212 to change its size)"
            if 0 < k < last:
                tip += self.column_help(k) + " Right-click for this layer's menu."
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
        if show_combo or self._map_controls_fit(col_w):
            h += self.combo_height + 2 * s
        return h

    def _map_control_width(self, key: str, col=None) -> float:
        """The narrowest a convolution's settings button or a pool's size box may be."""
        fm = QFontMetricsF(self.canvas.font())
        if key == "conv":
            text = conv_summary(col.info, col.activation) if col is not None else \
                "64\u00d7 9\u00d79 \u25be"
            return fm.horizontalAdvance(text) + 14 * self.scale
        return fm.horizontalAdvance("size 4") + 26 * self.scale

    def _map_controls_fit(self, col_w: float) -> bool:
        """Whether a map column's control fits its (wider) column: the header then has a
        row for it even where the columns of units are too narrow for theirs."""
        s = self.scale
        for col in self.columns:
            key = "conv" if col.kind == "conv2d" else "size" if col.kind in (
                "maxpool", "avgpool") else None
            if key and min(width_weight(col) * col_w - 4 * s, self.column_min_width + 12 * s) \
                    >= self._map_control_width(key, col):
                return True
        return False

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
        # map columns are wider than columns of units: their captions and controls use it
        widths = [max(int(w - 2 * s), 4) for w in cv.col_widths] \
            if len(cv.col_widths) == len(self._layer_controls) else [width] * (last + 1)
        # Very deep networks: when even "12" does not fit a column, caption every
        # ``every``-th hidden layer (the caption then spans its neighbours' room).
        widest = max(bold_fm.horizontalAdvance(str(last)), fm.horizontalAdvance("64")) + 4
        every = max(1, math.ceil(widest / max(cv.col_w, 1.0)))
        # One caption form for every hidden layer: the one the widest label fits.
        def fits(text: tuple[str, str], room: int) -> bool:
            return max(bold_fm.horizontalAdvance(text[0]), fm.horizontalAdvance(text[1])) + 4 \
                <= room

        maps = any(is_map(col) for col in self.columns)
        if every == 1 and maps:
            form = 0  # columns of different widths: each the longest caption it fits
        elif every == 1:
            hidden = [(self._caption_texts(k), widths[k]) for k in range(1, last)]
            n_forms = min((len(t) for t, _ in hidden), default=1)
            form = next((i for i in range(n_forms) if all(fits(t[i], r) for t, r in hidden)),
                        n_forms - 1)
        else:
            room = int(every * cv.col_w)
            widest_texts = self._caption_texts(max(last - 1, 0))
            form = next((i for i, text in enumerate(widest_texts) if fits(text, room)),
                        len(widest_texts) - 1)
        for k, c in enumerate(self._layer_controls):
            cx = cv.col_x[k]
            y = 4 * s
            texts = self._caption_texts(k)
            room = widths[k] if every == 1 else int(every * cv.col_w)
            first, second = texts[min(form, len(texts) - 1) if 0 < k < last else 0]
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
            for key in ("activation", "rate", "skip"):  # the kind's own control
                if key in c:
                    c[key].setVisible(show_combo)
                    if show_combo:
                        c[key].setGeometry(int(cx - cw / 2), int(y), int(cw),
                                           int(self.combo_height))
            for key in ("conv", "size"):  # a map column's control, in its wider column
                if key in c:
                    mw = min(widths[k] - 2 * s, self.column_min_width + 12 * s)
                    show = mw >= self._map_control_width(key, self.columns[k])
                    c[key].setVisible(show)
                    if show:
                        c[key].setGeometry(int(cx - mw / 2), int(y), int(mw),
                                           int(self.combo_height))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_top_bar()

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        hint.setWidth(int(2 * self.button_size + self.layers_label.sizeHint().width() + 40))
        return hint

    def fit_top_bar(self) -> None:
        """Only what fits is shown in the top row, in this order: the layer buttons, the kind
        menu and the layer count (always); labels other features put there (the parameter
        count); the colour key; the edge-mode caption. The network needs the width more."""
        own = (self.add_layer_btn, self.add_kind_btn, self.remove_layer_btn, self.layers_label)
        optional = (self.legend, self.mode_label)
        widgets = [self.top_row.itemAt(i).widget() for i in range(self.top_row.count())]
        extras = [w for w in widgets if w is not None and w not in own and w not in optional]
        gap = self.top_row.spacing()
        used = sum(w.sizeHint().width() + gap for w in own if not w.isHidden()) + 40
        for w in extras:
            need = w.sizeHint().width() + gap
            w.setVisible(self.width() >= used + need)
            used += need if w.isVisibleTo(self) else 0
        legend = self.legend.sizeHint().width() + 12
        self.legend.setVisible(self.width() >= used + legend)
        self.mode_label.setVisible(
            self.width() >= used + legend + self.mode_label.sizeHint().width())

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
        """Take weights, gradients and neuron grids from an engine Snapshot (NaN-safe).

        ``weights``/``gradients`` are grouped like ``Network.get_weights``; ``grid`` holds one
        (units, N, N) array per top-level layer; the inner columns of residual blocks are
        computed here from the weights over the grid points (:meth:`set_grid_points`).
        Dropout columns show the mask of training step ``snap.step`` for the example set by
        :meth:`set_mask_example` (explain mode passes its own ``masks``, and weights already
        per column with ``per_column=True``).
        """
        per_column = getattr(snap, "per_column", False)  # explain mode: already per column
        params = (lambda w: None if w is None else list(w)) if per_column else \
            (lambda w: column_params(self.layout, w))
        weights = params(getattr(snap, "weights", None))
        if weights is not None and self._shapes_match(weights) and _all_finite(weights):
            self.weights = weights
        grads = params(getattr(snap, "gradients", None))
        if grads is not None and self._shapes_match(grads) and _all_finite(grads):
            self.gradients = grads
        grid = getattr(snap, "grid", None)
        n_top = (self.columns[-1].top + 1) if self.columns else 0
        if grid is not None and len(grid) == n_top:
            # the weights behind these heatmaps, for a hovered neuron's full picture
            self._grid_weights = None if per_column else getattr(snap, "weights", None)
            inner = self._inner_grid(snap) if self.layout.blocks else {}
            for k, col in enumerate(self.columns[1:], start=1):
                g = grid[col.top] if col.inner is None else inner.get(k)
                if g is not None:
                    self._set_heat(k, g, self.layer_activation(k))
        masks = getattr(snap, "masks", None)
        if masks is not None:
            self._masks = dict(masks)
        elif self._probe is not None and hasattr(snap, "step") and any(
                c.kind == "dropout" for c in self.columns):
            self._masks = self._training_masks(int(snap.step))
        self.canvas.update_values()

    def _training_masks(self, step: int) -> dict[int, np.ndarray]:
        """Dropout masks a training step with seed ``step`` draws for the mask example."""
        net = self._probe
        x = self._mask_example
        if x is None or np.size(x) != net.n_inputs:
            x = np.zeros(net.n_inputs)
        values = net.forward_all(np.asarray(x, dtype=np.float64)[None, :], training=True,
                                 seed=step)
        return {k: m[0] for k, m in column_masks(self.layout, values).items()}

    def _inner_grid(self, snap) -> dict[int, np.ndarray]:
        """(units, N, N) values over the grid of each column inside a residual block."""
        net, points = self._probe, self._grid_points
        weights = getattr(snap, "weights", None)
        if net is None or points is None or weights is None:
            return {}
        try:
            net.set_weights(weights)
        except ValueError:
            return {}
        rows, cols = self._grid_shape
        with np.errstate(all="ignore"):
            values = column_values(self.layout, net.forward_all(points))
        out = {}
        for k, col in enumerate(self.columns[1:], start=1):
            if col.inner is not None:
                v = values[k - 1]
                out[k] = np.ascontiguousarray(v.T.reshape(col.units, rows, cols))
        return out

    def set_grid_points(self, points, shape=None) -> None:
        """The feature vectors of the heatmap grid (N·N, inputs) and its shape, or None."""
        self._grid_points = None if points is None else np.asarray(points, dtype=np.float64)
        self._grid_shape = tuple(shape) if shape is not None else None

    def set_mask_example(self, x) -> None:
        """The example whose dropout masks the dropout columns show while training."""
        self._mask_example = None if x is None else np.asarray(x, dtype=np.float64).ravel()

    def _shapes_match(self, params) -> bool:
        if len(params) != len(self.layer_sizes) - 1:
            return False
        for k, (a, b) in enumerate(params, start=1):
            col = self.columns[k]
            n_in, n = self.layer_sizes[k - 1], self.layer_sizes[k]
            if col.kind == "dense":
                want = ((n_in, n), (n,))
            elif col.kind == "layernorm":
                want = ((n,), (n,))
            elif col.kind == "conv2d":
                want = tuple(col.info["params"])
            elif col.kind == "sum" and a is not None:
                block = self.layout.block_of(k)
                want = ((self.layer_sizes[block.source], n), None)
            else:
                want = (None, None)
            got = (None if a is None else np.shape(a), None if b is None else np.shape(b))
            if got != want:
                return False
        return True

    def _set_heat(self, k: int, values, activation: str | None) -> None:
        values = np.asarray(values)
        full = values
        if values.ndim == 3 and node_grid_step(min(values.shape[1:])) > 1:
            # A neuron is a few dozen pixels: every other sample of the plane's grid is plenty
            # (the output plot shows the full grid), at a quarter of the colouring cost.
            step = node_grid_step(min(values.shape[1:]))
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
        """Non-2-D data: one array per column with the values for the selected example (or,
        for a dense stack, per layer as before)."""
        if values_per_layer is None:
            self._examples = None
        else:
            vals = [np.asarray(v, dtype=np.float64).ravel() for v in values_per_layer]
            if len(vals) == len(self.layer_sizes) and all(
                    v.size == n and np.isfinite(v).all() for v, n in zip(vals, self.layer_sizes)):
                self._examples = vals
        self.canvas.update_values()

    def set_example_forward(self, x, values) -> None:
        """Non-2-D data: the selected example ``x`` and ``Network.forward_all`` of it."""
        cols = column_values(self.layout, values)
        self.set_example([np.asarray(x).ravel()] + [c[0] for c in cols])

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
        if full is not None and self._grid_shape is not None and k >= 1 \
                and tuple(np.shape(full)[1:]) != tuple(self._grid_shape):
            # The worker sends hidden layers at the neurons' drawn size: the large picture
            # is computed here, once per hover, over the whole plane grid.
            computed = self._full_heat(k, h)
            if computed is not None:
                full = computed
        return h.values[j] if full is None else np.asarray(full[j])

    def _full_heat(self, k: int, h: HeatmapLayer) -> np.ndarray | None:
        """Column ``k``'s (units, N, N) values over the whole plane grid from the weights of
        the last snapshot (kept on ``h`` until its heatmap changes), or None."""
        cached = getattr(h, "full_from", None)
        if cached is not None and cached[0] is h.values:
            return cached[1]
        net, points, weights = self._probe, self._grid_points, self._grid_weights
        if net is None or points is None or weights is None:
            return None
        try:
            net.set_weights(weights)
        except ValueError:
            return None
        rows, cols = self._grid_shape
        with np.errstate(all="ignore"):
            v = column_values(self.layout, net.forward_all(points))[k - 1]
        if v.shape != (rows * cols, h.units) or not np.isfinite(v).all():
            return None
        full = np.ascontiguousarray(v.T.reshape(h.units, rows, cols), dtype=np.float32)
        h.full_from = (h.values, full)
        return full

    def grid_layer(self, k: int) -> int | None:
        """The index into a snapshot's ``grid`` of node column ``k`` (None: the inputs, or a
        column inside a residual block, computed here from the weights)."""
        if not 1 <= k < len(self.columns) or self.columns[k].inner is not None:
            return None
        return self.columns[k].top

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
        self.fit_top_bar()
        self.mode_label.setToolTip(
            f"Connections are coloured by the sign of their weight ({pal.negative_name} "
            f"negative, {pal.positive_name} positive; grey when it is zero) and drawn thicker "
            "the larger it is"
            if mode == "weights" else
            "Connections are coloured and sized by dL/dw of the last mini-batch, on one scale for "
            "the whole network, so vanishing or exploding gradients stand out")
        self.canvas.update()

    def edge_values(self) -> list[np.ndarray | None] | None:
        """Per column k >= 1, what colours its incoming edges: dense W, layer-norm gain, or
        None (dropout, a block's sum: edges that carry no weight)."""
        src = self.gradients if self.edge_mode == "gradients" else self.weights
        if src is None:
            return None
        return [None if self.columns[k].kind == "sum" else W
                for k, (W, _) in enumerate(src, start=1)]

    def edge_reference(self, values: list[np.ndarray]) -> float:
        arrays = [np.abs(W).ravel() for W in values if W is not None]
        mags = np.concatenate(arrays) if arrays else np.ones(1)
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
        self.filter_editor.close_editor()
        if pos is None:
            pos = self.canvas.edge_point(k, i, j).toPoint()
        self.editor.open_at(pos, f"New weight: {self._edge_name(k, i, j)}", value)
        return self.editor

    def edit_bias(self, k: int, j: int, pos=None) -> ValueEditor:
        """Open the editor for the bias of neuron ``j`` in node layer ``k >= 1``."""
        value = self.weights[k - 1][1][j] if self.weights is not None else 0.0
        self._edit_target = ("bias", k, j)
        self.filter_editor.close_editor()
        if pos is None:
            pos = self.canvas.node_rect(k, j).center().toPoint()
        self.editor.open_at(pos, f"New bias of {self._neuron_name(k, j)}", value)
        return self.editor

    def edit_filter(self, k: int, f: int, pos=None) -> FilterEditor:
        """Open the editor of filter ``f`` of convolution column ``k``."""
        col = self.columns[k]
        kh, kw, cin, _ = col.info["params"][0]
        if self.weights is not None and self.weights[k - 1][0] is not None:
            kernel, bias = self.weights[k - 1][0][..., f], float(self.weights[k - 1][1][f])
        else:
            kernel, bias = np.zeros((kh, kw, cin)), 0.0
        self._filter_target = (k, f)
        self.editor.close_editor()
        if pos is None:
            pos = self.canvas.map_geom[k].filters[f].center().toPoint()
        self.filter_editor.open_at(
            pos, f"Filter {f + 1} of {self.column_title(k).lower()} ({kh}\u00d7{kw}"
            + (f", {cin} input channels)" if cin > 1 else ")"), kernel, bias)
        return self.filter_editor

    def _apply_filter(self, kernel, bias: float) -> None:
        t = self._filter_target
        if t is None or not 1 <= t[0] < len(self.columns) or \
                self.columns[t[0]].kind != "conv2d":
            return
        k, f = t
        if self.weights is not None:  # show the new filter at once; the owner confirms later
            self.weights = [(None if W is None else W.copy(), None if b is None else b.copy())
                            for W, b in self.weights]
            self.weights[k - 1][0][..., f] = kernel
            self.weights[k - 1][1][f] = bias
        self.canvas.update()
        self.filter_edited.emit(k, f, np.array(kernel, dtype=np.float64), float(bias))

    def open_conv_settings(self, k: int, pos=None):
        """Open the settings of convolution column ``k`` (filters, kernel, stride, padding,
        activation)."""
        col = self.columns[k]
        if pos is None:
            cap = self._layer_controls[k]["caption"] if k < len(self._layer_controls) else None
            pos = cap.geometry().bottomLeft() if cap is not None else \
                self.canvas.rect().center()
        self.conv_settings.open_at(pos, k, self.column_title(k), col.info, col.activation,
                                   _ACTIVATIONS)
        return self.conv_settings

    def _apply_edit(self, value: float) -> None:
        t = self._edit_target
        if t is None:
            return
        if self.weights is not None:  # show the new value at once; the owner confirms later
            self.weights = [(None if W is None else W.copy(), None if b is None else b.copy())
                            for W, b in self.weights]
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
    return all((W is None or np.isfinite(W).all()) and (b is None or np.isfinite(b).all())
               for W, b in pairs)
