"""The exported ONNX model, run in ONNX Runtime, predicts what Network.predict does.

float64 models (the default) must agree to 1e-5 on every example of the dataset (they agree
to about 1e-15); float32 models to 1e-4. The ``test`` extra installs onnx and onnxruntime,
so these run in CI; they skip only where those packages are not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from export_cases import CASES, examples, trained

from neuroviz.engine import Network
from neuroviz.export import ExportError, export_onnx, onnx_model

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def run_model(model, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": X})[0]


@pytest.mark.parametrize("case", list(CASES))
def test_onnx_predicts_like_the_network(case, tmp_path):
    net, ds = trained(case)
    X = examples(net, ds)
    expected = net.predict(X.reshape(len(X), -1))
    path = export_onnx(net, tmp_path / "net")  # .onnx is added
    assert path.name == "net.onnx"
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    y = run_model(model, X)
    assert y.dtype == np.float64 and y.shape == expected.shape
    assert np.abs(y - expected).max() < 1e-5
    y32 = run_model(onnx_model(net, "float32"), X.astype(np.float32))
    assert y32.dtype == np.float32
    assert np.abs(y32 - expected).max() < 1e-4


def test_gelu_erf_series_is_exact_far_out():
    """GELU's erf (a series in float64) agrees with math.erf over the whole line, where
    a trained network rarely goes: big and tiny pre-activations, both signs."""
    import math

    net = Network.from_spec({"inputs": 1, "layers": [{"type": "dense", "units": 1,
                                                      "activation": "gelu"}], "loss": "mse"})
    net.set_weights([(np.ones((1, 1)), np.zeros(1))])
    z = np.concatenate([np.linspace(-12, 12, 4001), [-1e-9, 0.0, 1e-9, 30.0, -30.0]])
    y = run_model(onnx_model(net), z[:, None])[:, 0]
    reference = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z])
    assert np.abs(y - reference).max() < 1e-13


def test_names_and_metadata_say_where_each_part_comes_from():
    net, _ = trained("residual-projection", steps=1)
    model = onnx_model(net)
    names = {t.name for t in model.graph.initializer}
    assert {"layers[0].layers[0].W", "layers[0].layers[0].b", "layers[0].layers[1].gain",
            "layers[0].P", "layers[1].W"} <= names
    ops = [n.op_type for n in model.graph.node]
    assert {"Gemm", "LayerNormalization", "Dropout", "MatMul", "Add", "Softmax"} <= set(ops)
    props = {p.key: p.value for p in model.metadata_props}
    assert Network.from_spec(__import__("json").loads(props["neuroviz_spec"])).spec == net.spec
    assert props["loss"] == "softmax_ce"


def test_a_kind_that_cannot_export_is_refused_by_name(monkeypatch):
    from neuroviz.engine.kinds.layernorm import LayerNorm

    monkeypatch.setattr(LayerNorm, "no_export", "no ONNX operator for it yet")
    net, _ = trained("layernorm", steps=1)
    with pytest.raises(ExportError, match=r"layers\[1\]: a layernorm layer cannot be "
                                          r"exported: no ONNX operator"):
        onnx_model(net)


def test_a_kind_without_hooks_is_refused_by_name(monkeypatch):
    from neuroviz.engine.kinds.base import Layer
    from neuroviz.engine.kinds.layernorm import LayerNorm
    from neuroviz.export import torch_source

    monkeypatch.setattr(LayerNorm, "export_onnx", Layer.export_onnx)
    monkeypatch.setattr(LayerNorm, "export_torch", Layer.export_torch)
    net, _ = trained("layernorm", steps=1)
    with pytest.raises(ExportError, match=r"layers\[1\]: layernorm: no ONNX export"):
        onnx_model(net)
    with pytest.raises(ExportError, match=r"layers\[1\]: layernorm: no PyTorch export"):
        torch_source(net)
