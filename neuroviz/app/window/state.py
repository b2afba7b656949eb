"""The experiment the window shows, as a small Qt-free model that views observe.

:class:`ExperimentState` holds the *desired* configuration (dataset settings, network
spec, hyperparameters, seed) and the loss history. It knows nothing about Qt or the
training thread: the window observes it and forwards changes to the worker.

Observers are plain callables ``callback(change: str)`` where ``change`` is one of
:data:`CHANGES`. Mutators only notify when something really changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from neuroviz.experiment import (
    REGULARIZATIONS,
    DatasetSettings,
    Experiment,
    Hyperparameters,
    LossHistory,
)

CHANGES = ("dataset", "network", "hyperparameters", "seed", "history", "experiment")

MAX_HIDDEN_LAYERS = 32
MAX_UNITS = 64
DEFAULT_HIDDEN_UNITS = 4
DEFAULT_ACTIVATION = "tanh"

Observer = Callable[[str], None]


class ExperimentState:
    """Observable experiment: dataset settings, network spec, hyperparameters, seed, history."""

    def __init__(self, experiment: Experiment | None = None) -> None:
        self._exp = experiment.copy() if experiment is not None else Experiment()
        self._observers: list[Observer] = []
        #: Layers the last dataset change removed because they did not fit its inputs.
        self.removed_layers: list[dict[str, Any]] = []

    # -- observers ---------------------------------------------------------------
    def subscribe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback(change)`` after each change; returns a function that unsubscribes."""
        self._observers.append(callback)

        def unsubscribe() -> None:
            if callback in self._observers:
                self._observers.remove(callback)

        return unsubscribe

    def _notify(self, change: str) -> None:
        for callback in list(self._observers):
            callback(change)

    # -- read access --------------------------------------------------------------
    @property
    def dataset(self) -> DatasetSettings:
        return copy.deepcopy(self._exp.dataset)

    @property
    def hyperparameters(self) -> Hyperparameters:
        return copy.deepcopy(self._exp.hyperparameters)

    @property
    def spec(self) -> dict[str, Any]:
        return copy.deepcopy(self._exp.spec)

    @property
    def seed(self) -> int:
        return self._exp.seed

    @property
    def history(self) -> LossHistory:
        """The live history object (append through :meth:`record`)."""
        return self._exp.history

    @property
    def epoch_offset(self) -> int:
        """Epochs trained before the current run started (from an opened experiment)."""
        return self._exp.epoch

    @property
    def hidden_layers(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._exp.spec["layers"][:-1])

    @property
    def hidden_sizes(self) -> list[int]:
        return [layer["units"] for layer in self._exp.spec["layers"][:-1]]

    def experiment(self, weights=None) -> Experiment:
        """A copy of the whole experiment, with ``weights`` (e.g. from the latest snapshot)."""
        exp = self._exp.copy()
        exp.weights = None if weights is None else [_copy_group(g) for g in weights]
        return exp

    # -- whole experiment ------------------------------------------------------------
    def load(self, experiment: Experiment) -> None:
        """Replace everything (File > Open, New, or a lesson preset)."""
        self._exp = experiment.copy()
        self._exp.weights = None  # weights live in the worker
        self._notify("experiment")

    # -- dataset ----------------------------------------------------------------------
    def set_dataset(self, settings: DatasetSettings, n_inputs: int | list[int], n_outputs: int,
                    output_activation: str, loss: str) -> None:
        """New dataset settings; the spec's inputs and output layer follow the dataset.

        ``n_inputs`` is the dataset's ``spec_inputs``: a number of input columns, or an
        image shape ``[H, W, C]`` (then layers that work on images can be inserted).
        Layers that no longer fit the new inputs (a convolution on a table, pooling that
        does not divide the new image size) are removed; :attr:`removed_layers` lists
        them until the next fit.
        """
        changed_ds = settings != self._exp.dataset
        self._exp.dataset = copy.deepcopy(settings)
        changed_net = self._fit_spec(n_inputs, n_outputs, output_activation, loss)
        if changed_ds or changed_net:
            self._notify("dataset")

    def fit_spec_to_dataset(self, n_inputs, n_outputs, output_activation, loss) -> bool:
        """Make the spec's inputs and output layer match a dataset (no notification)."""
        return self._fit_spec(n_inputs, n_outputs, output_activation, loss)

    def _fit_spec(self, n_inputs, n_outputs, output_activation, loss) -> bool:
        spec = self._exp.spec
        before = copy.deepcopy(spec)
        spec["inputs"] = spec_inputs(n_inputs)
        out = spec["layers"][-1]
        out["units"] = int(n_outputs)
        out["activation"] = output_activation
        spec["loss"] = loss
        self.removed_layers = drop_unfitting_layers(spec)
        return spec != before

    # -- network ------------------------------------------------------------------------
    def set_spec(self, spec: dict[str, Any]) -> None:
        if spec != self._exp.spec:
            self._exp.spec = copy.deepcopy(spec)
            self._notify("network")

    def spec_with(self, op: str, layer: int | None = None, value: Any = None) -> dict[str, Any]:
        """The spec after a network edit, without applying it (for undo commands).

        ``op`` is "add_layer", "remove_layer", "add_neuron", "remove_neuron" or
        "activation"; ``layer`` is a node-layer index (1 = first hidden layer).
        Returns the unchanged spec when the edit is not possible (limits).
        """
        spec = self.spec
        layers = spec["layers"]
        hidden = layers[:-1]
        if op == "add_layer":
            if len(hidden) < MAX_HIDDEN_LAYERS:
                template = hidden[-1] if hidden else {"activation": DEFAULT_ACTIVATION}
                layers.insert(len(hidden), {
                    "type": "dense",
                    "units": DEFAULT_HIDDEN_UNITS,
                    "activation": template.get("activation", DEFAULT_ACTIVATION),
                })
        elif op == "remove_layer":
            if hidden:
                layers.pop(len(hidden) - 1)
        elif op in ("add_neuron", "remove_neuron"):
            if layer is not None and 1 <= layer <= len(hidden):
                units = layers[layer - 1]["units"]
                units += 1 if op == "add_neuron" else -1
                layers[layer - 1]["units"] = max(1, min(MAX_UNITS, units))
        elif op == "activation":
            if layer is not None and 1 <= layer <= len(layers):
                layers[layer - 1]["activation"] = str(value)
        else:
            raise ValueError(f"unknown network edit {op!r}")
        return spec

    # -- hyperparameters ---------------------------------------------------------------
    def set_hyperparameters(self, **changes: Any) -> None:
        hp = self._exp.hyperparameters
        changed = False
        for key, value in changes.items():
            if not hasattr(hp, key):
                raise AttributeError(f"unknown hyperparameter {key!r}")
            if key == "regularization" and value not in REGULARIZATIONS:
                raise ValueError(f"regularization must be one of {REGULARIZATIONS}")
            if getattr(hp, key) != value:
                setattr(hp, key, value)
                changed = True
        if changed:
            self._notify("hyperparameters")

    # -- seed ----------------------------------------------------------------------------
    def set_seed(self, seed: int) -> None:
        if int(seed) != self._exp.seed:
            self._exp.seed = int(seed)
            self._notify("seed")

    # -- history -------------------------------------------------------------------------
    def clear_history(self, metric_name: str | None = None) -> None:
        self._exp.history.clear()
        self._exp.epoch = 0
        if metric_name:
            self._exp.history.metric_name = metric_name
        self._notify("history")

    def record_rows(self, rows, metric_name: str) -> bool:
        """Append ``(epoch_progress, train_loss, test_loss, train_metric, test_metric)`` rows."""
        history = self._exp.history
        history.metric_name = metric_name
        added = False
        for epoch, train_loss, test_loss, train_metric, test_metric in rows:
            added |= history.append(self._exp.epoch + epoch, train_loss, test_loss,
                                    train_metric, test_metric)
        if added:
            self._notify("history")
        return added

    def record(self, snap) -> bool:
        """Append a snapshot's losses and metrics (epochs offset by :attr:`epoch_offset`)."""
        history = self._exp.history
        history.metric_name = snap.metric_name
        added = history.append(
            self._exp.epoch + snap.epoch_progress,
            snap.train_loss,
            snap.test_loss,
            snap.train_metric,
            snap.test_metric,
        )
        if added:
            self._notify("history")
        return added


def spec_inputs(inputs: int | list[int] | tuple[int, ...]) -> int | list[int]:
    """A spec's ``inputs`` from a dataset's: a whole number, or a shape list such as
    [8, 8, 1]."""
    if isinstance(inputs, (list, tuple)):
        return [int(d) for d in inputs]
    return int(inputs)


def drop_unfitting_layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Remove (in place) the hidden layers that do not fit the spec's inputs, earliest
    first, until the engine accepts the spec; returns the removed layers. A spec the
    engine accepts is left alone (dense layers fit any inputs)."""
    from neuroviz.engine import normalise_spec

    def fits(layers) -> bool:
        try:
            normalise_spec({**spec, "layers": layers})
        except (ValueError, TypeError, KeyError):
            return False
        return True

    removed = []
    while len(spec["layers"]) > 1 and not fits(spec["layers"]):
        hidden, out = spec["layers"][:-1], spec["layers"][-1]
        culprit = next((i for i in range(len(hidden)) if not fits(hidden[:i + 1] + [out])),
                       len(hidden) - 1)
        removed.append(spec["layers"].pop(culprit))
    return removed


def _copy_group(group):
    """A copy of one layer's weights as ``Network.get_weights`` groups them (any nesting)."""
    if isinstance(group, (tuple, list)):
        return tuple(_copy_group(g) for g in group)
    return group.copy()
