"""Analytic gradients against central finite differences (float64)."""

import numpy as np
import pytest

from neuroviz.engine import ACTIVATIONS, Network
from neuroviz.engine import activations as act


def numeric_gradient(net, X, Y, eps=1e-6):
    grad = np.zeros(net.param_size)
    for i in range(net.param_size):
        old = net.params[i]
        net.params[i] = old + eps
        up = net.loss_value(X, Y)
        net.params[i] = old - eps
        down = net.loss_value(X, Y)
        net.params[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def data_for(loss, n_in, n_out, n=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "softmax_ce":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(n, n_out)).astype(float)
    else:
        Y = rng.normal(size=(n, n_out))
    return X, Y


def assert_gradients_match(spec, seed=0):
    net = Network.from_spec(spec, seed=seed)
    # Move off the initial point so biases are not all zero.
    net.params[...] += np.random.default_rng(seed + 1).normal(scale=0.1, size=net.param_size)
    X, Y = data_for(spec["loss"], spec["inputs"], spec["layers"][-1]["units"], seed=seed)
    loss, analytic = net.flat_gradient(X, Y)
    numeric = numeric_gradient(net, X, Y)
    assert np.isfinite(loss)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_hidden_activation(activation):
    spec = {"inputs": 3,
            "layers": [{"type": "dense", "units": 5, "activation": activation},
                       {"type": "dense", "units": 4, "activation": activation},
                       {"type": "dense", "units": 2, "activation": "linear"}],
            "loss": "mse"}
    assert_gradients_match(spec)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_output_activation_with_mse(activation):
    spec = {"inputs": 2,
            "layers": [{"type": "dense", "units": 3, "activation": "tanh"},
                       {"type": "dense", "units": 2, "activation": activation}],
            "loss": "mse"}
    assert_gradients_match(spec, seed=3)


@pytest.mark.parametrize("loss,out_act,units", [
    ("mse", "linear", 3), ("bce", "sigmoid", 1), ("bce", "sigmoid", 3),
    ("softmax_ce", "softmax", 4)])
def test_every_loss(loss, out_act, units):
    spec = {"inputs": 4,
            "layers": [{"type": "dense", "units": 6, "activation": "relu"},
                       {"type": "dense", "units": units, "activation": out_act}],
            "loss": loss}
    assert_gradients_match(spec, seed=5)


@pytest.mark.parametrize("seed", range(6))
def test_random_architectures(seed):
    rng = np.random.default_rng(100 + seed)
    loss = ["mse", "bce", "softmax_ce"][seed % 3]
    out_units = {"mse": int(rng.integers(1, 4)), "bce": 1, "softmax_ce": 3}[loss]
    out_act = {"mse": "linear", "bce": "sigmoid", "softmax_ce": "softmax"}[loss]
    hidden = [{"type": "dense", "units": int(rng.integers(1, 7)),
               "activation": str(rng.choice(ACTIVATIONS))}
              for _ in range(int(rng.integers(0, 4)))]
    spec = {"inputs": int(rng.integers(1, 5)),
            "layers": hidden + [{"type": "dense", "units": out_units, "activation": out_act}],
            "loss": loss}
    assert_gradients_match(spec, seed=seed)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivative_matches_finite_difference(name):
    z = np.linspace(-3, 3, 41) + 0.013  # avoid the kink of relu-like functions at 0
    a = act.apply(name, z)
    h = 1e-6
    numeric = (act.apply(name, z + h) - act.apply(name, z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(name, z, a), numeric, rtol=1e-6, atol=1e-8)


def test_loss_values_follow_the_documented_conventions():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 3))
    y = rng.integers(0, 2, size=(5, 3)).astype(float)
    from neuroviz.engine import losses
    p = 1 / (1 + np.exp(-z))
    expected_bce = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert losses.loss_value("bce", z, p, y) == pytest.approx(expected_bce, rel=1e-12)
    assert losses.loss_value("mse", z, z, y) == pytest.approx(np.mean((z - y) ** 2), rel=1e-12)
    onehot = np.eye(3)[[0, 2, 1, 1, 0]]
    sm = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected_ce = np.mean(-np.sum(onehot * np.log(sm), axis=1))
    assert losses.loss_value("softmax_ce", z, sm, onehot) == pytest.approx(expected_ce, rel=1e-12)
