"""Lesson goals: plain data, checked against what the learner's network is doing.

A goal is never code. It is one of

- a metric compared with a number: ``{ metric = "test_loss", compare = "<", value = 0.05 }``;
- a structural condition on the network:
  ``{ structure = "hidden_neurons", compare = "<=", value = 4 }`` or
  ``{ structure = "activation_used", value = "relu" }``; layer kinds by name:
  ``{ structure = "kind_used", value = "residual" }``,
  ``{ structure = "layers_of_kind", kind = "dropout", compare = ">=", value = 2 }``,
  ``{ structure = "skip_connections", compare = "==", value = 0 }`` (blocks with the skip on),
  ``{ structure = "dropout_rate", compare = ">=", value = 0.3 }`` (the highest rate);
- an event the app reports: ``{ event = "weight_edited" }``;
- a setting compared with a value: ``{ setting = "batch_size", compare = "==", value = 250 }``;
- a comparison with an earlier run of the step:
  ``{ versus = "previous", metric = "test_loss", compare = "<" }``;
- a position on the timeline: ``{ timeline = "lowest_test_loss", within = 5, trained_past = 40 }``
  (the weights shown are within 5 epochs of the run's lowest test loss, and the run went on for
  at least 40 epochs past it, so the minimum is real);
- every hidden neuron named after what it tracks:
  ``{ name_neurons = ["spend", "awareness"], min_correlation = 0.7 }``;
- a combination: ``{ all = [goal, ...] }``, ``{ any = [goal, ...] }``, or
  ``{ sequence = [goal, ...] }`` (each part met after the one before it).

Any goal may carry ``label = "..."``, the teacher's own words shown instead of the automatic
description. :func:`check_goal` takes a :class:`GoalContext` (the latest metrics, the current
network spec and the set of events seen during the step) and returns ``(done, status_text)``,
e.g. ``(True, "Test loss 0.041, goal below 0.05: done")``. A sequence remembers which of its
parts were met: check it live with a :class:`GoalTracker`, which :func:`check_goal` creates
afresh on every call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neuroviz.lessons.factors import best_names
from neuroviz.lessons.goal_types import (  # noqa: F401  (re-exported)
    COMPARISONS,
    COUNT_METRICS,
    EVENTS,
    FRACTION_METRICS,
    FRACTION_STRUCTURES,
    KIND_LABELS,
    KIND_STRUCTURES,
    METRICS,
    NAME_SETTINGS,
    RUNS,
    SETTING_COMPARISONS,
    SETTINGS,
    STRUCTURE_COMPARISONS,
    STRUCTURES,
    SWITCH_SETTINGS,
    TIMELINE,
    AllGoal,
    AnyGoal,
    EventGoal,
    Goal,
    MetricGoal,
    NamingGoal,
    RunGoal,
    RunRecord,
    SequenceGoal,
    SettingGoal,
    StructureGoal,
    TimelineGoal,
)


@dataclass(frozen=True)
class GoalContext:
    """What a goal is checked against.

    Parameters
    ----------
    metrics
        Metric name -> value or ``None`` when not available (see :data:`METRICS`).
    spec
        The current network spec (engine format), or ``None``.
    events
        The events reported since the step began.
    event_log
        The same events in the order they happened (a sequence needs the order); empty means
        "order unknown".
    settings
        The current settings (see :data:`SETTINGS`).
    runs
        Runs finished during the step, oldest first.
    run
        The current run so far (its history ends with the latest epoch).
    position
        The epoch of the weights shown, when the learner went back on the timeline; ``None``
        for the latest.
    neuron_names
        The learner's name for each neuron of the first hidden layer (by index).
    neuron_factors
        Each such neuron's correlation with each named quantity of the data, or ``None``
        when the data have none (see :mod:`neuroviz.lessons.factors`).
    """

    metrics: Mapping[str, float | None] = field(default_factory=dict)
    spec: Mapping[str, Any] | None = None
    events: frozenset[str] = frozenset()
    event_log: tuple[str, ...] = ()
    settings: Mapping[str, float | str | None] = field(default_factory=dict)
    runs: tuple[RunRecord, ...] = ()
    run: RunRecord | None = None
    position: int | None = None
    neuron_names: Mapping[int, str] = field(default_factory=dict)
    neuron_factors: Mapping[int, Mapping[str, float]] | None = None

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Any,
        spec: Mapping[str, Any] | None,
        events: Iterable[str] = (),
        trained_epochs: int = 0,
        **extra: Any,
    ) -> GoalContext:
        """Build a context from an engine ``Snapshot`` (or ``None`` before any training).

        ``events`` in a list or tuple are taken to be in the order they happened; ``extra``
        sets the other fields (``settings``, ``runs``, ``run``, ``position``).
        """
        ordered = tuple(events) if isinstance(events, (list, tuple)) else ()
        log = tuple(extra.pop("event_log", ordered))
        metrics = metrics_from_snapshot(snapshot, trained_epochs)
        if extra.get("run") is not None:
            metrics["run_epochs"] = float(extra["run"].epochs)
        return cls(metrics, spec,
                   frozenset(events) | frozenset(log), log, **extra)


def metrics_from_snapshot(snapshot: Any, trained_epochs: int = 0) -> dict[str, float | None]:
    """The goal metrics of an engine ``Snapshot``; ``None`` for those it does not have."""
    metrics: dict[str, float | None] = dict.fromkeys(METRICS)
    metrics["trained_epochs"] = float(trained_epochs)
    if snapshot is None:
        return metrics
    metrics["epoch"] = float(snapshot.epoch)
    metrics["train_loss"] = _finite_or_none(snapshot.train_loss)
    metrics["test_loss"] = _finite_or_none(snapshot.test_loss)
    if metrics["train_loss"] is not None and metrics["test_loss"] is not None:
        metrics["loss_gap"] = metrics["test_loss"] - metrics["train_loss"]
    best = getattr(snapshot, "best_epoch", None)
    if best is not None:
        metrics["best_epoch"] = float(best)
        metrics["best_test_loss"] = _finite_or_none(getattr(snapshot, "best_test_loss", None))
    name = {"accuracy": "accuracy", "r2": "r2"}.get(getattr(snapshot, "metric_name", None))
    if name is not None:
        metrics[f"train_{name}"] = _finite_or_none(snapshot.train_metric)
        metrics[f"test_{name}"] = _finite_or_none(snapshot.test_metric)
    return metrics


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# -- checking ---------------------------------------------------------------------------------


def check_goal(goal: Goal | None, context: GoalContext) -> tuple[bool, str]:
    """Whether ``goal`` is met in ``context``, and a one-line status for the learner.

    A step without a goal (``None``) is always done. A sequence checked this way has no memory
    of earlier checks (only the order of events counts); use a :class:`GoalTracker` live.
    """
    return GoalTracker(goal).check(context)


class GoalTracker:
    """Checks one goal again and again as the learner works, remembering how far each
    sequence in it has got (a part of a sequence, once met, stays met)."""

    def __init__(self, goal: Goal | None):
        self.goal = goal
        # id of a SequenceGoal -> (parts met, length of the event log when the last was met)
        self._progress: dict[int, tuple[int, int]] = {}

    def check(self, context: GoalContext) -> tuple[bool, str]:
        if self.goal is None:
            return True, "No goal in this step: read, try things, then go on."
        return self._check_labelled(self.goal, context, 0)

    def _check_labelled(self, goal: Goal, ctx: GoalContext, since: int) -> tuple[bool, str]:
        done, text = self._check(goal, ctx, since)
        if goal.label is not None:
            text = goal.label
        elif isinstance(goal, (AllGoal, AnyGoal, SequenceGoal)):
            return done, text  # each part already says whether it is done
        return done, f"{text}: done" if done else text

    def _check(self, goal: Goal, ctx: GoalContext, since: int) -> tuple[bool, str]:
        if isinstance(goal, MetricGoal):
            return _check_metric(goal, ctx)
        if isinstance(goal, StructureGoal):
            return _check_structure(goal, ctx)
        if isinstance(goal, EventGoal):
            return _event_after(ctx, goal.event, since) is not None, EVENTS.get(goal.event,
                                                                                goal.event)
        if isinstance(goal, SettingGoal):
            return _check_setting(goal, ctx)
        if isinstance(goal, RunGoal):
            return _check_run(goal, ctx)
        if isinstance(goal, TimelineGoal):
            return _check_timeline(goal, ctx)
        if isinstance(goal, NamingGoal):
            return _check_naming(goal, ctx)
        if isinstance(goal, (AllGoal, AnyGoal)):
            parts = [self._check_labelled(g, ctx, since) for g in goal.goals]
            results = [done for done, _ in parts]
            done = all(results) if isinstance(goal, AllGoal) else any(results)
            joiner = "; " if isinstance(goal, AllGoal) else " or "
            return done, joiner.join(text for _, text in parts)
        if isinstance(goal, SequenceGoal):
            return self._check_sequence(goal, ctx, since)
        raise TypeError(f"not a goal: {goal!r}")

    def _check_sequence(self, goal: SequenceGoal, ctx: GoalContext,
                        since: int) -> tuple[bool, str]:
        met, mark = self._progress.get(id(goal), (0, since))
        while met < len(goal.goals):
            part = goal.goals[met]
            done, _ = self._check_labelled(part, ctx, mark)
            if not done:
                break
            if isinstance(part, EventGoal) and ctx.event_log:
                mark = _event_after(ctx, part.event, mark) + 1
            else:
                mark = max(mark, len(ctx.event_log))
            met += 1
        self._progress[id(goal)] = (met, mark)
        n = len(goal.goals)
        if met == n:
            return True, f"All {n} parts done in order"
        _, text = self._check_labelled(goal.goals[met], ctx, mark)
        return False, f"Part {met + 1} of {n}: {text}"


def _event_after(ctx: GoalContext, event: str, since: int) -> int | None:
    """Index in the event log of ``event`` at or after ``since`` (or ``since`` itself when
    the context has no log and the event happened)."""
    if not ctx.event_log:
        return since if event in ctx.events else None
    for i in range(since, len(ctx.event_log)):
        if ctx.event_log[i] == event:
            return i
    return None


def _compare(value: float, compare: str, threshold: float) -> bool:
    if compare == "<":
        return value < threshold
    if compare == "<=":
        return value <= threshold
    if compare == ">":
        return value > threshold
    if compare == ">=":
        return value >= threshold
    if compare == "==":
        return value == threshold
    if compare == "!=":
        return value != threshold
    raise ValueError(f"unknown comparison {compare!r}")


def format_number(value: float, metric: str | None = None) -> str:
    """A number as the learner reads it: ``0.041``, ``93.5%``, ``120``, ``3.2e-05``."""
    if metric in FRACTION_METRICS:
        return f"{100 * value:.1f}%".replace(".0%", "%")
    if metric in COUNT_METRICS or float(value).is_integer() and abs(value) >= 1:
        return f"{value:.0f}"
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return f"{value:.1e}"
    return f"{value:.3f}"


def format_threshold(value: float, metric: str | None = None) -> str:
    """A teacher's threshold, written as short as it was given: ``0.05``, ``95%``."""
    if metric in FRACTION_METRICS:
        return f"{100 * value:g}%"
    return f"{value:g}"


def _check_metric(goal: MetricGoal, ctx: GoalContext) -> tuple[bool, str]:
    label = METRICS.get(goal.metric, goal.metric)
    wanted = f"goal {COMPARISONS[goal.compare]} {format_threshold(goal.value, goal.metric)}"
    value = ctx.metrics.get(goal.metric)
    if value is None or not math.isfinite(value):
        return False, f"{label} not available yet, {wanted}"
    done = _compare(value, goal.compare, goal.value)
    return done, f"{label} {format_number(value, goal.metric)}, {wanted}"


def layer_kind(layer: Mapping[str, Any]) -> str:
    """The kind of a spec entry (``dense`` when it names none)."""
    return str(layer.get("type", "dense"))


def all_layers(spec: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every layer of an engine spec in order, the layers inside residual blocks included
    (each block before its inner layers), the output layer last."""
    out: list[Mapping[str, Any]] = []

    def visit(layers) -> None:
        for layer in layers:
            if isinstance(layer, Mapping):
                out.append(layer)
                if layer_kind(layer) == "residual":
                    visit(layer.get("layers", ()))

    if spec:
        visit(spec.get("layers", ()))
    return out


def hidden_dense_layers(spec: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The hidden layers that have neurons: every dense layer but the output layer, those
    inside residual blocks included (dropout and normalisation layers have no neurons)."""
    layers = all_layers(spec)
    return [layer for layer in layers[:-1] if layer_kind(layer) == "dense"]


def hidden_layer_sizes(spec: Mapping[str, Any] | None) -> list[int]:
    """Units of each hidden (dense) layer of an engine spec."""
    return [int(layer.get("units", 0)) for layer in hidden_dense_layers(spec)]


def hidden_activations(spec: Mapping[str, Any] | None) -> list[str]:
    return [str(layer.get("activation", "")) for layer in hidden_dense_layers(spec)]


def network_events(old_spec: Mapping[str, Any], new_spec: Mapping[str, Any]) -> set[str]:
    """Lesson events of a network edit: hidden layers or neurons added or removed, an
    activation changed (the output layer's included). The window and the headless lesson
    runner both derive their network events here."""
    events: set[str] = set()
    before, after = hidden_layer_sizes(old_spec), hidden_layer_sizes(new_spec)
    if len(after) > len(before):
        events.add("layer_added")
    elif len(after) < len(before):
        events.add("layer_removed")
    common = min(len(before), len(after))
    if any(a > b for a, b in zip(after[:common], before[:common])):
        events.add("neuron_added")
    if any(a < b for a, b in zip(after[:common], before[:common])):
        events.add("neuron_removed")
    acts0 = hidden_activations(old_spec) + [str(old_spec["layers"][-1].get("activation"))]
    acts1 = hidden_activations(new_spec) + [str(new_spec["layers"][-1].get("activation"))]
    if acts0[:common] != acts1[:common] or (len(acts0) == len(acts1) and acts0 != acts1):
        events.add("activation_changed")
    return events


def layers_of_kind(spec: Mapping[str, Any] | None, kind: str) -> int:
    """How many layers of ``kind`` the network has, nested ones and the output included."""
    return sum(1 for layer in all_layers(spec) if layer_kind(layer) == kind)


def skip_connections(spec: Mapping[str, Any] | None) -> int:
    """Residual blocks whose skip connection is on."""
    return sum(1 for layer in all_layers(spec)
               if layer_kind(layer) == "residual" and layer.get("skip", True))


def dropout_rate(spec: Mapping[str, Any] | None) -> float:
    """The highest dropout rate in the network (0 without dropout)."""
    return max((float(layer.get("rate", 0.5)) for layer in all_layers(spec)
                if layer_kind(layer) == "dropout"), default=0.0)


def param_count(spec: Mapping[str, Any] | None) -> int:
    """Parameters of every layer of an engine spec (0 for no spec or a malformed one)."""
    from neuroviz.engine import SpecError
    from neuroviz.engine.network import layer_param_counts

    if not spec:
        return 0
    try:
        return sum(layer_param_counts(dict(spec)))
    except (SpecError, TypeError, ValueError):
        return 0


def _check_setting(goal: SettingGoal, ctx: GoalContext) -> tuple[bool, str]:
    label = SETTINGS.get(goal.setting, goal.setting)
    if goal.setting in SWITCH_SETTINGS:
        current = ctx.settings.get(goal.setting)
        wanted = bool(goal.value) if goal.compare == "==" else not bool(goal.value)
        state = "unknown" if current is None else ("on" if current else "off")
        done = current is not None and bool(current) == wanted
        return done, f"{label} {state}, goal {'on' if wanted else 'off'}"
    wanted = f"goal {SETTING_COMPARISONS[goal.compare]} {goal.value}"
    if isinstance(goal.value, float) or isinstance(goal.value, int):
        wanted = f"goal {SETTING_COMPARISONS[goal.compare]} {format_threshold(goal.value)}"
    current = ctx.settings.get(goal.setting)
    if current is None:
        return False, f"{label} not known, {wanted}"
    if goal.setting in NAME_SETTINGS:
        return _compare_names(str(current), goal.compare, str(goal.value)), \
            f"{label} {current}, {wanted}"
    done = _compare(float(current), goal.compare, float(goal.value))
    return done, f"{label} {format_threshold(float(current))}, {wanted}"


def _compare_names(current: str, compare: str, wanted: str) -> bool:
    return current == wanted if compare == "==" else current != wanted


def _check_run(goal: RunGoal, ctx: GoalContext) -> tuple[bool, str]:
    label = METRICS.get(goal.metric, goal.metric)
    which = RUNS.get(goal.versus, goal.versus)
    head = f"{label} {COMPARISONS[goal.compare]} {which}'s"
    if goal.same_epochs:
        head += " after as many epochs"
    earlier = (ctx.runs[-1] if goal.versus == "previous" else ctx.runs[0]) if ctx.runs else None
    if earlier is None or earlier.epochs < 1:
        return False, f"{head}: train a run, then start afresh and train another"
    run = ctx.run
    if run is None or run.epochs < 1:
        return False, f"{head}: train the new run"
    now = ctx.metrics.get(goal.metric)
    then_value = earlier.final.get(goal.metric)
    if goal.same_epochs:
        if run.epochs < earlier.epochs:
            return False, (f"{head}: train this run {earlier.epochs} epochs, as long as the "
                           f"earlier one ({run.epochs} so far)")
        at = run.at_epoch(earlier.epochs)
        now = None if at is None else at.get(goal.metric)
    if now is None or then_value is None or not math.isfinite(now) \
            or not math.isfinite(then_value):
        return False, f"{head}: {label.lower()} not available"
    m = goal.margin
    threshold = then_value - m if goal.compare in ("<", "<=") else then_value + m
    done = _compare(now, goal.compare, threshold)
    wanted = head[len(label) + 1:]
    return done, (f"{label} {format_number(now, goal.metric)} now, "
                  f"{format_number(then_value, goal.metric)} in {which}; goal {wanted}")


def lowest_test_loss_epoch(run: RunRecord | None) -> int | None:
    """The epoch with the lowest test loss of a run's history (the first, on ties)."""
    if run is None:
        return None
    best, best_epoch = math.inf, None
    for epoch, metrics in run.history:
        loss = metrics.get("test_loss")
        if loss is not None and math.isfinite(loss) and loss < best:
            best, best_epoch = loss, epoch
    return best_epoch


def _check_timeline(goal: TimelineGoal, ctx: GoalContext) -> tuple[bool, str]:
    run = ctx.run
    best = lowest_test_loss_epoch(run)
    if run is None or best is None:
        return False, "Train, watching the test loss"
    last = run.history[-1][0]
    if last - best < goal.trained_past:
        return False, (f"Train on: the lowest test loss so far was at epoch {best}; keep going "
                       f"until epoch {best + goal.trained_past} to be sure it stays the lowest")
    shown = last if ctx.position is None else ctx.position
    done = abs(shown - best) <= goal.within
    return done, (f"Weights from epoch {shown}; lowest test loss at epoch {best}, goal within "
                  f"{goal.within} epochs of it")


def _check_naming(goal: NamingGoal, ctx: GoalContext) -> tuple[bool, str]:
    if not ctx.neuron_factors:
        return False, "Name the hidden neurons (needs a hidden layer and data with named factors)"
    right = best_names(ctx.neuron_factors, goal.min_correlation)
    named = [j for j in right if j in ctx.neuron_names]
    correct = [j for j in named if ctx.neuron_names[j] == right[j]]
    n = len(right)
    if len(named) < n:
        return False, f"Name every hidden neuron: {len(named)} of {n} named"
    done = len(correct) == n
    return done, f"{len(correct)} of {n} hidden neurons named after what they track"


def _check_structure(goal: StructureGoal, ctx: GoalContext) -> tuple[bool, str]:
    label = STRUCTURES.get(goal.structure, goal.structure)
    if goal.structure == "activation_used":
        done = goal.value in hidden_activations(ctx.spec)
        return done, f"{label} {goal.value}"
    if goal.structure == "kind_used":
        done = layers_of_kind(ctx.spec, str(goal.value)) > 0
        return done, f"{label} {goal.value}"
    if goal.structure in KIND_STRUCTURES or goal.structure in FRACTION_STRUCTURES or \
            goal.structure == "skip_connections":
        if goal.structure == "layers_of_kind":
            label = KIND_LABELS.get(str(goal.kind), f"Layers of kind {goal.kind}")
            current: float = layers_of_kind(ctx.spec, str(goal.kind))
        elif goal.structure == "skip_connections":
            current = skip_connections(ctx.spec)
        else:
            current = dropout_rate(ctx.spec)
        wanted = (f"goal {STRUCTURE_COMPARISONS[goal.compare]} "
                  f"{format_threshold(float(goal.value))}")
        done = ctx.spec is not None and _compare(float(current), goal.compare,
                                                 float(goal.value))
        return done, f"{label} {current:g}, {wanted}"
    sizes = hidden_layer_sizes(ctx.spec)
    if goal.structure == "param_count":
        current = param_count(ctx.spec)
    elif goal.structure == "hidden_layers":
        current = len(sizes)
    elif goal.structure == "hidden_neurons":
        current = sum(sizes)
    else:
        current = max(sizes, default=0)
    wanted = f"goal {STRUCTURE_COMPARISONS[goal.compare]} {format_threshold(float(goal.value))}"
    done = ctx.spec is not None and _compare(float(current), goal.compare, float(goal.value))
    return done, f"{label} {current}, {wanted}"


def goal_events(goal: Goal | None) -> set[str]:
    """All event names a goal mentions (the app may want to know what to listen for)."""
    if goal is None:
        return set()
    if isinstance(goal, EventGoal):
        return {goal.event}
    if isinstance(goal, (AllGoal, AnyGoal, SequenceGoal)):
        return set().union(*(goal_events(g) for g in goal.goals))
    return set()
