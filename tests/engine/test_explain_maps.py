"""Explain mode on image maps: the numbers of convolution, pooling and flatten steps against
an independent NumPy convolution and pooling written here, and finite differences."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neuroviz.engine import Network
from neuroviz.engine.explain import explain

MINUS = "\u2212"


# -- independent references ---------------------------------------------------------------------
def same_pads(n, k, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def conv_reference(x, K, b, stride, padding):
    """z of a convolution by explicit loops: z[i, j, f] = b[f] + Σ x[i·s+u−pt, j·s+v−pl, c]·K."""
    H, W, C = x.shape
    k = K.shape[0]
    if padding == "same":
        Ho, pt, _ = same_pads(H, k, stride)
        Wo, pl, _ = same_pads(W, k, stride)
    else:
        Ho, Wo, pt, pl = (H - k) // stride + 1, (W - k) // stride + 1, 0, 0
    z = np.zeros((Ho, Wo, K.shape[3]))
    windows = {}
    for i in range(Ho):
        for j in range(Wo):
            win = np.zeros((k, k, C))
            for u in range(k):
                for v in range(k):
                    r, c = i * stride + u - pt, j * stride + v - pl
                    if 0 <= r < H and 0 <= c < W:
                        win[u, v] = x[r, c]
            windows[i, j] = win
            for f in range(K.shape[3]):
                z[i, j, f] = b[f] + np.sum(win * K[..., f])
    return z, windows, (pt, pl)


def terms_of(line):
    """The numbers of a written sum ``name = t1 + t2 + ... = total``: (terms, total)."""
    text = line.replace(MINUS, "-")
    parts = text.split(" = ")
    middle, total = parts[-2], parts[-1].split()[0]
    values = []
    for term in middle.split(" + "):
        factors = [float(f.strip("()")) for f in term.split("\u00b7")]
        values.append(math.prod(factors))
    return values, float(total)


def net_and_example(spec, seed=4):
    net = Network.from_spec(spec, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=net.n_inputs)
    y = np.zeros(net.n_outputs)
    y[0] = 1.0
    return net, x, y


CONV_SPECS = [
    # valid, stride 1, one channel
    {"inputs": [6, 5, 1], "layers": [
        {"type": "conv2d", "filters": 2, "kernel": 3, "activation": "relu"},
        {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}],
     "loss": "softmax_ce"},
    # same padding with stride 2 (uneven padding) on two channels, then a second conv
    {"inputs": [7, 6, 2], "layers": [
        {"type": "conv2d", "filters": 3, "kernel": 3, "stride": 2, "padding": "same",
         "activation": "tanh"},
        {"type": "conv2d", "filters": 2, "kernel": 2, "activation": "linear"},
        {"type": "flatten"}, {"type": "dense", "units": 1, "activation": "sigmoid"}],
     "loss": "bce"},
]


@pytest.mark.parametrize("spec", CONV_SPECS)
def test_convolution_steps_match_an_independent_convolution(spec):
    net, x, y = net_and_example(spec)
    e = explain(net, x, y)
    a_in = x.reshape(net.input_shape)
    seen = 0
    for t, layer in enumerate(net.layers):
        if layer.kind != "conv2d":
            a_in = net.forward_all(x[None, :])[t].a[0].reshape(layer.out_shape) \
                if len(layer.out_shape) == 3 else None
            continue
        K, b = layer.parameters()
        z, windows, _ = conv_reference(a_in, K, b, layer.stride, layer.padding)
        steps = [s for s in e.steps if s.kind == "conv_window" and s.node_layer == t + 1]
        a_flat = net.forward_all(x[None, :])[t].a[0]
        assert [s.neuron for s in steps] == list(range(K.shape[3]))  # one step per filter
        for s in steps:
            view = s.map_view
            f = s.neuron
            assert view.shape == z.shape[:2]
            for pos in np.ndindex(*view.shape):
                assert view.values(pos)["z"] == pytest.approx(z[pos + (f,)], abs=1e-12)
                # the canvas highlights the same value in the layer's output (channels last)
                offset, unit = view.unit(pos)
                assert offset == 0 and a_flat[unit] == view.values(pos)["a"]
                pairs = view.products(pos)
                for c, ch in enumerate(pairs):  # the window's values and the filter's weights
                    np.testing.assert_allclose([p[0] for p in ch], windows[pos][..., c].ravel())
                    np.testing.assert_allclose([p[1] for p in ch], K[:, :, c, f].ravel())
                if a_in.shape[2] == 1:  # the sum is written out in full: it adds up to z
                    line = next(ln for ln in view.lines(pos)[1:] if ln.startswith("z ="))
                    values, total = terms_of(line)
                    assert len(values) == K.shape[0] * K.shape[1] + 1
                    assert sum(values) == pytest.approx(z[pos + (f,)], abs=2e-3)
                    assert total == pytest.approx(z[pos + (f,)], rel=1e-3, abs=1e-4)
            seen += 1
        a_in = net.forward_all(x[None, :])[t].a[0].reshape(layer.out_shape)
    assert seen > 0


def loss_at(net, x, y):
    return net.loss_value(x[None, :], y[None, :])


def test_filter_gradient_is_the_sum_over_positions_and_matches_finite_differences():
    net, x, y = net_and_example(CONV_SPECS[1])
    e = explain(net, x, y)
    conv = net.layers[0]
    K, b = conv.parameters()
    h = 1e-6
    for s in [s for s in e.steps if s.kind == "conv_filter_grad" and s.node_layer == 1]:
        f = s.neuron
        view = s.map_view
        # finite differences on the filter's top-left weight and its bias
        for arr, idx, key in ((K, (0, 0, 0, f), "dL/dw00"), (b, (f,), "dL/db")):
            old = arr[idx]
            arr[idx] = old + h
            up = loss_at(net, x, y)
            arr[idx] = old - h
            down = loss_at(net, x, y)
            arr[idx] = old
            assert s.values[key] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)
        # the filter's gradient is Σ over positions of dL/dz(p) times the window at p
        dz = np.array([[view.values((i, j))["dL/dz"] for j in range(view.shape[1])]
                       for i in range(view.shape[0])])
        _, windows, _ = conv_reference(x.reshape(net.input_shape), K, b, conv.stride,
                                       conv.padding)
        total = sum(dz[p] * windows[p] for p in windows)
        np.testing.assert_allclose(view.dK[..., f], total, rtol=1e-10, atol=1e-14)
        assert view.values((0, 0))["dL/db"] == pytest.approx(dz.sum(), rel=1e-10)


def test_input_gradient_of_a_second_convolution_is_the_full_correlation():
    net, x, y = net_and_example(CONV_SPECS[1])
    e = explain(net, x, y)
    s = next(s for s in e.steps if s.kind == "conv_input_grad")
    view = s.map_view
    conv = net.layers[1]
    K = conv.parameters()[0]
    dz = view.dz
    H, W, C = conv.in_shape
    k = K.shape[0]
    want = np.zeros((H, W, C))
    for i in range(dz.shape[0]):
        for j in range(dz.shape[1]):
            for f in range(K.shape[3]):
                want[i:i + k, j:j + k] += dz[i, j, f] * K[..., f]  # valid, stride 1
    np.testing.assert_allclose(view.dx, want, rtol=1e-10, atol=1e-14)
    for pos in [(0, 0, 0), (2, 1, 2), (H - 1, W - 1, C - 1)]:
        assert view.values(pos)["dL/dx"] == pytest.approx(want[pos], abs=1e-14)


POOL_SPEC = {"inputs": [4, 6, 2], "layers": [{"type": "maxpool", "size": 2},
                                             {"type": "flatten"},
                                             {"type": "dense", "units": 3,
                                              "activation": "softmax"}],
             "loss": "softmax_ce"}


@pytest.mark.parametrize("kind", ["maxpool", "avgpool", "globalmaxpool", "globalavgpool"])
def test_pooling_windows_and_where_the_gradient_goes(kind):
    spec = {**POOL_SPEC, "layers": [dict(POOL_SPEC["layers"][0], type=kind)]
            + POOL_SPEC["layers"][1:]}
    if kind.startswith("global"):  # (H, W, C) -> (C,): no flatten after it
        spec["layers"] = [{"type": kind}] + POOL_SPEC["layers"][2:]
    net, x, y = net_and_example(spec)
    e = explain(net, x, y)
    img = x.reshape(4, 6, 2)
    size = (4, 6) if kind.startswith("global") else (2, 2)
    # finite differences: dL/dx of the network's input (the pool reads it directly)
    h = 1e-6
    fd = np.zeros(x.size)
    for n in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[n] += h
        xm[n] -= h
        fd[n] = (loss_at(net, xp, y) - loss_at(net, xm, y)) / (2 * h)
    fd = fd.reshape(4, 6, 2)
    fwd = [s for s in e.steps if s.kind == "pool_window"]
    back = [s for s in e.steps if s.kind == "pool_grad"]
    assert [s.neuron for s in fwd] == [s.neuron for s in back] == [0, 1]
    for s, g in zip(fwd, back):
        c = s.neuron
        view, gview = s.map_view, g.map_view
        for i, j in np.ndindex(*view.shape):
            win = img[i * size[0]:(i + 1) * size[0], j * size[1]:(j + 1) * size[1], c]
            vals = view.values((i, j))
            offset, unit = view.unit((i, j))
            assert offset == 0 and unit == (i * view.shape[1] + j) * 2 + c
            if "max" in kind:
                r, q = np.unravel_index(int(np.argmax(win)), win.shape)  # first of ties
                assert vals["a"] == win.max()
                assert (vals["max_row"], vals["max_col"]) == (i * size[0] + r, j * size[1] + q)
                assert any(m.style == "max" and (m.row, m.col) == (i * size[0] + r,
                                                                  j * size[1] + q)
                           for m in view.marks((i, j)))
                # the gradient goes to the maximum only
                routed = np.zeros_like(win)
                routed[r, q] = gview.values((i, j))["dL/da"]
            else:
                assert vals["a"] == pytest.approx(win.mean(), abs=1e-14)
                routed = np.full_like(win, gview.values((i, j))["dL/da"] / win.size)
            got = gview.dx[i * size[0]:(i + 1) * size[0], j * size[1]:(j + 1) * size[1], c]
            np.testing.assert_allclose(got, routed, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(routed, fd[i * size[0]:(i + 1) * size[0],
                                                   j * size[1]:(j + 1) * size[1], c],
                                       rtol=1e-5, atol=1e-8)


def test_max_pool_tie_goes_to_the_first_value_of_the_window():
    net, x, y = net_and_example(POOL_SPEC)
    x[1] = x[3] = 5.0  # cells (row 1, col 1) and (row 1, col 2) of channel 2: a tie at the top
    e = explain(net, x, y)
    fwd = [s for s in e.steps if s.kind == "pool_window"][1]
    back = [s for s in e.steps if s.kind == "pool_grad"][1]
    assert (fwd.map_view.values((0, 0))["max_row"], fwd.map_view.values((0, 0))["max_col"]) \
        == (0, 0)
    assert "(row 1, col 1)" in fwd.map_view.lines((0, 0))[2]
    dx = back.map_view.dx[:2, :2, 1]
    assert dx[0, 0] == back.map_view.values((0, 0))["dL/da"] != 0.0
    assert np.count_nonzero(dx) == 1


def test_flatten_reads_row_by_row_channels_last_and_the_walk_stays_short():
    spec = {"inputs": [8, 8, 1], "layers": [
        {"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "maxpool", "size": 2}, {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"}], "loss": "softmax_ce"}
    net, x, y = net_and_example(spec)
    e = explain(net, x, y)
    s = next(s for s in e.steps if s.kind == "flatten")
    view = s.map_view
    pooled = net.forward_all(x[None, :])[1].a[0].reshape(3, 3, 4)
    for i, j in np.ndindex(3, 3):
        for c in range(4):
            assert view.values((i, j))[f"v{(i * 3 + j) * 4 + c}"] == pooled[i, j, c]
        line = view.lines((i, j))[1]
        n = (i * 3 + j) * 4 + 1
        assert re.search(rf"v\S* = x\(row {i + 1}, col {j + 1}\) ch 1", line), line
        assert str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) in line
    # one step per filter or channel, and the dense layer after the map neuron by neuron:
    # a walk through the whole training step stays under a hundred steps
    assert len(e) < 100
    grads = e.known_gradients(len(e) - 1)
    _, want = net.loss_and_gradients(x[None, :], y[None, :])
    np.testing.assert_allclose(grads[-1][0], want[-1][0], rtol=1e-10)
    np.testing.assert_allclose(grads[0][0], want[0][0], rtol=1e-10)
