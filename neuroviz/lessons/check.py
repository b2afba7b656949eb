"""``neuroviz lessons check [PATH...]``: validate lesson files, optionally walk them."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from neuroviz.lessons.loader import lesson_files, read_lesson
from neuroviz.lessons.schema import LessonProblem


def check_paths(paths: Sequence[str | Path], *, run: bool = False,
                time_budget: float = 60.0, seeds: int = 10) -> list[LessonProblem]:
    """Every problem in the lesson files under ``paths`` (files, or folders searched for
    ``*.md`` other than README.md). No paths: the shipped lessons.

    With ``run``, each valid lesson is also walked headlessly ``seeds`` times, with other
    starting weights each time (presets and "show me" applied, training up to the solution's
    epochs; see :mod:`neuroviz.lessons.soundness`): a goal met as the step opens, a goal
    "show me" misses on more than one seed in ten, and a claimed number the runs contradict
    are problems too. ``time_budget`` is in seconds per walk.
    """
    if not paths:
        from neuroviz.resources import lessons_dir

        paths = [lessons_dir()]
    files, problems = lesson_files(paths)
    seen: dict[str, Path] = {}
    for f in files:
        lesson, found = read_lesson(f)
        problems.extend(found)
        if lesson is None:
            continue
        if lesson.id in seen:
            problems.append(LessonProblem(str(f), None, "id",
                                          f"{lesson.id!r} is already used by {seen[lesson.id]}"))
        seen[lesson.id] = f
        if run:
            from neuroviz.lessons.soundness import check_lesson

            problems.extend(check_lesson(lesson, seeds=seeds, time_budget=time_budget,
                                         file=str(f)).problems)
    return problems


def cli_check(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
              err: TextIO | None = None) -> int:
    """Command-line entry: print every problem as ``file: step N: field: reason``.

    Returns 0 when every lesson is good, 1 when there are problems, 2 for bad usage.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="neuroviz lessons check",
        description="Check lesson files: every problem is printed as "
                    "'file: step N: field: reason'.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="lesson files or folders (default: the shipped lessons)")
    parser.add_argument("--run", action="store_true",
                        help="also walk each lesson headlessly and check its goals are reached")
    parser.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                        help="time budget per walk of a lesson for --run (default 60)")
    parser.add_argument("--seeds", type=int, default=10, metavar="N",
                        help="walks per lesson for --run, each with other starting weights "
                             "(default 10)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse already printed the usage message or the help
        return 0 if exc.code == 0 else 2
    if args.seeds < 1:
        print("neuroviz lessons check: --seeds must be at least 1", file=err)
        return 2
    problems = check_paths(args.paths, run=args.run, time_budget=args.budget, seeds=args.seeds)
    for problem in problems:
        print(problem, file=out)
    if not args.quiet:
        files, _ = lesson_files(args.paths or _default_paths())
        bad = {p.file for p in problems}
        print(f"{len(files)} lesson file(s) checked, {len(problems)} problem(s) in "
              f"{len(bad)} file(s)", file=err)
    return 1 if problems else 0


def _default_paths() -> list[Path]:
    from neuroviz.resources import lessons_dir

    return [lessons_dir()]
