"""``neuroviz export``: from a saved experiment or a ``neuroviz train --save`` file to an ONNX
model and a PyTorch script that predict what the saved network predicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuroviz import cli
from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer
from neuroviz.experiment import DatasetSettings, Experiment, Hyperparameters, save_experiment

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def predict_onnx(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": X})[0]


def saved_experiment(tmp_path):
    spec = {"inputs": 2, "layers": [{"type": "dense", "units": 6, "activation": "swish"},
                                    {"type": "dense", "units": 3, "activation": "softmax"}],
            "loss": "softmax_ce"}
    ds = load_dataset("spiral3", seed=2)
    net = Network.from_spec(spec, seed=5)
    Trainer(net, ds.X_train, ds.Y_train, backend="numpy", lr=0.02, batch_size=10).run(200)
    experiment = Experiment(DatasetSettings(name="spiral3", data_seed=2), spec,
                            Hyperparameters(learning_rate=0.02, optimizer="momentum",
                                            batch_size=12), seed=5, weights=net.get_weights())
    path = save_experiment(experiment, tmp_path / "spiral.neuroviz.json")
    return path, net, ds


def test_export_an_experiment_as_onnx_and_torch(tmp_path, capsys):
    path, net, ds = saved_experiment(tmp_path)
    code = cli.main(["export", str(path), "--onnx", str(tmp_path / "spiral.onnx"),
                     "--torch", str(tmp_path / "spiral.py")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "spiral.onnx (ONNX, float64)" in out and "spiral_data.npz" in out
    y = predict_onnx(tmp_path / "spiral.onnx", ds.X_test)
    assert np.abs(y - net.predict(ds.X_test)).max() < 1e-5
    script = (tmp_path / "spiral.py").read_text(encoding="utf-8")
    assert "torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)" in script
    assert ".split(12)" in script
    data = np.load(tmp_path / "spiral_data.npz")
    np.testing.assert_array_equal(data["X_train"], ds.X_train)
    np.testing.assert_array_equal(data["Y_test"], ds.Y_test)


def test_export_a_trained_network_file(tmp_path, capsys):
    saved = tmp_path / "net.json"
    assert cli.main(["train", "--dataset", "circle", "--layers", "5", "--activation", "elu",
                     "--epochs", "3", "--quiet", "--save", str(saved)]) == 0
    raw = json.loads(saved.read_text(encoding="utf-8"))
    net = Network.from_spec(raw["spec"])
    net.set_weights([(np.array(w), np.array(b)) for w, b in raw["weights"]])
    code = cli.main(["export", str(saved), "--onnx", str(tmp_path / "circle.onnx"),
                     "--float32", "--torch", str(tmp_path / "circle.py")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "(ONNX, float32)" in captured.out
    X = load_dataset("circle").X_test
    y = predict_onnx(tmp_path / "circle.onnx", X.astype(np.float32))
    assert np.abs(y - net.predict(X)).max() < 1e-4
    assert (tmp_path / "circle_data.npz").exists()  # the dataset named in the file


@pytest.mark.parametrize("content, message", [
    (None, "missing.json: file not found"),
    ("{not json", "broken.json: not valid JSON"),
    (json.dumps({"format": "neuroviz-network", "schema_version": 1, "seed": 0,
                 "spec": {"inputs": 2, "layers": [{"type": "dense", "units": 0}]},
                 "weights": []}), "broken.json: spec.layers[0].units"),
])
def test_bad_input_files_are_named_with_the_field(tmp_path, capsys, content, message):
    name = "missing.json" if content is None else "broken.json"
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    code = cli.main(["export", str(tmp_path / name), "--onnx", str(tmp_path / "out.onnx")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.onnx").exists()


def test_export_needs_a_target(tmp_path, capsys):
    path, _, _ = saved_experiment(tmp_path)
    assert cli.main(["export", str(path)]) == 2
    assert "--onnx OUT.onnx and/or --torch OUT.py" in capsys.readouterr().err


def test_unwritable_target_is_reported(tmp_path, capsys):
    path, _, _ = saved_experiment(tmp_path)
    code = cli.main(["export", str(path), "--onnx", str(tmp_path / "no" / "dir" / "x.onnx")])
    assert code == 2
    assert "cannot write" in capsys.readouterr().err
