"""Guided lessons: schema, loader, validator, goal checker, progress store, headless runner.

No Qt here: the app's lesson panel builds on this package.

>>> from neuroviz.lessons import load_lessons, check_goal, GoalContext
>>> lessons, problems = load_lessons([lessons_dir()])        # doctest: +SKIP
"""

from neuroviz.lessons.check import check_paths, cli_check
from neuroviz.lessons.controls import CONTROL_IDS, CONTROLS
from neuroviz.lessons.goals import (
    EVENTS,
    METRICS,
    STRUCTURES,
    AllGoal,
    AnyGoal,
    EventGoal,
    FilterGoal,
    Goal,
    GoalContext,
    GoalTracker,
    MetricGoal,
    NamingGoal,
    RunGoal,
    RunRecord,
    SequenceGoal,
    SettingGoal,
    StructureGoal,
    TimelineGoal,
    check_goal,
    goal_events,
)
from neuroviz.lessons.loader import (
    image_references,
    lesson_files,
    load_lesson,
    load_lessons,
    read_lesson,
    resolve_image,
    resolve_resource,
    resource_references,
    text_resources,
)
from neuroviz.lessons.progress import LessonProgress, ProgressStore
from neuroviz.lessons.schema import (
    SCHEMA_VERSION,
    Claim,
    DatasetSettings,
    Lesson,
    LessonError,
    LessonProblem,
    Prediction,
    Preset,
    Solution,
    SolutionAction,
    Step,
    TrainingSettings,
)
from neuroviz.lessons.setup import Setup, apply_preset, setup_for_step

__all__ = [
    "CONTROLS", "CONTROL_IDS", "EVENTS", "METRICS", "SCHEMA_VERSION", "STRUCTURES",
    "AllGoal", "AnyGoal", "Claim", "DatasetSettings", "EventGoal", "FilterGoal", "Goal",
    "GoalContext",
    "GoalTracker", "Lesson", "LessonError", "LessonProblem", "LessonProgress", "MetricGoal",
    "NamingGoal", "Prediction", "Preset", "ProgressStore", "RunGoal", "RunRecord",
    "SequenceGoal", "SettingGoal", "Setup", "Solution", "SolutionAction", "Step",
    "StructureGoal", "TimelineGoal", "TrainingSettings", "apply_preset",
    "check_goal", "check_paths", "cli_check", "goal_events", "image_references", "lesson_files",
    "load_lesson", "load_lessons", "read_lesson", "resolve_image", "resolve_resource",
    "resource_references", "setup_for_step", "text_resources",
]
