"""Applying the experiment state to the window: load the dataset, refresh every view,
configure the worker, and carry out network and weight edits (undoable)."""

from __future__ import annotations

import math

import numpy as np

from neuroviz.app.constants import GRID_N
from neuroviz.app.window.commands import (
    KIND_EDITS,
    NetworkEditCommand,
    WeightEditCommand,
    kind_edit_text,
    spec_with_kind,
)
from neuroviz.data import DATASETS, DatasetError
from neuroviz.experiment import DatasetSettings, load_dataset_for


class ExperimentApplyingMixin:
    """Keeps the views and the worker in step with the experiment state (mixed into
    :class:`MainWindow`)."""

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
        try:
            self.state.set_dataset(settings, ds.n_features, ds.n_outputs,
                                   ds.output_activation, ds.loss)
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
        if snap is None or not math.isfinite(value):
            return
        from neuroviz.app.network.kinds import column_params

        params = column_params(self.network_view.layout, snap.weights)
        if params is None or params[k - 1][0] is None:
            return
        W, b = params[k - 1]
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
        self._save_last_settings()

    def _refresh_controls(self) -> None:
        ds = self._dataset
        self.data_panel.set_settings(self.state.dataset, self.state.hyperparameters.batch_size)
        self.data_panel.set_counts(ds.n_train, ds.n_test)
        self.toolbar.set_hyperparameters(self.state.hyperparameters)
        self.toolbar.set_problem_type(ds.task)
        info = DATASETS.get(ds.name)
        self.controls.set_enabled("noise", bool(info is None or info.uses_noise))
        self.divergence_banner.hide()

    def _refresh_network_view(self) -> None:
        ds = self._dataset
        self.network_view.set_spec(list(ds.feature_names), self.state.spec, _output_names(ds))
        if self._input_images is not None:
            self.network_view.set_input_images(self._input_images)
        self._probe = None

    def _refresh_output_view(self) -> None:
        self.output_view.set_dataset(self._dataset, self.state.spec)
        if self._dataset.kind != "2d":
            self._example = ("train", 0)
        else:
            self._example = None


def _output_names(ds) -> tuple[str, ...]:
    if ds.task == "regression":
        return (ds.target_name or "prediction",)
    if ds.n_outputs == 1 and len(ds.class_names) == 2:
        return (f"P({ds.class_names[1]})",)
    return tuple(ds.class_names)
