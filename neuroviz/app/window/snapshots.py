"""The main window's side of the training worker: draw the newest snapshot, show progress,
engine start-up and failures, and per-example activations for tabular and image data."""

from __future__ import annotations

import numpy as np

from neuroviz.app.output.charts import format_number


class SnapshotDrawingMixin:
    """Slots for the worker's signals (mixed into :class:`MainWindow`)."""

    def _on_engine_ready(self) -> None:
        self._engine_ready = True
        self.engine_banner.hide()
        self.statusBar().showMessage("Engine ready", 3000)

    def _on_running_changed(self, running: bool) -> None:
        """The worker started or stopped training (play, "show me", pause, divergence...):
        the play button and the Training menu's action say what Space will do now."""
        self._running = running
        self.toolbar.set_running(running)
        self.action_play.setText("&Pause" if running else "&Play")
        tip = "Pause training" if running else "Start training"
        self.action_play.setToolTip(tip)
        self.action_play.setStatusTip(tip)
        if running:
            self.divergence_banner.hide()

    def _on_worker_failed(self, message: str) -> None:
        self._report(message)

    def _on_snapshot(self, snap, generation: int) -> None:
        if snap is not self.worker.latest:
            return  # a newer snapshot is already queued: draw only the newest
        if generation != self._generation:
            self._generation = generation
            if self._keep_history:
                self._keep_history = False
            else:
                self.state.clear_history(snap.metric_name)
        if not self._snapshot_matches_spec(snap):
            return
        self.latest_snapshot = snap
        if snap.diverged and snap.grid is not None and not all(
                np.isfinite(g).all() for g in snap.grid):
            import dataclasses

            snap = dataclasses.replace(snap, grid=None)  # draw nothing from NaNs
        self.state.record_rows(self.worker.take_history(generation), snap.metric_name)
        self.network_view.set_snapshot(snap)
        self.output_view.set_snapshot(snap)
        if self._dataset.kind != "2d":
            self._update_example(snap)
        self.charts.update_history(self.state.history, force=not self._running)
        self.toolbar.set_epoch(self.state.epoch_offset + snap.epoch)
        self._update_status(snap)
        if snap.diverged:
            self.divergence_banner.show_message(
                snap.message or "The loss became infinite: try a smaller learning rate.",
                action="Use a smaller learning rate")
        elif self.divergence_banner.isVisible():
            self.divergence_banner.hide()
        self._frames += 1
        self.snapshot_drawn.emit(snap)

    def _snapshot_matches_spec(self, snap) -> bool:
        from neuroviz.app.network.kinds import top_sizes

        return tuple(snap.layer_sizes) == top_sizes(self.state.spec)

    def _update_status(self, snap) -> None:
        parts = [f"step {snap.step:,}", f"train loss {format_number(snap.train_loss)}"]
        if snap.test_loss is not None:
            parts.append(f"test loss {format_number(snap.test_loss)}")
        if self._running and self.worker.steps_per_second > 0:
            parts.append(f"{self.worker.steps_per_second:,.0f} steps/s")
        self.status_label.setText("   ".join(parts))

    def _update_example(self, snap) -> None:
        if self._example is None:
            return
        split, row = self._example
        X = self._dataset.X_train if split == "train" else self._dataset.X_test
        if not 0 <= row < len(X):
            return
        from neuroviz.engine import Network

        if self._probe is None:
            self._probe = Network.from_spec(self.state.spec, seed=0)
        try:
            self._probe.set_weights(snap.weights)
        except ValueError:
            return
        x = X[row:row + 1]
        self.network_view.set_mask_example(x[0])
        self.network_view.set_example_forward(x[0], self._probe.forward_all(x))

    def _on_example_selected(self, split: str, row: int) -> None:
        self._example = (split, int(row))
        if self.latest_snapshot is not None and self._dataset.kind != "2d":
            self._update_example(self.latest_snapshot)

    def _on_neuron_hovered(self, k: int, j: int) -> None:
        if k < 0:
            self.output_view.show_neuron_image(None)
            return
        image = self.network_view.neuron_image(k, j)
        title = "input " + self._dataset.feature_names[j] if k == 0 else \
            f"layer {k}, neuron {j + 1}"
        self.output_view.show_neuron_image(image, title)

    def _on_palette_changed(self, name: str) -> None:
        action = self.palette_actions.get(name)
        if action is not None:
            action.setChecked(True)
        self._settings.setValue("palette", name)
        if self.latest_snapshot is not None:
            self.output_view.set_snapshot(self.latest_snapshot)

    def _lower_learning_rate(self) -> None:
        lr = self.state.hyperparameters.learning_rate
        self.set_hyperparameters(learning_rate=max(lr / 10.0, 1e-5))
        self.reset()
