"""Runs as a lesson sees them: from a fresh start of the network to the next one.

Mirrors :class:`neuroviz.lessons.runner.LessonSession`: a run starts when the worker starts a
new generation (new data, a new architecture, new or reset weights) and keeps one
``(epoch, metrics)`` entry per epoch, beginning with the untrained network. The runs that end
during a step are kept for goals such as ``{ versus = "previous", ... }``; entering a step
directly (picker, Back, resume) forgets the run that was going, as a fresh headless session
would have none.

Snapshots reach the lesson panel about once a frame, so several epochs may pass between two
of them: the epochs crossed in between keep the metrics of the snapshot before (an epoch is
never credited with training it had not had yet; "show me" trains whole epochs per snapshot,
so its entries at those epochs are exact). The weights of the epoch with the lowest test loss
are kept, so "show me" can go back to them exactly. Resuming from an earlier point
of the timeline continues the same run, its later epochs dropped, as in the headless runner.
"""

from __future__ import annotations

from neuroviz.lessons import RunGoal, RunRecord
from neuroviz.lessons.goals import METRICS, RUNS, format_number, metrics_from_snapshot


class RunTracker:
    """The current run's per-epoch history and the runs finished during the step."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self.history: list[tuple[int, dict]] = []
        self.settings: dict = {}
        self._generation: int | None = None
        self._forget_current = False
        #: (epoch, weights, snapshot) of the run's lowest test loss so far
        self.lowest: tuple[int, object, object] | None = None

    def begin_step(self, direct: bool = False) -> None:
        """A step begins: no finished runs yet. ``direct`` (the step was entered straight
        away, not by Next) also forgets the run going on now."""
        self.runs = []
        if direct:
            self._forget_current = True

    def record(self, snap, generation: int, epoch_offset: int, settings: dict) -> None:
        """Take one published snapshot of the worker's run ``generation``."""
        epoch = int(epoch_offset) + int(snap.epoch)
        metrics = metrics_from_snapshot(snap)
        if generation != self._generation:
            self._generation = generation
            known = [e for e, _ in self.history]
            if epoch > 0 and epoch in known and not self._forget_current:
                # resumed from an earlier epoch of the timeline: the same run goes on
                self.history = [h for h in self.history if h[0] <= epoch]
                if self.lowest is not None and self.lowest[0] > epoch:
                    self.lowest = None
                self.settings = dict(settings)
                return
            if len(self.history) > 1 and not self._forget_current:
                self.runs.append(RunRecord(tuple(self.history), dict(self.settings)))
            self.history = []
            self.lowest = None
            self._forget_current = False
        self.settings = dict(settings)
        if not self.history:
            self.history.append((epoch, metrics))
        else:
            last, before = self.history[-1]
            if epoch <= last:
                return
            self.history.extend((e, before) for e in range(last + 1, epoch))
            self.history.append((epoch, metrics))
        loss = metrics.get("test_loss")
        if loss is not None and (self.lowest is None
                                 or loss < self.lowest[2].test_loss):
            self.lowest = (epoch, snap.weights, snap)

    def current(self) -> RunRecord | None:
        """The run so far (``None`` before the first snapshot)."""
        if not self.history:
            return None
        return RunRecord(tuple(self.history), dict(self.settings))


def _run_goals(goal) -> list[RunGoal]:
    if isinstance(goal, RunGoal):
        return [goal]
    return [g for part in getattr(goal, "goals", ()) for g in _run_goals(part)]


def comparison_text(goal, runs: list[RunRecord], current: RunRecord | None) -> str:
    """The numbers a step's run comparison is about, beside each other: the earlier run's
    final value and the current run's (after as many epochs, when the goal says so).
    Empty when the goal compares no runs or there is no earlier run yet."""
    lines = []
    for g in _run_goals(goal):
        if not runs:
            break
        earlier = runs[-1] if g.versus == "previous" else runs[0]
        label = METRICS.get(g.metric, g.metric)
        then = earlier.final.get(g.metric)
        line = (f"{label}: {RUNS[g.versus]} {_fmt(then, g.metric)} after {earlier.epochs} "
                f"epochs")
        if current is not None and current.epochs > 0:
            at = current.at_epoch(earlier.epochs) if g.same_epochs else None
            if at is not None:
                line += f"; this run {_fmt(at.get(g.metric), g.metric)} after as many"
            else:
                line += (f"; this run {_fmt(current.final.get(g.metric), g.metric)} after "
                         f"{current.epochs}")
        lines.append(line)
    return "\n".join(dict.fromkeys(lines))


def _fmt(value, metric: str) -> str:
    return "\u2014" if value is None else format_number(value, metric)
