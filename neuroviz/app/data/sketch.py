"""Draw your own example for an image dataset and watch the network answer as you draw.

:class:`SketchCanvas` is the drawing surface: the learner draws with the mouse at a
comfortable size (about 200 pixels), the left button inks with a round brush, the right
button (or the eraser tool) rubs out, and every stroke can be undone (Ctrl+Z) or the whole
picture cleared. The picture is kept as a fine raster of ``H * k`` by ``W * k`` ink values
(0 white, 1 black) for the dataset's ``H x W`` images, so :meth:`SketchCanvas.image` is an
exact block average: each image pixel is the mean ink of the ``k x k`` raster cells it
covers, in the dataset's value range (ink 0-1, as every image dataset holds it).

:class:`SketchPad` puts the canvas beside its tools, the predicted class and the class
probabilities. :class:`SketchController` (created by the composition root) shows the pad in
a tool window (Data › Draw an Example…, the output panel's "Draw Your Own…" button), follows
the window's dataset and newest snapshot, predicts with the snapshot's weights on every
change of the drawing and every new snapshot, and makes the drawing the window's selected
example (``window.show_drawn_example``), so the network canvas shows its forward pass.

Run ``python -m neuroviz.app.data.sketch`` to draw on an untrained strokes network.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.output.panels import ProbabilityBars
from neuroviz.app.painting import painter_for

__all__ = ["BRUSH_SIZES", "SketchCanvas", "SketchController", "SketchPad", "raster_factor"]

#: The canvas's side on screen, roughly (logical pixels); the raster is a whole multiple of
#: the image size near it.
CANVAS_SIZE = 208
#: Brush radii in image pixels: (label, radius).
BRUSH_SIZES = (("Thin", 0.45), ("Medium", 0.7), ("Thick", 1.0))
DEFAULT_BRUSH = 1
MAX_UNDO = 100


def raster_factor(shape: tuple[int, ...]) -> int:
    """Raster cells per image pixel for an image of ``shape`` (the larger side fills about
    :data:`CANVAS_SIZE` pixels)."""
    return max(2, int(round(CANVAS_SIZE / max(int(shape[0]), int(shape[1])))))


class SketchCanvas(QWidget):
    """The drawing surface (see the module docstring). ``image_changed`` is emitted after
    every change of the picture (each mouse move while drawing, undo, clear)."""

    image_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sketch_canvas")
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # keys (Ctrl+Z) reach the pad
        self.setToolTip("Draw with the left mouse button; the right button (or the eraser) "
                        "rubs out. Ctrl+Z undoes a stroke.")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.tool = "brush"
        self.brush_radius = BRUSH_SIZES[DEFAULT_BRUSH][1]
        self.shape: tuple[int, int] = (8, 8)
        self.factor = raster_factor(self.shape)
        self.raster = np.zeros((8 * self.factor, 8 * self.factor), dtype=np.float64)
        self._undo: list[np.ndarray] = []
        self._stroke_tool: str | None = None  # "brush" or "eraser" while a button is down
        self._last: tuple[float, float] | None = None
        self._hover: QPointF | None = None
        self.set_shape((8, 8))

    # -- public -------------------------------------------------------------------------
    def set_shape(self, shape: tuple[int, ...]) -> None:
        """Draw images of ``shape`` (h, w[, channels]): a new, empty picture."""
        h, w = int(shape[0]), int(shape[1])
        self.shape = (h, w)
        self.factor = raster_factor(self.shape)
        self.raster = np.zeros((h * self.factor, w * self.factor), dtype=np.float64)
        self._undo.clear()
        self.setFixedSize(self.sizeHint())
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        h, w = self.raster.shape
        return QSize(w + 2, h + 2)  # one screen pixel per raster cell, and a frame

    def image(self) -> np.ndarray:
        """The picture as the dataset sees it: ``(h * w,)`` float64 ink, each pixel the
        mean of the raster cells it covers (row by row)."""
        h, w = self.shape
        k = self.factor
        return self.raster.reshape(h, k, w, k).mean(axis=(1, 3)).reshape(-1)

    def is_empty(self) -> bool:
        return not bool(self.raster.any())

    def clear(self) -> None:
        """Rub out everything (undoable)."""
        if self.is_empty():
            return
        self._push_undo()
        self.raster[:] = 0.0
        self.update()
        self.image_changed.emit()

    def undo(self) -> bool:
        """Take back the last stroke (or Clear); False when there is nothing to undo."""
        if not self._undo:
            return False
        self.raster = self._undo.pop()
        self.update()
        self.image_changed.emit()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def set_tool(self, tool: str) -> None:
        if tool not in ("brush", "eraser"):
            raise ValueError(f"unknown sketch tool {tool!r} (brush or eraser)")
        self.tool = tool

    def set_brush_radius(self, radius: float) -> None:
        """Brush radius in image pixels."""
        self.brush_radius = float(radius)
        self.update()

    def widget_to_raster(self, pos: QPointF) -> tuple[float, float]:
        """Raster (x, y) coordinates of a point in widget coordinates."""
        return pos.x() - 1.0, pos.y() - 1.0

    def raster_to_widget(self, x: float, y: float) -> QPointF:
        return QPointF(x + 1.0, y + 1.0)

    # -- drawing ------------------------------------------------------------------------------
    def _push_undo(self) -> None:
        self._undo.append(self.raster.copy())
        del self._undo[:-MAX_UNDO]

    def _stamp(self, x0: float, y0: float, x1: float, y1: float, erase: bool) -> None:
        """Ink (or erase) a round-ended line of the brush's width from (x0, y0) to (x1, y1)
        (raster coordinates), with a one-cell soft edge."""
        r = self.brush_radius * self.factor
        h, w = self.raster.shape
        left = int(max(np.floor(min(x0, x1) - r - 1), 0))
        right = int(min(np.ceil(max(x0, x1) + r + 1), w))
        top = int(max(np.floor(min(y0, y1) - r - 1), 0))
        bottom = int(min(np.ceil(max(y0, y1) + r + 1), h))
        if left >= right or top >= bottom:
            return
        ys, xs = np.mgrid[top:bottom, left:right]
        px, py = xs + 0.5, ys + 0.5
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = np.zeros_like(px) if length2 < 1e-12 else np.clip(
            ((px - x0) * dx + (py - y0) * dy) / length2, 0.0, 1.0)
        d = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
        ink = np.clip(r + 0.5 - d, 0.0, 1.0)
        patch = self.raster[top:bottom, left:right]
        if erase:
            np.minimum(patch, 1.0 - ink, out=patch)
        else:
            np.maximum(patch, ink, out=patch)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return super().mousePressEvent(event)
        self._stroke_tool = "eraser" if (button == Qt.MouseButton.RightButton
                                         or self.tool == "eraser") else "brush"
        self._push_undo()
        x, y = self.widget_to_raster(event.position())
        self._last = (x, y)
        self._stamp(x, y, x, y, self._stroke_tool == "eraser")
        self.update()
        self.image_changed.emit()
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = event.position()
        if self._stroke_tool is not None and self._last is not None:
            x, y = self.widget_to_raster(event.position())
            self._stamp(*self._last, x, y, self._stroke_tool == "eraser")
            self._last = (x, y)
            self.image_changed.emit()
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._stroke_tool is not None:
            self._stroke_tool = None
            self._last = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        with painter_for(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        h, w = self.raster.shape
        grey = np.ascontiguousarray(255 - np.clip(self.raster * 255, 0, 255).astype(np.uint8))
        image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8)
        p.drawImage(QRectF(1, 1, w, h), image)
        # the image's pixel grid, faint: what each square becomes
        p.setPen(QPen(QColor(160, 160, 160, 70), 1))
        ih, iw = self.shape
        for i in range(1, ih):
            p.drawLine(1, 1 + i * self.factor, 1 + w, 1 + i * self.factor)
        for j in range(1, iw):
            p.drawLine(1 + j * self.factor, 1, 1 + j * self.factor, 1 + h)
        p.setPen(QPen(QColor(128, 128, 128), 1))
        p.drawRect(QRectF(0.5, 0.5, w + 1, h + 1))
        if self._hover is not None:
            r = self.brush_radius * self.factor
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            colour = QColor("#d9480f") if self.tool == "eraser" else QColor("#1c7ed6")
            p.setPen(QPen(colour, 1))
            p.drawEllipse(self._hover, r, r)
        p.end()


class SketchPad(QWidget):
    """The canvas, its tools (brush, eraser, brush size, Undo, Clear) and the network's
    answer: the predicted class and one probability bar per class."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sketch_pad")
        self.canvas = SketchCanvas(self)
        self.class_names: list[str] = []
        self.probabilities: np.ndarray | None = None

        tools = QHBoxLayout()
        tools.setSpacing(4)
        self.brush_button = self._tool_button("sketch_brush", "Brush",
                                              "Draw ink with the left mouse button")
        self.eraser_button = self._tool_button("sketch_eraser", "Eraser",
                                               "Rub out with the left mouse button (the right "
                                               "button always rubs out)")
        self.brush_button.setChecked(True)
        self._tools = QButtonGroup(self)
        self._tools.setExclusive(True)
        for button, tool in ((self.brush_button, "brush"), (self.eraser_button, "eraser")):
            self._tools.addButton(button)
            button.toggled.connect(lambda on, t=tool: on and self.canvas.set_tool(t))
            tools.addWidget(button)
        self.size_box = QComboBox(self)
        self.size_box.setObjectName("sketch_brush_size")
        for label, radius in BRUSH_SIZES:
            self.size_box.addItem(label, radius)
        self.size_box.setCurrentIndex(DEFAULT_BRUSH)
        self.size_box.setToolTip("How wide the brush and the eraser are")
        self.size_box.currentIndexChanged.connect(
            lambda _i: self.canvas.set_brush_radius(self.size_box.currentData()))
        tools.addWidget(self.size_box)
        tools.addStretch(1)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setObjectName("sketch_undo")
        self.undo_button.setToolTip("Take back the last stroke (Ctrl+Z)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("sketch_clear")
        self.clear_button.setToolTip("Rub out the whole drawing (Undo brings it back)")
        self.clear_button.clicked.connect(self.canvas.clear)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)

        self.answer = QLabel(self)
        self.answer.setObjectName("sketch_prediction")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setToolTip("The class the network gives your drawing right now")
        self.bars = ProbabilityBars(self)
        self.bars.setObjectName("sketch_probabilities")
        self.bars.setToolTip("The network's probability for each class, for your drawing; it "
                             "changes as you draw and as the network trains")
        self.bars.setMinimumSize(200, 120)

        left = QVBoxLayout()
        left.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        left.addLayout(tools)
        self.hint = QLabel(self)
        self.hint.setObjectName("sketch_hint")
        self.hint.setWordWrap(True)
        left.addWidget(self.hint)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.answer)
        right.addWidget(self.bars, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self.canvas.image_changed.connect(self._sync_buttons)
        self._sync_buttons()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Ctrl+Z (the platform's undo key) anywhere in the pad takes back a stroke (keys
        the canvas and the buttons do not use come up to the pad)."""
        if event.matches(QKeySequence.StandardKey.Undo):
            self.canvas.undo()
            event.accept()
            return
        super().keyPressEvent(event)

    def _tool_button(self, name: str, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        return button

    def _sync_buttons(self) -> None:
        self.undo_button.setEnabled(self.canvas.can_undo)

    def set_dataset(self, title: str, shape: tuple[int, ...], class_names) -> None:
        """Draw images for a dataset of ``shape`` with these classes (a new, empty
        picture)."""
        self.class_names = [str(n) for n in class_names]
        self.canvas.set_shape(shape)
        self.hint.setText(f"Your drawing becomes a {shape[1]} x {shape[0]} image, like the "
                          f"images of {title}; the faint grid shows its pixels.")
        self.show_answer(None)
        self._sync_buttons()

    def show_answer(self, probabilities: np.ndarray | None, note: str = "") -> None:
        """Show the network's probabilities for the drawing (None: no answer, ``note``
        says why)."""
        self.probabilities = None if probabilities is None else np.asarray(
            probabilities, dtype=np.float64).copy()
        self.bars.set_values(self.class_names, self.probabilities, None)
        if self.probabilities is None:
            self.answer.setText(note or "Draw something: the network's answer appears here.")
            return
        best = int(np.argmax(self.probabilities))
        name = self.class_names[best] if best < len(self.class_names) else str(best)
        self.answer.setText(f"The network says: <b>{name}</b> "
                            f"({100 * self.probabilities[best]:.0f}%)")

    @property
    def predicted_class(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))


class SketchController(QObject):
    """The pad in a tool window, wired to the window (see the module docstring).

    ``window`` provides ``dataset``, ``state`` (spec; subscribe), ``latest_snapshot``,
    ``snapshot_drawn`` and ``show_drawn_example(x or None)``.
    """

    opened = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dialog = QDialog(window)
        self.dialog.setObjectName("sketch_dialog")
        self.dialog.setWindowTitle("Draw an Example")
        self.dialog.setModal(False)
        self.pad = SketchPad(self.dialog)
        layout = QVBoxLayout(self.dialog)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pad)
        self.dialog.finished.connect(lambda _r: self._closed())
        self._net = None
        self._net_spec = None
        self._shape: tuple[int, ...] | None = None
        self.pad.canvas.image_changed.connect(self._drawing_changed)
        window.snapshot_drawn.connect(self._on_snapshot)
        window.state.subscribe(self._on_state_changed)

    @property
    def active(self) -> bool:
        return self.dialog.isVisible()

    def open(self) -> bool:
        """Show the pad for the window's image dataset; False (with a message) for other
        data."""
        ds = self.window.dataset
        if ds is None or ds.kind != "image" or ds.image_shape is None:
            self.window.statusBar().showMessage(
                "Drawing an example needs image data: pick the digits, strokes or shapes in "
                "the data panel (or import an image folder)", 8000)
            return False
        if self._shape != tuple(ds.image_shape) or not self.active:
            self._configure(ds)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.opened.emit()
        return True

    def close(self) -> None:
        self.dialog.close()

    def image(self) -> np.ndarray:
        """The drawing as the network sees it (the dataset's value range, flattened)."""
        x = self.pad.canvas.image()
        ds = self.window.dataset
        if ds is not None and ds.feature_mean is not None and ds.feature_std is not None:
            x = (x - ds.feature_mean) / ds.feature_std
        return x

    # -- internals --------------------------------------------------------------------------
    def _configure(self, ds) -> None:
        self._shape = tuple(ds.image_shape)
        channels = ds.n_features // (ds.image_shape[0] * ds.image_shape[1])
        self.pad.set_dataset(ds.title, ds.image_shape, ds.class_names)
        self._channels = channels
        self.dialog.setWindowTitle(f"Draw an Example \u2014 {ds.title}")
        self.window.show_drawn_example(None)

    def _drawing_changed(self) -> None:
        if not self.active:
            return
        x = self._network_input()
        self.window.show_drawn_example(x)
        self._predict(x)

    def _network_input(self) -> np.ndarray:
        x = self.image()
        channels = getattr(self, "_channels", 1)
        if channels > 1:  # a colour dataset: the drawing is grey ink in every channel
            x = np.repeat(x, channels)
        return x

    def _predict(self, x: np.ndarray) -> None:
        from neuroviz.engine import Network

        snap = self.window.latest_snapshot
        if snap is None:
            self.pad.show_answer(None, "The network is getting ready\u2026")
            return
        spec = self.window.state.spec
        if self._net is None or spec != self._net_spec:
            self._net = Network.from_spec(spec, seed=0)
            self._net_spec = spec
        try:
            self._net.set_weights(snap.weights)
        except ValueError:
            return  # the snapshot belongs to a network the window has just replaced
        with np.errstate(all="ignore"):
            p = self._net.predict(x[None, :])[0]
        if not np.isfinite(p).all():
            self.pad.show_answer(None, "The network's output is not a number (it diverged).")
            return
        if p.shape[0] == 1:  # one sigmoid output: P(class 1)
            p = np.array([1.0 - p[0], p[0]])
        self.pad.show_answer(p)

    def _on_snapshot(self, _snap) -> None:
        if self.active and not self.pad.canvas.is_empty():
            self._predict(self._network_input())

    def _on_state_changed(self, change: str) -> None:
        if self.active and change in ("dataset", "experiment", "network"):
            # after the window has finished applying the change (views, worker)
            QTimer.singleShot(0, self._follow_window)

    def _follow_window(self) -> None:
        if not self.active:
            return
        ds = self.window.dataset
        if ds is None or ds.kind != "image" or ds.image_shape is None:
            self.dialog.close()
            return
        if tuple(ds.image_shape) != self._shape:
            self._configure(ds)
        else:
            self.pad.class_names = list(ds.class_names)
            self._net = None
            if not self.pad.canvas.is_empty():
                self._drawing_changed()

    def _closed(self) -> None:
        self.window.show_drawn_example(None)


def _demo() -> None:  # pragma: no cover - manual look
    import sys

    from PySide6.QtWidgets import QApplication

    from neuroviz.data import load_dataset
    from neuroviz.engine import Network

    app = QApplication.instance() or QApplication(sys.argv)
    ds = load_dataset("strokes")
    spec = {"inputs": ds.spec_inputs, "loss": ds.loss,
            "layers": [{"type": "dense", "units": 16, "activation": "relu"},
                       {"type": "dense", "units": 4, "activation": "softmax"}]}
    net = Network.from_spec(spec, seed=0)
    pad = SketchPad()
    pad.set_dataset(ds.title, ds.image_shape, ds.class_names)
    pad.canvas.image_changed.connect(
        lambda: pad.show_answer(net.predict(pad.canvas.image()[None, :])[0]))
    pad.show()
    app.exec()


if __name__ == "__main__":  # pragma: no cover
    _demo()
