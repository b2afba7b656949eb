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


@pytest.mark.parametrize("name", list(SPECS))
def test_loss_surface_over_any_network_is_the_engine_loss(name):
    """The loss surface works on every kind of network: each point is the engine's loss with
    the two chosen parameters set (a convolution weight and a dense one where there are)."""
    from neuroviz.app.output.loss_surface import _set, loss_surface, parameter_names

    spec = SPECS[name]
    net = Network.from_spec(spec, seed=1)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(8, net.n_inputs))
    Y = np.eye(net.n_outputs)[rng.integers(0, net.n_outputs, 8)] if spec["loss"] != "mse" \
        else rng.normal(size=(8, net.n_outputs))
    if spec["loss"] == "bce":
        Y = (rng.random((8, 1)) > 0.5).astype(float)
    names = parameter_names(spec)
    kinds = {where[1] for _, where in names}
    if spec["layers"][0]["type"] == "conv2d":
        assert "K" in kinds
    a, b = names[0][1], names[-1][1]
    weights = net.get_weights()
    xs, ys = np.array([-0.5, 0.7]), np.array([0.3, -1.1])
    got = loss_surface(Network.from_spec(spec, seed=1), weights, X, Y, a, b, xs, ys)
    for iy, vy in enumerate(ys):
        for ix, vx in enumerate(xs):
            ref = Network.from_spec(spec, seed=1)
            w = ref.get_weights()
            _set(w, a, vx)
            _set(w, b, vy)
            ref.set_weights(w)
            assert got[iy, ix] == pytest.approx(ref.loss_value(X, Y), rel=1e-12)
