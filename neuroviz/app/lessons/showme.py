""""Show me": perform a step's solution in the window, one action after another.

Each :class:`~neuroviz.lessons.SolutionAction` is done as the headless runner
(:func:`neuroviz.lessons.runner.run_step`) does it, and as a learner would by hand:

1. apply its preset on top of the current experiment (the event bridge reports the same
   events as a change by hand; set weights also report ``weight_edited``/``bias_edited``);
2. perform its events: explain mode is stepped through for ``explain_*`` events, an example
   near the decision boundary is picked for ``example_selected``, the saliency view shows
   that example for ``saliency_shown``, the gradient view is switched on for
   ``gradient_view_on``; every event is then reported in the order listed;
3. train exactly ``epochs`` whole epochs (not a time budget, so a slow machine reaches the
   same state) as one visible run of the worker, in about :data:`SHOW_ME_FRAMES` chunks;
   the run is paced: each chunk waits until the panel has checked the goal on the one
   before, so training stops at the first chunk that meets it, however slow the window;
4. go back on the timeline (``rewind``) to the epoch with the lowest test loss;
5. name the hidden neurons after what they track (``name_neurons``).

Before each action the goal is checked; "show me" stops as soon as it is met. The learner
can stop it (the button reads "Stop", or Pause).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer

from neuroviz.app.lessons.apply import apply_on_top
from neuroviz.app.lessons.explain import play_explain_events
from neuroviz.lessons.factors import best_names
from neuroviz.lessons.goals import lowest_test_loss_epoch

#: "show me" trains in about this many chunks (one frame each)
SHOW_ME_FRAMES = 25


class ShowMe(QObject):
    """Runs the actions of one "show me" for a :class:`LessonPanel`."""

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.window = panel.window
        self._actions: list | None = None
        self._after = None  # the action whose training is running
        self._run_id: int | None = None
        self._target_epochs = 0
        self.window.worker.run_finished.connect(self._on_run_finished)
        # the learner's Play/Pause (toolbar, Space, Training menu) ends "show me": between two
        # chunks the worker is idle, so the button would otherwise start free play
        self.window.toolbar.play_toggled.connect(self._on_learner_play_pause)
        self.window.action_play.triggered.connect(self._on_learner_play_pause)

    @property
    def active(self) -> bool:
        return self._actions is not None

    @property
    def training(self) -> bool:
        return self._run_id is not None

    def start(self, actions) -> None:
        self._actions = list(actions)
        self._continue()

    def stop(self) -> None:
        """Stop now (the learner pressed Stop, or the goal was met)."""
        if self._actions is None:
            return
        self._actions = None
        self._after = None
        if self._run_id is not None:
            self._run_id = None
            self.window.pause()  # ends the run if it is still going: training stops here
        self.panel._show_me_ended()

    def abandon(self) -> None:
        """Forget everything without touching the window (it is closing)."""
        self._actions = None
        self._after = None
        self._run_id = None

    def _on_learner_play_pause(self, *_args) -> None:
        if self.active and self.training:
            self.stop()
            self.window.pause()

    # -- the actions ---------------------------------------------------------------------
    def _continue(self) -> None:
        panel = self.panel
        if (self._actions and self.window.latest_snapshot is None
                and _needs_weights(self._actions[0])):
            # the engine is still setting up the step's network: go on with its first
            # snapshot (naming neurons or picking an example needs its weights)
            self.window.snapshot_drawn.connect(self._resume_after_snapshot)
            return
        while self._actions is not None:
            if self.goal_met() or not self._actions:
                self.stop()
                return
            action = self._actions.pop(0)
            if not self._perform(action):
                self.stop()
                return
            if self._actions is None:  # the goal was met on the way
                return
            if action.epochs > 0:
                self._after = action
                self._target_epochs = panel.trained_epochs + action.epochs
                chunk = max(1, -(-action.epochs // SHOW_ME_FRAMES))
                self._run_id = self.window.worker.train_epochs(action.epochs, chunk, paced=True)
                return  # goes on in chunk_seen and _on_run_finished
            self._finish(action)

    def goal_met(self) -> bool:
        """Check the goal now; a step without a goal is shown all the way through."""
        met = self.panel.update_goal()
        return met and self.panel.step is not None and self.panel.step.goal is not None

    def chunk_seen(self) -> None:
        """The panel has checked the goal on a snapshot of the run: train the next chunk."""
        if self._run_id is not None:
            self.window.worker.next_chunk()

    def _resume_after_snapshot(self, _snap) -> None:
        self.window.snapshot_drawn.disconnect(self._resume_after_snapshot)
        self._continue()

    def _perform(self, action) -> bool:
        panel = self.panel
        preset = action.preset
        try:
            apply_on_top(self.window, preset)
        except ValueError as exc:
            panel._message("'Show me' could not be applied", str(exc))
            return False
        if preset.weights is not None:
            panel.report_event("weight_edited")
            panel.report_event("bias_edited")
        if preset.reset:
            panel.report_event("reset")
        events = list(action.events)
        if any(e.startswith("explain_") for e in events):
            panel._keep_beside()
            play_explain_events(panel.explain, events)
        if "example_selected" in events:
            self.select_boundary_example()
        if "gradient_view_on" in events:
            gradients = getattr(self.window, "gradients", None)
            if gradients is not None and hasattr(gradients, "set_on"):
                gradients.set_on(True)
        if "saliency_shown" in events and panel.saliency is not None:
            panel.saliency.open()
            panel.saliency.show_selected()
        for event in events:
            if self._actions is None:
                break
            panel.report_event(event)
        return True

    def _finish(self, action) -> None:
        """What an action does after its training: go back on the timeline, name neurons."""
        if action.rewind == "lowest_test_loss":
            self.rewind_to_lowest_test_loss()
        if action.name_neurons:
            self.name_neurons()

    def _on_run_finished(self, run_id: int) -> None:
        if run_id != self._run_id:
            return
        self._run_id = None
        action = self._after
        if self._actions is None or action is None:
            return
        self._after = None
        if self.panel.trained_epochs < self._target_epochs:
            self.stop()  # paused by the learner, or diverged: "show me" ends here
            return
        self._finish(action)
        QTimer.singleShot(0, self._continue)

    # -- helpers the panel and tests use -------------------------------------------------
    def rewind_to_lowest_test_loss(self) -> int | None:
        """Go back on the timeline to the weights of the run's lowest test loss."""
        timeline = self.panel.timeline
        tracker = self.panel.run_tracker
        best = lowest_test_loss_epoch(tracker.current())
        if timeline is None or best is None or tracker.lowest is None:
            return None
        epoch, weights, snap = tracker.lowest
        if timeline.timeline.entries:
            timeline.view.select_epoch(epoch)  # the slider to the nearest epoch it kept
        entry = timeline.scrubbed_entry
        if entry is None or entry.epoch != epoch:
            # the timeline thinned that epoch out: show the exact weights kept for it
            from neuroviz.timeline import TimelineEntry

            timeline.show_entry(TimelineEntry(
                epoch, int(snap.step), tuple(weights), float(snap.train_loss),
                None if snap.test_loss is None else float(snap.test_loss), snap.metric_name,
                snap.train_metric, snap.test_metric, {}, None))
        self.panel.update_goal()
        return epoch

    def name_neurons(self) -> None:
        """Name every hidden neuron after the quantity it follows most closely."""
        panel = self.panel
        factors = panel.neuron_factors()
        if not factors:
            return
        names = best_names(factors, _naming_threshold(panel.step.goal))
        if panel.neurons is not None:
            panel.neurons.open()
            panel.neurons.set_names(names)
        else:
            panel.neuron_names = dict(names)
        panel.update_goal()

    def select_boundary_example(self) -> None:
        """Pick the test example the network is least sure about (nearest the boundary), or
        the first one when the output is not a probability."""
        window = self.window
        ds = window.dataset
        snap = window.latest_snapshot
        ov = window.output_view
        if ds is None:
            return
        split, X = ("test", ds.X_test) if ds.X_test is not None and len(ds.X_test) else \
            ("train", ds.X_train)
        index = 0
        if snap is not None and ds.task == "classification":
            from neuroviz.engine import Network

            try:
                net = Network.from_spec(window.state.spec)
                net.set_weights(snap.weights)
                p = net.predict(X)
                top = np.sort(p, axis=1)
                margin = np.abs(p[:, 0] - 0.5) if p.shape[1] == 1 else top[:, -1] - top[:, -2]
                index = int(np.argmin(margin))
            except ValueError:
                index = 0
        ov.set_selected_example(split, index)
        ov.example_selected.emit(split, index)


def _needs_weights(action) -> bool:
    """Whether an action works on the current weights from the start (no preset of its own
    that would replace them first)."""
    from neuroviz.lessons import Preset

    uses = action.name_neurons or bool({"example_selected", "saliency_shown"}
                                       & set(action.events))
    return uses and action.preset == Preset() and action.epochs == 0


def _naming_threshold(goal) -> float:
    """The ``min_correlation`` of the first naming goal in ``goal`` (0.5 if there is none)."""
    from neuroviz.lessons import NamingGoal

    def find(g):
        if isinstance(g, NamingGoal):
            return g.min_correlation
        for part in getattr(g, "goals", ()):
            found = find(part)
            if found is not None:
                return found
        return None

    found = find(goal)
    return 0.5 if found is None else found
