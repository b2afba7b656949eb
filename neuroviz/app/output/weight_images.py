"""Weights as images: what each neuron of the first layer looks for in an 8×8 digit.

For image data each neuron of the first layer has one weight per pixel. Drawn in the pixels'
own places, a neuron's 64 weights form an 8×8 picture: blue where a lit pixel pushes the
neuron up, orange where it pushes it down, grey where the pixel does not matter. Without a
hidden layer the first layer is the output, and each picture is a class's template (a "0"
shows a ring of blue around an orange middle); with a hidden layer they are the features the
hidden neurons learned. Each picture uses its own symmetric colour scale, ``±max|w|``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from neuroviz.app import palette as palettes

__all__ = ["WeightImagesView", "weight_images"]

MAX_IMAGES = 32


def weight_images(W: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The first layer's weights ``W`` (pixels, neurons) as images (neurons, rows, cols)."""
    W = np.asarray(W, dtype=np.float64)
    rows, cols = shape
    if W.shape[0] != rows * cols:
        raise ValueError(f"{W.shape[0]} weights per neuron do not make a {rows}x{cols} image")
    return np.ascontiguousarray(W.T.reshape(W.shape[1], rows, cols))


class WeightImagesView(QWidget):
    """One signed 8×8 picture per first-layer neuron, live while training."""

    open_requested = Signal()

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weight_images")
        self.window = window
        self.images: np.ndarray | None = None
        self._dirty = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.caption = QLabel()
        self.caption.setObjectName("weight_images_caption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.grid_widget = pg.GraphicsLayoutWidget()
        self.grid_widget.setBackground(None)
        self.grid_widget.setObjectName("weight_images_grid")
        self.grid_widget.setMinimumSize(240, 160)
        layout.addWidget(self.grid_widget, 1)
        self.boxes: list[pg.ViewBox] = []
        self.items: list[pg.ImageItem] = []
        self.labels: list[pg.LabelItem] = []
        self._layout_for = None
        window.snapshot_drawn.connect(self._on_snapshot)
        window.experiment_applied.connect(self._on_network_changed)
        window.state.subscribe(lambda change: self._on_network_changed()
                               if change in ("network", "dataset") else None)
        palettes.notifier.palette_changed.connect(self._on_palette_changed)

    def open(self) -> None:
        self.open_requested.emit()

    def _titles(self, n: int) -> list[str]:
        ds = self.window.dataset
        spec = self.window.state.spec
        if len(spec["layers"]) == 1 and ds is not None and len(ds.class_names) == n:
            return [str(name) for name in ds.class_names]
        return [f"n{j + 1}" for j in range(n)]

    def _build(self, n: int) -> None:
        self.grid_widget.clear()
        self.boxes, self.items, self.labels = [], [], []
        cols = min(8, max(1, int(np.ceil(np.sqrt(n * 2.5)))))
        lut = palettes.current_palette().lut()
        for k in range(n):
            r, c = divmod(k, cols)
            label = self.grid_widget.addLabel("", row=2 * r, col=c, size="8pt")
            box = self.grid_widget.addViewBox(row=2 * r + 1, col=c, lockAspect=True,
                                              enableMouse=False, invertY=True)
            item = pg.ImageItem()
            item.setLookupTable(lut)
            box.addItem(item)
            self.boxes.append(box)
            self.items.append(item)
            self.labels.append(label)
        self._layout_for = n

    def _on_network_changed(self) -> None:
        self._layout_for = None
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def _on_palette_changed(self, _name: str) -> None:
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def _on_snapshot(self, _snap) -> None:
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        ds = self.window.dataset
        snap = self.window.latest_snapshot
        shape = None if ds is None else ds.image_shape
        if shape is None:
            self.caption.setText("Weight images need image data: choose the digits.")
            self.grid_widget.clear()
            self._layout_for = None
            self.images = None
            return
        if snap is None:
            return
        first = self.window.state.spec["layers"][0]
        if first.get("type", "dense") != "dense" or not snap.weights:
            self.caption.setText("Weight images show the first layer's weights: it must be a "
                                 "dense layer.")
            return
        W = np.asarray(snap.weights[0][0])
        try:
            images = weight_images(W, tuple(shape))[:MAX_IMAGES]
        except ValueError as exc:
            self.caption.setText(str(exc))
            return
        self.images = images
        n = len(images)
        if self._layout_for != n:
            self._build(n)
        lut = palettes.current_palette().lut()
        for item, label, box, title, image in zip(self.items, self.labels, self.boxes,
                                                  self._titles(n), images):
            vmax = float(np.max(np.abs(image))) or 1.0
            # rows of the image go down the screen (invertY); pyqtgraph takes x first
            item.setLookupTable(lut)
            item.setImage(np.ascontiguousarray(image.T, dtype=np.float32), autoLevels=False,
                          levels=(-vmax, vmax))
            label.setText(title, size="8pt")
            box.setToolTip(f"{title}: weights from -{vmax:.2f} (orange) to +{vmax:.2f} (blue)")
        layer = "the output neurons" if len(self.window.state.spec["layers"]) == 1 \
            else "the first hidden layer's neurons"
        self.caption.setText(f"The 64 input weights of each of {layer}, in the pixels' "
                             f"places. Blue: a lit pixel pushes the neuron up; orange: down "
                             f"(each picture on its own scale, \u00b1 its largest weight).")
