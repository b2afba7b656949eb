"""Lesson goals: plain data, checked against what the learner's network is doing.

A goal is never code. It is one of

- a metric compared with a number: ``{ metric = "test_loss", compare = "<", value = 0.05 }``;
- a structural condition on the network:
  ``{ structure = "hidden_neurons", compare = "<=", value = 4 }`` or
  ``{ structure = "activation_used", value = "relu" }``;
- an event the app reports: ``{ event = "weight_edited" }``;
- a combination: ``{ all = [goal, ...] }`` or ``{ any = [goal, ...] }``.

Any goal may carry ``label = "..."``, the teacher's own words shown instead of the automatic
description. :func:`check_goal` takes a :class:`GoalContext` (the latest metrics, the current
network spec and the set of events seen during the step) and returns ``(done, status_text)``,
e.g. ``(True, "Test loss 0.041, goal below 0.05: done")``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: metric name -> label shown to the learner.
METRICS: dict[str, str] = {
    "train_loss": "Training loss",
    "test_loss": "Test loss",
    "loss_gap": "Test loss minus training loss",
    "train_accuracy": "Training accuracy",
    "test_accuracy": "Test accuracy",
    "train_r2": "Training R²",
    "test_r2": "Test R²",
    "epoch": "Epoch",
    "trained_epochs": "Epochs trained in this step",
}
#: metrics whose threshold must lie in [0, 1] (shown as a percentage).
FRACTION_METRICS = frozenset({"train_accuracy", "test_accuracy"})
#: metrics counted in whole epochs.
COUNT_METRICS = frozenset({"epoch", "trained_epochs"})

#: comparison -> words used in the status text.
COMPARISONS: dict[str, str] = {
    "<": "below",
    "<=": "at most",
    ">": "above",
    ">=": "at least",
}
#: structural conditions on numbers also allow equality ("no hidden layer": == 0).
STRUCTURE_COMPARISONS: dict[str, str] = {**COMPARISONS, "==": "exactly"}

#: structural quantity -> label. ``activation_used`` takes an activation name as value.
STRUCTURES: dict[str, str] = {
    "hidden_layers": "Hidden layers",
    "hidden_neurons": "Hidden neurons in total",
    "widest_layer": "Neurons in the widest hidden layer",
    "activation_used": "A hidden layer using",
}

#: events the app reports to the lesson panel -> what the learner has to do.
EVENTS: dict[str, str] = {
    "weight_edited": "Edit a weight by hand",
    "bias_edited": "Edit a bias by hand",
    "dataset_changed": "Pick another dataset",
    "features_changed": "Change the input features",
    "noise_changed": "Change the noise",
    "train_ratio_changed": "Change the train/test split",
    "batch_size_changed": "Change the batch size",
    "layer_added": "Add a hidden layer",
    "layer_removed": "Remove a hidden layer",
    "neuron_added": "Add a neuron",
    "neuron_removed": "Remove a neuron",
    "activation_changed": "Change an activation",
    "learning_rate_changed": "Change the learning rate",
    "optimizer_changed": "Change the optimizer",
    "regularization_changed": "Change the regularisation",
    "training_started": "Start training",
    "stepped": "Train a single epoch with the step button",
    "reset": "Reset the network",
    "diverged": "Make the training diverge",
    "neuron_hovered": "Hover over a neuron",
    "example_selected": "Pick one example",
    "show_test_toggled": "Toggle the test data",
    "gradient_view_on": "Colour the edges by gradient",
    "explain_started": "Start the explain mode",
    "explain_forward_done": "Step through the whole forward pass",
    "explain_backward_reached": "Reach the backward pass",
    "explain_backward_done": "Step through the whole backward pass",
    "explain_update_done": "See the weights updated",
}


@dataclass(frozen=True)
class MetricGoal:
    """A metric compared with a finite threshold."""

    metric: str
    compare: str
    value: float
    label: str | None = None


@dataclass(frozen=True)
class StructureGoal:
    """A condition on the network's shape (``value`` is a name for ``activation_used``)."""

    structure: str
    compare: str
    value: float | str
    label: str | None = None


@dataclass(frozen=True)
class EventGoal:
    """Done once the app has reported ``event`` during the step."""

    event: str
    label: str | None = None


@dataclass(frozen=True)
class AllGoal:
    goals: tuple[Goal, ...]
    label: str | None = None


@dataclass(frozen=True)
class AnyGoal:
    goals: tuple[Goal, ...]
    label: str | None = None


Goal = MetricGoal | StructureGoal | EventGoal | AllGoal | AnyGoal


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
    """

    metrics: Mapping[str, float | None] = field(default_factory=dict)
    spec: Mapping[str, Any] | None = None
    events: frozenset[str] = frozenset()

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Any,
        spec: Mapping[str, Any] | None,
        events: Iterable[str] = (),
        trained_epochs: int = 0,
    ) -> GoalContext:
        """Build a context from an engine ``Snapshot`` (or ``None`` before any training)."""
        return cls(metrics_from_snapshot(snapshot, trained_epochs), spec, frozenset(events))


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

    A step without a goal (``None``) is always done.
    """
    if goal is None:
        return True, "No goal in this step: read, try things, then go on."
    done, text = _check(goal, context)
    if goal.label is not None:
        text = goal.label
    elif isinstance(goal, (AllGoal, AnyGoal)):
        return done, text  # each part already says whether it is done
    return done, f"{text}: done" if done else text


def _check(goal: Goal, ctx: GoalContext) -> tuple[bool, str]:
    if isinstance(goal, MetricGoal):
        return _check_metric(goal, ctx)
    if isinstance(goal, StructureGoal):
        return _check_structure(goal, ctx)
    if isinstance(goal, EventGoal):
        return goal.event in ctx.events, EVENTS.get(goal.event, goal.event)
    if isinstance(goal, (AllGoal, AnyGoal)):
        parts = [check_goal(g, ctx) for g in goal.goals]
        results = [done for done, _ in parts]
        done = all(results) if isinstance(goal, AllGoal) else any(results)
        joiner = "; " if isinstance(goal, AllGoal) else " or "
        return done, joiner.join(text for _, text in parts)
    raise TypeError(f"not a goal: {goal!r}")


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


def hidden_layer_sizes(spec: Mapping[str, Any] | None) -> list[int]:
    """Units of each hidden layer of an engine spec (every layer but the last)."""
    if not spec:
        return []
    layers = list(spec.get("layers", ()))
    return [int(layer.get("units", 0)) for layer in layers[:-1]]


def hidden_activations(spec: Mapping[str, Any] | None) -> list[str]:
    if not spec:
        return []
    layers = list(spec.get("layers", ()))
    return [str(layer.get("activation", "")) for layer in layers[:-1]]


def _check_structure(goal: StructureGoal, ctx: GoalContext) -> tuple[bool, str]:
    label = STRUCTURES.get(goal.structure, goal.structure)
    if goal.structure == "activation_used":
        done = goal.value in hidden_activations(ctx.spec)
        return done, f"{label} {goal.value}"
    sizes = hidden_layer_sizes(ctx.spec)
    if goal.structure == "hidden_layers":
        current = len(sizes)
    elif goal.structure == "hidden_neurons":
        current = sum(sizes)
    else:
        current = max(sizes, default=0)
    wanted = f"goal {STRUCTURE_COMPARISONS[goal.compare]} {format_threshold(float(goal.value))}"
    done = ctx.spec is not None and _compare(float(current), goal.compare, float(goal.value))
    return done, f"{label} {current}, {wanted}"


# -- reading goals from lesson data -----------------------------------------------------------

Report = Callable[[str, str], None]
_KINDS = ("metric", "structure", "event", "all", "any")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_goal(
    raw: Any, where: str, report: Report, activations: Iterable[str] = ()
) -> Goal | None:
    """Read a goal table; report every problem as ``report(field, reason)``.

    Returns ``None`` when the goal has problems.
    """
    if not isinstance(raw, Mapping):
        report(where, f"must be a table like {{ metric = ..., compare = ..., value = ... }}, "
                      f"got {type(raw).__name__}")
        return None
    kinds = [k for k in _KINDS if k in raw]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        report(where, f"needs exactly one of metric, structure, event, all, any (found {found})")
        return None
    kind = kinds[0]
    allowed = {
        "metric": {"metric", "compare", "value", "label"},
        "structure": {"structure", "compare", "value", "label"},
        "event": {"event", "label"},
        "all": {"all", "label"},
        "any": {"any", "label"},
    }[kind]
    ok = True
    for key in raw:
        if key not in allowed:
            report(f"{where}.{key}", f"unknown field for a {kind} goal "
                                     f"(allowed: {', '.join(sorted(allowed))})")
            ok = False
    label = raw.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        report(f"{where}.label", "must be non-empty text")
        ok = False

    if kind in ("all", "any"):
        items = raw[kind]
        if not isinstance(items, list) or not items:
            report(f"{where}.{kind}", "must be a non-empty list of goals")
            return None
        goals = [
            parse_goal(item, f"{where}.{kind}[{i}]", report, activations)
            for i, item in enumerate(items)
        ]
        if not ok or any(g is None for g in goals):
            return None
        cls = AllGoal if kind == "all" else AnyGoal
        return cls(tuple(goals), label)

    if kind == "event":
        event = raw["event"]
        if not isinstance(event, str) or event not in EVENTS:
            report(f"{where}.event", f"unknown event {event!r} (choose from {', '.join(EVENTS)})")
            return None
        return EventGoal(event, label) if ok else None

    if kind == "metric":
        metric = raw["metric"]
        if not isinstance(metric, str) or metric not in METRICS:
            report(f"{where}.metric",
                   f"unknown metric {metric!r} (choose from {', '.join(METRICS)})")
            ok = False
        compare = _read_compare(raw, where, COMPARISONS, report)
        value = _read_threshold(raw, where, report)
        if ok and value is not None and metric in FRACTION_METRICS and not 0 <= value <= 1:
            report(f"{where}.value", f"{metric} is a fraction between 0 and 1 "
                                     f"(write 0.95 for 95%), got {value:g}")
            ok = False
        if not ok or compare is None or value is None:
            return None
        return MetricGoal(metric, compare, float(value), label)

    structure = raw["structure"]
    if not isinstance(structure, str) or structure not in STRUCTURES:
        report(f"{where}.structure",
               f"unknown structure {structure!r} (choose from {', '.join(STRUCTURES)})")
        return None
    if structure == "activation_used":
        value = raw.get("value")
        known = tuple(activations)
        if "compare" in raw:
            report(f"{where}.compare", "activation_used takes no comparison, only a value")
            ok = False
        if not isinstance(value, str):
            report(f"{where}.value", "must name an activation, e.g. \"relu\"")
            return None
        if known and value not in known:
            report(f"{where}.value",
                   f"unknown activation {value!r} (choose from {', '.join(known)})")
            return None
        return StructureGoal(structure, "==", value, label) if ok else None
    compare = _read_compare(raw, where, STRUCTURE_COMPARISONS, report)
    value = _read_threshold(raw, where, report)
    if value is not None and (value < 0 or not float(value).is_integer()):
        report(f"{where}.value", f"must be a whole number of at least 0, got {value:g}")
        return None
    if not ok or compare is None or value is None:
        return None
    return StructureGoal(structure, compare, int(value), label)


def _read_compare(raw: Mapping, where: str, allowed: Mapping[str, str], report: Report):
    if "compare" not in raw:
        report(f"{where}.compare", f"missing (one of {', '.join(allowed)})")
        return None
    compare = raw["compare"]
    if not isinstance(compare, str) or compare not in allowed:
        report(f"{where}.compare",
               f"unknown comparison {compare!r} (choose from {', '.join(allowed)})")
        return None
    return compare


def _read_threshold(raw: Mapping, where: str, report: Report) -> float | None:
    if "value" not in raw:
        report(f"{where}.value", "missing (the number to compare with)")
        return None
    value = raw["value"]
    if not _is_number(value):
        report(f"{where}.value", f"must be a number, got {type(value).__name__} {value!r}")
        return None
    if not math.isfinite(value):
        report(f"{where}.value", f"must be a finite number, got {value}")
        return None
    return float(value)


def goal_events(goal: Goal | None) -> set[str]:
    """All event names a goal mentions (the app may want to know what to listen for)."""
    if goal is None:
        return set()
    if isinstance(goal, EventGoal):
        return {goal.event}
    if isinstance(goal, (AllGoal, AnyGoal)):
        return set().union(*(goal_events(g) for g in goal.goals))
    return set()
