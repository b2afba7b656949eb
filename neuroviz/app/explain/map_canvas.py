"""The sliding-window view of explain mode: grids of numbers for convolution and pooling.

Draws a :class:`~neuroviz.engine.explain_maps.MapView` at a focus position: the input map
(with its zero padding hatched), the filter, the output map filling in, gradients; the
window at the focus position is outlined, the value being computed ringed, a pooling
window's maximum marked. Cells show their numbers when there is room (small maps), else
colour only (orange negative, blue positive, as everywhere in neuroviz). A click on a cell
emits :attr:`MapCanvas.cell_clicked` (the panel moves the focus there).

Run on its own with a toy convolution: ``python -m neuroviz.app.explain.map_canvas``.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from neuroviz.app.painting import painter_for
from neuroviz.app.palette import current_palette
from neuroviz.engine.explain_map_views import Grid, MapView

__all__ = ["MapCanvas"]

#: Largest cell (pixels at scale 1); numbers are written in cells at least NUMBER_CELL wide.
MAX_CELL = 46.0
NUMBER_CELL = 22.0
GAP = 14.0
WINDOW_COLOUR = QColor("#0072b2")
FOCUS_COLOUR = QColor("#111111")
MAX_COLOUR = QColor("#d00060")


def cell_text(value: float) -> str:
    """A number short enough for a cell: two significant digits, Unicode minus."""
    if not math.isfinite(value):
        return ""
    if value == 0.0:
        return "0"
    text = f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    if text in (".00", "-.00"):
        return "\u22480"  # ≈0: not exactly zero, too small for two decimals
    return text.replace("-", "\u2212")


class MapCanvas(QWidget):
    """Grids of one map micro-step at a focus position."""

    cell_clicked = Signal(int, int, int)  # grid, row, col

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explain_map")
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.view: MapView | None = None
        self.pos: tuple | None = None
        self.scale = 1.0
        self._grids: list[Grid] = []
        self._origins: list[QPointF] = []
        self._cell = 10.0
        self._title_h = 16.0
        #: The tallest the drawing may be (the panel sets it from the room it has); the
        #: widget takes the height its grids need at its width, up to this.
        self.max_height = 250.0

    # ------------------------------------------------------------------ public
    def set_view(self, view: MapView | None, pos: tuple | None = None) -> None:
        self.view = view
        self.pos = pos if pos is not None or view is None else view.start
        self._grids = [] if view is None else view.grids(self.pos)
        self.setVisible(view is not None)
        self._layout()
        self.update()

    def set_scale(self, factor: float) -> None:
        self.scale = float(factor)
        self._layout()
        self.update()

    def set_max_height(self, height: float) -> None:
        if abs(height - self.max_height) >= 1:
            self.max_height = float(height)
            self._layout()
            self.update()

    @property
    def cell_size(self) -> float:
        return self._cell

    def cell_rect(self, grid: int, row: int, col: int) -> QRectF:
        """Where cell (row, col) of grid ``grid`` is drawn (widget coordinates)."""
        o = self._origins[grid]
        s = self._cell
        return QRectF(o.x() + col * s, o.y() + self._title_h + row * s, s, s)

    def grid_rect(self, grid: int) -> QRectF:
        rows, cols = self._grids[grid].values.shape
        o = self._origins[grid]
        return QRectF(o.x(), o.y() + self._title_h, cols * self._cell, rows * self._cell)

    def cell_at(self, point: QPointF) -> tuple[int, int, int] | None:
        for g in range(len(self._grids)):
            rect = self.grid_rect(g)
            if rect.contains(point):
                return (g, int((point.y() - rect.top()) // self._cell),
                        int((point.x() - rect.left()) // self._cell))
        return None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, int(self.height()))

    # ------------------------------------------------------------------ layout
    def _columns(self) -> list[list[int]]:
        cols: dict[int, list[int]] = {}
        for n, g in enumerate(self._grids):
            cols.setdefault(g.column, []).append(n)
        return [cols[c] for c in sorted(cols)]

    def _layout(self) -> None:
        """Choose the cell size so every grid fits; a tall column splits into sub-columns."""
        self._origins = [QPointF(0, 0)] * len(self._grids)
        if not self._grids:
            return
        self._title_h = 15.0 * self.scale
        gap = GAP * self.scale
        W, H = max(self.width(), 50), max(self.max_height, 50)
        best = None
        columns = self._columns()
        # try splitting each column into k sub-columns (same k for all: simple and even)
        for k in range(1, max(len(c) for c in columns) + 1):
            plan = [[c[i::k] for i in range(min(k, len(c)))] for c in columns]
            width_cells = sum(max(self._grids[n].values.shape[1] for n in sub)
                              for col in plan for sub in col)
            n_sub = sum(len(col) for col in plan)
            heights = [sum(self._grids[n].values.shape[0] for n in sub) for col in plan
                       for sub in col]
            counts = [len(sub) for col in plan for sub in col]
            s_w = (W - gap * (n_sub + 1)) / max(width_cells, 1)
            s_h = min((H - 6 - n * (self._title_h + gap * 0.6)) / max(h, 1)
                      for h, n in zip(heights, counts))
            s = min(s_w, s_h, MAX_CELL * self.scale)
            if best is None or s > best[0] + 0.5:
                best = (s, plan)
        s, plan = best
        self._cell = max(3.0, math.floor(s))
        x = gap
        used_w = 0.0
        origins = {}
        for col in plan:
            for sub in col:
                y = 4.0
                width = max(self._grids[n].values.shape[1] for n in sub) * self._cell
                for n in sub:
                    origins[n] = QPointF(x, y)
                    y += self._title_h + self._grids[n].values.shape[0] * self._cell + gap * 0.6
                x += width + gap
                used_w = x
        # centre horizontally; take the height the grids need
        shift = max(0.0, (W - used_w) / 2)
        self._origins = [QPointF(origins[n].x() + shift, origins[n].y())
                         for n in range(len(self._grids))]
        needed = max(origins[n].y() + self._title_h + self._grids[n].values.shape[0]
                     * self._cell for n in range(len(self._grids))) + 6
        if abs(self.height() - needed) >= 1:
            self.setFixedHeight(int(math.ceil(needed)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._layout()

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        hit = self.cell_at(event.position())
        if hit is not None:
            self.cell_clicked.emit(*hit)
        super().mousePressEvent(event)

    # ------------------------------------------------------------------ drawing
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.view is None or not self._grids:
            return
        with painter_for(self) as p:
            p.setRenderHint(p.RenderHint.Antialiasing, True)
            p.fillRect(self.rect(), QColor("#ffffff"))
            marks = self.view.marks(self.pos)
            for n, grid in enumerate(self._grids):
                self._draw_grid(p, n, grid)
            self._draw_marks(p, marks)

    def _draw_grid(self, p, n: int, grid: Grid) -> None:
        pal = current_palette()
        vals = np.asarray(grid.values, dtype=np.float64)
        finite = vals[np.isfinite(vals)]
        vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
        s = self._cell
        rows, cols = vals.shape
        o = self._origins[n]
        title_font = QFont(self.font())
        title_font.setPointSizeF(8.5 * self.scale)
        p.setFont(title_font)
        p.setPen(QColor("#333333"))
        room = cols * s + GAP * self.scale * 0.8
        title = QFontMetricsF(title_font).elidedText(grid.title, Qt.TextElideMode.ElideRight,
                                                     room)
        p.drawText(QRectF(o.x(), o.y(), room, self._title_h),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        pt, pl, pb, pr = grid.pad
        number_font = QFont(self.font())
        number_font.setPixelSize(max(8, int(s * 0.36)))
        show_numbers = s >= NUMBER_CELL * min(self.scale, 1.4)
        for r in range(rows):
            for c in range(cols):
                rect = self.cell_rect(n, r, c)
                v = vals[r, c]
                padding = r < pt or c < pl or r >= rows - pb or c >= cols - pr
                if padding:
                    p.fillRect(rect, QBrush(QColor("#e4e4e4"), Qt.BrushStyle.BDiagPattern))
                elif math.isfinite(v):
                    p.fillRect(rect, pal.colour(v, vmax))
                else:
                    p.fillRect(rect, QColor("#f4f4f4"))
                p.setPen(QPen(QColor("#c8c8c8"), 1))
                p.drawRect(rect)
                if show_numbers and math.isfinite(v):
                    p.setFont(number_font)
                    p.setPen(QColor("#777777") if padding else pal.text_colour_on(v, vmax))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, cell_text(v))

    def _draw_marks(self, p, marks) -> None:
        s = self._cell
        by_grid: dict[int, list] = {}
        for m in marks:
            if m.grid < len(self._grids):
                by_grid.setdefault(m.grid, []).append(m)
        for g, ms in by_grid.items():
            window = [m for m in ms if m.style == "window"]
            if window:
                # the window: a tinted, thick outline around the cells it covers
                for m in window:
                    p.fillRect(self.cell_rect(g, m.row, m.col), QColor(0, 114, 178, 40))
                for rect in _boxes(window, lambda m, g=g: self.cell_rect(g, m.row, m.col)):
                    p.setPen(QPen(WINDOW_COLOUR, max(2.5, s * 0.1) * min(self.scale, 2)))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(rect)
            for m in ms:
                rect = self.cell_rect(g, m.row, m.col)
                if m.style == "focus":
                    p.setPen(QPen(FOCUS_COLOUR, max(2.5, s * 0.11) * min(self.scale, 2)))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(rect.adjusted(-1, -1, 1, 1))
                elif m.style == "max":
                    p.setPen(QPen(MAX_COLOUR, max(2.0, s * 0.09) * min(self.scale, 2)))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawEllipse(rect.adjusted(s * 0.08, s * 0.08, -s * 0.08, -s * 0.08))


def _boxes(marks, rect_of) -> list[QRectF]:
    """Bounding boxes of groups of cells (one per contiguous block, by 4-neighbourhood)."""
    cells = {(m.row, m.col): m for m in marks}
    seen: set = set()
    out = []
    for start in cells:
        if start in seen:
            continue
        stack, group = [start], []
        seen.add(start)
        while stack:
            r, c = stack.pop()
            group.append(cells[(r, c)])
            for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if nb in cells and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        rect = QRectF(rect_of(group[0]))
        for m in group[1:]:
            rect = rect.united(rect_of(m))
        out.append(rect)
    return out


def _demo() -> None:  # pragma: no cover - run by hand
    import sys

    from PySide6.QtWidgets import QApplication

    from neuroviz.engine import Network
    from neuroviz.engine.explain import explain

    app = QApplication.instance() or QApplication(sys.argv)
    net = Network.from_spec({"inputs": [6, 6, 1], "layers": [
        {"type": "conv2d", "filters": 2, "kernel": 3}, {"type": "flatten"},
        {"type": "dense", "units": 2, "activation": "softmax"}], "loss": "softmax_ce"}, seed=1)
    x = np.random.default_rng(0).normal(size=net.n_inputs)
    e = explain(net, x, [1.0, 0.0])
    step = next(s for s in e.steps if s.map_view is not None and s.kind == "conv_window")
    w = MapCanvas()
    w.set_scale(1.0)
    w.resize(420, 250)
    w.set_view(step.map_view, step.map_view.moved(step.map_view.start, 7))
    w.cell_clicked.connect(lambda g, r, c: w.set_view(w.view, w.view.pick(g, r, c) or w.pos))
    w.show()
    sys.exit(app.exec())


if __name__ == "__main__":  # pragma: no cover
    _demo()
