"""Goals that name layer kinds, early stopping and the best weights: truth tables against
hand-written specs, reading errors, and the headless runner stopping early as the app does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from neuroviz.lessons.goal_reading import parse_goal
from neuroviz.lessons.goals import (
    GoalContext,
    SettingGoal,
    StructureGoal,
    check_goal,
    hidden_layer_sizes,
    metrics_from_snapshot,
    param_count,
)


def dense(units, act="tanh"):
    return {"type": "dense", "units": units, "activation": act}


def block(*layers, skip=True):
    entry = {"type": "residual", "layers": list(layers)}
    if not skip:
        entry["skip"] = False
    return entry


#: 2 inputs -> dense 4 -> dropout .2 -> block(dense 4, layernorm) -> block(dense 3, skip off)
#: -> dropout .5 -> output
MIXED = {"inputs": 2, "loss": "bce", "layers": [
    dense(4), {"type": "dropout", "rate": 0.2},
    block(dense(4), {"type": "layernorm"}),
    block(dense(3, "relu"), skip=False),
    {"type": "dropout", "rate": 0.5},
    dense(1, "sigmoid")]}


def structure(name, compare="==", value=0, kind=None):
    return check_goal(StructureGoal(name, compare, value, kind=kind), GoalContext(spec=MIXED))


@pytest.mark.parametrize("kind, count", [
    ("dense", 4), ("dropout", 2), ("layernorm", 1), ("residual", 2)])
def test_layers_of_kind_count_nested_layers(kind, count):
    assert structure("layers_of_kind", "==", count, kind)[0]
    assert not structure("layers_of_kind", ">", count, kind)[0]


def test_kind_used_skip_connections_and_dropout_rate():
    assert structure("kind_used", value="residual")[0]
    assert structure("kind_used", value="layernorm")[0]
    plain = {"inputs": 2, "loss": "bce", "layers": [dense(3), dense(1, "sigmoid")]}
    assert not check_goal(StructureGoal("kind_used", "==", "dropout"),
                          GoalContext(spec=plain))[0]
    assert structure("skip_connections", "==", 1)[0]  # one block with its skip off
    done, text = structure("dropout_rate", ">=", 0.5)
    assert done and text.startswith("Highest dropout rate 0.5")
    assert not structure("dropout_rate", ">", 0.5)[0]


def test_hidden_layers_and_parameters_count_every_kind():
    # the hidden neurons are the dense layers' (nested ones included), not dropout's
    assert hidden_layer_sizes(MIXED) == [4, 4, 3]
    assert structure("hidden_layers", "==", 3)[0]
    assert structure("hidden_neurons", "==", 11)[0]
    # counted by hand: dense 2*4+4, block 1 (dense 4*4+4, layernorm 4+4),
    # block 2 (dense 4*3+3, skip off so no projection), output 3*1+1
    assert param_count(MIXED) == 12 + 20 + 8 + 15 + 4
    assert structure("param_count", "==", 59)[0]
    with_projection = {"inputs": 2, "loss": "bce",
                       "layers": [dense(4), block(dense(3)), dense(1, "sigmoid")]}
    assert param_count(with_projection) == 12 + 15 + 4 * 3 + 4


def test_switch_settings_and_best_metrics():
    on = GoalContext(settings={"early_stopping": True, "patience": 20})
    off = GoalContext(settings={"early_stopping": False, "patience": 20})
    goal = SettingGoal("early_stopping", "==", True)
    assert check_goal(goal, on) == (True, "Early stopping on, goal on: done")
    assert check_goal(goal, off)[0] is False
    assert check_goal(SettingGoal("early_stopping", "!=", True), off)[0]
    assert check_goal(SettingGoal("patience", ">=", 20), on)[0]
    snap = SimpleNamespace(epoch=40, train_loss=0.1, test_loss=0.5, metric_name="accuracy",
                           train_metric=1.0, test_metric=0.8, best_epoch=12,
                           best_test_loss=0.3)
    metrics = metrics_from_snapshot(snap)
    assert metrics["best_epoch"] == 12.0 and metrics["best_test_loss"] == 0.3


def read(raw):
    problems = []
    goal = parse_goal(raw, "goal", lambda field, reason: problems.append(f"{field}: {reason}"))
    return goal, problems


def test_reading_kind_goals():
    goal, problems = read({"structure": "layers_of_kind", "kind": "dropout", "compare": ">=",
                           "value": 2})
    assert problems == [] and goal == StructureGoal("layers_of_kind", ">=", 2, kind="dropout")
    goal, problems = read({"structure": "dropout_rate", "compare": ">=", "value": 0.3})
    assert problems == [] and goal.value == 0.3
    goal, problems = read({"setting": "early_stopping", "compare": "==", "value": True})
    assert problems == [] and goal == SettingGoal("early_stopping", "==", True)
    goal, problems = read({"event": "restored_best"})
    assert problems == []


@pytest.mark.parametrize("raw, words", [
    ({"structure": "layers_of_kind", "kind": "lstm", "compare": ">=", "value": 1},
     "goal.kind: must name a layer kind (choose from dense, dropout, layernorm, residual, "
     "conv2d, flatten"),
    ({"structure": "layers_of_kind", "compare": ">=", "value": 1}, "goal.kind: must name"),
    ({"structure": "kind_used", "value": "attention"}, "goal.value: must name a layer kind"),
    ({"structure": "kind_used", "value": "dropout", "compare": "=="},
     "goal.compare: kind_used takes no comparison"),
    ({"structure": "dropout_rate", "compare": ">=", "value": 30},
     "goal.value: dropout_rate is a fraction from 0 to 1"),
    ({"structure": "skip_connections", "kind": "residual", "compare": "==", "value": 0},
     "goal.kind: only layers_of_kind takes a kind"),
    ({"setting": "early_stopping", "compare": "==", "value": 1},
     "goal.value: early_stopping is on or off: write true or false"),
])
def test_bad_kind_goals_name_the_field(raw, words):
    goal, problems = read(raw)
    assert goal is None
    assert any(p.startswith(words) for p in problems), problems


def test_runner_stops_early_and_keeps_the_best_weights():
    """The headless session, like the app: early stopping stops, puts the weights of the
    lowest test loss back and reports it."""
    from neuroviz.lessons.runner import LessonSession
    from neuroviz.lessons.schema import DatasetSettings, Preset, TrainingSettings

    session = LessonSession()
    session.begin_step()
    session.apply(Preset(
        dataset=DatasetSettings(name="moons", noise=0.5, train_ratio=0.1, n_samples=400,
                                seed=0),
        network={"inputs": 2, "loss": "bce", "layers": [dense(32, "relu"), dense(32, "relu"),
                                                         dense(1, "sigmoid")]},
        training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=10,
                                  early_stopping=True, patience=10),
        seed=0))
    trained = session.train(500)
    assert trained < 500
    assert session.event_log[-2:] == ["stopped_early", "restored_best"]
    losses = [metrics["test_loss"] for _, metrics in session.history[:-1]]
    lowest = min(losses)
    best_epoch = session.history[losses.index(lowest)][0]
    assert trained == best_epoch + 10  # patience epochs after the lowest point
    net = session.trainer.net
    import numpy as np

    p = np.clip(net.predict(session.ds.X_test), 1e-12, 1 - 1e-12)
    y = session.ds.Y_test
    bce = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert bce == pytest.approx(lowest, abs=1e-6)  # the weights of the lowest test loss
    ctx = session.context()
    assert ctx.metrics["best_epoch"] == best_epoch
    assert check_goal(SettingGoal("early_stopping", "==", True), ctx)[0]
