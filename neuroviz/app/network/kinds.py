"""How the network canvas draws each layer kind: one drawer per engine kind, in a registry.

The canvas draws *columns* of units. Column 0 is the input; every top-level layer gives one
column, except a residual block, which gives one column per inner layer and then a *sum*
column (``h + f(h)``, the block's output, drawn as "+" junctions with a bypass arc from the
block's input). :func:`build_columns` turns :meth:`Network.describe` into that list through
:data:`DRAWERS`, the registry the canvas, the view's controls and the contract test use.

Per column the view keeps ``(edge values, bias)``: dense ``(W, b)`` with a full matrix of
edges; layernorm ``(gain, bias)`` drawn as one-to-one edges coloured by the gain; dropout
``(None, None)``, one-to-one edges; a residual sum column ``(P, None)`` with a projection,
else ``(None, None)``. :func:`column_params` maps weights or gradients grouped like
:meth:`Network.get_weights` onto the columns; :func:`column_values` does the same for
:meth:`Network.forward_all`'s values. Everything above the drawers is Qt-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from neuroviz.app.network.feature_maps import is_map
from neuroviz.app.network.receptive import MapStep, step_of

__all__ = ["DRAWERS", "Column", "KindDrawer", "Layout", "build_columns", "column_params",
           "column_values", "dense_layout", "layer_shapes", "spec_layout", "top_sizes"]


@dataclass(frozen=True)
class Column:
    """One drawn column of units.

    ``kind`` is the engine kind drawn ("dense", "dropout", "layernorm") or "input" or
    "sum" (a residual block's output); ``top`` is the top-level layer (−1 for the input),
    ``inner`` the position inside a residual block (None outside), ``edges`` how the column
    connects to the one before it ("full", "one_to_one" or "none"); ``path`` locates its
    parameters in :meth:`Network.get_weights` (``(g,)`` or ``(g, m)`` inside block group
    ``g``; None without parameters).
    """

    kind: str
    units: int
    activation: str | None = None
    top: int = -1
    inner: int | None = None
    edges: str = "none"
    path: tuple[int, ...] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """The engine kind whose drawer draws this column."""
        if self.kind == "sum" or self.inner is not None:
            return "residual"
        return self.kind


@dataclass(frozen=True)
class Block:
    """A residual block on the canvas: its inner columns ``first..last``, its sum column, the
    column feeding it (``source``), whether the skip path is on and has a projection."""

    top: int
    source: int
    first: int
    last: int
    sum: int
    skip: bool
    projection: bool


@dataclass
class Layout:
    """Columns and residual blocks of a network, as the canvas draws it."""

    columns: list[Column]
    blocks: list[Block]

    @property
    def sizes(self) -> list[int]:
        return [c.units for c in self.columns]

    @property
    def activations(self) -> list[str]:
        """Per column k >= 1 (as the view's ``activations``): the activation or "linear"."""
        return [c.activation or "linear" for c in self.columns[1:]]

    @property
    def is_dense(self) -> bool:
        return all(c.kind == "dense" for c in self.columns[1:])

    def block_of(self, k: int) -> Block | None:
        for b in self.blocks:
            if b.first <= k <= b.sum:
                return b
        return None


# -- drawers ----------------------------------------------------------------------------------
class KindDrawer:
    """What the canvas needs from a layer kind: its columns and what to paint over them."""

    kind = ""

    def columns(self, desc: dict, top: int, path: tuple[int, ...] | None) -> list[Column]:
        raise NotImplementedError

    def caption(self, col: Column) -> str:
        """Column heading (bold first line, second line)."""
        raise NotImplementedError

    def paint(self, canvas, p: QPainter, k: int) -> None:
        """Paint what is special about column ``k`` after nodes and edges (default: nothing)."""


class DenseDrawer(KindDrawer):
    kind = "dense"

    def columns(self, desc, top, path, inner=None):
        return [Column("dense", desc["units"], desc["activation"], top, inner, "full", path)]

    def caption(self, col):
        return f"{col.units} neuron{'s' if col.units != 1 else ''}"


class DropoutDrawer(KindDrawer):
    """A column of the same units; units dropped for the example shown are greyed and crossed."""

    kind = "dropout"

    def columns(self, desc, top, path, inner=None):
        return [Column("dropout", desc["units"], None, top, inner, "one_to_one", None,
                       {"rate": float(desc["rate"])})]

    def caption(self, col):
        return f"{col.units} units, p = {col.info['rate']:g}"

    def paint(self, canvas, p, k):
        mask = canvas.view.dropout_mask(k)
        if mask is None:
            return
        s = canvas.view.scale
        grey = QColor(canvas.palette().base().color())
        grey.setAlpha(215)
        cross = QPen(QColor(120, 120, 120), max(1.5, 1.5 * s))
        for j in np.flatnonzero(mask == 0.0):
            r = canvas.node_rect(k, int(j))
            p.fillRect(r, grey)
            p.setPen(cross)
            p.drawLine(r.topLeft(), r.bottomRight())
            p.drawLine(r.topRight(), r.bottomLeft())


class LayerNormDrawer(KindDrawer):
    """A column of normalised units fed one-to-one; the edges show the learned gain."""

    kind = "layernorm"

    def columns(self, desc, top, path, inner=None):
        return [Column("layernorm", desc["units"], None, top, inner, "one_to_one", path,
                       {"eps": float(desc.get("eps", 1e-5))})]

    def caption(self, col):
        return f"{col.units} units, \u03bc=0 \u03c3=1"

    def paint(self, canvas, p, k):
        # a bracket on the left of the column: all units are normalised together
        ys = canvas.node_y[k]
        if not len(ys) or k in canvas.map_geom:
            return
        ns = canvas.node_sizes[k]
        s = canvas.view.scale
        x = canvas.col_x[k] - ns / 2 - 5 * s
        top, bottom = ys[0] - ns / 2, ys[-1] + ns / 2
        p.setPen(QPen(canvas.palette().text().color(), 1.2 * s))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.drawLine(QPointF(x, top), QPointF(x + 3 * s, top))
        p.drawLine(QPointF(x, bottom), QPointF(x + 3 * s, bottom))


class ResidualDrawer(KindDrawer):
    """A block's inner columns, then its sum column of "+" junctions, and the bypass arc from
    the block's input: solid when the skip path is on, dashed grey when off, labelled "P"
    when it carries a projection."""

    kind = "residual"

    def columns(self, desc, top, path):
        cols: list[Column] = []
        g = 0
        for m, child in enumerate(desc["children"]):
            drawer = DRAWERS[child["kind"]]
            sub_path = None
            if child["params"]:
                sub_path = (path[0], g) if path is not None else None
                g += 1
            cols.extend(drawer.columns(child, top, sub_path, inner=m))
        p_path = (path[0], g) if desc["projection"] and path is not None else None
        cols.append(Column("sum", desc["units"], None, top, None, "one_to_one", p_path,
                           {"skip": bool(desc["skip"]), "projection": bool(desc["projection"])}))
        return cols

    def caption(self, col):
        if col.kind != "sum":
            return DRAWERS[col.kind].caption(col)
        if not col.info["skip"]:
            return "f(h), skip off"
        return "h·P + f(h)" if col.info["projection"] else "h + f(h)"

    def paint(self, canvas, p, k):
        col = canvas.view.columns[k]
        if col.kind != "sum":
            return
        block = canvas.view.layout.block_of(k)
        if block is None:
            return
        s = canvas.view.scale
        arc = canvas.bypass_path(block)
        text = canvas.palette().text().color()
        on = block.skip
        colour = QColor(40, 40, 40) if on else QColor(150, 150, 150)
        if text.lightness() > 128:  # dark theme
            colour = QColor(225, 225, 225) if on else QColor(120, 120, 120)
        pen = QPen(colour, (2.6 if on else 1.8) * s, Qt.SolidLine, Qt.FlatCap)
        if not on:
            pen.setDashPattern([3.0, 3.0])  # dashes as long as the gaps between them
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawPath(arc)
        # "+" junctions on the sum column
        ns = canvas.node_sizes[k]
        # halfway between the block's last column and the sum column, as large as fits
        left = canvas.col_x[k - 1] + canvas.node_sizes[k - 1] / 2
        right = canvas.col_x[k] - ns / 2
        rr = max(min(max(4.0 * s, ns * 0.22), (right - left) / 2 - 1.0), 1.5)
        for j in range(len(canvas.node_y[k])):
            c = QPointF((left + right) / 2, float(canvas.node_y[k][j]))
            p.setPen(QPen(colour, 1.4 * s))
            p.setBrush(canvas.palette().base())
            p.drawEllipse(c, rr, rr)
            if on:
                p.drawLine(QPointF(c.x() - rr * 0.6, c.y()), QPointF(c.x() + rr * 0.6, c.y()))
                p.drawLine(QPointF(c.x(), c.y() - rr * 0.6), QPointF(c.x(), c.y() + rr * 0.6))
        label = canvas.bypass_label_rect(block)
        p.setPen(colour)
        p.setBrush(Qt.NoBrush)
        if block.projection:
            what = "skip: h·P (projection)"
        else:
            what = "skip: h" if on else "skip off"
        p.drawText(label, Qt.AlignCenter, what)


class MapDrawer(KindDrawer):
    """A conv2d, maxpool or avgpool layer: its feature maps, one tile per filter (channel),
    for the selected example; a convolution's filters as small heatmaps beside the tiles
    (:mod:`.feature_maps`)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def columns(self, desc, top, path, inner=None):
        info = {"shape": tuple(int(d) for d in desc["out_shape"]),
                "in_shape": tuple(int(d) for d in desc["in_shape"]),
                "step": step_of(desc), "params": [tuple(s) for s in desc["params"]]}
        for key in ("filters", "kernel", "stride", "padding", "size"):
            if key in desc:
                info[key] = desc[key]
        activation = desc["activation"] if self.kind == "conv2d" else None
        return [Column(self.kind, desc["units"], activation, top, inner, "maps", path, info)]

    def caption(self, col):
        h, w, c = col.info["shape"]
        if col.kind == "conv2d":
            k = col.info["kernel"]
            return f"{c} filters {k}\u00d7{k}, {h}\u00d7{w}"
        size = col.info["size"]
        return f"{size}\u00d7{size} \u2192 {h}\u00d7{w}\u00d7{c}"

    # the canvas paints every map column's tiles (feature_maps.paint_maps)


class ReduceDrawer(KindDrawer):
    """A global pool (a column of one value per channel) or a flatten (the maps' values as
    one thin strip); both fed by a fan from the maps before them."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def columns(self, desc, top, path, inner=None):
        info = {"in_shape": tuple(int(d) for d in desc["in_shape"])}
        return [Column(self.kind, desc["units"], None, top, inner, "maps", None, info)]

    def caption(self, col):
        if col.kind == "flatten":
            return f"{col.units} values"
        what = "maxima" if col.kind == "globalmaxpool" else "means"
        return f"{col.units} channel {what}"

    def paint(self, canvas, p, k):
        if canvas.view.columns[k].kind != "flatten" or not len(canvas.node_y[k]):
            return
        # a bracket on the left of the strip: the maps' values laid out in one row
        ys, ns, s = canvas.node_y[k], canvas.node_sizes[k], canvas.view.scale
        x = canvas.col_x[k] - ns / 2 - 4 * s
        top, bottom = ys[0] - ns / 2, ys[-1] + ns / 2
        p.setPen(QPen(canvas.palette().text().color(), 1.2 * s))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.drawLine(QPointF(x, top), QPointF(x + 3 * s, top))
        p.drawLine(QPointF(x, bottom), QPointF(x + 3 * s, bottom))


#: Canvas drawer per engine layer kind (every registered kind needs one).
DRAWERS: dict[str, KindDrawer] = {d.kind: d for d in (
    DenseDrawer(), DropoutDrawer(), LayerNormDrawer(), ResidualDrawer(),
    MapDrawer("conv2d"), MapDrawer("maxpool"), MapDrawer("avgpool"),
    ReduceDrawer("globalmaxpool"), ReduceDrawer("globalavgpool"), ReduceDrawer("flatten"))}


#: A dense layer after a flatten with more connections than this is fed by a fan.
MAX_FLAT_EDGES = 2048


# -- layouts ------------------------------------------------------------------------------------
def build_columns(n_inputs: int, describe: list[dict]) -> Layout:
    """Columns and blocks for a network's :meth:`~neuroviz.engine.Network.describe`.

    An image input (``in_shape`` (H, W, C) of the first layer) is a map column; a layer of
    units right after a map column is fed by a fan ("maps" edges), not a line per value.
    """
    first_shape = tuple(describe[0].get("in_shape", ())) if describe else ()
    info = {"shape": tuple(int(d) for d in first_shape)} if len(first_shape) == 3 else {}
    cols = [Column("input", int(n_inputs), info=info)]
    blocks: list[Block] = []
    g = 0
    for top, desc in enumerate(describe):
        if desc["kind"] not in DRAWERS:
            raise ValueError(f"the canvas cannot draw layers of kind {desc['kind']!r}")
        has_params = bool(desc["params"])
        path = (g,) if has_params else None
        g += has_params
        start = len(cols)
        new = DRAWERS[desc["kind"]].columns(desc, top, path)
        cols.extend(new)
        if desc["kind"] == "residual":
            blocks.append(Block(top, start - 1, start, len(cols) - 2, len(cols) - 1,
                                bool(desc["skip"]), bool(desc["projection"])))
    for k, desc_shape in _out_shapes(describe):
        if cols[k].kind in ("dropout", "layernorm") and len(desc_shape) == 3:
            # on maps: drawn as maps, channel by channel (a 1x1 window per pixel)
            h, w, _ = desc_shape
            info = {**cols[k].info, "shape": desc_shape,
                    "step": MapStep(1, 1, 1, 0, 0, int(h), int(w))}
            cols[k] = replace(cols[k], edges="maps", info=info)
    for k in range(1, len(cols)):
        # a layer of units on maps, or on a long flattened strip: one fan, not 1000s of lines
        if cols[k].edges == "full" and (is_map(cols[k - 1]) or (
                cols[k - 1].kind == "flatten" and
                cols[k - 1].units * cols[k].units > MAX_FLAT_EDGES)):
            cols[k] = replace(cols[k], edges="maps")
    return Layout(cols, blocks)


def _out_shapes(describe: list[dict]) -> list[tuple[int, tuple[int, ...]]]:
    """(column, output shape) of each top-level layer that is one column (not a block)."""
    out, k = [], 1
    for desc in describe:
        if desc["kind"] == "residual":
            k += len(desc["children"]) + 1
            continue
        out.append((k, tuple(int(d) for d in desc.get("out_shape", ()))))
        k += 1
    return out


def dense_layout(sizes: list[int], activations: list[str]) -> Layout:
    """Columns of a dense stack given as sizes ``[inputs, units_1, ...]`` and activations."""
    desc = [{"kind": "dense", "units": int(n), "activation": str(a), "params": [(0,), (0,)],
             "children": []} for n, a in zip(sizes[1:], activations)]
    return build_columns(int(sizes[0]), desc)


def spec_layout(spec: dict) -> Layout:
    """Columns of the network ``spec`` (checked by the engine)."""
    from neuroviz.engine import Network

    net = Network.from_spec(spec, seed=0)
    return build_columns(net.n_inputs, net.describe())


def top_sizes(spec: dict) -> tuple[int, ...]:
    """``(inputs, width of each top-level layer)`` of a spec, as snapshots' ``layer_sizes``
    (the engine's shapes: a convolution's ``H'·W'·filters``, a pool's reduced maps)."""
    return tuple(math.prod(shape) for shape in layer_shapes(spec))


def layer_shapes(spec: dict) -> list[tuple[int, ...]]:
    """The input's shape, then each top-level layer's output shape (SpecError if the spec
    does not fit together)."""
    from neuroviz.engine.kinds import LAYER_KINDS
    from neuroviz.engine.network import input_shape, normalise_spec

    spec = normalise_spec(spec)
    shape = input_shape(spec["inputs"])
    out = [tuple(shape)]
    for i, entry in enumerate(spec["layers"]):
        shape = LAYER_KINDS[entry["type"]].output_shape(entry, shape, f"layers[{i}]")
        out.append(tuple(shape))
    return out


def _at(tree: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        tree = tree[i]
    return tree


def column_params(layout: Layout, weights: Any) -> list[tuple] | None:
    """Per column k >= 1, ``(edge values, bias)`` from weights (or gradients) grouped like
    :meth:`Network.get_weights`; None if they do not fit the layout."""
    if weights is None:
        return None
    out = []
    try:
        for col in layout.columns[1:]:
            if col.path is None:
                out.append((None, None))
                continue
            group = _at(weights, col.path)
            if col.kind == "sum":
                P = np.asarray(group[0])
                out.append((P, None))
                continue
            a, b = (np.asarray(group[0]), np.asarray(group[1]))
            out.append((a, b))
    except (IndexError, TypeError, ValueError):  # weights of another network's structure
        return None
    return out


def column_values(layout: Layout, values: list) -> list[np.ndarray]:
    """Per column k >= 1, the output values (batch, units) from ``Network.forward_all``."""
    out = []
    for col in layout.columns[1:]:
        lv = values[col.top]
        if col.inner is not None:
            out.append(lv.extras["inner"][col.inner].a)
        else:
            out.append(lv.a)
    return out


def column_masks(layout: Layout, values: list) -> dict[int, np.ndarray]:
    """Dropout columns' masks (0 or 1/(1 − rate) per value) from ``Network.forward_all``."""
    out = {}
    for k, col in enumerate(layout.columns):
        if col.kind != "dropout":
            continue
        lv = values[col.top]
        if col.inner is not None:
            lv = lv.extras["inner"][col.inner]
        out[k] = np.asarray(lv.extras["mask"])
    return out


def bypass_rect(x0: float, x1: float, y: float, h: float) -> QRectF:
    return QRectF(x0, y - h, x1 - x0, h)


def arc_path(x0: float, y0: float, x1: float, y1: float, top: float) -> QPainterPath:
    """A bypass from (x0, y0) up to ``top``, across, and down to (x1, y1)."""
    path = QPainterPath(QPointF(x0, y0))
    path.cubicTo(QPointF(x0, top), QPointF(x0, top), QPointF(x0 + (x1 - x0) * 0.2, top))
    path.lineTo(QPointF(x0 + (x1 - x0) * 0.8, top))
    path.cubicTo(QPointF(x1, top), QPointF(x1, top), QPointF(x1, y1))
    return path
