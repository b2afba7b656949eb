"""Layer kinds beyond the contract test: spec limits, dropout and layer-norm behaviour,
residual blocks, runaway weights, early stopping."""

import numpy as np
import pytest

from neuroviz.engine import Network, SpecError, Trainer, normalise_spec
from neuroviz.engine import kernels as K
from neuroviz.engine.network import MAX_LAYERS, MAX_PARAMS


def dense(units, activation="tanh"):
    return {"type": "dense", "units": units, "activation": activation}


def spiral(n=200, seed=0):
    rng = np.random.default_rng(seed)
    i = np.arange(n // 2)
    r = i / (n // 2) * 5.0
    t = 1.75 * i / (n // 2) * 2 * np.pi
    arm = np.column_stack([r * np.sin(t), r * np.cos(t)])
    X = np.concatenate([arm, -arm]) + rng.normal(scale=0.05, size=(n, 2))
    Y = np.concatenate([np.ones(n // 2), np.zeros(n // 2)])[:, None]
    return X, Y


# -- spec limits -----------------------------------------------------------------------------
def test_absurd_sizes_are_rejected_before_anything_is_built():
    huge = {"inputs": 4096, "layers": [dense(4096) for _ in range(100)] + [dense(1)],
            "loss": "mse"}
    with pytest.raises(SpecError, match=rf"layers: at most {MAX_LAYERS} layers"):
        normalise_spec(huge)
    wide = {"inputs": 4096, "layers": [dense(4096), dense(1)], "loss": "mse"}
    with pytest.raises(SpecError, match=r"layers\[0\]: .*more than 1,000,000 parameters"):
        Network.from_spec(wide)
    nested = {"inputs": 2, "layers": [{"type": "residual", "layers": [dense(2)] * 40},
                                      {"type": "residual", "layers": [dense(2)] * 40},
                                      dense(1)], "loss": "mse"}
    with pytest.raises(SpecError, match="counting those inside residual blocks"):
        normalise_spec(nested)
    assert MAX_PARAMS == 1_000_000


def test_deep_networks_within_the_limits_work():
    # 32 hidden layers of 64 units, on 4096 inputs
    spec = {"inputs": 4096, "layers": [dense(64, "relu") for _ in range(32)] + [dense(1)],
            "loss": "mse"}
    net = Network.from_spec(spec)
    assert len(net.layers) == 33 and net.layer_sizes[1] == 64
    X = np.random.default_rng(0).normal(size=(3, 4096))
    assert net.predict(X).shape == (3, 1)


def test_input_shapes_and_shape_errors():
    net = Network.from_spec({"inputs": [4, 4, 1], "layers": [dense(3), dense(1)],
                             "loss": "mse"})
    assert net.input_shape == (4, 4, 1) and net.n_inputs == 16
    assert net.describe()[0]["in_shape"] == (4, 4, 1)
    images = np.random.default_rng(0).normal(size=(5, 4, 4, 1))
    np.testing.assert_array_equal(net.predict(images), net.predict(images.reshape(5, 16)))
    trainer = Trainer(net, images, np.ones((5, 1)), backend="numpy")
    assert trainer.X_train.shape == (5, 16)
    for bad, field in [([4, 0], "inputs"), ([64, 128], "inputs"), ("4", "inputs"),
                       ([1, 2, 3, 4], "inputs")]:
        with pytest.raises(SpecError, match=field):
            normalise_spec({"inputs": bad, "layers": [dense(1)], "loss": "mse"})
    with pytest.raises(SpecError, match=r"layers\[1\]\.type: the last layer is the output"):
        normalise_spec({"inputs": 2, "layers": [dense(3), {"type": "dropout"}], "loss": "mse"})


def test_dense_specs_and_weights_are_unchanged():
    spec = {"inputs": 2, "layers": [dense(8), dense(1, "sigmoid")], "loss": "bce"}
    assert normalise_spec(spec) == {"inputs": 2, "layers": [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}
    net = Network.from_spec(spec, seed=3)
    rng = np.random.default_rng(3)  # the initialisation the dense engine always drew
    limit = np.sqrt(6.0 / 10)
    np.testing.assert_array_equal(net.get_weights()[0][0], rng.uniform(-limit, limit, (2, 8)))


# -- dropout -----------------------------------------------------------------------------------
def test_dropout_drops_only_while_training_and_rescales():
    spec = {"inputs": 50, "layers": [{"type": "dropout", "rate": 0.3}, dense(1, "linear")],
            "loss": "mse"}
    net = Network.from_spec(spec)
    X = np.ones((400, 50))
    ev = net.forward_all(X)[0]
    assert np.array_equal(ev.a, X) and np.all(ev.extras["mask"] == 1.0)
    tr = net.forward_all(X, training=True, seed=1)[0]
    mask = tr.extras["mask"]
    assert set(np.unique(mask)) == {0.0, 1.0 / 0.7}
    assert abs(np.mean(mask == 0.0) - 0.3) < 0.01  # 20000 draws
    assert abs(tr.a.mean() - 1.0) < 0.02  # inverted dropout keeps the mean
    other = net.forward_all(X, training=True, seed=2)[0]
    assert not np.array_equal(mask, other.extras["mask"])


def test_trainer_evaluates_without_dropout():
    X, Y = spiral(60)
    spec = {"inputs": 2, "layers": [dense(8), {"type": "dropout", "rate": 0.5},
                                    dense(1, "sigmoid")], "loss": "bce"}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, X, Y, lr=0.01)
    snap = trainer.run(20)
    p = np.clip(net.predict(X), 1e-300, 1)
    expected = float(np.mean(-(Y * np.log(p) + (1 - Y) * np.log1p(-np.minimum(p, 1 - 1e-16)))))
    assert snap.test_loss == pytest.approx(expected, rel=1e-6)
    assert snap.train_loss == snap.test_loss  # same data, no random masks in evaluation


# -- layer norm and residual blocks ---------------------------------------------------------
def test_layernorm_normalises_each_example():
    net = Network.from_spec({"inputs": 5, "layers": [{"type": "layernorm"}, dense(1)],
                             "loss": "mse"})
    X = np.random.default_rng(0).normal(loc=3.0, scale=4.0, size=(6, 5))
    v = net.forward_all(X)[0]
    np.testing.assert_allclose(v.a.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(v.a.std(axis=1), np.sqrt(X.var(axis=1) / (X.var(axis=1) + 1e-5)))
    np.testing.assert_allclose(v.extras["mean"], X.mean(axis=1))
    assert net.get_weights()[0][0].tolist() == [1.0] * 5  # gain starts at 1


def test_residual_block_adds_its_input_and_projects_when_widths_differ():
    X = np.random.default_rng(0).normal(size=(4, 3))
    same = Network.from_spec({"inputs": 3, "layers": [
        {"type": "residual", "layers": [dense(3)]}, dense(1)], "loss": "mse"})
    v = same.forward_all(X)[0]
    np.testing.assert_allclose(v.a, X + np.tanh(X @ same.layers[0].layers[0].W
                                                + same.layers[0].layers[0].b))
    wider = Network.from_spec({"inputs": 3, "layers": [
        {"type": "residual", "layers": [dense(5)]}, dense(1)], "loss": "mse"})
    (W, b), (P,) = wider.get_weights()[0]
    assert P.shape == (3, 5)
    np.testing.assert_allclose(wider.forward_all(X)[0].a, np.tanh(X @ W + b) + X @ P)
    off = Network.from_spec({"inputs": 3, "layers": [
        {"type": "residual", "skip": False, "layers": [dense(5)]}, dense(1)], "loss": "mse"})
    assert len(off.get_weights()[0]) == 1  # no projection without a skip path
    assert off.describe()[0]["skip"] is False
    assert [c["kind"] for c in off.describe()[0]["children"]] == ["dense"]


def test_deep_residual_tanh_network_learns_the_spiral():
    X, Y = spiral(200)
    block = {"type": "residual", "layers": [dense(16), dense(16)]}
    spec = {"inputs": 2, "layers": [dense(16)] + [block] * 10 + [dense(1, "sigmoid")],
            "loss": "bce"}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, lr=0.003, batch_size=10, seed=0)
    first = trainer.snapshot()
    snap = trainer.run_epochs(60)
    assert snap.train_loss < first.train_loss / 2 and snap.train_metric > 0.8


# -- divergence and early stopping ------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_runaway_weights_stop_training_although_the_loss_stays_finite(backend):
    X, Y = spiral(200)
    spec = {"inputs": 2, "layers": [dense(16, "relu") for _ in range(6)] + [dense(1, "sigmoid")],
            "loss": "bce"}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, optimizer="sgd", lr=10.0, batch_size=10, backend=backend)
    snap = trainer.run(2000)
    assert snap.diverged and snap.step < 2000
    assert np.all(np.abs(net.params) <= K.WEIGHT_LIMIT)
    assert f"epoch {snap.epoch} (step {snap.diverged_step})" in snap.message
    assert "weights" in snap.message


def test_early_stopping_keeps_and_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    Y = np.sin(3 * X[:, :1]) + rng.normal(scale=0.5, size=(30, 1))  # noisy: it overfits
    Xt = rng.normal(size=(200, 2))
    Yt = np.sin(3 * Xt[:, :1])
    spec = {"inputs": 2, "layers": [dense(64), dense(64), dense(1, "linear")], "loss": "mse"}
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, Xt, Yt, lr=0.01, batch_size=5, patience=50)
    losses = {}
    snap = trainer.snapshot()
    while not snap.stopped_early and snap.epoch < 2000:
        snap = trainer.run_epochs(1)
        losses[snap.epoch] = (snap.test_loss, net.params.copy())
    assert snap.stopped_early and "Stopped early" in snap.message
    best_epoch = min(losses, key=lambda e: losses[e][0])
    assert snap.best_epoch == best_epoch == trainer.best_epoch
    assert snap.best_test_loss == losses[best_epoch][0]
    assert snap.epoch - best_epoch == 50
    assert trainer.run(10).step == snap.step  # stopped: nothing more runs
    assert trainer.restore_best()
    assert np.array_equal(net.params, losses[best_epoch][1])
    assert trainer.snapshot().test_loss == snap.best_test_loss


def test_the_driver_holds_only_the_kinds_a_network_uses(tmp_path, monkeypatch):
    from neuroviz.engine import driver as DRV

    net = Network.from_spec({"inputs": 2, "layers": [dense(4), {"type": "dropout"}, dense(1)],
                             "loss": "mse"})
    assert net.kinds == ("dense", "dropout")
    source = DRV.driver_source(net.kinds)
    assert "kinds.dropout import" in source and "kinds.dense import" in source
    assert "residual" not in source and "layernorm" not in source
    monkeypatch.setenv("NEUROVIZ_CACHE_DIR", str(tmp_path))
    assert DRV.cache_dir() == tmp_path / "drivers"
    stale = tmp_path / "drivers" / "driver_dense_dropout_0000000000000000.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("# an older engine's driver\n")
    module = DRV._load(tmp_path / "drivers", "driver_dense_dropout_1111111111111111", source)
    assert hasattr(module, "train_steps") and hasattr(module, "forward_rows")
    assert not stale.exists()


def test_wide_layers_take_the_blas_path_in_the_driver_and_agree_with_the_reference():
    # 16 rows x 64 x 64 is above kernels.BLAS_MIN: the dense ops hand the products to BLAS
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8))
    Y = np.sin(X[:, :2])
    spec = {"inputs": 8, "layers": [dense(64), {"type": "residual", "layers": [
        dense(64), {"type": "layernorm"}]}, {"type": "dropout", "rate": 0.1}, dense(2, "linear")],
        "loss": "mse"}
    assert 16 * 64 * 64 >= K.BLAS_MIN
    params = []
    for backend in ("numba", "numpy"):
        net = Network.from_spec(spec, seed=1)
        Trainer(net, X, Y, batch_size=16, lr=0.01, backend=backend).run(12)
        params.append(net.params.copy())
    np.testing.assert_allclose(params[0], params[1], rtol=1e-6, atol=1e-6)


def test_parameter_counts_from_the_spec_match_what_a_network_allocates():
    from neuroviz.engine.network import layer_param_counts

    spec = {"inputs": 3, "loss": "bce", "layers": [
        {"type": "dense", "units": 5, "activation": "tanh"},
        {"type": "layernorm"},
        {"type": "dropout", "rate": 0.3},
        {"type": "residual", "layers": [{"type": "dense", "units": 4, "activation": "relu"}]},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]}
    counts = layer_param_counts(spec)
    net = Network.from_spec(spec)
    assert sum(counts) == net.param_size
    assert counts == [sum(int(np.prod(s)) for s in layer.param_shapes())
                      for layer in net.layers]
