"""The training thread: owns the engine's Trainer, applies commands between bursts.

The GUI never touches the live network. It sends commands (thread-safe methods that put
a tuple on a queue) and receives immutable engine snapshots through the
``snapshot_ready(snapshot, generation)`` signal, at most ``max_fps`` (50) times a second.
A snapshot's heatmap grid holds the output layer at every point of the plane's grid and the
hidden layers at the size a neuron is drawn (:func:`~neuroviz.app.constants.node_grid_step`).
``generation`` grows each time a new training run starts (configure, rebuild, reset),
so the window can tell a fresh run from the continuation of the current one.

``running_changed(bool)`` is the one truth about whether the worker trains: it turns True
for ``play()`` and for ``train_epochs()`` (a lesson's "show me"), and False whenever
training stops, whatever stopped it (pause, step, reset, divergence, the end of a
``train_epochs`` run). ``run_finished(run_id)`` tells the caller of ``train_epochs`` that
its run has ended, for whatever reason.

Early stopping: the trainer always keeps the weights of the lowest test loss. With the
hyperparameter ``early_stopping`` on, training stops once the test loss has not improved for
``patience`` epochs and those weights are put back; ``restore_best()`` puts them back on
request. Either way ``best_restored(info)`` reports it (:class:`BestRestored`).

Training runs in bursts of at least ``MIN_BURST_STEPS`` optimizer steps inside the
compiled (``nogil``) engine kernel, sized so a burst takes ``burst_seconds``; the
thread goes back to Python only between bursts, where it applies commands and
publishes. When paused it blocks on the queue (no polling, no timers). ``stop()``
is cooperative: the current burst finishes, then the thread exits.
"""

from __future__ import annotations

import math
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QThread, Signal

from neuroviz.app.constants import node_grid_step
from neuroviz.experiment import Hyperparameters, copy_weights

MIN_BURST_STEPS = 10
MAX_BURST_STEPS = 200_000

_STOP = ("stop", ())


@dataclass(frozen=True)
class BestRestored:
    """The weights of the lowest test loss were put back.

    ``epoch`` and ``test_loss`` describe them; ``old_weights`` and ``new_weights`` are the
    weights before and after (for undo); ``stopped_at`` is the epoch early stopping stopped
    at, or ``None`` when the learner asked for it.
    """

    epoch: int
    test_loss: float
    old_weights: list
    new_weights: list
    stopped_at: int | None = None
    patience: int | None = None

    def message(self, epoch_offset: int = 0) -> str:
        """What happened, in words; epochs counted from ``epoch_offset`` (the epochs an
        opened experiment had trained before)."""
        best = (f"the weights of epoch {epoch_offset + self.epoch} (lowest test loss "
                f"{self.test_loss:.4g})")
        if self.stopped_at is None:
            return f"Restored {best}."
        return (f"Stopped early at epoch {epoch_offset + self.stopped_at}: the test loss had "
                f"not improved for {self.stopped_at - self.epoch} epochs. Restored {best}.")


class TrainingWorker(QThread):
    """Background trainer. Create, connect, ``start()``; call ``stop()`` (or ``shutdown()``)."""

    snapshot_ready = Signal(object, int)  # engine Snapshot, run generation
    running_changed = Signal(bool)
    engine_ready = Signal()  # the engine's compiled code is loaded (first start may compile)
    failed = Signal(str)  # a command could not be applied; the previous state is kept
    run_finished = Signal(int)  # a train_epochs() run ended (done, paused, diverged...)
    best_restored = Signal(object)  # BestRestored: early stopping or restore_best()
    _delivered_later = Signal(object)  # GUI thread, queued: every slot of a snapshot has run

    def __init__(self, parent=None, *, max_fps: float = 50.0, burst_seconds: float = 0.018):
        super().__init__(parent)
        self.setObjectName("training_worker")
        self._queue: queue.Queue = queue.Queue()
        self._max_fps = float(max_fps)
        self._burst_seconds = float(burst_seconds)
        # Everything below is owned by the worker thread once it runs.
        self._trainer = None
        self._spec: dict | None = None
        self._seed = 0
        self._data: tuple | None = None
        self._hp = Hyperparameters()
        self._grid: tuple | None = None
        self._task: str | None = None
        self._running = False
        self._run_id: int | None = None  # the train_epochs() run in progress, if any
        self._epochs_left = 0
        self._chunk_epochs = 1
        self._paced = False  # a train_epochs run whose chunks wait for next_chunk()
        self._chunk_allowed = True
        self._gradients = False
        self._full_layer: int | None = None  # a layer whose grid stays full size (hovered)
        self._steps_per_second_limit: float | None = None
        self._burst_steps = 50
        self._step_seconds = 1e-4  # running estimate of one step's wall time
        self._last_publish = 0.0
        self._bursts_since_publish = 0
        self._rate_window: deque = deque(maxlen=64)
        self._history_lock = threading.Lock()
        self._history: list[tuple] = []  # (generation, epoch_progress, losses, metrics)
        # Read from the GUI thread (single reference assignments only).
        self.latest = None  # the newest published snapshot
        self.generation = 0
        self.steps_per_second = 0.0
        self.training_seconds = 0.0  # wall time spent running bursts (for the benchmark)
        self.training_steps = 0
        self._next_run_id = 0  # GUI thread: ids handed out by train_epochs()
        self._awaiting: object | None = None  # worker: the run chunk the GUI has not yet seen
        # A train_epochs() run shows every chunk: the next chunk starts only after the GUI
        # has run every slot of this one's snapshot (the window draws it, a lesson checks
        # its goal on it), however busy the machine is. This connection is made first, so
        # its queued call runs before the others; it queues the acknowledgement once more,
        # behind them.
        self.snapshot_ready.connect(self._on_delivered)
        self._delivered_later.connect(self._acknowledge, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ commands
    def _post(self, name: str, *args: Any) -> None:
        self._queue.put((name, args))

    def configure(self, X_train, Y_train, X_test, Y_test, spec: dict, hp: Hyperparameters,
                  seed: int, weights=None, grid_points=None, grid_shape=None,
                  task: str | None = None) -> None:
        """New data and network: starts a new run (weights from ``seed`` unless given)."""
        data = tuple(None if a is None else np.ascontiguousarray(a, dtype=np.float64)
                     for a in (X_train, Y_train, X_test, Y_test))
        grid = None
        if grid_points is not None:
            grid = (np.ascontiguousarray(grid_points, dtype=np.float64), tuple(grid_shape))
        self._post("configure", data, spec, hp, int(seed), _copy_weights(weights), grid, task)

    def set_data(self, X_train, Y_train, X_test, Y_test) -> None:
        """New examples of the same shape (e.g. points drawn or dragged): the weights, the
        optimizer state and the epoch count carry on, and so does a running training."""
        data = tuple(np.ascontiguousarray(a, dtype=np.float64)
                     for a in (X_train, Y_train, X_test, Y_test))
        self._post("data", data)

    def rebuild(self, spec: dict, weights=None) -> None:
        """New architecture; layers whose weight shapes did not change keep their weights."""
        self._post("rebuild", spec, _copy_weights(weights))

    def set_hyperparameters(self, hp: Hyperparameters) -> None:
        """Learning rate, optimizer, batch size and regularisation, applied live."""
        self._post("hyperparameters", hp)

    def play(self) -> None:
        self._post("play")

    def pause(self) -> None:
        self._post("pause")

    def train_epochs(self, epochs: int, chunk_epochs: int = 1, paced: bool = False) -> int:
        """Train ``epochs`` whole epochs as a run, then stop; returns the run's id.

        The run trains ``chunk_epochs`` epochs at a time at full speed (the speed limit
        does not apply), publishes a snapshot after every chunk and waits for the next
        frame before the next chunk, so a viewer sees it happen and ``pause()`` stops it
        within a chunk. It counts as running (``running_changed(True)`` ... ``(False)``)
        and ends with ``run_finished(run_id)``. With ``paced``, each chunk after the first
        waits for :meth:`next_chunk` instead of a frame: the caller checks each chunk's
        snapshot and can stop the run before another chunk trains, however slow it is.
        """
        self._next_run_id += 1
        self._post("train", int(epochs), max(1, int(chunk_epochs)), self._next_run_id,
                   bool(paced))
        return self._next_run_id

    def next_chunk(self) -> None:
        """A ``paced`` run may train its next chunk (the caller has seen the last one)."""
        self._post("next_chunk")

    def step_epoch(self, epochs: int = 1) -> None:
        """Pause, then train exactly ``epochs`` epochs and publish."""
        self._post("step", int(epochs))

    def reset(self, seed: int | None = None) -> None:
        """Re-initialise the weights (same seed unless given); training pauses."""
        self._post("reset", seed)

    def set_weight(self, node_layer: int, i: int, j: int, value: float) -> None:
        self._post("weight", int(node_layer), int(i), int(j), float(value))

    def set_bias(self, node_layer: int, j: int, value: float) -> None:
        self._post("bias", int(node_layer), int(j), float(value))

    def set_weights(self, weights) -> None:
        self._post("weights", _copy_weights(weights))

    def set_filter(self, node_layer: int, f: int, kernel, bias: float) -> None:
        """Filter ``f`` (kernel (k, k, c_in), bias) of convolution column ``node_layer``."""
        self._post("filter", int(node_layer), int(f), np.array(kernel, dtype=np.float64),
                   float(bias))

    def restore_best(self) -> None:
        """Put back the weights of the lowest test loss so far (training pauses); reported
        by ``best_restored``, or ``failed`` when there are none yet."""
        self._post("restore_best")

    def set_speed(self, steps_per_second: float | None) -> None:
        """Limit training speed (None: as fast as possible)."""
        self._post("speed", steps_per_second)

    def set_gradients(self, on: bool) -> None:
        """Include the last mini-batch gradients in published snapshots."""
        self._post("gradients", bool(on))

    def set_full_grid_layer(self, layer: int | None) -> None:
        """Send layer ``layer``'s heatmaps (an index into the snapshot's ``grid``) at every
        point of the plane's grid, like the output layer's, while a neuron of it is shown
        large (None: only the output layer). Publishes a snapshot when it changes."""
        self._post("full_grid_layer", None if layer is None else int(layer))

    def request_snapshot(self) -> None:
        self._post("publish")

    @property
    def trained_steps(self) -> int | None:
        """The trainer's step count (None before the first network). Read from the GUI
        thread it is exact while training is paused: nothing trains between commands."""
        trainer = self._trainer
        return None if trainer is None else int(trainer.step)

    def take_history(self, generation: int) -> list[tuple]:
        """Loss rows recorded after every burst since the last call (GUI thread).

        Each row is ``(epoch_progress, train_loss, test_loss, train_metric, test_metric)``;
        rows of other generations are dropped. This is finer than the published
        snapshots: the chart shows every burst, not only the drawn frames.
        """
        with self._history_lock:
            rows, self._history = self._history, []
        return [row[1:] for row in rows if row[0] == generation]

    def optimizer_state(self, timeout: float = 5.0) -> dict | None:
        """Copies of the trainer's weights and optimizer state, taken on the worker thread.

        Blocks the caller until the worker has applied every command queued before this
        call (so after ``pause()`` it is the state training stopped at), at most ``timeout``
        seconds. Returns None without a trainer, or if the worker did not answer in time.
        The dict has the keys of
        :func:`~neuroviz.engine.explain.optimizer_state_from_trainer` (``m1``, ``m2``, ``t``)
        plus ``weights``, ``step``, ``optimizer``, ``lr``, ``momentum``, ``l1``, ``l2``,
        ``beta1``, ``beta2``, ``eps`` and ``rho``, all copies taken at the same moment.
        """
        box: list = []
        done = threading.Event()
        if self.isRunning() and QThread.currentThread() is not self:
            self._post("optimizer_state", box, done)
            if not done.wait(timeout):
                return None
        else:  # no thread (not started or finished): nobody else touches the trainer
            self._do_optimizer_state(box, done)
        return box[0] if box else None

    def stop(self) -> None:
        """Ask the thread to finish (cooperative; returns at once)."""
        self._queue.put(_STOP)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop and wait for the thread; True if it has finished."""
        if not self.isRunning():
            return True
        self.stop()
        return self.wait(timeout_ms)

    def _on_delivered(self, snap, _generation: int) -> None:  # GUI thread
        self._delivered_later.emit(snap)

    def _acknowledge(self, snap) -> None:  # GUI thread, after the snapshot's other slots
        self._post("frame_shown", snap)

    # ------------------------------------------------------------------ thread
    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            self._warm_up()
        except Exception:  # pragma: no cover - shown to the user
            self.failed.emit("The training engine could not start:\n" + traceback.format_exc())
            return
        self.engine_ready.emit()
        while True:
            try:
                if self._running and self._trainer is not None:
                    if not self._drain(block=False):
                        return
                    if self._running and self._trainer is not None:  # a command may pause
                        self._burst()
                else:
                    if not self._drain(block=True):
                        return
            except Exception as exc:  # keep the thread alive; report and pause
                self._set_running(False)
                self.failed.emit(f"{type(exc).__name__}: {exc}")

    def _warm_up(self) -> None:
        """Load (or compile, on a cold cache) the engine's kernels on this thread."""
        from neuroviz.engine import Network, Trainer

        rng = np.random.default_rng(0)
        X = rng.normal(size=(8, 2))
        Y = (X[:, :1] > 0).astype(np.float64)
        net = Network.from_spec({
            "inputs": 2,
            "layers": [{"type": "dense", "units": 3, "activation": "tanh"},
                       {"type": "dense", "units": 1, "activation": "sigmoid"}],
            "loss": "bce",
        }, seed=0)
        trainer = Trainer(net, X, Y, X, Y, optimizer="sgd", lr=0.01, batch_size=4, seed=0)
        trainer.set_grid(rng.normal(size=(4, 2)), shape=(2, 2))
        trainer.run(2, grid=True, gradients=True)
        trainer.run_epochs(1)

    def _drain(self, block: bool, timeout: float | None = None) -> bool:
        """Apply queued commands; False when asked to stop."""
        publish = False
        while True:
            try:
                if block:
                    command = self._queue.get(timeout=timeout)
                    block = False
                else:
                    command = self._queue.get_nowait()
            except queue.Empty:
                break
            name, args = command
            if name == "stop":
                return False
            try:
                publish |= bool(getattr(self, "_do_" + name)(*args))
            except Exception as exc:
                self.failed.emit(f"{_describe(name)}: {exc}")
        if publish:
            self._publish()
        return True

    def _burst(self) -> None:
        if self._run_id is not None:
            self._chunk()
            return
        trainer = self._trainer
        now = time.perf_counter()
        frame = 1.0 / self._max_fps
        # Publish when this burst will end about a frame after the last publish: with
        # bursts sized to a frame, every burst publishes and no snapshot is wasted.
        # Early in a run, bursts stay short so the loss curve shows its fast first drop.
        steps = min(self._burst_steps, max(MIN_BURST_STEPS, trainer.step // 4))
        limit = self._steps_per_second_limit
        if limit is not None:
            steps = max(1, int(round(limit / self._max_fps)))
        if self._hp.early_stopping:  # the test loss is checked at least once an epoch
            steps = max(1, min(steps, trainer.steps_to_next_epoch()))
        expected = steps * self._step_seconds
        due = now + expected - self._last_publish >= 0.92 * frame
        t0 = time.perf_counter()
        snap = trainer.run(steps, grid=due and self._grid is not None, gradients=self._gradients)
        dt = time.perf_counter() - t0
        self.training_seconds += dt
        self.training_steps += max(0, steps)
        self._rate_window.append((t0 + dt, steps))
        self._update_rate()
        self._record(snap)
        if dt > 0 and steps >= MIN_BURST_STEPS:
            self._step_seconds = 0.7 * self._step_seconds + 0.3 * dt / steps
        if limit is None and dt > 0 and steps == self._burst_steps:
            # Size the next burst so it takes about burst_seconds (smoothed).
            target = steps * self._burst_seconds / dt
            target = 0.5 * steps + 0.5 * target
            self._burst_steps = int(min(MAX_BURST_STEPS, max(MIN_BURST_STEPS, target)))
        if snap.diverged:
            self._set_running(False)
            self._emit(snap)
            return
        if snap.stopped_early:
            self._stop_early(snap)
            return
        self._bursts_since_publish += 1
        if due:
            if limit is None and self._last_publish > 0:
                # Steer the burst length so each burst publishes once per frame: every
                # burst computes a snapshot, so a burst that ends before a frame has
                # passed wastes one (they cost ~1 ms each with the GUI painting).
                interval = time.perf_counter() - self._last_publish
                if self._bursts_since_publish > 1:
                    self._burst_seconds *= 1.25
                elif interval < 3 * frame:
                    self._burst_seconds += 0.25 * (frame - interval)
                self._burst_seconds = min(max(self._burst_seconds, 0.006), 0.02)
            self._emit(snap)
        if limit is not None:
            # Slow motion: wait for the next frame, still answering commands at once.
            remaining = 1.0 / self._max_fps - (time.perf_counter() - now)
            if remaining > 0:
                if not self._drain(block=True, timeout=remaining):
                    self._queue.put(_STOP)

    def _chunk(self) -> None:
        """One chunk of a ``train_epochs`` run: whole epochs, published, one per frame."""
        if self._paced and not self._chunk_allowed:
            if not self._drain(block=True, timeout=0.25):  # wait for next_chunk()
                self._queue.put(_STOP)
            return
        self._chunk_allowed = False
        trainer = self._trainer
        n = min(self._chunk_epochs, self._epochs_left)
        if self._hp.early_stopping:
            n = 1  # the test loss is checked once an epoch
        t0 = time.perf_counter()
        before = trainer.step
        snap = trainer.run_epochs(n, grid=self._grid is not None, gradients=self._gradients)
        dt = time.perf_counter() - t0
        steps = snap.step - before
        self.training_seconds += dt
        self.training_steps += steps
        self._rate_window.append((t0 + dt, steps))
        self._update_rate()
        self._epochs_left -= n
        self._record(snap)
        if snap.stopped_early:
            self._stop_early(snap)
            return
        self._awaiting = snap
        self._emit(snap)
        if snap.diverged or self._epochs_left <= 0:
            self._awaiting = None
            self._set_running(False)
            return
        if self._paced:  # the caller asks for the next chunk once it has seen this one
            self._awaiting = None
            return
        # Wait until the GUI has seen this chunk (answering commands meanwhile: Pause ends
        # the run at once), and at least a frame, so the run never depends on speed.
        run_id = self._run_id
        while self._awaiting is snap and self._running and self._run_id == run_id:
            if not self._drain(block=True, timeout=0.1):
                self._queue.put(_STOP)
                return
        self._awaiting = None
        remaining = 1.0 / self._max_fps - (time.perf_counter() - t0)
        if remaining > 0:
            if not self._drain(block=True, timeout=remaining):
                self._queue.put(_STOP)

    def _do_frame_shown(self, snap) -> bool:
        if snap is self._awaiting:
            self._awaiting = None
        return False

    def _end_run(self) -> None:
        """The ``train_epochs`` run in progress (if any) is over."""
        if self._run_id is not None:
            run_id, self._run_id = self._run_id, None
            self._epochs_left = 0
            self.run_finished.emit(run_id)

    def _update_rate(self) -> None:
        window = self._rate_window
        if len(window) >= 2:
            span = window[-1][0] - window[0][0]
            if span > 0:
                self.steps_per_second = sum(s for _, s in list(window)[1:]) / span

    def _publish(self) -> None:
        if self._trainer is None:
            return
        snap = self._trainer.snapshot(grid=self._grid is not None, gradients=self._gradients)
        self._record(snap)
        self._emit(snap)

    def _record(self, snap) -> None:
        row = (self.generation, snap.epoch_progress, snap.train_loss, snap.test_loss,
               snap.train_metric, snap.test_metric)
        with self._history_lock:
            self._history.append(row)
            if len(self._history) > 20_000:  # nobody is reading: keep memory bounded
                del self._history[:10_000]

    def _emit(self, snap) -> None:
        self._last_publish = time.perf_counter()
        self._bursts_since_publish = 0
        self.latest = snap
        self.snapshot_ready.emit(snap, self.generation)

    def _set_running(self, running: bool) -> None:
        if not running:
            self._end_run()
        if running != self._running:
            self._running = running
            if not running:
                self.steps_per_second = 0.0
                self._rate_window.clear()
            self.running_changed.emit(running)

    # ------------------------------------------------------------------ handlers
    def _new_trainer(self, net) -> None:
        from neuroviz.engine import Trainer

        X_train, Y_train, X_test, Y_test = self._data
        hp = self._hp
        trainer = Trainer(
            net, X_train, Y_train, X_test, Y_test,
            optimizer=hp.optimizer, lr=hp.learning_rate, batch_size=int(hp.batch_size),
            seed=self._seed, l1=hp.l1, l2=hp.l2, momentum=hp.momentum, task=self._task,
            patience=hp.patience if hp.early_stopping else None,
        )
        if self._grid is not None:
            # Hidden layers at the neurons' drawn size, the output layer at every grid point.
            shape = self._grid[1]
            trainer.set_grid(self._grid[0], shape=shape,
                             hidden_step=node_grid_step(min(shape)))
            trainer.set_grid_full_layers(() if self._full_layer is None else (self._full_layer,))
        self._trainer = trainer
        self.generation += 1
        self._burst_steps = max(MIN_BURST_STEPS, self._burst_steps)

    def _do_configure(self, data, spec, hp, seed, weights, grid, task) -> bool:
        from neuroviz.engine import Network

        net = Network.from_spec(spec, seed=seed)
        if weights is not None:
            net.set_weights(weights)
        old = (self._data, self._spec, self._hp, self._seed, self._grid, self._task)
        self._data, self._spec, self._hp, self._seed, self._grid = data, spec, hp, seed, grid
        self._task = task
        try:
            self._new_trainer(net)
        except Exception:
            self._data, self._spec, self._hp, self._seed, self._grid, self._task = old
            raise
        return True

    def _do_data(self, data) -> bool:
        old = self._trainer
        if old is None:
            return False
        previous, generation = self._data, self.generation
        self._data = data
        try:
            self._new_trainer(old.net)  # the same network object: its weights are kept
        except Exception:
            self._data, self._trainer = previous, old
            raise
        finally:
            self.generation = generation  # the same run: the loss history goes on
        new = self._trainer
        new._counters[:] = old._counters
        new._m1[:] = old._m1
        new._m2[:] = old._m2
        return True

    def _do_rebuild(self, spec, weights) -> bool:
        from neuroviz.engine import Network

        if self._data is None:
            return False
        net = Network.from_spec(spec, seed=self._seed)
        if weights is not None:
            net.set_weights(weights)
        elif self._trainer is not None:
            old = self._trainer.net.get_weights()
            new = net.get_weights()
            kept = [o if _shapes(o) == _shapes(n) else n
                    for o, n in zip(old, new, strict=False)] + new[len(old):]
            net.set_weights(kept)
        self._spec = spec
        self._new_trainer(net)
        return True

    def _do_hyperparameters(self, hp) -> bool:
        trainer = self._trainer
        if trainer is not None:
            try:
                _apply_hyperparameters(trainer, hp)
            except Exception:
                _apply_hyperparameters(trainer, self._hp)  # all or nothing
                raise
        self._hp = hp
        return trainer is not None

    def _do_play(self) -> bool:
        if self._trainer is None:
            return False
        if self._trainer.diverged:
            self._trainer.reset_optimizer()
            if self._trainer.diverged:
                return True
        self._end_run()  # plain play: no epoch budget any more
        self._set_running(True)
        return False

    def _do_train(self, epochs, chunk_epochs, run_id, paced=False) -> bool:
        self._end_run()  # a new run replaces the one in progress
        self._paced, self._chunk_allowed = bool(paced), True
        trainer = self._trainer
        if trainer is None or epochs <= 0:
            self.run_finished.emit(run_id)
            return False
        if trainer.diverged:
            trainer.reset_optimizer()
            if trainer.diverged:
                self.run_finished.emit(run_id)
                return True
        self._run_id = run_id
        self._epochs_left = int(epochs)
        self._chunk_epochs = int(chunk_epochs)
        self._set_running(True)
        return False

    def _do_next_chunk(self) -> bool:
        self._chunk_allowed = True
        return False

    def _do_pause(self) -> bool:
        was_running = self._running
        self._set_running(False)
        return was_running  # publish the exact state training stopped at

    def _do_step(self, epochs) -> bool:
        self._set_running(False)
        if self._trainer is None:
            return False
        t0 = time.perf_counter()
        before = self._trainer.step
        snap = self._trainer.run_epochs(
            epochs, grid=self._grid is not None, gradients=self._gradients
        )
        self.training_seconds += time.perf_counter() - t0
        self.training_steps += snap.step - before
        self._record(snap)
        if snap.stopped_early:
            self._stop_early(snap)
            return False
        self._emit(snap)
        return False

    def _stop_early(self, snap) -> None:
        """Early stopping stopped training: put the best weights back, publish, pause."""
        self._set_running(False)
        self._restore(stopped_at=int(snap.epoch))

    def _restore(self, stopped_at: int | None = None) -> bool:
        trainer = self._trainer
        if trainer is None or trainer.best_epoch is None:
            return False
        old = copy_weights(trainer.net.get_weights())
        epoch, loss = trainer.best_epoch, trainer.best_test_loss
        trainer.restore_best()
        self._publish()
        self.best_restored.emit(BestRestored(
            int(epoch), float(loss), old, copy_weights(trainer.net.get_weights()), stopped_at,
            trainer.patience))
        return True

    def _do_restore_best(self) -> bool:
        self._set_running(False)
        if self._trainer is None:
            return False
        if not self._restore():
            raise ValueError("there are no best weights yet: they need test data and some "
                             "training")
        return False

    def _do_reset(self, seed) -> bool:
        from neuroviz.engine import Network

        self._set_running(False)
        if self._spec is None or self._data is None:
            return False
        if seed is not None:
            self._seed = int(seed)
        self._new_trainer(Network.from_spec(self._spec, seed=self._seed))
        return True

    def _edit(self, node_layer, apply) -> bool:
        trainer = self._trainer
        if trainer is None:
            return False
        from neuroviz.app.network.kinds import build_columns

        net = trainer.net
        weights = net.get_weights()
        columns = build_columns(net.n_inputs, net.describe()).columns
        if not 1 <= node_layer < len(columns) or columns[node_layer].path is None \
                or columns[node_layer].kind == "sum":
            raise ValueError(f"layer {node_layer} has no weights or biases to set")
        group = weights
        for index in columns[node_layer].path:
            group = group[index]
        apply(group)  # the arrays are copies: change them in place, then set them all
        trainer.set_weights(weights)
        return True

    def _do_weight(self, node_layer, i, j, value) -> bool:
        if not math.isfinite(value):
            raise ValueError("a weight must be a finite number")

        def apply(pair):
            pair[0][i, j] = value

        return self._edit(node_layer, apply)

    def _do_bias(self, node_layer, j, value) -> bool:
        if not math.isfinite(value):
            raise ValueError("a bias must be a finite number")

        def apply(pair):
            pair[1][j] = value

        return self._edit(node_layer, apply)

    def _do_filter(self, node_layer, f, kernel, bias) -> bool:
        if not (np.isfinite(kernel).all() and math.isfinite(bias)):
            raise ValueError("a filter's weights and bias must be finite numbers")

        def apply(pair):
            pair[0][..., f] = kernel  # (k, k, c_in, filters): a shape mismatch raises
            pair[1][f] = bias

        return self._edit(node_layer, apply)

    def _do_weights(self, weights) -> bool:
        if self._trainer is None:
            return False
        self._trainer.set_weights(weights)
        return True

    def _do_speed(self, limit) -> bool:
        self._steps_per_second_limit = None if limit is None else max(1.0, float(limit))
        return False

    def _do_gradients(self, on) -> bool:
        changed = on != self._gradients
        self._gradients = on
        return changed

    def _do_full_grid_layer(self, layer) -> bool:
        if layer == self._full_layer:
            return False
        self._full_layer = layer
        if self._trainer is None:
            return False
        self._trainer.set_grid_full_layers(() if layer is None else (layer,))
        return layer is not None and self._grid is not None  # show it at once

    def _do_publish(self) -> bool:
        return True

    def _do_optimizer_state(self, box: list, done: threading.Event) -> bool:
        try:
            trainer = self._trainer
            if trainer is not None:
                from neuroviz.engine import kernels as K
                from neuroviz.engine.explain import optimizer_state_from_trainer

                state = optimizer_state_from_trainer(trainer)  # copies
                h = trainer._hyper
                state.update(
                    weights=_copy_weights(trainer.net.get_weights()), step=trainer.step,
                    optimizer=trainer.optimizer, lr=trainer.lr, momentum=trainer.momentum,
                    l1=trainer.l1, l2=trainer.l2, beta1=float(h[K.H_B1]),
                    beta2=float(h[K.H_B2]), eps=float(h[K.H_EPS]), rho=float(h[K.H_RHO]))
                box.append(state)
        finally:
            done.set()
        return False


def _apply_hyperparameters(trainer, hp: Hyperparameters) -> None:
    trainer.lr = hp.learning_rate
    trainer.l1 = hp.l1
    trainer.l2 = hp.l2
    trainer.batch_size = int(hp.batch_size)
    if trainer.optimizer != hp.optimizer:
        trainer.optimizer = hp.optimizer
    trainer.momentum = hp.momentum
    trainer.patience = int(hp.patience) if hp.early_stopping else None


def _copy_weights(weights):
    """Copies of weights grouped like ``Network.get_weights`` (any nesting)."""
    if weights is None:
        return None

    def copy(item):  # a tuple is a group (a residual block's); anything else an array
        if isinstance(item, tuple):
            return tuple(copy(g) for g in item)
        return np.array(item, dtype=np.float64)

    return [tuple(copy(item) for item in group) for group in weights]


def _shapes(group):
    if isinstance(group, np.ndarray):
        return group.shape
    return tuple(_shapes(g) for g in group)


def _describe(command: str) -> str:
    return {
        "configure": "Could not set up training",
        "rebuild": "Could not change the network",
        "data": "Could not use the new data",
        "hyperparameters": "Could not change the settings",
        "weight": "Could not set the weight",
        "bias": "Could not set the bias",
        "weights": "Could not set the weights",
        "filter": "Could not set the filter",
        "reset": "Could not reset",
        "step": "Could not train one epoch",
        "restore_best": "Could not restore the best weights",
    }.get(command, f"Command {command!r} failed")
