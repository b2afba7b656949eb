"""Experiments as plain data, saved to and opened from JSON files (no Qt).

An experiment is everything needed to bring a playground session back: the dataset
and its settings, the network spec and weights, the hyperparameters, the seed and the
loss history. Lessons use the same object as a *preset*.

Writing is atomic (a temporary file in the same folder, then ``os.replace``), so a
crash never leaves half a file behind. Opening validates everything before anything
is returned; a bad or truncated file raises :class:`ExperimentError` whose message
names the file, the field and the problem. Limits are checked before anything large is
built: the file size, the JSON nesting depth, every number's range, and the network's
size (:func:`check_spec_size`: the engine's spec check, which runs before anything is built).
"""

from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroviz.data.embedded import EMBEDDED_NAMES
from neuroviz.fileio import (
    FileLimitError,
    atomic_write_json,
    find_bad_number,
    load_json,
    read_text_limited,
)

SCHEMA_VERSION = 1
FILE_KIND = "neuroviz-experiment"

REGULARIZATIONS = ("none", "l1", "l2")

#: Limits of what an experiment file may hold (checked before anything is built).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_SEED = 2**32 - 1
MAX_BATCH_SIZE = 100_000
MAX_EPOCH = 10**9
MAX_HISTORY_POINTS = 100_000
MAX_FEATURES = 64
MAX_PATIENCE = 100_000
DEFAULT_PATIENCE = 20


class ExperimentError(ValueError):
    """A file that cannot be read as an experiment; the message names file and problem."""


@dataclass
class DatasetSettings:
    """Which dataset, and how to generate or split it."""

    name: str = "circle"
    noise: float = 0.0  # fraction, 0.0-0.5 (0-50 %)
    train_ratio: float = 0.5  # fraction of examples used for training, 0.1-0.9
    features: tuple[str, ...] = ("x1", "x2")  # 2-D input features (ignored for other kinds)
    data_seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    # How many examples to generate (synthetic sets only; None: the dataset's default).
    # A lesson preset may set it; choosing another dataset goes back to None.
    n_samples: int | None = None
    # Data kept inside the experiment (an imported table, drawn points, an image folder):
    # a payload of :mod:`neuroviz.data.embedded`, used when ``name`` is one of
    # ``EMBEDDED_NAMES`` ("imported", "drawn", "image_folder"); None for built-in datasets.
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "noise": self.noise,
            "train_ratio": self.train_ratio,
            "features": list(self.features),
            "data_seed": self.data_seed,
            "options": dict(self.options),
        }
        if self.n_samples is not None:  # files without it keep their old form
            out["n_samples"] = self.n_samples
        if self.data is not None and self.name in EMBEDDED_NAMES:
            out["data"] = copy.deepcopy(self.data)
        return out


@dataclass
class Hyperparameters:
    """Training settings that can change live, without a reset."""

    learning_rate: float = 0.03
    optimizer: str = "sgd"
    batch_size: int = 10
    regularization: str = "none"  # "none" | "l1" | "l2"
    regularization_rate: float = 0.0
    momentum: float = 0.9
    # Early stopping: stop once the test loss has not improved for ``patience`` epochs and
    # put back the weights of its lowest point (files without these keys: off, 20).
    early_stopping: bool = False
    patience: int = DEFAULT_PATIENCE

    @property
    def l1(self) -> float:
        return self.regularization_rate if self.regularization == "l1" else 0.0

    @property
    def l2(self) -> float:
        return self.regularization_rate if self.regularization == "l2" else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "optimizer": self.optimizer,
            "batch_size": self.batch_size,
            "regularization": self.regularization,
            "regularization_rate": self.regularization_rate,
            "momentum": self.momentum,
            "early_stopping": self.early_stopping,
            "patience": self.patience,
        }


@dataclass
class LossHistory:
    """Loss and metric against epoch, one row per recorded point."""

    metric_name: str = "accuracy"
    epochs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)  # NaN where there is no test set
    train_metric: list[float] = field(default_factory=list)
    test_metric: list[float] = field(default_factory=list)

    MAX_POINTS = 4000

    def __len__(self) -> int:
        return len(self.epochs)

    def clear(self) -> None:
        for column in self._columns():
            column.clear()

    def append(self, epoch, train_loss, test_loss, train_metric, test_metric) -> bool:
        """Add one point; non-finite training losses are not recorded. Returns True if added."""
        if train_loss is None or not math.isfinite(train_loss):
            return False
        if self.epochs and epoch < self.epochs[-1]:
            return False
        values = (epoch, train_loss, test_loss, train_metric, test_metric)
        for column, value in zip(self._columns(), values, strict=True):
            column.append(_finite_or_nan(value))
        if len(self.epochs) > self.MAX_POINTS:
            # Keep memory bounded: drop every other point of the older half.
            half = len(self.epochs) // 2
            for column in self._columns():
                column[:half] = column[:half:2]
        return True

    def last_epoch(self) -> float:
        return self.epochs[-1] if self.epochs else 0.0

    def _columns(self):
        return (self.epochs, self.train_loss, self.test_loss, self.train_metric, self.test_metric)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric_name": self.metric_name,
            "epochs": list(self.epochs),
            "train_loss": list(self.train_loss),
            "test_loss": [_nan_to_none(v) for v in self.test_loss],
            "train_metric": [_nan_to_none(v) for v in self.train_metric],
            "test_metric": [_nan_to_none(v) for v in self.test_metric],
        }


@dataclass
class Experiment:
    """One playground session as plain data.

    ``spec`` is the full engine network spec (its ``inputs`` and output layer match the
    dataset). ``weights`` is ``None`` (initialise from ``seed``) or a list with one group
    per layer that has parameters, as :meth:`Network.get_weights` gives them: dense
    ``(W, b)``, layernorm ``(gain, bias)``, a residual block its inner layers' groups then
    ``(P,)`` if it has a projection. Files store each group as a list of arrays (nested
    lists), so a dense-only network is the old list of ``[W, b]`` pairs.
    """

    dataset: DatasetSettings = field(default_factory=DatasetSettings)
    spec: dict[str, Any] = field(default_factory=lambda: default_spec())
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    seed: int = 0
    weights: list | None = None
    history: LossHistory = field(default_factory=LossHistory)
    epoch: int = 0  # epochs trained before this experiment was saved

    def copy(self) -> Experiment:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        weights = None if self.weights is None else weights_to_json(self.weights)
        return {
            "kind": FILE_KIND,
            "schema_version": SCHEMA_VERSION,
            "dataset": self.dataset.to_dict(),
            "network": {"spec": copy.deepcopy(self.spec), "weights": weights},
            "hyperparameters": self.hyperparameters.to_dict(),
            "seed": self.seed,
            "epoch": self.epoch,
            "history": self.history.to_dict(),
        }


def default_spec(inputs: int = 2) -> dict[str, Any]:
    """Two hidden tanh layers of 4 neurons and a sigmoid output, as TensorFlow Playground."""
    return {
        "inputs": inputs,
        "layers": [
            {"type": "dense", "units": 4, "activation": "tanh"},
            {"type": "dense", "units": 2, "activation": "tanh"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "loss": "bce",
    }


# ---------------------------------------------------------------------------- saving


def save_experiment(experiment: Experiment, path: str | os.PathLike) -> Path:
    """Write ``experiment`` to ``path`` as JSON, atomically. Returns the path."""
    return atomic_write_json(path, experiment.to_dict())


# ---------------------------------------------------------------------------- opening


def load_experiment(path: str | os.PathLike, *, check: bool = True) -> Experiment:
    """Read and validate an experiment file.

    With ``check=True`` the spec is also built with the engine and the dataset settings
    are checked by the data package, so the returned experiment is known to work.

    Raises
    ------
    ExperimentError
        The message names the file and what is wrong with it.
    """
    path = Path(path)
    try:
        text = read_text_limited(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ExperimentError(f"{path.name}: file not found ({path})") from None
    except FileLimitError as exc:
        raise ExperimentError(f"{path.name}: {exc}") from None
    try:
        raw = load_json(text, MAX_JSON_DEPTH)
    except FileLimitError as exc:
        raise ExperimentError(f"{path.name}: {exc}") from None
    except json.JSONDecodeError as exc:
        problem = "the file is empty" if not text.strip() else (
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "the file may be truncated or damaged"
        )
        raise ExperimentError(f"{path.name}: {problem}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExperimentError(f"{path.name}: not valid JSON ({exc})") from None
    try:
        return experiment_from_dict(raw, check=check)
    except ExperimentError as exc:
        raise ExperimentError(f"{path.name}: {exc}") from None


def check_spec_size(spec: Any, where: str = "network.spec") -> None:
    """Refuse a spec whose network is malformed or too large, before anything is allocated.

    The engine's :func:`~neuroviz.engine.normalise_spec` is the one place that knows the
    limits (layers, units, parameters, nesting); its :class:`SpecError` becomes an
    ExperimentError naming the field.
    """
    from neuroviz.engine import SpecError, normalise_spec

    try:
        normalise_spec(spec)
    except (SpecError, TypeError, OverflowError) as exc:
        message = str(exc)  # "field: reason", the field relative to the spec
        if message.startswith("spec: "):
            message = message[len("spec: "):]
        raise ExperimentError(f"{where}.{message}" if where else message) from None


def experiment_from_dict(raw: Any, *, check: bool = True) -> Experiment:
    """Validate a decoded experiment dictionary; raises ExperimentError (field and reason)."""
    if not isinstance(raw, dict):
        raise ExperimentError("not a neuroviz experiment (the top level is not an object)")
    bad = find_bad_number(raw)
    if bad is not None:
        raise ExperimentError(f"{bad[0]}: {bad[1]}")
    if raw.get("kind", FILE_KIND) != FILE_KIND:
        raise ExperimentError(f"not a neuroviz experiment (kind is {raw.get('kind')!r})")
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ExperimentError("schema_version: missing or not an integer")
    if version > SCHEMA_VERSION:
        raise ExperimentError(
            f"schema_version: {version} is newer than this neuroviz understands "
            f"({SCHEMA_VERSION}); update neuroviz to open it"
        )
    if version < 1:
        raise ExperimentError(f"schema_version: {version} is not a valid version")

    ds_raw = _get(raw, "dataset", dict)
    dataset = DatasetSettings(
        name=_get(ds_raw, "name", str, "dataset."),
        noise=_number(ds_raw, "noise", "dataset.", 0.0, 0.5),
        train_ratio=_number(ds_raw, "train_ratio", "dataset.", 0.1, 0.9),
        features=tuple(_string_list(ds_raw.get("features", ["x1", "x2"]), "dataset.features")),
        data_seed=_integer(ds_raw, "data_seed", "dataset.", default=0, low=0, high=MAX_SEED),
        options=_options(ds_raw),
        n_samples=None if ds_raw.get("n_samples") is None
        else _integer(ds_raw, "n_samples", "dataset.", low=10, high=100_000),
        data=None if ds_raw.get("data") is None else _get(ds_raw, "data", dict, "dataset."),
    )

    hp_raw = _get(raw, "hyperparameters", dict)
    hp = Hyperparameters(
        learning_rate=_number(hp_raw, "learning_rate", "hyperparameters.", 0.0, 1e6),
        optimizer=_get(hp_raw, "optimizer", str, "hyperparameters."),
        batch_size=_integer(hp_raw, "batch_size", "hyperparameters.", low=1,
                            high=MAX_BATCH_SIZE),
        regularization=_get(hp_raw, "regularization", str, "hyperparameters.", default="none"),
        regularization_rate=_number(
            hp_raw, "regularization_rate", "hyperparameters.", 0.0, 1e6, default=0.0
        ),
        momentum=_number(hp_raw, "momentum", "hyperparameters.", 0.0, 1.0, default=0.9),
        early_stopping=_get(hp_raw, "early_stopping", bool, "hyperparameters.", default=False),
        patience=_integer(hp_raw, "patience", "hyperparameters.", default=DEFAULT_PATIENCE,
                          low=1, high=MAX_PATIENCE),
    )
    check_hyperparameters(hp)

    network = _get(raw, "network", dict)
    spec = _get(network, "spec", dict, "network.")
    check_spec_size(spec)
    weights_raw = network.get("weights")
    seed = _integer(raw, "seed", "", default=0, low=0, high=MAX_SEED)
    epoch = _integer(raw, "epoch", "", default=0, low=0, high=MAX_EPOCH)
    history = _history_from_dict(raw.get("history"))

    weights = None
    if weights_raw is not None:
        weights = weights_from_json(weights_raw, spec, "network.weights")

    experiment = Experiment(dataset, spec, hp, seed, weights, history, epoch)
    if check:
        check_experiment(experiment)
    return experiment


MAX_LEARNING_RATE = 1e3  # the engine refuses larger rates
MAX_REGULARIZATION_RATE = 10.0


def check_hyperparameters(hp: Hyperparameters) -> None:
    """Raise ExperimentError naming the field if ``hp`` is outside what the engine accepts."""
    from neuroviz.engine import OPTIMIZERS

    def bad(name, value, allowed):
        raise ExperimentError(f"hyperparameters.{name}: {value!r} is not {allowed}")

    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            math.isfinite(value)

    if not number(hp.learning_rate) or not 0 < hp.learning_rate <= MAX_LEARNING_RATE:
        bad("learning_rate", hp.learning_rate, f"a number above 0 and at most "
            f"{MAX_LEARNING_RATE:g}")
    if hp.optimizer not in OPTIMIZERS:
        bad("optimizer", hp.optimizer, f"one of {', '.join(OPTIMIZERS)}")
    if isinstance(hp.batch_size, bool) or not isinstance(hp.batch_size, int) or \
            not 1 <= hp.batch_size <= MAX_BATCH_SIZE:
        bad("batch_size", hp.batch_size, f"a whole number from 1 to {MAX_BATCH_SIZE:,}")
    if hp.regularization not in REGULARIZATIONS:
        bad("regularization", hp.regularization, f"one of {', '.join(REGULARIZATIONS)}")
    if not number(hp.regularization_rate) or \
            not 0 <= hp.regularization_rate <= MAX_REGULARIZATION_RATE:
        bad("regularization_rate", hp.regularization_rate,
            f"a number from 0 to {MAX_REGULARIZATION_RATE:g}")
    if not number(hp.momentum) or not 0 <= hp.momentum < 1:
        bad("momentum", hp.momentum, "a number from 0 to below 1")
    if not isinstance(hp.early_stopping, bool):
        bad("early_stopping", hp.early_stopping, "true or false")
    if isinstance(hp.patience, bool) or not isinstance(hp.patience, int) or \
            not 1 <= hp.patience <= MAX_PATIENCE:
        bad("patience", hp.patience, f"a whole number of epochs from 1 to {MAX_PATIENCE:,}")


def check_experiment(experiment: Experiment) -> None:
    """Check spec, weights, optimizer and dataset with the engine and data packages."""
    from neuroviz.data import DatasetError
    from neuroviz.engine import Network, normalise_spec

    check_hyperparameters(experiment.hyperparameters)
    if not isinstance(experiment.seed, int) or not 0 <= experiment.seed <= MAX_SEED:
        raise ExperimentError(f"seed: {experiment.seed!r} is not a whole number from 0 to "
                              f"{MAX_SEED}")
    check_spec_size(experiment.spec)
    try:
        normalise_spec(experiment.spec)  # every limit checked before anything is allocated
        net = Network.from_spec(experiment.spec, seed=experiment.seed)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ExperimentError(f"network.spec: {exc}") from None
    if experiment.weights is not None:
        try:
            net.set_weights(experiment.weights)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ExperimentError(f"network.weights: {exc}") from None
    try:
        ds = load_dataset_for(experiment.dataset)
    except (DatasetError, ValueError, TypeError, OverflowError) as exc:
        raise ExperimentError(f"dataset: {exc}") from None
    if ds.X_train.shape[1] != net.n_inputs:
        raise ExperimentError(
            f"network.spec.inputs: the network takes {net.n_inputs} inputs but the dataset "
            f"'{experiment.dataset.name}' gives {ds.X_train.shape[1]} features"
        )
    if ds.Y_train.shape[1] != net.n_outputs:
        raise ExperimentError(
            f"network.spec.layers: the network has {net.n_outputs} outputs but the dataset "
            f"'{experiment.dataset.name}' needs {ds.Y_train.shape[1]}"
        )


def load_dataset_for(settings: DatasetSettings):
    """Load the dataset described by ``settings`` (features apply to 2-D sets only)."""
    from neuroviz.data import DATASETS, DatasetError, load_dataset
    from neuroviz.data.embedded import load_embedded

    if settings.name in EMBEDDED_NAMES:  # imported, drawn or image-folder data in the file
        if settings.data is None:
            raise DatasetError(f"the dataset {settings.name!r} has no data in the file")
        return load_embedded(settings.data, settings.train_ratio, settings.data_seed,
                             tuple(settings.features))

    kwargs: dict[str, Any] = dict(settings.options)
    info = DATASETS.get(settings.name)
    if info is not None and info.kind == "2d":
        kwargs["features"] = tuple(settings.features)
    if settings.n_samples is not None:  # the data package checks its range
        kwargs["n_samples"] = settings.n_samples
    return load_dataset(
        settings.name,
        noise=settings.noise,
        train_ratio=settings.train_ratio,
        seed=settings.data_seed,
        **kwargs,
    )


# ---------------------------------------------------------------------------- helpers

_MISSING = object()


def _get(raw: dict, key: str, kind: type, prefix: str = "", default: Any = _MISSING) -> Any:
    if key not in raw:
        if default is _MISSING:
            raise ExperimentError(f"{prefix}{key}: missing")
        return copy.deepcopy(default)
    value = raw[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ExperimentError(
            f"{prefix}{key}: expected {_kind_name(kind)}, found {type(value).__name__}"
        )
    return value


def _number(raw, key, prefix, low, high, default: Any = _MISSING) -> float:
    if key not in raw and default is not _MISSING:
        return default
    value = _get(raw, key, (int, float), prefix)
    if not math.isfinite(value):
        raise ExperimentError(f"{prefix}{key}: {value} is not a finite number")
    if not low <= value <= high:
        raise ExperimentError(f"{prefix}{key}: {value} is outside {low}-{high}")
    return float(value)


def _integer(raw, key, prefix, default: Any = _MISSING, low: int | None = None,
             high: int | None = None) -> int:
    if key not in raw and default is not _MISSING:
        return default
    value = _get(raw, key, int, prefix)
    if low is not None and value < low:
        raise ExperimentError(f"{prefix}{key}: {value} is below {low}")
    if high is not None and value > high:
        raise ExperimentError(f"{prefix}{key}: {value} is above {high:,}")
    return value


def _string_list(value, name) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ExperimentError(f"{name}: expected a list of strings")
    if len(value) > MAX_FEATURES:
        raise ExperimentError(f"{name}: {len(value)} names, at most {MAX_FEATURES}")
    return value


def _options(ds_raw: dict) -> dict:
    options = _get(ds_raw, "options", dict, "dataset.", default={})
    for key, value in options.items():
        # switches (penguins: island) are true/false; named choices (strokes: placement)
        # are short names, checked against the dataset by the data package
        if not isinstance(value, (bool, str)) or isinstance(value, str) and len(value) > 40:
            raise ExperimentError(f"dataset.options.{key}: expected true, false or a short "
                                  f"name, found {type(value).__name__}")
    return options


def _kind_name(kind) -> str:
    names = {dict: "an object", str: "a string", int: "an integer", list: "a list",
             bool: "true or false"}
    if isinstance(kind, tuple):
        return "a number"
    return names.get(kind, kind.__name__)


def weights_to_json(weights) -> list:
    """Weights grouped as :meth:`Network.get_weights` gives them, as nested lists for JSON:
    each array a (nested) list of numbers, each group (tuple) a list."""
    if hasattr(weights, "tolist"):
        return weights.tolist()
    return [weights_to_json(group) for group in weights]


def _group_names(layer) -> Any:
    """What a layer's weights group holds, nested like the group: ``["W", "b"]``,
    ``[["W", "b"], ["P"]]``."""
    grouped = layer.structure(list(layer.param_names()))

    def listed(item):
        return item if isinstance(item, str) else [listed(x) for x in item]

    return listed(grouped)


def _names_text(names) -> str:
    if isinstance(names, str):
        return names
    return "[" + ", ".join(_names_text(n) for n in names) + "]"


def weights_from_json(raw: Any, spec: dict, where: str = "network.weights") -> list:
    """Read saved weights against the network of ``spec`` (already checked for size).

    The file holds one list per layer with parameters, in the order of
    :meth:`Network.get_weights`; dense-only networks are the old list of ``[W, b]`` pairs.
    Every group, array shape and number is checked; the message names the field, e.g.
    ``network.weights[1][0][1]: expected b of shape (8,), got (7,)``. Returns the groups as
    tuples of float64 arrays, ready for :meth:`Network.set_weights`.
    """
    import numpy as np

    from neuroviz.engine import Network

    try:
        net = Network.from_spec(spec, seed=0)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ExperimentError(f"{where}: the network spec cannot be built ({exc})") from None
    layers = [layer for layer in net.layers if layer.parameters()]
    expected = net.structure(np.zeros(net.param_size))
    names = [_group_names(layer) for layer in layers]
    if not isinstance(raw, list):
        raise ExperimentError(f"{where}: expected a list with one entry per layer that has "
                              f"weights ({len(layers)}), found {type(raw).__name__}")
    if len(raw) != len(layers):
        kinds = ", ".join(layer.kind for layer in layers) or "none"
        raise ExperimentError(f"{where}: {len(raw)} entries, but the network has "
                              f"{len(layers)} layers with weights ({kinds})")

    def read(item, exp, name, at):
        if isinstance(exp, np.ndarray):
            if not isinstance(item, list) and exp.ndim:
                raise ExperimentError(f"{at}: expected {name}, an array of shape {exp.shape}, "
                                      f"found {type(item).__name__}")
            try:
                array = np.asarray(item, dtype=np.float64)
            except (TypeError, ValueError, OverflowError, RecursionError):
                raise ExperimentError(f"{at}: {name} must be an array of numbers "
                                      "(rows of equal length)") from None
            if array.shape != exp.shape:
                raise ExperimentError(f"{at}: expected {name} of shape {exp.shape}, got "
                                      f"{array.shape}")
            if not np.all(np.isfinite(array)):
                raise ExperimentError(f"{at}: {name} contains a non-finite number")
            return array
        if not isinstance(item, list) or len(item) != len(exp):
            found = f"{len(item)} items" if isinstance(item, list) else type(item).__name__
            raise ExperimentError(f"{at}: expected {_names_text(name)}, found {found}")
        return tuple(read(i, e, n, f"{at}[{k}]")
                     for k, (i, e, n) in enumerate(zip(item, exp, name)))

    return [read(item, exp, name, f"{where}[{k}]")
            for k, (item, exp, name) in enumerate(zip(raw, expected, names))]


def copy_weights(weights) -> Any:
    """An independent float64 copy of weights grouped as :meth:`Network.get_weights` gives
    them (any nesting: dense pairs, layernorm pairs, residual groups)."""
    import numpy as np

    if weights is None:
        return None
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        return np.array(weights, dtype=np.float64)
    if weights and all(isinstance(w, (int, float)) for w in weights):
        return np.array(weights, dtype=np.float64)  # a plain list of numbers is an array
    out = [copy_weights(group) for group in weights]
    return out if isinstance(weights, list) else tuple(out)


def _history_from_dict(raw) -> LossHistory:
    if raw is None:
        return LossHistory()
    if not isinstance(raw, dict):
        raise ExperimentError("history: expected an object")
    metric_name = raw.get("metric_name", "accuracy")
    if not isinstance(metric_name, str) or len(metric_name) > 40:
        raise ExperimentError("history.metric_name: expected a short text such as 'accuracy'")
    history = LossHistory(metric_name=metric_name)
    columns = ("epochs", "train_loss", "test_loss", "train_metric", "test_metric")
    lengths = set()
    for name in columns:
        values = raw.get(name, [])
        if not isinstance(values, list):
            raise ExperimentError(f"history.{name}: expected a list of numbers")
        if len(values) > MAX_HISTORY_POINTS:
            raise ExperimentError(f"history.{name}: {len(values):,} points, at most "
                                  f"{MAX_HISTORY_POINTS:,}")
        out = getattr(history, name)
        for index, value in enumerate(values):
            if value is None and name not in ("epochs", "train_loss"):
                out.append(math.nan)  # written for "no test set" / "no metric"
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                number = float(value)
                if not math.isfinite(number) or abs(number) > 1e300:
                    raise ExperimentError(f"history.{name}[{index}]: {value!r} is not a finite "
                                          "number")
                out.append(number)
            else:
                raise ExperimentError(f"history.{name}[{index}]: {value!r} is not a number")
        lengths.add(len(out))
    if len(lengths) > 1:
        raise ExperimentError("history: the columns have different lengths")
    return history


def _finite_or_nan(value) -> float:
    if value is None:
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def _nan_to_none(value):
    return None if value is None or not math.isfinite(value) else value
