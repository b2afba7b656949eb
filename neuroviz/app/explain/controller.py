"""Explain mode: pause, explain one example with the real numbers, restore on leaving.

The :class:`ExplainController` docks an :class:`~neuroviz.app.explain.panel.ExplainPanel` on
the right; the example is the one selected on the output view (a point, a row, an image),
else the first training example. ``event_happened(str)`` carries the lesson events
"explain_started", "explain_forward_done", "explain_backward_reached",
"explain_backward_done" and "explain_update_done". The window's composition root
(:mod:`neuroviz.app.window.compose`) creates it and adds Training › Explain One Example (E).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from neuroviz.app.explain.panel import ExplainPanel

__all__ = ["ExplainController"]


def target_text(y, names) -> str:
    """The target as a learner reads it: the class for a one-hot target of several classes
    ("6"), else the values ("0.25, 1")."""
    y = [float(v) for v in y]
    if len(y) > 1 and sorted(y) == [0.0] * (len(y) - 1) + [1.0]:
        c = y.index(1.0)
        return f"class {names[c]}" if c < len(names) and names[c] else f"class {c}"
    return ", ".join(f"{v:.3g}" for v in y)


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
        # A new network, dataset or experiment: the explanation's numbers and the neurons it
        # highlights belong to the old one.
        window.state.subscribe(self._on_state_changed)
        window.output_view.example_selected.connect(self._follow_example)

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
        # Dropout drops what a training step at this step count would: the masks of
        # forward_all(training=True, seed=step), shown on the canvas and in the equations.
        explanation = explain(net, X[row], Y[row], **settings,
                              feature_names=list(ds.feature_names), output_names=names_out,
                              dropout_seed=int(snap.step))
        self.optimizer_state = state
        w.select_example(split, row)  # the canvas and the output panel show this example
        if not self.active:
            self._edge_mode = w.network_view.edge_mode
            # room for the canvas: the data panel goes away while explaining
            self._data_dock_was_visible = w.data_dock.isVisible()
            w.data_dock.hide()
        self.active = True
        target = target_text(Y[row], names_out)
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
        w.show_side_panel(self.dock)
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

    def _on_state_changed(self, change: str) -> None:
        if change in ("network", "dataset", "experiment"):
            self.stop()

    def _follow_example(self, split: str, row: int) -> None:
        """The learner clicked another example while explaining: explain that one, at the
        same step (forward, backward or update), so the two can be compared."""
        if not self.active:
            return
        index, pos = self.panel.index, self.panel.focus_position
        if self.start(split, row):
            self.panel.go_to(index)
            if pos is not None:  # the same window position on a convolution or pool
                self.panel.set_focus_position(pos)

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
