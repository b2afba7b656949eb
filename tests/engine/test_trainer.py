"""Trainer behaviour: determinism, live hyperparameters, divergence, snapshots."""

import json
import warnings

import numpy as np
import pytest

from neuroviz.engine import Network, SpecError, Trainer

SPEC = {"inputs": 2,
        "layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                   {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "loss": "bce"}


def xor_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    Y = ((X[:, 0] * X[:, 1]) > 0).astype(float)[:, None]
    return X, Y


def test_public_api_minimal_form():
    net = Network.from_spec(SPEC, seed=0)
    weights = net.get_weights()
    assert [(W.shape, b.shape) for W, b in weights] == [((2, 8), (8,)), ((8, 1), (1,))]
    assert all(W.dtype == np.float64 for W, _ in weights)
    X, Y = xor_data(10)
    assert net.predict(X).shape == (10, 1)
    loss, grads = net.loss_and_gradients(X, Y)
    assert isinstance(loss, float)
    assert [(g.shape, h.shape) for g, h in grads] == [((2, 8), (8,)), ((8, 1), (1,))]
    json.dumps(net.spec)
    weights[0][0][0, 0] = 99.0  # a copy: the network does not change
    assert net.get_weights()[0][0][0, 0] != 99.0
    net.set_weights(weights)
    assert net.get_weights()[0][0][0, 0] == 99.0


def test_same_spec_seed_and_data_give_identical_weights():
    X, Y = xor_data()
    runs = []
    for _ in range(2):
        net = Network.from_spec(SPEC, seed=7)
        Trainer(net, X, Y, optimizer="adam", lr=0.02, batch_size=10, seed=3).run(500)
        runs.append(net.params.copy())
    assert np.array_equal(runs[0], runs[1])
    other = Network.from_spec(SPEC, seed=7)
    Trainer(other, X, Y, optimizer="adam", lr=0.02, batch_size=10, seed=4).run(500)
    assert not np.array_equal(runs[0], other.params)


def test_training_learns_xor_and_counts_steps_and_epochs():
    X, Y = xor_data()
    net = Network.from_spec(SPEC, seed=0)
    trainer = Trainer(net, X[:150], Y[:150], X[150:], Y[150:], lr=0.03, batch_size=10)
    first = trainer.snapshot()
    snap = trainer.run(3000)
    assert snap.step == 3000 and snap.epoch == 200  # 150 rows / 10 = 15 steps an epoch
    assert snap.train_loss < first.train_loss / 3
    assert snap.test_metric >= 0.9
    assert snap.metric_name == "accuracy"


def test_hyperparameters_change_without_resetting_weights():
    X, Y = xor_data()
    net = Network.from_spec(SPEC, seed=0)
    trainer = Trainer(net, X, Y, lr=0.01)
    trainer.run(50)
    before = net.params.copy()
    trainer.lr = 0.1
    trainer.l2 = 0.01
    trainer.batch_size = 25
    trainer.optimizer = "sgd"
    assert np.array_equal(net.params, before)
    snap = trainer.run(10)
    assert snap.lr == 0.1 and snap.optimizer == "sgd" and snap.batch_size == 25
    assert snap.step == 60


def test_l2_shrinks_weights_compared_with_none():
    X, Y = xor_data()
    norms = []
    for l2 in (0.0, 0.05):
        net = Network.from_spec(SPEC, seed=0)
        Trainer(net, X, Y, optimizer="sgd", lr=0.1, l2=l2).run(2000)
        norms.append(sum(float(np.sum(W ** 2)) for W, _ in net.get_weights()))
    assert norms[1] < norms[0]


def test_divergence_stops_at_the_step_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)) * 10
    Y = X @ np.array([[3.0], [-2.0]]) * 100
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 4, "activation": "relu"},
                                    {"type": "dense", "units": 1, "activation": "linear"}],
            "loss": "mse"}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, optimizer="sgd", lr=50.0, batch_size=5)
    snap = trainer.run(10_000)
    assert snap.diverged and trainer.diverged
    assert snap.diverged_step is not None and snap.diverged_step == snap.step + 1
    assert snap.step < 10_000
    assert "try a smaller learning rate" in snap.message
    assert np.all(np.isfinite(net.params))
    assert all(np.all(np.isfinite(W)) for W, _ in snap.weights)
    again = trainer.run(100)  # nothing happens while diverged
    assert again.step == snap.step
    trainer.lr = 1e-6  # a change clears the divergence (the weights stay as they were)
    assert not trainer.diverged
    assert np.array_equal(trainer.snapshot().weights[0][0], snap.weights[0][0])


def test_numpy_backend_diverges_at_the_same_step():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)) * 10
    Y = X[:, :1] * 1000
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 1, "activation": "linear"}],
            "loss": "mse"}
    steps = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=0)
        snap = Trainer(net, X, Y, optimizer="sgd", lr=10.0, batch_size=4,
                       backend=backend).run(5000)
        assert snap.diverged
        steps.append(snap.diverged_step)
    assert steps[0] == steps[1]


def test_snapshot_is_immutable_and_does_not_alias():
    X, Y = xor_data()
    net = Network.from_spec(SPEC, seed=0)
    trainer = Trainer(net, X, Y)
    snap = trainer.run(5, gradients=True)
    W = snap.weights[0][0]
    copy = W.copy()
    with pytest.raises(ValueError):
        W[0, 0] = 5.0
    with pytest.raises(AttributeError):
        snap.step = 3
    trainer.run(100)
    assert np.array_equal(W, copy)
    assert not np.shares_memory(W, net.params)
    assert snap.gradients[0][0].shape == (2, 8)


def test_run_epochs_completes_whole_passes_and_batch_clipping():
    X, Y = xor_data(95)
    trainer = Trainer(Network.from_spec(SPEC), X, Y, batch_size=10)
    assert trainer.steps_per_epoch == 10
    trainer.run(3)
    snap = trainer.run_epochs(1)
    assert snap.epoch == 1 and snap.epoch_progress == 1.0
    snap = trainer.run_epochs(2)
    assert snap.epoch == 3 and snap.step == 30
    trainer.batch_size = 1000  # larger than the set: full batch
    assert trainer.batch_size == 95 and trainer.steps_per_epoch == 1


def test_zero_hidden_layers_is_logistic_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    Y = (X[:, 0] + 2 * X[:, 1] > 0).astype(float)[:, None]
    net = Network.from_spec({"inputs": 2, "layers": [
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"})
    snap = Trainer(net, X, Y, lr=0.05).run(2000)
    assert snap.train_metric > 0.97
    (W, _), = net.get_weights()
    assert W[1, 0] / W[0, 0] == pytest.approx(2.0, rel=0.25)


def test_regression_reports_r2_and_rmse():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 1))
    Y = 0.8 * X - 0.1
    net = Network.from_spec({"inputs": 1, "layers": [
        {"type": "dense", "units": 1, "activation": "linear"}], "loss": "mse"})
    snap = Trainer(net, X, Y, lr=0.05).run(2000)
    assert snap.metric_name == "r2" and snap.train_metric > 0.999
    assert snap.train_rmse == pytest.approx(np.sqrt(snap.train_loss))


@pytest.mark.parametrize("spec,field", [
    ({"inputs": 0, "layers": [{"units": 1}]}, "inputs"),
    ({"inputs": 2, "layers": []}, "layers"),
    ({"inputs": 2, "layers": [{"units": 1, "activation": "foo"}]}, "layers[0].activation"),
    ({"inputs": 2, "layers": [{"units": 3, "activation": "softmax"},
                              {"units": 2, "activation": "softmax"}],
      "loss": "softmax_ce"}, "layers[0].activation"),
    ({"inputs": 2, "layers": [{"units": 1, "activation": "tanh"}], "loss": "bce"},
     "layers[0].activation"),
    ({"inputs": 2, "layers": [{"units": "8"}]}, "layers[0].units"),
    ({"inputs": 2, "layers": [{"type": "conv9", "units": 1}]}, "layers[0].type"),
    ({"inputs": 2, "layers": [{"units": 1}], "loss": "hinge"}, "loss"),
])
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(SpecError) as info:
        Network.from_spec(spec)
    assert str(info.value).startswith(field)


@pytest.mark.parametrize("kwargs,word", [
    ({"lr": float("nan")}, "learning rate"), ({"lr": -1}, "learning rate"),
    ({"batch_size": 0}, "batch size"), ({"optimizer": "lbfgs"}, "optimizer"),
    ({"l2": float("inf")}, "L2"), ({"momentum": 1.5}, "momentum")])
def test_absurd_settings_are_refused_clearly(kwargs, word):
    X, Y = xor_data(20)
    with pytest.raises(ValueError, match=word):
        Trainer(Network.from_spec(SPEC), X, Y, **kwargs)


def test_bad_data_is_refused_with_the_row():
    X, Y = xor_data(20)
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        Trainer(Network.from_spec(SPEC), X, Y)
    with pytest.raises(ValueError, match="shape"):
        Trainer(Network.from_spec(SPEC), X[:, :1], Y)


def test_set_weights_rejects_wrong_shapes_and_nan():
    net = Network.from_spec(SPEC)
    weights = net.get_weights()
    bad = [(weights[0][0][:1], weights[0][1]), weights[1]]
    with pytest.raises(ValueError, match="layer 0"):
        net.set_weights(bad)
    nan = [(weights[0][0] * np.nan, weights[0][1]), weights[1]]
    with pytest.raises(ValueError, match="finite"):
        net.set_weights(nan)
    assert np.all(np.isfinite(net.params))


def test_initialisers():
    spec = {"inputs": 3, "layers": [{"units": 4, "activation": "relu"},
                                    {"units": 2, "activation": "linear", "init": "zeros"}],
            "loss": "mse", "init": "uniform"}
    net = Network.from_spec(spec, seed=0)
    (W1, b1), (W2, b2) = net.get_weights()
    assert np.all(np.abs(W1) <= 0.5) and np.all(W2 == 0) and np.all(b1 == 0)
    he = Network.from_spec({"inputs": 400, "layers": [{"units": 300, "activation": "relu"}],
                            "loss": "mse"}, seed=0).get_weights()[0][0]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    glorot = Network.from_spec({"inputs": 400, "layers": [{"units": 300, "activation": "tanh"}],
                                "loss": "mse"}, seed=0).get_weights()[0][0]
    assert np.abs(glorot).max() <= np.sqrt(6 / 700)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_grid_of_huge_activations_stays_finite_without_warnings(backend):
    # Weights that are finite but push the output past float32's range (as just before
    # a divergence): the heatmap grid is clipped to finite float32, with no warning.
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 2, "activation": "linear"}],
            "loss": "mse"}
    net = Network.from_spec(spec, seed=0)
    net.set_weights([(np.array([[1e300, -1e300], [0.0, 0.0]]), np.array([0.0, 1.0]))])
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5]])
    trainer = Trainer(net, X, np.zeros((3, 2)), backend=backend)
    trainer.set_grid(X, (1, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = trainer.grid_activations()
    (layer,) = grid
    assert layer.dtype == np.float32 and np.all(np.isfinite(layer))
    f32max = np.finfo(np.float32).max
    np.testing.assert_array_equal(layer[0, 0], [f32max, -f32max, 0.0])
    np.testing.assert_array_equal(layer[1, 0], [-f32max, f32max, 1.0])


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_grid_hidden_step_thins_hidden_layers_and_keeps_the_output_and_chosen_layers(backend):
    # A 12 x 12 grid with hidden_step 3: hidden layers come at the 4 x 4 points of every
    # third row and column, the output layer (and a layer asked for) at all 144 points;
    # the values are the NumPy forward pass at those points.
    spec = {"inputs": 2, "loss": "bce",
            "layers": [{"type": "dense", "units": 3, "activation": "tanh"},
                       {"type": "dense", "units": 2, "activation": "relu"},
                       {"type": "dense", "units": 1, "activation": "sigmoid"}]}
    net = Network.from_spec(spec, seed=3)
    X, Y = xor_data(40)
    trainer = Trainer(net, X, Y, backend=backend)
    xs = np.linspace(-1.5, 1.5, 12)
    gx, gy = np.meshgrid(xs, xs)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    trainer.set_grid(points, (12, 12), hidden_step=3)
    reference = [a for _, a in Network.from_spec(spec, seed=3).forward_all(points)]
    full = [a.T.reshape(a.shape[1], 12, 12) for a in reference]
    grid = trainer.grid_activations()
    assert [g.shape for g in grid] == [(3, 4, 4), (2, 4, 4), (1, 12, 12)]
    for g, f in zip(grid[:2], full[:2]):
        assert g.flags.c_contiguous
        np.testing.assert_allclose(g, f[:, ::3, ::3], atol=1e-5)
    np.testing.assert_allclose(grid[2], full[2], atol=1e-5)
    trainer.set_grid_full_layers([1])
    grid = trainer.grid_activations()
    assert [g.shape for g in grid] == [(3, 4, 4), (2, 12, 12), (1, 12, 12)]
    np.testing.assert_allclose(grid[1], full[1], atol=1e-5)
    trainer.set_grid_full_layers(())
    assert trainer.grid_activations()[1].shape == (2, 4, 4)
    with pytest.raises(ValueError, match="hidden_step"):
        trainer.set_grid(points, (12, 12), hidden_step=0)
