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

import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPicture, QRegion
from PySide6.QtWidgets import QApplication, QGraphicsView, QProgressDialog, QWidget

__all__ = ["GifRecorder", "copy_to_clipboard", "encode_gif", "image_to_rgb", "quantize",
           "save_png", "save_svg", "write_gif"]


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


# ----------------------------------------------------------------------------- GIF encoder
def _palette() -> np.ndarray:
    """A 6×6×6 colour cube (216 colours) and a ramp of 40 greys (user interfaces are grey)."""
    levels = np.linspace(0, 255, 6)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    cube = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)
    greys = np.repeat(GREYS[:, None], 3, axis=1)
    return np.round(np.vstack([cube, greys])).astype(np.uint8)


GREYS = np.round(np.linspace(0, 255, 40)).astype(np.int16)
PALETTE = _palette()
GREY_TOLERANCE = 12


def quantize(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 -> (h, w) palette indices: near-greys to the grey ramp, others the cube."""
    rgb = np.asarray(rgb, dtype=np.int16)
    q = np.rint(rgb / 51.0).astype(np.int16)
    idx = q[..., 0] * 36 + q[..., 1] * 6 + q[..., 2]
    spread = rgb.max(axis=-1) - rgb.min(axis=-1)
    grey = spread <= GREY_TOLERANCE
    if grey.any():
        v = rgb[grey].mean(axis=-1)
        idx[grey] = 216 + np.rint(v * (len(GREYS) - 1) / 255.0).astype(np.int16)
    return idx.astype(np.uint8)


def _lzw(indices: np.ndarray, min_code_size: int = 8) -> bytes:
    """GIF LZW compression of a flat uint8 index array."""
    clear = 1 << min_code_size
    end = clear + 1
    out = bytearray()
    acc = 0
    nbits = 0
    code_size = min_code_size + 1

    def emit(code: int) -> None:
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += code_size
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    table: dict[int, int] = {}
    next_code = end + 1
    emit(clear)
    data = indices.tobytes()
    if not data:
        emit(end)
        if nbits:
            out.append(acc & 0xFF)
        return bytes(out)
    prefix = data[0]
    for k in data[1:]:
        key = (prefix << 8) | k
        code = table.get(key)
        if code is not None:
            prefix = code
            continue
        emit(prefix)
        if next_code < 4096:
            table[key] = next_code
            next_code += 1
            if next_code > (1 << code_size) and code_size < 12:
                code_size += 1
        else:
            emit(clear)
            table.clear()
            next_code = end + 1
            code_size = min_code_size + 1
        prefix = k
    emit(prefix)
    emit(end)
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def _sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def _changed_box(prev: np.ndarray | None, frame: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the pixels that differ from the previous frame."""
    h, w = frame.shape
    if prev is None or prev.shape != frame.shape:
        return 0, 0, h, w
    diff = prev != frame
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return 0, 0, 1, 1  # nothing changed: a 1-pixel frame keeps the timing
    cols = np.flatnonzero(diff.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def encode_gif(frames, delay_ms: int = 100, loop: bool = True,
               progress: Callable[[int, int], bool] | None = None) -> bytes | None:
    """Encode palette-index frames ((h, w) uint8, all the same size) as an animated GIF.

    ``progress(done, total)`` is called after each frame; returning False cancels (the
    function then returns None).
    """
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to encode")
    h, w = frames[0].shape
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", w, h, 0xF7, 0, 0)  # global colour table of 256 entries
    out += PALETTE.tobytes()
    if loop:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
    delay = max(2, int(round(delay_ms / 10)))
    prev = None
    for n, frame in enumerate(frames):
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if frame.shape != (h, w):
            raise ValueError(f"frame {n} is {frame.shape[1]}x{frame.shape[0]}, expected {w}x{h}")
        top, left, fh, fw = _changed_box(prev, frame)
        # graphic control: disposal 1 (leave in place), the delay, no transparency
        out += b"\x21\xf9\x04" + struct.pack("<BHB", 0x04, delay, 0) + b"\x00"
        out += b"\x2c" + struct.pack("<HHHHB", left, top, fw, fh, 0)
        out.append(8)
        out += _sub_blocks(_lzw(frame[top:top + fh, left:left + fw]))
        prev = frame
        if progress is not None and progress(n + 1, len(frames)) is False:
            return None
    out.append(0x3B)
    return bytes(out)


def write_gif(path, frames, delay_ms: int = 100, progress=None) -> bool:
    """Encode and write; False if cancelled. Raises ExportError if the file cannot be written."""
    data = encode_gif(frames, delay_ms, progress=progress)
    if data is None:
        return False
    path = Path(path)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"{path}: {exc.strerror or exc}") from None
    return True


def gif_frame_count(data: bytes) -> int:
    """Number of image frames in GIF data (walks the block structure; for tests)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF file")
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return frames
        if block == 0x21:
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        elif block == 0x2C:
            frames += 1
            local = data[pos + 9]
            pos += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0)
            pos += 1  # LZW minimum code size
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        else:
            raise ValueError(f"bad GIF block 0x{block:02x} at byte {pos}")
    raise ValueError("truncated GIF (no trailer)")


# ----------------------------------------------------------------------------- recording
class GifRecorder(QObject):
    """Grabs frames of a widget (call :meth:`capture`, e.g. on each drawn snapshot).

    Frames are scaled to at most ``max_width`` pixels wide and stored as palette indices
    (one byte a pixel). At most ``max_frames`` are kept: when full, every other frame is
    dropped and the capture interval doubles, so the recording covers the whole run.
    """

    recording_changed = Signal(bool)
    frame_added = Signal(int)

    def __init__(self, parent: QObject | None = None, *, fps: float = 10.0,
                 max_frames: int = 240, max_width: int = 720) -> None:
        super().__init__(parent)
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.max_width = int(max_width)
        self.frames: list[np.ndarray] = []
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

    def stop(self) -> list[np.ndarray]:
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
        self.frames.append(quantize(image_to_rgb(image)))
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.interval *= 2
        self.frame_added.emit(len(self.frames))
        return True


def encode_with_progress(parent: QWidget | None, frames, path, delay_ms: int) -> bool:
    """Write a GIF while a cancellable QProgressDialog shows the encoding progress."""
    dialog = QProgressDialog("Encoding the animation\u2026", "Cancel", 0, len(frames), parent)
    dialog.setObjectName("gif_progress")
    dialog.setWindowTitle("Saving GIF")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setValue(0)

    def progress(done: int, total: int) -> bool:
        dialog.setValue(done)
        QApplication.processEvents()
        return not dialog.wasCanceled()

    try:
        return write_gif(path, frames, delay_ms, progress=progress)
    finally:
        dialog.reset()
        dialog.close()
        dialog.deleteLater()


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())
