"""Remember lesson progress between runs, in a small JSON file (no Qt).

The app passes the file path (e.g. under ``QStandardPaths.AppDataLocation``). Every change is
written at once, atomically (temporary file in the same folder, then ``os.replace``), so a
crash never leaves half a file. A missing file means "no progress yet"; an unreadable or
corrupt one is kept aside as ``<name>.corrupt`` on the next save, and the store starts empty
with :attr:`ProgressStore.warning` saying what happened.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroviz.fileio import atomic_write_json

FORMAT_VERSION = 1


@dataclass
class LessonProgress:
    """Progress in one lesson: the step to resume at and the steps whose goal was reached."""

    step: int = 1
    completed: set[int] = field(default_factory=set)
    finished: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "completed": sorted(self.completed), "finished": self.finished}

    @classmethod
    def from_json(cls, raw: Any) -> LessonProgress:
        if not isinstance(raw, dict):
            raise ValueError("entry is not an object")
        step = raw.get("step", 1)
        completed = raw.get("completed", [])
        finished = raw.get("finished", False)
        if not isinstance(step, int) or isinstance(step, bool) or step < 1:
            raise ValueError(f"bad step {step!r}")
        if not isinstance(completed, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in completed
        ):
            raise ValueError("bad completed list")
        if not isinstance(finished, bool):
            raise ValueError("bad finished flag")
        return cls(step=step, completed=set(completed), finished=finished)


class ProgressStore:
    """Lesson progress keyed by lesson id, saved to ``path`` after every change.

    Parameters
    ----------
    path
        The JSON file. Its folder is created when first saving.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.warning: str | None = None
        self._corrupt = False
        self._lessons: dict[str, LessonProgress] = {}
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self._mark_corrupt(f"cannot read {self.path}: {exc}")
            return
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not isinstance(raw.get("lessons"), dict):
                raise ValueError("not a neuroviz progress file")
            version = raw.get("version")
            if version != FORMAT_VERSION:
                raise ValueError(f"unsupported version {version!r}")
            lessons = {str(k): LessonProgress.from_json(v) for k, v in raw["lessons"].items()}
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            self._mark_corrupt(f"lesson progress in {self.path} was unreadable ({exc}); "
                               "starting afresh")
            return
        self._lessons = lessons

    def _mark_corrupt(self, message: str) -> None:
        self.warning = message
        self._corrupt = True

    # -- queries ----------------------------------------------------------------------------

    def get(self, lesson_id: str) -> LessonProgress:
        """Progress of one lesson (a fresh record if it was never started)."""
        p = self._lessons.get(lesson_id)
        if p is None:
            return LessonProgress()
        return LessonProgress(p.step, set(p.completed), p.finished)

    def lesson_ids(self) -> list[str]:
        return sorted(self._lessons)

    def fraction_done(self, lesson_id: str, n_steps: int) -> float:
        """Share of the lesson's steps completed, for the picker's progress bar."""
        if n_steps <= 0:
            return 0.0
        done = {n for n in self.get(lesson_id).completed if n <= n_steps}
        return len(done) / n_steps

    # -- changes (each saved at once) -------------------------------------------------------

    def set_step(self, lesson_id: str, step: int) -> None:
        """The step the learner is on (where to resume)."""
        if step < 1:
            raise ValueError(f"step numbers start at 1, got {step}")
        p = self._lessons.setdefault(lesson_id, LessonProgress())
        p.step = step
        self.save()

    def complete_step(self, lesson_id: str, step: int, n_steps: int | None = None) -> None:
        """Mark a step's goal as reached; with ``n_steps``, the lesson is finished when all are."""
        if step < 1:
            raise ValueError(f"step numbers start at 1, got {step}")
        p = self._lessons.setdefault(lesson_id, LessonProgress())
        p.completed.add(step)
        if n_steps is not None and set(range(1, n_steps + 1)) <= p.completed:
            p.finished = True
        self.save()

    def finish(self, lesson_id: str) -> None:
        self._lessons.setdefault(lesson_id, LessonProgress()).finished = True
        self.save()

    def forget(self, lesson_id: str) -> None:
        """Start a lesson over."""
        if self._lessons.pop(lesson_id, None) is not None:
            self.save()

    def save(self) -> None:
        """Write the file atomically; a corrupt original is kept as ``<name>.corrupt``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._corrupt and self.path.exists():
            os.replace(self.path, self.path.with_name(self.path.name + ".corrupt"))
        self._corrupt = False
        data = {"version": FORMAT_VERSION,
                "lessons": {k: v.to_json() for k, v in sorted(self._lessons.items())}}
        atomic_write_json(self.path, data)
