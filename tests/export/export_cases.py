"""Trained networks to export: every layer kind and every activation, on real datasets.

Each case trains a few hundred steps (NumPy reference trainer, so no compile) on a dataset
of the data package; the exports must then predict what ``Network.predict`` does on that
dataset's training and test examples.
"""

from __future__ import annotations

import numpy as np

from neuroviz.data import load_dataset
from neuroviz.engine import ACTIVATIONS, Network, Trainer


def dense(units, activation="tanh"):
    return {"type": "dense", "units": units, "activation": activation}


def _cases() -> dict[str, tuple[str, dict]]:
    cases: dict[str, tuple[str, dict]] = {}
    for activation in ACTIVATIONS:  # each hidden activation, sigmoid output (bce)
        cases[f"dense-{activation}"] = ("spiral", {
            "inputs": 2, "layers": [dense(8, activation), dense(6, activation),
                                    dense(1, "sigmoid")], "loss": "bce"})
    cases["dense-softmax-output"] = ("penguins", {
        "inputs": 4, "layers": [dense(8, "gelu"), dense(3, "softmax")], "loss": "softmax_ce"})
    cases["dense-linear-output"] = ("boxoffice", {
        "inputs": 4, "layers": [dense(8, "elu"), dense(1, "linear")], "loss": "mse"})
    cases["dense-image-input"] = ("digits", {
        "inputs": [8, 8, 1], "layers": [dense(12, "relu"), dense(10, "softmax")],
        "loss": "softmax_ce"})
    cases["dropout"] = ("spiral", {
        "inputs": 2, "layers": [dense(8), {"type": "dropout", "rate": 0.3}, dense(8, "swish"),
                                {"type": "dropout", "rate": 0.1}, dense(1, "sigmoid")],
        "loss": "bce"})
    cases["layernorm"] = ("spiral3", {
        "inputs": 2, "layers": [dense(8, "softplus"), {"type": "layernorm"}, dense(6),
                                {"type": "layernorm"}, dense(3, "softmax")],
        "loss": "softmax_ce"})
    cases["residual-identity"] = ("spiral", {
        "inputs": 2, "layers": [dense(6), {"type": "residual", "layers": [dense(6), dense(6)]},
                                dense(1, "sigmoid")], "loss": "bce"})
    cases["residual-projection"] = ("spiral3", {
        "inputs": 2, "layers": [{"type": "residual", "layers": [
            dense(6, "leaky_relu"), {"type": "layernorm"}, {"type": "dropout", "rate": 0.2}]},
            dense(3, "softmax")], "loss": "softmax_ce"})
    cases["residual-skip-off"] = ("plane", {
        "inputs": 2, "layers": [dense(5, "sine"), {"type": "residual", "skip": False,
                                                   "layers": [dense(5, "gaussian")]},
                                dense(1, "linear")], "loss": "mse"})
    return cases


CASES = _cases()


def trained(case: str, steps: int = 300):
    """The network of ``case`` trained ``steps`` steps on its dataset, and the dataset."""
    name, spec = CASES[case]
    ds = load_dataset(name, seed=1)
    net = Network.from_spec(spec, seed=3)
    trainer = Trainer(net, ds.X_train, ds.Y_train, backend="numpy", optimizer="adam",
                      lr=0.01, batch_size=16, seed=4)
    trainer.run(steps)
    assert not trainer.diverged
    return net, ds


def examples(net, ds) -> np.ndarray:
    """The dataset's training and test inputs, each example in the network's input shape."""
    X = np.concatenate([ds.X_train, ds.X_test])
    return X.reshape((len(X), *net.input_shape))
