"""Reading the parts of a step that go beyond presets and goals: the prediction question,
the numbers its text claims from a run (``{{measured: ...}}``), and a "show me" made of several
actions (``then``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from neuroviz.lessons.goals import (
    FRACTION_METRICS,
    METRICS,
    NAME_SETTINGS,
    RUNS,
    SETTINGS,
    TIMELINE,
)
from neuroviz.lessons.schema import Claim, Prediction

Report = Callable[[str, str], None]

_PREDICT_FIELDS = ("question", "choices", "answer", "tolerance", "unit", "feedback")
#: what a claim may measure: any goal metric but the epoch counter, the parameter count, and
#: the numeric settings (``n_train``: the number of training examples).
CLAIM_METRICS = (tuple(m for m in METRICS if m != "epoch") + ("param_count",)
                 + tuple(s for s in SETTINGS if s not in NAME_SETTINGS))
_CLAIM = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_CLAIM_BODY = re.compile(
    r"^\s*measured\s*:\s*(?:(?P<run>[a-z]+)\.)?(?P<metric>[a-z_0-9]+)\s*=\s*"
    r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:±|\+-|\+/-)\s*"
    r"(?P<tol>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
CLAIM_SYNTAX = "{{measured: test_accuracy = 0.95 ± 0.02}}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_prediction(raw: Any, report: Report) -> Prediction | None:
    """Read a step's ``predict`` table; report each problem as ``predict.<field>``."""
    if not isinstance(raw, Mapping):
        report("predict", "must be a table with question, answer and feedback")
        return None
    ok = True
    for key in raw:
        if key not in _PREDICT_FIELDS:
            report(f"predict.{key}", f"unknown field (allowed here: {', '.join(_PREDICT_FIELDS)})")
            ok = False
    texts = {}
    for key in ("question", "feedback"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            report(f"predict.{key}", "missing or empty" if value is None or value == "" else
                   f"must be text, got {value!r}")
            ok = False
        else:
            texts[key] = value.strip()
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        report("predict.unit", f"must be text, got {unit!r}")
        ok = False
    answer = raw.get("answer")
    if answer is None:
        report("predict.answer", "missing (the right choice, or the right number)")
        return None
    if "choices" in raw:
        choices = raw["choices"]
        if (not isinstance(choices, list) or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)):
            report("predict.choices", "must be a list of at least two texts")
            return None
        if len(set(choices)) != len(choices):
            report("predict.choices", "has the same choice twice")
            ok = False
        if "tolerance" in raw:
            report("predict.tolerance", "only a number question has a tolerance")
            ok = False
        if answer not in choices:
            report("predict.answer", f"must be one of the choices, got {answer!r}")
            ok = False
        if not ok:
            return None
        return Prediction(texts["question"], answer, texts["feedback"], tuple(choices), None,
                          unit)
    if not _is_number(answer) or not math.isfinite(answer):
        report("predict.answer", f"must be a number (or give choices), got {answer!r}")
        return None
    tolerance = raw.get("tolerance")
    if tolerance is None:
        report("predict.tolerance", "missing (how far a guess may be from the answer)")
        return None
    if not _is_number(tolerance) or not math.isfinite(tolerance) or tolerance < 0:
        report("predict.tolerance", f"must be a number of at least 0, got {tolerance!r}")
        return None
    if not ok:
        return None
    return Prediction(texts["question"], float(answer), texts["feedback"], (),
                      float(tolerance), unit)


def _shown(metric: str, value_text: str) -> str:
    value = float(value_text)
    if metric in FRACTION_METRICS:
        return f"{100 * value:g} %"
    if metric in ("param_count", "trained_epochs", "run_epochs", "n_train", "batch_size"):
        return f"{value:,.0f}"
    return value_text


def read_claims(text: str, report: Report) -> tuple[str, tuple[Claim, ...]]:
    """The step text with each ``{{measured: ...}}`` replaced by the number it shows, and the
    claims. A ``{{...}}`` that does not read as a claim is reported under ``text``."""
    claims: list[Claim] = []

    def replace(match: re.Match) -> str:
        body = match.group(1)
        m = _CLAIM_BODY.match(body)
        if m is None:
            report("text", f"cannot read {{{{{body.strip()}}}}}: write a measured number as "
                           f"{CLAIM_SYNTAX}")
            return match.group(0)
        run = m.group("run") or "current"
        metric = m.group("metric")
        bad = False
        if run != "current" and run not in RUNS:
            report("text", f"{{{{{body.strip()}}}}}: unknown run {run!r} (write "
                           f"{', '.join(r + '.' for r in RUNS)} before the metric, or nothing "
                           f"for the current run)")
            bad = True
        if metric not in CLAIM_METRICS:
            report("text", f"{{{{{body.strip()}}}}}: unknown metric {metric!r} (choose from "
                           f"{', '.join(CLAIM_METRICS)})")
            bad = True
        if bad:
            return match.group(0)
        claims.append(Claim(metric, float(m.group("value")), float(m.group("tol")),
                            _shown(metric, m.group("value")), run))
        return claims[-1].shown

    rest = _CLAIM.sub("", text)
    if "{{" in rest:
        report("text", f"'{{{{' without its closing '}}}}': write a measured number as "
                       f"{CLAIM_SYNTAX}")
    return _CLAIM.sub(replace, text), tuple(claims)


def read_rewind(raw: Mapping, where: str, report: Report) -> str | None:
    """The ``rewind`` field of a "show me" action."""
    if "rewind" not in raw:
        return None
    value = raw["rewind"]
    if not isinstance(value, str) or value not in TIMELINE:
        report(f"{where}rewind", f"unknown timeline position {value!r} "
                                 f"(choose from {', '.join(TIMELINE)})")
        return None
    return value
