"""Malformed lessons are refused with a message naming file, step, field and reason."""

from __future__ import annotations

import pytest

from neuroviz.lessons import LessonError, LessonProblem, load_lesson, read_lesson
from tests.lessons.conftest import FIRST_SETTINGS, FRONT, make_lesson


def problems_of(write_lesson, source: str, name: str = "tiny.md") -> list[LessonProblem]:
    path = write_lesson(source, name)
    lesson, problems = read_lesson(path)
    assert (lesson is None) == bool(problems)
    return problems


def assert_problem(problems, step, field, reason_part):
    hits = [p for p in problems if p.step == step and p.field == field and reason_part in p.reason]
    assert hits, f"no problem at step {step}, field {field!r} with {reason_part!r} in:\n" + \
        "\n".join(str(p) for p in problems)


def test_the_base_lesson_is_good(write_lesson):
    lesson = load_lesson(write_lesson(make_lesson()))
    assert lesson.id == "tiny"
    assert lesson.minutes == 5
    assert len(lesson.steps) == 1
    step = lesson.steps[0]
    assert step.number == 1 and step.title == "Solve XOR" and step.text == "Press play."
    assert step.preset.dataset.name == "xor"
    assert step.preset.training.learning_rate == 0.03
    assert step.solution.epochs == 60


def test_problem_string_names_file_step_field_and_reason(write_lesson):
    bad = FIRST_SETTINGS.replace('metric = "test_accuracy"', 'metric = "accuracy"')
    path = write_lesson(make_lesson(steps=[("A", bad, "text")]))
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    message = str(info.value)
    assert message.startswith(f"{path}: step 1: goal.metric: unknown metric 'accuracy'")


FRONT_CASES = [
    ("schema_version = 1\n", "", "schema_version", "missing"),
    ("schema_version = 1\n", "schema_version = 2\n", "schema_version", "not supported"),
    ("schema_version = 1\n", 'schema_version = "1"\n', "schema_version", "whole number"),
    ('id = "tiny"\n', "", "id", "missing"),
    ('id = "tiny"\n', 'id = "Tiny Lesson"\n', "id", "lower-case"),
    ('title = "Tiny"\n', "title = 3\n", "title", "must be text"),
    ('level = "beginner"\n', 'level = "expert"\n', "level", "unknown level"),
    ("minutes = 5\n", 'minutes = "five"\n', "minutes", "whole number"),
    ("minutes = 5\n", "minutes = 5\nauthor = 'me'\n", "author", "unknown field"),
]


@pytest.mark.parametrize("old,new,field,reason", FRONT_CASES)
def test_front_matter_problems(write_lesson, old, new, field, reason):
    front = FRONT.replace(old, new, 1)
    assert_problem(problems_of(write_lesson, make_lesson(front=front)), None, field, reason)


STEP_CASES = [
    # unknown names
    ('metric = "test_accuracy"', 'metric = "accuracy"', "goal.metric", "unknown metric"),
    ('compare = ">="', 'compare = "=>"', "goal.compare", "unknown comparison"),
    ('compare = ">="\n', "", "goal.compare", "missing"),
    ('name = "xor"', 'name = "mnist"', "preset.dataset.name", "unknown dataset"),
    ('optimizer = "adam"', 'optimizer = "lbfgs"', "preset.training.optimizer",
     "unknown optimizer"),
    ('activation = "tanh"', 'activation = "tanhh"', "preset.network", "unknown activation"),
    ("[preset]", "hidden = [\"play\", \"warp_drive\"]\n[preset]", "hidden[1]",
     "unknown control"),
    ("[solution]", "[solution]\nevents = [\"coffee_made\"]", "solution.events[0]",
     "unknown event"),
    # thresholds
    ("value = 0.9", "value = nan", "goal.value", "finite"),
    ("value = 0.9", "value = inf", "goal.value", "finite"),
    ("value = 0.9", "value = -inf", "goal.value", "finite"),
    ("value = 0.9", 'value = "0.9"', "goal.value", "must be a number"),
    ("value = 0.9", "value = 95", "goal.value", "fraction between 0 and 1"),
    ("value = 0.9\n", "", "goal.value", "missing"),
    # wrong types
    ("learning_rate = 0.03", 'learning_rate = "fast"', "preset.training.learning_rate",
     "must be a number"),
    ("learning_rate = 0.03", "learning_rate = nan", "preset.training.learning_rate", "finite"),
    ("learning_rate = 0.03", "learning_rate = 0", "preset.training.learning_rate", "above 0"),
    ("noise = 0.0", "noise = 20", "preset.dataset.noise", "for 20% write 0.2"),
    ("epochs = 60", "epochs = 6.5", "solution.epochs", "whole number"),
    ("epochs = 60", "epochs = true", "solution.epochs", "whole number"),
    ("[preset]", "hints = \"just one\"\n[preset]", "hints", "must be a list"),
    # structure of goals
    ('metric = "test_accuracy"', 'metric = "test_accuracy"\nevent = "reset"', "goal",
     "exactly one of"),
    ("[goal]", "[goal]\nwhatever = 1", "goal.whatever", "unknown field"),
    # unknown step field (a typo)
    ("[preset]", "hiden = [\"play\"]\n[preset]", "hiden", "unknown field"),
    ("[goal]", "hidden = [\"play\"]\n[goal]", "preset.hidden", "unknown field"),
    # inconsistent network and data
    ("inputs = 2", "inputs = 3", "preset.network", "3 input(s) but the data has 2"),
]


@pytest.mark.parametrize("old,new,field,reason", STEP_CASES)
def test_step_problems(write_lesson, old, new, field, reason):
    assert old in FIRST_SETTINGS
    settings = FIRST_SETTINGS.replace(old, new, 1)
    problems = problems_of(write_lesson, make_lesson(steps=[("A", settings, "Text.")]))
    assert_problem(problems, 1, field, reason)


def test_every_problem_is_reported_not_just_the_first(write_lesson):
    settings = (FIRST_SETTINGS.replace('metric = "test_accuracy"', 'metric = "acc"')
                .replace('optimizer = "adam"', 'optimizer = "lbfgs"')
                .replace("epochs = 60", "epochs = -1"))
    second = '[goal]\nevent = "nope"\n'
    problems = problems_of(write_lesson, make_lesson(
        front=FRONT.replace('level = "beginner"', 'level = "guru"'),
        steps=[("A", settings, "Text."), ("B", second, "")]))
    fields = {(p.step, p.field) for p in problems}
    assert {(None, "level"), (1, "goal.metric"), (1, "preset.training.optimizer"),
            (1, "solution.epochs"), (2, "goal.event"), (2, "text")} <= fields


def test_missing_fields_in_steps(write_lesson):
    problems = problems_of(write_lesson, make_lesson(steps=[("", None, "")]))
    assert_problem(problems, 1, "title", "no title")
    assert_problem(problems, 1, "text", "no text")
    assert_problem(problems, 1, "preset.dataset", "first step must choose a dataset")


def test_weights_must_fit_the_network(write_lesson):
    # inserted before [goal], the line belongs to the [preset] table
    settings = FIRST_SETTINGS.replace("[goal]", "weights = [{ W = [[1.0]], b = [0.0] }]\n[goal]")
    src = make_lesson(steps=[("A", settings, "T")])
    assert_problem(problems_of(write_lesson, src), 1, "preset.weights", "do not fit")


def test_weights_with_nan_and_ragged_rows(write_lesson):
    settings = FIRST_SETTINGS.replace(
        "[goal]", "weights = [{ W = [[1.0, 2.0], [1.0]], b = [0.0] }, { W = [[nan]], b = [0] }]"
                  "\n[goal]")
    problems = problems_of(write_lesson, make_lesson(steps=[("A", settings, "T")]))
    assert_problem(problems, 1, "preset.weights[0].W", "rows of equal length")
    assert_problem(problems, 1, "preset.weights[1]", "finite numbers")


def test_toml_syntax_error_gives_the_file_line(write_lesson):
    source = make_lesson(steps=[("A", FIRST_SETTINGS.replace("epochs = 60", "epochs = = 60"),
                                 "T")])
    path = write_lesson(source)
    problems = read_lesson(path)[1]
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "epochs = = 60" in text)
    assert_problem(problems, 1, "settings", f"line {line}")


def test_front_matter_required(write_lesson):
    problems = problems_of(write_lesson, "## Step\n\nText\n")
    assert_problem(problems, None, "front matter", "must start with")
    problems = problems_of(write_lesson, "+++\nid = 'x'\n\n## Step\n")
    assert_problem(problems, None, "front matter", "never closed")


def test_text_before_first_step_is_refused(write_lesson):
    source = make_lesson().replace("+++\n\n## Solve", "+++\nIntro text\n\n## Solve")
    assert_problem(problems_of(write_lesson, source), None, "text", "before the first step")


def test_headings_inside_code_blocks_do_not_start_steps(write_lesson):
    text = "Look:\n\n```\n## not a step\n```\n\nDone."
    lesson = load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS, text)])))
    assert len(lesson.steps) == 1
    assert "## not a step" in lesson.steps[0].text


@pytest.mark.parametrize("ref,reason", [
    ("../outside.png", "leaves the lesson's folder"),
    ("images/../../outside.png", "leaves the lesson's folder"),
    ("/etc/passwd.png", "absolute paths"),
    ("https://example.com/x.png", "URLs"),
    ("file:///tmp/x.png", "URLs"),
    ("missing.png", "not found"),
    ("notes.txt", "not an image"),
    ("asset:../pyproject.png", "leaves the assets folder"),
])
def test_images_must_stay_in_the_lesson_folder(write_lesson, tmp_path, ref, reason):
    (tmp_path / "outside.png").write_bytes(b"png")
    (tmp_path / "lesson").mkdir()
    (tmp_path / "lesson" / "notes.txt").write_text("x")
    text = f"See ![a picture]({ref}) here."
    problems = problems_of(write_lesson, make_lesson(steps=[("A", FIRST_SETTINGS, text)]),
                           name="lesson/tiny.md")
    assert_problem(problems, 1, "text", reason)


def test_html_images_are_checked_too(write_lesson):
    text = 'See <img src="../secret.png"> here.'
    problems = problems_of(write_lesson, make_lesson(steps=[("A", FIRST_SETTINGS, text)]),
                           name="lesson/tiny.md")
    assert_problem(problems, 1, "text", "leaves the lesson's folder")


def test_images_inside_the_folder_are_resolved(write_lesson, tmp_path):
    (tmp_path / "lesson" / "images").mkdir(parents=True)
    (tmp_path / "lesson" / "images" / "neuron.png").write_bytes(b"png")
    text = "See ![a neuron](images/neuron.png \"title\")."
    lesson = load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS, text)]),
                                      name="lesson/tiny.md"))
    assert lesson.steps[0].images == ((tmp_path / "lesson" / "images" / "neuron.png").resolve(),)


def test_partial_presets_build_on_earlier_steps(write_lesson):
    second = """
    [preset]
    dataset = { noise = 0.2 }
    training = { learning_rate = 0.01 }
    """
    lesson = load_lesson(write_lesson(make_lesson(
        steps=[("A", FIRST_SETTINGS, "T"), ("B", second, "U")])))
    from neuroviz.lessons import setup_for_step

    setup = setup_for_step(lesson, 2)
    assert setup.dataset.name == "xor" and setup.dataset.noise == 0.2
    assert setup.training.optimizer == "adam" and setup.training.learning_rate == 0.01
    assert setup.network["layers"][0]["units"] == 4


def test_switching_to_a_dataset_with_other_inputs_refits_the_network(write_lesson):
    # no network in step 2: the app (and the validator) fit inputs/outputs to the new data
    second = '[preset]\ndataset = "penguins"\n'
    load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS, "T"), ("B", second, "U")])))
