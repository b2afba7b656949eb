"""Pooling kinds (maxpool, avgpool, globalmaxpool, globalavgpool) checked on their own: the
NumPy reference and the compiled kernels against a plain loop written here, gradients
against finite differences, ties, determinism, the spec's refusals, and the exports."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from neuroviz.engine import LAYER_KINDS, Network, SpecError, Trainer, normalise_spec
from neuroviz.engine.driver import Plan
from neuroviz.engine.kinds import pooling
from neuroviz.engine.kinds.base import OP_FLAG, OP_S, random_state

POOLS = ("maxpool", "avgpool", "globalmaxpool", "globalavgpool")
#: (input shape, size): several channels, non-square maps, a size-1 (identity) window
CASES = [((4, 6, 3), 2), ((6, 9, 2), 3), ((5, 5, 1), 5), ((3, 2, 4), 1)]


def make(kind, shape, size):
    cls = LAYER_KINDS[kind]
    entry = {"type": kind} if cls.is_global else {"type": kind, "size": size}
    return cls.from_entry(cls.normalise(entry, "layers[0]", shape, False), shape)


def naive_pool(x, shape, kh, kw, is_max):
    """Pooling by plain loops over examples, windows, channels and window positions: the
    output, the flat input column of each max (first in row-major window order on ties), and
    a function giving dx for a gradient da."""
    h, w, c_n = shape
    n = x.shape[0]
    ho, wo = h // kh, w // kw
    out = np.zeros((n, ho * wo * c_n))
    arg = np.zeros((n, ho * wo * c_n), dtype=int)
    windows = {}
    for r in range(n):
        for i in range(ho):
            for j in range(wo):
                for c in range(c_n):
                    k = (i * wo + j) * c_n + c
                    cols = [((i * kh + u) * w + (j * kw + v)) * c_n + c
                            for u in range(kh) for v in range(kw)]
                    windows[k] = cols
                    values = [x[r, col] for col in cols]
                    if is_max:
                        best = 0
                        for m in range(1, len(values)):
                            if values[m] > values[best]:
                                best = m
                        out[r, k] = values[best]
                        arg[r, k] = cols[best]
                    else:
                        out[r, k] = sum(values) / len(values)

    def grad(da):
        dx = np.zeros_like(x)
        for r in range(n):
            for k, cols in windows.items():
                if is_max:
                    dx[r, arg[r, k]] += da[r, k]
                else:
                    for col in cols:
                        dx[r, col] += da[r, k] / len(cols)
        return dx

    return out, arg, grad


def compiled(layer, x, da):
    """The kind's compiled kernels on one op row made by its own ``ops``: (a, dx, S)."""
    n = x.shape[0]
    plan = Plan(1, n)
    xo = plan.slot(layer.n_in)  # not the network input (offset 0), so dx is computed
    out = layer.ops(plan, xo)
    ops = np.array(plan.rows, dtype=np.int64)
    fops = np.array(plan.values)
    A, Z, D, S = plan.buffers()
    A[xo:xo + x.size] = x.ravel()
    D[xo:xo + x.size] = np.nan  # every input gradient must be written
    empty = np.zeros(0)
    pooling.forward_op(0, ops, fops, empty, A, Z, S, n, True, random_state(0))
    a = A[out:out + n * layer.n_out].reshape(n, -1).copy()
    np.testing.assert_array_equal(Z[out:out + a.size], A[out:out + a.size])
    D[out:out + da.size] = da.ravel()
    pooling.backward_op(0, ops, fops, empty, empty, A, Z, D, S, n)
    dx = D[xo:xo + x.size].reshape(n, -1).copy()
    if ops[0, OP_FLAG] != pooling.MAX:
        return a, dx, None  # averages keep nothing for backward
    return a, dx, S[ops[0, OP_S]:][:n * layer.n_out].reshape(n, -1)


@pytest.mark.parametrize("shape,size", CASES)
@pytest.mark.parametrize("kind", POOLS)
def test_reference_and_compiled_agree_with_plain_loops(kind, shape, size):
    layer = make(kind, shape, size)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, layer.n_in))
    da = rng.normal(size=(5, layer.n_out))
    kh, kw = (shape[0], shape[1]) if layer.is_global else (size, size)
    is_max = kind in ("maxpool", "globalmaxpool")
    want, arg, grad = naive_pool(x, shape, kh, kw, is_max)
    values = layer.forward(x)
    assert values.a.shape == (5, int(np.prod(layer.out_shape)))
    np.testing.assert_allclose(values.a, want, rtol=1e-14, atol=1e-15)
    _, dx = layer.backward(x, da, values)
    np.testing.assert_allclose(dx, grad(da), rtol=1e-14, atol=1e-15)
    a, cdx, s = compiled(layer, x, da)
    np.testing.assert_allclose(a, want, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(cdx, grad(da), rtol=1e-14, atol=1e-15)
    if is_max:
        assert values.extras["argmax"].dtype == np.int64
        np.testing.assert_array_equal(values.extras["argmax"], arg)
        np.testing.assert_array_equal(s, arg)  # the compiled argmax kept for backward
        np.testing.assert_array_equal(values.a, np.take_along_axis(x, arg, axis=1))
    else:
        assert "argmax" not in values.extras


def test_output_shapes():
    assert make("maxpool", (4, 6, 3), 2).out_shape == (2, 3, 3)
    assert make("avgpool", (6, 9, 2), 3).out_shape == (2, 3, 2)
    assert make("globalmaxpool", (4, 6, 3), 2).out_shape == (3,)
    assert make("globalavgpool", (5, 7, 8), 2).out_shape == (8,)


@pytest.mark.parametrize("kind", POOLS)
def test_input_gradient_matches_finite_differences(kind):
    # continuous random inputs: no two values of a window tie, so max is smooth around them
    layer = make(kind, (4, 6, 3), 2)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, layer.n_in))
    r = rng.normal(size=(3, layer.n_out))

    def loss(x):
        return float((layer.forward(x).a * r).sum())

    _, dx = layer.backward(x, r, layer.forward(x))
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + 1e-6
        up = loss(x)
        x[idx] = old - 1e-6
        down = loss(x)
        x[idx] = old
        numeric[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", ["maxpool", "globalmaxpool"])
def test_ties_go_to_the_first_value_of_the_window(kind):
    shape = (2, 2, 2)
    layer = make(kind, shape, 2)
    # channel 0: all four equal; channel 1: the max 5 at window positions (0, 1) and (1, 0)
    image = np.zeros(shape)
    image[:, :, 0] = 3.0
    image[:, :, 1] = [[1.0, 5.0], [5.0, 2.0]]
    x = image.reshape(1, -1)
    values = layer.forward(x)
    col = lambda i, j, c: (i * 2 + j) * 2 + c  # noqa: E731
    assert values.extras["argmax"].tolist() == [[col(0, 0, 0), col(0, 1, 1)]]
    np.testing.assert_array_equal(values.a, [[3.0, 5.0]])
    da = np.array([[1.5, -2.0]])
    want = np.zeros_like(x)
    want[0, col(0, 0, 0)] = 1.5
    want[0, col(0, 1, 1)] = -2.0
    np.testing.assert_array_equal(layer.backward(x, da, values)[1], want)
    a, dx, s = compiled(layer, x, da)
    np.testing.assert_array_equal(a, values.a)
    np.testing.assert_array_equal(dx, want)
    np.testing.assert_array_equal(s, values.extras["argmax"])


def test_training_is_deterministic_and_matches_the_reference():
    spec = {"inputs": [6, 6, 2], "layers": [
        {"type": "layernorm"}, {"type": "maxpool", "size": 2}, {"type": "avgpool", "size": 3},
        {"type": "dense", "units": 3, "activation": "softmax"}], "loss": "softmax_ce"}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6, 6, 2))  # images as (N, H, W, C)
    Y = np.eye(3)[rng.integers(0, 3, size=20)]
    runs = {}
    for backend in ("numba", "numba", "numpy"):
        net = Network.from_spec(spec, seed=3)
        Trainer(net, X, Y, backend=backend, lr=0.05, batch_size=6, seed=2).run(25)
        runs.setdefault(backend, []).append(net.params.copy())
    assert np.array_equal(runs["numba"][0], runs["numba"][1])
    np.testing.assert_allclose(runs["numba"][0], runs["numpy"][0], rtol=1e-9, atol=1e-12)
    net = Network.from_spec(spec, seed=3)
    assert np.array_equal(net.predict(X), net.predict(X.reshape(20, -1)))


def _message(spec):
    with pytest.raises(SpecError) as info:
        normalise_spec(spec)
    return str(info.value)


def test_a_size_that_does_not_divide_the_map_is_refused_with_the_shapes():
    text = _message({"inputs": [8, 8, 1], "layers": [
        {"type": "maxpool", "size": 2}, {"type": "avgpool", "size": 3},
        {"type": "dense", "units": 1}]})
    assert text.startswith("layers[1].size:")
    assert "3×3" in text and "[4, 4, 1]" in text and "sizes that fit: 1, 2, 4" in text
    text = _message({"inputs": [6, 4, 2], "layers": [{"type": "maxpool", "size": 3},
                                                     {"type": "dense", "units": 1}]})
    assert text.startswith("layers[0].size:") and "[6, 4, 2]" in text


@pytest.mark.parametrize("kind", POOLS)
def test_pools_need_an_image_and_cannot_end_the_network(kind):
    text = _message({"inputs": [4, 4, 2], "layers": [{"type": "dense", "units": 4},
                                                     {"type": kind},
                                                     {"type": "dense", "units": 1}]})
    assert text == (f"layers[1]: {kind} needs an image input [H, W, C], got shape [4] (put it "
                    f"after the network's image input or a conv2d or pooling layer)")
    assert "got shape [3, 4]" in _message({"inputs": [3, 4], "layers": [
        {"type": kind}, {"type": "dense", "units": 1}]})
    assert _message({"inputs": [4, 4, 2], "layers": [{"type": kind}]}).startswith(
        "layers[0].type: the last layer is the output layer")
    assert _message({"inputs": [4, 4, 2], "layers": [
        {"type": "residual", "layers": [{"type": kind}]}, {"type": "dense", "units": 1}]}
    ).startswith("layers[0].layers[0].type:")
    # global pools take the whole map: no size
    if kind.startswith("global"):
        assert "unknown key(s) size" in _message({"inputs": [4, 4, 2], "layers": [
            {"type": kind, "size": 2}, {"type": "dense", "units": 1}]})


@pytest.mark.parametrize("bad", [0, -1, 65, 2.5, "2", None, True, [2]])
def test_size_must_be_a_whole_number_in_range(bad):
    text = _message({"inputs": [4, 4, 2], "layers": [{"type": "maxpool", "size": bad},
                                                     {"type": "dense", "units": 1}]})
    assert text == (f"layers[0].size: expected a whole number from 1 to 64 (the side of the "
                    f"square window), got {bad!r}")


def test_spec_and_describe():
    spec = {"inputs": [4, 4, 2], "layers": [{"type": "maxpool"}, {"type": "globalavgpool"},
                                            {"type": "dense", "units": 1}]}
    norm = normalise_spec(spec)
    assert norm["layers"][:2] == [{"type": "maxpool", "size": 2}, {"type": "globalavgpool"}]
    described = Network.from_spec(spec).describe()
    assert described[0]["size"] == 2 and described[0]["out_shape"] == (2, 2, 2)
    assert "size" not in described[1] and described[1]["out_shape"] == (2,)
    assert described[0]["params"] == [] and described[1]["units"] == 2


EXPORT_SPEC = {"inputs": [6, 6, 3], "layers": [
    {"type": "layernorm"}, {"type": "maxpool", "size": 3}, {"type": "avgpool", "size": 2},
    {"type": "dense", "units": 4, "activation": "tanh"}, {"type": "dense", "units": 1}],
    "loss": "mse"}


@pytest.mark.skipif(not (importlib.util.find_spec("onnxruntime")
                         and importlib.util.find_spec("onnx")), reason="needs onnxruntime")
@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_onnx_export_in_both_precisions(kind, dtype):
    import onnxruntime

    from neuroviz.export import onnx_model

    pool = {"type": kind} if kind.startswith("global") else {"type": kind, "size": 2}
    spec = {"inputs": [4, 6, 3], "layers": [{"type": "layernorm"}, pool,
                                            {"type": "dense", "units": 2}], "loss": "mse"}
    net = Network.from_spec(spec, seed=1)
    net.params[...] += np.random.default_rng(2).normal(scale=0.3, size=net.param_size)
    X = np.random.default_rng(3).normal(size=(9, 4, 6, 3))
    model = onnx_model(net, dtype=dtype)
    ops = {node.op_type for node in model.graph.node}
    standard = pooling.ONNX_OPS[LAYER_KINDS[kind].mode, kind.startswith("global")]
    # float64: ONNX Runtime runs only MaxPool in float64; the rest become reductions
    if dtype == "float32" or kind == "maxpool":
        assert standard in ops
    else:
        assert standard not in ops and ops & {"ReduceMax", "ReduceMean"}
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    got = session.run(["y"], {"x": X.astype(dtype)})[0]
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, net.predict(X), rtol=tolerance, atol=tolerance)
    # an empty batch goes through too (reshapes keep the batch size)
    assert session.run(["y"], {"x": X[:0].astype(dtype)})[0].shape == (0, 2)


@pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="needs torch")
def test_torch_export_runs_channels_first_inside_the_wrapper():
    import torch

    from neuroviz.export import torch_source

    net = Network.from_spec(EXPORT_SPEC, seed=1)
    net.params[...] += np.random.default_rng(2).normal(scale=0.3, size=net.param_size)
    text, weights = torch_source(net)
    assert "ChannelsLast(nn.MaxPool2d(3), 6, 6, 3)" in text
    assert "ChannelsLast(nn.AvgPool2d(2), 2, 2, 3)" in text
    namespace = {"__name__": "exported_pools", "__file__": "model.py"}
    exec(compile(text, "model.py", "exec"), namespace)
    model = namespace["Network"]().double().eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    X = np.random.default_rng(3).normal(size=(7, 6, 6, 3))
    with torch.no_grad():
        got = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(got, net.predict(X), rtol=1e-12, atol=1e-12)
