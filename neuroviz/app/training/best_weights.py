"""Early stopping and the best weights: keep the weights of the lowest test loss.

The engine's trainer always remembers the weights it had when the test loss was lowest. This
feature lets the learner use them:

* **Early stopping** (Training › Early Stopping: Keep the Best Weights, and a switch on the
  timeline dock): training stops once the test loss has not improved for *patience* epochs
  (Training › Early Stopping Patience…) and the best weights are put back. Both settings are
  hyperparameters of the experiment, so they are saved with it.
* **Restore Best Weights** (Training menu, Ctrl+B, and a button beside the switch): put back
  the weights of the lowest test loss now; the status bar says which epoch they are from.
  Edit › Undo brings back the weights from before, like any weight edit.

``event_happened`` reports ``"restored_best"`` (whenever the best weights were put back) and
``"stopped_early"`` (early stopping stopped training) to lessons.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QCheckBox, QInputDialog, QPushButton

from neuroviz.app.training.worker import BestRestored
from neuroviz.experiment import MAX_PATIENCE

__all__ = ["BestWeightsController", "RestoreBestCommand"]


class RestoreBestCommand(QUndoCommand):
    """The best weights were put back; undo returns to the weights from before.

    The worker has already restored them when the command is pushed, so the first ``redo``
    does nothing; later ones set the restored weights again.
    """

    def __init__(self, worker, info: BestRestored) -> None:
        super().__init__(f"Restore best weights (epoch {info.epoch})")
        self._worker = worker
        self._info = info
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self._worker.set_weights(self._info.new_weights)

    def undo(self) -> None:
        self._worker.set_weights(self._info.old_weights)


class BestWeightsController(QObject):
    """Early stopping on/off and its patience, Restore Best Weights, and what they report."""

    event_happened = Signal(str)
    restored = Signal(object)  # BestRestored, after the window has taken it in

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.last: BestRestored | None = None  # the latest restore
        self.last_message = ""  # what the window said about it
        self.action_early_stopping = self._action(
            "action_early_stopping", "Early Stopping: &Keep the Best Weights", None,
            "Stop training once the test loss has not improved for a while, and put back the "
            "weights of its lowest point", checkable=True)
        self.action_early_stopping.toggled.connect(self.set_early_stopping)
        self.action_patience = self._action(
            "action_patience", "Early Stopping &Patience\u2026", None,
            "How many epochs without a lower test loss before early stopping stops training")
        self.action_patience.triggered.connect(self._ask_patience)
        self.action_restore_best = self._action(
            "action_restore_best", "Restore &Best Weights", "Ctrl+B",
            "Put back the weights from the epoch with the lowest test loss (undo with Ctrl+Z)")
        self.action_restore_best.triggered.connect(self.restore_best)

        self.switch = QCheckBox("Early stopping")
        self.switch.setObjectName("early_stopping")
        self.switch.toggled.connect(self.set_early_stopping)
        self.button = QPushButton("Restore best")
        self.button.setObjectName("restore_best")
        self.button.setToolTip(self.action_restore_best.toolTip())
        self.button.clicked.connect(self.restore_best)

        window.worker.best_restored.connect(self._on_restored)
        window.state.subscribe(self._on_state_changed)
        self._sync()

    def _action(self, name: str, text: str, shortcut, tip: str,
                checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setCheckable(checkable)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.window.addAction(action)
        return action

    def add_to_menu(self, menu) -> None:
        menu.addSeparator()
        for action in (self.action_early_stopping, self.action_patience,
                       self.action_restore_best):
            menu.addAction(action)

    # -- commands ----------------------------------------------------------------------
    @property
    def early_stopping(self) -> bool:
        return self.window.state.hyperparameters.early_stopping

    @property
    def patience(self) -> int:
        return self.window.state.hyperparameters.patience

    def set_early_stopping(self, on: bool) -> None:
        """Switch early stopping on or off (a hyperparameter: saved with the experiment)."""
        self.window.set_hyperparameters(early_stopping=bool(on))

    def set_patience(self, epochs: int) -> bool:
        """Epochs without a lower test loss before early stopping stops training."""
        return self.window.set_hyperparameters(patience=int(epochs))

    def restore_best(self) -> None:
        """Put back the weights of the lowest test loss (training pauses)."""
        self.window.worker.restore_best()

    def _ask_patience(self) -> None:
        value, ok = QInputDialog.getInt(
            self.window, "Early stopping patience",
            "Stop after this many epochs without a lower test loss:", self.patience, 1,
            MAX_PATIENCE)
        if ok:
            self.set_patience(value)

    # -- what happened -------------------------------------------------------------------
    def _on_restored(self, info: BestRestored) -> None:
        window = self.window
        self.last = info
        window.undo_stack.push(RestoreBestCommand(window.worker, info))
        text = info.message(window.state.epoch_offset)
        self.last_message = text
        window.statusBar().showMessage(text, 10000)
        window.message_banner.show_message(text)
        if info.stopped_at is not None:
            self.event_happened.emit("stopped_early")
        self.event_happened.emit("restored_best")
        self.restored.emit(info)

    def _on_state_changed(self, change: str) -> None:
        if change in ("hyperparameters", "experiment"):
            self._sync()

    def _sync(self) -> None:
        on = self.early_stopping
        for control in (self.action_early_stopping, self.switch):
            if control.isChecked() != on:
                control.blockSignals(True)
                control.setChecked(on)
                control.blockSignals(False)
        tip = (f"Early stopping: stop once the test loss has not improved for {self.patience} "
               "epochs, and put back the weights of its lowest point")
        self.switch.setToolTip(tip)
        self.action_patience.setText(f"Early Stopping &Patience ({self.patience} epochs)\u2026")
