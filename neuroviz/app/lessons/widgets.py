"""The lesson panel's widgets: its two pages, the status box styles, the unsaved-work question.

Split from :mod:`neuroviz.app.lessons.panel`, which holds the behaviour.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.lessons.prediction import PredictionBox
from neuroviz.app.lessons.text import LessonList, StepText

_BOX = ("QLabel {{ background: {0}; color: {1}; border: 1px solid {2}; border-radius: 4px;"
        " padding: 6px; }}")
#: (light theme, dark theme) styles of the goal status and the problems box
STYLES = {
    "done": (_BOX.format("#e3f4e1", "#17391a", "#63a35c"),
             _BOX.format("#1f3b22", "#d4f0d0", "#4f8f4a")),
    "todo": (_BOX.format("#fff6e0", "#3b2a00", "#d9a520"),
             _BOX.format("#3b3115", "#f5e6bb", "#b38a1a")),
    "problem": (_BOX.format("#fde8e8", "#5c1010", "#c64a4a"),
                _BOX.format("#4a1c1c", "#f8d4d4", "#b04040")),
}


def build_panel(panel) -> None:
    """Create the widgets of a LessonPanel: the picker page and the lesson page of a stacked
    widget, with stable objectNames."""
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(6, 6, 6, 6)
    panel.stack = QStackedWidget(panel)
    layout.addWidget(panel.stack)

    picker = QWidget()
    col = QVBoxLayout(picker)
    col.setContentsMargins(0, 0, 0, 0)
    heading = QLabel("<b>Lessons</b> \u2014 pick one and press Start. Each sets up the "
                     "network for you and checks your progress as you go.")
    heading.setWordWrap(True)
    col.addWidget(heading)
    panel.list = LessonList()
    panel.list.itemActivated.connect(lambda item: panel.open_lesson(
        item.data(LessonList.ID_ROLE)))
    panel.list.currentItemChanged.connect(lambda *_: panel._update_start_button())
    col.addWidget(panel.list, 1)
    panel.problems_label = QLabel()
    panel.problems_label.setObjectName("lesson_problems")
    panel.problems_label.setWordWrap(True)
    panel.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    panel.problems_label.setStyleSheet(panel._style("problem"))
    panel.problems_label.hide()
    col.addWidget(panel.problems_label)
    row = QHBoxLayout()
    panel.add_folder_button = _button(panel, "lesson_add_folder", "Add folder\u2026",
                                          "Add a folder of your own lessons",
                                          panel.choose_lesson_folder)
    panel.start_button = _button(panel, "lesson_start", "Start",
                                     "Open the selected lesson", panel._start_selected)
    panel.start_button.setDefault(True)
    row.addWidget(panel.add_folder_button)
    row.addStretch(1)
    row.addWidget(panel.start_button)
    col.addLayout(row)
    panel.stack.addWidget(picker)

    page = QWidget()
    col = QVBoxLayout(page)
    col.setContentsMargins(0, 0, 0, 0)
    top = QHBoxLayout()
    panel.close_button = _button(panel, "lesson_close", "\u2039 All lessons",
                                     "Leave the lesson and bring back your own experiment",
                                     panel.close_lesson)
    top.addWidget(panel.close_button)
    top.addStretch(1)
    col.addLayout(top)
    panel.title_label = QLabel()
    panel.title_label.setObjectName("lesson_title")
    panel.title_label.setWordWrap(True)
    col.addWidget(panel.title_label)
    panel.step_label = QLabel()
    panel.step_label.setObjectName("lesson_step_label")
    panel.step_label.setWordWrap(True)
    col.addWidget(panel.step_label)
    panel.text = StepText()
    col.addWidget(panel.text, 1)
    panel.prediction_box = PredictionBox()
    # the question, its choices and later the feedback scroll when the panel is short
    panel.prediction_scroll = QScrollArea()
    panel.prediction_scroll.setObjectName("lesson_prediction_scroll")
    panel.prediction_scroll.setWidgetResizable(True)
    panel.prediction_scroll.setFrameShape(QFrame.Shape.NoFrame)
    panel.prediction_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    panel.prediction_scroll.setWidget(panel.prediction_box)
    panel.prediction_scroll.hide()
    col.addWidget(panel.prediction_scroll, 1)
    panel.goal_label = QLabel()
    panel.goal_label.setObjectName("lesson_goal")
    panel.goal_label.setWordWrap(True)
    panel.goal_label.setTextFormat(Qt.TextFormat.PlainText)
    col.addWidget(panel.goal_label)
    panel.runs_label = QLabel()  # the runs a step compares, their numbers side by side
    panel.runs_label.setObjectName("lesson_runs")
    panel.runs_label.setWordWrap(True)
    panel.runs_label.setTextFormat(Qt.TextFormat.PlainText)
    panel.runs_label.setToolTip("The earlier run's curve stays on the loss chart, dashed")
    panel.runs_label.hide()
    col.addWidget(panel.runs_label)
    panel.hints_label = QLabel()
    panel.hints_label.setObjectName("lesson_hints")
    panel.hints_label.setWordWrap(True)
    panel.hints_label.setFrameShape(QFrame.Shape.StyledPanel)
    panel.hints_label.hide()
    col.addWidget(panel.hints_label)
    row = QHBoxLayout()
    panel.hint_button = _button(panel, "lesson_hint", "Hint", "Reveal the next hint",
                                    panel.show_hint)
    panel.show_me_button = _button(panel, "lesson_show_me", "Show me",
                                       "Apply a known-good setting and train",
                                       panel.show_me)
    row.addWidget(panel.hint_button)
    row.addWidget(panel.show_me_button)
    row.addStretch(1)
    col.addLayout(row)
    row = QHBoxLayout()
    panel.back_button = _button(panel, "lesson_back", "\u2039 Back", "The previous step",
                                    panel.previous_step)
    panel.next_button = _button(panel, "lesson_next", "Next \u203a", "The next step",
                                    panel.next_step)
    row.addWidget(panel.back_button)
    row.addStretch(1)
    row.addWidget(panel.next_button)
    col.addLayout(row)
    panel.stack.addWidget(page)
    panel.setMinimumWidth(300)

def _button(panel, name: str, text: str, tip: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.clicked.connect(lambda _=False: slot())
    return button


def unsaved_question(parent) -> QMessageBox:
    """The question asked before a lesson replaces unsaved work."""
    box = QMessageBox(QMessageBox.Icon.Question, "Start the lesson?",
                      "Your experiment has unsaved changes.", parent=parent)
    box.setObjectName("lesson_unsaved_box")
    box.setInformativeText(
        "The lesson sets up its own data and network. Your experiment is kept aside and "
        "comes back when you leave the lesson; you can also save it to a file first.")
    keep = box.addButton("Keep and start", QMessageBox.ButtonRole.AcceptRole)
    save = box.addButton(QMessageBox.StandardButton.Save)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    keep.setObjectName("lesson_unsaved_keep")
    save.setObjectName("lesson_unsaved_save")
    cancel.setObjectName("lesson_unsaved_cancel")
    box.setDefaultButton(keep)
    box.setEscapeButton(cancel)
    answers = {keep: "keep", save: "save", cancel: "cancel"}
    box.buttonClicked.connect(lambda b: box.setProperty("answer", answers.get(b)))
    return box
