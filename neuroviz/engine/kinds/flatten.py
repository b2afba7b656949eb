"""Flatten: an image's values become one vector, unchanged, so dense layers can follow.

Spec: ``{"type": "flatten"}`` (no keys). Needs an image input ``[H, W, C]``; the output shape
is ``(H·W·C,)``; never the output layer. No parameters.

Values already travel flat between layers, row-major with channels last (value (i, j, c) is
column ``(i·W + j)·C + c``), so flattening moves nothing; it changes the shape the next layer
sees. (A dense layer on an image flattens it the same way by itself.)

Math::

    forward   a[(i·W + j)·C + c] = x[i, j, c]
    backward  dx[i, j, c] = da[(i·W + j)·C + c]

Export: ONNX ``Reshape`` to (batch, H·W·C) (the network input is already flat there);
PyTorch ``nn.Flatten()``.
"""

from __future__ import annotations

import math
from typing import Any

from numba import njit

from neuroviz.engine.kinds.base import (
    OP_IN,
    OP_NOUT,
    OP_OUT,
    Layer,
    LayerValues,
    check_keys,
)
from neuroviz.engine.kinds.conv2d import image_shape

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


class Flatten(Layer):
    """``a = x`` with the shape ``(H, W, C)`` read as ``(H·W·C,)``."""

    kind = "flatten"
    keys: dict[str, Any] = {}
    code = 5
    nestable = False
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...]) -> None:
        self.in_shape = tuple(int(d) for d in in_shape)
        image_shape(self.in_shape, "flatten", "flatten")
        self.out_shape = (math.prod(self.in_shape),)

    @classmethod
    def from_entry(cls, entry, in_shape):
        return cls(in_shape)

    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set())
        image_shape(in_shape, where, "flatten")
        return {"type": "flatten"}

    @classmethod
    def output_shape(cls, entry, in_shape, where):
        image_shape(in_shape, where, "flatten")
        return (math.prod(in_shape),)

    def spec(self) -> dict[str, Any]:
        return {"type": "flatten"}

    def forward(self, x, training=False, state=None):
        """a = x (the same values, read as one vector)."""
        return LayerValues(x, x)

    def backward(self, x, dz, values=None):
        """dx = da (each gradient goes back to the value it came from)."""
        return [], dz

    # -- export -------------------------------------------------------------------------------
    def export_onnx(self, graph, x):
        """ONNX: Reshape to (batch, H·W·C); the tensors between layers are flat already, so
        this states the shape and moves nothing."""
        from neuroviz.export import images

        return images.reshape(graph, x, [self.n_out])

    def export_torch(self, writer):
        """PyTorch: nn.Flatten() (values between modules are flat already)."""
        writer.module("nn.Flatten()", f"flatten, {self.n_out} values")

    # -- compiled path --------------------------------------------------------------------
    def ops(self, plan, x):
        out = plan.slot(self.n_out)
        plan.add(self.code, IN=x, OUT=out, NIN=self.n_in, NOUT=self.n_out)
        return out


@njit(**_OPTS)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """a = x, copied into the layer's own slot (z = a: no activation)."""
    x = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    for t in range(n * ops[o, OP_NOUT]):
        A[out + t] = A[x + t]
        Z[out + t] = A[x + t]


@njit(**_OPTS)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """dx = da (skipped when the input is the network input)."""
    x = ops[o, OP_IN]
    if x == 0:
        return
    out = ops[o, OP_OUT]
    for t in range(n * ops[o, OP_NOUT]):
        D[x + t] = D[out + t]
