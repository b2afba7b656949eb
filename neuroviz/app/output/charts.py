"""Loss and accuracy (or R^2) against epoch, drawn live with pyqtgraph.

Plot items are created once; each update calls ``setData(..., skipFiniteCheck=True)``
on arrays that contain only finite numbers (non-finite points are never recorded).

When the loss explodes (a divergence can leave last finite losses of 1e+160), autoscaling
to the largest value would flatten the whole curve into the x-axis. Instead the loss axis
then stops just above the losses that did not explode (:func:`loss_clip_top`), the curve
runs off the top, and a note says "loss above N not shown" (also on a log axis).

Run ``python -m neuroviz.app.output.charts`` to see the widget with toy data.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.output.panels import ColourKey
from neuroviz.app.window.themes import CHART_COLOURS
from neuroviz.experiment import LossHistory

LOSS_FLOOR = 1e-12  # log scale needs positive values
R2_FLOOR = -1.0  # early R^2 can be hugely negative; the chart clips it at -1
#: A loss this many times above its starting level has exploded: the axis stops below it.
EXPLODE_FACTOR = 10.0
#: Clipped points are drawn this many times above the axis top: off the chart, yet small
#: enough for the painter (the curve still leaves through the top edge, almost vertically).
OFF_CHART = 1e3
NOTE_COLOURS = {"light": "#a64b00", "dark": "#ffb454"}  # warning text, readable on each theme


class CompactAxis(pg.AxisItem):
    """An axis whose large tick values read 20k, 1.5M (long epoch counts stay legible), with
    ticks never closer than their labels need (a narrow chart shows 0, 0.5, 1, not
    0.2, 0.4, ... run together)."""

    MIN_LABEL_GAP = 10  # pixels between neighbouring tick labels

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickSpacing(minVal, maxVal, size)
        span = maxVal - minVal
        if span <= 0 or size <= 0 or not levels:
            return levels
        pixels_per_unit = size / span
        widest = max(self._tick_metrics().horizontalAdvance(text) for text in
                     self.tickStrings([minVal, maxVal, (minVal + maxVal) / 2], 1.0,
                                      levels[-1][0]))
        need = widest + self.MIN_LABEL_GAP
        kept = [(spacing, offset) for spacing, offset in levels
                if spacing * pixels_per_unit >= need]
        if not kept:
            kept = [(nice_ceiling(need / pixels_per_unit), 0)]
        return kept

    def _tick_metrics(self):
        from PySide6.QtGui import QFontMetricsF

        return QFontMetricsF(self.style.get("tickFont") or self.font())

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        out = []
        for value in values:
            v = value * scale
            if abs(v) >= 1e6:
                out.append(f"{v / 1e6:g}M")
            elif abs(v) >= 1e4:
                out.append(f"{v / 1e3:g}k")
            else:
                out.append(f"{v:g}")
        return out


class TrainingCharts(QWidget):
    """Two plots side by side: loss (train, test) and accuracy or R^2 (train, test)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("charts")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)

        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        self.summary = QLabel("", self)
        self.summary.setObjectName("charts_summary")
        # Ignored width: new text never re-lays out the charts (which would repaint them).
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setWordWrap(True)  # a narrow panel shows two lines, never a cut word
        top.addWidget(self.summary, 1)
        self.log_scale = QCheckBox("Log scale", self)
        self.log_scale.setObjectName("log_scale")
        self.log_scale.setToolTip("Show the loss on a logarithmic axis, so late, small "
                                  "improvements stay visible")
        self.log_scale.toggled.connect(self._set_log)
        self.clip_note = QLabel("", self)
        self.clip_note.setObjectName("loss_clip_note")
        self.clip_note.hide()
        top.addWidget(self.clip_note)
        top.addWidget(self.log_scale)
        layout.addLayout(top)

        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setObjectName("charts_view")
        self.view.setMinimumHeight(150)
        layout.addWidget(self.view, 1)
        self.run_key = ColourKey(self)  # earlier runs' dashed curves, named (run comparison)
        self.run_key.setObjectName("runs_legend")
        layout.addWidget(self.run_key)
        self.loss_plot = self.view.addPlot(row=0, col=0,
                                           axisItems={"bottom": CompactAxis("bottom")})
        self.metric_plot = self.view.addPlot(row=0, col=1,
                                             axisItems={"bottom": CompactAxis("bottom")})
        for plot in (self.loss_plot, self.metric_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setLabel("bottom", "epoch")
            plot.setMouseEnabled(x=False, y=False)
            plot.showGrid(x=True, y=True)
        self.loss_plot.setLabel("left", "loss")
        self.metric_plot.setLabel("left", "accuracy")
        self.loss_legend = self.loss_plot.addLegend(offset=(-8, 8))
        self.metric_legend = self.metric_plot.addLegend(offset=(-8, -8))
        self.train_curve = self.loss_plot.plot(name="train")
        self.test_curve = self.loss_plot.plot(name="test")
        self.train_metric_curve = self.metric_plot.plot(name="train")
        self.test_metric_curve = self.metric_plot.plot(name="test")
        # The epoch of the lowest test loss: a dashed vertical line with a label.
        self.best_line = pg.InfiniteLine(angle=90, movable=False)
        self.best_line.setZValue(-5)
        self.best_label = pg.TextItem("", anchor=(0, 1))  # beside the lowest point
        for item in (self.best_line, self.best_label):
            item.hide()
            self.loss_plot.addItem(item, ignoreBounds=True)
        self.loss_plot.sigXRangeChanged.connect(lambda *_: self._place_best_label())
        self.best_epoch: float | None = None  # where the marker stands (None: hidden)
        self._best_loss: float | None = None
        self._metric_name = "accuracy"
        self._past: str | None = None  # summary of the timeline's earlier moment, if shown
        self._live_text = ""
        self.max_rate = 10.0  # live redraws per second (the curves need no more)
        self._last_update = 0.0
        self._ranges: dict[str, object] = {}
        self._loss_span = (LOSS_FLOOR, 1.0)  # lowest and highest loss the axis must show
        self.clip_top: float | None = None  # the loss axis's top when the loss exploded
        for plot in (self.loss_plot, self.metric_plot):
            plot.disableAutoRange()
        self._set_ranges(1.0, 1.0, 0.0)
        self.set_theme("light")

    # ------------------------------------------------------------------ public
    def set_theme(self, theme: str) -> None:
        self._theme = theme
        c = CHART_COLOURS[theme]
        self.view.setBackground(c.background)
        for plot in (self.loss_plot, self.metric_plot):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.enableAutoSIPrefix(False)
                axis.setPen(pg.mkPen(c.foreground))
                axis.setTextPen(pg.mkPen(c.foreground))
            plot.showGrid(x=True, y=True, alpha=c.grid_alpha)
        for legend in (self.loss_legend, self.metric_legend):
            legend.setLabelTextColor(c.foreground)
        self.clip_note.setStyleSheet(f"color: {NOTE_COLOURS[theme]}; font-weight: bold;")
        self.train_curve.setPen(pg.mkPen(c.train, width=2))
        self.test_curve.setPen(pg.mkPen(c.test, width=2))
        self.best_line.setPen(pg.mkPen(c.test, width=1, style=Qt.PenStyle.DashLine))
        self.best_label.setColor(c.foreground)
        self.train_metric_curve.setPen(pg.mkPen(c.train, width=2))
        self.test_metric_curve.setPen(pg.mkPen(c.test, width=2))

    def set_run_key(self, runs) -> None:
        """Name the earlier runs' dashed loss curves: ``runs`` is a list of (colour, label);
        an empty list hides the key."""
        entries = [(colour, label, "dash") for colour, label in runs]
        if entries:
            entries.insert(0, (CHART_COLOURS[self._theme].train, "now", "line"))
        self.run_key.set_entries(entries)

    def show_past(self, label: str | None, *, train_loss=None, test_loss=None,
                  metric_name: str = "accuracy", train_metric=None, test_metric=None) -> None:
        """The timeline shows an earlier moment (``label``, e.g. "Epoch 2"): the summary gives
        that moment's numbers and says so. None returns to the present."""
        if label is None:
            self._past = None
            text = self._live_text
        else:
            history = LossHistory()
            history.metric_name = metric_name
            history.append(0.0, _or_nan(train_loss), _or_nan(test_loss),
                           _or_nan(train_metric), _or_nan(test_metric))
            numbers = _summary(history) if len(history) else \
                f"train loss {format_number(train_loss)}"
            text = f"Showing {label} (timeline): {numbers}"
            self._past = text
        self.summary.setText(text)
        self.summary.setToolTip(text)

    @property
    def showing_past(self) -> bool:
        return self._past is not None

    def set_scale(self, factor: float) -> None:
        """Thicker lines for presenter mode."""
        for curve in (self.train_curve, self.test_curve, self.train_metric_curve,
                      self.test_metric_curve):
            pen = curve.opts["pen"]
            pen = pg.mkPen(pen)
            pen.setWidthF(2 * factor)
            curve.setPen(pen)

    def update_history(self, history: LossHistory, force: bool = True) -> bool:
        """Redraw from the whole history (a few thousand points at most).

        With ``force=False`` (live training) the charts redraw at most
        :attr:`max_rate` times a second; the window forces a redraw when training
        stops, so the final state is always shown. Returns True if it redrew.
        """
        now = time.perf_counter()
        if not force and now - self._last_update < 1.0 / self.max_rate:
            return False
        self._last_update = now
        if history.metric_name != self._metric_name:
            self._metric_name = history.metric_name
            label = "R\u00b2" if history.metric_name == "r2" else "accuracy"
            self.metric_plot.setLabel("left", label)
        n = len(history)
        if n == 0:
            for curve in (self.train_curve, self.test_curve, self.train_metric_curve,
                          self.test_metric_curve):
                curve.setData([], [])
            self._live_text = ""
            self.summary.setText(self._past or "")
            self._show_best(None, None)
            self._ranges = {}
            self._loss_span = (LOSS_FLOOR, 1.0)
            self._show_clip(None, 0.0)
            self._set_ranges(1.0, 1.0, 0.0)
            return True
        x = np.asarray(history.epochs, dtype=np.float64)
        clip = loss_clip_top(history.train_loss, history.test_loss)
        ceiling = None if clip is None else clip * OFF_CHART
        train = self._set(self.train_curve, x, history.train_loss, floor=LOSS_FLOOR,
                          ceiling=ceiling)
        test = self._set(self.test_curve, x, history.test_loss, floor=LOSS_FLOOR,
                         ceiling=ceiling)
        floor = R2_FLOOR if history.metric_name == "r2" else None
        m1 = self._set(self.train_metric_curve, x, history.train_metric, floor=floor)
        m2 = self._set(self.test_metric_curve, x, history.test_metric, floor=floor)
        loss_max = float(max(train.max(), test.max() if test.size else 0.0))
        loss_min = float(min(train.min(), test.min() if test.size else np.inf))
        self._show_clip(clip, _finite_max(history.train_loss, history.test_loss))
        if clip is not None:
            loss_max = clip
        self._loss_span = (loss_min, loss_max)
        metric_min = float(min(m1.min() if m1.size else 0.0, m2.min() if m2.size else 0.0))
        self._set_ranges(float(x[-1]), loss_max, metric_min)
        self._show_best(*lowest_test_loss(history))
        self._live_text = _summary(history)
        text = self._past or self._live_text
        self.summary.setText(text)
        self.summary.setToolTip(text)
        return True

    # ------------------------------------------------------------------ private
    def _set_ranges(self, x_max: float, loss_max: float, metric_min: float) -> None:
        """Axis ranges change in coarse steps only, so the axes are rarely re-laid out."""
        x_top = nice_ceiling(max(x_max, 1.0))
        if self._ranges.get("x") != x_top:
            self._ranges["x"] = x_top
            for plot in (self.loss_plot, self.metric_plot):
                plot.setXRange(0.0, x_top, padding=0.0)
        self._set_loss_range()
        if self._metric_name == "r2":
            low = max(R2_FLOOR, -nice_ceiling(-metric_min) if metric_min < 0 else 0.0)
        else:
            low = 0.0
        if self._ranges.get("metric") != low:
            self._ranges["metric"] = low
            self.metric_plot.setYRange(low, 1.0, padding=0.02)

    def _set_loss_range(self) -> None:
        """Linear axis: 0 to a round number above the loss (or the clip). Log axis: all of
        it automatically, or from the lowest loss to the clip when the loss exploded."""
        low, high = self._loss_span
        if not self.log_scale.isChecked():
            y_top = nice_ceiling(max(high, 1e-6))
            if self._ranges.get("loss") != y_top:
                self._ranges["loss"] = y_top
                self.loss_plot.setYRange(0.0, y_top, padding=0.02)
        elif self.clip_top is None:
            if self._ranges.get("loss") != -1.0:
                self._ranges["loss"] = -1.0  # marks "auto range"
                self.loss_plot.enableAutoRange(axis="y")
        else:
            top = float(np.log10(self.clip_top))
            bottom = float(np.floor(np.log10(max(min(low, self.clip_top), LOSS_FLOOR))))
            bottom = min(bottom, top - 1.0)
            if self._ranges.get("loss") != (bottom, top):
                self._ranges["loss"] = (bottom, top)
                self.loss_plot.disableAutoRange(axis="y")
                self.loss_plot.setYRange(bottom, top, padding=0.02)

    def _show_best(self, epoch: float | None, loss: float | None) -> None:
        """Put the marker at the epoch of the lowest test loss (hide it without one)."""
        if epoch is None:
            self.best_epoch = self._best_loss = None
            self.best_line.hide()
            self.best_label.hide()
            return
        if self.best_epoch != epoch or self._best_loss != loss:
            self.best_epoch, self._best_loss = epoch, loss
            self.best_line.setValue(epoch)
            self.best_label.setText(f" best: epoch {int(epoch)} ")
            self.best_label.setToolTip(f"The lowest test loss, {format_number(loss)}, "
                                       f"at epoch {int(epoch)}")
            self._place_best_label()
        if not self.best_line.isVisible():
            self.best_line.show()
            self.best_label.show()

    def _place_best_label(self) -> None:
        """The label sits just above the lowest point (log axis: in log units), on the side
        of the marker with more room, so it is never cut off at the chart's right edge."""
        if self.best_epoch is None:
            return
        x0, x1 = self.loss_plot.viewRange()[0]
        self.best_label.setAnchor((1, 1) if self.best_epoch > (x0 + x1) / 2 else (0, 1))
        y = max(self._best_loss, LOSS_FLOOR)
        if self.log_scale.isChecked():
            y = float(np.log10(y))
        self.best_label.setPos(self.best_epoch, y)

    def _show_clip(self, top: float | None, largest: float) -> None:
        """Show or hide the note that loss values above ``top`` are not drawn."""
        self.clip_top = top
        if top is None:
            if not self.clip_note.isHidden() or self.clip_note.text():
                self.clip_note.hide()
                self.clip_note.setText("")
            return
        text = f"\u26a0 loss above {format_axis_number(top)} not shown"
        if self.clip_note.text() != text:
            self.clip_note.setText(text)
        self.clip_note.setToolTip(
            f"The loss exploded, up to {format_number(largest)}. To keep the part where "
            f"the network was learning readable, the chart stops at {format_axis_number(top)}"
            " and larger values leave it through the top edge.")
        if self.clip_note.isHidden():
            self.clip_note.show()

    @staticmethod
    def _set(curve, x, y, floor=None, ceiling=None) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        keep = np.isfinite(y)
        if floor is not None:
            y = np.maximum(y, floor)
        if ceiling is not None:
            y = np.minimum(y, ceiling)
        if not keep.all():
            x, y = x[keep], y[keep]
        curve.setData(x, y, skipFiniteCheck=True)
        return y

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(x=False, y=on)
        self._ranges.pop("loss", None)
        self._place_best_label()
        if not on:
            self.loss_plot.disableAutoRange(axis="y")
        self._set_loss_range()


def loss_clip_top(train_loss, test_loss, factor: float = EXPLODE_FACTOR) -> float | None:
    """Where the loss axis should stop because the loss exploded, or None if it did not.

    The starting level is the largest loss (train or test) of the first three points. The
    loss has exploded when it rises above ``factor`` times that level; the axis then ends at
    a round number just above the largest loss that did not explode, so the parts of the
    curve where the network was learning (before, and after a recovery) fill the chart.
    """
    both = np.vstack([np.asarray(train_loss, dtype=np.float64),
                      np.asarray(test_loss, dtype=np.float64)])
    finite = np.isfinite(both)
    if both.shape[1] == 0 or not finite.any():
        return None
    peak = np.where(finite, both, -np.inf).max(axis=0)  # per point, NaN test ignored
    peak = peak[np.isfinite(peak)]
    start = max(float(peak[:3].max()), LOSS_FLOOR)
    exploded = peak > factor * start
    if not exploded.any():
        return None
    return nice_ceiling(max(float(peak[~exploded].max()), LOSS_FLOOR))


def lowest_test_loss(history: LossHistory) -> tuple[float | None, float | None]:
    """The epoch and value of the lowest test loss in ``history`` (the first, on ties), or
    ``(None, None)`` without a test loss."""
    test = np.asarray(history.test_loss, dtype=np.float64)
    finite = np.isfinite(test)
    if not finite.any():
        return None, None
    k = int(np.argmin(np.where(finite, test, np.inf)))
    return float(history.epochs[k]), float(test[k])
def _or_nan(value) -> float:
    return float("nan") if value is None else float(value)


def _finite_max(*arrays) -> float:
    values = np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays])
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else float("nan")


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= value (value > 0)."""
    if value <= 0 or not np.isfinite(value):
        return 1.0
    exponent = np.floor(np.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        top = m * 10.0 ** exponent
        if top >= value * (1 - 1e-12):
            return float(top)
    return float(10.0 ** (exponent + 1))


def format_axis_number(value: float) -> str:
    """A round axis value as people write it: 2, 0.5, 50, 2000, 1e+06."""
    return f"{value:g}" if 1e-4 <= abs(value) < 1e6 else f"{value:.0e}"


def format_number(value) -> str:
    """Short, readable numbers for losses: 0.0123, 4.56e+12, "infinite", "NaN"."""
    if value is None:
        return "\u2014"
    value = float(value)
    if np.isnan(value):
        return "NaN"
    if np.isinf(value):
        return "infinite"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-4):
        return f"{value:.3g}"
    return f"{value:.4f}"


def _summary(history: LossHistory) -> str:
    parts = [f"train loss {format_number(history.train_loss[-1])}"]
    if np.isfinite(history.test_loss[-1]):
        parts.append(f"test loss {format_number(history.test_loss[-1])}")
    name = "R\u00b2" if history.metric_name == "r2" else "accuracy"
    if np.isfinite(history.test_metric[-1]):
        value = history.test_metric[-1]
        parts.append(f"test {name} {value:.1%}" if name == "accuracy" else
                     f"test {name} {format_number(value)}")
    elif np.isfinite(history.train_metric[-1]):
        value = history.train_metric[-1]
        parts.append(f"train {name} {value:.1%}" if name == "accuracy" else
                     f"train {name} {format_number(value)}")
    return " \u00b7 ".join(parts)


def _demo() -> int:  # pragma: no cover - manual look
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    charts = TrainingCharts()
    history = LossHistory()
    for k in range(300):
        e = k / 10
        history.append(e, 0.7 * np.exp(-e / 8) + 0.02, 0.7 * np.exp(-e / 9) + 0.04,
                       1 - 0.5 * np.exp(-e / 5), 1 - 0.5 * np.exp(-e / 6))
    charts.update_history(history)
    charts.resize(700, 260)
    charts.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
