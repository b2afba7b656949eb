"""The training toolbar: reset, play/pause, step, speed, epoch counter and hyperparameters.

Control IDs: ``reset``, ``play_pause``, ``step``, ``new_seed``, ``speed``, ``epoch_counter``,
``learning_rate``, ``optimizer``, ``regularization``, ``regularization_rate``,
``problem_type``. The toolbar only shows and reports; the window decides.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QToolButton, QWidget

from neuroviz.app.icons import themed_icon
from neuroviz.experiment import Hyperparameters

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
OPTIMIZER_TITLES = {
    "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "rmsprop": "RMSprop",
    "adam": "Adam",
}
REGULARIZATION_TITLES = {"none": "None", "l1": "L1", "l2": "L2"}
# Training speed: (title, optimizer steps per second or None for as fast as possible).
SPEEDS = (("Slowest", 5.0), ("Slow", 30.0), ("Medium", 300.0), ("Fast", 3000.0),
          ("Maximum", None))
PROBLEM_TYPES = {"classification": "Classification", "regression": "Regression"}


class TrainingToolbar(QToolBar):
    reset_clicked = Signal()
    play_toggled = Signal(bool)  # True: play
    step_clicked = Signal()
    new_seed_clicked = Signal()
    speed_changed = Signal(object)  # steps per second or None
    hyperparameters_edited = Signal(dict)  # field -> value
    problem_type_changed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("main_toolbar")
        self.setMovable(False)
        self.setIconSize(QSize(28, 28))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.widget_actions = {}
        self._running = False
        self._past: str | None = None  # the timeline's label while it shows an earlier epoch
        self._epoch = 0

        self.reset_button = self._button(
            "reset", None, "Reset",
            "Reset the network: start again from the same initial weights (R)")
        self.reset_button.clicked.connect(self.reset_clicked)
        self.play_button = self._button(
            "play_pause", None, "Play",
            "Start training (Space)")
        self.play_button.setIconSize(QSize(36, 36))
        self.play_button.clicked.connect(lambda: self.play_toggled.emit(not self._running))
        self.step_button = self._button(
            "step", None, "Step", "Train for exactly one epoch, then stop (Right arrow)")
        self.step_button.clicked.connect(self.step_clicked)
        self.new_seed_button = self._button(
            "new_seed", None, "New seed", "Start again from new random initial weights")
        self.new_seed_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_seed_button.clicked.connect(self.new_seed_clicked)

        self.speed = self._combo(
            "speed", "Speed", [title for title, _ in SPEEDS],
            "How fast to train: slow speeds let you watch every step")
        # 'Fast' by default: quick, yet slow enough to watch the boundary form.
        self.speed.setCurrentIndex(len(SPEEDS) - 2)
        self.speed.currentIndexChanged.connect(lambda i: self.speed_changed.emit(SPEEDS[i][1]))

        self.epoch_label = QLabel("Epoch 0", self)
        self.epoch_label.setTextFormat(Qt.TextFormat.PlainText)
        self.epoch_label.setObjectName("epoch_counter")
        self.epoch_label.setToolTip("Completed passes over the training data")
        font = QFont(self.epoch_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.epoch_label.setFont(font)
        self.epoch_label.setMinimumWidth(self.epoch_label.fontMetrics().horizontalAdvance(
            "Epoch 000,000") + 12)
        self.epoch_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._add("epoch_counter", self.epoch_label)
        self.addSeparator()

        self.learning_rate = self._combo(
            "learning_rate", "Learning rate", [f"{v:g}" for v in LEARNING_RATES],
            "Learning rate: how big a step each update takes downhill on the loss. Too "
            "small learns slowly; too large overshoots and can diverge.",
            values=list(LEARNING_RATES))
        self.learning_rate.currentIndexChanged.connect(
            lambda _i: self.hyperparameters_edited.emit(
                {"learning_rate": float(self.learning_rate.currentData())}))
        self.optimizer = self._combo(
            "optimizer", "Optimizer", list(OPTIMIZER_TITLES.values()),
            "The update rule: plain gradient descent (SGD) or a variant with momentum or "
            "adaptive step sizes")
        self.optimizer.currentIndexChanged.connect(
            lambda i: self.hyperparameters_edited.emit(
                {"optimizer": list(OPTIMIZER_TITLES)[i]}))
        self.regularization = self._combo(
            "regularization", "Regularisation", list(REGULARIZATION_TITLES.values()),
            "Penalise large weights to fight overfitting: L1 pushes weights to exactly "
            "zero, L2 shrinks them all")
        self.regularization.currentIndexChanged.connect(
            lambda i: self.hyperparameters_edited.emit(
                {"regularization": list(REGULARIZATION_TITLES)[i]}))
        self.regularization_rate = self._combo(
            "regularization_rate", "Rate", [f"{v:g}" for v in REGULARIZATION_RATES],
            "How strongly large weights are penalised", values=list(REGULARIZATION_RATES))
        self.regularization_rate.currentIndexChanged.connect(
            lambda _i: self.hyperparameters_edited.emit(
                {"regularization_rate": float(self.regularization_rate.currentData())}))
        self.problem_type = self._combo(
            "problem_type", "Problem", list(PROBLEM_TYPES.values()),
            "Classification predicts a class; regression predicts a number")
        self.problem_type.currentIndexChanged.connect(
            lambda i: self.problem_type_changed.emit(list(PROBLEM_TYPES)[i]))
        self._update_icons()

    # ------------------------------------------------------------------ public
    def set_running(self, running: bool) -> None:
        self._running = running
        self.play_button.setIcon(self._icons["pause" if running else "play"])
        self.play_button.setText("Pause" if running else "Play")
        self.play_button.setAccessibleName("Pause" if running else "Play")
        self.play_button.setToolTip("Pause training (Space)" if running
                                    else "Start training (Space)")

    def set_epoch(self, epoch: int) -> None:
        """The present epoch (ignored while the timeline shows an earlier one)."""
        self._epoch = int(epoch)
        if self._past is None:
            self.epoch_label.setText(f"Epoch {epoch:,}")

    def show_past(self, label: str | None) -> None:
        """Show the timeline's earlier moment (e.g. "Epoch 2") instead of the present, marked
        as the past; None returns to the present epoch."""
        self._past = label
        if label is None:
            self.epoch_label.setText(f"Epoch {self._epoch:,}")
            self.epoch_label.setToolTip("Completed passes over the training data")
            self.epoch_label.setStyleSheet("")
        else:
            self.epoch_label.setText(f"{label} (past)")
            self.epoch_label.setToolTip(
                f"The views show {label.lower()} from the timeline, not the present "
                f"(epoch {self._epoch:,}); press Live to return")
            self.epoch_label.setStyleSheet("color: palette(link);")

    @property
    def showing_past(self) -> bool:
        return self._past is not None

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Redraw the icons in the new theme's colours when the palette changes."""
        if event.type() == QEvent.Type.PaletteChange:
            self._update_icons()
        super().changeEvent(event)

    def set_hyperparameters(self, hp: Hyperparameters) -> None:
        """Show ``hp`` without emitting."""
        self._select(self.learning_rate, LEARNING_RATES, hp.learning_rate)
        self._select(self.regularization_rate, REGULARIZATION_RATES, hp.regularization_rate)
        self._set_index(self.optimizer, list(OPTIMIZER_TITLES).index(hp.optimizer)
                        if hp.optimizer in OPTIMIZER_TITLES else 0)
        self._set_index(self.regularization, list(REGULARIZATION_TITLES).index(
            hp.regularization))

    def set_problem_type(self, task: str) -> None:
        self._set_index(self.problem_type, list(PROBLEM_TYPES).index(task))

    # ------------------------------------------------------------------ private
    def _update_icons(self) -> None:
        pal = self.palette()
        self._icons = {kind: themed_icon(kind, pal) for kind in ("play", "pause", "step",
                                                                  "reset")}
        self.reset_button.setIcon(self._icons["reset"])
        self.step_button.setIcon(self._icons["step"])
        self.play_button.setIcon(self._icons["pause" if self._running else "play"])

    def _add(self, name: str, widget: QWidget) -> None:
        self.widget_actions[name] = self.addWidget(widget)

    def _button(self, name, icon, text, tip) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        if icon is not None:
            button.setIcon(icon)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._add(name, button)
        return button

    def _combo(self, name, label, items, tip, values=None) -> QComboBox:
        caption = QLabel(f"  {label} ", self)
        caption.setObjectName(f"{name}_label")
        caption.setToolTip(tip)
        self.widget_actions[f"{name}_label"] = self.addWidget(caption)
        combo = QComboBox(self)
        combo.setObjectName(name)
        for k, item in enumerate(items):
            combo.addItem(item, values[k] if values is not None else k)
        combo.setToolTip(tip)
        combo.setAccessibleName(label)
        combo.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._add(name, combo)
        return combo

    @staticmethod
    def _set_index(combo: QComboBox, index: int) -> None:
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def _select(self, combo, values, value) -> None:
        """Pick the listed value nearest to ``value`` (adding it if it is not listed)."""
        for k, v in enumerate(values):
            if abs(v - value) <= 1e-12 * max(1.0, abs(value)):
                self._set_index(combo, k)
                return
        text = f"{value:g}"
        index = combo.findText(text)
        if index < 0:
            combo.blockSignals(True)
            combo.addItem(text, float(value))
            combo.blockSignals(False)
            index = combo.count() - 1
        self._set_index(combo, index)
