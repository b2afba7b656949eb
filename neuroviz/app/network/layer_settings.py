"""Building the convolutional part of a network in the editor: the image kinds of the
"+ kind" menu, the inserts of a map column's menu, and the settings popover of a
convolution (filters, kernel, stride, padding, activation).

Nothing here changes the network: the view emits requests, and the window turns them into
undoable spec edits (``neuroviz.app.window.commands``), which the engine checks (a shape
that does not fit is reported with the engine's message and changes nothing).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.network.editor import PopupEditor, apply_cancel_buttons
from neuroviz.app.network.text import activation_title

__all__ = ["MAP_INSERTS", "ConvSettings", "conv_summary", "image_kinds"]

#: Column-menu inserts after a map column: (op, text).
MAP_INSERTS = (
    ("insert_conv2d", "Insert a convolution after this layer"),
    ("insert_maxpool", "Insert a max pool after this layer"),
    ("insert_avgpool", "Insert an average pool after this layer"),
    ("insert_globalavgpool", "Insert a global average pool after this layer"),
    ("insert_globalmaxpool", "Insert a global max pool after this layer"),
    ("insert_flatten", "Insert a flatten after this layer"),
)


def image_kinds() -> tuple[tuple[str, str, str], ...]:
    """(kind, menu text, tooltip) of the layers the "+ kind" menu adds on image inputs."""
    return (
        ("conv2d", "Convolution (8 filters 3\u00d73)",
         "Filters that slide over the image: one feature map per filter. Added after the "
         "last convolution or pool, before the dense layers"),
        ("maxpool", "Max pool (2\u00d72)",
         "Halves the maps' height and width, keeping the largest value of each 2\u00d72 "
         "window"),
        ("avgpool", "Average pool (2\u00d72)",
         "Halves the maps' height and width, keeping the mean of each 2\u00d72 window"),
        ("globalavgpool", "Global average pool",
         "One value per channel (the mean of its map): the step from maps to dense layers"),
        ("globalmaxpool", "Global max pool",
         "One value per channel (the largest of its map): the step from maps to dense "
         "layers"),
        ("flatten", "Flatten",
         "The maps' values in one row for the dense layers after it"),
    )


def conv_summary(info: dict, activation: str | None) -> str:
    """"8 × 3×3 s1 same" (the button over a convolution column)."""
    k = info.get("kernel", 0)
    text = f"{info.get('filters', 0)}\u00d7 {k}\u00d7{k}"
    if info.get("stride", 1) != 1:
        text += f" s{info['stride']}"
    if info.get("padding") == "same":
        text += " same"
    return text + " \u25be"


class ConvSettings(PopupEditor):
    """A popover with a convolution's settings; Apply emits ``settings_accepted(column,
    {filters, kernel, stride, padding, activation})`` with what changed."""

    settings_accepted = Signal(int, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("conv_settings", parent)
        self.column = -1
        self._old: dict = {}
        self.title = QLabel(self)
        self.title.setObjectName("conv_settings_title")
        self.filters = QSpinBox(self)
        self.filters.setObjectName("conv_filters")
        self.filters.setRange(1, 64)
        self.filters.setToolTip("Filters: one feature map each")
        self.kernel = QSpinBox(self)
        self.kernel.setObjectName("conv_kernel")
        self.kernel.setRange(1, 9)
        self.kernel.setToolTip("Kernel size: each filter sees a k \u00d7 k window of the maps "
                               "before it")
        self.stride = QSpinBox(self)
        self.stride.setObjectName("conv_stride")
        self.stride.setRange(1, 4)
        self.stride.setToolTip("Stride: how far the window moves each step (2 halves the "
                               "maps)")
        self.padding = QComboBox(self)
        self.padding.setObjectName("conv_padding")
        self.padding.addItem("valid (no padding: the maps shrink)", "valid")
        self.padding.addItem("same (zeros around: the maps keep their size)", "same")
        self.padding.setToolTip("Padding: valid uses only windows inside the image; same pads "
                                "it with zeros so the output keeps the input's size (at "
                                "stride 1)")
        self.activation = QComboBox(self)
        self.activation.setObjectName("conv_activation")
        self.activation.setToolTip("Activation applied to every value of the maps")
        form = QFormLayout()
        form.addRow("Filters", self.filters)
        form.addRow("Kernel", self.kernel)
        form.addRow("Stride", self.stride)
        form.addRow("Padding", self.padding)
        form.addRow("Activation", self.activation)
        self.ok, self.cancel, buttons = apply_cancel_buttons(
            self, "conv_settings", "Change the layer (Edit \u203a Undo takes it back)")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.title)
        lay.addLayout(form)
        lay.addLayout(buttons)
        self.ok.clicked.connect(self.apply)
        self.cancel.clicked.connect(self.close_editor)
        self.hide()

    def open_at(self, pos: QPoint, column: int, title: str, info: dict, activation: str,
                activations) -> None:
        self.column = column
        self.title.setText(f"<b>{title}</b>")
        self.filters.setValue(int(info["filters"]))
        self.kernel.setValue(int(info["kernel"]))
        self.stride.setValue(int(info["stride"]))
        self.padding.setCurrentIndex(0 if info["padding"] == "valid" else 1)
        self.activation.clear()
        names = list(activations)
        if activation not in names:
            names.append(activation)
        for name in names:
            self.activation.addItem(activation_title(name), name)
        self.activation.setCurrentIndex(names.index(activation))
        self._old = self.settings()
        self.show_at(pos.x(), pos.y() + 4, self.filters)

    def settings(self) -> dict:
        return {"filters": self.filters.value(), "kernel": self.kernel.value(),
                "stride": self.stride.value(), "padding": self.padding.currentData(),
                "activation": self.activation.currentData()}

    def apply(self) -> None:
        new = self.settings()
        changed = {key: v for key, v in new.items() if self._old.get(key) != v}
        self.hide()
        if changed:
            self.settings_accepted.emit(self.column, changed)
