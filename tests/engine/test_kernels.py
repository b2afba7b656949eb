"""The compiled kernels against the NumPy reference implementation."""

import math

import numpy as np
import pytest

from neuroviz.engine import ACTIVATIONS, OPTIMIZERS, Network, Trainer
from neuroviz.engine import kernels as K
from neuroviz.engine import reference as R


def make_problem(loss, n=60, n_in=3, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "softmax_ce":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    elif loss == "bce":
        Y = (X[:, :1] * X[:, 1:2] > 0).astype(float)
    else:
        Y = np.sin(X[:, :n_out])
    return X, Y


def spec_for(loss, hidden_act="relu", n_in=3, n_out=1):
    out = {"mse": "linear", "bce": "sigmoid", "softmax_ce": "softmax"}[loss]
    return {"inputs": n_in,
            "layers": [{"type": "dense", "units": 7, "activation": hidden_act},
                       {"type": "dense", "units": 5, "activation": hidden_act},
                       {"type": "dense", "units": n_out, "activation": out}],
            "loss": loss}


def train_both(spec, X, Y, steps, **kw):
    results = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=4)
        trainer = Trainer(net, X, Y, backend=backend, **kw)
        snap = trainer.run(steps, gradients=True)
        results.append((net, trainer, snap))
    return results


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss,n_out", [("mse", 2), ("bce", 1), ("softmax_ce", 3)])
def test_kernel_matches_reference_for_every_optimizer(optimizer, loss, n_out):
    X, Y = make_problem(loss, n_out=n_out)
    spec = spec_for(loss, "relu", n_out=n_out)
    (n1, t1, s1), (n2, t2, s2) = train_both(spec, X, Y, 37, optimizer=optimizer, lr=0.01,
                                            batch_size=8, l1=1e-3, l2=1e-2)
    assert t1.step == t2.step == 37 and t1.epoch == t2.epoch
    # The kernel's sigmoid uses the fast tanh (|error| ~1e-7); everything else is exact.
    rtol, atol = (1e-5, 1e-7) if loss == "bce" else (1e-9, 1e-11)
    np.testing.assert_allclose(n1.params, n2.params, rtol=rtol, atol=atol)
    for (g1W, g1b), (g2W, g2b) in zip(s1.gradients, s2.gradients):
        np.testing.assert_allclose(g1W, g2W, rtol=rtol * 10, atol=atol)
        np.testing.assert_allclose(g1b, g2b, rtol=rtol * 10, atol=atol)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_kernel_matches_reference_for_every_activation(activation):
    X, Y = make_problem("mse", n_out=1)
    spec = spec_for("mse", activation)
    (n1, _, _), (n2, _, _) = train_both(spec, X, Y, 20, optimizer="sgd", lr=0.05, batch_size=5)
    # tanh/sigmoid/swish/softplus use the fast tanh approximation in the kernel.
    np.testing.assert_allclose(n1.params, n2.params, rtol=1e-5, atol=1e-6)


def test_fast_tanh_error_is_tiny():
    x = np.linspace(-12, 12, 200001)
    approx = np.array([K.fast_tanh(v) for v in x[::50]])
    assert np.max(np.abs(approx - np.tanh(x[::50]))) < 5e-7
    assert abs(K.fast_tanh(20.0) - 1.0) < 5e-7 and abs(K.fast_tanh(-20.0) + 1.0) < 5e-7


def test_grid_kernel_matches_numpy_forward():
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 8, "activation": a}
                                    for a in ("tanh", "relu", "gelu", "sine", "gaussian", "elu")]
            + [{"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}
    net = Network.from_spec(spec, seed=1)
    X, Y = make_problem("bce", n_in=2)
    trainer = Trainer(net, X, Y)
    xs = np.linspace(-2, 2, 30)
    pts = np.array([(a, b) for b in xs for a in xs])
    trainer.set_grid(pts, (30, 30))
    grid = trainer.snapshot(grid=True).grid
    reference = net.forward_all(pts)
    assert len(grid) == len(reference)
    for g, (_, a) in zip(grid, reference):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, a.T.reshape(g.shape), atol=2e-6)


def test_shuffle_twins_give_the_same_permutation():
    p1 = np.arange(50, dtype=np.int64)
    p2 = p1.copy()
    s1 = np.array([123], dtype=np.uint64)
    s2 = s1.copy()
    K.shuffle(p1, s1)
    R.shuffle(p2, s2)
    assert not np.array_equal(p1, np.arange(50))
    np.testing.assert_array_equal(p1, p2)
    assert sorted(p1) == list(range(50))


def test_wide_layers_use_blas_and_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 64))
    Y = np.eye(10)[rng.integers(0, 10, size=200)]
    spec = {"inputs": 64, "layers": [{"type": "dense", "units": 128, "activation": "relu"},
                                     {"type": "dense", "units": 64, "activation": "relu"},
                                     {"type": "dense", "units": 10, "activation": "softmax"}],
            "loss": "softmax_ce"}
    assert 64 * 64 * 128 >= K.BLAS_MIN
    (n1, _, s1), (n2, _, s2) = train_both(spec, X, Y, 10, optimizer="adam", lr=0.001,
                                          batch_size=64)
    np.testing.assert_allclose(n1.params, n2.params, rtol=1e-8, atol=1e-10)
    assert math.isclose(s1.train_loss, s2.train_loss, rel_tol=1e-8)


@pytest.mark.parametrize("loss,n_out,act", [("mse", 2, "relu"), ("bce", 1, "tanh"),
                                            ("mse", 1, "gelu"), ("softmax_ce", 4, "sine")])
def test_evaluate_kernel_matches_exact_metrics(loss, n_out, act):
    from neuroviz.engine import losses, metrics

    X, Y = make_problem(loss, n=300, n_out=n_out, seed=2)
    net = Network.from_spec(spec_for(loss, act, n_out=n_out), seed=1)
    trainer = Trainer(net, X, Y, lr=0.01)
    trainer.run(50)
    z, a = net.forward_all(X)[-1]
    got_loss, got_acc, got_r2, got_rmse = K.evaluate(
        net.params, trainer._sizes, trainer._woff, trainer._boff, trainer._acts,
        trainer._loss_code, trainer.X_train, trainer.Y_train, 64)
    assert got_loss == pytest.approx(losses.loss_value(loss, z, a, Y), rel=1e-6)
    assert got_acc == pytest.approx(metrics.accuracy(a, Y, loss), abs=1 / len(X))
    assert got_r2 == pytest.approx(metrics.r2(a, Y), rel=1e-6, abs=1e-9)
    assert got_rmse == pytest.approx(metrics.rmse(a, Y), rel=1e-6)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_an_update_that_overflows_restores_the_step_before(optimizer):
    # Weights near the float64 limit: the batch loss is still finite, but the update
    # itself overflows. Both backends must report status 2 at the same step and give
    # back the parameters of the step before, bit for bit.
    spec = {"inputs": 1, "layers": [{"type": "dense", "units": 1, "activation": "linear"}],
            "loss": "mse"}
    X = np.array([[1e-160], [2e-160], [3e-160]])
    Y = np.array([[1.0], [0.5], [2.0]])
    results = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=0)
        net.set_weights([(np.array([[-1.7e308]]), np.array([1e150]))])
        trainer = Trainer(net, X, Y, optimizer=optimizer, lr=1.0, batch_size=1,
                          backend=backend)
        trainer._hyper[K.H_LR] = 1e307  # beyond what the setter allows, on purpose
        before = net.params.copy()
        assert np.isfinite(trainer.snapshot().train_loss)  # the loss itself is finite
        snap = trainer.run(50)
        assert snap.diverged and snap.diverged_step == 1 and snap.step == 0
        np.testing.assert_array_equal(net.params, before)
        results.append((snap.diverged_step, net.params.copy(), before))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_train_steps_refuses_scratch_space_that_is_too_small():
    X, Y = make_problem("mse", n_out=1)
    net = Network.from_spec(spec_for("mse"), seed=0)
    trainer = Trainer(net, X, Y, batch_size=8)
    args = (net.params, trainer._sizes, trainer._woff, trainer._boff, trainer._acts,
            trainer._loss_code, K.OPT_SGD, trainer._hyper, trainer._m1, trainer._m2,
            trainer._grads, trainer.X_train, trainer.Y_train, trainer._perm,
            trainer._counters, trainer._rng, 5, 8)
    needed = K.work_size(trainer._sizes, 8, len(X))
    before = net.params.copy()
    with pytest.raises(ValueError, match="scratch space"):
        K.train_steps(*args, np.empty(needed - 1))
    np.testing.assert_array_equal(net.params, before)
    status, done, _ = K.train_steps(*args, np.empty(needed))
    assert status == 0 and done == 5
    assert not np.array_equal(net.params, before)
