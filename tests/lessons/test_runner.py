"""The headless session: presets, refitting to new data, events, goals."""

from __future__ import annotations

from neuroviz.lessons import load_lesson, setup_for_step
from neuroviz.lessons.runner import LessonSession, run_lesson
from tests.lessons.conftest import FIRST_SETTINGS, make_lesson


def test_show_me_reports_the_events_of_its_changes(write_lesson):
    second = """
    [goal]
    all = [{ event = "learning_rate_changed" }, { event = "layer_added" },
           { event = "features_changed" }, { event = "weight_edited" }]

    [solution]
    dataset = { features = ["x1", "x2", "x1*x2"] }
    training = { learning_rate = 0.1 }
    network = { inputs = 3, loss = "bce", layers = [
      { type = "dense", units = 4, activation = "tanh" },
      { type = "dense", units = 4, activation = "tanh" },
      { type = "dense", units = 1, activation = "sigmoid" },
    ] }
    weights = [
      { W = [[0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2], [0.3, 0.3, 0.3, 0.3]], b = [0, 0, 0, 0] },
      { W = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], b = [0, 0, 0, 0] },
      { W = [[1], [1], [1], [1]], b = [0] },
    ]
    """
    lesson = load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS, "T"),
                                                         ("B", second, "U")])))
    result = run_lesson(lesson)
    assert result.ok, result.failures()


def test_changing_features_refits_the_inputs(write_lesson):
    second = '[preset]\ndataset = { features = ["x1", "x2", "x1^2"] }\n'
    lesson = load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS, "T"),
                                                         ("B", second, "U")])))
    session = LessonSession()
    session.apply(lesson.steps[0].preset)
    session.apply(lesson.steps[1].preset)
    assert session.spec["inputs"] == 3
    assert session.trainer.net.n_inputs == 3
    assert session.spec["layers"][0]["units"] == 4  # hidden layers kept


def test_goal_is_checked_live_and_training_stops_when_reached(write_lesson):
    lesson = load_lesson(write_lesson(make_lesson()))
    result = run_lesson(lesson)
    (step,) = result.steps
    assert step.reached and 0 < step.epochs < 60
    assert step.status.endswith(": done")


def test_time_budget_stops_training(write_lesson):
    lesson = load_lesson(write_lesson(make_lesson()))
    result = run_lesson(lesson, time_budget=0.0)
    assert result.steps[0].epochs == 0 and not result.ok


def test_setup_for_step_with_and_without_solutions(write_lesson):
    second = "[preset]\ntraining = { batch_size = 25 }\n"
    lesson = load_lesson(write_lesson(make_lesson(steps=[
        ("A", FIRST_SETTINGS.replace("epochs = 60", "epochs = 60\ntraining = { l2 = 0.01 }"),
         "T"),
        ("B", second, "U")])))
    plain = setup_for_step(lesson, 2)
    assert plain.training.batch_size == 25 and plain.training.l2 == 0.0
    assert setup_for_step(lesson, 2, with_solutions=True).training.l2 == 0.01
