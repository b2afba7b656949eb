"""Per-layer neuron heatmaps for the network view: LUT-mapped uint32 buffers behind QImages.

One buffer of shape ``(units, N, N)`` per node layer is allocated once; each neuron's QImage
wraps its slice of that buffer, so an update is a vectorised ``np.take`` into the buffer and
no Qt object is created per frame.

Grid convention (shared with the output view and the worker): ``grid[u][i, j]`` is the value
at ``x = xs[j]``, ``y = ys[i]`` with ``xs`` and ``ys`` ascending, i.e. the points were built as
``np.meshgrid(xs, ys)`` flattened row-major. The buffers are stored flipped vertically so that
image row 0 (the top of the picture) is the largest ``y``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from neuroviz.app.palette import Palette

__all__ = ["HeatmapLayer", "plane_grid", "value_range"]

# Activations whose output lives in [0, 1]: coloured with 0.5 as the neutral middle.
_UNIT_INTERVAL = ("sigmoid", "softmax")


def value_range(values: np.ndarray, activation: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit ``(centre, half_width)`` used to colour ``values`` of shape (units, ...)."""
    units = values.shape[0]
    if activation in _UNIT_INTERVAL:
        return np.full(units, 0.5), np.full(units, 0.5)
    flat = np.abs(values.reshape(units, -1))
    vmax = flat.max(axis=1) if flat.shape[1] else np.ones(units)
    return np.zeros(units), np.maximum(vmax, 1.0)


class HeatmapLayer:
    """Heatmap images for every unit of one node layer."""

    def __init__(self, units: int, rows: int, cols: int) -> None:
        self.units = units
        self.shape = (units, rows, cols)
        self.buf = np.zeros(self.shape, dtype=np.uint32)
        self._idx = np.zeros(self.shape, dtype=np.uint8)
        self.images = [
            QImage(self.buf[u].data, cols, rows, 4 * cols, QImage.Format_RGB32)
            for u in range(units)
        ]
        self.values: np.ndarray | None = None  # last finite float32 values (units, N, N)
        self.activation: str | None = None
        self.version = 0  # counts recolourings (new values, a palette change)
        self._sized: tuple | None = None  # (version, px, dpr, buffer, images) at drawn size

    def matches(self, shape: tuple[int, int, int]) -> bool:
        return self.shape == tuple(shape)

    def update(self, values: np.ndarray, activation: str | None, palette: Palette) -> bool:
        """Map ``values`` (units, rows, cols) through the palette into the buffers.

        Returns False (and keeps the previous picture) when the values contain NaN or inf.
        """
        values = np.asarray(values, dtype=np.float32)
        if values.shape != self.buf.shape or not np.isfinite(values).all():
            return False
        self.values = values
        self.activation = activation
        self.remap(palette)
        return True

    def remap(self, palette: Palette) -> None:
        """Recolour the last values (e.g. after a palette change)."""
        if self.values is None:
            return
        centre, half = value_range(self.values, self.activation)
        t = (self.values - centre[:, None, None].astype(np.float32)) / half[:, None, None].astype(
            np.float32
        )
        np.clip((t + 1.0) * 127.5, 0.0, 255.0, out=t)
        self._idx[...] = t[:, ::-1, :]  # flip: image row 0 = largest y
        np.take(palette.lut32(), self._idx, out=self.buf)
        self.version += 1

    def image(self, unit: int) -> QImage:
        return self.images[unit]

    def sized_images(self, px: int, dpr: float = 1.0) -> list[QImage]:
        """Every unit's picture at ``px`` x ``px`` device pixels (nearest sample, as an
        unsmoothed scaled drawing picks it), so the canvas blits it without scaling. Made
        once per recolouring and size, in one vectorised step for the whole layer."""
        px = max(1, int(px))
        cached = self._sized
        if cached is not None and cached[:3] == (self.version, px, dpr):
            return cached[4]
        _, rows, cols = self.shape
        ri = np.minimum(((np.arange(px) + 0.5) * rows / px).astype(np.intp), rows - 1)
        ci = np.minimum(((np.arange(px) + 0.5) * cols / px).astype(np.intp), cols - 1)
        buf = np.ascontiguousarray(self.buf[:, ri[:, None], ci[None, :]])
        images = []
        for u in range(self.units):
            img = QImage(buf[u].data, px, px, 4 * px, QImage.Format_RGB32)
            img.setDevicePixelRatio(dpr)
            images.append(img)
        self._sized = (self.version, px, dpr, buf, images)
        return images


def plane_grid(ds, n: int = 48) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Grid over a 2-D dataset's plane in the convention above.

    Returns ``(raw_points (n*n, 2), features (n*n, n_features), (n, n))``; pass the last two
    to ``Trainer.set_grid``.
    """
    lo, hi = ds.extent
    xs = np.linspace(lo, hi, n)
    xx, yy = np.meshgrid(xs, xs)
    raw = np.column_stack([xx.ravel(), yy.ravel()])
    return raw, ds.transform(raw), (n, n)
