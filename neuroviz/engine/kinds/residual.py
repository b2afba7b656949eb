"""Residual block: ``a = h + f(h)``, where ``f`` is a short stack of layers.

Spec: ``{"type": "residual", "layers": [...], "skip": true}``. ``layers`` is a non-empty
list of dense, dropout or layernorm layers (no residual inside a residual; no softmax);
``skip: false`` switches the skip path off, so the block computes ``a = f(h)`` (the learner
can compare both). The output shape is that of the last inner layer.

Skip path: the identity when ``f`` keeps the shape; otherwise (widths differ) a learned
linear projection ``h @ P`` with ``P`` of shape (in_units, out_units), no bias, regularised,
Glorot-initialised after the inner layers. Without the skip path there is no ``P``.

Parameters, in order: each inner layer's parameters in layer order, then ``P`` if any.
:meth:`~neuroviz.engine.Network.get_weights` lists the block as a tuple of its inner
layers' tuples (layers without parameters left out), then ``(P,)`` if there is a projection.

Math::

    forward   f = f_k(… f_1(h)),  s = h (identity) or h @ P (projection) or 0 (skip off),
              a = f + s
    backward  df = da, backpropagated through f_k … f_1 to dh_f;
              dP = h.T @ da,  dh = dh_f + da (identity) or dh_f + da @ P.T (projection)

Export: ONNX, the inner layers' nodes, then ``Add`` of the skip path (``MatMul`` with ``P``
for a projection); PyTorch, the small ``Residual`` module below (:data:`TORCH_CLASS`).

Compiled path: two ops in the op table around the inner layers' ops. ``begin`` (flag 0)
does nothing forward and, backward, adds the skip path's gradient (kept in its scratch
space) into dL/dh; ``end`` (flag 1: skip off, 2: identity, 3: projection) adds the skip
path forward and, backward, hands da to the inner layers and stores the skip gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine.kinds.base import (
    OP_AUX,
    OP_FLAG,
    OP_IN,
    OP_NIN,
    OP_NOUT,
    OP_OUT,
    OP_P0,
    OP_S,
    Layer,
    LayerValues,
    SpecError,
    check_keys,
)

_OPTS = dict(nogil=True, cache=True, error_model="numpy")
BEGIN, END_NO_SKIP, END_IDENTITY, END_PROJECTION = 0, 1, 2, 3

#: The PyTorch module an exported ``model.py`` defines for residual blocks.
TORCH_CLASS = '''class Residual(nn.Module):
    """a = f(h) + s: s = h, or h @ P when f changes the width (projection), or 0 (skip off)."""

    def __init__(self, inner, skip=True, projection=None):
        super().__init__()
        self.inner = inner
        self.skip = skip
        self.projection = projection

    def forward(self, h):
        f = self.inner(h)
        if not self.skip:
            return f
        return f + (h if self.projection is None else self.projection(h))
'''


class Residual(Layer):
    """``a = h + f(h)`` (or ``h @ P + f(h)`` when f changes the width; ``f(h)`` with skip off)."""

    kind = "residual"
    keys = {"layers": None, "skip": True}
    code = 3
    nestable = False
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...], layers: list[Layer], skip: bool = True) -> None:
        if not layers:
            raise ValueError("residual: needs at least one inner layer")
        self.in_shape = tuple(in_shape)
        self.layers = list(layers)
        self.out_shape = tuple(self.layers[-1].out_shape)
        self.skip = bool(skip)
        self.projected = self.skip and self.out_shape != self.in_shape
        self.P = np.zeros((self.n_in, self.n_out)) if self.projected else None
        self.offsets: list[int] = []

    @classmethod
    def from_entry(cls, entry, in_shape):
        from neuroviz.engine.kinds import LAYER_KINDS

        inner, shape = [], tuple(in_shape)
        for sub in entry["layers"]:
            layer = LAYER_KINDS[sub["type"]].from_entry(sub, shape)
            inner.append(layer)
            shape = layer.out_shape
        return cls(in_shape, inner, entry.get("skip", True))

    # -- spec -----------------------------------------------------------------------------
    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        from neuroviz.engine.kinds import LAYER_KINDS

        check_keys(layer, where, set(cls.keys))
        skip = layer.get("skip", True)
        if not isinstance(skip, bool):
            raise SpecError(f"{where}.skip: expected true or false, got {skip!r}")
        inner = layer.get("layers")
        if not isinstance(inner, list) or not inner:
            raise SpecError(f"{where}.layers: expected a non-empty list of layers")
        nestable = [k for k, c in LAYER_KINDS.items() if c.nestable]
        entries, shape = [], tuple(in_shape)
        for j, sub in enumerate(inner):
            here = f"{where}.layers[{j}]"
            if not isinstance(sub, dict):
                raise SpecError(f"{here}: expected a dict, got {type(sub).__name__}")
            kind = sub.get("type", "dense")
            if kind == cls.kind:
                raise SpecError(f"{here}.type: a residual block cannot hold another residual "
                                f"block (choose from {', '.join(nestable)})")
            if kind not in LAYER_KINDS or not LAYER_KINDS[kind].nestable:
                raise SpecError(f"{here}.type: unknown layer type {kind!r} inside a residual "
                                f"block (choose from {', '.join(nestable)})")
            sub_cls = LAYER_KINDS[kind]
            entry = sub_cls.normalise(sub, here, shape, False)
            shape = sub_cls.output_shape(entry, shape, here)
            entries.append(entry)
        out: dict[str, Any] = {"type": "residual", "layers": entries}
        if not skip:
            out["skip"] = False
        return out

    @classmethod
    def output_shape(cls, entry, in_shape, where):
        from neuroviz.engine.kinds import LAYER_KINDS

        shape = tuple(in_shape)
        for j, sub in enumerate(entry["layers"]):
            shape = LAYER_KINDS[sub["type"]].output_shape(sub, shape, f"{where}.layers[{j}]")
        return shape

    @classmethod
    def param_count(cls, entry, in_shape):
        from neuroviz.engine.kinds import LAYER_KINDS

        total, shape = 0, tuple(in_shape)
        for sub in entry["layers"]:
            sub_cls = LAYER_KINDS[sub["type"]]
            total += sub_cls.param_count(sub, shape)
            shape = sub_cls.output_shape(sub, shape, "")
        if entry.get("skip", True) and shape != tuple(in_shape):
            total += math.prod(in_shape) * math.prod(shape)
        return total

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "residual", "layers": [lay.spec() for lay in self.layers]}
        if not self.skip:
            out["skip"] = False
        return out

    def describe(self):
        return {**super().describe(), "skip": self.skip, "projection": self.projected,
                "children": [lay.describe() for lay in self.layers]}

    def count_layers(self) -> int:
        return 1 + sum(lay.count_layers() for lay in self.layers)

    # -- parameters -----------------------------------------------------------------------
    def param_shapes(self):
        shapes = [s for lay in self.layers for s in lay.param_shapes()]
        return shapes + ([(self.n_in, self.n_out)] if self.projected else [])

    def param_names(self):
        names = [f"layers[{j}].{name}" for j, lay in enumerate(self.layers)
                 for name in lay.param_names()]
        return names + (["P"] if self.projected else [])

    def bind(self, views, offsets=None):
        offsets = list(offsets) if offsets else [0] * len(views)
        self.offsets = offsets
        k = 0
        for lay in self.layers:
            m = len(lay.param_shapes())
            lay.bind(views[k:k + m], offsets[k:k + m])
            k += m
        if self.projected:
            self.P = views[k]

    def parameters(self):
        return [p for lay in self.layers for p in lay.parameters()] + (
            [self.P] if self.projected else [])

    def regularised(self):
        return [r for lay in self.layers for r in lay.regularised()] + (
            [True] if self.projected else [])

    def init_params(self, rng, scheme):
        for lay in self.layers:
            lay.init_params(rng, scheme)
        if self.projected:
            limit = np.sqrt(6.0 / (self.n_in + self.n_out))
            self.P[...] = rng.uniform(-limit, limit, size=self.P.shape)

    def weights(self):
        return self.structure([p.copy() for p in self.parameters()])

    def structure(self, flat):
        out, k = [], 0
        for lay in self.layers:
            m = len(lay.param_shapes())
            if m:
                out.append(tuple(flat[k:k + m]))
            k += m
        if self.projected:
            out.append((flat[k],))
        return tuple(out)

    # -- reference math -------------------------------------------------------------------
    def forward(self, x, training=False, state=None):
        """f = inner layers applied in turn; a = f + (h, h @ P or 0)."""
        inner, h = [], x
        for lay in self.layers:
            values = lay.forward(h, training, state)
            inner.append(values)
            h = values.a
        if not self.skip:
            skip = None
            a = h
        else:
            skip = x @ self.P if self.projected else x
            a = h + skip
        return LayerValues(a, a, inner=inner, f=h, skip=skip)

    def backward(self, x, dz, values=None):
        """Backprop da through the inner layers, then add the skip path's gradient to dh."""
        if values is None:
            values = self.forward(x)
        inner = values.extras["inner"]
        grads: list[list[np.ndarray]] = [[] for _ in self.layers]
        d = dz
        for k in range(len(self.layers) - 1, -1, -1):
            lay = self.layers[k]
            xk = x if k == 0 else inner[k - 1].a
            dzk = lay.dz_from_da(inner[k].z, inner[k].a, d)
            grads[k], d = lay.backward(xk, dzk, inner[k])
        flat = [g for gs in grads for g in gs]
        if self.projected:
            flat.append(x.T @ dz)
            d = d + dz @ self.P.T
        elif self.skip:
            d = d + dz
        return flat, d

    # -- export -------------------------------------------------------------------------------
    def export_onnx(self, graph, x):
        """ONNX: the inner layers' nodes give f; then Add(f, x), Add(f, MatMul(x, P)) or f."""
        f = x
        for j, lay in enumerate(self.layers):
            with graph.scope(f"layers[{j}]"):
                f = lay.export_onnx(graph, f)
        if not self.skip:
            return f
        skip = graph.node("MatMul", [x, graph.weight("P", self.P)]) if self.projected else x
        return graph.node("Add", [f, skip])

    def export_torch(self, writer):
        """PyTorch: Residual(nn.Sequential(inner layers), skip, projection), the projection
        a bias-free nn.Linear whose weight is P.T."""
        writer.helper("Residual", TORCH_CLASS)
        projection = (f", projection=nn.Linear({self.n_in}, {self.n_out}, bias=False)"
                      if self.projected else "")
        params = {"projection.weight": self.P.T} if self.projected else {}
        note = "residual block" + (", skip off" if not self.skip else
                                   ", projected skip" if self.projected else "")
        where = writer.where
        with writer.block(f"Residual({{inner}}, skip={self.skip}{projection})", "inner", note,
                          **params):
            for j, lay in enumerate(self.layers):
                writer.where = f"{where}.layers[{j}]"
                lay.export_torch(writer)

    # -- compiled path --------------------------------------------------------------------
    def ops(self, plan, x):
        stash = plan.scratch(self.n_in)
        plan.add(self.code, IN=x, NIN=self.n_in, NOUT=self.n_in, FLAG=BEGIN, S=stash)
        h = x
        for lay in self.layers:
            h = lay.ops(plan, h)
        out = plan.slot(self.n_out)
        flag = END_NO_SKIP if not self.skip else (
            END_PROJECTION if self.projected else END_IDENTITY)
        plan.add(self.code, IN=h, AUX=x, OUT=out, NIN=self.n_in, NOUT=self.n_out, FLAG=flag,
                 P0=self.offsets[-1] if self.projected else -1, S=stash)
        return out


@njit(**_OPTS)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """end: a = f + s, with s = h (identity), h @ P (projection) or 0 (skip off)."""
    flag = ops[o, OP_FLAG]
    if flag == BEGIN:
        return
    f = ops[o, OP_IN]
    h = ops[o, OP_AUX]
    out = ops[o, OP_OUT]
    wi = ops[o, OP_NIN]
    wo = ops[o, OP_NOUT]
    for i in range(n * wo):
        A[out + i] = A[f + i]
    if flag == END_IDENTITY:
        for i in range(n * wo):
            A[out + i] += A[h + i]
    elif flag == END_PROJECTION:
        p = ops[o, OP_P0]
        for i in range(n):
            for k in range(wi):
                v = A[h + i * wi + k]
                for j in range(wo):
                    A[out + i * wo + j] += v * params[p + k * wo + j]
    for i in range(n * wo):
        Z[out + i] = A[out + i]


@njit(**_OPTS)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """end: df = da, skip gradient (da or da @ P.T; dP = h.T @ da) into S;
    begin: dh += the skip gradient."""
    flag = ops[o, OP_FLAG]
    s = ops[o, OP_S]
    wi = ops[o, OP_NIN]
    if flag == BEGIN:
        h = ops[o, OP_IN]
        if h == 0:
            return
        for i in range(n * wi):
            D[h + i] += S[s + i]
        return
    f = ops[o, OP_IN]
    h = ops[o, OP_AUX]
    out = ops[o, OP_OUT]
    wo = ops[o, OP_NOUT]
    for i in range(n * wo):
        D[f + i] = D[out + i]
    if flag == END_NO_SKIP:
        for i in range(n * wi):
            S[s + i] = 0.0
    elif flag == END_IDENTITY:
        for i in range(n * wi):
            S[s + i] = D[out + i]
    else:
        p = ops[o, OP_P0]
        for k in range(wi * wo):
            grads[p + k] = 0.0
        for i in range(n):
            for k in range(wi):
                v = A[h + i * wi + k]
                acc = 0.0
                for j in range(wo):
                    d = D[out + i * wo + j]
                    grads[p + k * wo + j] += v * d
                    acc += d * params[p + k * wo + j]
                S[s + i * wi + k] = acc
