"""File commands of the main window: new, open, save, export image, unsaved work, messages."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from neuroviz.app.window.unsaved import has_unsaved_changes
from neuroviz.experiment import (
    Experiment,
    ExperimentError,
    load_experiment,
    save_experiment,
)

FILE_FILTER = "neuroviz experiments (*.neuroviz.json *.json);;All files (*)"


class FileCommandsMixin:
    """New, Open, Save, Save As, Export Image and the message boxes (mixed into
    :class:`MainWindow`)."""

    def has_unsaved_changes(self) -> bool:
        """Whether the learner's experiment holds work that is not in a file.

        While a lesson runs, the learner's own experiment is set aside by the lesson panel,
        so the lesson's state never counts as unsaved work.
        """
        panel = getattr(self, "lesson_panel", None)
        if panel is not None and panel.in_lesson:
            return False
        return has_unsaved_changes(self)

    def ask_unsaved_changes(self, doing: str) -> str:
        """Ask what to do with unsaved work before ``doing``: "save", "discard" or "cancel".

        Tests replace this method; the app asks with a message box.
        """
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Your experiment has changes that are not saved. Save them before "
                          f"you {doing}?", buttons, self)
        box.setObjectName("unsaved_box")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return "save"
        if answer == QMessageBox.StandardButton.Discard:
            return "discard"
        return "cancel"

    def confirm_discard(self, doing: str) -> bool:
        """True when it is fine to replace the current experiment (saved first if asked)."""
        if not self.has_unsaved_changes():
            return True
        answer = self.ask_unsaved_changes(doing)
        if answer == "save":
            return self._save()
        return answer == "discard"

    def _new_clicked(self) -> None:
        if self.confirm_discard("start a new experiment"):
            self.new_experiment()

    def new_experiment(self) -> None:
        self._path = None
        self.apply_experiment(Experiment())
        self._update_title()

    def save_experiment(self, path) -> bool:
        """Save to ``path`` (atomic). Returns False and shows a message on failure."""
        path = Path(path)
        try:
            save_experiment(self.current_experiment(), path)
        except (OSError, ValueError, TypeError) as exc:
            self._error("Could not save", f"{path.name}: {exc}")
            return False
        self._path = path
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def open_experiment(self, path) -> bool:
        """Open ``path``; a bad file shows a message naming it and changes nothing."""
        path = Path(path)
        try:
            experiment = load_experiment(path)
            self.apply_experiment(experiment)  # validated first: on an error nothing changed
        except ExperimentError as exc:
            text = str(exc)
            if path.name not in text:
                text = f"{path.name}: {text}"
            self._error("Could not open the experiment", text)
            return False
        except Exception as exc:  # noqa: BLE001 - the app's boundary: a file never crashes it
            self._error("Could not open the experiment",
                        f"{path.name}: not a readable experiment ({type(exc).__name__}: {exc})")
            return False
        self._path = path
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def export_image(self, path, what: str = "window") -> bool:
        """Save a PNG of the window ("window"), "network", "output" or "charts"."""
        widget = {"window": self, "network": self.network_view, "output": self.output_view,
                  "charts": self.charts}[what]
        ok = widget.grab().save(str(path))
        if not ok:
            self._error("Could not export", f"{Path(path).name}: the image could not be written")
        return ok

    def _open_dialog(self) -> None:
        if not self.confirm_discard("open another experiment"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", self._dialog_dir(),
                                              FILE_FILTER)
        if path:
            self.open_experiment(path)

    def _save(self) -> bool:
        if self._path is None:
            return self._save_as()
        return self.save_experiment(self._path)

    def _save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", self._dialog_dir(),
                                              FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".neuroviz.json"
        return self.save_experiment(path)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export image", self._dialog_dir(),
                                              "PNG images (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.export_image(path)

    def _dialog_dir(self) -> str:
        return str(self._path.parent) if self._path is not None else str(Path.home())

    def _update_title(self) -> None:
        name = self._path.name if self._path is not None else "untitled"
        self.setWindowTitle(f"{name} \u2014 neuroviz")

    def _report(self, message: str) -> None:
        """A problem that needs no dialog: status bar and the message banner."""
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        self.message_banner.show_message(message)

    def _error(self, title: str, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        self._message(QMessageBox.Icon.Warning, title, message)

    def _info(self, title: str, message: str) -> None:
        self._message(QMessageBox.Icon.Information, title, message)

    def _message(self, icon, title: str, text: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("message_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self._message_boxes.remove(b)
                             if b in self._message_boxes else None)
        self._message_boxes.append(box)
        box.open()  # window-modal, does not block the caller
        return box

    @property
    def open_message_boxes(self) -> list[QMessageBox]:
        return list(self._message_boxes)
