"""Training-control icons (play, pause, step, reset) drawn with QPainter paths.

Font glyphs such as U+23F8 (pause) are missing from many fonts (DejaVu draws an empty box),
and the style's standard media icons are dark grey, nearly invisible on a dark theme. These
icons are vector paths filled in the colour the caller passes (the theme's button text), so
they read on any background. Shared by the training toolbar and presenter mode.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap

__all__ = ["ICON_KINDS", "control_icon", "icon_path", "themed_icon"]

ICON_KINDS = ("play", "pause", "step", "reset")


def icon_path(kind: str, size: float) -> QPainterPath:
    """The filled outline of icon ``kind`` in a ``size`` x ``size`` square."""
    s = float(size)
    path = QPainterPath()
    if kind == "play":
        path.moveTo(0.24 * s, 0.14 * s)
        path.lineTo(0.84 * s, 0.50 * s)
        path.lineTo(0.24 * s, 0.86 * s)
        path.closeSubpath()
    elif kind == "pause":
        path.addRoundedRect(QRectF(0.22 * s, 0.16 * s, 0.20 * s, 0.68 * s), 0.03 * s, 0.03 * s)
        path.addRoundedRect(QRectF(0.58 * s, 0.16 * s, 0.20 * s, 0.68 * s), 0.03 * s, 0.03 * s)
    elif kind == "step":
        path.moveTo(0.16 * s, 0.18 * s)
        path.lineTo(0.66 * s, 0.50 * s)
        path.lineTo(0.16 * s, 0.82 * s)
        path.closeSubpath()
        path.addRect(QRectF(0.70 * s, 0.18 * s, 0.14 * s, 0.64 * s))
    elif kind == "reset":
        # A ring three quarters round, with an arrow head at its open end.
        centre = QPointF(0.5 * s, 0.53 * s)
        outer, inner = 0.34 * s, 0.22 * s
        start, span = 60.0, 280.0  # degrees, counter-clockwise from 3 o'clock
        ring = QPainterPath()
        ring.arcMoveTo(QRectF(centre.x() - outer, centre.y() - outer, 2 * outer, 2 * outer),
                       start)
        ring.arcTo(QRectF(centre.x() - outer, centre.y() - outer, 2 * outer, 2 * outer),
                   start, span)
        ring.arcTo(QRectF(centre.x() - inner, centre.y() - inner, 2 * inner, 2 * inner),
                   start + span, -span)
        ring.closeSubpath()
        path.addPath(ring)
        mid = (outer + inner) / 2
        a = math.radians(start)
        tip_base = QPointF(centre.x() + mid * math.cos(a), centre.y() - mid * math.sin(a))
        # The arrow points along the ring's direction at its start (clockwise there).
        tangent = QPointF(math.sin(a), math.cos(a))
        normal = QPointF(math.cos(a), -math.sin(a))
        half = 0.17 * s
        path.moveTo(tip_base + normal * half)
        path.lineTo(tip_base - normal * half)
        path.lineTo(tip_base + tangent * (0.2 * s))
        path.closeSubpath()
    else:
        raise ValueError(f"unknown icon {kind!r} (choose from {', '.join(ICON_KINDS)})")
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


def _pixmap(kind: str, colour: QColor, size: int, ratio: float) -> QPixmap:
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(Qt.PenStyle.NoPen))
    painter.setBrush(colour)
    painter.drawPath(icon_path(kind, size))
    painter.end()
    return pixmap


def control_icon(kind: str, colour: QColor | str, disabled: QColor | str | None = None,
                 size: int = 64) -> QIcon:
    """Icon ``kind`` (see :data:`ICON_KINDS`) filled with ``colour``; ``disabled`` is the
    colour of the disabled state (default: ``colour`` at 40 % opacity)."""
    colour = QColor(colour)
    if disabled is None:
        disabled = QColor(colour)
        disabled.setAlphaF(0.4)
    icon = QIcon()
    for ratio in (1.0, 2.0):
        icon.addPixmap(_pixmap(kind, colour, size, ratio), QIcon.Mode.Normal)
        icon.addPixmap(_pixmap(kind, colour, size, ratio), QIcon.Mode.Active)
        icon.addPixmap(_pixmap(kind, QColor(disabled), size, ratio), QIcon.Mode.Disabled)
    return icon


def themed_icon(kind: str, palette: QPalette) -> QIcon:
    """Icon ``kind`` in ``palette``'s button-text colour (readable on light and dark themes)."""
    return control_icon(
        kind, palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText),
        palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText))
