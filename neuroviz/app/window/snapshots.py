"""The main window's side of the training worker: draw the newest snapshot, show progress,
engine start-up and failures, and per-example activations for tabular and image data.

The *selected example* is what the network canvas (and every view that follows it) shows a
forward pass of: a row picked on the output panel, or, for image data, the learner's
drawing (:meth:`SnapshotDrawingMixin.show_drawn_example`, from the sketch pad)."""

from __future__ import annotations

import numpy as np

from neuroviz.app.output.charts import format_number
from neuroviz.app.window.applying import output_names


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

    def show_training_status(self, snap, past: bool = False) -> None:
        """Public for the timeline: see :meth:`_update_status`."""
        self._update_status(snap, past)

    def _update_status(self, snap, past: bool = False) -> None:
        """The training readout in the status bar; while the timeline shows an earlier
        epoch it shows that epoch's step and losses (``past``), marked as such."""
        if self.toolbar.showing_past and not past:
            return
        parts = [f"step {snap.step:,}", f"train loss {format_number(snap.train_loss)}"]
        if past:
            parts.insert(0, "past:")
        if snap.test_loss is not None:
            parts.append(f"test loss {format_number(snap.test_loss)}")
        if self._running and self.worker.steps_per_second > 0:
            parts.append(f"{self.worker.steps_per_second:,.0f} steps/s")
        self.status_label.setText("   ".join(parts))

    def _update_example(self, snap) -> None:
        """The selected example's forward pass on the network canvas: a row of the data
        (``("train" | "test", row)``) or the learner's drawing (``("drawn", 0)``)."""
        if self._example is None:
            return
        split, row = self._example
        if split == "drawn":
            X = getattr(self, "_drawn_example", None)
            if X is None or X.shape[1] != self._dataset.n_features:
                return
            row = 0
        else:
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

    def select_example(self, split: str, row: int) -> None:
        """Make a row of the data the selected example of every view (the output panel
        marks it, the network canvas shows its forward pass) without announcing it as a
        click of the learner's (explain mode starting on an example uses this)."""
        self.output_view.set_selected_example(split, row)
        self._on_example_selected(split, row)

    @property
    def selected_example(self) -> tuple[str, int] | None:
        """The example the views show: ``("train" | "test", row)``, ``("drawn", 0)`` for
        the learner's drawing, or None (2-D data)."""
        return self._example

    @property
    def drawn_example(self):
        """The learner's drawing as the network's input row ``(n_features,)``, or None."""
        x = getattr(self, "_drawn_example", None)
        return None if x is None else x[0].copy()

    def show_drawn_example(self, x) -> bool:
        """Make the learner's drawing ``x`` (one input row of the current image dataset) the
        selected example: the network canvas shows its forward pass and the output panel
        its answer. None goes back to the example selected on the output panel. False (and
        nothing changes) when ``x`` does not fit the data."""
        ds = self._dataset
        if x is None:
            self._drawn_example = None
            if self._example is not None and self._example[0] == "drawn":
                self._example = self.output_view.selected
            self.output_view.set_drawn_example(None)
        else:
            x = np.asarray(x, dtype=np.float64).reshape(1, -1)
            if ds is None or ds.kind != "image" or x.shape[1] != ds.n_features or \
                    self.output_view.ds is not ds:
                return False
            self._drawn_example = x.copy()
            self._example = ("drawn", 0)
            self.output_view.set_drawn_example(x[0])
        if self.latest_snapshot is not None and ds is not None and ds.kind != "2d":
            self._update_example(self.latest_snapshot)
        self.selected_example_changed.emit()
        return True

    def _on_neuron_hovered(self, k: int, j: int) -> None:
        self.worker.set_full_grid_layer(self.network_view.grid_layer(k) if k >= 0 else None)
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
        if self._dataset is not None:  # "P(blue)" follows the palette's colour words
            self.network_view.output_names = list(output_names(self._dataset))
            self.network_view.canvas.update()
        if self.latest_snapshot is not None:
            self.output_view.set_snapshot(self.latest_snapshot)

    def _lower_learning_rate(self) -> str:
        """The divergence banner's fix: try the learning rate ×0.1, ×0.01... in a short trial
        run from the same starting weights until one stays finite, use it, restart, and say
        what was chosen (also returned)."""
        hp = self.state.hyperparameters
        old = hp.learning_rate
        chosen, failed, found = stable_learning_rate(self.state.spec, self.state.seed,
                                                     self._dataset, hp)
        self.set_hyperparameters(learning_rate=chosen)
        self.reset()
        if found:
            text = f"Learning rate lowered from {old:g} to {chosen:g}"
            if failed:
                text += (f" ({', '.join(f'{lr:g}' for lr in failed)} still diverged in a "
                         "short trial run)")
            text += ". Press Play to train again."
        else:
            text = (f"Learning rate lowered from {old:g} to {chosen:g}, the smallest offered; "
                    "a short trial run still diverged: check the network and the data.")
        self.statusBar().showMessage(text, 15000)
        self.show_banner(text)
        return text


#: The divergence fix never goes below this learning rate.
MIN_LEARNING_RATE = 1e-5


def stable_learning_rate(spec: dict, seed: int, dataset, hp, factor: float = 0.1,
                         trial_epochs: int = 5, max_steps: int = 3000
                         ) -> tuple[float, list[float], bool]:
    """Step the learning rate down by ``factor`` (not below :data:`MIN_LEARNING_RATE`) until a
    short trial run (``trial_epochs`` epochs, at most ``max_steps`` steps, from the network's
    starting weights for ``seed``, with ``hp``'s other settings) keeps the loss finite and
    below ten times its start.

    Returns ``(chosen, failed, found)``: the rate to use, the smaller-than-now rates whose
    trial diverged, and whether ``chosen`` passed its trial (False: even the smallest
    diverged).
    """
    from neuroviz.engine import Network, Trainer

    failed: list[float] = []
    lr = float(hp.learning_rate)
    while True:
        lr = max(float(f"{lr * factor:.3g}"), MIN_LEARNING_RATE)  # 0.3, not 0.30000000000000004
        net = Network.from_spec(spec, seed=seed)
        trainer = Trainer(net, dataset.X_train, dataset.Y_train, optimizer=hp.optimizer,
                          lr=lr, batch_size=int(hp.batch_size), seed=seed, l1=hp.l1,
                          l2=hp.l2, momentum=hp.momentum, task=dataset.task)
        start = trainer.snapshot().train_loss
        steps = min(max(trial_epochs * trainer.steps_per_epoch, 1), max_steps)
        with np.errstate(all="ignore"):
            snap = trainer.run(steps)
        loss = snap.train_loss
        if not snap.diverged and np.isfinite(loss) and loss <= 10.0 * max(start, 1e-12):
            return lr, failed, True
        if lr <= MIN_LEARNING_RATE:
            return lr, failed, False
        failed.append(lr)
