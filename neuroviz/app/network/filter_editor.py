"""A small editor for one convolution filter: its k x k weights per input channel and its
bias, with presets (vertical edge, horizontal edge, blur, zero).

Opened by clicking a filter's heatmap on the canvas; Apply emits
``filter_accepted(kernel (k, k, c_in), bias)`` and the window sets them in the running
network (undoable); Escape or Cancel changes nothing.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.network.editor import MAX_ABS_VALUE, PopupEditor, apply_cancel_buttons

__all__ = ["PRESETS", "FilterEditor", "preset_kernel"]

#: Preset name -> button text.
PRESETS = {"vertical": "Vertical edge", "horizontal": "Horizontal edge", "blur": "Blur",
           "zero": "Zero"}


def preset_kernel(name: str, k: int) -> np.ndarray:
    """A k x k kernel: "vertical" (−1 left, +1 right: responds to vertical edges),
    "horizontal" (−1 top, +1 bottom), "blur" (the mean of the window) or "zero"."""
    ramp = np.zeros(k)
    half = k // 2
    ramp[:half] = -1.0
    ramp[k - half:] = 1.0
    if name == "vertical":
        return np.tile(ramp, (k, 1))
    if name == "horizontal":
        return np.tile(ramp[:, None], (1, k))
    if name == "blur":
        return np.full((k, k), 1.0 / (k * k))
    if name == "zero":
        return np.zeros((k, k))
    raise ValueError(f"unknown filter preset {name!r} (choose from {', '.join(PRESETS)})")


class FilterEditor(PopupEditor):
    """A framed popup with a grid of spin boxes for one filter."""

    filter_accepted = Signal(object, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("filter_editor", parent)
        self.kernel = np.zeros((3, 3, 1))
        self.channel = 0
        self.title = QLabel(self)
        self.title.setObjectName("filter_editor_title")
        self.title.setWordWrap(True)
        self.channel_box = QComboBox(self)
        self.channel_box.setObjectName("filter_editor_channel")
        self.channel_box.setToolTip("The input channel whose weights the grid shows")
        self.channel_box.currentIndexChanged.connect(self._on_channel)
        self.grid = QGridLayout()
        self.grid.setSpacing(2)
        self.cells: list[list[QDoubleSpinBox]] = []
        presets = QHBoxLayout()
        self.preset_buttons = {}
        for name, text in PRESETS.items():
            b = QPushButton(text, self)
            b.setObjectName(f"filter_preset_{name}")
            b.setToolTip(f"Fill the grid with a {text.lower()} filter")
            b.clicked.connect(lambda _=False, n=name: self.set_preset(n))
            presets.addWidget(b)
            self.preset_buttons[name] = b
        self.bias = QDoubleSpinBox(self)
        self.bias.setObjectName("filter_editor_bias")
        self.bias.setRange(-MAX_ABS_VALUE, MAX_ABS_VALUE)
        self.bias.setDecimals(3)
        self.bias.setSingleStep(0.1)
        self.bias.setToolTip("The filter's bias, added to every value of its map")
        bias_row = QHBoxLayout()
        bias_row.addWidget(QLabel("bias", self))
        bias_row.addWidget(self.bias, 1)
        self.ok, self.cancel, buttons = apply_cancel_buttons(
            self, "filter_editor", "Set these weights in the network (Edit \u203a Undo takes "
            "them back)")
        self.ok.setDefault(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.channel_box)
        lay.addLayout(self.grid)
        lay.addLayout(presets)
        lay.addLayout(bias_row)
        lay.addLayout(buttons)
        self.ok.clicked.connect(self.apply)
        self.cancel.clicked.connect(self.close_editor)
        self.hide()

    # -- contents ----------------------------------------------------------------------
    def _build_grid(self, k: int) -> None:
        if len(self.cells) == k:
            return
        for row in self.cells:
            for cell in row:
                cell.setParent(None)
                cell.deleteLater()
        self.cells = []
        for i in range(k):
            row = []
            for j in range(k):
                cell = QDoubleSpinBox(self)
                cell.setObjectName(f"filter_cell_{i}_{j}")
                cell.setRange(-MAX_ABS_VALUE, MAX_ABS_VALUE)
                cell.setDecimals(3)
                cell.setSingleStep(0.1)
                cell.setToolTip(f"Weight at row {i + 1}, column {j + 1} of the filter")
                self.grid.addWidget(cell, i, j)
                row.append(cell)
            self.cells.append(row)

    def _store(self) -> None:
        """Keep the grid's values for the channel shown."""
        for i, row in enumerate(self.cells):
            for j, cell in enumerate(row):
                self.kernel[i, j, self.channel] = cell.value()

    def _load(self) -> None:
        for i, row in enumerate(self.cells):
            for j, cell in enumerate(row):
                cell.setValue(float(self.kernel[i, j, self.channel]))

    def _on_channel(self, index: int) -> None:
        if index < 0 or index == self.channel:
            return
        self._store()
        self.channel = index
        self._load()

    def set_preset(self, name: str) -> None:
        """Fill the grid (the channel shown) with a preset filter."""
        k = self.kernel.shape[0]
        self._store()
        self.kernel[:, :, self.channel] = preset_kernel(name, k)
        self._load()

    def values(self) -> tuple[np.ndarray, float]:
        """The kernel (k, k, c_in) and bias as edited."""
        self._store()
        return self.kernel.copy(), float(self.bias.value())

    def open_at(self, pos: QPoint, title: str, kernel: np.ndarray, bias: float) -> None:
        """Show the editor near ``pos`` (parent coordinates) with ``kernel`` (k, k, c_in)."""
        self.kernel = np.array(kernel, dtype=np.float64).copy()
        k, _, cin = self.kernel.shape
        self.title.setText(title)
        self._build_grid(k)
        self.channel = 0
        self.channel_box.blockSignals(True)
        self.channel_box.clear()
        self.channel_box.addItems([f"input channel {c + 1} of {cin}" for c in range(cin)])
        self.channel_box.setCurrentIndex(0)
        self.channel_box.blockSignals(False)
        self.channel_box.setVisible(cin > 1)
        self._load()
        self.bias.setValue(float(bias))
        self.show_at(pos.x() + 12, pos.y() + 12, self.cells[0][0])

    def apply(self) -> None:
        kernel, bias = self.values()
        self.hide()
        self.filter_accepted.emit(kernel, bias)
