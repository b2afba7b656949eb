"""Walk a lesson headlessly: apply each step's preset and "show me", train, check the goal.

Used by the tests (every shipped lesson must be reachable) and by
``neuroviz lessons check --run``. :class:`LessonSession` is also the reference for what the
app does when a step or a "show me" is applied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from neuroviz.lessons.factors import FACTORS, best_names, neuron_correlations
from neuroviz.lessons.goals import (
    SETTINGS,
    GoalContext,
    GoalTracker,
    NamingGoal,
    RunRecord,
    check_goal,
    lowest_test_loss_epoch,
    metrics_from_snapshot,
    network_events,
    param_count,
)
from neuroviz.lessons.schema import Claim, Lesson, Preset, Step
from neuroviz.lessons.setup import Change, Setup, apply_preset, fit_spec_to_dataset


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@lru_cache(maxsize=32)
def _load_cached(name: str, frozen_kwargs: tuple) -> Any:
    from neuroviz.data import load_dataset

    kwargs = {k: (list(v) if k == "features" else v) for k, v in frozen_kwargs}
    if "features" in kwargs:
        kwargs["features"] = tuple(kwargs["features"])
    options = kwargs.pop("options", None)
    return load_dataset(name, **kwargs, **dict(options or ()))


def load_data(setup: Setup) -> Any:
    """The ``neuroviz.data`` Dataset of a setup (cached; raises ``DatasetError``)."""
    kwargs = setup.dataset_kwargs()
    return _load_cached(setup.dataset.name, _freeze(kwargs))


def spec_fits(spec: Mapping[str, Any], ds: Any) -> str | None:
    """``None`` if ``spec`` suits dataset ``ds``, else the reason it does not."""
    n_features = ds.X_train.shape[1]
    if spec["inputs"] != n_features:
        feats = ", ".join(ds.feature_names)
        return (f"the network has {spec['inputs']} input(s) but the data has {n_features} "
                f"feature(s) ({feats})")
    out = spec["layers"][-1]
    if ds.task == "regression":
        if spec.get("loss", "mse") != "mse" or out["units"] != 1:
            return "a regression dataset needs 1 output and the mse loss"
        return None
    if out["units"] != ds.n_outputs and not (ds.n_outputs == 1 and out["units"] == 1):
        return (f"the network has {out['units']} output(s) but {ds.name} has "
                f"{ds.n_outputs} (one per class, or 1 for two classes)")
    return None


def effective_spec(setup: Setup, ds: Any) -> dict[str, Any]:
    """The network spec the app would show: the lesson's spec, fitted to the data if needed."""
    spec = dict(setup.network)
    if spec_fits(spec, ds) is None:
        return spec
    return fit_spec_to_dataset(spec, ds.X_train.shape[1], ds.n_outputs, ds.output_activation,
                               ds.loss, ds.task)


def weights_arrays(weights: Iterable) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in weights]


def _shape(spec: Mapping[str, Any]) -> tuple:
    """Everything about a network spec that needs a new network (any layer kind)."""
    return _freeze(spec)


@dataclass
class StepResult:
    """How one step went in a headless walk.

    ``met_on_entry`` says the goal was already met when the step opened (before the learner
    did anything); ``measured`` holds each claim's measured value (``None`` if unavailable).
    """

    number: int
    title: str
    has_goal: bool
    reached: bool
    status: str
    epochs: int = 0
    seconds: float = 0.0
    error: str | None = None
    met_on_entry: bool = False
    measured: tuple[float | None, ...] = ()


@dataclass
class LessonResult:
    lesson_id: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.reached and s.error is None for s in self.steps)

    def failures(self) -> list[StepResult]:
        return [s for s in self.steps if not s.reached or s.error is not None]


class LessonSession:
    """A headless experiment driven by lesson presets, mirroring what the app does.

    It keeps the dataset, network and trainer, the events reported during the current step
    (in order), the number of epochs trained in it, the current run's history (one entry per
    epoch, with the weights, for the timeline) and the runs finished during the step.
    ``seed_offset`` is added to every weight seed, to try a lesson with other starting weights
    and other shuffles of the training data.
    """

    def __init__(self, seed_offset: int = 0) -> None:
        self.seed_offset = int(seed_offset)
        self.setup = Setup()
        self.ds: Any = None
        self.spec: dict[str, Any] | None = None
        self.trainer: Any = None
        self.snapshot: Any = None
        self.event_log: list[str] = []
        self.trained_epochs = 0
        self.runs: list[RunRecord] = []
        self.history: list[tuple[int, dict[str, float | None]]] = []
        self._weights_at: dict[int, Any] = {}
        self.position: int | None = None
        self.neuron_names: dict[int, str] = {}

    @property
    def events(self) -> set[str]:
        return set(self.event_log)

    @events.setter
    def events(self, value: Iterable[str]) -> None:
        self.event_log = list(value)

    def report(self, *events: str) -> None:
        """Report events, as the app does when the learner acts."""
        self.event_log.extend(events)

    # -- applying presets -------------------------------------------------------------------

    def begin_step(self) -> None:
        """Forget the events, epoch count and finished runs of the previous step."""
        self.event_log = []
        self.trained_epochs = 0
        self.runs = []

    def apply(self, preset: Preset | None, *, as_learner: bool = False) -> Change:
        """Apply a preset. With ``as_learner`` (a "show me"), report the events the app would
        report had the learner made the same changes by hand."""
        from neuroviz.engine import Network, Trainer

        old_spec = self.spec
        old_setup = self.setup
        self.setup, change = apply_preset(self.setup, preset)
        if self.setup.dataset.name is None or self.setup.network is None:
            raise ValueError("the lesson has not chosen a dataset and a network yet "
                             "(the first step's preset must name both)")
        if change.dataset or self.ds is None:
            self.ds = load_data(self.setup)
        spec = effective_spec(self.setup, self.ds)
        rebuild = (change.network or self.trainer is None or old_spec is None
                   or _shape(spec) != _shape(old_spec))
        seed = self.setup.seed + self.seed_offset
        if rebuild:
            net = Network.from_spec(spec, seed=seed)
        else:
            net = self.trainer.net
        if self.setup.weights is not None and (rebuild or change.weights):
            net.set_weights(weights_arrays(self.setup.weights))
        self.spec = spec
        t = self.setup.training
        if rebuild or change.dataset:
            self.trainer = Trainer(net, self.ds.X_train, self.ds.Y_train, self.ds.X_test,
                                   self.ds.Y_test, optimizer=t.optimizer, lr=t.learning_rate,
                                   batch_size=t.batch_size, seed=seed, l1=t.l1,
                                   l2=t.l2, momentum=t.momentum, task=self.ds.task,
                                   patience=t.patience if t.early_stopping else None)
        else:
            if change.weights:
                self.trainer.set_weights(net.get_weights())
            for attr, value in (("lr", t.learning_rate), ("batch_size", t.batch_size),
                                ("optimizer", t.optimizer), ("l1", t.l1), ("l2", t.l2),
                                ("momentum", t.momentum)):
                if getattr(self.trainer, attr) != value:
                    setattr(self.trainer, attr, value)
            self.trainer.patience = t.patience if t.early_stopping else None
        self.snapshot = self.trainer.snapshot()
        if rebuild or change.dataset or change.weights or not self.history:
            self._new_run()
        if as_learner:
            self.report(*sorted(_events_for(old_setup, self.setup, old_spec, spec, preset)))
        return change

    def _new_run(self) -> None:
        """The network starts afresh (new weights or new data): the run so far is finished."""
        if len(self.history) > 1:
            self.runs.append(self.current_run())
        self.history = []
        self._weights_at = {}
        self.position = None
        self.neuron_names = {}
        self._record()

    def _record(self) -> None:
        snap = self.snapshot
        self.history.append((int(snap.epoch), metrics_from_snapshot(snap)))
        self._weights_at[int(snap.epoch)] = snap.weights

    def current_run(self) -> RunRecord:
        return RunRecord(tuple(self.history), self.settings())

    def settings(self) -> dict[str, float | str | None]:
        """The settings a goal may name (see ``neuroviz.lessons.goals.SETTINGS``)."""
        t, d = self.setup.training, self.setup.dataset
        return {"batch_size": t.batch_size, "learning_rate": t.learning_rate,
                "optimizer": t.optimizer, "l1": t.l1, "l2": t.l2, "momentum": t.momentum,
                "noise": d.noise, "train_ratio": d.train_ratio,
                "n_train": None if self.ds is None else int(self.ds.X_train.shape[0]),
                "dataset": d.name, "early_stopping": bool(t.early_stopping),
                "patience": t.patience}

    # -- training, the timeline and goals ---------------------------------------------------

    def train(self, epochs: int, goal=None, deadline: float | None = None) -> int:
        """Train up to ``epochs`` epochs, stopping as soon as ``goal`` (a goal or a
        :class:`GoalTracker`) is met, as the app's live check would, or the deadline passes.
        Returns the epochs trained."""
        tracker = goal if isinstance(goal, GoalTracker) or goal is None else GoalTracker(goal)
        done = 0
        if epochs > 0:
            self.report("training_started")
            if self.position is not None:  # training on from an earlier point of the timeline
                self.history = [h for h in self.history if h[0] <= self.position]
                self.position = None
        while done < epochs:
            if tracker is not None and tracker.check(self.context())[0]:
                break
            if deadline is not None and time.perf_counter() > deadline:
                break
            self.snapshot = self.trainer.run_epochs(1)
            done += 1
            self.trained_epochs += 1
            self._record()
            if self.snapshot.diverged:
                self.report("diverged")
                break
            if self.snapshot.stopped_early:  # as the app does: put the best weights back
                self.trainer.restore_best()
                self.snapshot = self.trainer.snapshot()
                self._record()
                self.report("stopped_early", "restored_best")
                break
        return done

    def rewind(self, where: str) -> None:
        """Go back on the timeline (``"lowest_test_loss"``): load the weights of that epoch."""
        if where != "lowest_test_loss":
            raise ValueError(f"unknown timeline position {where!r}")
        best = lowest_test_loss_epoch(self.current_run())
        if best is None or best not in self._weights_at:
            return
        self.trainer.set_weights(self._weights_at[best])
        self.snapshot = self.trainer.snapshot()
        self.position = best

    def neuron_factors(self) -> dict[int, dict[str, float]] | None:
        """How each first-layer hidden neuron correlates with the data's named quantities."""
        if self.trainer is None or self.ds is None or self.ds.name not in FACTORS:
            return None
        return neuron_correlations(self.trainer.net, self.ds)

    def name_neurons(self, min_correlation: float) -> None:
        """Name every hidden neuron after what it tracks, as "show me" does."""
        factors = self.neuron_factors()
        if factors:
            self.neuron_names = best_names(factors, min_correlation)

    def context(self) -> GoalContext:
        return GoalContext.from_snapshot(self.snapshot, self.spec, self.event_log,
                                         self.trained_epochs, settings=self.settings(),
                                         runs=tuple(self.runs), run=self.current_run(),
                                         position=self.position,
                                         neuron_names=dict(self.neuron_names),
                                         neuron_factors=self.neuron_factors())

    def check(self, goal) -> tuple[bool, str]:
        return check_goal(goal, self.context())

    def measure(self, claim: Claim) -> float | None:
        """The value a claim of the step's text is about, as things stand."""
        if claim.metric == "param_count":
            return float(param_count(self.spec))
        if claim.metric in SETTINGS:
            value = self.settings().get(claim.metric)
            return None if value is None else float(value)
        if claim.run == "current":
            return self.context().metrics.get(claim.metric)
        if not self.runs:
            return None
        run = self.runs[-1] if claim.run == "previous" else self.runs[0]
        if claim.metric in ("run_epochs", "trained_epochs"):
            return float(run.epochs)
        return run.final.get(claim.metric)


def _events_for(old: Setup, new: Setup, old_spec, new_spec, preset: Preset | None) -> set[str]:
    events: set[str] = set()
    if preset is None:
        return events
    if old.dataset.name != new.dataset.name:
        events.add("dataset_changed")
    if old.dataset.features != new.dataset.features:
        events.add("features_changed")
    if old.dataset.noise != new.dataset.noise:
        events.add("noise_changed")
    if old.dataset.train_ratio != new.dataset.train_ratio:
        events.add("train_ratio_changed")
    t0, t1 = old.training, new.training
    if t0.learning_rate != t1.learning_rate:
        events.add("learning_rate_changed")
    if t0.optimizer != t1.optimizer:
        events.add("optimizer_changed")
    if t0.batch_size != t1.batch_size:
        events.add("batch_size_changed")
    if (t0.l1, t0.l2) != (t1.l1, t1.l2):
        events.add("regularization_changed")
    if preset.weights is not None:
        events |= {"weight_edited", "bias_edited"}
    if preset.reset:
        events.add("reset")
    if old_spec is not None and new_spec is not None:
        events |= network_events(old_spec, new_spec)
    return events


def run_step(session: LessonSession, step: Step, deadline: float | None = None) -> StepResult:
    """Enter ``step`` (apply its preset), then "show me": answer the prediction with its
    stated answer, then do each of the solution's actions in order."""
    start = time.perf_counter()
    session.begin_step()
    epochs = 0
    met_on_entry = False
    measured: tuple[float | None, ...] = ()
    try:
        session.apply(step.preset)
        # the experiment's goal, as if the prediction were already made
        met_on_entry = step.goal is not None and session.check(step.goal)[0]
        tracker = GoalTracker(step.full_goal)
        if step.solution is not None:
            if step.prediction is not None:
                session.report("prediction_made")
            for action in step.solution.actions:
                if tracker.check(session.context())[0]:
                    break
                session.apply(action.preset, as_learner=True)
                session.report(*action.events)
                epochs += session.train(action.epochs, tracker, deadline)
                if action.rewind is not None:
                    session.rewind(action.rewind)
                if action.name_neurons:
                    session.name_neurons(_naming_threshold(step.goal))
        reached, status = tracker.check(session.context())
        measured = tuple(session.measure(claim) for claim in step.claims)
        error = None
    except Exception as exc:  # a broken lesson must not stop the walk
        reached, status, error = False, "", f"{type(exc).__name__}: {exc}"
    return StepResult(step.number, step.title, step.goal is not None, reached, status, epochs,
                      time.perf_counter() - start, error, met_on_entry, measured)


def _naming_threshold(goal) -> float:
    """The ``min_correlation`` of the first naming goal in ``goal`` (0.5 if there is none)."""
    if isinstance(goal, NamingGoal):
        return goal.min_correlation
    for part in getattr(goal, "goals", ()):
        found = _naming_threshold(part)
        if found is not None:
            return found
    return 0.5


def run_lesson(lesson: Lesson, *, time_budget: float | None = None,
               seed_offset: int = 0) -> LessonResult:
    """Walk every step of ``lesson`` as a learner pressing "show me" at each one.

    Parameters
    ----------
    lesson
        A loaded lesson.
    time_budget
        Seconds allowed for the whole walk; training stops when they run out (the goal is then
        checked as it stands).
    seed_offset
        Added to every weight seed of the lesson (0: the lesson as written).
    """
    start = time.perf_counter()
    deadline = None if time_budget is None else start + time_budget
    session = LessonSession(seed_offset)
    result = LessonResult(lesson.id)
    for step in lesson.steps:
        result.steps.append(run_step(session, step, deadline))
    result.seconds = time.perf_counter() - start
    return result


def goal_met_on_direct_entry(lesson: Lesson, number: int, seed_offset: int = 0) -> bool:
    """Whether step ``number``'s goal is met as soon as a learner jumps straight to it (the
    presets of steps 1 to ``number`` applied in order, nothing trained)."""
    session = LessonSession(seed_offset)
    for step in lesson.steps[:number]:
        session.begin_step()
        session.apply(step.preset)
    goal = lesson.steps[number - 1].goal
    return goal is not None and session.check(goal)[0]
