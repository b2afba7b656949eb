"""The exported PyTorch script defines the same network: imported and run with PyTorch, it
predicts what Network.predict does (max abs difference below 1e-5; float64 throughout), and
its training loop runs and writes weights neuroviz can load back.

The ``test`` extra installs torch, so these run in CI; they skip only without torch.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from export_cases import CASES, examples, trained

from neuroviz.engine import Network
from neuroviz.export import ExportError, dataset_arrays, export_torch, torch_source

torch = pytest.importorskip("torch")


def import_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", list(CASES))
def test_script_predicts_like_the_network(case, tmp_path):
    net, ds = trained(case)
    X = examples(net, ds)
    expected = net.predict(X.reshape(len(X), -1))
    paths = export_torch(net, tmp_path / "model.py")
    assert [p.name for p in paths] == ["model.py", "model.npz"]
    module = import_script(paths[0])
    model = module.load_model()
    assert not model.training  # evaluation mode: dropout off, as predict
    with torch.no_grad():
        y = model(torch.from_numpy(X)).numpy()
    assert y.dtype == np.float64 and y.shape == expected.shape
    assert np.abs(y - expected).max() < 1e-5
    # every weight of the network is in the file, none twice
    n_saved = sum(np.load(paths[1])[k].size for k in np.load(paths[1]).files)
    assert n_saved == net.param_size


def test_script_is_short_and_readable():
    net, _ = trained("residual-projection", steps=1)
    text, weights = torch_source(net)
    compile(text, "model.py", "exec")
    assert len(text.splitlines()) < 120
    assert "class Residual(nn.Module)" in text and "nn.LayerNorm(6, eps=1e-05)" in text
    assert "# layers[0].layers[1]: layernorm" in text
    assert set(weights) == {"layers.0.inner.0.weight", "layers.0.inner.0.bias",
                            "layers.0.inner.2.weight", "layers.0.inner.2.bias",
                            "layers.0.projection.weight", "layers.1.weight", "layers.1.bias"}
    np.testing.assert_array_equal(weights["layers.0.projection.weight"], net.layers[0].P.T)


def test_training_loop_continues_and_its_weights_come_back(tmp_path):
    """python model.py 30 trains on the exported data; the weights it saves, put back into
    a neuroviz network, predict what the trained PyTorch model does, and the loss fell."""
    name, spec = CASES["dense-tanh"]
    from neuroviz.data import load_dataset

    ds = load_dataset(name, seed=1)
    net = Network.from_spec(spec, seed=3)  # untrained: the loop has work to do
    paths = export_torch(net, tmp_path / "spiral_net.py", dataset_arrays(ds),
                         {"optimizer": "adam", "learning_rate": 0.02, "batch_size": 16})
    assert [p.name for p in paths] == ["spiral_net.py", "spiral_net.npz",
                                       "spiral_net_data.npz"]
    before = net.loss_value(ds.X_train, ds.Y_train)
    run = subprocess.run([sys.executable, str(paths[0]), "30"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 30 and lines[-1].startswith("epoch 30: training loss ")
    saved = np.load(tmp_path / "spiral_net_trained.npz")
    back = Network.from_spec(spec)
    back.set_weights([(saved[f"layers.{k}.weight"].T, saved[f"layers.{k}.bias"])
                      for k in (0, 2, 4)])
    after = back.loss_value(ds.X_train, ds.Y_train)
    assert after < 0.8 * before
    model = import_script(paths[0]).load_model("spiral_net_trained.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(ds.X_test)).numpy()
    assert np.abs(y - back.predict(ds.X_test)).max() < 1e-5


def test_script_without_data_says_what_is_missing(tmp_path):
    net, _ = trained("dense-relu", steps=1)
    paths = export_torch(net, tmp_path / "model.py")
    run = subprocess.run([sys.executable, str(paths[0]), "1"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=600)
    assert run.returncode != 0
    assert "model_data.npz is missing" in run.stderr


def test_script_name_must_be_a_module_name(tmp_path):
    net, _ = trained("dense-relu", steps=1)
    with pytest.raises(ExportError, match="my-model.py: the script's name"):
        export_torch(net, tmp_path / "my-model.py")
    assert list(tmp_path.iterdir()) == []
