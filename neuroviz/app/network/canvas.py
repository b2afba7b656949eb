"""The custom-painted part of the network view: geometry, painting and hit-testing.

Geometry: the canvas always fills the scroll area's viewport (zoom 1) or a multiple of it
(zoom in). Columns share the width evenly; neurons grow to fill the height below the layer
headers (up to :data:`MAX_NODE_SIZE`), the tallest layer starting right under the headers.
Layers wider than :data:`FULL_SIZE_UNITS` are packed into the same height with smaller
neurons, so 64 units still fit; headers compress with narrow columns (see
:meth:`NetworkView.header_height`), so 32 hidden layers fit without scrolling.

Speed notes (measured with a 6 x 8 tanh network, 450 edges, 51 heatmaps): translucent or
round-capped antialiased pens make QPainter stroke the union of all lines (~80 ms a frame), so
edges use opaque colours pre-blended with the background, flat caps, and are batched into
``2 * _EDGE_BINS + 1`` pens (sign x magnitude, and one grey pen for (nearly) zero) with
``drawLines``; node borders go in one ``drawRects``. Each layer of edges is kept as a picture
and repainted only when one of its edges changes pen (:mod:`.edge_cache`); neuron heatmaps are
blitted at their drawn pixel size (made once per new values), not scaled every frame; new
values repaint the canvas below the layer headers only, so the header's child widgets (captions,
+/- buttons, activation menus) are not repainted every frame. A frame then costs ~3-5 ms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from neuroviz.app import palette as _palette
from neuroviz.app.network.edge_cache import EdgeLayerCache
from neuroviz.app.network.feature_maps import (
    hit_maps,
    is_map,
    paint_map_edges,
    paint_maps,
    place_maps,
    width_weight,
)
from neuroviz.app.network.heatmaps import value_range
from neuroviz.app.network.kinds import DRAWERS, arc_path
from neuroviz.app.painting import painter_for

__all__ = ["BASE_POINT_SIZE", "MAX_NEURONS", "ColourLegend", "NetworkCanvas", "blend"]

MAX_NEURONS = 64
BASE_POINT_SIZE = 10.0
#: Layers up to this many neurons are drawn at the full node size; wider ones (64 units, a
#: digit's 64 pixels) are packed into the same height with smaller neurons.
FULL_SIZE_UNITS = 12
#: Centre-to-centre distance of neurons in a column, in node sizes.
PITCH = 1.3
#: The largest neuron at scale 1 (TensorFlow Playground draws 40 px); neurons grow up to this
#: as the canvas allows.
MAX_NODE_SIZE = 88.0
#: The narrowest column at scale 1 (a very deep network at default zoom).
MIN_COLUMN_WIDTH = 10.0
_EDGE_BINS = 6
#: Edge widths in pixels at scale 1 (presenter mode multiplies them): every edge is at least
#: MIN_EDGE_WIDTH wide, so a connection whose weight is 0 is still seen to exist; above it the
#: width grows with |value| up to MAX_EDGE_WIDTH.
MIN_EDGE_WIDTH = 1.5
MAX_EDGE_WIDTH = 5.5
#: |value| below this fraction of the scale counts as zero: a neutral grey edge, no sign colour.
ZERO_EDGE_FRACTION = 0.02
#: How far the grey of a zero edge sits from the background towards the text colour.
ZERO_EDGE_CONTRAST = 0.32


class NetworkCanvas(QWidget):
    """Custom-painted network: knows geometry, draws, hit-tests. Owned by :class:`NetworkView`."""

    def __init__(self, view: QWidget) -> None:
        super().__init__()
        self.setObjectName("network_canvas")
        self.view = view
        self.setMouseTracking(True)
        self.setToolTip(view.canvas_help)
        self.setAttribute(Qt.WA_OpaquePaintEvent, False)
        self.node_size = 36.0
        self.node_sizes: list[float] = []
        self.header_h = 100.0
        self.arc_room = 0.0
        self.col_x: list[float] = []
        self.node_y: list[np.ndarray] = []
        self._edge_lines: list[list[Any]] = []  # per dense layer: flat list of QLineF (i-major)
        self._edge_xy: list[np.ndarray] = []  # per dense layer: (n_in*n_out, 4) x0 y0 x1 y1
        self._edge_cache = EdgeLayerCache()  # the edges' pictures, repainted when they change
        self._hover: tuple | None = None
        self.label_width = (0.0, 0.0)  # room for the input and output names (relayout)
        self.map_geom: dict = {}  # map columns (image, conv, pool): tiles, see feature_maps
        self.unit_x: dict[int, np.ndarray] = {}  # x of each unit of a map column
        self.col_widths: list[float] = []  # each column's width (map columns are wider)
        self.fans = None  # the fans into map columns, built on the first paint after relayout

    # -- geometry ----------------------------------------------------------------------
    def relayout(self) -> None:
        """Place columns and neurons to fill the canvas (see the module docstring)."""
        v = self.view
        s = v.scale
        sizes = v.layer_sizes
        n_cols = len(sizes)
        if n_cols == 0:
            self.col_x, self.node_y, self.node_sizes = [], [], []
            self._edge_lines, self._edge_xy = [], []
            self._edge_cache.set_geometry([], [])
            return
        fm = QFontMetricsF(self.font())
        width, height = float(self.width()), float(self.height())
        # Side labels (feature names left, output names right) take at most a fifth each;
        # longer names are elided to the room they get (label_width).
        label_cap = min(150 * s, max(width / 5, 24 * s))
        self.label_width = (
            min(max((fm.horizontalAdvance(n) for n in v.feature_names), default=0), label_cap),
            min(max((fm.horizontalAdvance(n) for n in v.output_names), default=0), label_cap))
        left = 10 * s + self.label_width[0]
        right = 10 * s + self.label_width[1]
        # Map columns (tiles of feature maps) get a wider share; columns of units share the
        # rest evenly (all shares 1 without maps).
        shares = [width_weight(c) for c in v.columns] if len(v.columns) == n_cols else \
            [1.0] * n_cols
        col_w = max((width - left - right) / sum(shares), 4.0)
        self.col_w = col_w
        self.col_widths = [share * col_w for share in shares]
        # The header (captions, +/- buttons, activation pickers) as the columns allow.
        self.header_h = v.header_height(col_w)
        # Room for residual blocks' bypass arcs (and their labels) above the units.
        self.arc_room = (fm.height() + 14 * s) if v.layout.blocks else 0.0
        top = self.header_h + self.arc_room + 6 * s
        area_h = max(height - top - 10 * s, 10.0)
        # Reference count: the tallest layer drawn at full size; wider layers are packed
        # into the same height (and a digit's 64 input pixels never set the node size).
        maps = [k for k, c in enumerate(v.columns) if is_map(c)] if len(v.columns) == n_cols \
            else []
        counts = [n for k, n in enumerate(sizes[1:], start=1) if k not in maps] + (
            [sizes[0]] if sizes[0] <= FULL_SIZE_UNITS and 0 not in maps else [])
        ref = max(1, min(max(counts, default=1), FULL_SIZE_UNITS))
        ns = min(area_h / ref / PITCH, col_w * 0.62, MAX_NODE_SIZE * s)
        ns = max(ns, 2.0)
        self.node_size = ns
        # Small neurons (narrow columns of a deep network) spread out a little to use the
        # height; not more, as longer edges cost drawing time.
        pitch = max(ns * PITCH, min(area_h / ref, ns * PITCH + 12 * v.scale))
        block_h = ref * pitch
        centre = top + min(block_h, area_h) / 2
        edges = np.concatenate([[0.0], np.cumsum(shares)])
        self.col_x = [left + (edges[k] + shares[k] / 2) * col_w for k in range(n_cols)]
        self.node_y, self.node_sizes = [], []
        for n in sizes:
            if n <= ref:
                pk, size = pitch, ns
            else:  # packed: the layer spans the reference height, each neuron smaller
                pk = min(block_h, area_h) / n
                size = max(pk * 0.8, 1.5)
            y0 = centre - n * pk / 2 + pk / 2
            self.node_y.append(y0 + pk * np.arange(n, dtype=np.float64))
            self.node_sizes.append(size)
        self.map_geom, self.unit_x, self.fans = {}, {}, None
        for k in maps:
            place_maps(self, k, v.columns[k], left + edges[k] * col_w + 4 * s,
                       shares[k] * col_w - 8 * s, top, area_h)
        self._build_edge_geometry()
        self.forget_stale_targets()
        v._place_controls()
        self.update()

    def update_values(self) -> None:
        """Repaint what new values change (a snapshot, an example): everything below the
        layer headers. The captions, +/- buttons and activation menus on the header are
        child widgets; leaving them out of the repaint spares them a repaint every frame."""
        top = max(0, int(self.header_h) - 1)
        self.update(0, top, self.width(), max(self.height() - top, 0))

    def natural_size(self) -> tuple[int, int]:
        """The smallest size that still shows every neuron and its column (presenter mode
        lowers its size factor when even this does not fit)."""
        v = self.view
        s = v.scale
        n_cols = max(len(v.layer_sizes), 1)
        return int(n_cols * MIN_COLUMN_WIDTH * s + 40 * s), int(v.header_height(0) + 120 * s)

    def _build_edge_geometry(self) -> None:
        self._edge_lines, self._edge_xy = [], []
        columns = self.view.columns
        for k in range(1, len(self.view.layer_sizes)):
            ya, yb = self.node_y[k - 1], self.node_y[k]
            x0 = self.col_x[k - 1] + self.node_sizes[k - 1] / 2
            x1 = self.col_x[k] - self.node_sizes[k] / 2
            if columns[k].edges == "maps":  # fans into feature maps (feature_maps.py)
                xy = np.zeros((0, 4))
            elif columns[k].edges == "one_to_one":  # dropout, layernorm, a block's sum
                n = min(len(ya), len(yb))
                xy = np.stack([np.full(n, x0), ya[:n], np.full(n, x1), yb[:n]], axis=1)
            else:
                yy0, yy1 = np.meshgrid(ya, yb, indexing="ij")  # (n_in, n_out)
                xy = np.stack([np.full(yy0.size, x0), yy0.ravel(), np.full(yy0.size, x1),
                               yy1.ravel()], axis=1)
            self._edge_xy.append(xy)
            self._edge_lines.append([QLineF(a, b, c, d) for a, b, c, d in xy.tolist()])
        self._edge_cache.set_geometry(self._edge_lines, self._edge_xy)

    def edge_index(self, k: int, i: int, j: int) -> int:
        """Position of the edge from node ``i`` of column ``k-1`` to node ``j`` of column ``k``."""
        return j if self.view.columns[k].edges == "one_to_one" else \
            i * self.view.layer_sizes[k] + j

    def bypass_path(self, block) -> QPainterPath:
        """The drawn skip path of a residual block: from its input column over the block to
        its sum column."""
        s = self.view.scale
        src, dst = block.source, block.sum
        x0 = self.col_x[src] + self.node_sizes[src] / 2 + 4 * s
        x1 = self.col_x[dst] - self.node_sizes[dst] / 2 - 4 * s
        y0 = float(self.node_y[src][0]) - self.node_sizes[src] / 2
        y1 = float(self.node_y[dst][0]) - self.node_sizes[dst] / 2
        top = self.arc_top()
        return arc_path(x0, y0, x1, y1, top)

    def arc_top(self) -> float:
        return self.header_h + self.arc_room - 4 * self.view.scale

    def bypass_label_rect(self, block) -> QRectF:
        path = self.bypass_path(block)
        r = path.boundingRect()
        h = QFontMetricsF(self.font()).height()
        return QRectF(r.left(), r.top() - h - 1, r.width(), h)

    def bypass_hit(self, pos: QPointF) -> Any:
        """The residual block whose drawn bypass is at ``pos`` (or None)."""
        for block in self.view.layout.blocks:
            path = self.bypass_path(block)
            stroker = QPainterPathStroker()
            stroker.setWidth(10 * self.view.scale)
            if stroker.createStroke(path).contains(pos) or \
                    self.bypass_label_rect(block).contains(pos):
                return block
        return None

    def node_rect(self, k: int, j: int) -> QRectF:
        ns = self.node_sizes[k]
        x = self.unit_x[k][j] if k in self.unit_x else self.col_x[k]
        return QRectF(x - ns / 2, float(self.node_y[k][j]) - ns / 2, ns, ns)

    def bias_rect(self, k: int, j: int) -> QRectF:
        r = self.node_rect(k, j)
        ns = self.node_sizes[k]
        b = min(max(7.0 * self.view.scale, ns * 0.3), max(ns * 0.6, 2.0))
        return QRectF(r.left() - b * 0.45, r.bottom() - b * 0.55, b, b)

    def edge_point(self, k: int, i: int, j: int, t: float = 0.5) -> QPointF:
        x0, y0, x1, y1 = self._edge_xy[k - 1][self.edge_index(k, i, j)]
        return QPointF(x0 + t * (x1 - x0), y0 + t * (y1 - y0))

    # -- targets of the old network ---------------------------------------------------
    def _geometry_fits(self) -> bool:
        """Whether the laid-out geometry belongs to the view's current layer sizes."""
        sizes = self.view.layer_sizes
        return (len(self.col_x) == len(sizes) == len(self.node_y) == len(self.node_sizes)
                and len(self._edge_xy) == len(sizes) - 1
                and all(len(y) == n for y, n in zip(self.node_y, sizes)))

    def target_exists(self, target: tuple | None) -> bool:
        """Whether a hover or highlight target (see :meth:`hit`) names a node, bias or edge
        of the current network (a layer with ``j`` None means the whole layer)."""
        sizes = self.view.layer_sizes
        if not isinstance(target, tuple) or len(target) < 3:
            return False
        kind, k = target[0], target[1]
        if not isinstance(k, (int, np.integer)) or not 0 <= k < len(sizes):
            return False
        if kind == "edge":
            return (len(target) == 4 and k >= 1 and 0 <= target[2] < sizes[k - 1]
                    and 0 <= target[3] < sizes[k])
        if kind in ("node", "bias") and len(target) == 3:
            j = target[2]
            if j is None:
                return kind == "node"
            return 0 <= j < sizes[k] and (kind == "node" or k >= 1)
        return False

    def forget_stale_targets(self) -> None:
        """Drop the hover and the highlight when the network they point into has changed
        (a removed neuron or layer, New, Undo, a lesson step)."""
        if self._hover is not None and not self.target_exists(self._hover):
            self._hover = None
            self.setToolTip(self.view.canvas_help)
            QToolTip.hideText()
            self.view.neuron_hovered.emit(-1, -1)
        if self.view.highlighted is not None and not self.target_exists(self.view.highlighted):
            self.view.highlighted = None

    # -- hit testing -------------------------------------------------------------------
    def hit(self, pos: QPointF) -> tuple | None:
        """("bias", k, j) | ("node", k, j) | ("edge", k, i, j) | None at ``pos``."""
        v = self.view
        if not self.col_x or not self._geometry_fits():
            return None
        on_map = hit_maps(self, pos)
        if on_map is not None:
            return on_map
        for k in range(1, len(v.layer_sizes)):
            if not v.has_bias(k):
                continue
            for j in range(v.layer_sizes[k]):
                if self.bias_rect(k, j).adjusted(-1, -1, 1, 1).contains(pos):
                    return ("bias", k, j)
        for k, n in enumerate(v.layer_sizes):
            for j in range(n if k not in self.map_geom else 0):
                if self.node_rect(k, j).contains(pos):
                    return ("node", k, j)
        px, py = pos.x(), pos.y()
        best, best_d = None, 5.0 * v.scale
        for k, xy in enumerate(self._edge_xy, start=1):
            x0, y0, x1, y1 = xy.T
            if not len(xy) or not (x0[0] - 2 <= px <= x1[0] + 2):
                continue
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((px - x0) * dx + (py - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-9),
                        0, 1)
            d = np.hypot(x0 + t * dx - px, y0 + t * dy - py)
            m = int(np.argmin(d))
            if d[m] < best_d:
                n_out = v.layer_sizes[k]
                ij = (m, m) if v.columns[k].edges == "one_to_one" else (m // n_out, m % n_out)
                best, best_d = ("edge", k, *ij), float(d[m])
        return best

    # -- events ------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.relayout()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        h = self.hit(event.position())
        if h != self._hover:
            self._hover = h
            text = self.view.describe(h) if h else self.view.canvas_help
            self.setToolTip(text)
            if h:
                QToolTip.showText(event.globalPosition().toPoint(), text, self)
            else:
                QToolTip.hideText()
            if h and h[0] in ("node", "bias"):
                self.view.neuron_hovered.emit(h[1], h[2])
            else:
                self.view.neuron_hovered.emit(-1, -1)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        if self._hover is not None:
            self._hover = None
            self.view.neuron_hovered.emit(-1, -1)
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.LeftButton:
            return super().mousePressEvent(event)
        h = self.hit(event.position())
        block = self.bypass_hit(event.position()) if h is None else None
        if block is not None:
            self.view.toggle_skip(block.sum)
        elif h is not None and h[0] == "filter":
            self.view.edit_filter(h[1], h[2], event.position().toPoint())
        elif h is None:
            self.view.editor.close_editor()
        elif h[0] == "edge":
            if self.view.columns[h[1]].kind == "dense":
                self.view.edit_weight(h[1], h[2], h[3], event.position().toPoint())
        elif h[1] >= 1 and self.view.has_bias(h[1]):
            self.view.edit_bias(h[1], h[2], event.position().toPoint())
        event.accept()

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        v = self.view
        pal = _palette.current_palette()
        with painter_for(self) as p:
            p.fillRect(self.rect(), self.palette().base())
            if not v.layer_sizes or not self.col_x or not self._geometry_fits():
                return
            p.setRenderHint(QPainter.Antialiasing, True)
            self._paint_edges(p, pal)
            paint_map_edges(self, p)
            p.setRenderHint(QPainter.Antialiasing, False)
            self._paint_nodes(p, pal)
            p.setRenderHint(QPainter.Antialiasing, True)
            self._paint_kinds(p)
            self._paint_labels(p)
            self._paint_focus(p)

    def _paint_edges(self, p: QPainter, pal) -> None:
        v = self.view
        values = v.edge_values()
        s = v.scale
        # Antialiased thick strokes dominate the frame for big networks (8 x 16: ~2300 edges,
        # ~30 ms); beyond ~1000 edges plain strokes keep the canvas above 45 fps.
        n_edges = sum(len(lines) for lines in self._edge_lines)
        antialias = n_edges <= 1000
        pens, style = self._edge_pens(pal, s)
        if values is None:
            keys = [np.zeros(len(lines), np.int64) for lines in self._edge_lines]
        else:
            ref = v.edge_reference(values)
            keys = [self._edge_keys(k, w, ref, len(lines))
                    for k, (lines, w) in enumerate(zip(self._edge_lines, values), start=1)]
        # On screen, grabbed or rendered to an image, with the whole canvas in view: cached
        # per layer. Zoomed in, only the part in view is painted, so direct drawing is cheaper.
        if _rasters(p) and getattr(v, "zoom", 1.0) <= 1.0:
            margin = MAX_EDGE_WIDTH * s / 2 + 2
            self._edge_cache.paint(p, keys, pens, style, antialias, self.devicePixelRatioF(),
                                   margin)
            return
        # Vector output (SVG export records a QPicture): every line, as lines.
        p.setRenderHint(QPainter.Antialiasing, antialias)
        for lines, key in zip(self._edge_lines, keys):
            if not lines:  # drawn as fans (feature maps)
                continue
            order = np.argsort(key, kind="stable")
            bounds = np.searchsorted(key[order], np.arange(len(pens) + 1))
            for kk, pen in enumerate(pens):
                a, b = bounds[kk], bounds[kk + 1]
                if a < b:
                    p.setPen(pen)
                    p.drawLines([lines[i] for i in order[a:b]])

    def _edge_keys(self, k: int, w, ref: float, n: int) -> np.ndarray:
        """The pen of each edge into column ``k`` (see :meth:`_edge_pens`)."""
        if w is None or n == 0:  # no weights (dropout, a block's sum), or drawn as fans
            return np.zeros(n, np.int64)
        mag = np.abs(w).ravel() / ref
        mask = self.view.dropout_mask(k - 1)
        if mask is not None and w.ndim == 2 and len(mask) == w.shape[0]:
            # a dropped unit sends nothing along its edges in this step: drawn grey
            mag = np.where(np.repeat(mask == 0.0, w.shape[1]), 0.0, mag)
        bins = np.minimum((mag * _EDGE_BINS).astype(np.int64), _EDGE_BINS - 1)
        # key 0: (nearly) zero; then 1 + 2 * bin + (positive) for the signed bins
        return np.where(mag < ZERO_EDGE_FRACTION, 0, 1 + bins * 2 + (w.ravel() > 0))

    def _edge_pens(self, pal, s: float) -> tuple[list[QPen], tuple]:
        """The ``2 * _EDGE_BINS + 1`` edge pens (key 0: (nearly) zero; then by magnitude
        bin, negative before positive) and what they depend on."""
        bg = self.palette().base().color()
        zero = self.zero_edge_colour()
        style = (bg.rgba(), zero.rgba(), id(pal), pal.name, s)
        if getattr(self, "_pens_style", None) == style:
            return self._pens, style
        # (Nearly) zero: grey between background and text, so it shows in light and dark themes.
        pens = [QPen(zero, MIN_EDGE_WIDTH * s, Qt.SolidLine, Qt.FlatCap)]
        for kk in range(1, 2 * _EDGE_BINS + 1):
            level = ((kk - 1) // 2 + 0.5) / _EDGE_BINS
            sign = 1.0 if (kk - 1) % 2 else -1.0
            # Opaque colours blended with the background: translucent pens make QPainter
            # compute the union of all strokes, which is ~10x slower. Even the weakest bin
            # keeps its hue clearly, so the sign always reads.
            colour = blend(bg, pal.colour(sign * (0.45 + 0.55 * level), 1.0), 0.6 + 0.4 * level)
            width = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * level
            pens.append(QPen(colour, width * s, Qt.SolidLine, Qt.FlatCap))
        self._pens, self._pens_style = pens, style
        return pens, style

    def zero_edge_colour(self) -> QColor:
        """The neutral colour of an edge whose value is (nearly) zero, for the current theme."""
        return blend(self.palette().base().color(), self.palette().text().color(),
                     ZERO_EDGE_CONTRAST)

    def _paint_nodes(self, p: QPainter, pal) -> None:
        v = self.view
        border = blend(self.palette().base().color(), self.palette().text().color(), 0.55)
        rects = []
        s = v.scale
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, min(BASE_POINT_SIZE * s, self.node_size * 0.3)))
        on_screen = _rasters(p)  # not a recording (SVG export)
        dpr = self.devicePixelRatioF()
        for k, n in enumerate(v.layer_sizes):
            if k in self.map_geom:  # tiles of feature maps: feature_maps.paint_maps
                continue
            heat = v.heatmaps.get(k)
            vals = v.example_values(k)
            if vals is not None:
                centre, half = value_range(vals[:, None], v.layer_activation(k))
            sized = None
            if heat is not None and heat.values is not None and on_screen:
                # pictures at the drawn size: blitted, not scaled, every frame
                px = round(self.node_sizes[k] * dpr)
                sized = heat.sized_images(px, dpr)
            for j in range(n):
                r = self.node_rect(k, j)
                if sized is not None:
                    p.drawImage(QPointF(round(r.left() * dpr) / dpr, round(r.top() * dpr) / dpr),
                                sized[j])
                elif heat is not None and heat.values is not None:
                    p.drawImage(r, heat.image(j))
                elif vals is not None:
                    x = (vals[j] - centre[j]) / half[j]
                    p.fillRect(r, pal.colour(x, 1.0))
                    if self.node_sizes[k] >= 22 * s:
                        p.setFont(small)
                        p.setPen(pal.text_colour_on(x, 1.0))
                        val = vals[j]
                        p.drawText(r, Qt.AlignCenter,
                                   f"{val:.2f}" if abs(val) < 1e4 else f"{val:.1e}")
                else:
                    p.fillRect(r, pal.neutral)
                rects.append(r)
        p.setPen(QPen(border, 1.0))
        p.setBrush(Qt.NoBrush)
        p.drawRects(rects)
        rects = []
        # bias marks (drawn over the node borders)
        weights = v.weights
        for k in range(1, len(v.layer_sizes)):
            if not v.has_bias(k):
                continue
            b = weights[k - 1][1] if weights is not None else None
            ref = max(1.0, float(np.abs(b).max())) if b is not None and b.size else 1.0
            for j in range(v.layer_sizes[k]):
                r = self.bias_rect(k, j)
                colour = pal.colour(float(b[j]), ref) if b is not None else pal.neutral
                p.fillRect(r, colour)
                rects.append(r)
        p.setPen(QPen(border, 1.0))
        p.setBrush(Qt.NoBrush)
        p.drawRects(rects)

    def _paint_kinds(self, p: QPainter) -> None:
        """What each kind's drawer adds over its columns (dropped units, bypass arcs...)."""
        font = QFont(self.font())
        p.setFont(font)
        for k, col in enumerate(self.view.columns):
            if k in self.map_geom:  # tiles of feature maps (or of the image)
                paint_maps(self, p, k)
            if k == 0:
                continue
            DRAWERS[col.owner].paint(self, p, k)

    def _paint_labels(self, p: QPainter) -> None:
        v = self.view
        fm = QFontMetricsF(self.font())
        p.setPen(self.palette().text().color())
        p.setFont(self.font())
        h = fm.height()
        maxw_in, maxw_out = getattr(self, "label_width", (150 * v.scale, 150 * v.scale))
        maxw = max(maxw_in, 1.0)
        half = self.node_sizes[0] / 2 + 6 * v.scale
        pitch0 = self.node_y[0][1] - self.node_y[0][0] if v.layer_sizes[0] > 1 else h
        inputs = v.feature_names[: v.layer_sizes[0]] if pitch0 >= h * 0.9 and \
            0 not in self.map_geom else []  # an image has no names beside its pixels
        room = pitch0 if v.layer_sizes[0] > 1 else 3 * h  # height free for each label
        for j, name in enumerate(inputs):
            r = self.node_rect(0, j)
            wrapped = fm.boundingRect(QRectF(0, 0, maxw, 10 * h), Qt.TextWordWrap, name)
            if fm.horizontalAdvance(name) > maxw and room >= 2 * h and \
                    wrapped.height() <= 2 * h + 1:  # a long name takes two lines, uncut
                p.drawText(QRectF(r.center().x() - half - maxw, r.center().y() - h, maxw,
                                  2 * h), Qt.AlignRight | Qt.AlignVCenter | Qt.TextWordWrap,
                           name)
                continue
            text = fm.elidedText(name, Qt.ElideMiddle, maxw)
            p.drawText(QRectF(r.center().x() - half - maxw, r.center().y() - h / 2, maxw, h),
                       Qt.AlignRight | Qt.AlignVCenter, text)
        last = len(v.layer_sizes) - 1
        half = self.node_sizes[last] / 2 + 6 * v.scale
        for j, name in enumerate(v.output_names[: v.layer_sizes[last]]):
            r = self.node_rect(last, j)
            maxw = max(maxw_out, 1.0)
            text = fm.elidedText(name, Qt.ElideRight, maxw)
            p.drawText(QRectF(r.center().x() + half, r.center().y() - h / 2, maxw, h),
                       Qt.AlignLeft | Qt.AlignVCenter, text)

    def _paint_focus(self, p: QPainter) -> None:
        v = self.view
        s = v.scale
        targets = []
        # Only targets in the current network: a highlight can arrive before the relayout.
        if self.target_exists(self._hover):
            targets.append((self._hover, QColor(0, 0, 0, 110), 2.0))
        if self.target_exists(v.highlighted):
            targets.append((v.highlighted, QColor("#111111"), 3.5))
        for target, colour, width in targets:
            kind = target[0]
            if kind == "edge":
                _, k, i, j = target
                a, b = self.edge_point(k, i, j, 0.0), self.edge_point(k, i, j, 1.0)
                p.setPen(QPen(QColor(255, 255, 255, 220), (width + 3) * s, Qt.SolidLine,
                              Qt.RoundCap))
                p.drawLine(a, b)
                p.setPen(QPen(colour, width * s, Qt.DashLine, Qt.RoundCap))
                p.drawLine(a, b)
                continue
            _, k, j = target
            idx = range(v.layer_sizes[k]) if j is None else [j]
            for jj in idx:
                r = self.node_rect(k, jj).adjusted(-3 * s, -3 * s, 3 * s, 3 * s)
                p.setBrush(Qt.NoBrush)
                p.setPen(QPen(QColor(255, 255, 255, 230), (width + 2) * s))
                p.drawRoundedRect(r, 3 * s, 3 * s)
                p.setPen(QPen(colour, width * s))
                p.drawRoundedRect(r, 3 * s, 3 * s)


def _rasters(p: QPainter) -> bool:
    """Whether ``p`` paints pixels (the screen, a grab, an image), not a recording of the
    drawing (a QPicture or an SVG file, which keep vector lines and full-size images)."""
    engine = p.paintEngine()
    return engine is not None and engine.type() == QPaintEngine.Type.Raster


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """Opaque mix of ``a`` (t=0) and ``b`` (t=1)."""
    return QColor(int(a.red() + t * (b.red() - a.red())),
                  int(a.green() + t * (b.green() - a.green())),
                  int(a.blue() + t * (b.blue() - a.blue())))


class ColourLegend(QWidget):
    """"negative [colour bar] positive": the key to every colour on the canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colour_legend")
        self.setToolTip("Colour key for weights, activations, biases and outputs: the left colour "
                        "is negative, the right one positive, grey is close to zero. "
                        "Thicker connections have larger weights.")
        _palette.notifier.palette_changed.connect(self._on_palette_changed)

    def _on_palette_changed(self, _name: str) -> None:
        self.update()

    def sizeHint(self):  # noqa: N802
        from PySide6.QtCore import QSize

        fm = QFontMetricsF(self.font())
        w = fm.horizontalAdvance("negative") + fm.horizontalAdvance("positive") + 8 * fm.height()
        return QSize(int(w), int(fm.height() + 6))

    def minimumSizeHint(self):  # noqa: N802
        # Both words and a short bar always fit, so the key never paints over its neighbours.
        from PySide6.QtCore import QSize

        fm = QFontMetricsF(self.font())
        w = fm.horizontalAdvance("negative") + fm.horizontalAdvance("positive") + 2 * fm.height()
        return QSize(int(w) + 12, int(fm.height() + 6))

    def paintEvent(self, event) -> None:  # noqa: N802
        with painter_for(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        fm = QFontMetricsF(self.font())
        pal = _palette.current_palette()
        h = self.height()
        neg_w = fm.horizontalAdvance("negative") + 6
        pos_w = fm.horizontalAdvance("positive") + 6
        bar = QRectF(neg_w, h * 0.2, max(self.width() - neg_w - pos_w, 10), h * 0.6)
        p.setPen(self.palette().text().color())
        p.drawText(QRectF(0, 0, neg_w - 4, h), Qt.AlignRight | Qt.AlignVCenter, "negative")
        p.drawText(QRectF(bar.right() + 4, 0, pos_w, h), Qt.AlignLeft | Qt.AlignVCenter,
                   "positive")
        n = 64
        step = bar.width() / n
        for i in range(n):
            v = -1.0 + 2.0 * (i + 0.5) / n
            p.fillRect(QRectF(bar.left() + i * step, bar.top(), step + 1, bar.height()),
                       pal.colour(v, 1.0))
        p.setPen(QPen(QColor(128, 128, 128), 1))
        p.drawRect(bar)
