"""Presenter mode (F5): the playground for a projector, readable from the back of a classroom.

Entering it: full screen; text, lines and nodes scaled by a chosen factor; the high-contrast
palette; advanced controls (data panel, toolbar with its hyperparameters, menu and status bars)
hidden; a bar of large controls instead (play/pause, step, reset, the epoch and the loss, the
size factor, exit). Leaving it (F5 again, Escape or the Exit button) restores everything as
it was.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from neuroviz.app import palette as palettes
from neuroviz.app.icons import themed_icon
from neuroviz.app.output.charts import format_number

__all__ = ["PresenterBar", "PresenterMode", "SCALES"]

SCALES = (1.25, 1.5, 1.75, 2.0, 2.5)
DEFAULT_SCALE = 1.25
PRESENTER_PALETTE = "high_contrast"
#: From this size factor on, the confusion matrix (or predicted-vs-actual plot) under the
#: output plot steps aside in presenter mode: at 1280x720 the boundary plot needs the height.
COMPACT_OUTPUT_SCALE = 1.5
#: Share of the output column's height that the output plot gets while presenting.
PRESENTER_OUTPUT_SHARE = 0.72

# Play, pause, step and reset carry drawn icons (font glyphs are missing from many fonts);
# on a narrow bar they show the icon alone.
_FULL_TEXTS = {"play": "Play", "pause": "Pause", "step": "Step", "reset": "Reset",
               "exit": "Exit \u2715"}
_SHORT_TEXTS = {"play": "", "pause": "", "step": "", "reset": "", "exit": "\u2715"}


class PresenterBar(QWidget):
    """Large play / step / reset controls with the epoch and loss, for presenter mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenter_bar")
        self.running = False
        self.short = False  # symbol-only buttons (a narrow screen at a large size)
        self.controls = QWidget(self)
        self.readout = QWidget(self)
        self.play_button = self._button("presenter_play", _FULL_TEXTS["play"],
                                        "Play or pause (Space)")
        self.step_button = self._button("presenter_step", _FULL_TEXTS["step"],
                                        "Train one epoch (Right arrow)")
        self.reset_button = self._button("presenter_reset", _FULL_TEXTS["reset"],
                                         "Start again from the same weights (R)")
        self.epoch_label = QLabel("Epoch 0", self.readout)
        self.epoch_label.setObjectName("presenter_epoch")
        self.loss_label = QLabel("", self.readout)
        self.loss_label.setObjectName("presenter_loss")
        self.loss_label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self.scale_combo = QComboBox(self.controls)
        self.scale_combo.setObjectName("presenter_scale")
        self.scale_combo.setToolTip("How much bigger everything is drawn")
        for s in SCALES:
            self.scale_combo.addItem(f"Size {s:g}\u00d7", s)
        self.exit_button = self._button("presenter_exit", _FULL_TEXTS["exit"],
                                        "Leave presenter mode (F5 or Escape)")
        # Two groups: the controls, and the readout (epoch, losses). They sit in one row when
        # it fits, else the readout gets a row of its own: the losses are never cut.
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        for w in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.scale_combo)
        row.addWidget(self.exit_button)
        readout = QHBoxLayout(self.readout)
        readout.setContentsMargins(0, 0, 0, 0)
        readout.setSpacing(24)
        readout.addWidget(self.epoch_label)
        readout.addWidget(self.loss_label, 1)
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(8, 4, 8, 4)
        self.box.setSpacing(24)
        self.box.addWidget(self.controls)
        self.box.addWidget(self.readout, 1)

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        b = QPushButton(text, self.controls)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return b

    def set_scale(self, factor: float) -> None:
        font = QFont(self.font())
        font.setPointSizeF(12.0 * factor)
        font.setBold(True)
        for w in self.findChildren(QWidget):
            w.setFont(font)
        height = max(40, int(34 * factor))
        icon = QFontMetrics(font).height()  # drawn icons as large as the text beside them
        for b in (self.play_button, self.step_button, self.reset_button, self.exit_button):
            b.setMinimumHeight(height)
            b.setIconSize(QSize(icon, icon))
        self.scale_combo.setMinimumHeight(height)
        self._arrange()

    def set_running(self, running: bool) -> None:
        self.running = bool(running)
        self._set_texts()

    def set_readout(self, epoch: str, losses: str) -> None:
        resized = len(epoch) != len(self.epoch_label.text()) or \
            len(losses) != len(self.loss_label.text())
        self.epoch_label.setText(epoch)
        self.loss_label.setText(losses)
        if resized:  # only a longer or shorter text can change the arrangement
            self._arrange()

    def _set_texts(self) -> None:
        texts = _SHORT_TEXTS if self.short else _FULL_TEXTS
        self.play_button.setText(texts["pause" if self.running else "play"])
        self.step_button.setText(texts["step"])
        self.reset_button.setText(texts["reset"])
        self.exit_button.setText(texts["exit"])
        self._update_icons()
        for b in (self.play_button, self.step_button, self.reset_button, self.exit_button):
            fm = b.fontMetrics()
            icon = b.iconSize().width() if not b.icon().isNull() else 0
            b.setMinimumWidth(max(fm.horizontalAdvance(b.text()) + icon + 2 * fm.height(),
                                  b.minimumHeight()))

    def _update_icons(self) -> None:
        """Drawn icons in the theme's colours."""
        pal = self.palette()
        self.play_button.setIcon(themed_icon("pause" if self.running else "play", pal))
        self.step_button.setIcon(themed_icon("step", pal))
        self.reset_button.setIcon(themed_icon("reset", pal))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._update_icons()
        super().changeEvent(event)

    def _needed(self, widget: QWidget) -> int:
        return widget.layout().minimumSize().width() if widget.layout() else \
            widget.minimumSizeHint().width()

    def _arrange(self) -> None:
        """One row if the controls and the readout fit side by side, else two rows; buttons
        show only their symbols when even the controls alone do not fit."""
        width = self.width() if self.isVisible() else (self.window().width() or self.width())
        width -= 16
        self.short = False
        self._set_texts()
        if self._needed(self.controls) > width:
            self.short = True
            self._set_texts()
        one_row = self._needed(self.controls) + 24 + self._needed(self.readout) <= width
        direction = (QBoxLayout.Direction.LeftToRight if one_row
                     else QBoxLayout.Direction.TopToBottom)
        if self.box.direction() != direction:
            self.box.setDirection(direction)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange()


class PresenterMode(QObject):
    """Switches a MainWindow in and out of presenter mode."""

    toggled = Signal(bool)

    def __init__(self, window: QMainWindow, side_panels=()) -> None:
        super().__init__(window)
        self.window = window
        self.side_panels = list(side_panels)  # widgets with set_scale (explain panel, charts)
        self.active = False
        self.scale = DEFAULT_SCALE
        self._saved: dict = {}
        self.bar = PresenterBar()
        self.toolbar = QToolBar("Presenter", window)
        self.toolbar.setObjectName("presenter_toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.bar)
        self.toolbar.setVisible(False)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.bar.play_button.clicked.connect(window.toggle_play)
        self.bar.step_button.clicked.connect(window.step_epoch)
        self.bar.reset_button.clicked.connect(window.reset)
        self.bar.exit_button.clicked.connect(self.exit)
        self.bar.scale_combo.currentIndexChanged.connect(self._on_scale_combo)
        window.worker.running_changed.connect(self._on_running)
        window.snapshot_drawn.connect(self._on_snapshot)
        self._select_scale(self.scale)
        window.installEventFilter(self)

    # ------------------------------------------------------------------ public
    def toggle(self) -> None:
        self.exit() if self.active else self.enter()

    def enter(self, full_screen: bool = True, scale: float | None = None) -> None:
        if self.active:
            return
        w = self.window
        if scale is not None:
            self.scale = float(scale)
            self._select_scale(self.scale)
        docks = [d for d in w.findChildren(QDockWidget) if not d.isHidden()]
        self._saved = {
            "palette": palettes.current_palette().name,
            "geometry": w.saveGeometry(),
            "state": w.saveState(),
            "was_full_screen": w.isFullScreen(),
            "was_maximized": w.isMaximized(),
            "menu": w.menuBar().isVisible(),
            "status": w.statusBar().isVisible(),
            "docks": docks,
            "toolbars": [t for t in w.findChildren(QToolBar) if t.isVisible()
                         and t is not self.toolbar],
        }
        self.active = True
        # advanced controls away: the data panel, the hyperparameter toolbar, menus, status
        for dock in docks:
            if dock.objectName() != "explain_dock":
                dock.hide()
        for toolbar in self._saved["toolbars"]:
            toolbar.hide()
        w.menuBar().hide()
        w.statusBar().hide()
        self.toolbar.show()
        if PRESENTER_PALETTE in palettes.PALETTES:
            palettes.set_palette(PRESENTER_PALETTE)
        self._saved["splitters"] = (w.main_splitter.sizes(), w.right_splitter.sizes())
        self._apply_scale(self.scale)
        self._on_running(w.is_running)
        if w.latest_snapshot is not None:
            self._on_snapshot(w.latest_snapshot)  # the readout from the first moment
        if full_screen:
            w.showFullScreen()
        self.fit_layout()
        self.toggled.emit(True)

    def exit(self) -> None:
        if not self.active:
            return
        w = self.window
        saved = self._saved
        self.active = False
        self._apply_scale(1.0)
        self.toolbar.hide()
        self._compact_views(False)
        main_sizes, right_sizes = saved["splitters"]
        w.main_splitter.setSizes(main_sizes)
        w.right_splitter.setSizes(right_sizes)
        w.menuBar().setVisible(saved["menu"])
        w.statusBar().setVisible(saved["status"])
        for toolbar in saved["toolbars"]:
            toolbar.show()
        for dock in saved["docks"]:
            dock.show()
        if saved["palette"] in palettes.PALETTES:
            palettes.set_palette(saved["palette"])
        if w.isFullScreen() and not saved["was_full_screen"]:
            w.showMaximized() if saved["was_maximized"] else w.showNormal()
        w.restoreGeometry(saved["geometry"])
        self.toggled.emit(False)

    def set_scale(self, factor: float) -> None:
        self.scale = float(factor)
        self._select_scale(self.scale)
        if self.active:
            self._apply_scale(self.scale)
            self.fit_layout()

    def fit_layout(self) -> None:
        """Give the network canvas the width it needs (up to 68 %), the output plot height."""
        if not self.active:
            return
        w = self.window
        total = sum(w.main_splitter.sizes()) or w.width()
        canvas = w.network_view.canvas
        need = canvas.minimumWidth() + 24
        left = int(min(max(need, 0.5 * total), 0.68 * total))
        w.main_splitter.setSizes([left, max(1, total - left)])
        w.fit_output_column(PRESENTER_OUTPUT_SHARE)
        self._fit_network()

    def _fit_network(self) -> None:
        """Draw the network at the chosen size, or as large as fits its column without
        horizontal scrolling (a deep network at 2x cannot fit 1280 pixels), never below 1x."""
        nv = self.window.network_view
        if nv.scale != self.scale:
            nv.set_scale(self.scale)
        scroll = getattr(nv, "scroll", None)
        if scroll is None:
            return
        for _ in range(6):
            avail = scroll.width() - 2 * scroll.frameWidth()
            if scroll.verticalScrollBar().isVisible():
                avail -= scroll.verticalScrollBar().width()
            # what the network needs at this size (zoom aside: the canvas fits its view)
            natural = getattr(nv.canvas, "natural_size", None)
            need = natural()[0] if natural is not None else nv.canvas.minimumWidth()
            if need <= avail or nv.scale <= 1.0 or avail <= 0:
                break
            nv.set_scale(max(1.0, nv.scale * 0.97 * avail / need))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.Resize and self.active:
            QTimer.singleShot(0, self.fit_layout)
        return False

    # ------------------------------------------------------------------ private
    def _compact_views(self, on: bool) -> None:
        """Make the views fit 1280x720 at large sizes: long labels wrap, the edge-mode
        caption goes (the edge colours show it), and from COMPACT_OUTPUT_SCALE the output's
        secondary panel steps aside. ``on=False`` restores everything as it was."""
        w = self.window
        ov = w.output_view
        parts = [(getattr(w.network_view, "mode_label", None), True),
                 (getattr(ov, "toggles", None), True),  # show-test / discretise: advanced
                 # the bar shows the losses large; the output title the accuracy
                 (getattr(w.charts, "summary", None), True)]
        compact = on and self.scale >= COMPACT_OUTPUT_SCALE
        # from the compact sizes the class key steps aside too (the output neurons are named)
        parts.append((getattr(ov, "class_key", None), compact))
        ov.force_details(False if compact else None)
        if hasattr(ov, "set_axis_titles_shown"):
            ov.set_axis_titles_shown(not compact)
        hidden = self._saved.setdefault("compact_hidden", {})
        for widget, hide in parts:
            if widget is None:
                continue
            if on and hide and widget not in hidden:
                hidden[widget] = widget.isHidden()
                widget.hide()
            elif (not on or not hide) and widget in hidden:
                widget.setHidden(hidden.pop(widget))
        title = getattr(ov, "secondary_title", None)
        if title is not None:
            if on and "title_wrap" not in self._saved:
                self._saved["title_wrap"] = title.wordWrap()
                title.setWordWrap(True)
            elif not on and "title_wrap" in self._saved:
                title.setWordWrap(self._saved.pop("title_wrap"))

    def _apply_scale(self, factor: float) -> None:
        w = self.window
        self._compact_views(self.active and factor != 1.0)
        w.network_view.set_scale(factor)
        w.output_view.set_scale(factor)
        w.charts.set_scale(factor)
        self._scale_charts(factor)
        for panel in self.side_panels:
            if hasattr(panel, "set_scale"):
                panel.set_scale(factor)
        self.bar.set_scale(factor)

    def _scale_charts(self, factor: float) -> None:
        charts = self.window.charts
        font = QFont(charts.font())
        font.setPointSizeF(9.0 * factor)
        for plot in (charts.loss_plot, charts.metric_plot):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setStyle(tickFont=font)
                axis.label.setFont(font)
        big = QFont(charts.font())
        big.setPointSizeF(10.0 * factor)
        charts.summary.setFont(big)
        charts.log_scale.setVisible(factor == 1.0)  # an advanced control

    def _select_scale(self, factor: float) -> None:
        combo = self.bar.scale_combo
        index = min(range(len(SCALES)), key=lambda i: abs(SCALES[i] - factor))
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def _on_scale_combo(self, index: int) -> None:
        self.set_scale(SCALES[index])

    def _on_running(self, running: bool) -> None:
        self.bar.set_running(running)

    def _on_snapshot(self, snap) -> None:
        if not self.active:
            return
        w = self.window
        parts = [f"train loss {format_number(snap.train_loss)}"]
        if snap.test_loss is not None:
            parts.append(f"test loss {format_number(snap.test_loss)}")
        self.bar.set_readout(f"Epoch {w.state.epoch_offset + snap.epoch:,}", "   ".join(parts))
