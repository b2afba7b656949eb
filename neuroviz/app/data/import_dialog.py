"""File › Import Data… and File › Import Image Folder…: thin dialogs over neuroviz.data.

:class:`ImportDialog` shows the first rows of a CSV table and lets the user pick the
target, the input columns, the task, what happens to missing values, standardisation, the
train share and the seed; :class:`ImageFolderDialog` picks the image size and colour. The
work (parsing, inference, encoding, checks) is :mod:`neuroviz.data.tableimport` and
:mod:`neuroviz.data.imagefolder`; a problem is shown in the dialog, which stays open, and
nothing changes until a dataset has been built. ``result_settings()`` is the
:class:`DatasetSettings` to load, with the data kept inside it.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from neuroviz.data import DatasetError
from neuroviz.data.embedded import DATASET_NAMES, load_embedded
from neuroviz.data.imagefolder import SIZES, load_image_folder, scan_folder
from neuroviz.data.tableimport import (
    ImportChoices,
    Table,
    build_import,
    default_choices,
    describe_columns,
    infer_task,
    usable_input,
)
from neuroviz.experiment import DatasetSettings

PREVIEW_ROWS = 8
_KIND_WORDS = {"numeric": "numbers", "categorical": "categories", "mixed": "numbers and text",
               "empty": "empty"}


def _split_row(parent: QWidget, ratio: float, seed: int) -> tuple[QSpinBox, QSpinBox, QWidget]:
    box = QWidget(parent)
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    train = QSpinBox(box)
    train.setObjectName("import_train_percent")
    train.setRange(10, 90)
    train.setSuffix(" % for training")
    train.setValue(int(round(ratio * 100)))
    train.setToolTip("The share of rows the network trains on; the rest test it")
    seed_box = QSpinBox(box)
    seed_box.setObjectName("import_seed")
    seed_box.setRange(0, 2**31 - 1)
    seed_box.setPrefix("seed ")
    seed_box.setValue(seed)
    seed_box.setToolTip("The same seed always gives the same split")
    row.addWidget(train)
    row.addWidget(seed_box)
    return train, seed_box, box


def _message_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("import_message")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ImportDialog(QDialog):
    """Choose how a CSV table becomes a dataset (see the module docstring)."""

    def __init__(self, table: Table, parent: QWidget | None = None, train_ratio: float = 0.7,
                 seed: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("import_dialog")
        self.setWindowTitle(f"Import Data \u2013 {table.name}")
        self.table = table
        self.columns = describe_columns(table)
        self._info = {c.name: c for c in self.columns}
        self.payload: dict | None = None
        layout = QVBoxLayout(self)

        heading = QLabel(f"<b>{html.escape(table.name)}</b>: {len(table.rows):,} rows, "
                         f"{len(table.header)} columns. The first rows:", self)
        layout.addWidget(heading)
        self.preview = QTableWidget(self)
        self.preview.setObjectName("import_preview")
        self._fill_preview()
        layout.addWidget(self.preview, 1)

        form = QFormLayout()
        self.target = QComboBox(self)
        self.target.setObjectName("import_target")
        self.target.addItems(table.header)
        self.target.setToolTip("The column the network learns to predict")
        form.addRow("Predict (target):", self.target)
        self.task = QComboBox(self)
        self.task.setObjectName("import_task")
        self.task.addItem("Classification (a class per row)", "classification")
        self.task.addItem("Regression (a number per row)", "regression")
        self.task.setToolTip("Guessed from the target column; change it if the guess is wrong")
        form.addRow("Task:", self.task)
        self.features = QListWidget(self)
        self.features.setObjectName("import_features")
        self.features.setToolTip("The columns the network sees. Text columns become one input "
                                 "per category (one-hot).")
        self.features.setMaximumHeight(130)
        form.addRow("Inputs:", self.features)
        self.missing_label = QLabel(self)
        self.missing_label.setObjectName("import_missing_report")
        self.missing_label.setWordWrap(True)
        form.addRow("Missing values:", self.missing_label)
        self.missing = QComboBox(self)
        self.missing.setObjectName("import_missing")
        self.missing.addItem("Drop the rows that have them", "drop")
        self.missing.addItem("Fill an input with its column's mean", "mean")
        self.missing.setToolTip("Rows whose target is missing are always dropped")
        form.addRow("", self.missing)
        self.standardise = QCheckBox("Standardise number inputs (mean 0, spread 1, measured on "
                                     "the training rows)", self)
        self.standardise.setObjectName("import_standardise")
        self.standardise.setChecked(True)
        form.addRow("Scaling:", self.standardise)
        self.train_percent, self.seed, split = _split_row(self, train_ratio, seed)
        form.addRow("Split:", split)
        layout.addLayout(form)

        self.message = _message_label(self)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("import_ok")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        defaults = default_choices(table)
        self.target.setCurrentText(defaults.target)
        self._target_changed(defaults.target, features=defaults.features)
        self.target.currentTextChanged.connect(self._target_changed)
        self.features.itemChanged.connect(lambda _item: self._update_missing())
        self.resize(720, 640)

    # ------------------------------------------------------------------ public
    def choices(self) -> ImportChoices:
        return ImportChoices(
            target=self.target.currentText(), features=self.chosen_features(),
            task=self.task.currentData(), missing=self.missing.currentData(),
            standardise=self.standardise.isChecked())

    def chosen_features(self) -> list[str]:
        return [self.features.item(k).data(Qt.ItemDataRole.UserRole)
                for k in range(self.features.count())
                if self.features.item(k).checkState() == Qt.CheckState.Checked]

    def set_feature_checked(self, name: str, on: bool) -> None:
        for k in range(self.features.count()):
            item = self.features.item(k)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def result_settings(self) -> DatasetSettings | None:
        """The dataset settings to load (after Import succeeded), with the data inside."""
        if self.payload is None:
            return None
        return DatasetSettings(name=DATASET_NAMES["table"], train_ratio=self._ratio(),
                               data_seed=self.seed.value(), data=self.payload)

    def accept(self) -> None:  # noqa: D401 - Qt override
        """Build the dataset; on a problem show it and stay open."""
        try:
            payload = build_import(self.table, self.choices())
            load_embedded(payload, self._ratio(), self.seed.value())  # the split works too
        except DatasetError as exc:
            self.show_problem(str(exc))
            return
        self.payload = payload
        super().accept()

    def show_problem(self, text: str) -> None:
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(text)

    # ------------------------------------------------------------------ private
    def _ratio(self) -> float:
        return self.train_percent.value() / 100.0

    def _fill_preview(self) -> None:
        rows = self.table.rows[:PREVIEW_ROWS]
        self.preview.setColumnCount(len(self.table.header))
        self.preview.setRowCount(len(rows))
        labels = []
        for info in self.columns:
            words = _KIND_WORDS[info.kind]
            if info.kind == "categorical":
                words = f"{len(info.categories)} categories"
            if info.n_missing:
                words += f", {info.n_missing} missing"
            labels.append(f"{info.name}\n({words})")
        self.preview.setHorizontalHeaderLabels(labels)
        self.preview.setVerticalHeaderLabels([str(n) for n in self.table.lines[:len(rows)]])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                item = QTableWidgetItem(cell)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()

    def _target_changed(self, target: str, features: list[str] | None = None) -> None:
        previous = set(self.chosen_features()) if features is None else set(features)
        self.features.blockSignals(True)
        self.features.clear()
        n = len(self.table.rows)
        for name in self.table.header:
            if name == target:
                continue
            info = self._info[name]
            words = _KIND_WORDS[info.kind]
            if info.kind == "categorical":
                words = f"{len(info.categories)} categories, one-hot"
            item = QListWidgetItem(f"{name}  ({words})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = name in previous and usable_input(info, n)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if not usable_input(info, n):
                item.setToolTip("This column cannot be an input: " + (
                    "it mixes numbers and text" if info.kind == "mixed" else
                    "it has no values" if info.kind == "empty" else
                    "it has a different text in almost every row (a name or an id?)"))
            self.features.addItem(item)
        self.features.blockSignals(False)
        task = infer_task(self.table, target)
        self.task.setCurrentIndex(self.task.findData(task))
        self._update_missing()

    def _update_missing(self) -> None:
        used = [self.target.currentText(), *self.chosen_features()]
        parts = [f"{html.escape(name)}: {self._info[name].n_missing:,}" for name in used
                 if self._info[name].n_missing]
        self.missing_label.setText("none in the chosen columns" if not parts else
                                   "; ".join(parts))


class ImageFolderDialog(QDialog):
    """Choose the size and colour of an image folder's images (see the module docstring)."""

    def __init__(self, folder: str | Path, parent: QWidget | None = None,
                 train_ratio: float = 0.7, seed: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("image_folder_dialog")
        self.folder = Path(folder)
        self.setWindowTitle(f"Import Image Folder \u2013 {self.folder.name}")
        self.payload: dict | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("image_folder_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        form = QFormLayout()
        self.size = QComboBox(self)
        self.size.setObjectName("image_size")
        for s in SIZES:
            self.size.addItem(f"{s} x {s} pixels", s)
        self.size.setCurrentIndex(SIZES.index(16))
        self.size.setToolTip("Every image is resized to this size; each pixel is one input")
        form.addRow("Size:", self.size)
        self.colour = QCheckBox("Keep colour (three inputs per pixel)", self)
        self.colour.setObjectName("image_colour")
        form.addRow("Colour:", self.colour)
        self.train_percent, self.seed, split = _split_row(self, train_ratio, seed)
        form.addRow("Split:", split)
        layout.addLayout(form)
        self.message = _message_label(self)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("import_ok")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        try:
            classes = scan_folder(self.folder)
            self.summary.setText(
                f"<b>{html.escape(self.folder.name)}</b>: "
                + ", ".join(f"{html.escape(name)} ({len(files)})" for name, files in classes)
                + ". Each subfolder is a class; the images are flattened for dense layers.")
        except DatasetError as exc:
            self.summary.setText(f"<b>{html.escape(self.folder.name)}</b>")
            self.show_problem(str(exc))

    def show_problem(self, text: str) -> None:
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(text)

    def accept(self) -> None:  # noqa: D401 - Qt override
        try:
            payload = load_image_folder(self.folder, self.size.currentData(),
                                        self.colour.isChecked())
            load_embedded(payload, self.train_percent.value() / 100.0, self.seed.value())
        except DatasetError as exc:
            self.show_problem(str(exc))
            return
        self.payload = payload
        super().accept()

    def result_settings(self) -> DatasetSettings | None:
        if self.payload is None:
            return None
        return DatasetSettings(name=DATASET_NAMES["images"],
                               train_ratio=self.train_percent.value() / 100.0,
                               data_seed=self.seed.value(), data=self.payload)
