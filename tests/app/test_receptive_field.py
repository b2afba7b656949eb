"""Receptive fields through convolutions and pools, against a brute-force reference with the
real engine: perturb each input pixel and see which output pixels change."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.app.network.receptive import conv_output, receptive_field, step_of
from neuroviz.engine import Network


def conv(filters, kernel, stride=1, padding="valid", activation="relu"):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride,
            "padding": padding, "activation": activation}


SPECS = [
    # same padding, a max pool, an uneven same-padded stride-2 convolution
    {"inputs": [10, 10, 2], "loss": "mse", "layers": [
        conv(3, 3, 1, "same"), {"type": "maxpool", "size": 2}, conv(4, 2, 2, "same", "tanh"),
        conv(2, 3, 1, "same", "linear"), {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "linear"}]},
    # valid padding, an average pool, stride 2 with same padding on an odd size
    {"inputs": [8, 7, 1], "loss": "mse", "layers": [
        conv(2, 3, 2, "same", "linear"), conv(3, 2, 1, "valid", "elu"),
        {"type": "avgpool", "size": 3}, {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "linear"}]},
    # a large kernel, valid
    {"inputs": [8, 8, 1], "loss": "mse", "layers": [
        conv(2, 5, 1, "valid", "sigmoid"), {"type": "avgpool", "size": 2},
        conv(2, 2, 1, "valid", "linear"), {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "linear"}]},
]


def brute_force(net, layer, i, j):
    """Input pixels (p, q) whose change changes output pixel (i, j) (any filter) of
    ``layer``: each pixel pushed far up and far down (a max pool passes at least one)."""
    H, W, C = net.input_shape
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, H * W * C))
    base = net.forward_all(x)[layer].a.reshape(net.describe()[layer]["out_shape"])[i, j]
    hits = np.zeros((H, W), dtype=bool)
    for p in range(H):
        for q in range(W):
            for sign in (1.0, -1.0):
                y = x.reshape(H, W, C).copy()
                y[p, q, :] += sign * 1e3
                out = net.forward_all(y.reshape(1, -1))[layer].a
                out = out.reshape(net.describe()[layer]["out_shape"])[i, j]
                hits[p, q] |= bool(np.any(np.abs(out - base) > 1e-9))
    return hits


@pytest.mark.parametrize("spec", SPECS)
def test_receptive_field_matches_perturbing_the_input(spec):
    net = Network.from_spec(spec, seed=2)
    desc = net.describe()
    steps = []
    for layer, d in enumerate(desc):
        step = step_of(d)
        if step is None:
            break
        steps.append(step)
        h, w, _ = d["out_shape"]
        for i in range(h):
            for j in range(w):
                window = receptive_field(steps, (i, i), (j, j))[0]
                r0, r1, c0, c1 = window
                want = np.zeros(net.input_shape[:2], dtype=bool)
                want[r0:r1 + 1, c0:c1 + 1] = True
                got = brute_force(net, layer, i, j)
                assert np.array_equal(got, want), (layer, i, j, window, np.argwhere(got))
    assert len(steps) >= 3


def test_windows_on_the_maps_between():
    # 10x10 -> conv 3x3 same -> 10x10 -> maxpool 2 -> 5x5; pixel (2, 3) of the pool reads
    # rows 4..5, columns 6..7 of the conv maps, and those read rows 3..6, columns 5..8
    net = Network.from_spec(SPECS[0], seed=0)
    steps = [step_of(d) for d in net.describe()[:2]]
    assert receptive_field(steps, (2, 2), (3, 3)) == [(3, 6, 5, 8), (4, 5, 6, 7)]


@pytest.mark.parametrize("size,kernel,stride", [(7, 3, 2), (8, 3, 2), (6, 4, 1), (5, 2, 3)])
def test_same_padding_follows_the_engine(size, kernel, stride):
    spec = {"inputs": [size, size, 1], "loss": "mse",
            "layers": [conv(1, kernel, stride, "same", "linear"), {"type": "flatten"},
                       {"type": "dense", "units": 1, "activation": "linear"}]}
    out, _ = conv_output(size, kernel, stride, "same")
    assert Network.from_spec(spec).describe()[0]["out_shape"][0] == out
