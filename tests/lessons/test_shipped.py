"""Every shipped lesson validates and is sound: over ten seeds no goal is met when its step
opens, "show me" reaches every goal, and every number the text claims matches the runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neuroviz.lessons import check_paths, lesson_files, load_lessons
from neuroviz.lessons.goals import AllGoal, AnyGoal, RunGoal, SequenceGoal, TimelineGoal
from neuroviz.lessons.runner import run_lesson
from neuroviz.lessons.soundness import check_lesson
from neuroviz.resources import lessons_dir

SEEDS = Path("/work/shared/seeds")
WALK_BUDGET_S = 60.0


@pytest.fixture(scope="module")
def lessons():
    found, problems = load_lessons([lessons_dir()])
    assert problems == [], "\n".join(map(str, problems))
    return found


def test_every_shipped_lesson_validates():
    assert check_paths([]) == []


def _uses_runs(goal) -> bool:
    if isinstance(goal, (RunGoal, TimelineGoal)):
        return True
    if isinstance(goal, (AllGoal, AnyGoal, SequenceGoal)):
        return any(_uses_runs(g) for g in goal.goals)
    return False


def test_the_curriculum(lessons):
    assert len(lessons) == 25
    with_predictions = [lsn.id for lsn in lessons if any(s.prediction for s in lsn.steps)]
    assert len(with_predictions) >= 5, with_predictions
    comparing = [lsn.id for lsn in lessons if any(_uses_runs(s.goal) for s in lsn.steps)]
    assert len(comparing) >= 3, comparing
    assert len({lesson.id for lesson in lessons}) == len(lessons)
    for lesson in lessons:
        assert 2 <= len(lesson.steps) <= 6, lesson.id
        goals = [s for s in lesson.steps if s.goal is not None]
        assert goals, f"{lesson.id}: no step is checked"
        for step in goals:
            assert step.solution is not None, f"{lesson.id} step {step.number}: no 'show me'"
            assert step.hints, f"{lesson.id} step {step.number}: no hints"


def test_walking_every_lesson_reaches_every_goal(lessons):
    failures = []
    for lesson in lessons:
        result = run_lesson(lesson, time_budget=WALK_BUDGET_S)
        failures += [f"{lesson.path.name} step {s.number} ({s.title}): {s.error or s.status}"
                     for s in result.failures()]
    assert failures == []


def test_every_lesson_is_sound_over_ten_seeds(lessons):
    """The full check of ``neuroviz lessons check --run``, on every shipped lesson."""
    problems = []
    for lesson in lessons:
        problems += check_lesson(lesson, seeds=10, time_budget=WALK_BUDGET_S).problems
    assert problems == [], "\n".join(map(str, problems))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@pytest.mark.skipif(not SEEDS.is_dir(), reason="curriculum seed documents not available")
def test_lessons_are_written_in_their_own_words():
    n = 8
    seed_grams = set()
    for seed in SEEDS.glob("*.txt"):
        words = _words(seed.read_text(encoding="utf-8"))
        seed_grams |= {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    files, _ = lesson_files([lessons_dir()])
    for f in files + [lessons_dir() / "README.md"]:
        words = _words(f.read_text(encoding="utf-8"))
        copied = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)
                  if tuple(words[i:i + n]) in seed_grams]
        assert copied == [], f"{f.name} repeats the seeds word for word: {copied[:3]}"
