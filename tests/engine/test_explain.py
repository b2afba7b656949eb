"""Explain mode's numbers agree with the engine's own forward pass, gradients and optimizers."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.engine import ACTIVATIONS, OPTIMIZERS, Network, Trainer
from neuroviz.engine import kernels as K
from neuroviz.engine import reference as R
from neuroviz.engine.explain import explain, fmt, optimizer_state_from_trainer

RTOL = 1e-12
ATOL = 1e-14


def random_spec(rng, inputs, hidden_acts, out_units, loss, out_act=None):
    layers = [{"type": "dense", "units": int(rng.integers(1, 6)), "activation": a}
              for a in hidden_acts]
    if out_act is None:
        out_act = {"bce": "sigmoid", "softmax_ce": "softmax"}.get(loss, "linear")
    layers.append({"type": "dense", "units": out_units, "activation": out_act})
    return {"inputs": inputs, "layers": layers, "loss": loss}


def random_target(rng, loss, k):
    if loss == "softmax_ce":
        return np.eye(k)[rng.integers(k)]
    if loss == "bce":
        return rng.integers(0, 2, size=k).astype(float)
    return rng.normal(size=k)


CASES = []
_rng = np.random.default_rng(123)
for _n, _act in enumerate(ACTIVATIONS):
    # every hidden activation, with each loss in turn; mse also with that activation on output
    _loss = ("mse", "bce", "softmax_ce")[_n % 3]
    CASES.append((_act, _loss, None))
    CASES.append((_act, "mse", _act))


@pytest.mark.parametrize("hidden_act,loss,out_act", CASES)
def test_values_match_engine_forward_and_gradients(hidden_act, loss, out_act):
    rng = np.random.default_rng(abs(hash((hidden_act, loss, out_act))) % 2**32)
    for trial in range(3):
        inputs = int(rng.integers(1, 5))
        k = int(rng.integers(2, 4)) if loss == "softmax_ce" else int(rng.integers(1, 3))
        depth = int(rng.integers(0, 3)) if trial else 2
        spec = random_spec(rng, inputs, [hidden_act] * depth, k, loss, out_act)
        net = Network.from_spec(spec, seed=int(rng.integers(1000)))
        # non-zero biases so every term of the sums matters
        net.set_weights([(W, rng.normal(scale=0.5, size=b.shape)) for W, b in net.get_weights()])
        x = rng.normal(size=inputs)
        y = random_target(rng, loss, k)
        e = explain(net, x, y, optimizer="sgd", lr=0.1)

        cache = net.forward_all(x[None, :])
        loss_value, grads = net.loss_and_gradients(x[None, :], y[None, :])
        sizes = net.layer_sizes
        L = len(sizes) - 1

        # forward: every weighted sum and activation
        for s in e.steps:
            if s.kind == "weighted_sum":
                assert s.values["z"] == pytest.approx(cache[s.node_layer - 1][0][0, s.neuron],
                                                      rel=RTOL, abs=ATOL)
            elif s.kind == "activation" and s.neuron is not None:
                assert s.values["a"] == pytest.approx(cache[s.node_layer - 1][1][0, s.neuron],
                                                      rel=RTOL, abs=ATOL)
            elif s.kind == "activation":
                np.testing.assert_allclose([s.values[f"a{j}"] for j in range(k)],
                                           cache[-1][1][0], rtol=RTOL, atol=ATOL)
        assert e.loss == pytest.approx(loss_value, rel=RTOL, abs=ATOL)
        (loss_step,) = [s for s in e.steps if s.kind == "loss"]
        assert loss_step.values["loss"] == pytest.approx(loss_value, rel=RTOL, abs=ATOL)

        # backward: dL/dz of every neuron is the bias gradient; dL/dw of every edge
        for s in e.steps:
            if s.kind == "neuron_grad":
                assert s.values["dL/dz"] == pytest.approx(grads[s.node_layer - 1][1][s.neuron],
                                                          rel=1e-10, abs=1e-13)
            elif s.kind == "edge_grad":
                i, j = s.edge
                assert s.values["dL/dw"] == pytest.approx(grads[s.node_layer - 1][0][i, j],
                                                          rel=1e-10, abs=1e-13)
        for (dW, db), (gW, gb) in zip(e.grads, grads):
            np.testing.assert_allclose(dW, gW, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(db, gb, rtol=1e-10, atol=1e-13)

        # every neuron and every edge has its steps, in forward then backward then update order
        n_neurons = sum(sizes[1:])
        n_edges = sum(sizes[i] * sizes[i + 1] for i in range(L))
        kinds = [s.kind for s in e.steps]
        assert kinds.count("weighted_sum") == n_neurons
        assert kinds.count("neuron_grad") == n_neurons
        assert kinds.count("edge_grad") == n_edges
        assert kinds.count("update_weight") == n_edges
        assert kinds.count("update_bias") == n_neurons
        phases = [s.phase for s in e.steps]
        assert phases == sorted(phases, key=("forward", "backward", "update").index)
        for s in e.steps:
            assert s.lines and all(isinstance(line, str) and line for line in s.lines)
            assert "nan" not in " ".join(s.lines).lower()


def test_backward_goes_from_output_to_input_layer():
    net = Network.from_spec({"inputs": 2, "layers": [
        {"type": "dense", "units": 3, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "relu"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}, seed=3)
    e = explain(net, [0.5, -1.0], [1.0])
    layers = [s.node_layer for s in e.steps if s.phase == "backward"]
    assert layers == sorted(layers, reverse=True)
    first_backward = e.steps[e.first_of("backward")]
    assert first_backward.kind == "output_grad"
    assert e.steps[e.last_of("forward")].kind == "loss"


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("regularised", [False, True])
def test_update_matches_engine_optimizer(optimizer, regularised):
    """After a few real training steps, explain's update equals the engine's update rule."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(20, 3))
    Y = (X[:, :1] + X[:, 1:2] > 0).astype(float)
    net = Network.from_spec({"inputs": 3, "layers": [
        {"type": "dense", "units": 4, "activation": "swish"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}, seed=2)
    l1, l2 = (0.01, 0.02) if regularised else (0.0, 0.0)
    trainer = Trainer(net, X, Y, optimizer=optimizer, lr=0.05, batch_size=5, seed=0,
                      l1=l1, l2=l2, momentum=0.8, backend="numpy")
    trainer.run(7)
    state = optimizer_state_from_trainer(trainer)
    assert state["t"] == 7
    x, y = X[3], Y[3]
    e = explain(net, x, y, optimizer=optimizer, lr=0.05, momentum=0.8, l1=l1, l2=l2,
                state=state)

    # The engine's own update on the same gradient and the same optimizer state.
    params = net.params.copy()
    _, flat = net.flat_gradient(x[None, :], y[None, :])
    m1, m2 = trainer._m1.copy(), trainer._m2.copy()
    hyper = trainer._hyper.copy()
    t = int(trainer._counters[K.C_T]) + 1
    assert R.update(params, flat, m1, m2, R.regularised_mask(net), _code(optimizer),
                    hyper, t)
    check = Network.from_spec(net.spec)
    check.params[...] = params
    for (W_e, b_e), (W_r, b_r) in zip(e.new_weights, check.get_weights()):
        np.testing.assert_allclose(W_e, W_r, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b_e, b_r, rtol=1e-12, atol=1e-15)
    for s in e.steps:
        if s.kind == "update_weight":
            i, j = s.edge
            assert s.values["w_new"] == pytest.approx(e.new_weights[s.node_layer - 1][0][i, j])
            assert s.values["lr"] == 0.05
    # the network itself is untouched
    np.testing.assert_array_equal(net.params, trainer.net.params)


def _code(name):
    return {"sgd": K.OPT_SGD, "momentum": K.OPT_MOMENTUM, "nesterov": K.OPT_NESTEROV,
            "rmsprop": K.OPT_RMSPROP, "adam": K.OPT_ADAM}[name]


def test_sgd_update_text_has_the_numbers():
    net = Network.from_spec({"inputs": 1, "layers": [
        {"type": "dense", "units": 1, "activation": "linear"}], "loss": "mse"}, seed=0)
    net.set_weights([(np.array([[0.5]]), np.array([0.1]))])
    e = explain(net, [2.0], [3.0], optimizer="sgd", lr=0.1)
    z = 0.5 * 2.0 + 0.1
    assert e.steps[1].lines[-1] == f"z = 0.5\u00b72 + 0.1 = {fmt(z)}"
    (upd,) = [s for s in e.steps if s.kind == "update_weight"]
    grad = 2 * (z - 3.0) * 2.0
    assert upd.values["grad"] == pytest.approx(grad)
    assert upd.values["w_new"] == pytest.approx(0.5 - 0.1 * grad)
    assert upd.lines[-1] == f"w \u2190 0.5 \u2212 0.1\u00b7{fmt(grad).join('()')} = " \
                            f"{fmt(0.5 - 0.1 * grad)}"


def test_navigation_helpers_and_revealed_state():
    net = Network.from_spec({"inputs": 2, "layers": [
        {"type": "dense", "units": 2, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "linear"}], "loss": "mse"}, seed=0)
    e = explain(net, [1.0, 2.0], [0.5])
    # next_group walks layer by layer through every phase and ends at the last step
    i, seen = 0, [e.steps[0].group]
    while i < len(e) - 1:
        i = e.next_group(i)
        if e.steps[i].group != seen[-1]:
            seen.append(e.steps[i].group)
    assert len(seen) == len(set(seen)) == 7  # input, 2 forward, 2 backward, 2 update layers
    assert e.previous_group(e.next_group(0)) == 0
    assert e.previous_group(0) == 0
    assert np.isnan(e.node_values(0)[1]).all()
    np.testing.assert_allclose(e.node_values(len(e) - 1)[2], e.forward[-1][1])
    final = e.weights_at(len(e) - 1)
    for (W, b), (Wn, bn) in zip(final, e.new_weights):
        np.testing.assert_array_equal(W, Wn)
        np.testing.assert_array_equal(b, bn)
    revealed = e.known_gradients(len(e) - 1)
    for (dW, db), (gW, gb) in zip(revealed, e.grads):
        np.testing.assert_array_equal(dW, gW)
        np.testing.assert_array_equal(db, gb)


def test_large_layers_are_shortened_but_exact():
    net = Network.from_spec({"inputs": 64, "layers": [
        {"type": "dense", "units": 10, "activation": "softmax"}], "loss": "softmax_ce"}, seed=0)
    x = np.linspace(0, 1, 64)
    e = explain(net, x, np.eye(10)[3])
    s = e.steps[1]
    assert "\u2026" in s.lines[1] and "64 terms" in s.lines[0]
    assert s.values["z"] == pytest.approx(net.forward_all(x[None, :])[0][0][0, 0])


def test_bad_arguments():
    net = Network.from_spec({"inputs": 2, "layers": [
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"})
    with pytest.raises(ValueError, match="x: expected 2"):
        explain(net, [1.0], [1.0])
    with pytest.raises(ValueError, match="optimizer"):
        explain(net, [1.0, 2.0], [1.0], optimizer="lbfgs")


def test_fmt():
    assert fmt(-0.85) == "\u22120.85"
    assert fmt(0.0) == "0"
    assert fmt(1.234e-5) == "1.234\u00d710\u207b\u2075"
    assert fmt(float("nan")) == "NaN"
