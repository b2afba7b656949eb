"""Goal checker truth tables and status texts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from neuroviz.lessons import (
    AllGoal,
    AnyGoal,
    EventGoal,
    GoalContext,
    MetricGoal,
    StructureGoal,
    check_goal,
    goal_events,
)
from neuroviz.lessons.goal_reading import parse_goal
from neuroviz.lessons.goals import metrics_from_snapshot


def spec(*hidden, act="tanh"):
    layers = [{"type": "dense", "units": u, "activation": act} for u in hidden]
    layers.append({"type": "dense", "units": 1, "activation": "sigmoid"})
    return {"inputs": 2, "layers": layers, "loss": "bce"}


def ctx(spec_=None, events=(), **metrics):
    return GoalContext(metrics=metrics, spec=spec_, events=frozenset(events))


@pytest.mark.parametrize("compare,value,expected", [
    ("<", 0.04, False), ("<", 0.041, False), ("<", 0.05, True),
    ("<=", 0.041, True), ("<=", 0.04, False),
    (">", 0.041, False), (">", 0.04, True),
    (">=", 0.041, True), (">=", 0.05, False),
])
def test_metric_comparisons(compare, value, expected):
    done, _ = check_goal(MetricGoal("test_loss", compare, value), ctx(test_loss=0.041))
    assert done is expected


def test_metric_status_text():
    goal = MetricGoal("test_loss", "<", 0.05)
    done = (True, "Test loss 0.041, goal below 0.05: done")
    assert check_goal(goal, ctx(test_loss=0.041)) == done
    assert check_goal(goal, ctx(test_loss=0.12)) == (False, "Test loss 0.120, goal below 0.05")
    acc = MetricGoal("test_accuracy", ">=", 0.95)
    assert check_goal(acc, ctx(test_accuracy=0.935)) == (
        False, "Test accuracy 93.5%, goal at least 95%")
    r2 = MetricGoal("test_r2", ">=", 0.9)
    assert check_goal(r2, ctx(test_r2=0.912))[1] == "Test R² 0.912, goal at least 0.9: done"


def test_missing_or_nonfinite_metric_is_not_done():
    goal = MetricGoal("test_loss", "<", 0.05)
    assert check_goal(goal, ctx()) == (False, "Test loss not available yet, goal below 0.05")
    assert check_goal(goal, ctx(test_loss=None))[0] is False
    assert check_goal(goal, ctx(test_loss=float("nan")))[0] is False


@pytest.mark.parametrize("structure,compare,value,hidden,expected", [
    ("hidden_layers", "==", 0, (), True),
    ("hidden_layers", "==", 0, (4,), False),
    ("hidden_layers", ">=", 2, (4, 4), True),
    ("hidden_layers", "<=", 1, (4, 4), False),
    ("hidden_neurons", "<=", 4, (2, 2), True),
    ("hidden_neurons", "<=", 4, (4, 1), False),
    ("hidden_neurons", ">", 0, (), False),
    ("widest_layer", ">=", 8, (2, 8), True),
    ("widest_layer", "<", 3, (2, 8), False),
])
def test_structure_goals(structure, compare, value, hidden, expected):
    done, text = check_goal(StructureGoal(structure, compare, value), ctx(spec(*hidden)))
    assert done is expected
    assert text.endswith(": done") is expected


def test_structure_without_a_network_is_not_done():
    assert check_goal(StructureGoal("hidden_layers", "==", 0), ctx(None))[0] is False


def test_activation_used_looks_at_hidden_layers_only():
    goal = StructureGoal("activation_used", "==", "relu")
    assert check_goal(goal, ctx(spec(4, act="relu")))[0] is True
    assert check_goal(goal, ctx(spec(4, act="tanh")))[0] is False
    sigmoid = StructureGoal("activation_used", "==", "sigmoid")
    assert check_goal(sigmoid, ctx(spec()))[0] is False  # output layer does not count


def test_event_goals():
    goal = EventGoal("weight_edited")
    assert check_goal(goal, ctx(events={"weight_edited"})) == (True, "Edit a weight by hand: done")
    assert check_goal(goal, ctx(events={"bias_edited"})) == (False, "Edit a weight by hand")


A = MetricGoal("test_loss", "<", 0.05)
B = EventGoal("weight_edited")


@pytest.mark.parametrize("loss,events,all_done,any_done", [
    (0.01, {"weight_edited"}, True, True),
    (0.01, set(), False, True),
    (0.10, {"weight_edited"}, False, True),
    (0.10, set(), False, False),
])
def test_all_and_any_truth_table(loss, events, all_done, any_done):
    c = ctx(events=events, test_loss=loss)
    assert check_goal(AllGoal((A, B)), c)[0] is all_done
    assert check_goal(AnyGoal((A, B)), c)[0] is any_done


def test_nested_combinations_and_labels():
    goal = AllGoal((AnyGoal((A, B)), StructureGoal("hidden_layers", "==", 0)), label="Do it")
    assert check_goal(goal, ctx(spec(), test_loss=0.01)) == (True, "Do it: done")
    assert check_goal(goal, ctx(spec(3), test_loss=0.01)) == (False, "Do it")
    status = check_goal(AllGoal((A, B)), ctx(test_loss=0.01))[1]
    assert status == "Test loss 0.010, goal below 0.05: done; Edit a weight by hand"
    assert goal_events(goal) == {"weight_edited"}


def test_no_goal_is_always_done():
    assert check_goal(None, ctx())[0] is True


def test_metrics_from_snapshot():
    snap = SimpleNamespace(epoch=12, train_loss=0.2, test_loss=0.3, metric_name="accuracy",
                           train_metric=0.9, test_metric=0.85)
    m = metrics_from_snapshot(snap, trained_epochs=5)
    assert m["epoch"] == 12 and m["trained_epochs"] == 5
    assert m["test_accuracy"] == 0.85 and m["test_r2"] is None
    assert m["loss_gap"] == pytest.approx(0.1)
    reg = SimpleNamespace(epoch=0, train_loss=float("inf"), test_loss=None, metric_name="r2",
                          train_metric=0.5, test_metric=None)
    m = metrics_from_snapshot(reg)
    assert m["train_loss"] is None and m["train_r2"] == 0.5 and m["loss_gap"] is None
    assert metrics_from_snapshot(None)["test_loss"] is None


def _parse(raw):
    problems = []
    goal = parse_goal(raw, "goal", lambda f, r: problems.append((f, r)), ("relu", "tanh"))
    return goal, problems


def test_parse_goal_round_trip():
    goal, problems = _parse({"all": [
        {"metric": "test_loss", "compare": "<", "value": 0.05},
        {"any": [{"event": "weight_edited"}, {"structure": "activation_used", "value": "relu"}]},
        {"structure": "hidden_neurons", "compare": "<=", "value": 4, "label": "Small"},
    ]})
    assert problems == []
    assert goal == AllGoal((
        MetricGoal("test_loss", "<", 0.05),
        AnyGoal((EventGoal("weight_edited"), StructureGoal("activation_used", "==", "relu"))),
        StructureGoal("hidden_neurons", "<=", 4, "Small"),
    ))


@pytest.mark.parametrize("raw,field,reason", [
    ({"metric": "loss", "compare": "<", "value": 1}, "goal.metric", "unknown metric"),
    ({"metric": "test_loss", "compare": "!=", "value": 1}, "goal.compare", "unknown comparison"),
    ({"metric": "test_loss", "compare": "==", "value": 1}, "goal.compare", "unknown comparison"),
    ({"metric": "test_loss", "compare": "<", "value": float("nan")}, "goal.value", "finite"),
    ({"metric": "test_loss", "compare": "<", "value": True}, "goal.value", "must be a number"),
    ({"structure": "hidden_layers", "compare": "==", "value": 1.5}, "goal.value", "whole"),
    ({"structure": "depth", "compare": "==", "value": 1}, "goal.structure", "unknown structure"),
    ({"structure": "activation_used", "value": "swishy"}, "goal.value", "unknown activation"),
    ({"event": "coffee"}, "goal.event", "unknown event"),
    ({"all": []}, "goal.all", "non-empty list"),
    ({"any": [{"event": "reset"}, {"metric": "x"}]}, "goal.any[1].metric", "unknown metric"),
    ({}, "goal", "exactly one of"),
    ("test_loss < 0.05", "goal", "must be a table"),
])
def test_parse_goal_problems(raw, field, reason):
    goal, problems = _parse(raw)
    assert goal is None
    assert any(f == field and reason in r for f, r in problems), problems
