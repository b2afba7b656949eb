"""Saved files with every layer kind: experiments (File › Save/Open) and network files
(``neuroviz train --save``) keep each layer's weights; old files with [W, b] pairs open."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuroviz.cli import NetworkFileError, load_network_file, main
from neuroviz.engine import Network
from neuroviz.experiment import (
    DatasetSettings,
    Experiment,
    ExperimentError,
    Hyperparameters,
    load_experiment,
    save_experiment,
)

DENSE = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 5, "activation": "tanh"},
    {"type": "dense", "units": 1, "activation": "sigmoid"}]}
DROPOUT = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 6, "activation": "relu"},
    {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 1, "activation": "sigmoid"}]}
LAYERNORM = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 6, "activation": "tanh"},
    {"type": "layernorm"},
    {"type": "dense", "units": 1, "activation": "sigmoid"}]}
RESIDUAL = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 4, "activation": "tanh"},
    {"type": "residual", "layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                                    {"type": "layernorm"}, {"type": "dropout", "rate": 0.2}]},
    {"type": "residual", "layers": [{"type": "dense", "units": 3, "activation": "tanh"}]},
    {"type": "residual", "skip": False,
     "layers": [{"type": "dense", "units": 3, "activation": "sigmoid"}]},
    {"type": "dense", "units": 1, "activation": "sigmoid"}]}
SPECS = {"dense": DENSE, "dropout": DROPOUT, "layernorm": LAYERNORM, "residual": RESIDUAL}


def _random_weights(spec, seed):
    """Weights unlike any initialisation: every array replaced by random numbers."""
    net = Network.from_spec(spec, seed=0)
    rng = np.random.default_rng(seed)
    net.params[...] = rng.normal(size=net.param_size)
    return net


@pytest.mark.parametrize("kind", list(SPECS))
def test_experiment_round_trip_every_kind(tmp_path, kind):
    spec = SPECS[kind]
    net = _random_weights(spec, 7)
    exp = Experiment(dataset=DatasetSettings(name="circle"), spec=spec,
                     hyperparameters=Hyperparameters(early_stopping=True, patience=7),
                     seed=3, weights=net.get_weights())
    path = save_experiment(exp, tmp_path / f"{kind}.neuroviz.json")
    back = load_experiment(path)
    other = Network.from_spec(back.spec, seed=back.seed)  # seed 3: other initial weights
    other.set_weights(back.weights)
    X = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_array_equal(other.predict(X), net.predict(X))
    np.testing.assert_array_equal(other.params, net.params)
    assert back.hyperparameters.early_stopping is True
    assert back.hyperparameters.patience == 7


def test_residual_weights_are_stored_as_groups(tmp_path):
    net = _random_weights(RESIDUAL, 2)
    exp = Experiment(spec=RESIDUAL, weights=net.get_weights())
    data = json.loads(save_experiment(exp, tmp_path / "r.json").read_text())
    stored = data["network"]["weights"]
    # dense, block 1 (dense, layernorm), block 2 (dense, projection 4->3), block 3, output
    assert len(stored) == 5
    assert [len(group) for group in stored[1]] == [2, 2]
    assert len(stored[2]) == 2 and len(stored[2][1]) == 1
    assert np.array(stored[2][1][0]).shape == (4, 3)  # the skip projection P
    assert len(stored[3]) == 1  # skip off: no projection


def test_old_file_with_pairs_opens(tmp_path):
    """An experiment written by an earlier neuroviz, by hand: weights as [W, b] pairs."""
    W1 = [[0.5, -1.0, 0.25, 0.0, 1.5], [1.0, 0.5, -0.5, 2.0, 0.1]]
    b1 = [0.1, 0.0, -0.2, 0.3, 0.0]
    W2 = [[1.0], [-1.0], [0.5], [0.25], [2.0]]
    b2 = [-0.5]
    old = {
        "kind": "neuroviz-experiment", "schema_version": 1,
        "dataset": {"name": "circle", "noise": 0.0, "train_ratio": 0.5,
                    "features": ["x1", "x2"], "data_seed": 0, "options": {}},
        "network": {"spec": DENSE, "weights": [[W1, b1], [W2, b2]]},
        "hyperparameters": {"learning_rate": 0.03, "optimizer": "sgd", "batch_size": 10,
                            "regularization": "none", "regularization_rate": 0.0,
                            "momentum": 0.9},
        "seed": 0, "epoch": 12, "history": {"metric_name": "accuracy", "epochs": [],
                                           "train_loss": [], "test_loss": [],
                                           "train_metric": [], "test_metric": []},
    }
    path = tmp_path / "old.neuroviz.json"
    path.write_text(json.dumps(old))
    exp = load_experiment(path)
    assert exp.hyperparameters.early_stopping is False  # not in old files: off
    net = Network.from_spec(exp.spec)
    net.set_weights(exp.weights)
    x = np.array([[0.3, -0.7]])
    hidden = np.tanh(x @ np.array(W1) + np.array(b1))  # NumPy reference of the network
    expected = 1.0 / (1.0 + np.exp(-(hidden @ np.array(W2) + np.array(b2))))
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12)


@pytest.mark.parametrize("mutate, words", [
    (lambda w: w.pop(), "4 entries, but the network has 5 layers with weights"),
    (lambda w: w[1][0].pop(),
     "network.weights[1][0]: expected [layers[0].W, layers[0].b], found 1 items"),
    (lambda w: w[1][1].__setitem__(0, [1.0, 2.0]),
     "network.weights[1][1][0]: expected layers[1].gain of shape (4,), got (2,)"),
    (lambda w: w[2][1].__setitem__(0, [[1.0]]),
     "network.weights[2][1][0]: expected P of shape (4, 3), got (1, 1)"),
    (lambda w: w[0].__setitem__(0, "W"), "network.weights[0][0]: expected W"),
    (lambda w: w[0][0].__setitem__(0, [1.0]), "network.weights[0][0]: W must be an array"),
])
def test_bad_weights_name_file_and_field(tmp_path, mutate, words):
    net = _random_weights(RESIDUAL, 2)
    path = save_experiment(Experiment(spec=RESIDUAL, weights=net.get_weights()),
                           tmp_path / "bad.json")
    data = json.loads(path.read_text())
    mutate(data["network"]["weights"])
    path.write_text(json.dumps(data))
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert str(info.value).startswith("bad.json: ")
    assert words in str(info.value)


@pytest.mark.parametrize("field, value, words", [
    ("early_stopping", 1, "hyperparameters.early_stopping: expected true or false"),
    ("patience", 0, "hyperparameters.patience: 0 is below 1"),
    ("patience", 10**9, "hyperparameters.patience: 1000000000 is above 100,000"),
])
def test_bad_early_stopping_settings(tmp_path, field, value, words):
    path = save_experiment(Experiment(), tmp_path / "es.json")
    data = json.loads(path.read_text())
    data["hyperparameters"][field] = value
    path.write_text(json.dumps(data))
    with pytest.raises(ExperimentError, match=words):
        load_experiment(path)


def test_train_save_with_dropout_and_early_stopping(tmp_path, capsys):
    path = tmp_path / "net.json"
    code = main(["train", "--dataset", "moons", "--noise", "0.5", "--train-ratio", "0.1",
                 "--layers", "16,16", "--dropout", "0.2", "--early-stopping", "10",
                 "--epochs", "400", "--quiet", "--save", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    data = json.loads(path.read_text())
    best = data["result"]["best_epoch"]
    assert f"kept the best weights, from epoch {best}" in out
    assert data["result"]["epochs"] < 400  # stopped early
    net = load_network_file(str(path))
    assert net.kinds == ("dense", "dropout")
    from neuroviz.data import load_dataset

    ds = load_dataset("moons", noise=0.5, train_ratio=0.1, seed=0)
    p = np.clip(net.predict(ds.X_test), 1e-12, 1 - 1e-12)
    y = ds.Y_test
    bce = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert bce == pytest.approx(data["result"]["test_loss"], abs=1e-5)  # the best weights


def test_network_file_with_residual_round_trip_and_errors(tmp_path):
    net = _random_weights(RESIDUAL, 4)
    from neuroviz.experiment import weights_to_json

    good = {"format": "neuroviz-network", "schema_version": 1, "spec": RESIDUAL, "seed": 0,
            "weights": weights_to_json(net.get_weights())}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(good))
    back = load_network_file(str(path))
    np.testing.assert_array_equal(back.params, net.params)
    good["weights"][1][1] = [[1.0, 2.0], [0.0, 0.0]]
    path.write_text(json.dumps(good))
    with pytest.raises(NetworkFileError,
                       match=r"r.json: weights\[1\]\[1\]\[0\]: expected layers\[1\].gain of"):
        load_network_file(str(path))
