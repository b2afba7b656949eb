"""Is a lesson sound? Walk it with several seeds and check what a learner would meet.

For every step and every seed (starting weights and data shuffles; the data stay the same):

- the goal is not already met when the step opens, neither after the previous step's
  "show me" nor when the learner jumps straight to the step;
- "show me" reaches the goal on all but at most ``allowed_misses`` seeds;
- a goal met by clicking alone (made only of events) comes with a prediction question, so
  the click is an experiment that answers something;
- every number the text claims (``{{measured: ...}}``) is, as the median over the seeds,
  within its stated tolerance of what the runs give.

A lesson that passes cannot be finished by one click that teaches nothing, and does not state
a result the engine contradicts.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from neuroviz.lessons.goals import AllGoal, AnyGoal, EventGoal, Goal, SequenceGoal, format_number
from neuroviz.lessons.runner import goal_met_on_direct_entry, run_lesson
from neuroviz.lessons.schema import Lesson, LessonProblem

#: seeds tried per lesson, and how many of them "show me" may miss the goal on.
SEEDS = 10
ALLOWED_MISSES = 1


@dataclass
class SoundnessReport:
    """What walking one lesson with several seeds found."""

    lesson_id: str
    seeds: int
    problems: list[LessonProblem] = field(default_factory=list)
    seconds: float = 0.0
    #: step number -> list of measured values per claim (one list entry per seed)
    measured: dict[int, list[tuple[float | None, ...]]] = field(default_factory=dict)


def check_lesson(lesson: Lesson, *, seeds: int = SEEDS, allowed_misses: int = ALLOWED_MISSES,
                 time_budget: float | None = None, file: str | None = None) -> SoundnessReport:
    """Walk ``lesson`` once per seed and report every unsound step.

    ``time_budget`` is in seconds for each walk.
    """
    start = time.perf_counter()
    name = file or str(lesson.path)
    report = SoundnessReport(lesson.id, seeds)
    misses: dict[int, list[str]] = {}
    on_entry: dict[int, list[int]] = {}
    direct: dict[int, list[int]] = {}
    errors: dict[int, str] = {}
    for seed in range(seeds):
        result = run_lesson(lesson, time_budget=time_budget, seed_offset=seed)
        for s in result.steps:
            if s.error is not None:
                errors.setdefault(s.number, s.error)
                continue
            if s.has_goal and not s.reached:
                misses.setdefault(s.number, []).append(f"seed {seed}: {s.status}")
            if s.met_on_entry:
                on_entry.setdefault(s.number, []).append(seed)
            report.measured.setdefault(s.number, []).append(s.measured)
        for step in lesson.steps[1:]:
            if step.goal is not None and goal_met_on_direct_entry(lesson, step.number, seed):
                direct.setdefault(step.number, []).append(seed)

    def problem(step: int, field_: str, reason: str) -> None:
        report.problems.append(LessonProblem(name, step, field_, reason))

    for step in lesson.steps:
        n = step.number
        if step.goal is not None and step.prediction is None and clicks_only(step.goal):
            problem(n, "goal", "is met by clicking alone, with nothing asked: add a prediction "
                               "question ([predict]) the click answers, or a goal on a result")
        if n in errors:
            problem(n, "solution", errors[n])
            continue
        if len(misses.get(n, ())) > allowed_misses:
            problem(n, "goal", f"'show me' misses the goal on {len(misses[n])} of {seeds} seeds "
                               f"({'; '.join(misses[n][:3])})")
        if n in on_entry:
            problem(n, "goal", f"already met when the step opens after the previous step's "
                               f"'show me' (seeds {_seeds(on_entry[n])}): the learner has "
                               f"nothing to do")
        if n in direct:
            problem(n, "goal", f"already met when the learner jumps straight to the step "
                               f"(seeds {_seeds(direct[n])})")
        for i, claim in enumerate(step.claims):
            values = [m[i] for m in report.measured.get(n, []) if m[i] is not None]
            if len(values) < seeds:
                problem(n, "text", f"claim {claim.shown} ({claim.metric}): measured on "
                                   f"{len(values)} of {seeds} seeds only")
                continue
            median = statistics.median(values)
            if abs(median - claim.value) > claim.tolerance:
                what = claim.metric if claim.run == "current" else f"{claim.run}.{claim.metric}"
                problem(n, "text", f"claims {what} = {claim.value:g} ± {claim.tolerance:g}, "
                                   f"the runs give {format_number(median)} (median of "
                                   f"{seeds} seeds; range {format_number(min(values))} to "
                                   f"{format_number(max(values))})")
    report.seconds = time.perf_counter() - start
    return report


def clicks_only(goal: Goal) -> bool:
    """Whether some way of meeting ``goal`` needs nothing but events (clicks, hovers)."""
    if isinstance(goal, EventGoal):
        return True
    if isinstance(goal, AnyGoal):
        return any(clicks_only(g) for g in goal.goals)
    if isinstance(goal, (AllGoal, SequenceGoal)):
        return all(clicks_only(g) for g in goal.goals)
    return False


def _seeds(seeds: list[int]) -> str:
    return ", ".join(str(s) for s in seeds[:5]) + (" ..." if len(seeds) > 5 else "")
