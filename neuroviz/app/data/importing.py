"""Bringing your own data in: File › Import Data… and Import Image Folder….

:class:`DataImport` asks for the file or folder, shows the dialog of
:mod:`neuroviz.app.data.import_dialog` (window-modal, it does not block), and loads the
result into the window with ``window.set_dataset``. A file that cannot be read is reported
in a message box naming it, and nothing changes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from neuroviz.app.data.import_dialog import ImageFolderDialog, ImportDialog
from neuroviz.data import DatasetError
from neuroviz.data.tableimport import read_table

__all__ = ["DataImport"]


class DataImport(QObject):
    """The import commands of one window (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ImportDialog | ImageFolderDialog | None = None
        self.problem: QMessageBox | None = None
        self.last_problem = ""
        self._folder = str(Path.home())

    # ------------------------------------------------------------------ commands
    def import_table(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import data", self._folder,
                                              "Tables (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.open_table(path)

    def import_images(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Import image folder",
                                                  self._folder)
        if folder:
            self.open_image_folder(folder)

    def open_table(self, path: str | Path) -> ImportDialog | None:
        """Read ``path`` and show the import dialog (None and a message if unreadable)."""
        self._folder = str(Path(path).parent)
        try:
            table = read_table(path)
        except DatasetError as exc:
            self._show_problem("Cannot import the file", str(exc))
            return None
        ds = self.window.state.dataset
        dialog = ImportDialog(table, self.window, train_ratio=ds.train_ratio,
                              seed=ds.data_seed)
        return self._show(dialog)

    def open_image_folder(self, folder: str | Path) -> ImageFolderDialog:
        self._folder = str(Path(folder).parent)
        ds = self.window.state.dataset
        dialog = ImageFolderDialog(folder, self.window, train_ratio=ds.train_ratio,
                                   seed=ds.data_seed)
        return self._show(dialog)

    # ------------------------------------------------------------------ private
    def _show(self, dialog):
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda d=dialog: self._apply(d))
        dialog.finished.connect(lambda _r, d=dialog: self._forget(d))
        dialog.open()
        return dialog

    def _forget(self, dialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _apply(self, dialog) -> None:
        settings = dialog.result_settings()
        if settings is None:
            return
        if self.window.drawing.active:
            self.window.drawing.cancel()
        if self.window.set_dataset(settings):
            title = settings.data.get("title", "")
            self.window.statusBar().showMessage(
                f"Imported {title}: {self.window.dataset.n_train + self.window.dataset.n_test:,}"
                " examples, kept inside the experiment when you save it", 8000)

    def _show_problem(self, title: str, text: str) -> None:
        self.last_problem = text
        self.window.statusBar().showMessage(text, 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("import_problem")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.problem = box
        box.open()
