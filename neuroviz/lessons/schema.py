"""Typed, validated lesson data (what the loader returns)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroviz.lessons.goals import EventGoal, Goal, SequenceGoal

#: the lesson format this code reads; a file must say ``schema_version = 1``.
SCHEMA_VERSION = 1
LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class LessonProblem:
    """One problem in one lesson file, found by the validator.

    ``step`` is the 1-based step number, or ``None`` for the lesson's front matter and for
    problems with the file as a whole.
    """

    file: str
    step: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"step {self.step}: " if self.step is not None else ""
        return f"{self.file}: {where}{self.field}: {self.reason}"


class LessonError(ValueError):
    """A lesson file could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[LessonProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class DatasetSettings:
    """Dataset settings of a preset; ``None`` means "leave as it is"."""

    name: str | None = None
    noise: float | None = None
    train_ratio: float | None = None
    features: tuple[str, ...] | None = None
    seed: int | None = None
    n_samples: int | None = None
    options: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TrainingSettings:
    """Hyperparameters of a preset; ``None`` means "leave as it is"."""

    optimizer: str | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    l1: float | None = None
    l2: float | None = None
    momentum: float | None = None
    early_stopping: bool | None = None  # stop when the test loss stops improving, keep best
    patience: int | None = None         # epochs without a lower test loss before stopping


@dataclass(frozen=True)
class Preset:
    """What a step (or its "show me") changes. Anything it does not name stays as it is.

    ``network`` is an engine spec (replaces the whole network, freshly initialised with
    ``seed``); ``weights`` are starting weights, one ``(W, b)`` per layer with weights as
    nested lists (a dense W has shape (fan_in, fan_out); a convolution kernel
    (kernel, kernel, input channels, filters)); ``reset`` re-initialises the current network.
    """

    dataset: DatasetSettings | None = None
    network: Mapping[str, Any] | None = None
    weights: tuple[tuple[tuple, tuple[float, ...]], ...] | None = None
    training: TrainingSettings | None = None
    seed: int | None = None
    reset: bool = False


@dataclass(frozen=True)
class SolutionAction:
    """One thing "show me" does: apply ``preset``, report ``events``, train ``epochs``, then
    (with ``rewind``) go back on the timeline, e.g. to the epoch of the lowest test loss;
    with ``name_neurons``, name each hidden neuron after the quantity it tracks."""

    preset: Preset = field(default_factory=Preset)
    epochs: int = 0
    events: tuple[str, ...] = ()
    rewind: str | None = None
    name_neurons: bool = False


@dataclass(frozen=True)
class Solution:
    """A step's "show me": changes to apply, then ``epochs`` of training.

    ``events`` are the events "show me" performs for the learner (for instance it plays the
    explain mode through the forward pass); the app reports them as if the learner had.
    ``then`` lists further actions done after this one, in order (a run, then a second run to
    compare with it).
    """

    preset: Preset = field(default_factory=Preset)
    epochs: int = 0
    events: tuple[str, ...] = ()
    rewind: str | None = None
    then: tuple[SolutionAction, ...] = ()
    name_neurons: bool = False

    @property
    def actions(self) -> tuple[SolutionAction, ...]:
        """Everything "show me" does, in order."""
        first = SolutionAction(self.preset, self.epochs, self.events, self.rewind,
                               self.name_neurons)
        return (first, *self.then)


@dataclass(frozen=True)
class Prediction:
    """A question the learner answers before the experiment; the answer and ``feedback`` are
    shown once the step's goal is met.

    Multiple choice: ``choices`` and ``answer`` (one of the choices). A number: ``answer`` is a
    number and ``tolerance`` how far a guess may be from it and still count as right.
    """

    question: str
    answer: str | float
    feedback: str
    choices: tuple[str, ...] = ()
    tolerance: float | None = None
    unit: str = ""

    def is_right(self, guess: str | float) -> bool:
        """Whether a learner's answer counts as right."""
        if self.choices:
            return guess == self.answer
        try:
            value = float(guess)
        except (TypeError, ValueError):
            return False
        # a guess right at the edge counts, whatever the rounding of 0.9 - 0.85
        slack = 1e-9 * max(1.0, abs(float(self.answer)))
        return abs(value - float(self.answer)) <= float(self.tolerance or 0.0) + slack


@dataclass(frozen=True)
class Claim:
    """A number the step's text states from a run, written ``{{measured: ...}}``.

    It is shown as ``shown``; ``neuroviz lessons check --run`` measures ``metric`` (of the
    current run, or with ``run = "previous"``/``"first"`` of an earlier run of the step) at the
    end of the step's "show me" and checks it lies within ``tolerance`` of ``value``.
    """

    metric: str
    value: float
    tolerance: float
    shown: str
    run: str = "current"


@dataclass(frozen=True)
class Step:
    """One step of a lesson. ``number`` counts from 1; ``text`` is Markdown."""

    number: int
    title: str
    text: str
    preset: Preset | None = None
    goal: Goal | None = None
    hints: tuple[str, ...] = ()
    solution: Solution | None = None
    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    images: tuple[Path, ...] = ()
    line: int = 0
    prediction: Prediction | None = None
    claims: tuple[Claim, ...] = ()

    @property
    def full_goal(self) -> Goal | None:
        """The goal including the prediction: first predict, then meet ``goal``."""
        if self.prediction is None or self.goal is None:
            return self.goal
        return SequenceGoal((EventGoal("prediction_made"), self.goal))


@dataclass(frozen=True)
class Lesson:
    """A whole lesson, as loaded from one file."""

    path: Path
    schema_version: int
    id: str
    title: str
    summary: str
    level: str
    minutes: int
    steps: tuple[Step, ...]

    @property
    def folder(self) -> Path:
        """The lesson's own folder: the only place (with ``assets/``) it may read images from."""
        return self.path.parent
