"""Layer normalisation: each example's values are shifted to mean 0 and scaled to std 1,
then given a learned gain and bias per unit.

Spec: ``{"type": "layernorm"}`` (no keys). The output shape is the input shape; all
``prod(shape)`` values of one example are normalised together.

Parameters, in order: ``gain`` (units,), initialised to 1; ``bias`` (units,), initialised
to 0; neither is regularised.

Math, per example with ``N`` values and ``EPS = 1e-5``::

    forward   μ = mean(x),  σ = sqrt(mean((x − μ)²) + EPS),  x̂ = (x − μ) / σ,
              a = gain · x̂ + bias
    backward  dgain = Σ_rows da · x̂,  dbias = Σ_rows da,  g = da · gain,
              dx = (g − mean(g) − x̂ · mean(g · x̂)) / σ

Export: ONNX ``LayerNormalization`` (axis −1, epsilon EPS), PyTorch ``nn.LayerNorm``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine.kinds.base import (
    OP_IN,
    OP_NOUT,
    OP_OUT,
    OP_P0,
    OP_P1,
    OP_S,
    Layer,
    LayerValues,
    check_keys,
)

#: Added to the variance before the square root, so a constant example stays finite.
EPS = 1e-5
_OPTS = dict(nogil=True, cache=True, error_model="numpy")


class LayerNorm(Layer):
    """``a = gain · (x − μ)/σ + bias`` per example (μ, σ over the example's values)."""

    kind = "layernorm"
    keys: dict[str, Any] = {}
    code = 2
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...]) -> None:
        self.in_shape = tuple(in_shape)
        self.out_shape = tuple(in_shape)
        self.gain = np.ones(self.n_out)
        self.bias = np.zeros(self.n_out)
        self.offsets: list[int] = []

    @classmethod
    def from_entry(cls, entry, in_shape):
        return cls(in_shape)

    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set())
        return {"type": "layernorm"}

    @classmethod
    def param_count(cls, entry, in_shape):
        return 2 * math.prod(in_shape)

    def spec(self) -> dict[str, Any]:
        return {"type": "layernorm"}

    def describe(self):
        return {**super().describe(), "eps": EPS}

    def param_shapes(self):
        return [(self.n_out,), (self.n_out,)]

    def param_names(self):
        return ["gain", "bias"]

    def bind(self, views, offsets=None):
        self.gain, self.bias = views
        self.offsets = list(offsets or [])

    def parameters(self):
        return [self.gain, self.bias]

    def init_params(self, rng, scheme):
        self.gain[...] = 1.0
        self.bias[...] = 0.0

    def forward(self, x, training=False, state=None):
        """x̂ = (x − μ)/σ per row, a = gain · x̂ + bias."""
        mean = x.mean(axis=1, keepdims=True)
        std = np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + EPS)
        xhat = (x - mean) / std
        a = self.gain * xhat + self.bias
        return LayerValues(a, a, mean=mean[:, 0], std=std[:, 0], xhat=xhat)

    def backward(self, x, dz, values=None):
        """dgain = Σ da·x̂, dbias = Σ da, dx = (g − mean(g) − x̂·mean(g·x̂))/σ with g = da·gain."""
        if values is None:
            values = self.forward(x)
        xhat = values.extras["xhat"]
        std = values.extras["std"][:, None]
        g = dz * self.gain
        dx = (g - g.mean(axis=1, keepdims=True)
              - xhat * (g * xhat).mean(axis=1, keepdims=True)) / std
        return [(dz * xhat).sum(axis=0), dz.sum(axis=0)], dx

    def export_onnx(self, graph, x):
        """ONNX: LayerNormalization over the last axis with the engine's EPS, gain and bias
        (mean and variance kept in the model's precision)."""
        return graph.node("LayerNormalization", [x, graph.weight("gain", self.gain),
                                                 graph.weight("bias", self.bias)],
                          axis=-1, epsilon=EPS, stash_type=graph.elem_type)

    def export_torch(self, writer):
        """PyTorch: nn.LayerNorm(units, eps=EPS) with weight = gain, bias = bias."""
        writer.module(f"nn.LayerNorm({self.n_out}, eps={EPS!r})", "layernorm",
                      weight=self.gain, bias=self.bias)

    def ops(self, plan, x):
        out = plan.slot(self.n_out)
        # scratch: x̂ (n × units) then 1/σ (n)
        plan.add(self.code, IN=x, OUT=out, NOUT=self.n_out, P0=self.offsets[0],
                 P1=self.offsets[1], S=plan.scratch(self.n_out + 1), value=EPS)
        return out


@njit(**_OPTS)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """μ, σ per row; x̂ = (x − μ)/σ into S; a = gain·x̂ + bias."""
    w = ops[o, OP_NOUT]
    x = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    g = ops[o, OP_P0]
    b = ops[o, OP_P1]
    s = ops[o, OP_S]
    r = s + n * w  # 1/σ per row
    eps = fops[o]
    for i in range(n):
        row = x + i * w
        mean = 0.0
        for j in range(w):
            mean += A[row + j]
        mean /= w
        var = 0.0
        for j in range(w):
            d = A[row + j] - mean
            var += d * d
        inv = 1.0 / math.sqrt(var / w + eps)
        S[r + i] = inv
        for j in range(w):
            xh = (A[row + j] - mean) * inv
            S[s + i * w + j] = xh
            v = params[g + j] * xh + params[b + j]
            A[out + i * w + j] = v
            Z[out + i * w + j] = v


@njit(**_OPTS)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """dgain = Σ da·x̂, dbias = Σ da; dx = (g − mean(g) − x̂·mean(g·x̂))/σ, g = da·gain."""
    w = ops[o, OP_NOUT]
    x = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    g = ops[o, OP_P0]
    b = ops[o, OP_P1]
    s = ops[o, OP_S]
    r = s + n * w
    for j in range(w):
        grads[g + j] = 0.0
        grads[b + j] = 0.0
    for i in range(n):
        m1 = 0.0
        m2 = 0.0
        for j in range(w):
            da = D[out + i * w + j]
            xh = S[s + i * w + j]
            grads[g + j] += da * xh
            grads[b + j] += da
            gj = da * params[g + j]
            m1 += gj
            m2 += gj * xh
        if x == 0:
            continue
        m1 /= w
        m2 /= w
        inv = S[r + i]
        for j in range(w):
            gj = D[out + i * w + j] * params[g + j]
            D[x + i * w + j] = (gj - m1 - S[s + i * w + j] * m2) * inv
