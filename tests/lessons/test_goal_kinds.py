"""Settings, run-comparison, timeline and sequence goals: truth tables and reading errors."""

from __future__ import annotations

import pytest

from neuroviz.lessons.goal_reading import parse_goal
from neuroviz.lessons.goals import (
    EventGoal,
    GoalContext,
    GoalTracker,
    MetricGoal,
    RunGoal,
    RunRecord,
    SequenceGoal,
    SettingGoal,
    StructureGoal,
    TimelineGoal,
    check_goal,
    param_count,
)


def run_of(*values, metric="test_loss", start=0):
    """A run whose history has ``values`` of ``metric`` at epochs start, start+1, ..."""
    return RunRecord(tuple((start + i, {metric: v}) for i, v in enumerate(values)))


@pytest.mark.parametrize("setting,compare,value,expected", [
    ("batch_size", "==", 250, True),
    ("batch_size", "==", 25, False),
    ("batch_size", "!=", 25, True),
    ("learning_rate", ">=", 0.01, True),
    ("learning_rate", "<", 0.01, False),
    ("optimizer", "==", "sgd", True),
    ("optimizer", "!=", "sgd", False),
])
def test_setting_goals(setting, compare, value, expected):
    ctx = GoalContext(settings={"batch_size": 250, "learning_rate": 0.03, "optimizer": "sgd"})
    assert check_goal(SettingGoal(setting, compare, value), ctx)[0] is expected


def test_setting_goal_without_settings_is_not_done():
    assert check_goal(SettingGoal("batch_size", "==", 250), GoalContext())[0] is False


def test_param_count_against_hand_count():
    spec = {"inputs": 2, "loss": "bce", "layers": [
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "dense", "units": 3, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]}
    # 2*4 + 4 = 12, 4*3 + 3 = 15, 3*1 + 1 = 4
    assert param_count(spec) == 31
    goal = StructureGoal("param_count", ">=", 31)
    assert check_goal(goal, GoalContext(spec=spec))[0] is True
    assert check_goal(StructureGoal("param_count", ">", 31), GoalContext(spec=spec))[0] is False


def test_run_comparison_takes_the_earlier_run_as_it_ended():
    earlier = run_of(0.7, 0.5, 0.4)                   # 2 epochs, ended at 0.4
    goal = RunGoal("previous", "test_loss", "<", margin=0.1)
    now = run_of(0.7, 0.2)
    assert check_goal(goal, GoalContext({"test_loss": 0.2}, runs=(earlier,), run=now))[0]
    assert not check_goal(goal, GoalContext({"test_loss": 0.35}, runs=(earlier,), run=now))[0]
    # no earlier run, or an untrained current run: never done
    assert not check_goal(goal, GoalContext({"test_loss": 0.0}, runs=(), run=now))[0]
    assert not check_goal(goal, GoalContext({"test_loss": 0.0}, runs=(earlier,),
                                            run=run_of(0.0)))[0]


def test_run_comparison_with_same_epochs_uses_the_current_run_at_that_epoch():
    earlier = run_of(0.7, 0.6, 0.5)                    # trained 2 epochs, ended at 0.5
    goal = RunGoal("previous", "test_loss", "<", same_epochs=True)
    short = run_of(0.7, 0.1)                           # only 1 epoch so far
    ctx = GoalContext({"test_loss": 0.1}, runs=(earlier,), run=short)
    done, status = check_goal(goal, ctx)
    assert not done and "2 epochs" in status
    # after 2 epochs it was at 0.55 (worse), even though it is better later on
    longer = run_of(0.7, 0.6, 0.55, 0.1)
    assert not check_goal(goal, GoalContext({"test_loss": 0.1}, runs=(earlier,), run=longer))[0]
    better = run_of(0.7, 0.3, 0.45, 0.9)
    assert check_goal(goal, GoalContext({"test_loss": 0.9}, runs=(earlier,), run=better))[0]


def test_first_and_previous_runs():
    first, second = run_of(1.0, 0.2), run_of(1.0, 0.8)
    now = run_of(1.0, 0.5)
    ctx = GoalContext({"test_loss": 0.5}, runs=(first, second), run=now)
    assert check_goal(RunGoal("previous", "test_loss", "<"), ctx)[0] is True
    assert check_goal(RunGoal("first", "test_loss", "<"), ctx)[0] is False


def test_timeline_goal_needs_training_past_the_minimum_and_going_back():
    losses = [0.9, 0.5, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7]   # lowest at epoch 2
    goal = TimelineGoal("lowest_test_loss", within=1, trained_past=5)
    run = run_of(*losses)
    # at the latest epoch (7): trained 5 past the minimum, but not back near it
    assert not check_goal(goal, GoalContext(run=run))[0]
    assert check_goal(goal, GoalContext(run=run, position=2))[0]
    assert check_goal(goal, GoalContext(run=run, position=3))[0]
    assert not check_goal(goal, GoalContext(run=run, position=4))[0]
    # not trained long enough past the minimum: going back does not count yet
    early = run_of(*losses[:6])
    assert not check_goal(goal, GoalContext(run=early, position=2))[0]


def test_sequence_of_events_follows_their_order():
    goal = SequenceGoal((EventGoal("weight_edited"), EventGoal("explain_forward_done")))
    in_order = GoalContext(event_log=("weight_edited", "explain_forward_done"),
                           events=frozenset({"weight_edited", "explain_forward_done"}))
    reversed_ = GoalContext(event_log=("explain_forward_done", "weight_edited"),
                            events=frozenset({"weight_edited", "explain_forward_done"}))
    assert check_goal(goal, in_order)[0] is True
    assert check_goal(goal, reversed_)[0] is False


def test_sequence_remembers_a_state_met_earlier():
    small = MetricGoal("test_loss", "<", 0.1)
    goal = SequenceGoal((small, EventGoal("reset")))
    tracker = GoalTracker(goal)
    assert tracker.check(GoalContext({"test_loss": 0.05}))[0] is False   # part 1 met
    later = GoalContext({"test_loss": 0.7}, event_log=("reset",), events=frozenset({"reset"}))
    assert tracker.check(later)[0] is True
    # a fresh check does not know part 1 was met before
    assert check_goal(goal, later)[0] is False


def _parse(raw):
    problems = []
    goal = parse_goal(raw, "goal", lambda f, r: problems.append((f, r)), ("relu",))
    return goal, problems


def test_reading_the_new_kinds():
    goal, problems = _parse({"sequence": [
        {"setting": "batch_size", "compare": "==", "value": 250},
        {"versus": "previous", "metric": "test_loss", "compare": "<", "same_epochs": True},
        {"timeline": "lowest_test_loss", "within": 2, "trained_past": 30},
    ]})
    assert problems == []
    assert goal == SequenceGoal((
        SettingGoal("batch_size", "==", 250.0),
        RunGoal("previous", "test_loss", "<", 0.0, True),
        TimelineGoal("lowest_test_loss", 2, 30),
    ))


@pytest.mark.parametrize("raw,field,reason", [
    ({"setting": "colour", "compare": "==", "value": 1}, "goal.setting", "unknown setting"),
    ({"setting": "optimizer", "compare": "<", "value": "adam"}, "goal.compare", "unknown"),
    ({"setting": "batch_size", "compare": "==", "value": "big"}, "goal.value", "number"),
    ({"versus": "yesterday", "metric": "test_loss", "compare": "<"}, "goal.versus", "unknown"),
    ({"versus": "previous", "compare": "<"}, "goal.metric", "missing"),
    ({"versus": "previous", "metric": "epoch", "compare": "<"}, "goal.metric", "unknown"),
    ({"versus": "previous", "metric": "test_loss", "compare": "<", "margin": -1},
     "goal.margin", "at least 0"),
    ({"timeline": "lowest_test_loss", "within": 5, "trained_past": 5}, "goal.within",
     "smaller than trained_past"),
    ({"timeline": "best", "within": 1, "trained_past": 5}, "goal.timeline", "unknown"),
    ({"timeline": "lowest_test_loss", "within": 1}, "goal.trained_past", "missing"),
    ({"sequence": [{"event": "reset"}]}, "goal.sequence", "at least two"),
])
def test_reading_problems_of_the_new_kinds(raw, field, reason):
    goal, problems = _parse(raw)
    assert goal is None
    assert any(f == field and reason in r for f, r in problems), problems


def test_naming_goal_against_numpy_correlations():
    import numpy as np

    from neuroviz.data import load_dataset
    from neuroviz.data.boxoffice import season
    from neuroviz.engine import Network
    from neuroviz.lessons.factors import best_names, neuron_correlations
    from neuroviz.lessons.goals import NamingGoal

    ds = load_dataset("boxoffice", noise=0.0, train_ratio=0.5, seed=0)
    net = Network.from_spec({"inputs": 4, "loss": "mse", "layers": [
        {"type": "dense", "units": 3, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "linear"}]}, seed=0)
    corr = neuron_correlations(net, ds)
    # reference: the recipe's quantities from the raw columns, np.corrcoef per neuron
    raw = ds.X_train * ds.feature_std + ds.feature_mean
    budget, ads, stars, month = raw.T
    awareness = 1 - np.exp(-(ads / 50 + stars / 10))
    factors = {"spend": budget + ads, "awareness": awareness,
               "distribution": 0.3 + 0.4 * season(month) + 0.3 * awareness}
    W, b = net.get_weights()[0]
    hidden = np.tanh(ds.X_train @ W + b)
    for j in range(3):
        for name, values in factors.items():
            expected = np.corrcoef(hidden[:, j], values)[0, 1]
            assert corr[j][name] == pytest.approx(expected, abs=1e-6)
    right = best_names(corr, 0.5)
    goal = NamingGoal(("spend", "awareness", "distribution"), 0.5)
    assert check_goal(goal, GoalContext(neuron_names=right, neuron_factors=corr))[0]
    wrong = {j: ("none" if name != "none" else "spend") for j, name in right.items()}
    assert not check_goal(goal, GoalContext(neuron_names=wrong, neuron_factors=corr))[0]
    partial = dict(list(right.items())[:2])
    done, status = check_goal(goal, GoalContext(neuron_names=partial, neuron_factors=corr))
    assert not done and "2 of 3 named" in status
