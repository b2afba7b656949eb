"""Typed, validated lesson data (what the loader returns)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroviz.lessons.goals import Goal

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


@dataclass(frozen=True)
class Preset:
    """What a step (or its "show me") changes. Anything it does not name stays as it is.

    ``network`` is an engine spec (replaces the whole network, freshly initialised with
    ``seed``); ``weights`` are starting weights, one ``(W, b)`` per dense layer as nested lists
    (W has shape (fan_in, fan_out)); ``reset`` re-initialises the current network.
    """

    dataset: DatasetSettings | None = None
    network: Mapping[str, Any] | None = None
    weights: tuple[tuple[tuple[tuple[float, ...], ...], tuple[float, ...]], ...] | None = None
    training: TrainingSettings | None = None
    seed: int | None = None
    reset: bool = False


@dataclass(frozen=True)
class Solution:
    """A step's "show me": changes to apply, then ``epochs`` of training.

    ``events`` are the events "show me" performs for the learner (for instance it plays the
    explain mode through the forward pass); the app reports them as if the learner had.
    """

    preset: Preset = field(default_factory=Preset)
    epochs: int = 0
    events: tuple[str, ...] = ()


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
