"""Attach issue 4's features to a playground window: ``install(window)``.

Everything goes through the window's public attributes and hooks (menus found by object
name, ``add_side_panel``, ``snapshot_drawn``, ``experiment_applied``, ``worker``, ``state``,
``network_view``, ``output_view``, ``charts``), so ``main_window.py`` needs no change beyond
calling :func:`install` once. After it, ``window.extras`` (:class:`Extras`) holds the parts:

* explain mode: Training › Explain One Example (E), a right-hand dock with the
  :class:`~neuroviz.app.explain.panel.ExplainPanel`; the example is the one selected on the
  output view (a point, a row, an image), else the first training example;
* gradient view: View › Gradient View (G) colours edges by dL/dw while training and shows
  the per-layer gradient-norm chart; also a check box "gradient_view" on the timeline dock;
* training timeline: a bottom dock with the epoch slider, Live and Resume;
* compare runs: earlier runs' loss curves stay on the loss chart (View › Clear Earlier Runs);
* presenter mode: View › Presenter Mode (F5; Escape leaves);
* export: File › Export (PNG or SVG of the network, the output plot, the charts or the whole
  window; copy to the clipboard; record training as an animated GIF).

``Extras.event_happened(str)`` carries the lesson events "explain_started",
"explain_forward_done", "explain_backward_reached", "explain_backward_done",
"explain_update_done" and "gradient_view_on" (the panel and gradient controller emit them
too, so a bridge that scans the window's children finds them either way).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.classroom import export
from neuroviz.app.classroom.presenter import PresenterMode
from neuroviz.app.explain.panel import ExplainPanel
from neuroviz.app.output.gradient_chart import GradientNormChart
from neuroviz.app.timeline.view import RunComparison, TimelineController

__all__ = ["Extras", "ExplainController", "GradientController", "install"]


def _menu(window, name: str) -> QMenu | None:
    return window.menuBar().findChild(QMenu, name)


def _action(window, menu: QMenu | None, name: str, text: str, shortcut, slot, tip: str,
            checkable: bool = False) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setCheckable(checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip)
    action.setStatusTip(tip)
    (action.toggled if checkable else action.triggered).connect(slot)
    if menu is not None:
        menu.addAction(action)
    window.addAction(action)  # shortcuts keep working with the menu bar hidden (presenter)
    return action


# ---------------------------------------------------------------------------- explain mode
class ExplainController(QObject):
    """Explain mode: pause, explain one example, drive the canvas, restore on leaving."""

    event_happened = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = ExplainPanel(window.network_view)
        self.panel.setObjectName("explain")
        self.panel.event_happened.connect(self.event_happened)
        self.panel.close_requested.connect(self.stop)
        self.panel.apply_requested.connect(self._apply)
        self.dock = window.add_side_panel(self.panel, "Explain", "explain_dock")
        self.dock.hide()
        self.active = False
        self.optimizer_state: dict | None = None  # the worker's state the explanation used
        self.compact = False  # presenter mode: the output column makes way for the panel
        self.presenting = lambda: False
        self._edge_mode = "weights"
        window.worker.running_changed.connect(self._on_running)
        window.experiment_applied.connect(self.stop)

    def example(self) -> tuple[str, int]:
        selected = getattr(self.window.output_view, "selected", None)
        return tuple(selected) if selected else ("train", 0)

    def start(self, split: str | None = None, row: int | None = None) -> bool:
        """Enter explain mode on an example (default: the one selected on the output view)."""
        from neuroviz.engine import Network
        from neuroviz.engine.explain import explain

        w = self.window
        ds = w.dataset
        snap = w.latest_snapshot
        if ds is None or snap is None:
            w.statusBar().showMessage("Explain mode needs a network and data: wait a moment", 4000)
            return False
        if split is None or row is None:
            split, row = self.example()
        X, Y = (ds.X_train, ds.Y_train) if split == "train" else (ds.X_test, ds.Y_test)
        if X is None or not 0 <= row < len(X):
            split, row = "train", 0
            X, Y = ds.X_train, ds.Y_train
        w.pause()
        # The trainer's own weights and optimizer state (velocity, Adam's moments, step
        # count), copied on the worker thread once the pause is applied, so the update
        # shows the real rule with the real numbers.
        state = w.worker.optimizer_state()
        net = Network.from_spec(w.state.spec)
        if state is not None:
            try:
                net.set_weights(state["weights"])
            except ValueError:
                state = None  # the worker has not caught up with a new network yet
        if state is not None:
            settings = {key: state[key] for key in (
                "optimizer", "lr", "momentum", "l1", "l2", "beta1", "beta2", "eps", "rho")}
            settings["state"] = state
        else:
            try:
                net.set_weights(snap.weights)
            except ValueError as exc:
                w.statusBar().showMessage(f"Explain mode is not possible now: {exc}", 5000)
                return False
            hp = w.state.hyperparameters
            settings = dict(optimizer=hp.optimizer, lr=hp.learning_rate, momentum=hp.momentum,
                            l1=hp.l1, l2=hp.l2)
        names_out = list(getattr(w.network_view, "output_names", []))
        explanation = explain(net, X[row], Y[row], **settings,
                              feature_names=list(ds.feature_names), output_names=names_out)
        self.optimizer_state = state
        if hasattr(w.output_view, "set_selected_example"):
            w.output_view.set_selected_example(split, row)
        if not self.active:
            self._edge_mode = w.network_view.edge_mode
            # room for the canvas: the data panel goes away while explaining
            self._data_dock_was_visible = w.data_dock.isVisible()
            w.data_dock.hide()
        self.active = True
        target = ", ".join(f"{v:.3g}" for v in Y[row])
        what = "training" if split == "train" else "test"
        optimizer, lr = settings["optimizer"], settings["lr"]
        if optimizer == "sgd":
            fresh = ""
        elif state is None:
            fresh = (f" The {optimizer} update is shown as a first step (fresh optimizer "
                     "state).")
        else:
            fresh = (f" The {optimizer} update uses the trainer's current state "
                     f"(step {state['t'] + 1}).")
        self.update_compact()
        self.dock.show()
        self.dock.raise_()
        self.panel.start(explanation, f"One {what} example (row {row + 1}), target {target}; "
                         f"{optimizer}, learning rate {lr:g}.{fresh}")
        return True

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self.panel.clear()
        self.dock.hide()
        self.update_compact()
        if getattr(self, "_data_dock_was_visible", False):
            self.window.data_dock.show()
        nv = self.window.network_view
        nv.highlight(None)
        nv.set_edge_mode(self._edge_mode)
        snap = self.window.latest_snapshot
        if snap is not None:
            nv.set_snapshot(snap)

    def update_compact(self) -> None:
        """In presenter mode, explain shows the network and the equations side by side (the
        output plot and charts step aside so everything fits 1280x720)."""
        compact = self.active and bool(self.presenting())
        if compact != self.compact:
            self.compact = compact
            self.window.right_splitter.setVisible(not compact)

    def _on_running(self, running: bool) -> None:
        if running and self.active:
            self.stop()  # training changes the weights: the explanation no longer applies

    def _apply(self, weights) -> None:
        self.window.worker.set_weights(weights)
        note = ""
        if self.window.state.hyperparameters.optimizer != "sgd":
            # set_weights starts the optimizer afresh: say so rather than pretend otherwise
            note = " (the optimizer's running averages start afresh from here)"
        self.window.statusBar().showMessage(
            f"Applied one training step on this example{note}", 6000)
        self.stop()


# ---------------------------------------------------------------------------- gradient view
class GradientController(QObject):
    """Edges coloured by gradient while training, and the per-layer gradient-norm chart."""

    event_happened = Signal(str)
    toggled = Signal(bool)

    def __init__(self, window, explain: ExplainController) -> None:
        super().__init__(window)
        self.window = window
        self.explain = explain
        self.on = False
        self.chart = GradientNormChart()
        self.dock = QDockWidget("Gradients", window)
        self.dock.setObjectName("gradient_dock")
        self.dock.setWidget(self.chart)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        window.snapshot_drawn.connect(self._on_snapshot)

    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on == self.on:
            return
        self.on = on
        w = self.window
        w.worker.set_gradients(on)
        if not self.explain.active:
            w.network_view.set_edge_mode("gradients" if on else "weights")
        else:
            self.explain._edge_mode = "gradients" if on else "weights"
        self.dock.setVisible(on)
        if on:
            self.event_happened.emit("gradient_view_on")
        self.toggled.emit(on)

    def _on_snapshot(self, snap) -> None:
        if self.on and snap.gradients is not None:
            self.chart.add_snapshot(snap, self.window.state.epoch_offset)


# ---------------------------------------------------------------------------- everything
class Extras(QObject):
    """The installed features (``window.extras``)."""

    event_happened = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("extras")
        self.window = window
        self.explain = ExplainController(window)
        self.gradients = GradientController(window, self.explain)
        self.timeline = TimelineController(window)
        self.runs = RunComparison(window)
        self.recorder = export.GifRecorder(self)
        self.recorder.setObjectName("gif_recorder")
        window.snapshot_drawn.connect(self.recorder.capture)
        self.explain.event_happened.connect(self.event_happened)
        self.gradients.event_happened.connect(self.event_happened)

        # bottom dock: the timeline and the gradient-view switch
        box = QWidget()
        box.setObjectName("timeline_box")
        self.gradient_box = QCheckBox("Gradient view")
        self.gradient_box.setObjectName("gradient_view")
        self.gradient_box.setToolTip("Colour and size the connections by their gradient "
                                     "dL/dw while training, and chart each layer's gradient "
                                     "size (G)")
        self.timeline.view.row.insertWidget(0, self.gradient_box)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.timeline.view)
        self.timeline_dock = QDockWidget("Timeline", window)
        self.timeline_dock.setObjectName("timeline_dock")
        self.timeline_dock.setWidget(box)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline_dock)

        self.presenter = PresenterMode(window, side_panels=[self.explain.panel,
                                                            self.gradients.chart])
        self.explain.presenting = lambda: self.presenter.active
        self.presenter.toggled.connect(lambda _on: self.explain.update_compact())
        self._build_menus()
        self.gradient_box.toggled.connect(self.action_gradient_view.setChecked)
        self.gradients.toggled.connect(self._sync_gradient_controls)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        w = self.window
        training = _menu(w, "menu_training")
        if training is not None:
            training.addSeparator()
        self.action_explain = _action(
            w, training, "action_explain", "&Explain One Example", "E", self._start_explain,
            "Step through the forward pass, backpropagation and the update for the selected "
            "example, with the real numbers")
        view = _menu(w, "menu_view") or getattr(w, "view_menu", None)
        if view is not None:
            view.addSeparator()
        self.action_gradient_view = _action(
            w, view, "action_gradient_view", "&Gradient View", "G", self.gradients.set_on,
            "Colour edges by their gradient while training; chart per-layer gradient norms",
            checkable=True)
        self.action_clear_runs = _action(
            w, view, "action_clear_runs", "Clear &Earlier Runs", None, self.runs.clear,
            "Remove earlier runs' loss curves from the chart")
        self.action_compare_runs = _action(
            w, view, "action_compare_runs", "&Keep Earlier Runs on the Chart", None,
            self._set_compare, "Keep each run's loss curve when you reset, to compare runs",
            checkable=True)
        self.action_compare_runs.setChecked(True)
        if view is not None:
            view.addAction(self.timeline_dock.toggleViewAction())
            view.addSeparator()
        self.action_presenter = _action(
            w, view, "action_presenter", "&Presenter Mode", "F5", self.presenter.toggle,
            "Full screen, large and high-contrast, for a projector (F5 or Escape to leave)")
        self.action_leave_presenter = _action(
            w, None, "action_leave_presenter", "Leave Presenter Mode", "Escape",
            self.presenter.exit, "Leave presenter mode")
        # Only while presenting: Escape must stay free for editors and dialogs otherwise.
        self.action_leave_presenter.setEnabled(False)
        self.presenter.toggled.connect(self.action_leave_presenter.setEnabled)

        file_menu = _menu(w, "menu_file")
        export_menu = QMenu("E&xport", w)
        export_menu.setObjectName("menu_export")
        if file_menu is not None:
            anchor = getattr(w, "action_export", None)
            before = None
            if anchor is not None:
                actions = file_menu.actions()
                if anchor in actions and actions.index(anchor) + 1 < len(actions):
                    before = actions[actions.index(anchor) + 1]
            if before is not None:
                file_menu.insertMenu(before, export_menu)
            else:
                file_menu.addMenu(export_menu)
        self.export_menu = export_menu
        for target, title in (("network", "Network View"), ("output", "Output Plot"),
                              ("charts", "Charts"), ("window", "Whole Window")):
            _action(w, export_menu, f"action_export_{target}", f"{title} as PNG or SVG\u2026",
                    None, lambda _=False, t=target: self.export_dialog(t),
                    f"Save a picture of the {title.lower()} (PNG or SVG)")
        export_menu.addSeparator()
        _action(w, export_menu, "action_copy_network", "Copy Network View to Clipboard",
                "Ctrl+Shift+C", lambda _=False: self.copy("network"),
                "Copy a picture of the network view")
        _action(w, export_menu, "action_copy_window", "Copy Window to Clipboard", None,
                lambda _=False: self.copy("window"), "Copy a picture of the whole window")
        export_menu.addSeparator()
        self.action_record = _action(
            w, export_menu, "action_record_gif", "Record Training as GIF\u2026", "Ctrl+Shift+R",
            self.toggle_recording, "Record the network, output and charts while training; "
            "choose again to stop and save an animated GIF")

    def _start_explain(self, *_args) -> None:
        self.explain.start()

    def _set_compare(self, on: bool) -> None:
        self.runs.enabled = bool(on)

    def _sync_gradient_controls(self, on: bool) -> None:
        for control in (self.gradient_box, self.action_gradient_view):
            control.blockSignals(True)
            control.setChecked(on)
            control.blockSignals(False)

    # ------------------------------------------------------------------ export
    def target(self, name: str) -> QWidget:
        w = self.window
        return {"window": w, "network": w.network_view, "output": w.output_view,
                "charts": w.charts, "content": w.centralWidget()}[name]

    def export(self, name: str, path) -> Path:
        """Save ``name`` ("network", "output", "charts", "window") as PNG or SVG by suffix."""
        path = Path(path)
        widget = self.target(name)
        if name == "output" and hasattr(widget, "flush"):
            widget.flush()
        if path.suffix.lower() == ".svg":
            return export.save_svg(widget, path, title=f"neuroviz {name}")
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        return export.save_png(widget, path)

    def export_dialog(self, name: str) -> None:
        w = self.window
        path, chosen = QFileDialog.getSaveFileName(
            w, "Export picture", str(Path.home() / f"neuroviz-{name}.png"),
            "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return
        if not path.lower().endswith((".png", ".svg")):
            path += ".svg" if "svg" in chosen.lower() else ".png"
        try:
            saved = self.export(name, path)
        except (OSError, ValueError) as exc:
            self._warn("Could not export", str(exc))
            return
        w.statusBar().showMessage(f"Saved {saved}", 5000)

    def copy(self, name: str) -> None:
        export.copy_to_clipboard(self.target(name))
        self.window.statusBar().showMessage("Picture copied to the clipboard", 3000)

    def toggle_recording(self, *_args) -> None:
        if self.recorder.is_recording:
            self.finish_recording()
        else:
            self.recorder.start(self.target("content"))
            self.action_record.setText("Stop Recording and Save GIF\u2026")
            self.window.statusBar().showMessage("Recording: press Play; choose File \u203a "
                                                "Export \u203a Stop Recording to save", 6000)

    def finish_recording(self, path=None) -> bool:
        """Stop recording and save a GIF (asks for a file when ``path`` is None)."""
        frames = self.recorder.stop()
        self.action_record.setText("Record Training as GIF\u2026")
        if not frames:
            return False
        w = self.window
        if path is None:
            path, _ = QFileDialog.getSaveFileName(w, "Save animation",
                                                  str(Path.home() / "neuroviz-training.gif"),
                                                  "Animated GIF (*.gif)")
            if not path:
                return False
            if not path.lower().endswith(".gif"):
                path += ".gif"
        try:
            ok = export.encode_with_progress(w, frames, path, self.recorder.delay_ms)
        except (OSError, ValueError) as exc:
            self._warn("Could not save the animation", str(exc))
            return False
        if ok:
            w.statusBar().showMessage(f"Saved {path} ({len(frames)} frames)", 5000)
        return ok

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("export_message")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def install(window) -> None:
    """Attach explain mode, gradient view, timeline, run comparison, presenter mode and
    export to ``window`` (a MainWindow); idempotent. The parts are in ``window.extras``."""
    if getattr(window, "extras", None) is not None:
        return
    window.extras = Extras(window)
