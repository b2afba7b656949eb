"""Export pictures: PNG and SVG of any view, the clipboard, and animated GIF recordings.

* :func:`save_png` / :func:`save_svg` / :func:`copy_to_clipboard` take any widget (the network
  view, the output plot, the charts, the whole window). SVG uses Qt's QSvgGenerator (QtSvg
  ships with PySide6-Essentials): the widget paints itself into it, so lines and text stay
  vectors; heatmaps are embedded as images.
* :class:`GifRecorder` grabs frames of a widget while training runs (at most ``fps`` a second,
  at most ``max_frames``; when full it keeps every other frame and halves the rate, so a long
  run still fits) and :func:`write_gif` encodes them. The encoder is a small, dependency-free
  GIF89a writer (fixed 256-colour palette, LZW, only the changed rectangle per frame), so no
  imaging package is needed. :func:`record_dialog_encode` shows a QProgressDialog while it
  encodes and can be cancelled.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QObject,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QThread,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPicture, QRegion
from PySide6.QtWidgets import QApplication, QGraphicsView, QWidget

from neuroviz.app.classroom.gif import (
    FIXED_PALETTE,
    build_palette,
    encode_gif,
    gif_frame_count,
    palette_lut,
    quantize,
)

__all__ = ["GifEncodeJob", "GifRecorder", "copy_to_clipboard", "encode_gif", "encode_recording",
           "gif_frame_count", "image_to_rgb", "quantize", "save_png", "save_svg", "write_gif"]

#: The fixed colour table of :func:`quantize` without a palette (kept for callers of old).
PALETTE = FIXED_PALETTE


class ExportError(OSError):
    """The file could not be written (the message names it)."""


# ----------------------------------------------------------------------------- still images
def grab_image(widget: QWidget) -> QImage:
    """The widget as it looks now (HiDPI-aware)."""
    QApplication.processEvents()
    return widget.grab().toImage()


def save_png(widget: QWidget, path) -> Path:
    """Save a PNG of ``widget``; raises ExportError if it cannot be written."""
    path = Path(path)
    if not grab_image(widget).save(str(path), "PNG"):
        raise ExportError(f"{path}: the image could not be written")
    return path


def save_svg(widget: QWidget, path, title: str = "neuroviz") -> Path:
    """Save ``widget`` as an SVG drawing (vector lines and text, images embedded)."""
    from PySide6.QtSvg import QSvgGenerator

    path = Path(path)
    size = widget.size()
    # SVG 1.1: clip paths are kept (scrolled content stays inside its viewport)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from neuroviz")
    # 96 per inch: the SVG's physical size is the widget's size in CSS pixels
    generator.setResolution(96)
    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError(f"{path}: the SVG file could not be written")
    items = _export_mode_items(widget)
    try:
        # pyqtgraph items draw for export: scatter symbols become vector paths instead of
        # fragments of a cached pixmap atlas (which SVG turns into black marks)
        for item in items:
            item.setExportMode(True, {"antialias": True, "background": None,
                                      "painter": painter, "resolutionScale": 1.0})
        _render_clipped(widget, painter, QPoint(0, 0), QRect(QPoint(0, 0), widget.size()))
    finally:
        for item in items:
            item.setExportMode(False)
        painter.end()
    if not path.exists() or path.stat().st_size == 0:
        raise ExportError(f"{path}: the SVG file could not be written")
    try:
        path.write_text(bake_thin_strokes(path.read_text(encoding="utf-8")), encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{path}: {exc}") from None
    return path


_GROUP = re.compile(r'(<g\b[^>]*?)transform="matrix\(([^)]*)\)"([^>]*>)(\s*(?:<(?:path|polyline)'
                    r'\b[^>]*vector-effect="non-scaling-stroke"[^>]*/>\s*)+)(</g>)')
_PAIR = re.compile(r"(-?[0-9.]+(?:e[-+]?[0-9]+)?),(-?[0-9.]+(?:e[-+]?[0-9]+)?)")


def bake_thin_strokes(svg: str) -> str:
    """Apply each group's transform to the coordinates of its hairline (cosmetic) shapes.

    Qt writes a cosmetic pen (pyqtgraph's scatter symbols, curves) as a shape in scaled
    units plus ``vector-effect="non-scaling-stroke"``; viewers that ignore that attribute
    scale the outline with the shape (an 8-pixel circle gets an 8-pixel black rim). Baking
    the transform into the coordinates draws the same picture in every viewer.
    """
    def bake(m: re.Match) -> str:
        try:
            a, b, c, d, e, f = (float(v) for v in m.group(2).split(","))
        except ValueError:
            return m.group(0)

        def point(pm: re.Match) -> str:
            x, y = float(pm.group(1)), float(pm.group(2))
            return f"{a * x + c * y + e:.6g},{b * x + d * y + f:.6g}"

        body = re.sub(r'\b(?:d|points)="[^"]*"', lambda sm: _PAIR.sub(point, sm.group(0)),
                      m.group(4))
        body = body.replace('vector-effect="non-scaling-stroke"', 'vector-effect="none"')
        return f'{m.group(1)}transform="matrix(1,0,0,1,0,0)"{m.group(3)}{body}{m.group(5)}'

    return _GROUP.sub(bake, svg)


def _render_clipped(widget: QWidget, painter: QPainter, offset: QPoint, clip: QRect) -> None:
    """Paint ``widget`` and its visible children, each clipped to its parent's visible part.

    ``QWidget.render`` into an SVG does not clip children (scrolled content, such as a wide
    network canvas, would spill over its neighbours), so each widget is painted on its own
    with an explicit clip rectangle, which the SVG keeps as a clip path.
    """
    own = QRect(offset, widget.size()).intersected(clip)
    if own.isEmpty():
        return
    # Recorded first, then replayed under the clip: a widget's paintEvent opens its own
    # painter, which would not inherit a clip set on ours.
    picture = QPicture()
    recorder = QPainter(picture)
    QWidget.render(widget, recorder, QPoint(0, 0), QRegion(),
                   QWidget.RenderFlag.DrawWindowBackground)
    recorder.end()
    painter.save()
    painter.setClipRect(own)
    painter.drawPicture(offset, picture)
    painter.restore()
    for child in widget.children():
        if (isinstance(child, QWidget) and child.isVisible() and not child.isWindow()):
            _render_clipped(child, painter, offset + child.pos(), own)


def _export_mode_items(widget: QWidget) -> list:
    """The pyqtgraph items drawn inside ``widget`` that have an export mode."""
    views = [w for w in [widget, *widget.findChildren(QGraphicsView)]
             if isinstance(w, QGraphicsView) and w.scene() is not None]
    items, seen = [], set()
    for view in views:
        scene = view.scene()
        if id(scene) in seen:
            continue
        seen.add(id(scene))
        items += [item for item in scene.items() if hasattr(item, "setExportMode")]
    return items


#: The largest plot picture, in pixels (a 4K screen's plot at 4x is well below it).
MAX_PLOT_PIXELS = 64_000_000


def plot_image(view: QGraphicsView, item=None, scale: float = 2.0) -> QImage:
    """Only the plot: ``item`` of ``view``'s scene (default: the view's plot or layout)
    drawn at ``scale`` times its size on screen, without the widgets around it.

    Everything is drawn again at the larger size (text, lines and points stay sharp; the
    heatmap image is scaled smoothly). Raises ValueError for a scale outside 1 to 8.
    """
    if not 1.0 <= float(scale) <= 8.0:
        raise ValueError(f"scale {scale}: choose 1 to 8 times the size on screen")
    if item is None:
        item = getattr(view, "ci", None) or view.getPlotItem()
    scene = view.scene()
    source = item.sceneBoundingRect()
    scale = float(scale)
    while (source.width() * scale) * (source.height() * scale) > MAX_PLOT_PIXELS and scale > 1:
        scale = max(1.0, scale / 2)
    width = max(1, round(source.width() * scale))
    height = max(1, round(source.height() * scale))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(view.backgroundBrush().color() if view.backgroundBrush().style()
               != Qt.BrushStyle.NoBrush else view.palette().base().color())
    items = _export_mode_items(view)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    try:
        for it in items:
            it.setExportMode(True, {"antialias": True, "background": None,
                                    "painter": painter, "resolutionScale": scale})
        scene.render(painter, QRectF(0, 0, width, height), source)
    finally:
        for it in items:
            it.setExportMode(False)
        painter.end()  # always, so an error never leaves a painter active
    return image


def save_plot_png(view: QGraphicsView, path, scale: float = 2.0, item=None) -> Path:
    """Save :func:`plot_image` as a PNG; raises ExportError if it cannot be written."""
    path = Path(path)
    if not plot_image(view, item, scale).save(str(path), "PNG"):
        raise ExportError(f"{path}: the image could not be written")
    return path


def copy_to_clipboard(widget: QWidget) -> QImage:
    """Put a picture of ``widget`` on the clipboard; returns the image."""
    image = grab_image(widget)
    QGuiApplication.clipboard().setImage(image)
    return image


def image_to_rgb(image: QImage) -> np.ndarray:
    """(h, w, 3) uint8 copy of a QImage."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h)
    return buf.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()


# ----------------------------------------------------------------------------- GIF files
def write_gif(path, frames, delay_ms: int = 100, progress=None, palette=None) -> bool:
    """Encode palette-index frames and write them; False if cancelled. Raises ExportError if
    the file cannot be written (an existing file is replaced only by a complete one)."""
    data = encode_gif(frames, delay_ms, progress=progress, palette=palette)
    if data is None:
        return False
    write_atomically(path, data)
    return True


def write_atomically(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(f"{path}: {exc.strerror or exc}") from None
    return path


def encode_recording(frames, delay_ms: int,
                     progress: Callable[[int, int], bool] | None = None) -> bytes | None:
    """GIF data for recorded frames (see :class:`GifRecorder`), with a palette built from
    the frames themselves. ``progress(done, total)`` as for :func:`encode_gif` (the palette
    counts as the first step); None if cancelled."""
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to encode")
    total = len(frames) + 1
    step = max(1, len(frames) // 60)  # about 60 frames are enough to choose the colours
    palette = build_palette((frame_rgb(f) for f in frames[::step]),
                            pixel_step=2 if len(frames) > 20 else 1)
    if progress is not None and progress(1, total) is False:
        return None
    lut = palette_lut(palette)
    indices = (quantize(frame_rgb(f), palette, lut) for f in frames)

    def frame_progress(done: int, _total: int) -> bool:
        return True if progress is None else progress(done + 1, total)

    return encode_gif(indices, delay_ms, progress=frame_progress, palette=palette)


class GifEncodeJob(QThread):
    """Encodes a recording and writes the file on its own thread (the window stays usable).

    ``progressed(done, total)`` while it works; ``finished_writing(ok, message)`` at the end:
    ``ok`` with the path, or not with the reason ("cancelled" when :meth:`cancel` was called).
    """

    progressed = Signal(int, int)
    finished_writing = Signal(bool, str)

    def __init__(self, frames, path, delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gif_encoder")
        self.frames = list(frames)
        self.path = Path(path)
        self.delay_ms = int(delay_ms)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:  # the encoding thread
        def progress(done: int, total: int) -> bool:
            self.progressed.emit(done, total)
            return not self._cancel.is_set()

        try:
            data = encode_recording(self.frames, self.delay_ms, progress)
            if data is None:
                self.finished_writing.emit(False, "cancelled")
                return
            write_atomically(self.path, data)
        except (OSError, ValueError, MemoryError) as exc:
            self.finished_writing.emit(False, str(exc))
            return
        self.finished_writing.emit(True, str(self.path))


# ----------------------------------------------------------------------------- recording
class RecordedFrame(NamedTuple):
    """One grabbed frame: its RGB pixels, compressed (screens compress ~10-30 times)."""

    width: int
    height: int
    pixels: bytes


def frame_rgb(frame) -> np.ndarray:
    """(h, w, 3) uint8 pixels of a :class:`RecordedFrame` (an array is returned as it is)."""
    if isinstance(frame, np.ndarray):
        return frame
    raw = zlib.decompress(frame.pixels)
    return np.frombuffer(raw, dtype=np.uint8).reshape(frame.height, frame.width, 3)


class GifRecorder(QObject):
    """Grabs frames of a widget (call :meth:`capture`, e.g. on each drawn snapshot).

    Frames are scaled to at most ``max_width`` pixels wide and kept in full colour,
    compressed (:class:`RecordedFrame`), so the GIF's palette can be chosen from all of
    them. At most ``max_frames`` are kept: when full, every other frame is dropped and the
    capture interval doubles, so the recording covers the whole run.
    """

    recording_changed = Signal(bool)
    frame_added = Signal(int)

    def __init__(self, parent: QObject | None = None, *, fps: float = 10.0,
                 max_frames: int = 240, max_width: int = 720) -> None:
        super().__init__(parent)
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.max_width = int(max_width)
        self.frames: list[RecordedFrame] = []
        self.widget: QWidget | None = None
        self.interval = 1.0 / self.fps
        self._last = 0.0
        self._size: QSize | None = None

    @property
    def is_recording(self) -> bool:
        return self.widget is not None

    @property
    def delay_ms(self) -> int:
        return int(round(1000 * self.interval))

    def start(self, widget: QWidget) -> None:
        self.frames = []
        self.widget = widget
        self.interval = 1.0 / self.fps
        self._last = 0.0
        self._size = None
        self.capture(force=True)
        self.recording_changed.emit(True)

    def stop(self) -> list[RecordedFrame]:
        if self.widget is not None:
            self.capture(force=True)
        self.widget = None
        self.recording_changed.emit(False)
        return self.frames

    def capture(self, *_args, force: bool = False) -> bool:
        widget = self.widget
        if widget is None:
            return False
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return False
        self._last = now
        image = widget.grab().toImage()
        if self._size is None:
            size = image.size()
            if size.width() > self.max_width:
                size = size.scaled(self.max_width, 10**6, Qt.AspectRatioMode.KeepAspectRatio)
            self._size = QSize(max(1, size.width()), max(1, size.height()))
        if image.size() != self._size:
            image = image.scaled(self._size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        rgb = image_to_rgb(image)
        self.frames.append(RecordedFrame(rgb.shape[1], rgb.shape[0], zlib.compress(rgb, 1)))
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.interval *= 2
        self.frame_added.emit(len(self.frames))
        return True


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())
