"""Applying the experiment state to the window: load the dataset, refresh every view,
configure the worker, and carry out network and weight edits (undoable)."""

from __future__ import annotations

import math

import numpy as np

from neuroviz.app import palette as palettes
from neuroviz.app.constants import GRID_N
from neuroviz.app.window.commands import (
    KIND_EDITS,
    FilterEditCommand,
    NetworkEditCommand,
    WeightEditCommand,
    kind_edit_text,
    spec_with_kind,
)
from neuroviz.data import DATASETS, DatasetError
from neuroviz.experiment import (
    DatasetSettings,
    Experiment,
    ExperimentError,
    experiment_from_dict,
    load_dataset_for,
)

#: The largest whole numbers the window can hold: Qt's controls take 32-bit integers, and the
#: trainer's and the data generators' random seeds are unsigned 32-bit numbers.
MAX_CONTROL_INT = 2**31 - 1
MAX_SEED = 2**32 - 1


def check_applicable(experiment: Experiment) -> None:
    """Raise :class:`ExperimentError` naming the field if the window cannot show and train
    ``experiment`` (after the file format's own checks): whole numbers beyond what its
    controls and random generators take."""
    experiment_from_dict(experiment.to_dict(), check=True)
    limits = (
        ("seed", experiment.seed, 0, MAX_SEED),
        ("dataset.data_seed", experiment.dataset.data_seed, 0, MAX_SEED),
        ("hyperparameters.batch_size", experiment.hyperparameters.batch_size, 1, MAX_CONTROL_INT),
        ("dataset.n_samples", experiment.dataset.n_samples, 1, MAX_CONTROL_INT),
        ("epoch", experiment.epoch, 0, 2**53),
    )
    for name, value, low, high in limits:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ExperimentError(f"{name}: expected a whole number, got {value!r}")
        if not low <= int(value) <= high:
            raise ExperimentError(f"{name}: {value} is out of range (a whole number from "
                                  f"{low:,} to {high:,})")


class ExperimentApplyingMixin:
    """Keeps the views and the worker in step with the experiment state (mixed into
    :class:`MainWindow`)."""

    def _apply_experiment(self, experiment: Experiment) -> None:
        """Replace the whole experiment: validated first (raises ExperimentError and changes
        nothing), then applied; if applying fails anyway, the previous experiment comes
        back and the error is raised as an ExperimentError."""
        check_applicable(experiment)
        previous = self.current_experiment()
        keep_history = self._keep_history
        self.pause()
        try:
            self._load_experiment(experiment)
        except Exception as exc:  # noqa: BLE001 - all or nothing: restore, then report
            self.state.load(previous)
            self._keep_history = keep_history
            self._apply_all(weights=previous.weights)
            raise ExperimentError(f"the experiment could not be applied: {exc}") from exc
        self.experiment_applied.emit()

    def _load_experiment(self, experiment: Experiment) -> None:
        self.undo_stack.clear()
        self.state.load(experiment)
        self._keep_history = len(experiment.history) > 0
        self._apply_all(weights=experiment.weights)

    def _apply_all(self, weights=None) -> None:
        """Load the dataset of the state, update every view, configure the worker."""
        settings = self.state.dataset
        try:
            ds = load_dataset_for(settings)
        except (DatasetError, ValueError) as exc:
            self._report(f"Could not load the dataset '{settings.name}': {exc}; "
                         "using the default")
            settings = DatasetSettings()
            ds = load_dataset_for(settings)
        self._dataset = ds
        self._applying = True
        out, loss = ds.output_activation, ds.loss
        spec = self.state.spec
        if (ds.task == "classification" and spec.get("loss") == "mse" and ds.n_outputs == 1
                and spec["layers"][-1]["units"] == 1):
            # a lesson (or a saved file) chose squared error for two classes: keep it
            out, loss = spec["layers"][-1]["activation"], "mse"
        try:
            self.state.set_dataset(settings, ds.spec_inputs, ds.n_outputs, out, loss)
        finally:
            self._applying = False
        self._refresh_controls()
        self._refresh_network_view()
        self._refresh_output_view()
        self._configure_worker(weights)

    def _configure_worker(self, weights=None) -> None:
        ds = self._dataset
        grid_points = grid_shape = None
        self._input_images = None
        if ds.kind == "2d":
            lo, hi = ds.extent
            xs = np.linspace(lo, hi, GRID_N)
            gx, gy = np.meshgrid(xs, xs)
            raw = np.column_stack([gx.ravel(), gy.ravel()])
            grid_points = ds.transform(raw)
            grid_shape = (GRID_N, GRID_N)
            self._input_images = np.ascontiguousarray(
                grid_points.T.reshape(ds.n_features, GRID_N, GRID_N), dtype=np.float32)
        self.network_view.clear_heatmaps()
        self.network_view.set_grid_points(grid_points, grid_shape)
        self.network_view.set_mask_example(ds.X_train[0] if len(ds.X_train) else None)
        if self._input_images is not None:
            self.network_view.set_input_images(self._input_images)
        self.latest_snapshot = None
        self.worker.configure(ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, self.state.spec,
                              self.state.hyperparameters, self.state.seed, weights=weights,
                              grid_points=grid_points, grid_shape=grid_shape, task=ds.task)

    def set_data_live(self, settings: DatasetSettings, ds) -> None:
        """New examples while training goes on (points drawn, moved or erased): the state
        takes ``settings`` without a reset, the views show the new examples, and the worker
        trains on them with its current weights. Data of another shape is a new dataset."""
        old = self._dataset
        if old is None or (ds.kind, ds.task, ds.spec_inputs, ds.n_outputs) != (
                old.kind, old.task, old.spec_inputs, old.n_outputs):
            self.set_dataset(settings)
            return
        self._dataset = ds
        self._applying = True
        try:
            self.state.set_dataset(settings, ds.spec_inputs, ds.n_outputs,
                                   ds.output_activation, ds.loss)
        finally:
            self._applying = False
        if ds.name != old.name:
            self.data_panel.set_settings(self.state.dataset)
        self.data_panel.set_counts(ds.n_train, ds.n_test)
        self.output_view.set_dataset(ds, self.state.spec)
        if self.latest_snapshot is not None:
            self.output_view.set_snapshot(self.latest_snapshot)
        self.worker.set_data(ds.X_train, ds.Y_train, ds.X_test, ds.Y_test)
        if not self.is_running:
            self.worker.request_snapshot()

    def apply_network(self, spec: dict, weights=None) -> None:
        """Used by undo commands: set the architecture (and optionally the weights)."""
        self.state.set_spec(spec)
        self._refresh_network_view()
        self._refresh_output_view()
        self.latest_snapshot = None
        self.worker.rebuild(self.state.spec, weights)

    def apply_weight(self, node_layer: int, i: int, j: int | None, value: float) -> None:
        """Used by undo commands: set one weight, or a bias when ``j`` is None."""
        if j is None:
            self.worker.set_bias(node_layer, i, value)
        else:
            self.worker.set_weight(node_layer, i, j, value)
        self.weight_edited.emit(node_layer, i, -1 if j is None else j, value)

    def apply_filter(self, node_layer: int, f: int, kernel, bias: float) -> None:
        """Used by undo commands: set filter ``f`` of convolution column ``node_layer``."""
        self.worker.set_filter(node_layer, f, kernel, bias)
        self.weight_edited.emit(node_layer, f, 0, float(np.asarray(kernel).flat[0]))

    def _on_filter_edited(self, k: int, f: int, kernel, bias: float) -> None:
        """A filter set in the canvas's filter editor: an undoable edit of the trainer's
        weights (nothing happens if the network has changed since the editor opened)."""
        snap = self.latest_snapshot
        columns = self.network_view.columns
        if snap is None or not 1 <= k < len(columns) or columns[k].kind != "conv2d":
            return
        from neuroviz.app.network.kinds import column_params

        params = column_params(self.network_view.layout, snap.weights)
        kernel = np.asarray(kernel, dtype=np.float64)
        if params is None or params[k - 1][0] is None:
            return
        K, b = params[k - 1]
        if K.ndim != 4 or not 0 <= f < K.shape[3] or kernel.shape != K.shape[:3] or \
                not np.isfinite(kernel).all() or not math.isfinite(bias):
            return
        text = f"Set filter {f + 1} of layer {k}"
        self.undo_stack.push(FilterEditCommand(self, text, k, f, (K[..., f].copy(), b[f]),
                                               (kernel, bias)))

    def _edit_network(self, op: str, layer: int | None = None, value=None) -> None:
        """A network edit from the canvas; ``layer`` is the canvas column edited."""
        old = self.state.spec
        columns = self.network_view.columns
        where = None
        if layer is not None and 1 <= layer < len(columns):
            where = (columns[layer].top, columns[layer].inner)
        if op in KIND_EDITS:
            new = spec_with_kind(old, op, where, value)
        elif where is not None and where[1] is not None:  # a dense layer inside a block
            new = self._edit_inner(old, op, where, value)
        else:
            top = None if where is None else where[0] + 1
            new = self.state.spec_with(op, top if layer is not None else None, value)
        if new == old:
            self.statusBar().showMessage("That change is not possible here", 3000)
            return
        from neuroviz.engine import Network

        try:
            Network.from_spec(new, seed=0)
        except ValueError as exc:
            self._report(f"That network is not possible: {exc}")
            self._refresh_network_view()
            return
        texts = {op: kind_edit_text(op, value)} if op in KIND_EDITS else {}
        texts.update({"add_layer": "Add hidden layer", "remove_layer": "Remove hidden layer",
                 "add_neuron": f"Add neuron to layer {layer}",
                 "remove_neuron": f"Remove neuron from layer {layer}",
                 "activation": f"Set activation of layer {layer} to {value}"})
        snap = self.latest_snapshot
        old_weights = snap.weights if snap is not None and self._snapshot_matches_spec(snap) \
            else None
        self.undo_stack.push(NetworkEditCommand(self, texts[op], old, new, old_weights))

    @staticmethod
    def _edit_inner(spec: dict, op: str, where: tuple[int, int], value) -> dict:
        """Neurons or activation of a dense layer inside a residual block."""
        from neuroviz.app.window.state import MAX_UNITS

        layer = spec["layers"][where[0]]["layers"][where[1]]
        if op == "activation":
            layer["activation"] = str(value)
        elif op in ("add_neuron", "remove_neuron"):
            units = layer["units"] + (1 if op == "add_neuron" else -1)
            layer["units"] = max(1, min(MAX_UNITS, units))
        return spec

    def _on_weight_edited(self, k: int, i: int, j: int, value: float) -> None:
        """A weight (j >= 0) or bias (j == -1, i = neuron) typed on canvas column ``k``."""
        snap = self.latest_snapshot
        if snap is None or not math.isfinite(value) or \
                not 1 <= k < len(self.network_view.columns):
            return
        from neuroviz.app.network.kinds import column_params

        params = column_params(self.network_view.layout, snap.weights)
        if params is None or params[k - 1][0] is None or params[k - 1][1] is None:
            return
        W, b = params[k - 1]
        inside = (W.ndim == 2 and 0 <= i < W.shape[0] and 0 <= j < W.shape[1]) if j >= 0 \
            else 0 <= i < b.size
        if not inside:  # typed into a network that has changed since: nothing to set
            return
        if j >= 0:
            old = float(W[i, j])
            text = f"Set weight {i + 1}\u2192{j + 1} of layer {k} to {value:g}"
            self.undo_stack.push(WeightEditCommand(self, text, k, i, j, old, value))
        else:
            old = float(b[i])
            text = f"Set bias of neuron {i + 1} in layer {k} to {value:g}"
            self.undo_stack.push(WeightEditCommand(self, text, k, i, None, old, value))

    def _on_state_changed(self, change: str) -> None:
        if self._applying:
            return
        if change == "hyperparameters":
            self.worker.set_hyperparameters(self.state.hyperparameters)
            self.toolbar.set_hyperparameters(self.state.hyperparameters)
            self.data_panel.batch_size.blockSignals(True)
            self.data_panel.batch_size.setValue(self.state.hyperparameters.batch_size)
            self.data_panel.batch_value.setText(str(self.state.hyperparameters.batch_size))
            self.data_panel.batch_size.blockSignals(False)
            self.divergence_banner.hide()
        elif change == "seed":
            self.worker.reset(self.state.seed)
        elif change == "dataset":
            self.undo_stack.clear()
            self.pause()
            self._refresh_controls()
            self._refresh_network_view()
            self._refresh_output_view()
            self._configure_worker()
        elif change == "history" and self._history_save_key() == getattr(
                self, "_saved_history_key", None):
            return  # new loss rows only (every frame): the remembered settings keep none
        self._save_last_settings()

    def _history_save_key(self) -> tuple:
        """What of the history the remembered settings keep (its rows are cleared)."""
        return self.state.epoch_offset, self.state.history.metric_name

    def _refresh_controls(self) -> None:
        ds = self._dataset
        self.data_panel.set_settings(self.state.dataset, self.state.hyperparameters.batch_size)
        self.data_panel.set_counts(ds.n_train, ds.n_test)
        self.toolbar.set_hyperparameters(self.state.hyperparameters)
        self.toolbar.set_problem_type(ds.task)
        info = DATASETS.get(ds.name)
        self.controls.set_enabled("noise", bool(info is not None and info.uses_noise))
        self.divergence_banner.hide()

    def _refresh_network_view(self) -> None:
        ds = self._dataset
        self.network_view.set_spec(list(ds.feature_names), self.state.spec, output_names(ds))
        if self._input_images is not None:
            self.network_view.set_input_images(self._input_images)
        self._probe = None

    def _refresh_output_view(self) -> None:
        self.output_view.set_dataset(self._dataset, self.state.spec)
        self._drawn_example = None  # a drawing belongs to the data it was drawn for
        if self._dataset.kind != "2d":
            # The network shows the example the output panel has selected (for images the
            # "selected image"), and the panel marks the one the network shows.
            if self.output_view.selected is None:
                self.output_view.set_selected_example("train", 0)
            self._example = self.output_view.selected
        else:
            self._example = None


def output_names(ds) -> tuple[str, ...]:
    """Names of the output neurons, with class colour words as the palette names them."""
    if ds.task == "regression":
        return (ds.target_name or "prediction",)
    names = palettes.display_class_names(ds.class_names)
    if ds.n_outputs == 1 and len(names) == 2:
        return (f"P({names[1]})",)
    return tuple(names)
