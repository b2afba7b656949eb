"""ONNX export: the network as an ONNX graph any ONNX runtime can run.

The graph takes ``x`` of shape ``(batch, *input_shape)`` and gives ``y``, the network's
predictions (after the output activation, as :meth:`Network.predict`). Each layer kind adds
its own nodes through :meth:`Layer.export_onnx` and the :class:`OnnxGraph` builder below.

Precision: by default every tensor is float64, the engine's own precision, so the model
computes the very numbers ``Network.predict`` does (to about 1e-15). ``dtype="float32"``
gives a model half the size that every runtime and accelerator takes, agreeing to about
1e-6. Activations that ONNX Runtime has no float64 kernel for are written with primitive
operators (leaky ReLU, ELU, softplus, and the error function of GELU as a series), so the
float64 model runs in ONNX Runtime as it is.

The ``onnx`` package is imported only when a model is built (extra ``neuroviz[export]``).
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.export.errors import ExportError
from neuroviz.export.files import write_atomic

#: The ONNX operator set the models use (17: LayerNormalization) and the matching IR version.
OPSET = 17
IR_VERSION = 8
DTYPES = ("float64", "float32")
#: Terms of the series for erf in float64 (error below 2e-15 for every x, see _erf).
ERF_TERMS = 100


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError("ONNX export needs the onnx package: pip install 'neuroviz[export]' "
                          "(or pip install onnx)") from None
    return onnx


class OnnxGraph:
    """Collects the nodes and weights of one ONNX graph while layers add themselves.

    ``weight(name, array)`` stores a parameter and returns its tensor name;
    ``node(op, inputs, **attributes)`` adds a node and returns its output's name;
    ``activation(name, z)`` adds the nodes of an engine activation. Names carry the layer's
    place in the spec (``layers[2].W``), so a graph viewer shows where each node comes from.
    """

    def __init__(self, dtype: str = "float64") -> None:
        if dtype not in DTYPES:
            raise ExportError(f"dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
        self.onnx = _onnx()
        self.dtype = dtype
        self.np_dtype = np.float64 if dtype == "float64" else np.float32
        self.elem_type = (self.onnx.TensorProto.DOUBLE if dtype == "float64"
                          else self.onnx.TensorProto.FLOAT)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.scope_names: list[str] = []
        self._count = 0

    # -- naming -------------------------------------------------------------------------------
    @contextmanager
    def scope(self, name: str):
        """Names made inside start with ``name`` (a layer's place, e.g. ``layers[3]``)."""
        self.scope_names.append(name)
        try:
            yield
        finally:
            self.scope_names.pop()

    def name(self, base: str) -> str:
        self._count += 1
        prefix = ".".join(self.scope_names)
        return f"{prefix}.{base}_{self._count}" if prefix else f"{base}_{self._count}"

    # -- building -----------------------------------------------------------------------------
    def weight(self, name: str, array: np.ndarray) -> str:
        """Store a parameter array (converted to the model's dtype); returns its tensor name."""
        prefix = ".".join(self.scope_names)
        full = f"{prefix}.{name}" if prefix else name
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.ascontiguousarray(array, dtype=self.np_dtype), full))
        return full

    def constant(self, value: Any, dtype: Any = None) -> str:
        """A constant tensor (a number or an array), in the model's dtype unless given."""
        array = np.asarray(value, dtype=dtype or self.np_dtype)
        name = self.name("const")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        """Add one node; returns the name of its (single) output."""
        out = self.name(op)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out

    def activation(self, name: str, z: str) -> str:
        """The nodes of the engine activation ``name`` applied to ``z`` (see activations.py)."""
        if name == "linear":
            return z
        if name == "relu":
            return self.node("Relu", [z])
        if name == "tanh":
            return self.node("Tanh", [z])
        if name == "sigmoid":
            return self.node("Sigmoid", [z])
        if name == "sine":
            return self.node("Sin", [z])
        if name == "softmax":
            return self.node("Softmax", [z], axis=-1)
        if name == "leaky_relu":  # max(0.01·z, z)
            return self.node("Max", [z, self.node("Mul", [z, self.constant(act.LEAKY_SLOPE)])])
        if name == "elu":  # z if z > 0 else exp(min(z, 0)) − 1
            neg = self.node("Sub", [self.node("Exp", [self.node("Min", [z, self.constant(0.0)])]),
                                    self.constant(1.0)])
            return self.node("Where", [self.node("Greater", [z, self.constant(0.0)]), z, neg])
        if name == "softplus":  # ln(1 + e^z) = max(z, 0) + ln(1 + e^−|z|), never overflows
            tail = self.node("Log", [self.node("Add", [self.constant(1.0), self.node(
                "Exp", [self.node("Neg", [self.node("Abs", [z])])])])])
            return self.node("Add", [self.node("Max", [z, self.constant(0.0)]), tail])
        if name == "swish":  # z · sigmoid(z)
            return self.node("Mul", [z, self.node("Sigmoid", [z])])
        if name == "gaussian":  # exp(−z²)
            return self.node("Exp", [self.node("Neg", [self.node("Mul", [z, z])])])
        if name == "gelu":  # 0.5 · z · (1 + erf(z / √2))
            erf = self._erf(self.node("Mul", [z, self.constant(1.0 / math.sqrt(2.0))]))
            half = self.node("Mul", [z, self.constant(0.5)])
            return self.node("Mul", [half, self.node("Add", [self.constant(1.0), erf])])
        raise ExportError(f"activation {name!r} has no ONNX export")

    def _erf(self, u: str) -> str:
        """erf(u). float32: the Erf operator. float64 (ONNX Runtime has no float64 Erf):

            erf(u) = sign(u) · 2/√π · a · e^(−a²) · Σₙ (2a²)ⁿ / (1·3·5···(2n+1)),  a = min(|u|, 6)

        whose terms are all positive (no cancellation); 100 terms give erf to 2e-15, and
        erf(6) is 1 in float64, so clipping at 6 changes nothing.
        """
        if self.dtype == "float32":
            return self.node("Erf", [u])
        a = self.node("Min", [self.node("Abs", [u]), self.constant(6.0)])
        t = self.node("Mul", [a, a])
        coefficients = np.empty(ERF_TERMS)
        coefficients[0] = 1.0
        for n in range(1, ERF_TERMS):
            coefficients[n] = coefficients[n - 1] * 2.0 / (2 * n + 1)
        powers = self.node("Pow", [self.node("Unsqueeze", [t, self.constant([-1], np.int64)]),
                                   self.constant(np.arange(ERF_TERMS, dtype=np.float64))])
        series = self.node("MatMul", [powers, self.constant(coefficients)])
        scale = self.node("Mul", [self.node("Exp", [self.node("Neg", [t])]),
                                  self.node("Mul", [a, self.constant(2.0 / math.sqrt(math.pi))])])
        value = self.node("Min", [self.node("Mul", [scale, series]), self.constant(1.0)])
        return self.node("Mul", [self.node("Sign", [u]), value])


def onnx_model(net: Any, dtype: str = "float64") -> Any:
    """The ONNX model (an ``onnx.ModelProto``) of a network: input ``x`` of shape
    ``(batch, *input_shape)``, output ``y`` = ``net.predict(x)``.

    Raises :class:`ExportError` if onnx is missing or a layer kind cannot be exported.
    """
    g = OnnxGraph(dtype)
    onnx = g.onnx
    shape = list(net.input_shape)
    x = "x"
    if len(shape) > 1:  # images and sequences: the engine flattens each example
        x = g.node("Flatten", [x], axis=1)
    for i, layer in enumerate(net.layers):
        if layer.no_export:
            raise ExportError(f"layers[{i}]: a {layer.kind} layer cannot be exported: "
                              f"{layer.no_export}")
        with g.scope(f"layers[{i}]"):
            try:
                x = layer.export_onnx(g, x)
            except NotImplementedError as exc:
                raise ExportError(f"layers[{i}]: {exc}") from None
    g.nodes.append(onnx.helper.make_node("Identity", [x], ["y"], name="predictions"))
    graph = onnx.helper.make_graph(
        g.nodes, "neuroviz_network",
        [onnx.helper.make_tensor_value_info("x", g.elem_type, ["batch", *shape])],
        [onnx.helper.make_tensor_value_info("y", g.elem_type, ["batch", net.n_outputs])],
        initializer=g.initializers,
        doc_string=f"{net!r}: x holds the inputs, y the predictions (after the output "
                   f"activation, as in neuroviz)")
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="neuroviz", ir_version=IR_VERSION)
    from neuroviz import __version__

    model.producer_version = __version__
    onnx.helper.set_model_props(model, {"neuroviz_spec": json.dumps(net.spec),
                                        "loss": net.loss, "dtype": dtype})
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(net: Any, path: str | Path, dtype: str = "float64") -> Path:
    """Write the ONNX model of ``net`` to ``path`` (``.onnx`` added if missing).

    Raises :class:`ExportError` (onnx missing, a kind that cannot be exported) or OSError.
    """
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        path = path.with_name(path.name + ".onnx")
    data = onnx_model(net, dtype).SerializeToString()
    return write_atomic(path, data)
