"""Timeline scrubbing, resuming from an earlier epoch, and comparing runs, in the real window."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.app.timeline.runs import describe_difference


@pytest.fixture
def win(window):
    return window


def train_epochs(win, qtbot, n):
    for _ in range(n):
        before = win.latest_snapshot.epoch
        win.step_epoch()
        qtbot.waitUntil(lambda b=before: win.latest_snapshot.epoch == b + 1, timeout=60_000)


def test_scrub_back_shows_exact_weights_and_resume(win, qtbot, screenshot):
    tl = win.timeline
    saved = {}
    for _ in range(6):
        train_epochs(win, qtbot, 1)
        snap = win.latest_snapshot
        saved[snap.epoch] = [(W.copy(), b.copy()) for W, b in snap.weights]
    assert tl.timeline.epochs == list(range(0, 7))
    view = tl.view
    assert view.is_live
    view.select_epoch(2)
    assert tl.scrubbed_entry.epoch == 2
    # the network view shows exactly the weights saved for epoch 2
    for (W, b), (Ws, bs) in zip(win.network_view.weights, saved[2]):
        np.testing.assert_array_equal(W, Ws)
        np.testing.assert_array_equal(b, bs)
    assert "Epoch 2" in view.readout.text()
    assert view.resume_button.isEnabled()
    win.output_view.flush()
    screenshot(win, "timeline_scrubbed")
    # resume: training continues (it runs on) from those exact weights, epoch counter from 2
    published = []
    win.worker.snapshot_ready.connect(lambda snap, _generation: published.append(snap))
    view.resume_button.click()
    assert tl.timeline.epochs == [0, 1, 2]
    assert max(win.state.history.epochs) <= 2 + 1e-9
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running and win.latest_snapshot is not None
                    and win.state.epoch_offset == 2, timeout=60_000)
    first = next(snap for snap in published if snap.step == 0)
    for (W, b), (Ws, bs) in zip(first.weights, saved[2]):
        np.testing.assert_array_equal(W, Ws)
        np.testing.assert_array_equal(b, bs)
    # Training went on from epoch 2: the timeline keeps epochs 0-2 and records the new ones.
    train_epochs(win, qtbot, 1)
    epochs = tl.timeline.epochs
    assert epochs[:3] == [0, 1, 2] and epochs == sorted(epochs) and epochs[-1] >= 3
    now = win.state.epoch_offset + win.latest_snapshot.epoch
    assert epochs[-1] == now
    assert win.toolbar.epoch_label.text() == f"Epoch {now:,}"
    assert tl.view.is_live


def test_live_returns_to_present_and_play_leaves_the_past(win, qtbot):
    train_epochs(win, qtbot, 3)
    tl = win.timeline
    tl.view.select_epoch(1)
    assert tl.scrubbed_entry is not None
    tl.view.live_button.click()
    assert tl.scrubbed_entry is None
    for (W, _), (Wl, _) in zip(win.network_view.weights, win.latest_snapshot.weights):
        np.testing.assert_array_equal(W, Wl)
    tl.view.select_epoch(0)
    win.play()
    qtbot.waitUntil(lambda: tl.scrubbed_entry is None, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)


def test_reset_clears_the_timeline_and_keeps_the_earlier_run(win, qtbot):
    train_epochs(win, qtbot, 3)
    win.set_hyperparameters(learning_rate=0.3)
    win.reset()
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and win.latest_snapshot.step == 0,
                    timeout=60_000)
    train_epochs(win, qtbot, 2)
    assert win.timeline.timeline.epochs == [0, 1, 2]
    runs = win.runs
    assert len(runs.runs) == 1
    assert runs.labels == ["run 1: lr 0.03 \u2192 0.3"]
    win.action_clear_runs.trigger()
    assert runs.runs == []


def test_describe_difference():
    base = {"lr": 0.03, "optimizer": "sgd", "batch": 10, "reg": None, "layers": [4, 2],
            "activation": ["tanh"], "data": "circle", "noise": 0.0, "features": ("x1", "x2"),
            "seed": 0}
    assert describe_difference(base, base) == ""
    other = dict(base, lr=0.3, layers=[8])
    assert describe_difference(base, other) == "lr 0.03, layers 4\u00d72"
    assert describe_difference(base, other, arrows=True) == \
        "lr 0.03 \u2192 0.3, layers 4\u00d72 \u2192 8"
    other = dict(base, data="boxoffice_budget", reg=("l2", 0.01), optimizer="adam")
    assert describe_difference(base, other, arrows=True) == (
        "Circle \u2192 Box office: budget only (synthetic), SGD \u2192 Adam, "
        "regularisation none \u2192 L2 0.01")


def test_entries_recorded_while_playing_are_labelled_with_their_exact_step(win, qtbot):
    """While training runs, snapshots come from inside epochs: each entry says its exact
    fractional epoch and step, and its weights are exactly those of that step."""
    from neuroviz.engine import Network, Trainer

    tl = win.timeline
    initial = [(W.copy(), b.copy()) for W, b in win.latest_snapshot.weights]
    win.play()
    # the newest entry is "live" on the slider, so the entry to scrub to is an older one
    def older_inside():
        return [e for e in tl.timeline.entries[:-1] if not e.at_boundary]

    qtbot.waitUntil(lambda: len(tl.timeline) >= 4 and bool(older_inside()), timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    inside = older_inside()
    assert inside, "expected snapshots from inside an epoch"
    entry = inside[len(inside) // 2]
    assert entry.epoch < entry.position < entry.epoch + 1
    tl.view.select_epoch(entry.epoch)
    assert tl.scrubbed_entry is entry
    text = tl.view.readout.text()
    assert f"Epoch {entry.position:,.2f} (step {entry.step:,})" in text
    # an independent trainer run for exactly entry.step steps has exactly these weights
    ds = win.dataset
    hp = win.state.hyperparameters
    net = Network.from_spec(win.state.spec)
    net.set_weights(initial)
    replay = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, optimizer=hp.optimizer,
                     lr=hp.learning_rate, batch_size=int(hp.batch_size), seed=win.state.seed,
                     l1=hp.l1, l2=hp.l2, momentum=hp.momentum, task=ds.task)
    snap = replay.run(entry.step)
    assert snap.epoch_progress == pytest.approx(entry.position)
    for (W, b), (Wr, br), (Wv, bv) in zip(entry.weights, replay.net.get_weights(),
                                          win.network_view.weights):
        np.testing.assert_array_equal(W, Wr)
        np.testing.assert_array_equal(b, br)
        np.testing.assert_array_equal(Wv, W)
        np.testing.assert_array_equal(bv, b)
    assert tl._marker.value() == pytest.approx(entry.position)
    tl.view.go_live()
