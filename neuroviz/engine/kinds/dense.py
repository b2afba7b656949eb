"""Dense (fully connected) layer: every output unit sees every input value.

Spec: ``{"type": "dense", "units": 8, "activation": "tanh", "init": "auto"}``
(``units`` required, 1 to 4096; ``activation`` default ``linear``, softmax only on the
output layer; ``init`` one of auto, glorot, he, zeros, uniform). Any input shape is
flattened to ``prod(shape)`` values; the output shape is ``(units,)``.

Parameters, in order: ``W`` (fan_in, units), regularised; ``b`` (units,), not regularised.
``W[i, j]`` connects input i to unit j.

Math::

    forward   z = x @ W + b,   a = f(z)
    backward  dz = da · f'(z),  dW = x.T @ dz,  db = Σ_rows dz,  dx = dz @ W.T

Export: ONNX ``Gemm`` and the activation; PyTorch ``nn.Linear`` (weight ``W.T``) and the
activation's module.

The compiled path: small layers run the loops below with unsigned indices and
``fastmath={"reassoc", "contract"}`` (vectorised sums, fused multiply-adds; NaN checks
unaffected), big ones the BLAS helpers of :mod:`neuroviz.engine.kernels`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine import activations as act
from neuroviz.engine import kernels as K
from neuroviz.engine.kinds.base import (
    OP_ACT,
    OP_DZ,
    OP_IN,
    OP_NIN,
    OP_NOUT,
    OP_OUT,
    OP_P0,
    OP_P1,
    Layer,
    LayerValues,
    SpecError,
    check_keys,
    is_int,
)

INITS: tuple[str, ...] = ("auto", "glorot", "he", "zeros", "uniform")
MAX_UNITS = 4096
_OPTS = dict(nogil=True, cache=True, error_model="numpy")


class Dense(Layer):
    """Fully connected layer: ``z = x @ W + b``, ``a = f(z)``.

    Backward: ``dW = x.T @ dz``, ``db = Σ_rows dz``, ``dx = dz @ W.T``.
    """

    kind = "dense"
    keys = {"units": None, "activation": "linear", "init": "auto"}
    code = 0
    can_be_output = True
    compiled = __name__

    def __init__(self, n_in: Any, units: int, activation: str = "linear",
                 init: str = "auto") -> None:
        self.in_shape = tuple(n_in) if isinstance(n_in, (tuple, list)) else (int(n_in),)
        self.out_shape = (int(units),)
        self.units = int(units)
        self.activation = activation
        self.init = init
        self.W = np.zeros((self.n_in, self.units))
        self.b = np.zeros(self.units)
        self.offsets: list[int] = []

    @classmethod
    def from_entry(cls, entry: dict[str, Any], in_shape: tuple[int, ...]) -> Dense:
        return cls(in_shape, entry["units"], entry["activation"], entry.get("init", "auto"))

    # -- spec -----------------------------------------------------------------------------
    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set(cls.keys))
        units = layer.get("units")
        if not is_int(units) or not 1 <= units <= MAX_UNITS:
            raise SpecError(f"{where}.units: expected a whole number from 1 to {MAX_UNITS}, "
                            f"got {units!r}")
        allowed = act.OUTPUT_ACTIVATIONS if is_output else act.ACTIVATIONS
        activation = layer.get("activation", "linear")
        if activation not in allowed:
            hint = " (softmax is only for the output layer)" if activation == "softmax" else ""
            raise SpecError(f"{where}.activation: unknown activation {activation!r}{hint} "
                            f"(choose from {', '.join(allowed)})")
        init = layer.get("init", "auto")
        if init not in INITS:
            raise SpecError(f"{where}.init: unknown init {init!r} "
                            f"(choose from {', '.join(INITS)})")
        entry: dict[str, Any] = {"type": "dense", "units": int(units), "activation": activation}
        if init != "auto":
            entry["init"] = init
        return entry

    @classmethod
    def output_shape(cls, entry, in_shape, where):
        return (entry["units"],)

    @classmethod
    def param_count(cls, entry, in_shape):
        return (math.prod(in_shape) + 1) * entry["units"]

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "dense", "units": self.units, "activation": self.activation}
        if self.init != "auto":
            out["init"] = self.init
        return out

    # -- parameters -----------------------------------------------------------------------
    def param_shapes(self):
        return [(self.n_in, self.units), (self.units,)]

    def param_names(self):
        return ["W", "b"]

    def bind(self, views, offsets=None):
        self.W, self.b = views
        self.offsets = list(offsets or [])

    def parameters(self):
        return [self.W, self.b]

    def regularised(self):
        return [True, False]  # weights yes, biases no

    def init_params(self, rng, scheme):
        if scheme == "auto" and self.init == "auto":
            scheme = act.default_init(self.activation)
        elif self.init != "auto":
            scheme = self.init
        fan_in, fan_out = self.n_in, self.units
        if scheme == "glorot":  # Glorot/Xavier uniform
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.W[...] = rng.uniform(-limit, limit, size=self.W.shape)
        elif scheme == "he":  # He normal
            self.W[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=self.W.shape)
        elif scheme == "uniform":
            self.W[...] = rng.uniform(-0.5, 0.5, size=self.W.shape)
        elif scheme == "zeros":
            self.W[...] = 0.0
        else:  # pragma: no cover - validated in the spec
            raise SpecError(f"unknown init {scheme!r}")
        self.b[...] = 0.0

    # -- reference math -------------------------------------------------------------------
    def forward(self, x, training=False, state=None):
        """z = x @ W + b, a = f(z)."""
        z = x @ self.W + self.b
        return LayerValues(z, act.apply(self.activation, z))

    def backward(self, x, dz, values=None):
        """dW = x.T @ dz, db = Σ_rows dz, dx = dz @ W.T."""
        return [x.T @ dz, dz.sum(axis=0)], dz @ self.W.T

    def dz_from_da(self, z, a, da):
        return da * act.derivative(self.activation, z, a)

    # -- export -------------------------------------------------------------------------------
    def export_onnx(self, graph, x):
        """ONNX: z = Gemm(x, W, b), then the activation's nodes."""
        z = graph.node("Gemm", [x, graph.weight("W", self.W), graph.weight("b", self.b)])
        return graph.activation(self.activation, z)

    def export_torch(self, writer):
        """PyTorch: nn.Linear(fan_in, units) (its weight is W.T), then the activation."""
        writer.module(f"nn.Linear({self.n_in}, {self.units})",
                      f"dense, {self.units} units, {self.activation}",
                      weight=self.W.T, bias=self.b)
        writer.activation(self.activation)

    # -- compiled path --------------------------------------------------------------------
    def ops(self, plan, x):
        out = plan.slot(self.units)
        plan.add(self.code, IN=x, OUT=out, NIN=self.n_in, NOUT=self.units, P0=self.offsets[0],
                 P1=self.offsets[1], ACT=act.CODES[self.activation])
        return out


@njit(inline="always", **_OPTS)
def _forward_small(A, x, W, w, bo, Z, z, n, fi, fo):
    """Z[z:] = A[x:] @ W[w:] + b on flat row-major slices given by unsigned offsets.

    Unsigned indices spare Numba's negative-index wraparound, so LLVM vectorises the loops.
    """
    for i in range(n):
        zr = z + i * fo
        for j in range(fo):
            Z[zr + j] = W[bo + j]
        for k in range(fi):
            a = A[x + i * fi + k]
            wr = w + k * fo
            for j in range(fo):
                Z[zr + j] += a * W[wr + j]


@njit(inline="always", **_OPTS)
def _backward_small(A, x, W, w, gb, D, d, grads, dA, want_dA, n, fi, fo):
    """dW = A.T @ D (into grads at w), db = Σ_rows D (at gb), and dA = D @ W.T if want_dA."""
    for k in range(fi * fo):
        grads[w + k] = 0.0
    for j in range(fo):
        grads[gb + j] = 0.0
    for i in range(n):
        dr = d + i * fo
        for j in range(fo):
            grads[gb + j] += D[dr + j]
        for k in range(fi):
            a = A[x + i * fi + k]
            wr = w + k * fo
            s = 0.0
            for j in range(fo):
                g = D[dr + j]
                grads[wr + j] += a * g
                s += g * W[wr + j]
            if want_dA:
                dA[x + i * fi + k] = s


# reassoc lets LLVM vectorise the sums of dA = D @ W.T; contract allows fused multiply-adds.
# Neither touches NaN/inf handling (no nnan/ninf), so the driver's checks stay truthful.
_FAST = dict(_OPTS, fastmath={"reassoc", "contract"})


@njit(**_FAST)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """z = x @ W + b, a = f(z) on flat row-major slices."""
    fi = ops[o, OP_NIN]
    fo = ops[o, OP_NOUT]
    out = ops[o, OP_OUT]
    if n * fi * fo >= K.BLAS_MIN:
        K.dense_forward(A[ops[o, OP_IN]:], params[ops[o, OP_P0]:], params[ops[o, OP_P1]:],
                        Z[out:], n, fi, fo)
    else:
        _forward_small(A, np.uint64(ops[o, OP_IN]), params, np.uint64(ops[o, OP_P0]),
                       np.uint64(ops[o, OP_P1]), Z, np.uint64(out), np.uint64(n),
                       np.uint64(fi), np.uint64(fo))
    K.activate(ops[o, OP_ACT], Z[out:], A[out:], n, fo)


@njit(**_FAST)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """dz = da·f'(z); dW = x.T @ dz, db = Σ_rows dz, dx = dz @ W.T."""
    fi = ops[o, OP_NIN]
    fo = ops[o, OP_NOUT]
    out = ops[o, OP_OUT]
    x = ops[o, OP_IN]
    if ops[o, OP_DZ] == 0:
        K.activation_grad(ops[o, OP_ACT], Z[out:], A[out:], D[out:], n * fo)
    if n * fi * fo >= K.BLAS_MIN:
        K.dense_backward(A[x:], params[ops[o, OP_P0]:], D[out:], grads[ops[o, OP_P0]:],
                         grads[ops[o, OP_P1]:], D[x:], x != 0, n, fi, fo)
    else:
        _backward_small(A, np.uint64(x), params, np.uint64(ops[o, OP_P0]),
                        np.uint64(ops[o, OP_P1]), D, np.uint64(out), grads, D, x != 0,
                        np.uint64(n), np.uint64(fi), np.uint64(fo))
