"""Experiment files: round trip, atomic writes, and clear errors for bad files (no Qt)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from neuroviz.app.window.state import MAX_HIDDEN_LAYERS, MAX_UNITS, ExperimentState
from neuroviz.experiment import (
    DatasetSettings,
    Experiment,
    ExperimentError,
    Hyperparameters,
    load_experiment,
    save_experiment,
)


def _experiment() -> Experiment:
    exp = Experiment(
        dataset=DatasetSettings(name="spiral", noise=0.1, train_ratio=0.6,
                                features=("x1", "x2", "sin x1"), data_seed=3),
        hyperparameters=Hyperparameters(learning_rate=0.1, optimizer="adam", batch_size=16,
                                        regularization="l2", regularization_rate=0.003),
        seed=7,
    )
    exp.spec["inputs"] = 3
    rng = np.random.default_rng(0)
    exp.weights = [(rng.normal(size=(3, 4)), rng.normal(size=4)),
                   (rng.normal(size=(4, 2)), rng.normal(size=2)),
                   (rng.normal(size=(2, 1)), rng.normal(size=1))]
    for k in range(5):
        exp.history.append(k, 0.7 / (k + 1), 0.8 / (k + 1), 0.5 + k / 10, None)
    exp.epoch = 5
    return exp


def test_round_trip(tmp_path):
    exp = _experiment()
    path = save_experiment(exp, tmp_path / "a.json")
    back = load_experiment(path)
    assert back.dataset == exp.dataset
    assert back.hyperparameters == exp.hyperparameters
    assert back.spec == exp.spec and back.seed == 7 and back.epoch == 5
    for (w0, b0), (w1, b1) in zip(exp.weights, back.weights, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    assert back.history.train_loss == exp.history.train_loss
    assert np.isnan(back.history.test_metric).all()
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1 and raw["kind"] == "neuroviz-experiment"


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    save_experiment(_experiment(), path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_experiment(Experiment(), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temp file left


@pytest.mark.parametrize("mutate, words", [
    (lambda t: t[: len(t) // 3], ["truncated"]),
    (lambda t: "", ["empty"]),
    (lambda t: "[1, 2]", ["not a neuroviz experiment"]),
    (lambda t: t.replace('"schema_version": 1', '"schema_version": 99'), ["newer"]),
    (lambda t: t.replace('"optimizer": "adam"', '"optimizer": "adamw"'),
     ["hyperparameters.optimizer"]),
    (lambda t: t.replace('"learning_rate": 0.1', '"learning_rate": -1'),
     ["hyperparameters.learning_rate"]),
    (lambda t: t.replace('"name": "spiral"', '"name": "nope"'), ["dataset"]),
    (lambda t: t.replace('"activation": "tanh"', '"activation": "foo"', 1), ["network.spec"]),
    (lambda t: t.replace('"noise": 0.1', '"noise": "loud"'), ["dataset.noise"]),
])
def test_bad_files_name_file_and_problem(tmp_path, mutate, words):
    good = save_experiment(_experiment(), tmp_path / "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text(mutate(good.read_text()))
    with pytest.raises(ExperimentError) as info:
        load_experiment(bad)
    message = str(info.value)
    assert message.startswith("bad.json: ")
    for word in words:
        assert word in message


def test_weights_that_do_not_fit_the_spec(tmp_path):
    data = _experiment().to_dict()
    data["network"]["weights"][1][0] = [[1.0, 2.0]]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ExperimentError, match="network.weights"):
        load_experiment(path)


def test_missing_file(tmp_path):
    with pytest.raises(ExperimentError, match="not found"):
        load_experiment(tmp_path / "nothing.json")


def test_state_observers_and_edits():
    state = ExperimentState()
    seen = []
    unsubscribe = state.subscribe(seen.append)
    state.set_hyperparameters(learning_rate=0.3)
    state.set_hyperparameters(learning_rate=0.3)  # no change, no notification
    assert seen == ["hyperparameters"]
    spec = state.spec_with("add_layer")
    assert [layer["units"] for layer in spec["layers"]] == [4, 2, 4, 1]
    assert state.hidden_sizes == [4, 2]  # spec_with does not apply
    state.set_spec(spec)
    assert seen[-1] == "network" and state.hidden_sizes == [4, 2, 4]
    for _ in range(MAX_UNITS + 4):
        state.set_spec(state.spec_with("add_neuron", 1))
    assert state.hidden_sizes[0] == MAX_UNITS == 64  # limit
    for _ in range(MAX_HIDDEN_LAYERS + 4):
        state.set_spec(state.spec_with("add_layer"))
    assert len(state.hidden_sizes) == MAX_HIDDEN_LAYERS == 32  # limit
    for _ in range(MAX_HIDDEN_LAYERS + 2):
        state.set_spec(state.spec_with("remove_layer"))
    assert state.hidden_sizes == []
    state.set_spec(state.spec_with("add_layer"))
    assert state.hidden_sizes == [4]
    unsubscribe()
    state.set_seed(3)
    assert "seed" not in seen


def test_history_is_bounded_and_skips_non_finite():
    exp = Experiment()
    h = exp.history
    assert not h.append(0.0, float("inf"), 1.0, 0.5, 0.5)
    for k in range(h.MAX_POINTS + 10):
        h.append(float(k), 1.0, 1.0, 0.5, 0.5)
    assert len(h) <= h.MAX_POINTS
    assert h.epochs == sorted(h.epochs) and h.epochs[-1] == h.MAX_POINTS + 9
