"""Prediction questions, measured claims and multi-action "show me": reading and errors."""

from __future__ import annotations

import pytest

from neuroviz.lessons import load_lesson, read_lesson
from neuroviz.lessons.goals import EventGoal, SequenceGoal
from tests.lessons.conftest import FIRST_SETTINGS, make_lesson

CHOICE = '''
[predict]
question = "Will it work?"
choices = ["yes", "no"]
answer = "yes"
feedback = "It does, because..."
'''
NUMBER = '''
[predict]
question = "How accurate?"
answer = 0.9
tolerance = 0.05
feedback = "About 90 %."
'''


def lesson_with(write_lesson, extra: str = "", text: str = "Press play."):
    return write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS + extra, text)]))


def test_multiple_choice_prediction(write_lesson):
    step = load_lesson(lesson_with(write_lesson, CHOICE)).steps[0]
    p = step.prediction
    assert p.choices == ("yes", "no") and p.answer == "yes"
    assert p.is_right("yes") and not p.is_right("no")
    # the prediction comes first, then the experiment's goal
    assert step.full_goal == SequenceGoal((EventGoal("prediction_made"), step.goal))


def test_number_prediction_with_tolerance(write_lesson):
    p = load_lesson(lesson_with(write_lesson, NUMBER)).steps[0].prediction
    assert p.is_right(0.93) and p.is_right(0.85) and not p.is_right(0.8)
    assert not p.is_right("many")


@pytest.mark.parametrize("old,new,field,reason", [
    ('answer = "yes"', 'answer = "maybe"', "predict.answer", "one of the choices"),
    ('choices = ["yes", "no"]', 'choices = ["yes"]', "predict.choices", "at least two"),
    ('feedback = "It does, because..."', "", "predict.feedback", "missing"),
    ('question = "Will it work?"', "question = 3", "predict.question", "must be text"),
    ('answer = "yes"', 'answer = "yes"\ncolour = "red"', "predict.colour", "unknown field"),
])
def test_prediction_problems(write_lesson, old, new, field, reason):
    _, problems = read_lesson(lesson_with(write_lesson, CHOICE.replace(old, new)))
    assert any(p.step == 1 and p.field == field and reason in p.reason for p in problems), \
        "\n".join(map(str, problems))


def test_number_prediction_needs_a_tolerance(write_lesson):
    _, problems = read_lesson(lesson_with(write_lesson, NUMBER.replace("tolerance = 0.05", "")))
    assert any(p.field == "predict.tolerance" and "missing" in p.reason for p in problems)


def test_prediction_needs_a_goal(write_lesson):
    settings = FIRST_SETTINGS.split("[goal]")[0] + "[solution]\nepochs = 5\n" + CHOICE
    _, problems = read_lesson(write_lesson(make_lesson(steps=[("A", settings, "T")])))
    assert any(p.field == "predict" and "needs a goal" in p.reason for p in problems)


def test_claims_are_shown_as_numbers_and_kept(write_lesson):
    text = ("Accuracy {{measured: test_accuracy = 0.95 ± 0.02}}, loss "
            "{{measured: previous.test_loss = 0.12 +- 0.05}}, {{measured: param_count = 17 ± 0}}.")
    step = load_lesson(lesson_with(write_lesson, text=text)).steps[0]
    assert step.text == "Accuracy 95 %, loss 0.12, 17."
    (acc, loss, params) = step.claims
    assert (acc.metric, acc.value, acc.tolerance, acc.run) == ("test_accuracy", 0.95, 0.02,
                                                               "current")
    assert (loss.metric, loss.run, loss.tolerance) == ("test_loss", "previous", 0.05)
    assert params.metric == "param_count"


@pytest.mark.parametrize("text,reason", [
    ("{{measured: test_accuracy = 0.95}}", "cannot read"),
    ("{{measured: accuracy = 0.95 ± 0.1}}", "unknown metric 'accuracy'"),
    ("{{measured: yesterday.test_loss = 0.1 ± 0.1}}", "unknown run 'yesterday'"),
    ("{{ 95 % }}", "cannot read"),
    ("an open {{measured: test_loss = 0.1 ± 0.1", "without its closing"),
])
def test_claim_problems(write_lesson, text, reason):
    _, problems = read_lesson(lesson_with(write_lesson, text=text))
    assert any(p.step == 1 and p.field == "text" and reason in p.reason for p in problems), \
        "\n".join(map(str, problems))


def test_show_me_with_further_actions(write_lesson):
    extra = '''
[[solution.then]]
training = { batch_size = 25 }
epochs = 10
rewind = "lowest_test_loss"
'''
    solution = load_lesson(lesson_with(write_lesson, extra)).steps[0].solution
    first, second = solution.actions
    assert first.epochs == 60 and second.epochs == 10
    assert second.preset.training.batch_size == 25 and second.rewind == "lowest_test_loss"


def test_show_me_action_problems(write_lesson):
    extra = '''
[[solution.then]]
training = { batch_size = 0 }
rewind = "the start"
'''
    _, problems = read_lesson(lesson_with(write_lesson, extra))
    fields = {p.field for p in problems}
    assert "solution.then[0].training.batch_size" in fields
    assert "solution.then[0].rewind" in fields
