"""The training timeline (Qt-free): exact weights back, geometric thinning, memory bound."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.engine import Network, Trainer
from neuroviz.timeline import MIN_ENTRIES, Timeline


def small_run():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    net = Network.from_spec({"inputs": 2, "layers": [
        {"type": "dense", "units": 5, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}, seed=1)
    return Trainer(net, X, Y, optimizer="adam", lr=0.05, batch_size=8, seed=0)


def test_restores_exactly_the_weights_saved_for_an_epoch():
    trainer = small_run()
    timeline = Timeline()
    saved = {}
    for _ in range(30):
        snap = trainer.run_epochs(1)
        timeline.record_snapshot(snap)
        saved[snap.epoch] = [(W.copy(), b.copy()) for W, b in snap.weights]
    assert timeline.epochs == list(range(1, 31))
    for epoch in (1, 7, 30):
        restored = timeline.weights_at(epoch)
        for (W, b), (Ws, bs) in zip(restored, saved[epoch]):
            np.testing.assert_array_equal(W, Ws)
            np.testing.assert_array_equal(b, bs)
    # the restored weights put back into a trainer give exactly that epoch's loss again
    entry = timeline.entry_at(7)
    trainer.set_weights(entry.copy_weights())
    again = trainer.snapshot()
    assert again.train_loss == entry.train_loss
    # stored weights are read-only copies, not views of the live network
    with pytest.raises(ValueError):
        entry.weights[0][0][0, 0] = 1.0
    trainer.run(5)
    np.testing.assert_array_equal(timeline.weights_at(7)[0][0], saved[7][0][0])


def test_geometric_thinning_keeps_even_spacing_and_the_latest():
    timeline = Timeline(max_entries=MIN_ENTRIES)
    w = [(np.zeros((2, 3)), np.zeros(3))]
    for epoch in range(0, 1001):
        timeline.record(epoch, w, train_loss=1.0 / (epoch + 1))
    epochs = timeline.epochs
    assert len(epochs) <= MIN_ENTRIES + 1
    assert epochs[0] == 0 and epochs[-1] == 1000
    steps = np.diff(epochs[:-1])
    assert (steps == timeline.stride).all()  # evenly spread over the run
    assert timeline.stride in (64, 128)
    assert timeline.entry_at(1000).epoch == 1000
    assert timeline.entry_at(500).epoch % timeline.stride == 0
    with pytest.raises(KeyError):
        timeline.weights_at(3)


def test_memory_bound_is_respected():
    big = [(np.ones((100, 100)), np.ones(100)), (np.ones((100, 10)), np.ones(10))]
    entry_bytes = sum(W.nbytes + b.nbytes for W, b in big)
    timeline = Timeline(max_bytes=40 * entry_bytes)
    for epoch in range(500):
        timeline.record(epoch, big)
    assert timeline.nbytes <= 40 * entry_bytes + entry_bytes + 300 * 41
    assert len(timeline) >= 20


def test_truncate_resume_and_new_run():
    timeline = Timeline()
    w = [(np.zeros((1, 1)), np.zeros(1))]
    for epoch in range(10):
        timeline.record(epoch, [(W + epoch, b) for W, b in w])
    assert not timeline.record(5, w)  # going backwards is ignored
    timeline.truncate_after(4)
    assert timeline.epochs == [0, 1, 2, 3, 4]
    assert timeline.record(5, w)
    assert timeline.weights_at(5)[0][0][0, 0] == 0.0
    # a different architecture starts a new timeline
    timeline.record(6, [(np.zeros((2, 1)), np.zeros(1))])
    assert timeline.epochs == [6]
    # NaN weights (divergence) are never kept
    assert not timeline.record(7, [(np.full((2, 1), np.nan), np.zeros(1))])
    timeline.clear()
    assert not timeline and len(timeline) == 0
    with pytest.raises(LookupError):
        timeline.entry_at(0)


def test_entries_recorded_inside_an_epoch_say_exactly_where_they_are():
    """Snapshots published while training runs come from inside an epoch: the entry keeps
    the exact fractional epoch and step, and its weights are exactly that step's."""
    trainer = small_run()  # 40 examples, batch 8: 5 steps an epoch
    timeline = Timeline()
    seen = {}
    for steps in (3, 4, 3, 6, 2, 7):  # bursts that rarely end on an epoch boundary
        snap = trainer.run(steps)
        if timeline.record_snapshot(snap, epoch_offset=10):
            seen[snap.step] = snap
    entries = timeline.entries
    assert [e.epoch for e in entries] == [10, 11, 12, 13, 15]
    for e in entries:
        snap = seen[e.step]
        assert e.position == 10 + snap.epoch_progress
        assert e.epoch <= e.position < e.epoch + 1
        for (W, b), (Ws, bs) in zip(e.weights, snap.weights):
            np.testing.assert_array_equal(W, Ws)
            np.testing.assert_array_equal(b, bs)
    first = entries[0]
    assert first.step == 3 and first.position == pytest.approx(10.6)
    assert first.label == "Epoch 10.60 (step 3)" and not first.at_boundary
    # the weights really are those of that step: an independent run of exactly that many
    # steps from the start gives them bit for bit
    for e in entries:
        replay = small_run()
        replay.run(e.step)
        for (W, b), (Wr, br) in zip(e.weights, replay.net.get_weights()):
            np.testing.assert_array_equal(W, Wr)
            np.testing.assert_array_equal(b, br)
    # at an epoch boundary the label is the plain epoch
    boundary = Timeline()
    boundary.record_snapshot(small_run().run_epochs(2))
    assert boundary.latest.at_boundary and boundary.latest.label == "Epoch 2"
