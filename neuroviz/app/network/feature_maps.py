"""Feature maps on the network canvas: image inputs, conv2d and pooling layers as tiles.

A *map column* (an image input, a conv2d, maxpool or avgpool layer) is drawn as one tile
per channel (per filter), each tile the ``H x W`` map of the selected example's values;
a conv2d tile has its filter's weights beside it as a small signed heatmap (one block per
input channel), which a click opens for editing. Every value of the column is still a unit
``u = (i*W + j)*C + c`` (channels last, as the engine stores it): :func:`place_maps` puts
unit ``u`` on pixel ``(i, j)`` of tile ``c``, so the canvas's hit-testing, hover and focus
work per pixel. Connections into and between map columns are drawn as translucent fans
(:func:`paint_map_edges`), not one line per value pair. Hovering a pixel outlines its
receptive field (:mod:`.receptive`) on the maps before it, down to the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPolygonF

from neuroviz.app import palette as _palette
from neuroviz.app.network.receptive import receptive_field

__all__ = ["MAP_KINDS", "MapGeometry", "hit_maps", "is_map", "paint_map_edges",
           "paint_maps", "place_maps", "receptive_windows", "unit_of", "width_weight"]

#: Column kinds drawn as maps (when their values have an (H, W, C) shape).
MAP_KINDS = ("input", "conv2d", "maxpool", "avgpool", "layernorm", "dropout")
#: A filter heatmap's side as a share of its tile's height.
FILTER_SHARE = 0.62
#: The largest map pixel at scale 1.
MAX_PIXEL = 16.0


def is_map(col) -> bool:
    """Whether column ``col`` is drawn as feature-map tiles."""
    return col.kind in MAP_KINDS and len(col.info.get("shape", ())) == 3


def width_weight(col) -> float:
    """A column's share of the canvas width (1 for a column of units)."""
    if not is_map(col):
        return 1.0
    if col.kind == "conv2d":
        return 1.9
    return 1.3


def unit_of(shape: tuple[int, int, int], u: int) -> tuple[int, int, int]:
    """(row, column, channel) of unit ``u`` of a map of ``shape`` (channels last)."""
    h, w, c = shape
    return u // (w * c), (u // c) % w, u % c


@dataclass
class MapGeometry:
    """Where a map column's tiles (one per channel) and filter heatmaps are drawn."""

    shape: tuple[int, int, int]
    pixel: float
    tiles: list[QRectF] = field(default_factory=list)
    filters: list[QRectF] = field(default_factory=list)

    def bounds(self) -> QRectF:
        r = QRectF(self.tiles[0])
        for t in self.tiles[1:] + self.filters:
            r = r.united(t)
        return r


def _grid(n: int, cell_w: float, cell_h: float, width: float, height: float) -> tuple[int, float]:
    """(columns, pixel size) of the grid of ``n`` cells, each ``cell_w`` x ``cell_h`` pixels
    of size 1, with the largest pixels that fit ``width`` x ``height``."""
    best = (1, 0.0)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        t = min(width / (cols * cell_w), height / (rows * cell_h))
        if t > best[1]:
            best = (cols, t)
    return best


def place_maps(canvas, k: int, col, x_left: float, width: float, top: float,
               height: float) -> None:
    """Lay out map column ``k`` in the box given: its tiles, filter heatmaps, and the
    canvas's per-unit centres (``node_y``, ``unit_x``) and size (``node_sizes``)."""
    h, w, c = (int(d) for d in col.info["shape"])
    s = canvas.view.scale
    conv = col.kind == "conv2d"
    side = max(h, w)
    gap = 0.18 * side  # between a tile and its filter, and below each cell
    extra = (gap + FILTER_SHARE * h) if conv else 0.0
    cell_w, cell_h = w + extra + 0.3 * side, h + gap
    cols, t = _grid(c, cell_w, cell_h, width, height)
    t = max(min(t, MAX_PIXEL * s), 0.5)
    rows = math.ceil(c / cols)
    grid_w, grid_h = cols * cell_w * t, rows * cell_h * t
    x0 = x_left + (width - grid_w) / 2 + 0.15 * side * t
    y0 = top + (height - grid_h) / 2 + gap * t / 2
    geom = MapGeometry((h, w, c), t)
    for ch in range(c):
        r, q = divmod(ch, cols)
        tile = QRectF(x0 + q * cell_w * t, y0 + r * cell_h * t, w * t, h * t)
        geom.tiles.append(tile)
        if conv:
            fs = FILTER_SHARE * h * t
            geom.filters.append(QRectF(tile.right() + gap * t, tile.center().y() - fs / 2,
                                       fs, fs))
    canvas.map_geom[k] = geom
    # unit u = (i*W + j)*C + ch sits on pixel (i, j) of tile ch
    ii, jj, cc = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    lefts = np.array([r.left() for r in geom.tiles])
    tops = np.array([r.top() for r in geom.tiles])
    canvas.unit_x[k] = (lefts[cc] + (jj + 0.5) * t).ravel()
    canvas.node_y[k] = (tops[cc] + (ii + 0.5) * t).ravel()
    canvas.node_sizes[k] = t


# -- painting -----------------------------------------------------------------------------
def _lut_image(values: np.ndarray, lut: np.ndarray) -> tuple[QImage, np.ndarray]:
    """An (h, w) RGB32 image of LUT indices ``values`` (uint8); the buffer is returned too
    and must stay alive while the image is drawn."""
    buf = np.ascontiguousarray(lut[values], dtype=np.uint32)
    h, w = buf.shape
    return QImage(buf.data, w, h, 4 * w, QImage.Format_RGB32), buf


def _grey_lut() -> np.ndarray:
    g = np.linspace(242, 20, 256).astype(np.uint32)  # light paper to dark ink
    return (0xFF << 24) | (g << 16) | (g << 8) | g


def map_indices(col, values: np.ndarray) -> np.ndarray:
    """LUT indices (h, w, c) of a map column's values: the image in grey from its smallest
    to its largest value, feature maps on the signed palette around 0 scaled by the
    column's largest |value|."""
    h, w, c = col.info["shape"]
    v = np.asarray(values, dtype=np.float64).reshape(h, w, c)
    if col.kind == "input":
        lo, hi = float(v.min()), float(v.max())
        t = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
        return np.clip(np.rint(t * 255.0), 0, 255).astype(np.uint8)
    ref = max(float(np.abs(v).max()), 1e-12)
    return np.clip((v / ref + 1.0) * 127.5, 0, 255).astype(np.uint8)


def paint_maps(canvas, p: QPainter, k: int) -> None:
    """Tiles of map column ``k`` (the selected example's values) and, for conv2d, each
    filter's weights beside its tile; then hover outlines."""
    geom = canvas.map_geom.get(k)
    if geom is None:
        return
    view = canvas.view
    col = view.columns[k]
    pal = _palette.current_palette()
    h, w, c = geom.shape
    values = view.example_values(k)
    border = QPen(canvas.zero_edge_colour(), 1.0)
    p.save()
    p.setRenderHint(QPainter.SmoothPixmapTransform, False)
    p.setRenderHint(QPainter.Antialiasing, False)
    if values is not None and values.size == h * w * c:
        idx = map_indices(col, values)
        lut = _grey_lut() if col.kind == "input" else pal.lut32()
        for ch, tile in enumerate(geom.tiles):
            image, _buf = _lut_image(np.ascontiguousarray(idx[:, :, ch]), lut)
            p.drawImage(tile, image)
    else:
        for tile in geom.tiles:
            p.fillRect(tile, pal.neutral)
    p.setPen(border)
    p.setBrush(Qt.NoBrush)
    p.drawRects(geom.tiles)
    if geom.filters:
        _paint_filters(canvas, p, k, geom, pal)
    p.restore()
    _paint_hover(canvas, p, k)


def filter_kernel(view, k: int) -> np.ndarray | None:
    """The kernel (kh, kw, c_in, filters) of conv column ``k`` as the view shows it: its
    weights, or their gradients of the last mini-batch when the edges show gradients."""
    weights = view.gradients if view.edge_mode == "gradients" else view.weights
    if weights is None or len(weights) < k or weights[k - 1][0] is None:
        return None
    K = np.asarray(weights[k - 1][0])
    return K if K.ndim == 4 else None


def _paint_filters(canvas, p: QPainter, k: int, geom: MapGeometry, pal) -> None:
    K = filter_kernel(canvas.view, k)
    border = QPen(canvas.zero_edge_colour(), 1.0)
    if K is None:
        for r in geom.filters:
            p.fillRect(r, pal.neutral)
        p.setPen(border)
        p.drawRects(geom.filters)
        return
    kh, kw, cin, nf = K.shape
    ref = max(float(np.abs(K).max()), 1e-12)
    idx = np.clip((K / ref + 1.0) * 127.5, 0, 255).astype(np.uint8)
    lut = pal.lut32()
    g = math.ceil(math.sqrt(cin))  # input channels as a g x g mosaic of kernels
    # one image per filter: the channels' kernels with a one-pixel gap of background between
    bg = canvas.palette().base().color().rgb() & 0xFFFFFFFF
    mosaic = np.full((nf, g * kh + g - 1, g * kw + g - 1), bg, dtype=np.uint32)
    for ci in range(cin):
        gr, gc = divmod(ci, g)
        top, left = gr * (kh + 1), gc * (kw + 1)
        mosaic[:, top:top + kh, left:left + kw] = lut[idx[:, :, ci, :]].transpose(2, 0, 1)
    for f, r in enumerate(geom.filters[:nf]):
        buf = np.ascontiguousarray(mosaic[f])
        h, w = buf.shape
        p.drawImage(r, QImage(buf.data, w, h, 4 * w, QImage.Format_RGB32))
    p.setPen(border)
    p.drawRects(geom.filters)


def _paint_hover(canvas, p: QPainter, k: int) -> None:
    """A hovered filter heatmap gets a ring; a hovered pixel of column ``k`` outlines its
    receptive field on every map before it."""
    hover = canvas._hover
    s = canvas.view.scale
    if not hover:
        return
    if hover[0] == "filter" and hover[1] == k:
        geom = canvas.map_geom[k]
        f = hover[2]
        if f < len(geom.filters):
            for r in (geom.filters[f], geom.tiles[f]):
                _ring(p, r.adjusted(-2 * s, -2 * s, 2 * s, 2 * s), s)
        return
    if hover[0] != "node" or hover[1] != k:
        return
    for m, window, channels in receptive_windows(canvas.view, k, hover[2]):
        geom = canvas.map_geom.get(m)
        if geom is None:
            continue
        r0, r1, c0, c1 = window
        t = geom.pixel
        for ch in channels:
            tile = geom.tiles[ch]
            _ring(p, QRectF(tile.left() + c0 * t, tile.top() + r0 * t, (c1 - c0 + 1) * t,
                            (r1 - r0 + 1) * t), s)


def receptive_windows(view, k: int, u: int) -> list[tuple[int, tuple, list[int]]]:
    """``(column, (row0, row1, col0, col1), channels)`` of each map column before map
    column ``k`` that unit ``u`` of it reads, down to the input image."""
    cols = view.columns
    shape = cols[k].info["shape"]
    i, j, ch = unit_of(shape, u)
    first = k
    while first >= 1 and is_map(cols[first]) and cols[first].info.get("step") is not None \
            and first - 1 >= 0 and is_map(cols[first - 1]):
        first -= 1
    steps = [cols[m].info["step"] for m in range(first + 1, k + 1)]
    if not steps:
        return []
    windows = receptive_field(steps, (i, i), (j, j))
    out = []
    pooled_only = True  # pools keep channels apart; a convolution mixes them all
    for m in range(k, first, -1):
        pooled_only = pooled_only and cols[m].kind != "conv2d"
        n_ch = cols[m - 1].info["shape"][2]
        channels = [ch] if pooled_only else list(range(n_ch))
        out.append((m - 1, windows[m - 1 - first], channels))
    return out


def _ring(p: QPainter, r: QRectF, s: float) -> None:
    p.save()
    p.setRenderHint(QPainter.Antialiasing, True)
    p.setBrush(Qt.NoBrush)
    p.setPen(QPen(QColor(255, 255, 255, 230), 3.5 * s))
    p.drawRect(r)
    p.setPen(QPen(QColor("#111111"), 1.8 * s))
    p.drawRect(r)
    p.restore()


def hit_maps(canvas, pos: QPointF) -> tuple | None:
    """("filter", k, f) on a filter heatmap, ("node", k, u) on pixel u of a tile, else None."""
    for k, geom in canvas.map_geom.items():
        for f, r in enumerate(geom.filters):
            if r.contains(pos):
                return ("filter", k, f)
        h, w, c = geom.shape
        for ch, r in enumerate(geom.tiles):
            if r.contains(pos):
                i = min(int((pos.y() - r.top()) / geom.pixel), h - 1)
                j = min(int((pos.x() - r.left()) / geom.pixel), w - 1)
                return ("node", k, (i * w + j) * c + ch)
    return None


# -- connections ---------------------------------------------------------------------------
def _span(canvas, k: int) -> QRectF:
    """The box of column ``k``'s drawn units."""
    geom = canvas.map_geom.get(k)
    if geom is not None:
        return geom.bounds()
    ys, ns = canvas.node_y[k], canvas.node_sizes[k]
    x = canvas.col_x[k]
    return QRectF(x - ns / 2, float(ys[0]) - ns / 2, ns, float(ys[-1] - ys[0]) + ns)


def _band(a: QRectF, b: QRectF) -> QPolygonF:
    """A band from the right side of ``a`` to the left side of ``b``."""
    return QPolygonF([QPointF(a.right(), a.top()), QPointF(b.left(), b.top()),
                      QPointF(b.left(), b.bottom()), QPointF(a.right(), a.bottom())])


def paint_map_edges(canvas, p: QPainter) -> None:
    """Fans for every connection drawn as "maps": a convolution reads every channel of the
    maps before it (one band per filter from all of them), a pool one channel (one band per
    channel), a global pool a whole map per value, and a flatten or a dense layer on maps
    every value (one band). Opaque fills, not antialiased, and their edges as lines:
    translucent antialiased polygons cost ~1 ms each (QPainter computes their union)."""
    if canvas.fans is None:
        bands = _fan_bands(canvas)
        canvas.fans = (bands, [QLineF(band[0], band[1]) for band in bands] +
                       [QLineF(band[3], band[2]) for band in bands])
    bands, lines = canvas.fans
    if not bands:
        return
    bg = canvas.palette().base().color()
    line = canvas.zero_edge_colour()
    fill = QColor(int(bg.red() + 0.35 * (line.red() - bg.red())),
                  int(bg.green() + 0.35 * (line.green() - bg.green())),
                  int(bg.blue() + 0.35 * (line.blue() - bg.blue())))
    p.save()
    p.setRenderHint(QPainter.Antialiasing, False)
    p.setPen(Qt.NoPen)
    p.setBrush(QBrush(fill))
    for band in bands:
        p.drawPolygon(band)
    p.setPen(QPen(line, 1.0 * canvas.view.scale))
    p.drawLines(lines)
    p.restore()


def _fan_bands(canvas) -> list[QPolygonF]:
    """The bands run in the gap between two columns only: from the right edge of the maps
    before (at a tile's height) to the left edge of the maps after, so a grid of several
    tiles a row is not crossed."""
    cols = canvas.view.columns
    bands: list[QPolygonF] = []

    def out_of(geom: MapGeometry, tile: QRectF) -> QRectF:
        return QRectF(geom.bounds().right(), tile.top(), 0.0, tile.height())

    def into(geom: MapGeometry, tile: QRectF) -> QRectF:
        return QRectF(geom.bounds().left(), tile.top(), 0.0, tile.height())

    for k in range(1, len(cols)):
        if cols[k].edges != "maps":
            continue
        src, dst = canvas.map_geom.get(k - 1), canvas.map_geom.get(k)
        kind = cols[k].kind
        if src is not None and dst is not None and kind != "conv2d" and \
                len(src.tiles) == len(dst.tiles):  # a pool: channel to channel
            bands += [_band(out_of(src, a), into(dst, b)) for a, b in zip(src.tiles, dst.tiles)]
        elif src is not None and dst is not None:  # every filter reads every channel
            whole = src.bounds()
            bands += [_band(whole, into(dst, b)) for b in dst.tiles]
        elif src is not None and kind in ("globalmaxpool", "globalavgpool") and \
                len(src.tiles) == cols[k].units:
            bands += [_band(out_of(src, a), canvas.node_rect(k, ch))
                      for ch, a in enumerate(src.tiles)]
        else:
            bands.append(_band(_span(canvas, k - 1), _span(canvas, k)))
    return bands
