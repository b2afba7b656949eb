"""The data panel: dataset picker with previews, noise, split, batch size, features.

Emits :attr:`DataPanel.settings_changed` with a new :class:`DatasetSettings` whenever the
user changes the data, and :attr:`DataPanel.batch_size_changed` for the batch size (a
live hyperparameter). :meth:`DataPanel.set_settings` updates the controls without
emitting; :meth:`DataPanel.set_counts` shows how many examples the loaded data has.
Control IDs: ``dataset_<name>``, ``noise``, ``train_ratio``, ``batch_size``,
``regenerate``, ``feature_<id>`` (see :data:`FEATURE_IDS`), ``option_<name>`` (a check box
for a switch such as the penguins' island, a menu for a named choice such as the strokes'
placement),
``dataset_size`` (the label with the counts).
"""

from __future__ import annotations

import copy
import functools
import html

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app import palette as palettes
from neuroviz.data import DATASETS, FEATURES_2D, load_dataset
from neuroviz.data.embedded import EMBEDDED_NAMES
from neuroviz.experiment import DatasetSettings

FEATURE_IDS = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1sq",
    "x2^2": "x2sq",
    "x1*x2": "x1x2",
    "sin x1": "sinx1",
    "sin x2": "sinx2",
}
FEATURE_LABELS = {
    "x1": "x\u2081", "x2": "x\u2082", "x1^2": "x\u2081\u00b2", "x2^2": "x\u2082\u00b2",
    "x1*x2": "x\u2081x\u2082", "sin x1": "sin(x\u2081)", "sin x2": "sin(x\u2082)",
}
PREVIEW_SIZE = 56
BATCH_MAX = 100


class DataPanel(QWidget):
    settings_changed = Signal(object)  # DatasetSettings
    batch_size_changed = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("data_panel")
        self._settings = DatasetSettings()
        self._updating = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)

        # -- dataset picker -----------------------------------------------------------
        self.dataset_buttons: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for task, heading in (("classification", "Classification"),
                              ("regression", "Regression")):
            box = QGroupBox(heading, self)
            box.setObjectName(f"datasets_{task}")
            grid = QGridLayout(box)
            grid.setSpacing(4)
            grid.setContentsMargins(6, 6, 6, 6)
            names = [n for n, info in DATASETS.items() if info.task == task]
            for k, name in enumerate(names):
                info = DATASETS[name]
                button = QToolButton(box)
                button.setObjectName(f"dataset_{name}")
                button.setCheckable(True)
                button.setIcon(dataset_icon(name))
                button.setIconSize(QSize(PREVIEW_SIZE, PREVIEW_SIZE))
                button.setAutoRaise(False)
                button.setToolTip(f"<b>{info.title}</b><br>"
                                  f"{palettes.palette_words(info.description)}")
                button.setAccessibleName(info.title)
                button.clicked.connect(functools.partial(self._pick, name))
                self._group.addButton(button)
                self.dataset_buttons[name] = button
                grid.addWidget(button, k // 3, k % 3)
            layout.addWidget(box)

        self.title = QLabel(self)
        self.title.setObjectName("dataset_title")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.title)
        self.size_label = QLabel(self)
        self.size_label.setObjectName("dataset_size")
        self.size_label.setWordWrap(True)  # never widens the panel past its dock
        self.size_label.setToolTip("How many examples the network trains on, and how many "
                                   "are held out to test it")
        layout.addWidget(self.size_label)

        # -- sliders --------------------------------------------------------------------
        self.noise, self.noise_value = self._slider(
            layout, "noise", "Noise", 0, 50,
            "How much random noise is added to the data (0-50 %). Noisy data is harder "
            "to fit and easier to overfit.")
        self.train_ratio, self.ratio_value = self._slider(
            layout, "train_ratio", "Training data", 10, 90,
            "The share of examples used for training; the rest are held out as test data "
            "to check how well the network generalises.")
        self.batch_size, self.batch_value = self._slider(
            layout, "batch_size", "Batch size", 1, BATCH_MAX,
            "How many examples each training step averages over. Small batches are noisy "
            "but quick; large batches are smooth but slower per epoch.")
        self.noise.valueChanged.connect(lambda v: self.noise_value.setText(f"{v} %"))
        self.train_ratio.valueChanged.connect(lambda v: self.ratio_value.setText(f"{v} %"))
        self.batch_size.valueChanged.connect(lambda v: self.batch_value.setText(str(v)))
        for slider in (self.noise, self.train_ratio):
            slider.valueChanged.connect(self._slider_moved)
            slider.sliderReleased.connect(self._emit_settings)
        self.batch_size.valueChanged.connect(self._batch_moved)
        self.batch_size.sliderReleased.connect(
            lambda: self.batch_size_changed.emit(self.batch_size.value()))

        self.regenerate = QPushButton("Regenerate", self)
        self.regenerate.setObjectName("regenerate")
        self.regenerate.setToolTip("Draw a new random sample of the data and a new "
                                   "train/test split")
        self.regenerate.clicked.connect(self._regenerate)
        layout.addWidget(self.regenerate)

        # -- features ---------------------------------------------------------------------
        self.features_box = QGroupBox("Input features", self)
        self.features_box.setObjectName("features")
        self.features_box.setToolTip("Which properties of each point the network sees. "
                                     "Hand-made features such as x\u2081\u00b2 can replace "
                                     "hidden layers.")
        grid = QGridLayout(self.features_box)
        grid.setContentsMargins(6, 6, 6, 6)
        self.feature_boxes: dict[str, QCheckBox] = {}
        for k, name in enumerate(FEATURES_2D):
            box = QCheckBox(FEATURE_LABELS.get(name, name), self.features_box)
            box.setObjectName(f"feature_{FEATURE_IDS.get(name, name)}")
            box.setToolTip(f"Feed the feature {name} to the network")
            box.toggled.connect(self._features_toggled)
            self.feature_boxes[name] = box
            grid.addWidget(box, k // 2, k % 2)
        layout.addWidget(self.features_box)

        # -- dataset options (e.g. penguins: island, sex) -----------------------------
        self.options_box = QGroupBox("Extra inputs", self)
        self.options_box.setObjectName("dataset_options")
        self._options_layout = QVBoxLayout(self.options_box)
        self.option_boxes: dict[str, QCheckBox | QComboBox] = {}
        self._option_rows: list[QWidget] = []
        layout.addWidget(self.options_box)

        layout.addStretch(1)
        self.set_settings(self._settings, 10)
        palettes.notifier.palette_changed.connect(self._on_palette_changed)

    def _on_palette_changed(self, _name: str) -> None:
        """Previews and descriptions in the new palette's colours and colour words."""
        for name, button in self.dataset_buttons.items():
            info = DATASETS[name]
            button.setIcon(dataset_icon(name))
            button.setToolTip(f"<b>{info.title}</b><br>"
                              f"{palettes.palette_words(info.description)}")
        self.set_settings(self._settings)

    # ------------------------------------------------------------------ public
    def settings(self) -> DatasetSettings:
        return copy.deepcopy(self._settings)

    def set_settings(self, settings: DatasetSettings, batch_size: int | None = None) -> None:
        """Show ``settings`` (no signal is emitted)."""
        self._updating = True
        try:
            self._settings = copy.deepcopy(settings)
            info = DATASETS.get(settings.name)
            button = self.dataset_buttons.get(settings.name)
            if button is not None:
                button.setChecked(True)
            self.noise.setValue(int(round(settings.noise * 100)))
            self.train_ratio.setValue(int(round(settings.train_ratio * 100)))
            if batch_size is not None:
                self.batch_size.setValue(int(batch_size))
            for name, box in self.feature_boxes.items():
                box.setChecked(name in settings.features)
            self.noise_value.setText(f"{self.noise.value()} %")
            self.ratio_value.setText(f"{self.train_ratio.value()} %")
            self.batch_value.setText(str(self.batch_size.value()))
            if settings.name in EMBEDDED_NAMES:
                self._show_own_data(settings)
            elif info is not None:
                self.title.setText(f"<b>{info.title}</b><br>"
                                   f"{palettes.palette_words(info.description)}")
                self.title.setToolTip(f"Source: {info.credit}" if info.credit else
                                      "Generated data")
                self.features_box.setVisible(info.uses_features)
                self.noise.setEnabled(info.uses_noise)
                self._rebuild_options(info.options, settings.options, info)
        finally:
            self._updating = False

    def _show_own_data(self, settings: DatasetSettings) -> None:
        """Imported, drawn or image-folder data: no built-in dataset is picked."""
        self._group.setExclusive(False)
        for button in self.dataset_buttons.values():
            button.setChecked(False)
        self._group.setExclusive(True)
        data = settings.data or {}
        kind = {"imported": "Imported table", "drawn": "Drawn data",
                "image_folder": "Image folder"}[settings.name]
        title = html.escape(str(data.get("title", "")))
        self.title.setText(f"<b>{kind}</b>" + (f": {title}" if title and
                                               settings.name != "drawn" else ""))
        self.title.setToolTip("Your own data, kept inside the experiment file")
        self.features_box.setVisible(settings.name == "drawn")
        self.noise.setEnabled(False)
        self._rebuild_options({}, {})

    def set_counts(self, n_train: int, n_test: int) -> None:
        """Show the number of training and test examples of the loaded data."""
        self.size_label.setText(f"{n_train + n_test:,} examples: {n_train:,} for training, "
                                f"{n_test:,} for testing")

    # ------------------------------------------------------------------ private
    def _slider(self, layout, name, text, low, high, tip):
        row = QHBoxLayout()
        label = QLabel(text, self)
        label.setObjectName(f"{name}_label")
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setObjectName(name)
        slider.setRange(low, high)
        slider.setToolTip(tip)
        label.setToolTip(tip)
        value = QLabel(self)
        value.setObjectName(f"{name}_value")
        value.setMinimumWidth(36)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(label)
        row.addWidget(value)
        layout.addLayout(row)
        layout.addWidget(slider)
        return slider, value

    def _rebuild_options(self, defaults: dict, values: dict, info=None) -> None:
        """Controls for the dataset's options: a check box per switch (penguins: island,
        sex), a labelled menu per named choice (strokes: placement; shapes: size)."""
        for widget in self.option_boxes.values():
            widget.setParent(None)
            widget.deleteLater()
        for row in self._option_rows:
            row.setParent(None)
            row.deleteLater()
        self.option_boxes.clear()
        self._option_rows = []
        choices = info.choices if info is not None else {}
        helps = info.option_help if info is not None else {}
        shown = False
        for name, default in defaults.items():
            if isinstance(default, bool):
                box = QCheckBox(f"Use {name}", self.options_box)
                box.setObjectName(f"option_{name}")
                box.setToolTip(helps.get(name, f"Also feed the penguin's {name} to the "
                                                "network (one-hot)"))
                box.setChecked(bool(values.get(name, default)))
                box.toggled.connect(self._options_toggled)
                self._options_layout.addWidget(box)
                self.option_boxes[name] = box
                shown = True
            elif name in choices:
                row = QWidget(self.options_box)
                line = QHBoxLayout(row)
                line.setContentsMargins(0, 0, 0, 0)
                label = QLabel(name.capitalize(), row)
                combo = QComboBox(row)
                combo.setObjectName(f"option_{name}")
                for choice in choices[name]:
                    combo.addItem(str(choice), choice)
                current = values.get(name, default)
                combo.setCurrentIndex(max(combo.findData(current), 0))
                tip = helps.get(name, f"The dataset's {name}")
                combo.setToolTip(tip)
                label.setToolTip(tip)
                label.setBuddy(combo)
                combo.currentIndexChanged.connect(self._options_toggled)
                line.addWidget(label)
                line.addWidget(combo, 1)
                self._options_layout.addWidget(row)
                row.show()  # at once, not at the layout's next pass
                self._option_rows.append(row)
                self.option_boxes[name] = combo
                shown = True
        named = any(not isinstance(v, bool) for v in defaults.values())
        self.options_box.setTitle("Options" if named else "Extra inputs")
        self.options_box.setVisible(shown)

    def _pick(self, name: str) -> None:
        if self._updating or name == self._settings.name:
            return
        settings = copy.deepcopy(self._settings)
        settings.name = name
        settings.data = None  # leaving imported or drawn data
        settings.options = {}
        settings.n_samples = None  # the new dataset's own size
        info = DATASETS[name]
        if info.uses_features and not settings.features:
            settings.features = ("x1", "x2")
        self.set_settings(settings)
        self.settings_changed.emit(self.settings())

    def _slider_moved(self) -> None:
        if self._updating:
            return
        if self.sender() is not None and self.sender().isSliderDown():
            return  # apply on release
        self._emit_settings()

    def _batch_moved(self, value: int) -> None:
        if not self._updating and not self.batch_size.isSliderDown():
            self.batch_size_changed.emit(value)

    def _emit_settings(self) -> None:
        if self._updating:
            return
        settings = copy.deepcopy(self._settings)
        settings.noise = self.noise.value() / 100.0
        settings.train_ratio = self.train_ratio.value() / 100.0
        if settings != self._settings:
            self._settings = settings
            self.settings_changed.emit(self.settings())

    def _regenerate(self) -> None:
        self._settings.data_seed += 1
        self.settings_changed.emit(self.settings())

    def _features_toggled(self) -> None:
        if self._updating:
            return
        chosen = tuple(n for n in FEATURES_2D if self.feature_boxes[n].isChecked())
        if not chosen:
            # The network needs at least one input: undo the last untick.
            self._updating = True
            self.sender().setChecked(True)
            self._updating = False
            return
        self._settings.features = chosen
        self.settings_changed.emit(self.settings())

    def _options_toggled(self) -> None:
        if self._updating:
            return
        self._settings.options = {
            n: b.isChecked() if isinstance(b, QCheckBox) else b.currentData()
            for n, b in self.option_boxes.items()}
        self.settings_changed.emit(self.settings())


# ---------------------------------------------------------------------- previews
def _preview_image(name: str) -> QImage:
    """A small picture of a dataset in the current palette (drawn once per palette)."""
    return _preview_image_in(name, palettes.current_palette().name)


@functools.cache
def _preview_image_in(name: str, _palette_name: str) -> QImage:
    """A small picture of a dataset, drawn once (points coloured by class or target)."""
    size = PREVIEW_SIZE * 2  # drawn at 2x for HiDPI screens
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        _draw_preview(painter, name, size)
    except Exception:  # a broken dataset must not break the window
        painter.setPen(QColor("#999999"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "?")
    painter.end()
    image.setDevicePixelRatio(2.0)
    return image


def dataset_icon(name: str) -> QIcon:
    return QIcon(QPixmap.fromImage(_preview_image(name)))


def _draw_preview(painter: QPainter, name: str, size: int) -> None:
    info = DATASETS[name]
    pal = palettes.current_palette()
    if info.kind == "image":
        ds = load_dataset(name, seed=0)
        # one image of each of the first four classes (each set's classes look different)
        rows = [int(np.flatnonzero(ds.y_train == c)[0]) for c in range(min(ds.n_classes, 4))
                if np.any(ds.y_train == c)]
        images = ds.X_train[rows].reshape(-1, *ds.image_shape)
        half = size // 2
        for k, img in enumerate(images):
            grey = (255 - np.clip(img, 0, 1) * 255).astype(np.uint8)
            qimg = QImage(np.ascontiguousarray(grey).data, img.shape[1], img.shape[0],
                          img.shape[1], QImage.Format.Format_Grayscale8).copy()
            box = QRectF((k % 2) * half + 2, (k // 2) * half + 2, half - 4, half - 4)
            painter.drawImage(box, qimg)
            painter.setPen(QColor("#c8c8c8"))  # each image's frame: where its edges are
            painter.drawRect(box)
        return
    ds = load_dataset(name, seed=0)
    if info.kind == "2d":
        pts = ds.points_train
        lo, hi = ds.extent
    else:
        X = ds.X_train
        pts = X[:, :2] if X.shape[1] >= 2 else np.column_stack([X[:, 0], ds.Y_train[:, 0]])
        lo = float(np.min(pts))
        hi = float(np.max(pts))
    span = max(hi - lo, 1e-9)
    xy = (pts - lo) / span
    margin = 4
    xs = margin + xy[:, 0] * (size - 2 * margin)
    ys = size - margin - xy[:, 1] * (size - 2 * margin)
    if ds.task == "classification":
        colours = pal.class_rgb(max(2, ds.n_classes))
        labels = ds.y_train
    else:
        target = ds.Y_train[:, 0]
        vmax = float(np.max(np.abs(target))) or 1.0
        lut = pal.lut()
        idx = palettes.value_to_index(target, vmax)
        colours = lut[:, :3]
        labels = idx
    painter.setPen(Qt.PenStyle.NoPen)
    step = max(1, len(xs) // 250)
    radius = 2.6
    for k in range(0, len(xs), step):
        r, g, b = (int(v) for v in colours[int(labels[k])])
        painter.setBrush(QColor(r, g, b))
        painter.drawEllipse(QRectF(xs[k] - radius, ys[k] - radius, 2 * radius, 2 * radius))
