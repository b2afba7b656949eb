"""File › Export › Network as ONNX Model… / PyTorch Script…: the network the window shows,
with its current weights, leaves as a model that predicts what the engine predicts."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.app.classroom import exporter as exporter_module
from neuroviz.data import load_dataset
from neuroviz.engine import Network
from neuroviz.experiment import DatasetSettings, Experiment

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

SPEC = {"inputs": 2, "layers": [{"type": "dense", "units": 5, "activation": "gelu"},
                                {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "loss": "bce"}


def test_export_menu_writes_the_networks_onnx_and_script(window, qtbot, tmp_path,
                                                          monkeypatch, wait_snapshot_fits):
    rng = np.random.default_rng(1)
    reference = Network.from_spec(SPEC)
    weights = [(rng.normal(size=W.shape), rng.normal(size=b.shape))
               for W, b in reference.get_weights()]
    reference.set_weights(weights)
    window.apply_experiment(Experiment(DatasetSettings(name="moons"), SPEC, seed=3,
                                       weights=weights))
    wait_snapshot_fits(window)
    X = load_dataset("moons").X_test
    expected = reference.predict(X)

    chosen = iter([str(tmp_path / "moons.onnx"), str(tmp_path / "moons_model.py")])
    monkeypatch.setattr(exporter_module.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (next(chosen), ""))
    menu_names = [a.objectName() for a in window.exporter.menu.actions()]
    assert {"action_export_onnx", "action_export_torch"} <= set(menu_names)
    window.findChild(type(window.exporter.menu.actions()[0]), "action_export_onnx").trigger()
    qtbot.waitUntil(lambda: "moons.onnx" in window.statusBar().currentMessage(), timeout=60_000)
    session = ort.InferenceSession(str(tmp_path / "moons.onnx"),
                                   providers=["CPUExecutionProvider"])
    assert np.abs(session.run(["y"], {"x": X})[0] - expected).max() < 1e-5

    window.findChild(type(window.exporter.menu.actions()[0]), "action_export_torch").trigger()
    qtbot.waitUntil(lambda: "moons_model.py" in window.statusBar().currentMessage(),
                    timeout=60_000)
    assert (tmp_path / "moons_model_data.npz").exists()
    saved = np.load(tmp_path / "moons_model.npz")
    np.testing.assert_array_equal(saved["layers.0.weight"], weights[0][0].T)
    text = (tmp_path / "moons_model.py").read_text(encoding="utf-8")
    assert "nn.GELU()" in text


def test_export_problem_is_shown_and_nothing_written(window, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(exporter_module.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(folder / "bad-name.py"), ""))
    window.exporter.export_network_dialog("torch")
    box = window.findChild(exporter_module.QMessageBox, "export_message")
    assert box is not None and "bad-name.py: the script's name" in box.text()
    box.close()
    assert list(folder.iterdir()) == []
