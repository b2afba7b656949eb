"""Resume from an epoch of a network that has changed since: a message, nothing changes.

Random use found ``ExperimentError: network.weights: set_weights: expected 2 (W, b) pairs,
got 1`` escaping from the timeline's Resume right after a layer was added while training.
"""

from __future__ import annotations


def test_resume_an_epoch_of_a_network_that_has_changed(window, qtbot, wait_snapshot_fits):
    win = window
    tl = win.timeline
    before = win.latest_snapshot.epoch
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch == before + 1, timeout=60_000)
    entry = tl.timeline.entries[0]
    n_layers = len(win.state.spec["layers"])
    assert len(entry.weights) == n_layers
    win._edit_network("add_layer")
    wait_snapshot_fits(win)
    spec = win.state.spec
    assert len(spec["layers"]) == n_layers + 1
    with qtbot.capture_exceptions() as raised:
        resumed = tl.resume(entry)
    assert raised == []
    assert resumed is False
    assert win.state.spec == spec  # nothing changed
    assert "network has changed" in win.statusBar().currentMessage()
    # an epoch of the current network still resumes
    win.step_epoch()
    qtbot.waitUntil(lambda: any(len(e.weights) == n_layers + 1 for e in tl.timeline.entries),
                    timeout=60_000)
    fitting = next(e for e in tl.timeline.entries if len(e.weights) == n_layers + 1)
    assert tl.resume(fitting) is True
