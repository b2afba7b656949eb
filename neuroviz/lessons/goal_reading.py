"""Read goal tables from lesson data into :mod:`~neuroviz.lessons.goals` objects.

Every problem is reported as ``report(field, reason)``; a goal with problems reads as ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from neuroviz.lessons.goal_types import (
    ANY_ORIENTATION,
    DEFAULT_FILTER_RATIO,
    OTHER_ORIENTATIONS,
    PERPENDICULAR,
)
from neuroviz.lessons.goals import (
    COMPARISONS,
    EVENTS,
    FRACTION_METRICS,
    FRACTION_STRUCTURES,
    KIND_STRUCTURES,
    METRICS,
    NAME_SETTINGS,
    ORIENTATIONS,
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
    FilterGoal,
    Goal,
    MetricGoal,
    NamingGoal,
    RunGoal,
    SequenceGoal,
    SettingGoal,
    StructureGoal,
    TimelineGoal,
)

#: metrics two runs may be compared on (those a run's history records).
RUN_METRICS = tuple(m for m in METRICS if m not in ("epoch", "trained_epochs", "run_epochs"))

Report = Callable[[str, str], None]
_KINDS = ("metric", "structure", "event", "setting", "versus", "timeline", "name_neurons",
          "filter", "all", "any", "sequence")


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
    if "versus" in kinds and "metric" in kinds:  # a run comparison names its metric
        kinds.remove("metric")
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        report(where, f"needs exactly one of {', '.join(_KINDS)} (found {found})")
        return None
    kind = kinds[0]
    allowed = {
        "metric": {"metric", "compare", "value", "label"},
        "structure": {"structure", "compare", "value", "label", "kind"},
        "event": {"event", "label"},
        "setting": {"setting", "compare", "value", "label"},
        "versus": {"versus", "metric", "compare", "margin", "same_epochs", "label"},
        "timeline": {"timeline", "within", "trained_past", "label"},
        "name_neurons": {"name_neurons", "min_correlation", "label"},
        "filter": {"filter", "against", "ratio", "layer", "label"},
        "all": {"all", "label"},
        "any": {"any", "label"},
        "sequence": {"sequence", "label"},
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

    if kind in ("all", "any", "sequence"):
        items = raw[kind]
        if not isinstance(items, list) or not items:
            report(f"{where}.{kind}", "must be a non-empty list of goals")
            return None
        if kind == "sequence" and len(items) < 2:
            report(f"{where}.{kind}", "a sequence needs at least two goals, in order")
            return None
        goals = [
            parse_goal(item, f"{where}.{kind}[{i}]", report, activations)
            for i, item in enumerate(items)
        ]
        if not ok or any(g is None for g in goals):
            return None
        cls = {"all": AllGoal, "any": AnyGoal, "sequence": SequenceGoal}[kind]
        return cls(tuple(goals), label)

    if kind == "setting":
        return _parse_setting(raw, where, report, label) if ok else None
    if kind == "versus":
        return _parse_versus(raw, where, report, label) if ok else None
    if kind == "timeline":
        return _parse_timeline(raw, where, report, label) if ok else None
    if kind == "name_neurons":
        return _parse_naming(raw, where, report, label) if ok else None
    if kind == "filter":
        return _parse_filter(raw, where, report, label) if ok else None

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
    if structure in KIND_STRUCTURES or structure in FRACTION_STRUCTURES or \
            "kind" in raw:
        return _parse_kind_structure(raw, structure, where, report, label) if ok else None
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




def _parse_kind_structure(raw: Mapping, structure: str, where: str, report: Report,
                          label: str | None):
    """``kind_used`` (a kind as value), ``layers_of_kind`` (with ``kind``), ``dropout_rate``
    (a fraction)."""
    from neuroviz.lessons import vocab

    kinds = vocab.layer_kinds()
    if structure != "layers_of_kind" and "kind" in raw:
        report(f"{where}.kind", f"only layers_of_kind takes a kind (this is {structure})")
        return None
    if structure == "kind_used":
        value = raw.get("value")
        if "compare" in raw:
            report(f"{where}.compare", "kind_used takes no comparison, only a value")
            return None
        if not isinstance(value, str) or value not in kinds:
            report(f"{where}.value",
                   f"must name a layer kind (choose from {', '.join(kinds)}), got {value!r}")
            return None
        return StructureGoal(structure, "==", value, label)
    kind = None
    if structure == "layers_of_kind":
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in kinds:
            report(f"{where}.kind", f"must name a layer kind (choose from {', '.join(kinds)}), "
                                    f"got {kind!r}")
            return None
    compare = _read_compare(raw, where, STRUCTURE_COMPARISONS, report)
    value = _read_threshold(raw, where, report)
    if compare is None or value is None:
        return None
    if structure in FRACTION_STRUCTURES:
        if not 0 <= value <= 1:
            report(f"{where}.value", f"{structure} is a fraction from 0 to 1 (write 0.3 for "
                                     f"30 %), got {value:g}")
            return None
        return StructureGoal(structure, compare, float(value), label)
    if value < 0 or not float(value).is_integer():
        report(f"{where}.value", f"must be a whole number of at least 0, got {value:g}")
        return None
    return StructureGoal(structure, compare, int(value), label, kind)


def _parse_setting(raw: Mapping, where: str, report: Report, label: str | None):
    setting = raw["setting"]
    if not isinstance(setting, str) or setting not in SETTINGS:
        report(f"{where}.setting",
               f"unknown setting {setting!r} (choose from {', '.join(SETTINGS)})")
        return None
    if setting in SWITCH_SETTINGS:
        compare = _read_compare(raw, where, {"==": "", "!=": ""}, report)
        value = raw.get("value")
        if not isinstance(value, bool):
            report(f"{where}.value", f"{setting} is on or off: write true or false, got "
                                     f"{value!r}")
            return None
        return None if compare is None else SettingGoal(setting, compare, value, label)
    if setting in NAME_SETTINGS:
        compare = _read_compare(raw, where, {"==": "", "!=": ""}, report)
        value = raw.get("value")
        if not isinstance(value, str) or not value.strip():
            report(f"{where}.value", f"must name the {setting}, e.g. \"adam\"")
            return None
        return None if compare is None else SettingGoal(setting, compare, value, label)
    compare = _read_compare(raw, where, SETTING_COMPARISONS, report)
    value = _read_threshold(raw, where, report)
    if compare is None or value is None:
        return None
    return SettingGoal(setting, compare, value, label)


def _parse_versus(raw: Mapping, where: str, report: Report, label: str | None):
    ok = True
    versus = raw["versus"]
    if not isinstance(versus, str) or versus not in RUNS:
        report(f"{where}.versus", f"unknown run {versus!r} (choose from {', '.join(RUNS)})")
        ok = False
    metric = raw.get("metric")
    if metric is None:
        report(f"{where}.metric", "missing (the metric both runs are compared on)")
        ok = False
    elif not isinstance(metric, str) or metric not in RUN_METRICS:
        report(f"{where}.metric",
               f"unknown metric {metric!r} (choose from {', '.join(RUN_METRICS)})")
        ok = False
    compare = _read_compare(raw, where, COMPARISONS, report)
    margin = 0.0
    if "margin" in raw:
        margin = raw["margin"]
        if not _is_number(margin) or not math.isfinite(margin) or margin < 0:
            report(f"{where}.margin", f"must be a number of at least 0, got {margin!r}")
            ok = False
    same = raw.get("same_epochs", False)
    if not isinstance(same, bool):
        report(f"{where}.same_epochs", f"must be true or false, got {same!r}")
        ok = False
    if not ok or compare is None:
        return None
    return RunGoal(versus, metric, compare, float(margin), same, label)


def _parse_timeline(raw: Mapping, where: str, report: Report, label: str | None):
    ok = True
    name = raw["timeline"]
    if not isinstance(name, str) or name not in TIMELINE:
        report(f"{where}.timeline",
               f"unknown timeline position {name!r} (choose from {', '.join(TIMELINE)})")
        ok = False
    numbers = {}
    for key, what in (("within", "how many epochs from the lowest point count as near it"),
                      ("trained_past", "how many epochs training must go on past the lowest "
                                       "point, so it is known to be the lowest")):
        value = raw.get(key)
        if value is None:
            report(f"{where}.{key}", f"missing ({what})")
            ok = False
        elif not _is_number(value) or not float(value).is_integer() or value < 0:
            report(f"{where}.{key}", f"must be a whole number of at least 0, got {value!r}")
            ok = False
        else:
            numbers[key] = int(value)
    if ok and numbers["within"] >= numbers["trained_past"]:
        report(f"{where}.within", f"must be smaller than trained_past "
                                  f"({numbers['trained_past']}): otherwise training on alone "
                                  f"would meet the goal")
        ok = False
    if not ok:
        return None
    return TimelineGoal(name, numbers["within"], numbers["trained_past"], label)


def _parse_naming(raw: Mapping, where: str, report: Report, label: str | None):
    from neuroviz.lessons.factors import FACTOR_NAMES

    known = sorted({name for names in FACTOR_NAMES.values() for name in names})
    names = raw["name_neurons"]
    ok = True
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        report(f"{where}.name_neurons", f"must be a list of the quantities to name "
                                        f"(from {', '.join(known)})")
        return None
    for i, name in enumerate(names):
        if name not in known:
            report(f"{where}.name_neurons[{i}]",
                   f"unknown quantity {name!r} (choose from {', '.join(known)})")
            ok = False
    value = raw.get("min_correlation")
    if value is None:
        report(f"{where}.min_correlation", "missing (how strongly a neuron must follow a "
                                           "quantity to be named after it, 0 to 1)")
        return None
    if not _is_number(value) or not 0 < value <= 1:
        report(f"{where}.min_correlation", f"must be a number above 0 and at most 1, "
                                           f"got {value!r}")
        return None
    return NamingGoal(tuple(names), float(value), label) if ok else None


def _parse_filter(raw: Mapping, where: str, report: Report, label: str | None):
    """``{ filter = "vertical", against = "horizontal", ratio = 2, layer = 1 }``."""
    ok = True
    names = {}
    for key, extra in (("filter", ANY_ORIENTATION), ("against", OTHER_ORIENTATIONS)):
        if key not in raw:
            continue
        value = raw[key]
        if not isinstance(value, str) or value not in (*ORIENTATIONS, extra):
            report(f"{where}.{key}", f"unknown orientation {value!r} "
                                     f"(choose from {', '.join(ORIENTATIONS)}, {extra})")
            ok = False
        else:
            names[key] = value
    if ok and names.get("against", None) == names["filter"]:
        report(f"{where}.against", "must be another orientation than the filter's own")
        ok = False
    if ok and names["filter"] == ANY_ORIENTATION and names.get("against", OTHER_ORIENTATIONS) \
            != OTHER_ORIENTATIONS:
        report(f"{where}.against", f"with filter = \"{ANY_ORIENTATION}\" the filter is compared "
                                   f"with its other orientations: leave against out or write "
                                   f"\"{OTHER_ORIENTATIONS}\"")
        ok = False
    ratio = raw.get("ratio", DEFAULT_FILTER_RATIO)
    if not _is_number(ratio) or not math.isfinite(ratio) or ratio < 1:
        report(f"{where}.ratio", f"must be a number of at least 1 (how many times more "
                                 f"strongly the filter answers its own orientation), "
                                 f"got {ratio!r}")
        ok = False
    layer = raw.get("layer", 1)
    if not _is_number(layer) or not float(layer).is_integer() or layer < 1:
        report(f"{where}.layer", f"must be a whole number of at least 1 (1 = the first "
                                 f"convolution layer), got {layer!r}")
        ok = False
    if not ok:
        return None
    orientation = names["filter"]
    against = names.get("against", PERPENDICULAR.get(orientation, OTHER_ORIENTATIONS))
    return FilterGoal(orientation, against, float(ratio), int(layer), label)
