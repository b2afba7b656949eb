"""Export: pictures (PNG or SVG) of the network, the output plot, the charts or the whole
window, the plots alone at a chosen resolution, copies to the clipboard, training
recorded as an animated GIF (encoded on its own thread, with progress and Cancel), and the
trained network as an ONNX model or a PyTorch script.

:class:`Exporter` owns File › Export (:attr:`Exporter.menu`); the window's composition root
puts that menu in the File menu. The file formats are written by
:mod:`neuroviz.app.classroom.export`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsView,
    QInputDialog,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from neuroviz.app.classroom import export

__all__ = ["Exporter"]

TARGETS = (("network", "Network View"), ("output", "Output Plot"), ("charts", "Charts"),
           ("window", "Whole Window"))


PLOTS = (("output", "Output Plot"), ("charts", "Charts"))

#: The trained network out of neuroviz (written by :mod:`neuroviz.export`).
NETWORK_FORMATS = (
    ("onnx", "Network as ONNX Model\u2026",
     "Save the network with its current weights as an ONNX model, to run it elsewhere"),
    ("torch", "Network as PyTorch Script\u2026",
     "Save the network as PyTorch code (model.py), its weights and training data, with a "
     "training loop to continue from"))


class Exporter(QObject):
    """Pictures and GIF recordings of a playground window (``window``: a MainWindow).

    ``encoding_finished(ok, message)`` says when a GIF has been written (``message`` is the
    path) or not (the reason, or "cancelled").
    """

    encoding_finished = Signal(bool, str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.job: export.GifEncodeJob | None = None
        self._progress: QProgressDialog | None = None
        window.installEventFilter(self)  # a closing window stops an encoding first
        self.recorder = export.GifRecorder(self)
        self.recorder.setObjectName("gif_recorder")
        window.snapshot_drawn.connect(self.recorder.capture)
        self.menu = QMenu("E&xport", window)
        self.menu.setObjectName("menu_export")
        for target, title in TARGETS:
            self._action(f"action_export_{target}", f"{title} as PNG or SVG\u2026", None,
                         lambda _=False, t=target: self.export_dialog(t),
                         f"Save a picture of the {title.lower()} (PNG or SVG)")
        for target, title in PLOTS:
            self._action(f"action_export_{target}_plot", f"{title} Alone at High Resolution\u2026",
                         None, lambda _=False, t=target: self.export_plot_dialog(t),
                         f"Save only the {title.lower()} as a PNG, without the controls around "
                         "it, at 2 or more times its size on screen")
        self.menu.addSeparator()
        self._action("action_copy_network", "Copy Network View to Clipboard", "Ctrl+Shift+C",
                     lambda _=False: self.copy("network"), "Copy a picture of the network view")
        self._action("action_copy_window", "Copy Window to Clipboard", None,
                     lambda _=False: self.copy("window"), "Copy a picture of the whole window")
        self.menu.addSeparator()
        for fmt, title, tip in NETWORK_FORMATS:
            self._action(f"action_export_{fmt}", title, None,
                         lambda _=False, f=fmt: self.export_network_dialog(f), tip)
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
        """Stop recording and save a GIF (asks for a file when ``path`` is None).

        The GIF is encoded on its own thread while a progress dialog offers Cancel; returns
        whether the encoding started (``encoding_finished`` says how it ended).
        """
        frames = self.recorder.stop()
        self.action_record.setText("Record Training as GIF\u2026")
        if not frames or self.is_encoding:
            if self.is_encoding:
                self.window.statusBar().showMessage("An animation is still being saved", 4000)
            return False
        w = self.window
        if path is None:
            path, _ = QFileDialog.getSaveFileName(w, "Save animation",
                                                  str(Path.home() / "neuroviz-training.gif"),
                                                  "Animated GIF (*.gif)")
            if not path:
                return False
            if not str(path).lower().endswith(".gif"):
                path += ".gif"
        job = export.GifEncodeJob(frames, path, self.recorder.delay_ms, self)
        self.job = job
        dialog = QProgressDialog("Encoding the animation\u2026", "Cancel", 0, len(frames) + 1, w)
        dialog.setObjectName("gif_progress")
        dialog.setWindowTitle("Saving GIF")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        dialog.canceled.connect(job.cancel)
        self._progress = dialog
        job.progressed.connect(self._on_progress)
        job.finished_writing.connect(self._on_encoded)
        job.start()
        w.statusBar().showMessage(f"Saving the animation ({len(frames)} frames)\u2026", 3000)
        return True

    @property
    def is_encoding(self) -> bool:
        return self.job is not None

    def cancel_encoding(self, wait: bool = True) -> None:
        """Stop a GIF being encoded (nothing is written); ``wait`` until its thread ended."""
        job = self.job
        if job is None:
            return
        job.cancel()
        if wait:
            job.wait()
            self._end_job()

    def _on_progress(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.setMaximum(total)
            self._progress.setValue(done)

    def _on_encoded(self, ok: bool, message: str) -> None:
        job = self.job
        if job is None:
            return
        job.wait()
        frames = len(job.frames)
        self._end_job()
        w = self.window
        if ok:
            w.statusBar().showMessage(f"Saved {message} ({frames} frames)", 5000)
        elif message == "cancelled":
            w.statusBar().showMessage("Saving the animation was cancelled", 4000)
        else:
            self._warn("Could not save the animation", message)
        self.encoding_finished.emit(ok, message)

    def _end_job(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()
        dialog, self._progress = self._progress, None
        if dialog is not None:
            dialog.canceled.disconnect()
            dialog.close()
            dialog.deleteLater()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close and self.is_encoding:
            self.cancel_encoding(wait=True)
        return False

    # ------------------------------------------------------------------ plots alone
    def plot_view(self, name: str) -> QGraphicsView:
        """The graphics view holding the plot ``name`` ("output": the visible output plot,
        "charts": the loss and metric charts)."""
        w = self.window
        if name == "charts":
            return w.charts.view
        views = [v for v in w.output_view.findChildren(QGraphicsView)
                 if hasattr(v, "getPlotItem") and v.isVisible()]
        return views[0] if views else w.output_view.plot

    def export_plot(self, name: str, path, scale: float = 2.0) -> Path:
        """Save only the plot ``name`` ("output" or "charts") as a PNG at ``scale`` times its
        size on screen."""
        if name == "output" and hasattr(self.window.output_view, "flush"):
            self.window.output_view.flush()
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        return export.save_plot_png(self.plot_view(name), path, scale)

    def export_plot_dialog(self, name: str) -> None:
        w = self.window
        scale, ok = QInputDialog.getInt(
            w, "Picture size", "Times the size on screen (2 or more for print and slides):",
            2, 1, 8)
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(
            w, "Export plot", str(Path.home() / f"neuroviz-{name}-plot.png"), "PNG image (*.png)")
        if not path:
            return
        try:
            saved = self.export_plot(name, path, scale)
        except (OSError, ValueError) as exc:
            self._warn("Could not export", str(exc))
            return
        w.statusBar().showMessage(f"Saved {saved} ({scale}\u00d7)", 5000)

    # ------------------------------------------------------------------ the network
    def export_network(self, fmt: str, path) -> list[Path]:
        """Write the network with its current weights as ``fmt`` ("onnx": an ONNX model;
        "torch": model.py, its weights and the training data). Returns the paths written."""
        from neuroviz.export import export_onnx, export_torch, source_from_experiment

        source = source_from_experiment(self.window.current_experiment())
        if fmt == "onnx":
            return [export_onnx(source.network, path)]
        return export_torch(source.network, path, source.data, source.training)

    def export_network_dialog(self, fmt: str) -> None:
        w = self.window
        name, kind = (("neuroviz-network.onnx", "ONNX model (*.onnx)") if fmt == "onnx"
                      else ("model.py", "Python script (*.py)"))
        path, _ = QFileDialog.getSaveFileName(w, "Export network", str(Path.home() / name),
                                              kind)
        if not path:
            return
        try:
            saved = self.export_network(fmt, path)
        except (OSError, ValueError) as exc:  # ExportError is a ValueError
            self._warn("Could not export the network", str(exc))
            return
        w.statusBar().showMessage(f"Saved {', '.join(p.name for p in saved)} in "
                                  f"{saved[0].parent}", 6000)

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("export_message")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
