"""The saliency view's input gradients hold for every layer kind (checked against central
differences of the engine's own predictions)."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.app.output.saliency import input_gradients, saliency_class
from neuroviz.engine import Network

SPECS = {
    "cnn": {"inputs": [6, 6, 2], "loss": "softmax_ce", "layers": [
        {"type": "conv2d", "filters": 3, "kernel": 3, "padding": "same", "activation": "tanh"},
        {"type": "avgpool", "size": 2},
        {"type": "conv2d", "filters": 2, "kernel": 2, "activation": "softplus"},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]},
    "global pool": {"inputs": [5, 5, 1], "loss": "bce", "layers": [
        {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "activation": "sigmoid"},
        {"type": "globalavgpool"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "residual and norm": {"inputs": 3, "loss": "mse", "layers": [
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "residual", "layers": [{"type": "dense", "units": 4, "activation": "tanh"}]},
        {"type": "layernorm"},
        {"type": "dense", "units": 2, "activation": "linear"}]},
}


@pytest.mark.parametrize("name", list(SPECS))
def test_input_gradients_match_central_differences(name):
    net = Network.from_spec(SPECS[name], seed=3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, net.n_inputs))
    outputs = saliency_class(net, X)
    got = input_gradients(net, X, outputs)
    h = 1e-6
    for r in range(len(X)):
        for k in range(net.n_inputs):
            up, down = X[r:r + 1].copy(), X[r:r + 1].copy()
            up[0, k] += h
            down[0, k] -= h
            want = (net.predict(up)[0, outputs[r]] - net.predict(down)[0, outputs[r]]) / (2 * h)
            assert got[r, k] == pytest.approx(want, rel=1e-5, abs=1e-8), (r, k)
