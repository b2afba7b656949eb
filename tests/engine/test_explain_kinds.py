"""Explain mode for networks with dropout, layer norm and residual blocks: the update equals
the engine's optimizer on the engine's gradient, with the trainer's real state; evaluation
mode explains dropout as off; the text carries the numbers."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.engine import Network, Trainer
from neuroviz.engine import kernels as K
from neuroviz.engine import reference as R
from neuroviz.engine.explain import explain, fmt, optimizer_state_from_trainer
from neuroviz.engine.kinds.base import random_state

SPEC = {"inputs": 3, "layers": [
    {"type": "dense", "units": 5, "activation": "tanh"},
    {"type": "dropout", "rate": 0.3},
    {"type": "residual", "layers": [{"type": "dense", "units": 4, "activation": "relu"},
                                    {"type": "layernorm"}]},  # 5 -> 4: a projection
    {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}

CODES = {"sgd": K.OPT_SGD, "momentum": K.OPT_MOMENTUM, "nesterov": K.OPT_NESTEROV,
         "rmsprop": K.OPT_RMSPROP, "adam": K.OPT_ADAM}


def _leaves(tree):
    if tree is None:
        return []
    if isinstance(tree, np.ndarray):
        return [tree]
    return [leaf for item in tree for leaf in _leaves(item)]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_update_matches_engine_optimizer_with_trainer_state(optimizer):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(24, 3))
    Y = (X[:, :1] - X[:, 2:] > 0).astype(float)
    net = Network.from_spec(SPEC, seed=5)
    trainer = Trainer(net, X, Y, optimizer=optimizer, lr=0.05, batch_size=6, seed=1,
                      l1=0.01, l2=0.02, momentum=0.8, backend="numpy")
    trainer.run(5)
    state = optimizer_state_from_trainer(trainer)
    x, y = X[4], Y[4]
    e = explain(net, x, y, optimizer=optimizer, lr=0.05, momentum=0.8, l1=0.01, l2=0.02,
                state=state, dropout_seed=9)
    # the engine's update on the engine's gradient with the same dropout masks
    params = net.params.copy()
    _, flat = net.flat_gradient(x[None, :], y[None, :], training=True, state=random_state(9))
    m1, m2 = trainer._m1.copy(), trainer._m2.copy()
    assert R.update(params, flat, m1, m2, R.regularised_mask(net), CODES[optimizer],
                    trainer._hyper.copy(), int(trainer._counters[K.C_T]) + 1)
    check = Network.from_spec(net.spec)
    check.params[...] = params
    got = [a for pair in e.new_weights for a in pair if a is not None]
    want = _leaves(check.get_weights())
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # every stage of every kind is there
    kinds = {s.kind for s in e.steps}
    assert {"dropout", "dropout_grad", "norm_stats", "norm_unit", "norm_backward", "norm_grad",
            "residual_sum", "residual_split", "projection_grad", "update_gain",
            "update_projection"} <= kinds
    np.testing.assert_array_equal(net.params, trainer.net.params)  # untouched


def test_evaluation_mode_explains_dropout_as_off():
    net = Network.from_spec(SPEC, seed=2)
    x, y = np.array([0.4, -1.0, 0.2]), np.array([1.0])
    e = explain(net, x, y, dropout_seed=None)
    assert not e.training
    (step,) = [s for s in e.steps if s.kind == "dropout"]
    assert "evaluation" in step.title and step.lines[0] == "a = x"
    loss, grads = net.loss_and_gradients(x[None, :], y[None, :])
    assert e.loss == pytest.approx(loss, rel=1e-12)
    got = [a for pair in e.grads for a in pair if a is not None]
    for a, b in zip(got, _leaves(grads)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_dropout_and_residual_text_carry_the_numbers():
    net = Network.from_spec(SPEC, seed=2)
    x, y = np.array([0.4, -1.0, 0.2]), np.array([1.0])
    e = explain(net, x, y, dropout_seed=4)
    values = net.forward_all(x[None, :], training=True, seed=4)
    mask = values[1].extras["mask"][0]
    h = values[1].a[0]
    for s in (s for s in e.steps if s.kind == "dropout"):
        j = s.neuron
        if mask[j] == 0:
            assert s.lines[-1].endswith("= 0") and "dropped" in s.title
        else:
            assert s.lines[-1].endswith(f"= {fmt(h[j])}") and "kept" in s.title
            assert fmt(1 / 0.7) in s.lines[0]
    block = values[2]
    for s in (s for s in e.steps if s.kind == "residual_sum"):
        j = s.neuron
        skip = float(block.extras["skip"][0, j])
        assert s.values["skip"] == pytest.approx(skip, rel=1e-12)
        f = float(block.extras["f"][0, j])
        assert s.lines[-1] == f"a = {paren(skip)} + {paren(f)} = {fmt(block.a[0, j])}"


def paren(v: float) -> str:
    return fmt(v) if v >= 0 else f"({fmt(v)})"


def test_the_updated_weights_load_into_the_network_as_the_update_says():
    net = Network.from_spec(SPEC, seed=2)
    x, y = np.array([0.4, -1.0, 0.2]), np.array([1.0])
    e = explain(net, x, y, optimizer="sgd", lr=0.1, dropout_seed=4)
    _, grads = net.loss_and_gradients(x[None, :], y[None, :], training=True, seed=4)
    after = Network.from_spec(SPEC)
    after.set_weights(e.network_weights())  # grouped like get_weights
    for new, old, g in zip(_leaves(after.get_weights()), _leaves(net.get_weights()),
                           _leaves(grads)):
        np.testing.assert_allclose(new, old - 0.1 * g, rtol=1e-12, atol=1e-15)
