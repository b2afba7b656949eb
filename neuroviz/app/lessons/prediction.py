"""The prediction box of the lesson panel: commit to an answer before the experiment.

A step with a ``[predict]`` question shows it with its choices (radio buttons) or a number
box with its unit. "Lock in my prediction" commits the answer (:attr:`PredictionBox.committed`)
and the box turns read-only; once the step's goal is met, :meth:`PredictionBox.show_outcome`
says whether the guess was right (:meth:`neuroviz.lessons.Prediction.is_right`) and shows the
stated answer and the teacher's feedback.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from neuroviz.lessons import Prediction
from neuroviz.lessons.goals import format_number


class PredictionBox(QGroupBox):
    """Question, answer widgets, the lock-in button and (afterwards) the outcome."""

    committed = Signal(object)  # the learner's answer: a choice (str) or a number (float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your prediction", parent)
        self.setObjectName("lesson_prediction")
        self.prediction: Prediction | None = None
        self.guess: str | float | None = None
        self._choice_rows: list[QWidget] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        self.question = QLabel()
        self.question.setObjectName("lesson_prediction_question")
        self.question.setWordWrap(True)
        layout.addWidget(self.question)
        self.choices_box = QWidget()
        self.choices_layout = QVBoxLayout(self.choices_box)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        self.choice_group = QButtonGroup(self)
        self.choice_group.buttonToggled.connect(lambda *_: self._update_button())
        layout.addWidget(self.choices_box)
        row = QHBoxLayout()
        self.number = QDoubleSpinBox()
        self.number.setObjectName("lesson_prediction_number")
        self.number.setDecimals(3)
        self.number.setRange(-1e9, 1e9)
        self.number.setSpecialValueText("")
        self.unit = QLabel()
        self.unit.setObjectName("lesson_prediction_unit")
        row.addWidget(self.number, 1)
        row.addWidget(self.unit)
        self.number_row = QWidget()
        self.number_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.number_row)
        self.commit_button = QPushButton("Lock in my prediction")
        self.commit_button.setObjectName("lesson_prediction_commit")
        self.commit_button.setToolTip("Commit to your answer; then run the experiment")
        self.commit_button.clicked.connect(lambda _=False: self.commit())
        layout.addWidget(self.commit_button, 0, Qt.AlignmentFlag.AlignRight)
        self.outcome = QLabel()
        self.outcome.setObjectName("lesson_prediction_outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.outcome)
        layout.addStretch(1)  # spare height below, never between a choice's button and text
        self.set_prediction(None)

    # -- public ------------------------------------------------------------------------
    @property
    def is_committed(self) -> bool:
        return self.guess is not None

    @property
    def pending(self) -> bool:
        """A question is asked and not answered yet."""
        return self.prediction is not None and self.guess is None

    def set_prediction(self, prediction: Prediction | None) -> None:
        """Show a step's question (or hide the box when the step asks none)."""
        self.prediction = prediction
        self.guess = None
        for button in self.choice_group.buttons():
            self.choice_group.removeButton(button)
        for holder in self._choice_rows:
            holder.hide()
            holder.deleteLater()
        self._choice_rows = []
        self.outcome.clear()
        self.outcome.hide()
        if prediction is None:
            self.hide()
            return
        self.question.setText(prediction.question)
        if prediction.choices:
            for k, text in enumerate(prediction.choices):
                button = QRadioButton()
                button.setObjectName(f"lesson_prediction_choice_{k}")
                button.setAccessibleName(text)
                label = _ChoiceLabel(text, button)
                row = QHBoxLayout()
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
                row.addWidget(label, 1, Qt.AlignmentFlag.AlignTop)
                holder = QWidget()
                holder.setLayout(row)
                self.choice_group.addButton(button, k)
                self.choices_layout.addWidget(holder)
                self._choice_rows.append(holder)
            self.choices_box.show()
            self.number_row.hide()
        else:
            self.choices_box.hide()
            self.number_row.show()
            self.number.setValue(0.0)
            self.unit.setText(prediction.unit)
            self.unit.setVisible(bool(prediction.unit))
        self._set_editable(True)
        self._update_button()
        self.show()

    def set_answer(self, answer: str | float) -> None:
        """Fill in ``answer`` (a choice's text or a number) without committing."""
        p = self.prediction
        if p is None:
            return
        if p.choices:
            k = p.choices.index(answer)
            self.choice_group.button(k).setChecked(True)
        else:
            self.number.setValue(float(answer))
        self._update_button()

    def current_answer(self) -> str | float | None:
        p = self.prediction
        if p is None:
            return None
        if p.choices:
            k = self.choice_group.checkedId()
            return None if k < 0 else p.choices[k]
        return float(self.number.value())

    def commit(self) -> bool:
        """Commit the answer filled in; False when there is none to commit."""
        answer = self.current_answer()
        if answer is None or self.guess is not None:
            return False
        self.guess = answer
        self._set_editable(False)
        self.commit_button.setText("Prediction locked in")
        self.committed.emit(answer)
        return True

    def show_outcome(self) -> None:
        """The step's goal is met: right or wrong, the stated answer and the feedback."""
        p = self.prediction
        if p is None or self.guess is None:
            return
        right = p.is_right(self.guess)
        if p.choices:
            answer = p.answer
            guess = self.guess
        else:
            unit = f" {p.unit}" if p.unit else ""
            answer = f"{format_number(float(p.answer))}{unit} (± {p.tolerance:g})"
            guess = f"{format_number(float(self.guess))}{unit}"
        verdict = ("<b style='color:#2e7d32'>\u2713 Right.</b>" if right
                   else "<b style='color:#c62828'>\u2717 Not quite.</b>")
        self.outcome.setText(f"{verdict} You said: {_escape(str(guess))}. "
                             f"Answer: <b>{_escape(str(answer))}</b><br>{_escape(p.feedback)}")
        self.outcome.setProperty("right", right)
        self.outcome.show()

    @property
    def outcome_shown(self) -> bool:
        return not self.outcome.isHidden()

    # -- internals ---------------------------------------------------------------------
    def _set_editable(self, on: bool) -> None:
        for button in self.choice_group.buttons():
            button.setEnabled(on)
        for holder in self._choice_rows:
            holder.setEnabled(on)
        self.number.setEnabled(on)
        if on:
            self.commit_button.setText("Lock in my prediction")

    def _update_button(self) -> None:
        self.commit_button.setEnabled(self.prediction is not None and self.guess is None
                                      and self.current_answer() is not None)


class _ChoiceLabel(QLabel):
    """A choice's text, wrapped over several lines; clicking it picks the choice."""

    def __init__(self, text: str, button: QRadioButton) -> None:
        super().__init__(text)
        self.button = button
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.button.isEnabled():
            self.button.setChecked(True)
        super().mousePressEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
