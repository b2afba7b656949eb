"""Training timeline scrubber.

:class:`TimelineView` is a slider over the epochs the :class:`~neuroviz.timeline.Timeline`
kept. Dragging it back pauses training and shows that moment: its weights on the network
view, its decision boundary (or prediction surface) on the output plot, its losses, and a
marker on the loss chart. "Resume from here" continues training from those exact weights
(the later part of the loss history is dropped); "Live" returns to the present.

:class:`TimelineController` records a :class:`MainWindow`'s snapshots and drives the view
through the window's public signals and methods (``snapshot_drawn``, ``state``, ``worker``,
``apply_experiment``...); the window's composition root creates it. Run comparison lives in
:mod:`neuroviz.app.timeline.runs`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from neuroviz.app.constants import GRID_N
from neuroviz.timeline import Timeline, TimelineEntry

__all__ = ["TimelineController", "TimelineView"]


def _fmt_loss(v) -> str:
    if v is None or not np.isfinite(v):
        return "\u2014"
    return f"{v:.4g}"


class TimelineView(QWidget):
    """A slider over the kept epochs, a readout, and Live / Resume buttons."""

    scrubbed = Signal(object)  # TimelineEntry (not the latest)
    live_requested = Signal()
    resume_requested = Signal(object)  # TimelineEntry

    def __init__(self, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.timeline = timeline
        self._entries: list[TimelineEntry] = []
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("timeline_slider")
        self.slider.setToolTip("Drag back to see an earlier epoch: its weights, boundary and "
                               "loss (training pauses)")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.readout = QLabel("No epochs recorded yet", self)
        self.readout.setObjectName("timeline_readout")
        self.readout.setMinimumWidth(10)
        self.live_button = QPushButton("Live", self)
        self.live_button.setObjectName("timeline_live")
        self.live_button.setToolTip("Back to the present")
        self.live_button.clicked.connect(self.go_live)
        self.resume_button = QPushButton("Resume from here", self)
        self.resume_button.setObjectName("timeline_resume")
        self.resume_button.setToolTip("Continue training from the weights of this epoch; the "
                                      "later history is dropped")
        self.resume_button.clicked.connect(self._on_resume)
        row = self.row = QHBoxLayout()
        row.addWidget(self.readout, 1)
        row.addWidget(self.live_button)
        row.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.slider)
        layout.addLayout(row)
        self.refresh()

    @property
    def is_live(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    @property
    def selected(self) -> TimelineEntry | None:
        if not self._entries:
            return None
        return self._entries[min(self.slider.value(), len(self._entries) - 1)]

    def refresh(self) -> None:
        """Follow the timeline (new epochs); stays on the selected epoch when scrubbed back."""
        live = self.is_live
        selected = self.selected
        self._entries = self.timeline.entries
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self._entries) - 1))
        if live or selected is None:
            self.slider.setValue(self.slider.maximum())
        else:
            epochs = [e.epoch for e in self._entries]
            self.slider.setValue(epochs.index(selected.epoch) if selected.epoch in epochs
                                 else self.slider.maximum())
        self.slider.blockSignals(False)
        self._update_readout()

    def select_epoch(self, epoch: int) -> None:
        """Move the slider to the kept epoch nearest ``epoch`` (emits like a drag)."""
        if not self._entries:
            return
        entry = self.timeline.entry_at(epoch)
        index = [e.epoch for e in self._entries].index(entry.epoch)
        if index == self.slider.value():
            self._on_slider(index)
        else:
            self.slider.setValue(index)

    def go_live(self) -> None:
        self.slider.setValue(self.slider.maximum())
        self._update_readout()
        self.live_requested.emit()

    def _on_slider(self, _value: int) -> None:
        self._update_readout()
        if self.is_live:
            self.live_requested.emit()
        elif self.selected is not None:
            self.scrubbed.emit(self.selected)

    def _on_resume(self) -> None:
        if self.selected is not None:
            self.resume_requested.emit(self.selected)

    def _update_readout(self) -> None:
        e = self.selected
        self.live_button.setEnabled(e is not None and not self.is_live)
        self.resume_button.setEnabled(e is not None and not self.is_live)
        if e is None:
            self.readout.setText("No epochs recorded yet")
            return
        where = "now" if self.is_live else "back in time"
        text = (f"{e.label} ({where})   train loss {_fmt_loss(e.train_loss)}   "
                f"test loss {_fmt_loss(e.test_loss)}")
        self.readout.setText(text)
        self.readout.setToolTip(f"{len(self._entries)} epochs kept (every "
                                f"{self.timeline.stride}, plus the latest); "
                                f"{self.timeline.nbytes / 1e6:.1f} MB")


class TimelineController:
    """Records the window's snapshots into a Timeline and shows scrubbed epochs."""

    def __init__(self, window, timeline: Timeline | None = None) -> None:
        self.window = window
        self.timeline = timeline or Timeline()
        self.view = TimelineView(self.timeline)
        self.scrubbed_entry: TimelineEntry | None = None
        self._last_abs_epoch = -1
        self._marker = pg.InfiniteLine(angle=90, movable=False,
                                       pen=pg.mkPen("#d55e00", width=2, style=Qt.DashLine))
        self._marker.setVisible(False)
        window.charts.loss_plot.addItem(self._marker, ignoreBounds=True)
        self._grid_cache: tuple | None = None
        window.snapshot_drawn.connect(self._on_snapshot)
        window.experiment_applied.connect(self._on_experiment_applied)
        window.worker.running_changed.connect(self._on_running_changed)
        for signal in (window.toolbar.reset_clicked, window.action_reset.triggered,
                       window.action_new_seed.triggered):
            signal.connect(self.clear)
        self.view.scrubbed.connect(self.show_entry)
        self.view.live_requested.connect(self.go_live)
        self.view.resume_requested.connect(self.resume)
        self._resuming = False
        if window.latest_snapshot is not None:
            self._on_snapshot(window.latest_snapshot)

    # ------------------------------------------------------------------ recording
    def _on_snapshot(self, snap) -> None:
        if self.scrubbed_entry is not None:
            self._draw_entry(self.scrubbed_entry)  # keep showing the past moment
        abs_epoch = self.window.state.epoch_offset + int(snap.epoch)
        if abs_epoch < self._last_abs_epoch and not self._resuming:
            self.clear()
        self._resuming = False
        self._last_abs_epoch = abs_epoch
        if self.timeline.record_snapshot(snap, self.window.state.epoch_offset):
            self.view.refresh()

    def _on_experiment_applied(self) -> None:
        if not self._resuming:
            self.clear()

    def _on_running_changed(self, running: bool) -> None:
        if running and self.scrubbed_entry is not None:
            # Training continues from the present: leave the past view.
            self.view.go_live()

    def clear(self, *_args) -> None:
        self.timeline.clear()
        self._last_abs_epoch = -1
        self._leave_past()
        self.view.refresh()

    # ------------------------------------------------------------------ scrubbing
    def show_entry(self, entry: TimelineEntry) -> None:
        """Show an earlier epoch (pauses training)."""
        win = self.window
        if win.is_running:
            win.pause()
        self.scrubbed_entry = entry
        self._draw_entry(entry)
        self._marker.setPos(entry.position)
        self._marker.setVisible(True)
        win.statusBar().showMessage(f"Showing {entry.label.lower()} \u2014 press Live to return, "
                                    "or Resume to train from here", 5000)

    def _draw_entry(self, entry: TimelineEntry) -> None:
        win = self.window
        base = win.latest_snapshot
        from neuroviz.timeline import _shapes

        if base is None or _shapes(base.weights) != _shapes(entry.weights):
            return
        metrics = {}
        if entry.metric_name == base.metric_name:  # the entry's own accuracy or R^2
            metrics = {"train_metric": entry.train_metric, "test_metric": entry.test_metric}
        if metrics.get("train_metric") is None:
            metrics = {"train_metric": float("nan"), "test_metric": None}
        snap = dataclasses.replace(
            base, weights=entry.weights, gradients=None, grid=self._grid_for(entry),
            epoch=entry.epoch - win.state.epoch_offset, step=entry.step,
            epoch_progress=entry.position - win.state.epoch_offset, train_loss=entry.train_loss,
            test_loss=entry.test_loss, diverged=False, message=None, **metrics)
        win.network_view.set_snapshot(snap)
        win.output_view.set_snapshot(snap)
        self._say_past(entry, snap)

    def _say_past(self, entry: TimelineEntry, snap) -> None:
        """Every view says it shows an earlier moment: the epoch counter, the output panel's
        title and the charts' summary."""
        win = self.window
        win.toolbar.show_past(f"Epoch {entry.epoch:,}" if entry.at_boundary
                              else f"Epoch {entry.position:,.2f}")
        win.output_view.set_past_label(f"{entry.label} (timeline)")
        win.show_training_status(snap, past=True)
        win.charts.show_past(entry.label, train_loss=entry.train_loss,
                             test_loss=entry.test_loss, metric_name=snap.metric_name,
                             train_metric=snap.train_metric, test_metric=snap.test_metric)

    def _grid_for(self, entry: TimelineEntry):
        """Every neuron's activation over the plane for 2-D data (None otherwise)."""
        win = self.window
        ds = win.dataset
        if ds is None or ds.kind != "2d":
            return None
        from neuroviz.engine import Network

        key = (id(ds), GRID_N)
        if self._grid_cache is None or self._grid_cache[0] != key:
            lo, hi = ds.extent
            xs = np.linspace(lo, hi, GRID_N)
            gx, gy = np.meshgrid(xs, xs)
            self._grid_cache = (key, ds.transform(np.column_stack([gx.ravel(), gy.ravel()])))
        points = self._grid_cache[1]
        net = Network.from_spec(win.state.spec)
        try:
            net.set_weights(entry.weights)
        except ValueError:
            return None
        with np.errstate(all="ignore"):
            layers = net.forward_all(points)
        return tuple(np.ascontiguousarray(a.T.reshape(a.shape[1], GRID_N, GRID_N),
                                          dtype=np.float32) for _, a in layers)

    def go_live(self) -> None:
        self._leave_past()
        snap = self.window.latest_snapshot
        if snap is not None:
            self.window.network_view.set_snapshot(snap)
            self.window.output_view.set_snapshot(snap)

    def _leave_past(self) -> None:
        self.scrubbed_entry = None
        self._marker.setVisible(False)
        win = self.window
        win.toolbar.show_past(None)
        win.output_view.set_past_label(None)
        win.charts.show_past(None)
        if win.latest_snapshot is not None:
            win.show_training_status(win.latest_snapshot)

    def resume(self, entry: TimelineEntry) -> bool:
        """Continue training from ``entry``'s exact weights; later history is dropped and training
        runs on at once.

        An epoch of a network that has changed since (a layer or neuron added or removed)
        cannot be resumed with the current network: that is said in the status bar and
        nothing changes. Returns whether training was resumed.
        """
        from neuroviz.engine import Network
        from neuroviz.experiment import ExperimentError

        win = self.window
        exp = win.current_experiment(with_weights=False)
        try:
            Network.from_spec(exp.spec, seed=0).set_weights(entry.weights)
        except (ValueError, TypeError, IndexError):
            win.statusBar().showMessage(
                f"Cannot resume from {entry.label.lower()}: the network has changed since "
                "(its weights do not fit the current layers). Press Live to go on training.",
                8000)
            return False
        exp.weights = entry.copy_weights()
        exp.epoch = entry.epoch
        h = exp.history
        keep = [i for i, e in enumerate(h.epochs) if e <= entry.epoch + 1e-9]
        for column in (h.epochs, h.train_loss, h.test_loss, h.train_metric, h.test_metric):
            column[:] = [column[i] for i in keep]
        self._resuming = True
        try:
            win.apply_experiment(exp)  # validates first: on an error nothing has changed
        except ExperimentError as exc:
            self._resuming = False
            win.statusBar().showMessage(f"Cannot resume from {entry.label.lower()}: {exc}",
                                        8000)
            return False
        self.timeline.truncate_after(entry.epoch)
        self._last_abs_epoch = entry.epoch
        self._leave_past()
        self.view.refresh()
        self.view.go_live()
        where = entry.label.lower()
        if not entry.at_boundary:  # a new run starts a fresh pass over the data
            where += f", counted as epoch {entry.epoch:,}"
        win.play()
        win.statusBar().showMessage(f"Resumed training from {where}", 5000)
        return True


# ---------------------------------------------------------------------------- compare runs
