"""The lesson panel: pick a lesson, read each step, reach its goal, get hints or "show me".

The panel drives the playground window through its public API only (``apply_preset``,
``set_hyperparameters``, ``controls``, ``snapshot_drawn`` ...). Lesson logic lives in the
Qt-free :mod:`neuroviz.lessons` package; helpers here:

* :mod:`neuroviz.app.lessons.apply` -- presets to window calls, the learner's own work;
* :mod:`neuroviz.app.lessons.events` -- window signals to lesson events;
* :mod:`neuroviz.app.lessons.controls` -- hide/lock/highlight by control ID, and undo;
* :mod:`neuroviz.app.lessons.text` -- Markdown view and the picker list;
* :mod:`neuroviz.app.lessons.prediction` -- the prediction question of a step;
* :mod:`neuroviz.app.lessons.runs` -- the runs of a step, for goals that compare them;
* :mod:`neuroviz.app.lessons.showme` -- "show me": the solution's actions, in order.

Entering a lesson sets the learner's experiment aside (asking first when it is not saved)
and brings it back on leaving. Progress is saved to a :class:`ProgressStore` file after
every change. The goal status is checked from the drawn snapshots at most
:data:`CHECK_HZ` times a second, and at once after an event or a change of the network, by
one :class:`~neuroviz.lessons.GoalTracker` per step (a sequence remembers its progress). A
step with a prediction question locks play, step and "show me" until the learner has
committed to an answer.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QWidget,
)

from neuroviz.app.lessons.apply import (
    SavedWork,
    apply_on_top,
    apply_setup,
    has_unsaved_changes,
    set_window_path,
    window_settings,
)
from neuroviz.app.lessons.controls import StepControls
from neuroviz.app.lessons.events import EventBridge
from neuroviz.app.lessons.explain import keep_beside
from neuroviz.app.lessons.runs import RunTracker, comparison_text
from neuroviz.app.lessons.showme import ShowMe
from neuroviz.app.lessons.store import LessonLibrary
from neuroviz.app.lessons.text import plain
from neuroviz.app.lessons.widgets import STYLES, build_panel, unsaved_question
from neuroviz.lessons import (
    GoalContext,
    GoalTracker,
    Lesson,
    NamingGoal,
    check_goal,
    setup_for_step,
)
from neuroviz.lessons.factors import FACTORS, neuron_correlations

CHECK_HZ = 5.0
#: controls locked until the learner has committed to a prediction
PREDICTION_LOCKS = ("play", "step")

class LessonPanel(QWidget):
    """Guided lessons beside the playground.

    The window's composition root docks it (:attr:`dock`), gives it explain mode
    (``explain``, for "show me" steps that step through an explanation) and the other
    features' lesson events (:meth:`add_event_source`).
    """

    lesson_opened = Signal(str)
    lesson_closed = Signal()
    step_entered = Signal(int)
    goal_reached = Signal(int)          # step number

    def __init__(self, window, library: LessonLibrary, explain=None, timeline=None,
                 saliency=None, neurons=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson_panel")
        self.window = window
        self.explain = explain  # explain mode's controller, or None
        self.timeline = timeline  # the timeline controller (going back; "show me" rewinds)
        self.saliency = saliency  # the saliency view ("show me" shows an example's saliency)
        self.neurons = neurons  # the neuron-response view (naming hidden neurons)
        self.library = library
        self.lesson: Lesson | None = None
        self.step_number = 0
        self.events: set[str] = set()
        self.event_log: list[str] = []  # the same events, in the order they happened
        self.tracker = GoalTracker(None)
        self.run_tracker = RunTracker()
        self.neuron_names: dict[int, str] = {}  # names given without a neuron view
        self._factors_cache: tuple | None = None
        self.trained_epochs = 0
        self.step_done = False
        self.status_text = ""
        self.hints_shown = 0
        self._last_epoch = 0
        self._generation = -1
        self._last_received = window.worker.latest  # the newest worker snapshot seen here
        self._in_flight_until = None  # a snapshot published before this step: skip up to it
        self.show_me_runner = ShowMe(self)
        self._saved: SavedWork | None = None
        self._last_check = 0.0
        self._reapply_pending = False

        self.bridge = EventBridge(window, self)
        self.bridge.event_happened.connect(self.report_event)
        self.controls = StepControls(window)
        self.dock = None  # the QDockWidget holding the panel (set by the window)
        window.worker.snapshot_ready.connect(self._on_worker_snapshot)
        window.state.subscribe(self._on_state_changed)
        window.experiment_applied.connect(self._schedule_reapply)
        window.installEventFilter(self)

        self._check_timer = QTimer(self)
        self._check_timer.setObjectName("lesson_check_timer")
        self._check_timer.setSingleShot(True)
        self._check_timer.timeout.connect(self.update_goal)

        build_panel(self)
        self.prediction_box.committed.connect(self._on_prediction_committed)
        if neurons is not None:
            neurons.names_changed.connect(lambda *_: self.update_goal())
        self.refresh_list()

    # ================================================================== lesson list
    @property
    def lessons(self) -> list[Lesson]:
        return self.library.lessons

    @property
    def progress(self):
        return self.library.progress

    def refresh_list(self) -> None:
        """Show the library's lessons, their progress and any lessons that were refused."""
        self.list.set_lessons(self.lessons, self.progress.get)
        problems = self.library.problems
        if problems:
            lines = "\n".join(str(p) for p in problems)
            self.problems_label.setTextFormat(Qt.TextFormat.PlainText)
            self.problems_label.setText(f"Some lessons could not be loaded:\n{lines}")
            self.problems_label.show()
        else:
            self.problems_label.hide()
        self._update_start_button()

    def _update_start_button(self) -> None:
        lesson_id = self.list.current_id()
        p = self.progress.get(lesson_id) if lesson_id else None
        resume = p is not None and not p.finished and (p.step > 1 or p.completed)
        self.start_button.setText("Continue" if resume else "Start")
        self.start_button.setEnabled(lesson_id is not None)

    def reload(self) -> list:
        """Read the lesson folders again; returns the problems found."""
        self.library.reload()
        self.refresh_list()
        return self.library.problems

    def add_lesson_folder(self, folder) -> list:
        """Add a teacher's folder (remembered in the settings); shows and returns problems."""
        problems = self.library.add_folder(folder)
        self.refresh_list()
        if problems:
            self._message("Some lessons could not be loaded",
                          "\n".join(str(p) for p in problems))
        return problems

    def choose_lesson_folder(self) -> None:
        folder = self.choose_folder()
        if folder:
            self.add_lesson_folder(folder)

    def choose_folder(self) -> str | None:
        """Ask for a folder (tests replace this method)."""
        return QFileDialog.getExistingDirectory(self, "Add a folder of lessons") or None

    def _start_selected(self) -> None:
        lesson_id = self.list.current_id()
        if lesson_id is not None:
            self.open_lesson(lesson_id)

    # ================================================================== entering / leaving
    def lesson_by_id(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(f"no lesson {lesson_id!r}")

    def open_lesson(self, lesson_id: str, step: int | None = None) -> bool:
        """Open a lesson at ``step`` (default: where the learner left it).

        Returns False when the learner cancelled (the experiment is left untouched).
        """
        lesson = self.lesson_by_id(lesson_id)
        if self.lesson is None:
            if not self._set_work_aside():
                return False
        else:
            self.controls.clear()
        self.lesson = lesson
        p = self.progress.get(lesson.id)
        if step is None:
            step = 1 if p.finished else min(max(1, p.step), len(lesson.steps))
        self.stack.setCurrentIndex(1)
        self._keep_beside()
        self.title_label.setText(f"<b style='font-size:14pt'>{plain(lesson.title)}</b>")
        self.lesson_opened.emit(lesson.id)
        self.go_to_step(step)
        return True

    def _set_work_aside(self) -> bool:
        if has_unsaved_changes(self.window):
            answer = self.ask_unsaved()
            if answer == "cancel":
                return False
            if answer == "save" and not self._save_work():
                return False
        self._saved = SavedWork.take(self.window)
        set_window_path(self.window, None)  # Save must never overwrite the learner's file
        return True

    def ask_unsaved(self) -> str:
        """Ask what to do with unsaved work: "keep", "save" or "cancel" (tests replace it)."""
        box = self.unsaved_box()
        box.exec()
        return box.property("answer") or "cancel"

    def unsaved_box(self) -> QMessageBox:
        """The question asked before a lesson replaces unsaved work."""
        return unsaved_question(self.window)

    def _save_work(self) -> bool:
        path = self.window.path
        if path is None:
            chosen = self.choose_save_path()
            if not chosen:
                return False
            path = Path(chosen)
        return bool(self.window.save_experiment(path))

    def choose_save_path(self) -> str | None:
        """Ask where to save the learner's experiment (tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(self, "Save your experiment", str(Path.home()),
                                              "neuroviz experiments (*.neuroviz.json)")
        if path and not path.endswith(".json"):
            path += ".neuroviz.json"
        return path or None

    def close_lesson(self) -> None:
        """Leave the lesson: controls as they were, the learner's experiment back."""
        if self.lesson is None:
            return
        self._stop_show_me()
        self.controls.clear()
        self.lesson = None
        self.step_number = 0
        self._check_timer.stop()
        saved, self._saved = self._saved, None
        if saved is not None:
            with self.bridge.quietly():
                saved.restore(self.window)
        self.stack.setCurrentIndex(0)
        self.refresh_list()
        self.lesson_closed.emit()

    @property
    def in_lesson(self) -> bool:
        return self.lesson is not None

    # ================================================================== steps
    @property
    def step(self):
        return None if self.lesson is None else self.lesson.steps[self.step_number - 1]

    def go_to_step(self, number: int) -> None:
        """Enter step ``number`` directly: the presets of steps 1..number are applied."""
        lesson = self.lesson
        number = min(max(1, number), len(lesson.steps))
        self._apply(lambda: apply_setup(self.window, setup_for_step(lesson, number)))
        self._enter(number, direct=True)

    def next_step(self) -> None:
        """Next step (its preset on top of what the learner has), or finish the lesson."""
        if self.lesson is None:
            return
        if self.step_number >= len(self.lesson.steps):
            self.finish_lesson()
            return
        step = self.lesson.steps[self.step_number]
        self._apply(lambda: apply_on_top(self.window, step.preset))
        self._enter(step.number)

    def previous_step(self) -> None:
        if self.lesson is not None and self.step_number > 1:
            self.go_to_step(self.step_number - 1)

    def finish_lesson(self) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        p = self.progress.get(lesson.id)
        if set(range(1, len(lesson.steps) + 1)) <= p.completed:
            self.progress.finish(lesson.id)
        self.progress.set_step(lesson.id, 1 if p.finished else self.step_number)
        self.close_lesson()

    def _apply(self, action) -> None:
        self._stop_show_me()
        try:
            with self.bridge.quietly():
                action()
        except ValueError as exc:  # ExperimentError, DatasetError, SpecError
            self._message("The lesson could not set up this step", str(exc))

    def _enter(self, number: int, direct: bool = False) -> None:
        lesson = self.lesson
        self.step_number = number
        step = self.step
        self.events = set()
        self.event_log = []
        self.tracker = GoalTracker(step.full_goal)
        self.run_tracker.begin_step(direct)
        self.neuron_names = {}
        if self.neurons is not None:
            self.neurons.clear_names()
        self.trained_epochs = 0
        self._last_epoch = self._epoch_now()
        # Snapshots published before this step may still be on their way (a busy machine):
        # their epochs belong to the step before, so they are not counted here.
        latest = self.window.worker.latest
        self._in_flight_until = latest if latest is not self._last_received else None
        self.step_done = False
        self.hints_shown = 0
        self.progress.set_step(lesson.id, number)
        self.prediction_box.set_prediction(step.prediction if step.goal is not None else None)
        self.prediction_scroll.setVisible(self.prediction_box.prediction is not None)
        self._set_step_controls()
        self._open_views_for(step)
        self.step_label.setText(f"Step {number} of {len(lesson.steps)}: <b>{plain(step.title)}</b>")
        self.text.set_step(step, lesson.folder)
        self.hints_label.clear()
        self.hints_label.hide()
        self.hint_button.setEnabled(bool(step.hints))
        self.hint_button.setText(f"Hint ({len(step.hints)})" if step.hints else "No hints")
        self._update_show_me_button()
        self.back_button.setEnabled(number > 1)
        last = number == len(lesson.steps)
        self.next_button.setText("Finish \u2713" if last else "Next \u203a")
        self.next_button.setToolTip("Finish the lesson" if last else "The next step")
        self.update_goal()
        self.step_entered.emit(number)

    # ================================================================== hints, show me
    def show_hint(self) -> None:
        step = self.step
        if step is None or self.hints_shown >= len(step.hints):
            return
        self.hints_shown += 1
        lines = [f"Hint {k}: {h}" for k, h in enumerate(step.hints[:self.hints_shown], 1)]
        self.hints_label.setTextFormat(Qt.TextFormat.PlainText)  # never a tag that loads
        self.hints_label.setText("\n".join(lines))
        self.hints_label.show()
        left = len(step.hints) - self.hints_shown
        self.hint_button.setText(f"Hint ({left})" if left else "No more hints")
        self.hint_button.setEnabled(left > 0)

    def show_me(self) -> None:
        """Do the step's solution for the learner: answer the prediction with its stated
        answer, then perform each action in order (see :mod:`neuroviz.app.lessons.showme`).
        While it trains the button reads "Stop"."""
        step = self.step
        if step is None or step.solution is None:
            return
        if self.showing:
            self._stop_show_me()
            return
        if self.prediction_box.pending:
            self.prediction_box.set_answer(step.prediction.answer)
            self.prediction_box.commit()
        self.show_me_button.setText("Stop")
        self.show_me_runner.start(step.solution.actions)

    def _stop_show_me(self) -> None:
        self.show_me_runner.stop()

    def _show_me_ended(self) -> None:
        """Called by the "show me" runner when it has done everything or was stopped."""
        self.show_me_button.setText("Show me")
        self._update_show_me_button()

    @property
    def showing(self) -> bool:
        """True while "show me" is busy (training, or between its actions)."""
        return self.show_me_runner.active

    def _update_show_me_button(self) -> None:
        step = self.step
        self.show_me_button.setEnabled(step is not None and step.solution is not None
                                       and not self.prediction_box.pending)
        if self.prediction_box.pending:
            self.show_me_button.setToolTip("Commit to your prediction first")
        else:
            self.show_me_button.setToolTip("Apply a known-good setting and train")

    # ================================================================== prediction
    def _set_step_controls(self) -> None:
        step = self.step
        locked = tuple(step.locked)
        if self.prediction_box.pending:
            locked += PREDICTION_LOCKS
        self.controls.set_step(step.hidden, locked, step.highlight)

    def _on_prediction_committed(self, _answer) -> None:
        if self.step is None:
            return
        self._set_step_controls()
        self._update_show_me_button()
        self.report_event("prediction_made")

    def _open_views_for(self, step) -> None:
        """Open the views a step's goal needs: the saliency view for ``saliency_shown``, the
        neuron-response view for naming hidden neurons."""
        from neuroviz.lessons import goal_events

        if self.saliency is not None and "saliency_shown" in goal_events(step.goal):
            self.saliency.open()
        if self.neurons is not None and _has_naming(step.goal):
            self.neurons.open()

    # ================================================================== goal
    def report_event(self, event: str) -> None:
        """An event from the app (see :mod:`neuroviz.app.lessons.events`)."""
        if self.lesson is None:
            return
        if event == "explain_started":
            self._keep_beside()
        self.events.add(event)
        self.event_log.append(event)
        self.update_goal()

    def add_event_source(self, signal) -> None:
        """Count the lesson events of another feature's ``event_happened(str)`` signal."""
        self.bridge.add_source(signal)

    def _keep_beside(self) -> None:
        dock = getattr(self, "dock", None)
        if dock is not None:
            keep_beside(self.window, dock)

    @property
    def timeline_position(self) -> int | None:
        """The epoch shown when the learner went back on the timeline (None: the latest)."""
        entry = None if self.timeline is None else self.timeline.scrubbed_entry
        return None if entry is None else int(entry.epoch)

    def current_neuron_names(self) -> dict[int, str]:
        if self.neurons is not None:
            return dict(self.neurons.names)
        return dict(self.neuron_names)

    def neuron_factors(self) -> dict | None:
        """Each first-layer hidden neuron's correlation with the data's named quantities
        (only computed when the step's goal names neurons)."""
        step = self.step
        snap = self.window.latest_snapshot
        ds = self.window.dataset
        if step is None or snap is None or ds is None or not _has_naming(step.goal) \
                or ds.name not in FACTORS:
            return None
        key = (id(snap), id(ds))
        if self._factors_cache is not None and self._factors_cache[0] == key:
            return self._factors_cache[1]
        from neuroviz.engine import Network

        try:
            net = Network.from_spec(self.window.state.spec)
            net.set_weights(snap.weights)
            factors = neuron_correlations(net, ds)
        except ValueError:
            factors = None
        self._factors_cache = (key, factors)
        return factors

    def goal_context(self) -> GoalContext:
        return GoalContext.from_snapshot(
            self.window.latest_snapshot, self.window.state.spec, list(self.event_log),
            self.trained_epochs, settings=window_settings(self.window),
            runs=tuple(self.run_tracker.runs), run=self.run_tracker.current(),
            position=self.timeline_position, neuron_names=self.current_neuron_names(),
            neuron_factors=self.neuron_factors())

    def _epoch_now(self) -> int:
        snap = self.window.latest_snapshot
        return 0 if snap is None else int(snap.epoch)

    def update_goal(self) -> bool:
        """Check the step's goal now and show the status; returns whether it is met."""
        self._check_timer.stop()
        self._last_check = time.monotonic()
        step = self.step
        if step is None:
            return False
        context = self.goal_context()
        done, text = self.tracker.check(context)
        if step.prediction is not None and step.goal is not None:
            text = self._experiment_status(step, context, done, text)
        if done and not self.step_done:
            self.step_done = True
            self.progress.complete_step(self.lesson.id, step.number, len(self.lesson.steps))
            self.prediction_box.show_outcome()
            self.goal_reached.emit(step.number)
            if self.showing:
                self._stop_show_me()
        if self.step_done and not done:
            text = f"{text}  (reached earlier)"
            mark = "\u2713"
        else:
            mark = "\u2713" if done else "\u25CB"
        self.status_text = text
        runs = comparison_text(step.goal, self.run_tracker.runs, context.run)
        self.runs_label.setText(runs)
        self.runs_label.setVisible(bool(runs))
        self.goal_label.setText(f"{mark}  {text}")
        self.goal_label.setStyleSheet(self._style("done" if self.step_done else "todo"))
        self.next_button.setDefault(self.step_done)
        return done

    def _experiment_status(self, step, context, done: bool, text: str) -> str:
        """The status of a step with a prediction, in terms of its experiment (the tracker's
        first part, the prediction, is the box above)."""
        if self.prediction_box.pending:
            return f"First make your prediction above. Then: {check_goal(step.goal, context)[1]}"
        prefix = "Part 2 of 2: "
        if text.startswith(prefix):
            return text[len(prefix):]
        if done:
            return check_goal(step.goal, context)[1]
        return text

    def _schedule_check(self) -> None:
        wait = 1.0 / CHECK_HZ - (time.monotonic() - self._last_check)
        if wait <= 0:
            self.update_goal()
        elif not self._check_timer.isActive() and self.isVisible():
            self._check_timer.start(int(wait * 1000) + 1)

    def _on_worker_snapshot(self, snap, generation: int) -> None:
        """Count the epochs trained in this step (each run generation starts at epoch 0) and
        record the run's history."""
        self._last_received = snap
        if self.lesson is None:
            return
        if self._in_flight_until is not None:
            if snap is not self._in_flight_until:
                return  # published before this step began: its epochs are not this step's
            # the state this step began from: it starts the count (and a run) but adds nothing
            self._in_flight_until = None
            self._generation, self._last_epoch = generation, int(snap.epoch)
            self.run_tracker.record(snap, generation, self.window.state.epoch_offset,
                                    window_settings(self.window))
            return
        epoch = int(snap.epoch)
        if generation != self._generation:
            self._generation = generation
            self._last_epoch = 0
        trained = epoch > self._last_epoch  # a chunk of training, not a republished state
        if trained:
            self.trained_epochs += epoch - self._last_epoch
        self._last_epoch = epoch
        self.run_tracker.record(snap, generation, self.window.state.epoch_offset,
                                window_settings(self.window))
        if not self.showing:
            self._schedule_check()
            return
        if not self.show_me_runner.goal_met() and trained:  # met: "show me" has stopped
            self.show_me_runner.chunk_seen()

    def _on_state_changed(self, change: str) -> None:
        if self.lesson is None or change == "history":
            return
        self._schedule_reapply()

    def _schedule_reapply(self) -> None:
        """Re-hide/lock controls after the window rebuilt them, then check structure goals."""
        if self.lesson is None or self._reapply_pending:
            return
        self._reapply_pending = True
        QTimer.singleShot(0, self._reapply)

    def _reapply(self) -> None:
        self._reapply_pending = False
        try:
            if self.lesson is not None:
                self.controls.reapply()
                self.update_goal()
        except RuntimeError:  # the window is being destroyed
            pass

    # ================================================================== misc
    def _style(self, kind: str) -> str:
        dark = self.palette().window().color().lightness() < 128
        return STYLES[kind][1 if dark else 0]

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:  # light/dark theme switched
            self.problems_label.setStyleSheet(self._style("problem"))
            if self.lesson is not None:
                self.goal_label.setStyleSheet(
                    self._style("done" if self.step_done else "todo"))
        super().changeEvent(event)

    def _message(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("lesson_message_box")
        box.setTextFormat(Qt.TextFormat.PlainText)  # problems quote lesson text as written
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, never blocks the caller
        self.last_message = text
        self.window.statusBar().showMessage(text.splitlines()[0], 8000)
        return box

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.window:
            if event.type() == QEvent.Type.Close:
                self._on_window_closing()
        return False

    def _on_window_closing(self) -> None:
        """Leave the learner's own experiment in the window's saved settings, not the lesson's."""
        self._check_timer.stop()
        self.show_me_runner.abandon()
        if self.lesson is not None:
            self.controls.clear()
            saved = self._saved
            if saved is not None:
                with self.bridge.quietly():
                    self.window.state.load(saved.experiment)
                set_window_path(self.window, saved.path)
            self.lesson = None

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._check_timer.stop()
        super().hideEvent(event)


def _has_naming(goal) -> bool:
    """Whether ``goal`` (or a part of it) asks the learner to name hidden neurons."""
    if isinstance(goal, NamingGoal):
        return True
    return any(_has_naming(g) for g in getattr(goal, "goals", ()))
