"""File › Open checks everything the window needs before it changes anything.

A batch size of 2^31 used to raise OverflowError in the data panel half-way through
applying (the drawn network no longer matched the spec); a seed of 2^64 was accepted and
then nothing trained.
"""

from __future__ import annotations

import json

import pytest

from neuroviz.experiment import save_experiment


def saved(win, tmp_path, change):
    path = tmp_path / "edited.neuroviz.json"
    save_experiment(win.current_experiment(), path)
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))
    return path


def drawn_sizes(win):
    return list(win.network_view.layer_sizes)


def spec_sizes(win):
    spec = win.state.spec
    return [spec["inputs"]] + [layer["units"] for layer in spec["layers"]]


def hp_key(raw):
    return "training" if "training" in raw else "hyperparameters"


@pytest.mark.parametrize("field, value", [
    ("batch_size", 2**31), ("batch_size", 2**63), ("seed", 2**64), ("seed", 2**32),
    ("seed", -1), ("data_seed", 2**40),
])
def test_out_of_range_numbers_are_refused_and_nothing_changes(window, tmp_path, field, value):
    win = window
    before_spec, before_hp = win.state.spec, win.state.hyperparameters
    before_sizes = drawn_sizes(win)

    def change(raw):
        # a different network too, so a half-applied file would show
        raw["network"]["spec"]["layers"][0]["units"] += 1
        raw["network"]["weights"] = None
        if field == "batch_size":
            raw[hp_key(raw)]["batch_size"] = value
        elif field == "data_seed":
            raw["dataset"]["data_seed"] = value
        else:
            raw["seed"] = value

    path = saved(win, tmp_path, change)
    with_messages = win.open_message_boxes
    assert win.open_experiment(path) is False
    assert field in win.last_error and path.name in win.last_error
    assert win.state.spec == before_spec
    assert win.state.hyperparameters == before_hp
    assert drawn_sizes(win) == before_sizes == spec_sizes(win)
    for box in win.open_message_boxes:
        if box not in with_messages:
            box.close()


def test_the_largest_seed_opens_and_trains(window, tmp_path, qtbot):
    win = window

    def change(raw):
        raw["seed"] = 2**32 - 1
        # the largest batch a file may hold, larger than the data: one full batch
        from neuroviz.experiment import MAX_BATCH_SIZE

        raw[hp_key(raw)]["batch_size"] = MAX_BATCH_SIZE

    path = saved(win, tmp_path, change)
    assert win.open_experiment(path), win.last_error
    assert win.state.seed == 2**32 - 1
    assert drawn_sizes(win) == spec_sizes(win)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    before = win.latest_snapshot.step
    win.step_epoch()
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.latest_snapshot.step > before, timeout=60_000)
