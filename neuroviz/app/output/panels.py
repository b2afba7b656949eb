"""Secondary panels of the output view: confusion matrix, the selected image, probability
bars, misclassified gallery (for every image dataset: digits, strokes, shapes, folders).
Plain Qt (QPainter), no per-frame object creation."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QSizePolicy, QWidget

from neuroviz.app import palette as _palette
from neuroviz.app.painting import painter_for

__all__ = ["ClassKey", "ConfusionMatrixWidget", "DigitImageWidget", "ImageExampleWidget",
           "MisclassifiedGallery", "ProbabilityBars", "confusion_counts", "digit_qimage"]


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(k, k) int64 counts: row = true class, column = predicted class."""
    idx = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(idx, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


class ConfusionMatrixWidget(QWidget):
    """Counts of (true, predicted) on the test set, with class names; hover a cell for details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusion_matrix")
        self.setMouseTracking(True)
        self.class_names: list[str] = []
        self._data_names: list[str] = []
        self.counts: np.ndarray | None = None
        self.scale = 1.0
        _palette.notifier.palette_changed.connect(self._on_palette_changed)
        self.setToolTip("Confusion matrix on the test set: rows are the true classes, columns "
                        "the predicted ones; the diagonal counts correct answers.")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_classes(self, names) -> None:
        """The data's class names (shown as the palette names them, with colour swatches)."""
        self._data_names = [str(n) for n in names]
        self.class_names = _palette.display_class_names(self._data_names)
        self.counts = None
        self.updateGeometry()
        self.update()

    def set_counts(self, counts: np.ndarray | None) -> None:
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        self.update()

    def _on_palette_changed(self, _name: str) -> None:
        self.class_names = _palette.display_class_names(self._data_names)
        self.update()

    def _geometry(self):
        fm = QFontMetricsF(self.font())
        k = max(len(self.class_names), 1)
        label_w = min(max((fm.horizontalAdvance(n) for n in self.class_names), default=10),
                      110 * self.scale) + 8 * self.scale + fm.height() * 0.6 + 3
        top = fm.height() * 2.2 + 4
        left = label_w + fm.height() + 6
        cell = (min(self.width() - left - 6, self.height() - top - 6)) / k
        cell = max(cell, 8.0)
        return fm, k, label_w, top, left, cell

    def sizeHint(self) -> QSize:  # noqa: N802
        fm = QFontMetricsF(self.font())
        k = max(len(self.class_names), 1)
        name_w = max((fm.horizontalAdvance(n) for n in self.class_names), default=10)
        cell = max(fm.height() * 1.6, 22 * self.scale, name_w + 8) if k <= 4 else \
            fm.height() * 1.5
        label_w = min(max((fm.horizontalAdvance(n) for n in self.class_names), default=10),
                      110 * self.scale) + fm.height() * 1.6 + 17 * self.scale
        return QSize(int(label_w + k * cell + 10), int(fm.height() * 2.2 + k * cell + 10))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        _, k, _, top, left, cell = self._geometry()
        i, j = int((y - top) // cell), int((x - left) // cell)
        if 0 <= i < k and 0 <= j < k and y >= top and x >= left:
            return i, j
        return None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        c = self.cell_at(event.position().x(), event.position().y())
        if c is not None and self.counts is not None and len(self.class_names) == len(self.counts):
            i, j = c
            n = int(self.counts[i, j])
            total = int(self.counts[i].sum())
            what = "correct" if i == j else "mistaken"
            self.setToolTip(f"True {self.class_names[i]}, predicted {self.class_names[j]}: {n} of "
                            f"{total} test examples ({what})")
        super().mouseMoveEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        with painter_for(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), self.palette().base())
        text_colour = self.palette().text().color()
        fm, k, label_w, top, left, cell = self._geometry()
        names = self.class_names
        p.setPen(text_colour)
        p.setFont(self.font())
        h = fm.height()
        p.drawText(QRectF(left, 0, k * cell, h), Qt.AlignHCenter, "predicted")
        # column names
        small = QFont(self.font())
        if k > 4:
            small.setPointSizeF(max(self.font().pointSizeF() * 0.9, 7.0))
        p.setFont(small)
        for j, n in enumerate(names):
            p.drawText(QRectF(left + j * cell, h, cell, h * 1.2), Qt.AlignCenter,
                       QFontMetricsF(small).elidedText(n, Qt.ElideRight, cell - 2))
        # row names and rotated "true"
        swatches = _palette.class_colours(k)
        sw = min(h * 0.6, cell * 0.5)
        for i, n in enumerate(names):
            p.drawText(QRectF(h + 2, top + i * cell, label_w - 4 - sw - 3, cell),
                       Qt.AlignRight | Qt.AlignVCenter,
                       QFontMetricsF(small).elidedText(n, Qt.ElideRight, label_w - 4 - sw - 3))
            p.fillRect(QRectF(h + label_w - sw - 3, top + i * cell + (cell - sw) / 2, sw, sw),
                       swatches[i])
        p.setFont(self.font())
        p.save()
        p.translate(0, top + k * cell / 2)
        p.rotate(-90)
        p.drawText(QRectF(-k * cell / 2, 0, k * cell, h), Qt.AlignCenter, "true")
        p.restore()
        pal = _palette.current_palette()
        counts = self.counts
        if counts is None or counts.shape != (k, k):
            p.setPen(QPen(text_colour))
            p.drawRect(QRectF(left, top, k * cell, k * cell))
            p.end()
            return
        row_tot = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        frac = counts / row_tot
        p.setFont(small)
        for i in range(k):
            for j in range(k):
                f = float(frac[i, j])
                r = QRectF(left + j * cell, top + i * cell, cell, cell)
                value = f if i == j else -f  # correct -> positive colour, mistakes -> negative
                colour = pal.colour(value, 1.0) if counts[i, j] else pal.neutral.lighter(108)
                p.fillRect(r, colour)
                p.setPen(pal.text_colour_on(value, 1.0) if counts[i, j] else text_colour)
                p.drawText(r, Qt.AlignCenter, str(int(counts[i, j])))
        p.setPen(QPen(QColor(128, 128, 128), 1))
        for t in range(k + 1):
            p.drawLine(int(left), int(top + t * cell), int(left + k * cell), int(top + t * cell))
            p.drawLine(int(left + t * cell), int(top), int(left + t * cell), int(top + k * cell))
        p.end()


def digit_qimage(pixels: np.ndarray, shape=None, levels=None) -> QImage:
    """Dark-on-light 8-bit QImage of an image's ink (a digit, a stroke, a photo).

    ``shape`` is ``(h, w)`` (grey) or ``(h, w, 3)`` (colour); it defaults to a square: grey
    ``(s, s)`` when the size is a square number, colour ``(s, s, 3)`` when it is three times
    one. ``levels`` ``(lo, hi)`` maps ink ``lo`` to white and ``hi`` to black (image datasets
    hold ink from 0 to 1, so a faint drawing looks faint); None scales each image to its own
    range."""
    a = np.asarray(pixels, dtype=np.float64)
    if shape is None:
        n = a.size
        side = int(round(np.sqrt(n)))
        grey = side * side == n
        if not grey:
            side = int(round(np.sqrt(n / 3)))
        shape = (side, side) if grey else (side, side, 3)
    shape = tuple(int(d) for d in shape)
    if len(shape) == 3 and shape[2] == 1:
        shape = shape[:2]
    a = a.reshape(shape)
    lo, hi = (float(a.min()), float(a.max())) if levels is None else map(float, levels)
    g = np.zeros(shape) if hi - lo < 1e-12 else (a - lo) / (hi - lo)
    buf = np.ascontiguousarray(255 - np.clip(g * 255, 0, 255).astype(np.uint8))
    if buf.ndim == 3:
        img = QImage(buf.data, shape[1], shape[0], 3 * shape[1], QImage.Format_RGB888)
    else:
        img = QImage(buf.data, shape[1], shape[0], shape[1], QImage.Format_Grayscale8)
    return img.copy()  # own the pixels


class ImageExampleWidget(QWidget):
    """The selected image (or the learner's drawing), upscaled with sharp pixels, plus a
    caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digit_image")
        self.image: QImage | None = None
        self.caption = ""
        self.shape: tuple[int, ...] | None = None
        self.setToolTip("The selected image. Click an image in the gallery of mistakes to "
                        "inspect it.")
        self.setMinimumSize(140, 160)

    def set_image(self, pixels, caption: str = "", shape=None, levels=None) -> None:
        """Show ``pixels`` (ink, flattened) of ``shape`` with ``levels`` (see
        :func:`digit_qimage`)."""
        self.image = None if pixels is None else digit_qimage(pixels, shape, levels)
        self.caption = caption
        if pixels is not None and self.image is not None:
            shape = (self.image.height(), self.image.width())
            if shape != self.shape:
                self.shape = shape
                self.setToolTip(f"The selected image ({shape[1]} x {shape[0]} pixels). Click "
                                "an image in the gallery of mistakes to inspect it.")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        with painter_for(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), self.palette().base())
        fm = QFontMetricsF(self.font())
        cap_h = fm.height() * 2.3
        side = max(min(self.width(), self.height() - cap_h) - 8, 8)
        r = QRectF((self.width() - side) / 2, 4, side, side)
        if self.image is not None:
            p.setRenderHint(QPainter.SmoothPixmapTransform, False)
            p.drawImage(r, self.image)
        p.setPen(QPen(QColor(128, 128, 128), 1))
        p.drawRect(r)
        p.setPen(self.palette().text().color())
        p.drawText(QRectF(0, r.bottom() + 2, self.width(), cap_h),
                   Qt.AlignHCenter | Qt.TextWordWrap, self.caption)
        p.end()


#: The earlier name of :class:`ImageExampleWidget` (digits were the first images).
DigitImageWidget = ImageExampleWidget


class ProbabilityBars(QWidget):
    """Horizontal bars of the output probabilities, predicted class in the positive colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probability_bars")
        self.names: list[str] = []
        self.probs: np.ndarray | None = None
        self.true_class: int | None = None
        self.setToolTip("The network's output for the selected image: one probability per class. "
                        "The outlined bar is the true class (a drawing has none).")
        self.setMinimumSize(160, 160)

    def set_values(self, names, probs, true_class=None) -> None:
        self.names = _palette.display_class_names(names)
        self.probs = None if probs is None else np.asarray(probs, dtype=np.float64)
        self.true_class = true_class
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        with painter_for(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), self.palette().base())
        k = len(self.names)
        if not k or self.probs is None or self.probs.shape != (k,):
            p.end()
            return
        fm = QFontMetricsF(self.font())
        pal = _palette.current_palette()
        row = max(self.height() / k, 4.0)
        sw = min(fm.height() * 0.6, row * 0.6)
        swatches = _palette.class_colours(k)
        name_w = max(fm.horizontalAdvance(n) for n in self.names) + 10 + sw
        val_w = fm.horizontalAdvance("100%") + 6
        bar_w = max(self.width() - name_w - val_w - 4, 10)
        best = int(np.argmax(self.probs))
        text = self.palette().text().color()
        for c in range(k):
            y = c * row
            v = float(self.probs[c])
            p.setPen(text)
            p.drawText(QRectF(0, y, name_w - 8 - sw, row), Qt.AlignRight | Qt.AlignVCenter,
                       self.names[c])
            p.fillRect(QRectF(name_w - 4 - sw, y + (row - sw) / 2, sw, sw), swatches[c])
            r = QRectF(name_w, y + row * 0.15, bar_w * min(max(v, 0.0), 1.0), row * 0.7)
            p.fillRect(r, pal.positive if c == best else pal.neutral.darker(125))
            if c == self.true_class:
                p.setPen(QPen(text, 2))
                p.drawRect(QRectF(name_w, y + row * 0.15, bar_w, row * 0.7))
            p.setPen(text)
            p.drawText(QRectF(name_w + bar_w + 4, y, val_w, row), Qt.AlignLeft | Qt.AlignVCenter,
                       f"{100 * v:.0f}%")
        p.end()


class MisclassifiedGallery(QListWidget):
    """Thumbnails of misclassified test images; clicking one emits ``image_clicked(row)``."""

    image_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("misclassified_gallery")
        self.setViewMode(QListWidget.IconMode)
        self.setIconSize(QSize(40, 40))
        self.setResizeMode(QListWidget.Adjust)
        self.setMovement(QListWidget.Static)
        self.setSpacing(2)
        self.setUniformItemSizes(True)
        self.setToolTip("Test images the network gets wrong right now; click one to inspect it.")
        self._rows: tuple = ()
        self.itemClicked.connect(lambda it: self.image_clicked.emit(int(it.data(Qt.UserRole))))

    def setIconSize(self, size: QSize) -> None:  # noqa: N802 - Qt override
        super().setIconSize(size)
        self._fit_grid()

    def _fit_grid(self) -> None:
        """Room for the longest predicted class name under each thumbnail ("triangle")."""
        fm = QFontMetricsF(self.font())
        icon = self.iconSize()
        text_w = max((fm.horizontalAdvance(n) for n in getattr(self, "_labels", ())),
                     default=0.0)
        self.setGridSize(QSize(int(max(icon.width(), min(text_w, 3 * icon.width())) + 8),
                               int(icon.height() + fm.height() + 8)))

    def set_images(self, rows, pixels, true, pred, names, limit: int = 60, shape=None,
                   levels=None) -> None:
        """Show misclassified test ``rows`` with pixels (of ``shape``, drawn with
        ``levels``, see :func:`digit_qimage`) and labels (rebuilds only on change)."""
        key = tuple(int(r) for r in rows[:limit]) + tuple(int(x) for x in pred[:limit])
        if key == self._rows:
            return
        self._rows = key
        self.clear()
        self._labels = [str(names[int(x)]) for x in pred[:limit]]
        self._fit_grid()
        for r, px, t, pr in list(zip(rows, pixels, true, pred))[:limit]:
            icon = QIcon(QPixmap.fromImage(digit_qimage(px, shape, levels).scaled(40, 40)))
            item = QListWidgetItem(icon, f"{names[pr]}")
            item.setData(Qt.UserRole, int(r))
            item.setToolTip(f"Test image {int(r)}: true {names[t]}, predicted {names[pr]}")
            self.addItem(item)


class ColourKey(QWidget):
    """A key: one mark and name per entry, flowing over as many lines as the width needs.

    Entries are ``(colour, name, mark)`` with mark ``"box"`` (a filled square, for classes),
    ``"line"`` or ``"dash"`` (a solid or dashed line, for curves); :attr:`names` lists the
    names.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[tuple[QColor, str, str]] = []
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.hide()

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.entries]

    def set_entries(self, entries) -> None:
        self.entries = [(QColor(c), str(n), m) for c, n, m in entries]
        self.setVisible(bool(self.entries))
        self.setToolTip("\n".join(self.names))
        self.updateGeometry()
        self.update()

    def _mark_width(self, fm: QFontMetricsF, mark: str) -> float:
        return fm.height() * (0.8 if mark == "box" else 1.8)

    def _items(self, width: float) -> list[QRectF]:
        """Where each entry goes in ``width`` pixels: entries flow left to right; one too
        long for a whole line wraps its name onto more lines, never cut off."""
        fm = QFontMetricsF(self.font())
        line_h = fm.height() * 1.3
        gap = fm.height() * 0.9
        out, x, y, row_h = [], 0.0, 0.0, line_h
        for _, name, mark in self.entries:
            mark_w = self._mark_width(fm, mark) + 6
            w = mark_w + fm.horizontalAdvance(name)
            if x > 0 and x + w > width:
                x, y, row_h = 0.0, y + row_h, line_h
            h = line_h
            if w > width:  # a whole line is not enough: wrap the name
                w = width
                text = fm.boundingRect(QRectF(0, 0, max(width - mark_w, 10), 1e4),
                                       Qt.TextWordWrap, name)
                h = max(line_h, text.height() + fm.height() * 0.3)
            out.append(QRectF(x, y, w, h))
            row_h = max(row_h, h)
            x += w + gap
        return out

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if not self.entries:
            return 0
        return int(max(r.bottom() for r in self._items(max(width, 1))) + 2)

    def sizeHint(self) -> QSize:  # noqa: N802
        fm = QFontMetricsF(self.font())
        width = sum(self._mark_width(fm, m) + 6 + fm.height() * 0.9 + fm.horizontalAdvance(n)
                    for _, n, m in self.entries)
        width = int(min(width, 400))
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, self.heightForWidth(max(self.width(), 40)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the wrapped height depends on the width

    def paintEvent(self, event) -> None:  # noqa: N802
        if not self.entries:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(self.font())
        line_h = fm.height() * 1.3
        text = self.palette().windowText().color()
        outline = text.darker(150) if text.lightness() > 128 else text.lighter(150)
        for (colour, name, mark), r in zip(self.entries, self._items(self.width())):
            mw = self._mark_width(fm, mark)
            mid = r.top() + line_h / 2
            if mark in ("dash", "line"):
                style = Qt.PenStyle.DashLine if mark == "dash" else Qt.PenStyle.SolidLine
                p.setPen(QPen(colour, 2.0, style))
                p.drawLine(int(r.left()), int(mid), int(r.left() + mw), int(mid))
            else:
                box = QRectF(r.left(), mid - mw / 2, mw, mw)
                p.fillRect(box, colour)
                p.setPen(QPen(outline, 1))
                p.drawRect(box)
            p.setPen(text)
            p.drawText(QRectF(r.left() + mw + 4, r.top() + (line_h - fm.height()) / 2,
                              max(r.width() - mw - 4, 10), r.height()),
                       Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap, name)
        p.end()


class ClassKey(ColourKey):
    """The colour key of a classification problem: each class's colour (as points,
    boundaries and the confusion matrix draw it) and name (following the palette, see
    :func:`neuroviz.app.palette.display_class_names`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("class_key")
        self._data_names: list[str] = []
        _palette.notifier.palette_changed.connect(self._on_palette_changed)

    def set_classes(self, names) -> None:
        self._data_names = [str(n) for n in names]
        shown = _palette.display_class_names(self._data_names)
        colours = _palette.class_colours(len(shown))
        self.set_entries([(c, n, "box") for c, n in zip(colours, shown)])
        self.setToolTip("The colour of each class in the plots")

    def _on_palette_changed(self, _name: str) -> None:
        self.set_classes(self._data_names)
