"""Read and validate lesson files into :class:`~neuroviz.lessons.schema.Lesson` objects.

Validation never stops at the first problem: every problem is reported as a
:class:`~neuroviz.lessons.schema.LessonProblem` (file, step, field, reason).
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from neuroviz.fileio import FileLimitError, read_text_limited
from neuroviz.lessons import vocab
from neuroviz.lessons.controls import CONTROLS
from neuroviz.lessons.goal_reading import parse_goal
from neuroviz.lessons.goals import EVENTS
from neuroviz.lessons.markdown import parse_toml, split_lesson
from neuroviz.lessons.schema import (
    LEVELS,
    SCHEMA_VERSION,
    DatasetSettings,
    Lesson,
    LessonError,
    LessonProblem,
    Preset,
    Solution,
    SolutionAction,
    Step,
    TrainingSettings,
)
from neuroviz.lessons.step_extras import read_claims, read_prediction, read_rewind

_FRONT_FIELDS = ("schema_version", "id", "title", "summary", "level", "minutes")
_STEP_FIELDS = ("preset", "goal", "hints", "solution", "hidden", "locked", "highlight",
                "predict")
_PRESET_FIELDS = ("dataset", "network", "weights", "training", "seed", "reset")
_ACTION_FIELDS = _PRESET_FIELDS + ("epochs", "events", "rewind", "name_neurons")
_SOLUTION_FIELDS = _ACTION_FIELDS + ("then",)
_DATASET_FIELDS = ("name", "noise", "train_ratio", "features", "seed", "n_samples", "options")
_TRAINING_FIELDS = ("optimizer", "learning_rate", "batch_size", "l1", "l2", "momentum",
                    "early_stopping", "patience")
_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
# Every quantifier is bounded and excludes the characters that start another match, so
# scanning a 1 MB step stays linear whatever it holds (e.g. 200,000 unclosed "<img ").
_MD_IMAGE = re.compile(r"!\[[^\[\]]{0,1000}\]\(\s{0,100}<?([^()\[\]\s<>]{1,1000})>?"
                       r"(?:\s{1,100}[\"'][^()\n]{0,300}[\"'])?\s{0,100}\)")
_HTML_IMAGE = re.compile(r"<img\b[^<>]{0,2000}?\bsrc\s{0,100}=\s{0,100}"
                         r"(?:\"([^\"<>]{0,2000})\"|'([^'<>]{0,2000})'|([^\s<>\"']{1,2000}))",
                         re.IGNORECASE)
# reference-style images: ![alt][label], ![label][] and ![label]; and their definitions
_MD_IMAGE_REF = re.compile(r"!\[([^\[\]]{0,1000})\](?:\[([^\[\]]{0,1000})\])?")
_MD_DEFINITION = re.compile(r"^ {0,3}\[([^\[\]\n]{1,1000})\]:[ \t]{0,100}"
                            r"(?:<([^<>\n]{0,1000})>|(\S{1,1000}))", re.MULTILINE)
ASSET_PREFIX = "asset:"
MAX_EPOCHS = 5000
#: Limits of what a lesson may make neuroviz read: the lesson file, and each image.
MAX_LESSON_BYTES = 1024 * 1024
MAX_RESOURCE_BYTES = 16 * 1024 * 1024


class _Report:
    """Collects problems for one file; ``step`` is the step being read."""

    def __init__(self, file: str):
        self.file = file
        self.step: int | None = None
        self.problems: list[LessonProblem] = []

    def __call__(self, field: str, reason: str) -> None:
        self.problems.append(LessonProblem(self.file, self.step, field, reason))


# -- small typed readers ----------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "whole number", float: "number",
            list: "list", dict: "table"}.get(type(value), type(value).__name__)


def _unknown_keys(raw: Mapping, allowed: Sequence[str], where: str, report: _Report) -> None:
    for key in raw:
        if key not in allowed:
            report(f"{where}{key}", f"unknown field (allowed here: {', '.join(allowed)})")


def _text(raw: Mapping, key: str, where: str, report: _Report, required: bool = True):
    if key not in raw:
        if required:
            report(f"{where}{key}", "missing")
        return None
    value = raw[key]
    if not isinstance(value, str):
        report(f"{where}{key}", f"must be text, got {_type_name(value)}")
        return None
    if not value.strip():
        report(f"{where}{key}", "must not be empty")
        return None
    return value.strip()


def _number(raw: Mapping, key: str, where: str, report: _Report, lo: float, hi: float,
            integer: bool = False, hint: str = ""):
    value = raw[key]
    field = f"{where}{key}"
    if integer and not _is_int(value):
        report(field, f"must be a whole number, got {_type_name(value)} {value!r}")
        return None
    if not _is_number(value):
        report(field, f"must be a number, got {_type_name(value)} {value!r}")
        return None
    if not math.isfinite(value):
        report(field, f"must be a finite number, got {value}")
        return None
    if not lo <= value <= hi:
        shown = f"{value:g}" if abs(value) < 1e300 else f"a number with {len(str(value))} digits"
        report(field, f"must be from {lo:g} to {hi:g}, got {shown}{hint}")
        return None
    return value


def _names(raw: Mapping, key: str, where: str, report: _Report, known: Iterable[str],
           what: str) -> tuple[str, ...]:
    if key not in raw:
        return ()
    value = raw[key]
    field = f"{where}{key}"
    if not isinstance(value, list):
        report(field, f"must be a list of {what} names, got {_type_name(value)}")
        return ()
    known = tuple(known)
    good = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            report(f"{field}[{i}]", f"must be text, got {_type_name(item)}")
        elif item not in known:
            report(f"{field}[{i}]", f"unknown {what} {item!r} (choose from {', '.join(known)})")
        else:
            good.append(item)
    return tuple(good)


# -- presets and solutions --------------------------------------------------------------------


def _read_dataset(raw: Any, where: str, report: _Report) -> DatasetSettings | None:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        report(where.rstrip("."), f"must be a dataset name or a table, got {_type_name(raw)}")
        return None
    _unknown_keys(raw, _DATASET_FIELDS, where, report)
    values: dict[str, Any] = {}
    if "name" in raw:
        name = raw["name"]
        if not isinstance(name, str) or name not in vocab.datasets():
            report(f"{where}name", f"unknown dataset {name!r} "
                                   f"(choose from {', '.join(vocab.datasets())})")
        else:
            values["name"] = name
    if "noise" in raw:
        hint = ""
        if _is_number(raw["noise"]) and 1 < raw["noise"] <= 50:
            hint = f" (noise is a fraction: for {raw['noise']:g}% write {raw['noise'] / 100:g})"
        values["noise"] = _number(raw, "noise", where, report, 0.0, 0.5, hint=hint)
    if "train_ratio" in raw:
        hint = ""
        if _is_number(raw["train_ratio"]) and 10 <= raw["train_ratio"] <= 90:
            hint = f" (a fraction: for {raw['train_ratio']:g}% write {raw['train_ratio'] / 100:g})"
        values["train_ratio"] = _number(raw, "train_ratio", where, report, 0.1, 0.9, hint=hint)
    if "seed" in raw:
        values["seed"] = _number(raw, "seed", where, report, 0, 2**31 - 1, integer=True)
    if "n_samples" in raw:
        values["n_samples"] = _number(raw, "n_samples", where, report, 10, 100_000, integer=True)
    if "features" in raw:
        if not isinstance(raw["features"], list) or not raw["features"]:
            report(f"{where}features", "must be a non-empty list of feature names")
        else:
            values["features"] = _names(raw, "features", where, report, vocab.features_2d(),
                                        "feature")
    if "options" in raw:
        if not isinstance(raw["options"], Mapping):
            report(f"{where}options", f"must be a table, got {_type_name(raw['options'])}")
        else:
            values["options"] = dict(raw["options"])
    return DatasetSettings(**{k: v for k, v in values.items() if v is not None})


def _read_training(raw: Any, where: str, report: _Report) -> TrainingSettings | None:
    if not isinstance(raw, Mapping):
        report(where.rstrip("."), f"must be a table, got {_type_name(raw)}")
        return None
    _unknown_keys(raw, _TRAINING_FIELDS, where, report)
    values: dict[str, Any] = {}
    if "optimizer" in raw:
        opt = raw["optimizer"]
        if not isinstance(opt, str) or opt not in vocab.optimizers():
            report(f"{where}optimizer", f"unknown optimizer {opt!r} "
                                        f"(choose from {', '.join(vocab.optimizers())})")
        else:
            values["optimizer"] = opt
    if "learning_rate" in raw:
        lr = _number(raw, "learning_rate", where, report, 0.0, 100.0)
        if lr == 0:
            report(f"{where}learning_rate", "must be above 0")
            lr = None
        values["learning_rate"] = lr
    if "batch_size" in raw:
        values["batch_size"] = _number(raw, "batch_size", where, report, 1, 100_000, integer=True)
    for key in ("l1", "l2"):
        if key in raw:
            values[key] = _number(raw, key, where, report, 0.0, 10.0)
    if "momentum" in raw:
        values["momentum"] = _number(raw, "momentum", where, report, 0.0, 0.999)
    if "early_stopping" in raw:
        if not isinstance(raw["early_stopping"], bool):
            report(f"{where}early_stopping", f"must be true or false, got "
                                             f"{_type_name(raw['early_stopping'])}")
        else:
            values["early_stopping"] = raw["early_stopping"]
    if "patience" in raw:
        values["patience"] = _number(raw, "patience", where, report, 1, 100_000, integer=True)
    return TrainingSettings(**{k: v for k, v in values.items() if v is not None})


def _read_weights(raw: Any, where: str, report: _Report):
    field = where.rstrip(".")
    if not isinstance(raw, list) or not raw:
        report(field, "must be a list of { W = [[...], ...], b = [...] } tables, one per layer "
                      "with weights ({ filters = [...], b = [...] } for a convolution layer)")
        return None
    layers = []
    ok = True
    for i, layer in enumerate(raw):
        lw = f"{field}[{i}]"
        if not isinstance(layer, Mapping):
            report(lw, f"must be a table {{ W = [[...]], b = [...] }}, got {_type_name(layer)}")
            ok = False
            continue
        if "filters" in layer:
            read = _read_filters(layer, lw, report)
            ok = ok and read is not None
            if read is not None:
                layers.append(read)
            continue
        _unknown_keys(layer, ("W", "b"), f"{lw}.", report)
        W, b = layer.get("W"), layer.get("b")
        if W is None or b is None:
            report(lw, "needs both W (a list of rows, one per input) and b (one per neuron)")
            ok = False
            continue
        rows_ok = (isinstance(W, list) and W and all(isinstance(r, list) and r for r in W)
                   and len({len(r) for r in W}) == 1)
        if not rows_ok:
            report(f"{lw}.W", "must be a non-empty list of rows of equal length "
                              "(one row per input, one column per neuron)")
            ok = False
            continue
        if not isinstance(b, list) or not b:
            report(f"{lw}.b", "must be a non-empty list of numbers, one per neuron")
            ok = False
            continue
        values = [v for r in W for v in r] + list(b)
        if not all(_is_number(v) and math.isfinite(v) for v in values):
            report(lw, "all weights and biases must be finite numbers")
            ok = False
            continue
        if len(b) != len(W[0]):
            report(f"{lw}.b", f"has {len(b)} values but W has {len(W[0])} columns (neurons)")
            ok = False
            continue
        layers.append((tuple(tuple(float(v) for v in r) for r in W), tuple(float(v) for v in b)))
    return tuple(layers) if ok else None


def _grid(value: Any) -> list[list[float]] | None:
    """A square grid of finite numbers (a list of equally long rows), or ``None``."""
    if not (isinstance(value, list) and value and all(isinstance(r, list) for r in value)):
        return None
    if any(len(r) != len(value) for r in value):
        return None
    if not all(_is_number(v) and math.isfinite(v) for r in value for v in r):
        return None
    return [[float(v) for v in r] for r in value]


def _read_filters(layer: Mapping, lw: str, report: _Report):
    """A convolution layer's weights: ``filters`` (one k x k grid per filter, or for an input
    with several channels one list of k x k grids per filter, channel by channel) and ``b``
    (one per filter). Returned in the engine's order: the kernel nested as
    (k, k, input channels, filters), then the biases."""
    _unknown_keys(layer, ("filters", "b"), f"{lw}.", report)
    filters, b = layer.get("filters"), layer.get("b")
    shape_help = ("must be a non-empty list with one k x k grid of numbers per filter (rows "
                  "of k numbers), or one list of k x k grids per filter for an input with "
                  "several channels")
    if not isinstance(filters, list) or not filters:
        report(f"{lw}.filters", shape_help)
        return None
    grids = []  # per filter: a list of channels, each a k x k grid
    for f, raw in enumerate(filters):
        one = _grid(raw)
        channels = [one] if one is not None else (
            [_grid(c) for c in raw] if isinstance(raw, list) and raw else [None])
        if any(c is None for c in channels):
            report(f"{lw}.filters[{f}]", shape_help + "; all of them finite")
            return None
        grids.append(channels)
    sizes = {(len(ch), len(ch[0])) for ch in grids}
    if len(sizes) != 1:
        report(f"{lw}.filters", "every filter must have the same size and number of channels")
        return None
    if not isinstance(b, list) or len(b) != len(grids) or not all(
            _is_number(v) and math.isfinite(v) for v in b):
        report(f"{lw}.b", f"must list one finite bias per filter ({len(grids)})")
        return None
    n_channels, k = sizes.pop()
    kernel = tuple(tuple(tuple(tuple(grids[f][c][u][v] for f in range(len(grids)))
                               for c in range(n_channels))
                         for v in range(k))
                   for u in range(k))
    return kernel, tuple(float(v) for v in b)


def _read_network(raw: Any, where: str, report: _Report):
    field = where.rstrip(".")
    if not isinstance(raw, Mapping):
        report(field, f"must be a table (an engine network spec), got {_type_name(raw)}")
        return None
    from neuroviz.experiment import ExperimentError, check_spec_size

    try:
        check_spec_size(dict(raw), "")
    except ExperimentError as exc:
        report(field, str(exc))
        return None
    if vocab.engine_available():
        from neuroviz.engine import Network, normalise_spec

        try:
            normalise_spec(dict(raw))  # all limits, before anything is allocated
            Network.from_spec(dict(raw), seed=0)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            report(field, str(exc))
            return None
    elif not isinstance(raw.get("layers"), list) or not raw["layers"]:
        report(f"{field}.layers", "must be a non-empty list of layers")
        return None
    return dict(raw)


def _read_preset(raw: Any, where: str, report: _Report, fields=_PRESET_FIELDS) -> Preset | None:
    if not isinstance(raw, Mapping):
        report(where.rstrip("."), f"must be a table, got {_type_name(raw)}")
        return None
    _unknown_keys(raw, fields, where, report)
    values: dict[str, Any] = {}
    if "dataset" in raw:
        values["dataset"] = _read_dataset(raw["dataset"], f"{where}dataset.", report)
    if "network" in raw:
        values["network"] = _read_network(raw["network"], f"{where}network.", report)
    if "weights" in raw:
        values["weights"] = _read_weights(raw["weights"], f"{where}weights.", report)
    if "training" in raw:
        values["training"] = _read_training(raw["training"], f"{where}training.", report)
    if "seed" in raw:
        values["seed"] = _number(raw, "seed", where, report, 0, 2**31 - 1, integer=True)
    if "reset" in raw:
        if not isinstance(raw["reset"], bool):
            report(f"{where}reset", f"must be true or false, got {_type_name(raw['reset'])}")
        else:
            values["reset"] = raw["reset"]
    return Preset(**{k: v for k, v in values.items() if v is not None})


def _read_action(raw: Any, where: str, report: _Report, fields=_ACTION_FIELDS):
    if not isinstance(raw, Mapping):
        report(where.rstrip("."), f"must be a table, got {_type_name(raw)}")
        return None
    preset = _read_preset(raw, where, report, fields)
    epochs = 0
    if "epochs" in raw:
        epochs = _number(raw, "epochs", where, report, 0, MAX_EPOCHS, integer=True) or 0
    events = _names(raw, "events", where, report, EVENTS, "event")
    if not any(k in raw for k in fields):
        report(where.rstrip("."), "is empty: say what 'show me' changes, or how many epochs "
                                  "to train")
    name = raw.get("name_neurons", False)
    if not isinstance(name, bool):
        report(f"{where}name_neurons", f"must be true or false, got {_type_name(name)}")
        name = False
    return SolutionAction(preset or Preset(), int(epochs), events,
                          read_rewind(raw, where, report), name)


def _read_solution(raw: Any, where: str, report: _Report) -> Solution | None:
    first = _read_action(raw, where, report, _SOLUTION_FIELDS)
    if first is None:
        return None
    then: list[SolutionAction] = []
    if "then" in raw:
        if not isinstance(raw["then"], list) or not raw["then"]:
            report(f"{where}then", "must be a list of actions ([[solution.then]] tables)")
        else:
            for i, item in enumerate(raw["then"]):
                action = _read_action(item, f"{where}then[{i}].", report)
                if action is not None:
                    then.append(action)
    return Solution(first.preset, first.epochs, first.events, first.rewind, tuple(then),
                    first.name_neurons)


# -- images -----------------------------------------------------------------------------------


def resource_references(text: str) -> list[str]:
    """Every file a piece of lesson Markdown would make the app load, in order.

    Inline images ``![..](path)``, reference-style images ``![..][label]`` / ``![label]``
    with their ``[label]: path`` definitions, and ``<img src=..>`` with or without quotes.
    """
    refs = _MD_IMAGE.findall(text)
    refs += [next(g for g in groups if g) for groups in _HTML_IMAGE.findall(text) if any(groups)]
    definitions = {label.strip().lower(): angled or plain
                   for label, angled, plain in _MD_DEFINITION.findall(text)}
    for alt, label in _MD_IMAGE_REF.findall(text):
        key = (label or alt).strip().lower()
        if key in definitions and definitions[key]:
            refs.append(definitions[key])
    seen: set[str] = set()
    return [r for r in refs if not (r in seen or seen.add(r))]


def image_references(text: str) -> list[str]:
    """The image paths a step's Markdown refers to (same as :func:`resource_references`)."""
    return resource_references(text)


def resolve_resource(folder: str | Path, ref: str) -> Path:
    """Where a lesson's resource reference points; ``ValueError`` if the lesson may not read it.

    The one check for every file a lesson loads (images in the text, title, summary, step
    headings and hints). A reference is a path relative to the lesson's folder
    (``images/neuron.png``), or ``asset:path`` for a file in the shipped ``assets/`` folder.
    Absolute paths, URLs and paths leaving the folder (also through symbolic links) are
    refused, and so is anything but a regular image file of at most
    :data:`MAX_RESOURCE_BYTES` (a pipe or device would block the app).
    """
    if not isinstance(ref, str) or not ref or len(ref) > 1024 or "\x00" in ref:
        raise ValueError(f"image {str(ref)[:60]!r}: not a valid file name")
    if ref.startswith(ASSET_PREFIX):
        from neuroviz.resources import assets_dir

        base, rel = assets_dir(), ref[len(ASSET_PREFIX):]
        where = "the assets folder"
    else:
        base, rel = Path(folder), ref
        where = "the lesson's folder"
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", rel) or rel.startswith("//"):
        raise ValueError(f"image {ref!r}: links and URLs are not allowed, only files in {where}")
    if rel.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", rel) or Path(rel).is_absolute():
        raise ValueError(f"image {ref!r}: absolute paths are not allowed, use a path relative "
                         f"to {where}")
    try:
        base = base.resolve()
        target = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        raise ValueError(f"image {ref!r}: not a valid path") from None
    if not target.is_relative_to(base):
        raise ValueError(f"image {ref!r}: the path leaves {where}")
    if target.suffix.lower() not in _IMAGE_SUFFIXES:
        raise ValueError(f"image {ref!r}: not an image file ({', '.join(_IMAGE_SUFFIXES)})")
    try:
        info = os.stat(target)
    except (OSError, ValueError):
        raise ValueError(f"image {ref!r}: file not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"image {ref!r}: not a regular file (a folder, pipe or device)")
    if info.st_size > MAX_RESOURCE_BYTES:
        raise ValueError(f"image {ref!r}: too large ({info.st_size / 2**20:.1f} MB; at most "
                         f"{MAX_RESOURCE_BYTES // 2**20} MB)")
    return target


def resolve_image(folder: Path, ref: str) -> Path:
    """Same as :func:`resolve_resource` (kept for existing callers)."""
    return resolve_resource(folder, ref)


def text_resources(texts: Iterable[str], folder: str | Path) -> dict[str, Path]:
    """``{reference: file}`` for every resource in ``texts`` that :func:`resolve_resource`
    allows; the ones it refuses are left out (the validator has reported them).

    What a view showing a lesson's title, summary, step heading, text or hints serves, and
    nothing else: e.g. ``text_resources([step.title, step.text, *step.hints], folder)``.
    """
    found: dict[str, Path] = {}
    for text in texts:
        for ref in resource_references(text or ""):
            try:
                found[ref] = resolve_resource(folder, ref)
            except ValueError:
                pass
    return found


def _check_resources(text: str, folder: Path, field: str, report: _Report) -> list[Path]:
    found = []
    for ref in resource_references(text):
        try:
            found.append(resolve_resource(folder, ref))
        except ValueError as exc:
            report(field, str(exc))
    return found


# -- whole files ------------------------------------------------------------------------------


def _read_step(number: int, raw_step, folder: Path, report: _Report) -> Step:
    """Read one step; parts with problems are left out (the problems say why)."""
    report.step = number
    title = raw_step.title.strip()
    if not title:
        report("title", "the step heading '##' has no title")
    if not raw_step.text:
        report("text", "the step has no text")
    settings: dict[str, Any] = {}
    if raw_step.settings is not None:
        parsed, error = parse_toml(raw_step.settings, raw_step.settings_line)
        if error:
            report("settings", error)
        else:
            settings = parsed
    _unknown_keys(settings, _STEP_FIELDS, "", report)
    preset = _read_preset(settings["preset"], "preset.", report) if "preset" in settings else None
    goal = None
    if "goal" in settings:
        goal = parse_goal(settings["goal"], "goal", report, vocab.activations())
    solution = None
    if "solution" in settings:
        solution = _read_solution(settings["solution"], "solution.", report)
    hints: tuple[str, ...] = ()
    if "hints" in settings:
        raw_hints = settings["hints"]
        if not isinstance(raw_hints, list):
            report("hints", f"must be a list of texts, got {_type_name(raw_hints)}")
        else:
            for i, hint in enumerate(raw_hints):
                if not isinstance(hint, str) or not hint.strip():
                    report(f"hints[{i}]", "must be non-empty text")
            hints = tuple(h.strip() for h in raw_hints if isinstance(h, str) and h.strip())
    controls = {key: _names(settings, key, "", report, CONTROLS, "control")
                for key in ("hidden", "locked", "highlight")}
    for name in set(controls["hidden"]) & set(controls["highlight"]):
        report("highlight", f"control {name!r} is both hidden and highlighted")
    prediction = read_prediction(settings["predict"], report) if "predict" in settings else None
    if prediction is not None and goal is None and "goal" not in settings:
        report("predict", "a prediction needs a goal: the experiment that answers it")
    text, claims = read_claims(raw_step.text, report)
    images = _check_resources(raw_step.text, folder, "text", report)
    _check_resources(raw_step.title, folder, "title", report)
    for i, hint in enumerate(hints):
        _check_resources(hint, folder, f"hints[{i}]", report)
    return Step(number=number, title=title, text=text, preset=preset, goal=goal,
                hints=hints, solution=solution, images=tuple(images), line=raw_step.line,
                prediction=prediction, claims=claims, **controls)


def _read_front(front: Mapping[str, Any], report: _Report, folder: Path) -> dict[str, Any]:
    report.step = None
    values: dict[str, Any] = {}
    if "schema_version" not in front:
        report("schema_version", f"missing (this version of neuroviz reads "
                                 f"schema_version = {SCHEMA_VERSION})")
    elif not _is_int(front["schema_version"]):
        report("schema_version", f"must be a whole number, got "
                                 f"{_type_name(front['schema_version'])}")
    elif front["schema_version"] != SCHEMA_VERSION:
        newer = front["schema_version"] > SCHEMA_VERSION
        report("schema_version", f"version {front['schema_version']} is not supported (this "
                                 f"neuroviz reads version {SCHEMA_VERSION}"
                                 f"{'; update neuroviz' if newer else ''})")
    else:
        values["schema_version"] = SCHEMA_VERSION
    _unknown_keys(front, _FRONT_FIELDS, "", report)
    lesson_id = _text(front, "id", "", report)
    if lesson_id is not None and not _ID.match(lesson_id):
        report("id", f"{lesson_id!r} must be lower-case letters and digits joined by '-' or '_'")
    values["id"] = lesson_id
    values["title"] = _text(front, "title", "", report)
    values["summary"] = _text(front, "summary", "", report)
    for key in ("title", "summary"):
        if values[key]:
            _check_resources(values[key], folder, key, report)
    level = _text(front, "level", "", report)
    if level is not None and level not in LEVELS:
        report("level", f"unknown level {level!r} (choose from {', '.join(LEVELS)})")
    values["level"] = level
    if "minutes" not in front:
        report("minutes", "missing (estimated minutes to finish the lesson)")
    else:
        values["minutes"] = _number(front, "minutes", "", report, 1, 600, integer=True)
    return values


def read_lesson(path: str | Path, *, deep: bool = True,
                display_name: str | None = None) -> tuple[Lesson | None, list[LessonProblem]]:
    """Read and validate one lesson file.

    Returns ``(lesson, [])`` when it is good and ``(None, problems)`` otherwise. With ``deep``
    (the default) the presets are also checked against the real datasets and engine: every
    dataset loads, every network builds and fits its data, every set of weights fits its
    network. Never raises for a bad file: anything unexpected becomes a problem naming the
    file (its reason starts with ``UNEXPECTED_PROBLEM``).
    """
    path = Path(path)
    report = _Report(display_name or str(path))
    try:
        return _read_lesson(path, deep, report)
    except (ArithmeticError, LookupError, RecursionError, TypeError, ValueError,
            MemoryError) as exc:
        report.step = None
        report("file", f"{UNEXPECTED_PROBLEM} while reading it ({type(exc).__name__}: "
                       f"{str(exc)[:200]})")
        return None, report.problems


#: How a problem that the validator did not foresee starts (the fuzzer looks for it).
UNEXPECTED_PROBLEM = "an unexpected problem"


def _read_lesson(path: Path, deep: bool,
                 report: _Report) -> tuple[Lesson | None, list[LessonProblem]]:
    try:
        source = read_text_limited(path, MAX_LESSON_BYTES)
    except (OSError, FileLimitError) as exc:
        report("file", f"cannot read: {exc}")
        return None, report.problems
    raw = split_lesson(source)
    for step, field, reason in raw.problems:
        report.step = step
        report(field, reason)
    report.step = None
    front: dict[str, Any] = {}
    if raw.front_matter is not None:
        parsed, error = parse_toml(raw.front_matter, raw.front_line)
        if error:
            report("front matter", error)
        else:
            front = _read_front(parsed, report, path.parent)
    steps = [_read_step(i, s, path.parent, report) for i, s in enumerate(raw.steps, start=1)]
    report.step = None
    from neuroviz.lessons.consistency import check_setups, check_start

    check_start(steps, report)
    if not report.problems and deep:
        check_setups(steps, report)
    if report.problems:
        return None, report.problems
    lesson = Lesson(path=path, steps=tuple(steps), **front)
    return lesson, []


def load_lesson(path: str | Path, *, deep: bool = True) -> Lesson:
    """Load one lesson; raise :class:`LessonError` listing every problem if it is bad."""
    lesson, problems = read_lesson(path, deep=deep)
    if lesson is None:
        raise LessonError(problems)
    return lesson


def lesson_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[LessonProblem]]:
    """The lesson files named by ``paths``: files as given, folders searched recursively for
    ``*.md`` files other than ``README.md``. Missing paths are problems."""
    files: list[Path] = []
    problems: list[LessonProblem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*.md")
                           if f.name.lower() != "readme.md" and f.is_file())
            if not found:
                problems.append(LessonProblem(str(path), None, "folder",
                                              "no lesson files (*.md) in this folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            problems.append(LessonProblem(str(path), None, "file", "not a regular file (a pipe, "
                                                                   "device or socket)"))
        else:
            problems.append(LessonProblem(str(path), None, "file", "no such file or folder"))
    return files, problems


def load_lessons(paths: Iterable[str | Path]) -> tuple[list[Lesson], list[LessonProblem]]:
    """Load every lesson under ``paths``; bad ones are left out and their problems returned.

    Lessons come sorted by file path; a lesson whose ``id`` repeats an earlier one is refused.
    """
    files, problems = lesson_files(paths)
    lessons: list[Lesson] = []
    seen: dict[str, Path] = {}
    for f in files:
        lesson, found = read_lesson(f)
        problems.extend(found)
        if lesson is None:
            continue
        if lesson.id in seen:
            problems.append(LessonProblem(str(f), None, "id", f"{lesson.id!r} is already used by "
                                                              f"{seen[lesson.id]}"))
            continue
        seen[lesson.id] = f
        lessons.append(lesson)
    return lessons, problems
