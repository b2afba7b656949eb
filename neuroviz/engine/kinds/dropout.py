"""Dropout: while training, each value is dropped (set to 0) with probability ``rate``.

Spec: ``{"type": "dropout", "rate": 0.5}`` (``rate`` from 0 to below 1, default 0.5). No
parameters; the output shape is the input shape.

Math (inverted dropout, so evaluation needs no rescaling)::

    training    m = (u ≥ rate) / (1 − rate)   with u uniform in [0, 1), one per value
                a = x · m                      backward  dx = da · m
    evaluation  a = x

Export: ONNX ``Dropout`` (the identity at inference), PyTorch ``nn.Dropout(rate)``.

The numbers ``u`` come from the trainer's dropout stream (splitmix64, seeded from the
trainer's seed, see :func:`~neuroviz.engine.kinds.base.uniforms`), drawn row by row in layer
order, so the same seed gives the same masks in the compiled path and in the NumPy reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine.kinds.base import (
    OP_IN,
    OP_NOUT,
    OP_OUT,
    OP_S,
    Layer,
    LayerValues,
    SpecError,
    check_keys,
    next_uniform,
    random_state,
    uniforms,
)

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


class Dropout(Layer):
    """Inverted dropout: ``a = x · m`` with ``m = (u ≥ rate) / (1 − rate)`` while training."""

    kind = "dropout"
    keys = {"rate": 0.5}
    code = 1
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...], rate: float = 0.5) -> None:
        self.in_shape = tuple(in_shape)
        self.out_shape = tuple(in_shape)
        self.rate = float(rate)

    @classmethod
    def from_entry(cls, entry, in_shape):
        return cls(in_shape, entry["rate"])

    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set(cls.keys))
        rate = layer.get("rate", 0.5)
        if (isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating))
                or not 0.0 <= float(rate) < 1.0):
            raise SpecError(f"{where}.rate: expected a number from 0 to below 1, got {rate!r}")
        return {"type": "dropout", "rate": float(rate)}

    def spec(self) -> dict[str, Any]:
        return {"type": "dropout", "rate": self.rate}

    def describe(self):
        return {**super().describe(), "rate": self.rate}

    def mask(self, shape: tuple[int, int], state: np.ndarray | None) -> np.ndarray:
        """The scaled keep-mask for ``shape`` (batch, units), drawn from ``state``."""
        if state is None:
            state = random_state(0)
        u = uniforms(state, shape[0] * shape[1]).reshape(shape)
        return (u >= self.rate) * (1.0 / (1.0 - self.rate))

    def forward(self, x, training=False, state=None):
        """a = x · m while training (m = (u ≥ rate)/(1 − rate)), a = x in evaluation."""
        if not training:
            return LayerValues(x, x, mask=np.ones_like(x))
        m = self.mask(x.shape, state)
        a = x * m
        return LayerValues(a, a, mask=m)

    def backward(self, x, dz, values=None):
        """dx = da · m (the mask of the forward pass)."""
        if values is None:
            raise ValueError("dropout: backward needs the forward values (the mask)")
        return [], dz * values.extras["mask"]

    def export_onnx(self, graph, x):
        """ONNX: a Dropout node with the rate, which runtimes apply as the identity at
        inference (evaluation mode, like predict)."""
        return graph.node("Dropout", [x, graph.constant(self.rate)])

    def export_torch(self, writer):
        """PyTorch: nn.Dropout(rate) (inverted dropout too; off in model.eval())."""
        writer.module(f"nn.Dropout({self.rate!r})", f"dropout, rate {self.rate:g}")

    def ops(self, plan, x):
        out = plan.slot(self.n_out)
        plan.add(self.code, IN=x, OUT=out, NOUT=self.n_out, S=plan.scratch(self.n_out),
                 value=self.rate)
        return out


@njit(**_OPTS)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """Training: m = (u ≥ rate)/(1 − rate) into S, a = x·m; evaluation: a = x."""
    size = n * ops[o, OP_NOUT]
    x = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    s = ops[o, OP_S]
    if not training:
        for i in range(size):
            A[out + i] = A[x + i]
            Z[out + i] = A[x + i]
        return
    rate = fops[o]
    scale = 1.0 / (1.0 - rate)
    for i in range(size):
        m = scale if next_uniform(state) >= rate else 0.0
        S[s + i] = m
        v = A[x + i] * m
        A[out + i] = v
        Z[out + i] = v


@njit(**_OPTS)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """dx = da · m."""
    x = ops[o, OP_IN]
    if x == 0:
        return
    out = ops[o, OP_OUT]
    s = ops[o, OP_S]
    for i in range(n * ops[o, OP_NOUT]):
        D[x + i] = D[out + i] * S[s + i]
