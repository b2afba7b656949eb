"""Export: pictures (PNG or SVG) of the network, the output plot, the charts or the whole
window, copies to the clipboard, and training recorded as an animated GIF.

:class:`Exporter` owns File › Export (:attr:`Exporter.menu`); the window's composition root
puts that menu in the File menu. The file formats are written by
:mod:`neuroviz.app.classroom.export`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from neuroviz.app.classroom import export

__all__ = ["Exporter"]

TARGETS = (("network", "Network View"), ("output", "Output Plot"), ("charts", "Charts"),
           ("window", "Whole Window"))


class Exporter(QObject):
    """Pictures and GIF recordings of a playground window (``window``: a MainWindow)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.recorder = export.GifRecorder(self)
        self.recorder.setObjectName("gif_recorder")
        window.snapshot_drawn.connect(self.recorder.capture)
        self.menu = QMenu("E&xport", window)
        self.menu.setObjectName("menu_export")
        for target, title in TARGETS:
            self._action(f"action_export_{target}", f"{title} as PNG or SVG\u2026", None,
                         lambda _=False, t=target: self.export_dialog(t),
                         f"Save a picture of the {title.lower()} (PNG or SVG)")
        self.menu.addSeparator()
        self._action("action_copy_network", "Copy Network View to Clipboard", "Ctrl+Shift+C",
                     lambda _=False: self.copy("network"), "Copy a picture of the network view")
        self._action("action_copy_window", "Copy Window to Clipboard", None,
                     lambda _=False: self.copy("window"), "Copy a picture of the whole window")
        self.menu.addSeparator()
        self.action_record = self._action(
            "action_record_gif", "Record Training as GIF\u2026", "Ctrl+Shift+R",
            self.toggle_recording, "Record the network, output and charts while training; "
            "choose again to stop and save an animated GIF")

    def _action(self, name: str, text: str, shortcut, slot, tip: str) -> QAction:
        w = self.window
        action = QAction(text, w)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        w.addAction(action)  # shortcuts keep working with the menu bar hidden (presenter)
        return action

    def target(self, name: str) -> QWidget:
        w = self.window
        return {"window": w, "network": w.network_view, "output": w.output_view,
                "charts": w.charts, "content": w.centralWidget()}[name]

    def export(self, name: str, path) -> Path:
        """Save ``name`` ("network", "output", "charts", "window") as PNG or SVG by suffix."""
        path = Path(path)
        widget = self.target(name)
        if name == "output" and hasattr(widget, "flush"):
            widget.flush()
        if path.suffix.lower() == ".svg":
            return export.save_svg(widget, path, title=f"neuroviz {name}")
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        return export.save_png(widget, path)

    def export_dialog(self, name: str) -> None:
        w = self.window
        path, chosen = QFileDialog.getSaveFileName(
            w, "Export picture", str(Path.home() / f"neuroviz-{name}.png"),
            "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return
        if not path.lower().endswith((".png", ".svg")):
            path += ".svg" if "svg" in chosen.lower() else ".png"
        try:
            saved = self.export(name, path)
        except (OSError, ValueError) as exc:
            self._warn("Could not export", str(exc))
            return
        w.statusBar().showMessage(f"Saved {saved}", 5000)

    def copy(self, name: str) -> None:
        export.copy_to_clipboard(self.target(name))
        self.window.statusBar().showMessage("Picture copied to the clipboard", 3000)

    def toggle_recording(self, *_args) -> None:
        if self.recorder.is_recording:
            self.finish_recording()
        else:
            self.recorder.start(self.target("content"))
            self.action_record.setText("Stop Recording and Save GIF\u2026")
            self.window.statusBar().showMessage("Recording: press Play; choose File \u203a "
                                                "Export \u203a Stop Recording to save", 6000)

    def finish_recording(self, path=None) -> bool:
        """Stop recording and save a GIF (asks for a file when ``path`` is None)."""
        frames = self.recorder.stop()
        self.action_record.setText("Record Training as GIF\u2026")
        if not frames:
            return False
        w = self.window
        if path is None:
            path, _ = QFileDialog.getSaveFileName(w, "Save animation",
                                                  str(Path.home() / "neuroviz-training.gif"),
                                                  "Animated GIF (*.gif)")
            if not path:
                return False
            if not path.lower().endswith(".gif"):
                path += ".gif"
        try:
            ok = export.encode_with_progress(w, frames, path, self.recorder.delay_ms)
        except (OSError, ValueError) as exc:
            self._warn("Could not save the animation", str(exc))
            return False
        if ok:
            w.statusBar().showMessage(f"Saved {path} ({len(frames)} frames)", 5000)
        return ok

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("export_message")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
