"""The network canvas's edges, painted once per change: one cached picture per layer of edges.

Each edge is drawn with one of ``2 * bins + 1`` pens (a neutral grey for (nearly) zero, and
sign x magnitude bins), so the picture of a layer's edges changes only when an edge moves to
another pen. :class:`EdgeLayerCache` keeps, per layer, the pens' keys it was painted with and a
transparent image of the layer's strip; a frame repaints only the layers whose keys changed
(while training, often only a few) and blits the others. Painting on a transparent image and
compositing it over the background gives the same pixels as painting the opaque, antialiased
strokes straight onto the background.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen

__all__ = ["EdgeLayerCache"]


class _Strip:
    __slots__ = ("bounds", "image", "key", "origin")

    def __init__(self) -> None:
        self.key: np.ndarray | None = None  # the pen of each edge when last painted
        self.image: QImage | None = None
        self.bounds = QRectF()  # the edges' end points
        self.origin = QPointF()  # where the image's top left goes on the canvas


class EdgeLayerCache:
    """Cached pictures of the edges between neighbouring columns (one per layer)."""

    def __init__(self) -> None:
        self._strips: list[_Strip] = []
        self._lines: list[np.ndarray] = []  # per layer: object array of QLineF
        self._style: tuple | None = None
        self.repainted = 0  # layers painted afresh (not blitted) so far

    def set_geometry(self, lines: Sequence[Sequence], xy: Sequence[np.ndarray]) -> None:
        """New edge positions (after a relayout): every layer is painted afresh."""
        self._lines = []
        for layer in lines:
            arr = np.empty(len(layer), dtype=object)
            arr[:] = list(layer)
            self._lines.append(arr)
        self._strips = [_Strip() for _ in lines]
        for strip, e in zip(self._strips, xy):
            if len(e):
                x0, x1 = float(e[:, [0, 2]].min()), float(e[:, [0, 2]].max())
                y0, y1 = float(e[:, [1, 3]].min()), float(e[:, [1, 3]].max())
                strip.bounds = QRectF(x0, y0, x1 - x0, y1 - y0)

    def paint(self, p: QPainter, keys: Sequence[np.ndarray], pens: Sequence[QPen],
              style: tuple, antialias: bool, dpr: float, margin: float) -> None:
        """Draw every layer's edges: ``keys[k]`` is the pen index of each edge of layer
        ``k`` (in the order of the geometry's lines), ``pens`` the pens by index, ``style``
        anything the pens depend on (colours, widths), ``margin`` the widest half stroke."""
        style = (style, antialias, dpr, margin)
        if style != self._style:
            self._style = style
            for strip in self._strips:
                strip.key = None
        for strip, lines, key in zip(self._strips, self._lines, keys):
            if not len(lines):
                continue
            if strip.key is None or not np.array_equal(strip.key, key):
                self._render(strip, lines, key, pens, antialias, dpr, margin)
            p.drawImage(strip.origin, strip.image)

    def _render(self, strip: _Strip, lines: np.ndarray, key: np.ndarray,
                pens: Sequence[QPen], antialias: bool, dpr: float, margin: float) -> None:
        self.repainted += 1
        b = strip.bounds
        # On whole device pixels, so the blitted strokes sit exactly where direct ones would.
        left = math.floor((b.left() - margin) * dpr) / dpr
        top = math.floor((b.top() - margin) * dpr) / dpr
        rect = QRectF(left, top, b.right() + margin - left, b.bottom() + margin - top)
        w, h = max(1, int(np.ceil(rect.width() * dpr))), max(1, int(np.ceil(rect.height() * dpr)))
        image = strip.image
        if image is None or image.width() != w or image.height() != h \
                or image.devicePixelRatio() != dpr:
            image = QImage(w, h, QImage.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
        image.fill(Qt.transparent)
        q = QPainter(image)
        try:
            q.setRenderHint(QPainter.Antialiasing, antialias)
            q.translate(-rect.left(), -rect.top())
            order = np.argsort(key, kind="stable")
            bounds = np.searchsorted(key[order], np.arange(len(pens) + 1))
            for kk, pen in enumerate(pens):
                a, b_ = bounds[kk], bounds[kk + 1]
                if a == b_:
                    continue
                q.setPen(pen)
                q.drawLines(lines[order[a:b_]].tolist())
        finally:
            q.end()
        strip.image = image
        strip.origin = rect.topLeft()
        strip.key = np.array(key, copy=True)
