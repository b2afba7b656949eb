"""The ten-seed soundness check catches goals met on entry, unreliable "show me", contradicted
claims and click-only goals; and the headless session keeps runs and the timeline."""

from __future__ import annotations

import numpy as np

from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer
from neuroviz.lessons import load_lesson
from neuroviz.lessons.runner import LessonSession, run_lesson
from neuroviz.lessons.soundness import check_lesson
from tests.lessons.conftest import FIRST_SETTINGS, make_lesson

SECOND_PRESET_ONLY = """
[goal]
metric = "test_accuracy"
compare = ">="
value = 0.9

[solution]
epochs = 60
"""


def problems(write_lesson, steps, seeds=3):
    lesson = load_lesson(write_lesson(make_lesson(steps=steps)))
    return check_lesson(lesson, seeds=seeds).problems


def test_a_sound_lesson_has_no_problems(write_lesson):
    assert problems(write_lesson, [("A", FIRST_SETTINGS, "Press play.")]) == []


def test_goal_already_met_when_the_step_opens(write_lesson):
    # step 2 asks for what step 1's "show me" has already reached
    found = problems(write_lesson, [("A", FIRST_SETTINGS, "T"), ("B", SECOND_PRESET_ONLY, "U")])
    assert any(p.step == 2 and p.field == "goal" and "already met when the step opens"
               in p.reason for p in found), found


def test_show_me_that_fails_on_most_seeds(write_lesson):
    weak = FIRST_SETTINGS.replace("epochs = 60", "epochs = 1")
    found = problems(write_lesson, [("A", weak, "T")])
    assert any(p.field == "goal" and "misses the goal on 3 of 3 seeds" in p.reason
               for p in found), found


def test_claims_are_checked_against_the_runs(write_lesson):
    # XOR solved by a trained network: its test accuracy is certainly above 0.9 (the goal),
    # so a claim of 0.5 ± 0.1 is contradicted and one of 0.95 ± 0.05 holds
    wrong = problems(write_lesson, [("A", FIRST_SETTINGS,
                                     "{{measured: test_accuracy = 0.5 ± 0.1}}")])
    assert any(p.field == "text" and "claims test_accuracy = 0.5" in p.reason for p in wrong)
    right = problems(write_lesson, [("A", FIRST_SETTINGS,
                                     "{{measured: test_accuracy = 0.95 ± 0.05}}")])
    assert right == []


def test_click_only_goal_needs_a_prediction(write_lesson):
    click = FIRST_SETTINGS.split("[goal]")[0] + ('[goal]\nevent = "neuron_hovered"\n\n'
                                                 '[solution]\nevents = ["neuron_hovered"]\n')
    found = problems(write_lesson, [("A", click, "T")], seeds=1)
    assert any("clicking alone" in p.reason for p in found)
    asked = click + ('\n[predict]\nquestion = "Q?"\nchoices = ["a", "b"]\nanswer = "a"\n'
                     'feedback = "F."\n')
    assert problems(write_lesson, [("A", asked, "T")], seeds=1) == []


def test_runs_end_when_the_network_starts_afresh(write_lesson):
    lesson = load_lesson(write_lesson(make_lesson()))
    session = LessonSession()
    session.apply(lesson.steps[0].preset)
    session.train(5)
    assert session.current_run().epochs == 5 and session.runs == []
    session.apply(lesson.steps[0].preset)          # the preset names a network: fresh start
    assert len(session.runs) == 1 and session.runs[0].epochs == 5
    assert session.current_run().epochs == 0


def test_seed_offset_changes_the_starting_weights(write_lesson):
    lesson = load_lesson(write_lesson(make_lesson()))
    a, b = LessonSession(0), LessonSession(1)
    a.apply(lesson.steps[0].preset)
    b.apply(lesson.steps[0].preset)
    wa, wb = a.trainer.net.get_weights()[0][0], b.trainer.net.get_weights()[0][0]
    assert not np.allclose(wa, wb)
    assert np.allclose(wa, Network.from_spec(a.spec, seed=0).get_weights()[0][0])
    assert np.allclose(wb, Network.from_spec(b.spec, seed=1).get_weights()[0][0])


def test_rewind_loads_the_weights_of_the_lowest_test_loss():
    # an independent run of the same network: record the test loss and weights each epoch
    ds = load_dataset("moons", noise=0.5, train_ratio=0.1, seed=0)
    spec = {"inputs": 2, "loss": "bce", "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, optimizer="adam",
                      lr=0.01, batch_size=10, seed=0, task=ds.task)
    losses, weights = [trainer.snapshot().test_loss], [net.get_weights()]
    for _ in range(60):
        losses.append(trainer.run_epochs(1).test_loss)
        weights.append([(W.copy(), b.copy()) for W, b in trainer.net.get_weights()])
    best = int(np.argmin(losses))

    from neuroviz.lessons.schema import DatasetSettings, Preset, TrainingSettings

    session = LessonSession()
    session.apply(Preset(dataset=DatasetSettings(name="moons", noise=0.5, train_ratio=0.1,
                                                 seed=0),
                         network=spec, seed=0,
                         training=TrainingSettings(optimizer="adam", learning_rate=0.01,
                                                   batch_size=10)))
    session.train(60)
    session.rewind("lowest_test_loss")
    assert session.position == best
    for (W, b), (W0, b0) in zip(session.trainer.net.get_weights(), weights[best]):
        np.testing.assert_allclose(W, W0)
        np.testing.assert_allclose(b, b0)
    assert session.snapshot.test_loss == min(losses)


def test_the_walk_answers_the_prediction_first(write_lesson):
    extra = '\n[predict]\nquestion = "Q?"\nanswer = 1\ntolerance = 0\nfeedback = "F."\n'
    lesson = load_lesson(write_lesson(make_lesson(steps=[("A", FIRST_SETTINGS + extra, "T")])))
    result = run_lesson(lesson)
    assert result.ok and result.steps[0].status == "All 2 parts done in order"
