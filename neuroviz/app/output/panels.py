"""Secondary panels of the output view: confusion matrix, digit image, probability bars,
misclassified gallery. Plain Qt (QPainter), no per-frame object creation."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QSizePolicy, QWidget

from neuroviz.app import palette as _palette
from neuroviz.app.painting import painter_for

__all__ = ["ConfusionMatrixWidget", "DigitImageWidget", "MisclassifiedGallery",
           "ProbabilityBars", "confusion_counts", "digit_qimage"]


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
        self.counts: np.ndarray | None = None
        self.scale = 1.0
        self.setToolTip("Confusion matrix on the test set: rows are the true classes, columns "
                        "the predicted ones; the diagonal counts correct answers.")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_classes(self, names) -> None:
        self.class_names = [str(n) for n in names]
        self.counts = None
        self.updateGeometry()
        self.update()

    def set_counts(self, counts: np.ndarray | None) -> None:
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        self.update()

    def _geometry(self):
        fm = QFontMetricsF(self.font())
        k = max(len(self.class_names), 1)
        label_w = min(max((fm.horizontalAdvance(n) for n in self.class_names), default=10),
                      110 * self.scale) + 8 * self.scale
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
                      110 * self.scale) + fm.height() + 14 * self.scale
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
        for i, n in enumerate(names):
            p.drawText(QRectF(h + 2, top + i * cell, label_w - 4, cell),
                       Qt.AlignRight | Qt.AlignVCenter,
                       QFontMetricsF(small).elidedText(n, Qt.ElideRight, label_w - 4))
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


def digit_qimage(pixels: np.ndarray, shape=(8, 8)) -> QImage:
    """Dark-on-light 8-bit QImage of a digit (values scaled to their own range)."""
    a = np.asarray(pixels, dtype=np.float64).reshape(shape)
    lo, hi = float(a.min()), float(a.max())
    g = np.zeros(shape) if hi - lo < 1e-12 else (a - lo) / (hi - lo)
    buf = np.ascontiguousarray(255 - np.clip(g * 255, 0, 255).astype(np.uint8))
    img = QImage(buf.data, shape[1], shape[0], shape[1], QImage.Format_Grayscale8)
    return img.copy()  # own the pixels


class DigitImageWidget(QWidget):
    """The selected digit, upscaled with sharp pixels, plus a caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digit_image")
        self.image: QImage | None = None
        self.caption = ""
        self.setToolTip("The selected image (8 x 8 pixels). Click an image in the gallery of "
                        "mistakes to inspect it.")
        self.setMinimumSize(140, 160)

    def set_image(self, pixels, caption: str = "") -> None:
        self.image = None if pixels is None else digit_qimage(pixels)
        self.caption = caption
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


class ProbabilityBars(QWidget):
    """Horizontal bars of the output probabilities, predicted class in the positive colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probability_bars")
        self.names: list[str] = []
        self.probs: np.ndarray | None = None
        self.true_class: int | None = None
        self.setToolTip("The network's output for the selected image: one probability per class. "
                        "The outlined bar is the true class.")
        self.setMinimumSize(160, 160)

    def set_values(self, names, probs, true_class=None) -> None:
        self.names = [str(n) for n in names]
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
        name_w = max(fm.horizontalAdvance(n) for n in self.names) + 6
        val_w = fm.horizontalAdvance("100%") + 6
        bar_w = max(self.width() - name_w - val_w - 4, 10)
        best = int(np.argmax(self.probs))
        text = self.palette().text().color()
        for c in range(k):
            y = c * row
            v = float(self.probs[c])
            p.setPen(text)
            p.drawText(QRectF(0, y, name_w - 4, row), Qt.AlignRight | Qt.AlignVCenter,
                       self.names[c])
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

    def set_images(self, rows, pixels, true, pred, names, limit: int = 60) -> None:
        """Show misclassified test ``rows`` with pixels and labels (rebuilds only on change)."""
        key = tuple(int(r) for r in rows[:limit]) + tuple(int(x) for x in pred[:limit])
        if key == self._rows:
            return
        self._rows = key
        self.clear()
        for r, px, t, pr in list(zip(rows, pixels, true, pred))[:limit]:
            icon = QIcon(QPixmap.fromImage(digit_qimage(px).scaled(40, 40)))
            item = QListWidgetItem(icon, f"{names[pr]}")
            item.setData(Qt.UserRole, int(r))
            item.setToolTip(f"Test image {int(r)}: true {names[t]}, predicted {names[pr]}")
            self.addItem(item)
