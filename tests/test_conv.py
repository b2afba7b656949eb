"""The conv2d and flatten kinds against references written here, independent of the engine:
a plain loop-by-loop convolution, SciPy's correlate, the 'same' padding formula, finite
differences, and the compiled path against the NumPy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuroviz.engine import Network, SpecError, Trainer, normalise_spec
from neuroviz.engine.activations import ACTIVATIONS

ACTS = list(ACTIVATIONS)


def conv(filters, kernel=3, stride=1, padding="valid", activation="relu"):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride,
            "padding": padding, "activation": activation}


def naive_conv(x, K, b, stride, padding):
    """z[n, i, j, f] = b[f] + Σ_{u,v,c} x[n, i·s+u−pt, j·s+v−pl, c] · K[u, v, c, f], with plain
    loops and padding written out by hand from the TensorFlow/ONNX SAME_UPPER rule."""
    n, h, w, c = x.shape
    k, _, _, f = K.shape
    if padding == "valid":
        ho, wo, pt, pl = (h - k) // stride + 1, (w - k) // stride + 1, 0, 0
    else:
        ho, wo = math.ceil(h / stride), math.ceil(w / stride)
        pt = max((ho - 1) * stride + k - h, 0) // 2
        pl = max((wo - 1) * stride + k - w, 0) // 2
    z = np.zeros((n, ho, wo, f))
    for e in range(n):
        for i in range(ho):
            for j in range(wo):
                for q in range(f):
                    total = b[q]
                    for u in range(k):
                        for v in range(k):
                            r, col = i * stride + u - pt, j * stride + v - pl
                            if 0 <= r < h and 0 <= col < w:
                                for ch in range(c):
                                    total += x[e, r, col, ch] * K[u, v, ch, q]
                    z[e, i, j, q] = total
    return z


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("shape,kernel", [((7, 6, 1), 3), ((8, 5, 3), 2), ((5, 5, 2), 1),
                                          ((6, 7, 2), 4)])
def test_forward_matches_a_plain_loop_convolution(shape, kernel, stride, padding):
    spec = {"inputs": list(shape), "layers": [
        conv(5, kernel, stride, padding, "linear"), {"type": "flatten"},
        {"type": "dense", "units": 2, "activation": "linear"}], "loss": "mse"}
    net = Network.from_spec(spec, seed=1)
    net.params[...] = np.random.default_rng(2).normal(size=net.param_size)
    x = np.random.default_rng(3).normal(size=(3, *shape))
    K, b = net.get_weights()[0]
    want = naive_conv(x, K, b, stride, padding)
    values = net.forward_all(x)
    assert net.layers[0].out_shape == want.shape[1:]
    np.testing.assert_allclose(values[0].z, want.reshape(3, -1), rtol=1e-12, atol=1e-12)
    # flatten keeps every value, row-major with channels last
    np.testing.assert_array_equal(values[1].a, values[0].a)


def test_forward_matches_scipy_correlate():
    signal = pytest.importorskip("scipy.signal")
    spec = {"inputs": [9, 8, 3], "layers": [conv(4, 3, 1, "same", "linear"),
                                            {"type": "flatten"},
                                            {"type": "dense", "units": 1, "activation": "linear"}],
            "loss": "mse"}
    net = Network.from_spec(spec, seed=0)
    net.params[...] = np.random.default_rng(5).normal(size=net.param_size)
    x = np.random.default_rng(6).normal(size=(2, 9, 8, 3))
    K, b = net.get_weights()[0]
    z = net.forward_all(x)[0].z.reshape(2, 9, 8, 4)
    for e in range(2):
        for q in range(4):
            # cross-correlation over (row, column), summed over channels: the middle plane
            want = signal.correlate(x[e], K[:, :, :, q], mode="same")[:, :, 1] + b[q]
            np.testing.assert_allclose(z[e, :, :, q], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h,k,s", [(7, 3, 2), (8, 3, 2), (6, 4, 1), (5, 5, 3), (9, 2, 2),
                                   (4, 1, 4)])
def test_same_padding_geometry_follows_the_formula(h, k, s):
    net = Network.from_spec({"inputs": [h, h + 1, 1], "layers": [
        conv(2, k, s, "same"), {"type": "dense", "units": 1}], "loss": "mse"})
    layer = net.layers[0]
    out_h, out_w = -(-h // s), -(-(h + 1) // s)
    assert layer.out_shape == (out_h, out_w, 2)
    assert layer.pt == max((out_h - 1) * s + k - h, 0) // 2
    assert layer.pl == max((out_w - 1) * s + k - (h + 1), 0) // 2


def _fd_check(spec, seed=0):
    net = Network.from_spec(spec, seed=seed)
    net.params[...] += np.random.default_rng(seed + 1).normal(scale=0.2, size=net.param_size)
    rng = np.random.default_rng(seed + 2)
    X = rng.normal(size=(3, *net.input_shape))
    Y = rng.normal(size=(3, net.n_outputs))
    _, grads = net.flat_gradient(X, Y)
    numeric = np.zeros(net.param_size)
    for i in range(net.param_size):
        old = net.params[i]
        net.params[i] = old + 1e-6
        up = net.flat_gradient(X, Y)[0]
        net.params[i] = old - 1e-6
        down = net.flat_gradient(X, Y)[0]
        net.params[i] = old
        numeric[i] = (up - down) / 2e-6
    np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("stride,padding", [(1, "valid"), (1, "same"), (2, "valid"),
                                            (2, "same")])
def test_gradients_match_finite_differences(stride, padding, activation):
    # the second conv sends gradients back through the first (dx as well as dK, db)
    spec = {"inputs": [6, 5, 2], "layers": [
        conv(3, 2, 1, "same", activation), conv(2, 3, stride, padding, activation),
        {"type": "flatten"}, {"type": "dense", "units": 2, "activation": "linear"}],
        "loss": "mse"}
    _fd_check(spec)


@pytest.mark.parametrize("filters", [1, 8, 11, 16])
@pytest.mark.parametrize("stride,padding", [(1, "valid"), (2, "same"), (1, "same"),
                                            (3, "valid")])
def test_compiled_trains_like_the_reference(filters, stride, padding):
    """Filter counts cover the eight-at-a-time path, its remainder and both."""
    spec = {"inputs": [7, 8, 2], "layers": [
        conv(filters, 3, stride, padding, "relu"), conv(9, 2, 1, "same", "elu"),
        {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}],
        "loss": "softmax_ce"}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(29, 7, 8, 2))
    Y = np.eye(3)[rng.integers(0, 3, size=29)]
    params = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=3)
        trainer = Trainer(net, X, Y, backend=backend, optimizer="adam", lr=0.01, batch_size=6,
                          l2=1e-3, seed=4)
        snap = trainer.run(12, gradients=True)
        assert not snap.diverged
        params.append(net.params.copy())
    np.testing.assert_allclose(params[0], params[1], rtol=1e-6, atol=1e-6)


def test_training_is_bit_for_bit_deterministic_by_seed():
    spec = {"inputs": [8, 8, 1], "layers": [conv(8), conv(12, 3, 2, "same", "tanh"),
                                            {"type": "flatten"},
                                            {"type": "dense", "units": 4, "activation": "softmax"}],
            "loss": "softmax_ce"}
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 8, 8, 1))
    Y = np.eye(4)[rng.integers(0, 4, size=40)]
    runs = []
    for seed in (5, 5, 6):
        net = Network.from_spec(spec, seed=2)
        Trainer(net, X, Y, batch_size=8, seed=seed).run(25)
        runs.append(net.params.copy())
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_images_and_flat_rows_train_alike():
    spec = {"inputs": [6, 6, 2], "layers": [conv(4), {"type": "flatten"},
                                            {"type": "dense", "units": 1, "activation": "sigmoid"}],
            "loss": "bce"}
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 6, 6, 2))
    Y = (X[:, 0, 0, :1] > 0).astype(float)
    nets = []
    for data in (X, X.reshape(20, -1)):
        net = Network.from_spec(spec, seed=0)
        Trainer(net, data, Y, X_test=data, Y_test=Y, batch_size=5).run(10)
        nets.append(net)
    assert np.array_equal(nets[0].params, nets[1].params)
    np.testing.assert_array_equal(nets[0].predict(X), nets[1].predict(X.reshape(20, -1)))
    loss, _ = nets[0].loss_and_gradients(X, Y)
    assert loss == nets[0].loss_and_gradients(X.reshape(20, -1), Y)[0]


def test_spec_defaults_and_describe():
    spec = normalise_spec({"inputs": [5, 5, 1], "layers": [
        {"type": "conv2d"}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    assert spec["layers"][0] == conv(8, 3, 1, "valid", "relu")
    net = Network.from_spec(spec)
    first, flat = net.describe()[:2]
    assert first["out_shape"] == (3, 3, 8) and first["params"] == [(3, 3, 1, 8), (8,)]
    assert (first["filters"], first["kernel"], first["stride"], first["padding"]) == (
        8, 3, 1, "valid")
    assert first["param_names"] == ["K", "b"]
    assert flat["out_shape"] == (72,) and flat["params"] == []


@pytest.mark.parametrize("inputs,layer,field", [
    ([2, 2, 1], conv(4, 3), "layers[0].kernel: a 3x3 kernel does not fit the 2x2 input map"),
    ([5, 2, 3], conv(4, 3), "layers[0].kernel: a 3x3 kernel does not fit the 5x2 input map"),
    (12, conv(4), "layers[0]: conv2d needs an image input [H, W, C], got shape [12]"),
    ([4, 3], conv(4), "layers[0]: conv2d needs an image input [H, W, C], got shape [4, 3]"),
    ([64, 64, 1], conv(8, 3, 1, "same"), "layers[0]: the output shape [64, 64, 8]"),
    ([6, 6, 1], conv(65), "layers[0].filters"),
    ([6, 6, 1], conv(4, 3, 5), "layers[0].stride"),
    ([6, 6, 1], {"type": "conv2d", "kernel": [3, 3]}, "layers[0].kernel"),
    ([6, 6, 1], {"type": "conv2d", "padding": None}, "layers[0].padding"),
    (12, {"type": "flatten"}, "layers[0]: flatten needs an image input [H, W, C], got shape"),
])
def test_bad_specs_name_the_layer_and_shapes(inputs, layer, field):
    with pytest.raises(SpecError) as info:
        normalise_spec({"inputs": inputs, "layers": [layer, {"type": "dense", "units": 1}]})
    assert field in str(info.value)


def test_a_conv_after_a_shrinking_conv_is_checked_against_its_real_input():
    with pytest.raises(SpecError, match=r"layers\[1\].kernel: a 3x3 kernel does not fit the "
                                        r"2x2 input map \(input shape \[2, 2, 4\]"):
        normalise_spec({"inputs": [4, 4, 1], "layers": [
            conv(4), conv(4), {"type": "dense", "units": 1}]})


def test_conv_and_flatten_cannot_be_the_output_layer():
    for layer in (conv(2), {"type": "flatten"}):
        with pytest.raises(SpecError, match=r"layers\[0\].type: the last layer is the output"):
            normalise_spec({"inputs": [4, 4, 1], "layers": [layer]})


def test_parameter_limit_is_checked_from_the_spec():
    # four 9x9 convolutions of 64 filters on 64 channels: 1.3 million parameters
    layers = [conv(64, 1, 1, "same")] + [conv(64, 9, 1, "same")] * 4
    with pytest.raises(SpecError, match=r"layers\[4\]: the network would have more than"):
        normalise_spec({"inputs": [10, 10, 1], "layers": layers + [
            {"type": "dense", "units": 1}]})


@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, "valid"), (3, 2, "same"),
                                                   (2, 1, "same"), (4, 3, "same"),
                                                   (2, 2, "valid")])
def test_exports_predict_like_the_network(kernel, stride, padding):
    """ONNX in float64 (the im2col form) and float32 (Conv), and PyTorch, against predict."""
    spec = {"inputs": [7, 6, 2], "layers": [
        conv(3, kernel, stride, padding, "tanh"), conv(4, 2, 1, "same", "relu"),
        {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}],
        "loss": "softmax_ce"}
    net = Network.from_spec(spec, seed=1)
    net.params[...] += np.random.default_rng(2).normal(scale=0.3, size=net.param_size)
    X = np.random.default_rng(3).normal(size=(9, 7, 6, 2))
    expected = net.predict(X)
    ort = pytest.importorskip("onnxruntime")
    from neuroviz.export import onnx_model

    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        session = ort.InferenceSession(onnx_model(net, dtype=dtype).SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        got = session.run(["y"], {"x": X.astype(dtype)})[0]
        np.testing.assert_allclose(got, expected, atol=tol)
    torch = pytest.importorskip("torch")
    from neuroviz.export import torch_source

    text, weights = torch_source(net)
    namespace = {"__name__": "exported_conv", "__file__": "model.py"}
    exec(compile(text, "model.py", "exec"), namespace)
    model = namespace["Network"]().double().eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(X)).numpy(), expected, atol=1e-12)


def test_compiled_chunks_of_examples_train_like_the_reference(monkeypatch):
    """Patches that do not fit the scratch space at once go in chunks (here 3, 3, 2 of a
    batch of 8): the result is the same."""
    from neuroviz.engine.kinds import conv2d

    spec = {"inputs": [6, 6, 2], "layers": [conv(5, 3, 1, "same", "tanh"), conv(4, 2, 2),
                                            {"type": "flatten"},
                                            {"type": "dense", "units": 1, "activation": "linear"}],
            "loss": "mse"}
    monkeypatch.setattr(conv2d, "CHUNK_VALUES", 36 * 18 * 3)  # first layer: 3 examples
    assert conv2d.chunk_rows(36, 18, 8) == 3
    rng = np.random.default_rng(4)
    X = rng.normal(size=(21, 6, 6, 2))
    Y = rng.normal(size=(21, 1))
    params = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=1)
        Trainer(net, X, Y, backend=backend, optimizer="sgd", lr=0.05, batch_size=8,
                seed=2).run(9)
        params.append(net.params.copy())
    np.testing.assert_allclose(params[0], params[1], rtol=1e-6, atol=1e-6)
