"""The training worker on its own: throttled snapshots, live commands, clean stop."""

from __future__ import annotations

import time

import numpy as np
import pytest

from neuroviz.app.training.worker import TrainingWorker
from neuroviz.data import load_dataset
from neuroviz.experiment import Hyperparameters

SPEC = {"inputs": 2, "layers": [{"type": "dense", "units": 6, "activation": "tanh"},
                                {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "loss": "bce"}


@pytest.fixture
def worker(qtbot):
    w = TrainingWorker()
    received = []
    w.snapshot_ready.connect(lambda snap, gen: received.append((time.perf_counter(), snap, gen)))
    w.received = received
    ds = load_dataset("circle", seed=0)
    xs = np.linspace(-6, 6, 20)
    gx, gy = np.meshgrid(xs, xs)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    w.configure(ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, SPEC, Hyperparameters(), 0,
                grid_points=points, grid_shape=(20, 20))
    w.start()
    qtbot.waitUntil(lambda: bool(received), timeout=120_000)
    yield w
    assert w.shutdown(10_000)


def test_publishes_at_most_about_60_per_second(worker, qtbot):
    worker.play()
    qtbot.waitUntil(lambda: worker.received[-1][1].step > 1000 and len(worker.received) > 10,
                    timeout=60_000)
    worker.pause()
    qtbot.waitUntil(lambda: not worker._running)
    times = [t for t, snap, _ in worker.received if snap.step > 0]
    span = times[-1] - times[0]
    assert len(times) >= 10
    # An upper bound only (the throttle): a busy machine publishes less, never more.
    assert len(times) <= 75 * span + 2
    steps = worker.received[-1][1].step
    assert steps > 1000, "training barely ran"
    assert worker.received[-1][1].grid is not None


def test_commands_between_bursts(worker, qtbot):
    gen = worker.received[-1][2]
    worker.step_epoch()
    qtbot.waitUntil(lambda: worker.received[-1][1].epoch == 1)
    worker.set_weight(1, 0, 0, 2.5)
    qtbot.waitUntil(lambda: worker.received[-1][1].weights[0][0][0, 0] == 2.5)
    kept = worker.received[-1][1].weights[0]
    spec = {**SPEC, "layers": [dict(SPEC["layers"][0]), {"type": "dense", "units": 3,
                                                          "activation": "relu"},
                               dict(SPEC["layers"][1])]}
    worker.rebuild(spec)
    qtbot.waitUntil(lambda: worker.received[-1][1].layer_sizes == (2, 6, 3, 1))
    snap, new_gen = worker.received[-1][1:]
    assert new_gen == gen + 1
    np.testing.assert_array_equal(snap.weights[0][0], kept[0])  # unchanged shape: kept
    worker.set_hyperparameters(Hyperparameters(learning_rate=0.3, optimizer="adam"))
    qtbot.waitUntil(lambda: worker.received[-1][1].optimizer == "adam")
    worker.reset()
    qtbot.waitUntil(lambda: worker.received[-1][1].step == 0)


def test_bad_command_is_reported_and_state_kept(worker, qtbot):
    errors = []
    worker.failed.connect(errors.append)
    worker.set_weight(7, 0, 0, 1.0)
    qtbot.waitUntil(lambda: bool(errors))
    assert "layer 7" in errors[0]
    worker.set_hyperparameters(Hyperparameters(learning_rate=0.1, batch_size=0))
    qtbot.waitUntil(lambda: len(errors) == 2)
    worker.request_snapshot()
    count = len(worker.received)
    qtbot.waitUntil(lambda: len(worker.received) > count)
    snap = worker.received[-1][1]
    assert snap.lr == 0.03 and snap.batch_size == 10  # all-or-nothing


def test_stop_while_running_is_prompt(worker, qtbot):
    worker.play()
    qtbot.waitUntil(lambda: worker.received[-1][1].step > 100)
    assert worker.shutdown(5000)  # cooperative: between two bursts
    assert not worker.isRunning()


def test_train_epochs_is_a_run_that_ends_by_itself_or_on_pause(worker, qtbot):
    states, finished = [], []
    worker.running_changed.connect(states.append)
    worker.run_finished.connect(finished.append)
    start = worker.received[-1][1].epoch
    run = worker.train_epochs(40, 4)
    qtbot.waitUntil(lambda: finished == [run], timeout=60_000)
    assert states == [True, False]  # it counts as training, then stops by itself
    epochs = [snap.epoch for _, snap, _ in worker.received if snap.epoch > start]
    assert epochs == list(range(start + 4, start + 41, 4))  # one snapshot a chunk, no more

    long_run = worker.train_epochs(100_000, 10)
    qtbot.waitUntil(lambda: states == [True, False, True], timeout=60_000)
    worker.pause()
    qtbot.waitUntil(lambda: finished == [run, long_run], timeout=60_000)
    assert states == [True, False, True, False]
    assert worker.received[-1][1].epoch < start + 40 + 100_000


def test_a_run_shows_every_chunk_even_when_the_gui_is_slow(qtbot):
    """ "Show me" must not depend on the machine's speed: however long the GUI takes with a
    snapshot, the next chunk is trained only after every slot of this one has run, so the
    window draws (and a lesson checks its goal on) every chunk."""
    import threading

    from neuroviz.app.window.main_window import MainWindow

    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.engine_ready and win.latest_snapshot is not None,
                    timeout=120_000)
    drawn, finished = [], []

    def slow_gui(snap):
        # A busy GUI: stay in this slot until the worker is two chunks ahead (it must not
        # get there) or a while has passed.
        for _ in range(50):
            latest = win.worker.latest
            if latest is not None and latest.epoch >= snap.epoch + 4:
                break
            threading.Event().wait(0.01)
        drawn.append(int(snap.epoch))

    win.snapshot_drawn.connect(slow_gui)
    win.worker.run_finished.connect(finished.append)
    start = win.latest_snapshot.epoch
    run = win.train_epochs(10, 2)
    qtbot.waitUntil(lambda: finished == [run], timeout=120_000)
    qtbot.waitUntil(lambda: drawn and drawn[-1] == start + 10, timeout=60_000)
    assert [e for e in drawn if e > start] == list(range(start + 2, start + 11, 2))
    win.close()


def test_hidden_heatmaps_at_the_drawn_size_a_hovered_layer_at_the_full_grid(qtbot):
    # The plane's 100 x 100 grid: the output layer comes at every point (the decision
    # boundary), the hidden layer at the neurons' drawn size (every other point, 50 x 50),
    # and at every point once a neuron of it is shown large (set_full_grid_layer).
    from neuroviz.app.constants import GRID_N, NODE_GRID
    from neuroviz.engine import Network

    w = TrainingWorker()
    received = []
    w.snapshot_ready.connect(lambda snap, gen: received.append(snap))
    ds = load_dataset("circle", seed=0)
    xs = np.linspace(-6, 6, GRID_N)
    gx, gy = np.meshgrid(xs, xs)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    w.configure(ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, SPEC, Hyperparameters(), 0,
                grid_points=points, grid_shape=(GRID_N, GRID_N))
    w.start()
    try:
        qtbot.waitUntil(lambda: bool(received), timeout=120_000)
        hidden, out = received[-1].grid
        assert GRID_N >= 100 and hidden.shape == (6, NODE_GRID, NODE_GRID)
        assert out.shape == (1, GRID_N, GRID_N)
        net = Network.from_spec(SPEC, seed=0)
        net.set_weights(received[-1].weights)
        ref = [a.T.reshape(a.shape[1], GRID_N, GRID_N) for _, a in net.forward_all(points)]
        step = GRID_N // NODE_GRID
        np.testing.assert_allclose(hidden, ref[0][:, ::step, ::step], atol=1e-5)
        np.testing.assert_allclose(out, ref[1], atol=1e-5)

        count = len(received)
        w.set_full_grid_layer(0)  # paused: published at once
        qtbot.waitUntil(lambda: len(received) > count, timeout=20_000)
        hidden = received[-1].grid[0]
        assert hidden.shape == (6, GRID_N, GRID_N)
        np.testing.assert_allclose(hidden, ref[0], atol=1e-5)

        w.set_full_grid_layer(None)
        count = len(received)
        w.step_epoch()
        qtbot.waitUntil(lambda: len(received) > count, timeout=20_000)
        assert received[-1].grid[0].shape == (6, NODE_GRID, NODE_GRID)
    finally:
        assert w.shutdown(10_000)
