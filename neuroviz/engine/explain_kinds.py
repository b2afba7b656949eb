"""Explain one training step of a network with dropout, layer norm or residual blocks.

The network is explained *column by column*, the way the canvas draws it: column 0 is the
input, every top-level layer is one column, and a residual block is one column per inner
layer followed by its *sum* column (``h + f(h)``). :func:`explain_columns` lists them.

Per kind, with the real numbers of the example:

* **dense**: weighted sum and activation per neuron; backward ∂L/∂a (from the next column,
  plus the skip path when a residual block starts here), f′(z), ∂L/∂z, ∂L/∂w = a·∂L/∂z;
* **dropout**: which units are kept and the ×1/(1 − p) scaling (or, in evaluation, that
  dropout is off); backward: the gradient passes only through kept units, scaled the same;
* **layer norm**: μ and σ² of the example, x̂ = (x − μ)/σ and gain·x̂ + bias per unit;
  backward: ∂L/∂gain, ∂L/∂bias and ∂L/∂x = (g − mean g − x̂·mean(g·x̂))/σ with g = ∂L/∂a·gain;
* **residual sum**: a = h + f(h) (h·P with a projection; f(h) with the skip path off);
  backward: the gradient splits into the block and the skip path, and adds up again at h;
* **update**: weights, biases, gains and the projection, by the optimizer's own rule.

All numbers come from the engine's reference maths: ``Network.forward_all`` (with the
dropout masks of ``seed``) and each kind's ``backward``, as ``loss_and_gradients`` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine.explain_maps import (
    MAP_KINDS,
    dense_edge_grads,
    dense_weight_updates,
    map_backward,
    map_forward,
    map_input_step,
    map_update,
)
from neuroviz.engine.explain_steps import (
    _UPDATE_NOTES,
    DOT,
    MAX_TERMS,
    Explanation,
    _activation_lines,
    _Builder,
    _derivative_lines,
    _join_sum,
    _p,
    _shorten,
    _update_lines,
    fmt,
    loss_step,
    output_grad_step,
    sub,
)
from neuroviz.engine.kinds.base import Layer, random_state
from neuroviz.engine.kinds.layernorm import EPS

__all__ = ["ExplainColumn", "explain_columns", "explain_kinds"]

_KIND_TITLES = {"dense": "Dense", "dropout": "Dropout", "layernorm": "Layer norm",
                "conv2d": "Convolution", "maxpool": "Max pool", "avgpool": "Average pool",
                "globalmaxpool": "Global max pool", "globalavgpool": "Global average pool",
                "flatten": "Flatten"}
_SHORT = {"dense": "dense", "dropout": "dropout", "layernorm": "norm"}


@dataclass
class ExplainColumn:
    """One column: its kind ("dense", "dropout", "layernorm", "sum"), width, top-level layer,
    position inside a residual block (None outside), the layer object, and which of the
    top-level layer's parameter arrays (in ``param_shapes`` order) belong to it."""

    kind: str
    units: int
    top: int
    inner: int | None
    layer: Layer
    arrays: list[int]
    block: int | None = None  # which residual block (0, 1, ...) the column belongs to


def explain_columns(net) -> list[ExplainColumn]:
    """Columns 1.. of ``net`` (column 0, the input, is left out)."""
    cols: list[ExplainColumn] = []
    n_blocks = 0
    for t, layer in enumerate(net.layers):
        if layer.kind == "residual":
            k0 = 0
            for m, inner in enumerate(layer.layers):
                n = len(inner.param_shapes())
                cols.append(ExplainColumn(inner.kind, inner.n_out, t, m, inner,
                                          list(range(k0, k0 + n)), n_blocks))
                k0 += n
            cols.append(ExplainColumn("sum", layer.n_out, t, None, layer,
                                      [k0] if layer.projected else [], n_blocks))
            n_blocks += 1
        else:
            cols.append(ExplainColumn(layer.kind, layer.n_out, t, None, layer,
                                      list(range(len(layer.param_shapes())))))
    return cols


class _ColumnBuilder(_Builder):
    def __init__(self, names_in, names_out, cols):
        super().__init__(names_in, names_out, len(cols))
        self.cols = cols

    def layer_name(self, k: int) -> str:
        if k == 0:
            return "Input"
        if k == self.n_layers:
            return "Output layer"
        col = self.cols[k - 1]
        if col.block is not None:
            if col.kind == "sum":
                return f"Block {col.block + 1} output"
            return f"Block {col.block + 1} \u00b7 {_SHORT[col.kind]}"
        if col.kind == "dense":
            return f"Hidden layer {k}"
        same = [c for c in self.cols if c.kind == col.kind]
        if col.kind in MAP_KINDS and len(same) > 1:  # "Convolution 2"
            return f"{_KIND_TITLES[col.kind]} {same.index(col) + 1}"
        return _KIND_TITLES[col.kind]

    def neuron_name(self, k: int, j: int) -> str:
        if k == 0 or k == self.n_layers or self.cols[k - 1].kind == "dense":
            return super().neuron_name(k, j)
        return f"{self.layer_name(k)}, unit {j + 1}"


def explain_kinds(net, x: np.ndarray, y: np.ndarray, names_in: list[str],
                  names_out: list[str], dropout_seed: int | None, hp: dict[str, Any],
                  state: dict[str, Any] | None) -> Explanation:
    """The explanation of one training step of ``net`` on ``(x, y)`` (see the module doc)."""
    cols = explain_columns(net)
    C = len(cols)
    b = _ColumnBuilder(names_in, names_out, cols)
    training = dropout_seed is not None
    values = net.forward_all(x[None, :], training=training,
                             state=random_state(dropout_seed) if training else None)

    def lv(c: ExplainColumn):
        top = values[c.top]
        return top if c.inner is None else top.extras["inner"][c.inner]

    def out(k: int) -> np.ndarray:  # column k's values (k = 0: the input)
        return x if k == 0 else lv(cols[k - 1]).a[0]

    top_params = [layer.parameters() for layer in net.layers]
    params = [[top_params[c.top][i] for i in c.arrays] for c in cols]
    # the column feeding each residual block (its h)
    source = {}
    for k, c in enumerate(cols, start=1):
        if c.inner == 0:
            source[c.block] = k - 1
    masks = {k: lv(c).extras["mask"][0].copy() for k, c in enumerate(cols, start=1)
             if c.kind == "dropout"}

    # ---------------------------------------------------------------- forward
    if len(net.input_shape) == 3:
        map_input_step(b, x, net.input_shape)
    else:
        b.add("forward", "input", 0, None, None, "Input: the example's feature values",
              ["  ".join(f"{names_in[i]} = {fmt(v)}" for i, v in enumerate(x))],
              "The example's features enter the input layer, one value per input node.",
              **{f"x{i}": v for i, v in enumerate(x)})
    for k, c in enumerate(cols, start=1):
        prev = out(k - 1)
        v = lv(c)
        if c.kind == "dense":
            _dense_forward(b, k, c, params[k - 1], prev, v.z[0], v.a[0])
        elif c.kind == "dropout":
            _dropout_forward(b, k, c, prev, v.a[0], masks[k], training)
        elif c.kind == "layernorm":
            _norm_forward(b, k, c, params[k - 1], prev, v)
        elif c.kind in MAP_KINDS:
            map_forward(b, k, c.layer, params[k - 1], prev, v)
        else:
            _sum_forward(b, k, c, out(source[c.block]), prev, v.a[0], params[k - 1])
    z_out, a_out = values[-1].z[0], values[-1].a[0]
    loss = loss_step(b, net.loss, z_out, a_out, y, names_out, C)

    # ---------------------------------------------------------------- backward
    out_act = net.layers[-1].activation
    da_out, delta_out = output_grad_step(b, net.loss, out_act, z_out, a_out, y, C)
    dA: list[np.ndarray | None] = [None] * (C + 1)   # dL/d(column output)
    dZ: list[np.ndarray | None] = [None] * (C + 1)   # dL/dz (dense)
    grads: list[list[np.ndarray]] = [[] for _ in range(C + 1)]
    split: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # source column: (via block, skip)
    via_next: list[np.ndarray | None] = [None] * (C + 1)
    d = None  # dL/d(output of the column being processed)
    def reads_map(k: int) -> bool:
        """Whether column k is a dense layer reading an image or a map layer's output: its
        many weights are explained neuron by neuron rather than one by one."""
        if cols[k - 1].kind != "dense":
            return False
        return len(net.input_shape) == 3 if k == 1 else cols[k - 2].kind in MAP_KINDS

    for k in range(C, 0, -1):
        c = cols[k - 1]
        xin = out(k - 1)[None, :]
        v = lv(c)
        if c.kind == "sum":
            dA[k] = d
            layer = c.layer
            if layer.projected:
                grads[k] = [out(source[c.block])[:, None] @ d[None, :]]
                skip = d @ layer.P.T
            else:
                skip = d.copy() if layer.skip else np.zeros(len(out(source[c.block])))
            split[source[c.block]] = (None, skip)  # "via block" filled in below
            _sum_backward(b, k, c, d, skip)
            continue  # the block's last inner layer receives d unchanged
        if k == C:
            dz = delta_out[None, :]
            dA[k] = np.asarray(da_out) if da_out is not None else None
        else:
            dA[k] = d
            dz = c.layer.dz_from_da(v.z, v.a, d[None, :])
        dZ[k] = dz[0]
        g, dx = c.layer.backward(xin, dz, v)
        grads[k] = g
        dx = dx[0]
        if c.kind == "dense":
            _dense_backward(b, k, c, params[k - 1], out(k - 1), v, dA[k], dZ[k], g,
                            k == C, net.loss, da_out, split.get(k), via_next[k],
                            reads_map(k))
        elif c.kind == "dropout":
            _dropout_backward(b, k, d, dx, masks[k], training, split.get(k), via_next[k])
        elif c.kind in MAP_KINDS:
            map_backward(b, k, c.layer, params[k - 1], out(k - 1), v, d, dz[0], g, dx,
                         k == 1)
        else:
            _norm_backward(b, k, c, params[k - 1], v, d, dx, g, split.get(k), via_next[k])
        via_next[k - 1] = dx
        if (k - 1) in split and split[k - 1][0] is None:
            skip = split[k - 1][1]
            split[k - 1] = (dx, skip)
            dx = dx + skip
        d = dx

    # ---------------------------------------------------------------- update
    t = int(state["t"]) + 1 if state is not None else 1
    old_w, new_w = [], []
    for k, c in enumerate(cols, start=1):
        ps = params[k - 1]
        gs = grads[k]
        m1s = [state["m1"][c.top][i] for i in c.arrays] if state else [np.zeros_like(p)
                                                                        for p in ps]
        m2s = [state["m2"][c.top][i] for i in c.arrays] if state else [np.zeros_like(p)
                                                                        for p in ps]
        news = [p.copy() for p in ps]
        reg = [c.layer.regularised()[i] for i in range(len(ps))] if c.kind != "sum" else [True]

        ctx = (b, hp, t, k, ps, gs, m1s, m2s, news, reg)

        def upd(*args, ctx=ctx, **extra):
            _update_step(*ctx, *args, **extra)

        note = _UPDATE_NOTES[hp["optimizer"]]
        if c.kind == "dense" and reads_map(k):
            dense_weight_updates(b, hp, t, k, ps, gs, m1s, m2s, news, reg)
            old_w.append((ps[0].copy(), ps[1].copy()))
            new_w.append((news[0], news[1]))
        elif c.kind == "dense":
            W = ps[0]
            for j in range(W.shape[1]):
                for i in range(W.shape[0]):
                    upd(0, (i, j), "w", "update_weight", None, (i, j),
                        f"Update weight {b.neuron_name(k - 1, i)} \u2192 {b.neuron_name(k, j)}",
                        note)
                upd(1, j, "b", "update_bias", j, None, f"Update bias of {b.neuron_name(k, j)}",
                    note + " Biases are not regularised.")
            old_w.append((ps[0].copy(), ps[1].copy()))
            new_w.append((news[0], news[1]))
        elif c.kind == "conv2d":
            news = map_update(b, hp, t, k, c.layer, ps, gs, m1s, m2s)
            old_w.append((ps[0].copy(), ps[1].copy()))
            new_w.append((news[0], news[1]))
        elif c.kind == "layernorm":
            for j in range(c.units):
                upd(0, j, "gain", "update_gain", j, None, f"Update gain of {b.neuron_name(k, j)}",
                    note + " A gain is a parameter like any weight (not regularised).")
                upd(1, j, "bias", "update_bias", j, None,
                    f"Update bias of {b.neuron_name(k, j)}", note)
            old_w.append((ps[0].copy(), ps[1].copy()))
            new_w.append((news[0], news[1]))
        elif c.kind == "sum" and ps:
            P = ps[0]
            for j in range(P.shape[1]):
                for i in range(P.shape[0]):
                    upd(0, (i, j), "P", "update_projection", j, None,
                        f"{b.layer_name(k)}: update projection P{sub(i)}{sub(j)}",
                        note + " The skip path's projection learns like any weight.", i=i)
            old_w.append((P.copy(), None))
            new_w.append((news[0], None))
        else:
            old_w.append((None, None))
            new_w.append((None, None))

    # the updated parameters, back in each top-level layer's order and grouping
    flat = [[p.copy() for p in ps] for ps in top_params]
    for k, c in enumerate(cols, start=1):
        new = [a for a in new_w[k - 1] if a is not None]
        for i, a in zip(c.arrays, new):
            flat[c.top][i] = a.copy()
    updated = tuple(g for g in (layer.structure(f) for layer, f in zip(net.layers, flat))
                    if g is not None)
    col_grads = []
    for k, c in enumerate(cols, start=1):
        g = grads[k]
        if c.kind in ("dense", "layernorm", "conv2d"):
            col_grads.append((g[0], g[1]))
        elif c.kind == "sum" and g:
            col_grads.append((g[0], None))
        else:
            col_grads.append((None, None))
    forward = tuple((lv(c).z[0].copy(), lv(c).a[0].copy()) for c in cols)
    deltas = tuple(dZ[k] if dZ[k] is not None else (dA[k] if dA[k] is not None
                                                      else np.zeros(cols[k - 1].units))
                   for k in range(1, C + 1))
    return Explanation(
        steps=tuple(b.steps), x=x, y=y, forward=forward, loss=float(loss),
        grads=tuple(col_grads), deltas=deltas, old_weights=tuple(old_w),
        new_weights=tuple(new_w), optimizer=hp["optimizer"], lr=float(hp["lr"]),
        kinds=tuple(c.kind for c in cols), masks=masks, training=training,
        updated_weights=updated)


def _update_step(b, hp, t, k, ps, gs, m1s, m2s, news, reg, n, idx, sym, kind, neuron, edge,
                 title, note, **extra):
    """One parameter's update by the optimizer's rule (L1/L2 only on regularised arrays)."""
    w = float(ps[n][idx])
    l1 = hp["l1"] if reg[n] else 0.0
    l2 = hp["l2"] if reg[n] else 0.0
    lines, vals = _update_lines(hp["optimizer"], w, float(gs[n][idx]), float(m1s[n][idx]),
                                float(m2s[n][idx]), t, hp["lr"], hp["momentum"], l1, l2,
                                hp["beta1"], hp["beta2"], hp["eps"], hp["rho"], sym)
    news[n][idx] = vals["w_new"]
    b.add("update", kind, k, neuron, edge, title, lines, note, **vals, **extra)


# -- forward steps ---------------------------------------------------------------------------
def _dense_forward(b, k, c, ps, prev, z, a):
    W, bias = ps
    name = c.layer.activation
    n_in = W.shape[0]
    for j in range(c.units):
        sym = [f"w{sub(i)}{DOT}{b.node_symbol(k - 1, i)}" for i in range(n_in)]
        num = [f"{_p(W[i, j])}{DOT}{_p(prev[i])}" for i in range(n_in)]
        more = f"   ({n_in} terms)" if n_in > MAX_TERMS else ""
        b.add("forward", "weighted_sum", k, j, None, f"{b.neuron_name(k, j)}: weighted sum",
              [f"z = {_join_sum(_shorten(sym) + ['b'])}{more}",
               f"z = {_join_sum(_shorten(num) + [_p(bias[j])])} = {fmt(z[j])}"],
              "Each input is multiplied by the weight of its connection; the products and "
              "the bias are added up.", z=z[j], b=bias[j])
        if name != "softmax":
            rule, numbers = _activation_lines(name, float(z[j]), float(a[j]))
            b.add("forward", "activation", k, j, None,
                  f"{b.neuron_name(k, j)}: activation ({name})", [rule, numbers],
                  f"The activation function {act.FORMULAS[name]} turns the weighted sum into "
                  "the neuron's output.", z=z[j], a=a[j])
    if name == "softmax":
        total = float(np.sum(np.exp(z)))
        lines = ["a\u2c7c = e^z\u2c7c / \u03a3\u2096 e^z\u2096",
                 f"\u03a3\u2096 e^z\u2096 = {fmt(total)}"]
        lines += [f"a{sub(j)} = e^{_p(z[j])} / {fmt(total)} = {fmt(a[j])}"
                  for j in range(c.units)][:MAX_TERMS]
        b.add("forward", "activation", k, None, None, f"{b.layer_name(k)}: softmax", lines,
              "Softmax turns the weighted sums into probabilities that add up to 1.",
              **{f"a{j}": a[j] for j in range(c.units)})


def _dropout_forward(b, k, c, prev, a, mask, training):
    rate = c.layer.rate
    scale = 1.0 / (1.0 - rate)
    if not training:
        b.add("forward", "dropout", k, None, None, f"{b.layer_name(k)}: evaluation, dropout off",
              ["a = x", "  ".join(f"a{sub(j)} = {fmt(a[j])}" for j in range(min(c.units,
                                                                                 MAX_TERMS)))],
              "In evaluation nothing is dropped: the values pass unchanged.")
        return
    kept = int(np.count_nonzero(mask))
    for j in range(c.units):
        if mask[j] == 0.0:
            lines = [f"a = x{DOT}m,  m = 0 (dropped)", f"a = {_p(prev[j])}{DOT}0 = 0"]
            note = (f"Dropped in this training step (each unit is, with probability "
                    f"{fmt(rate)}): the next layer must do without it.")
        else:
            lines = [f"a = x{DOT}m,  m = 1/(1 \u2212 p) = 1/(1 \u2212 {fmt(rate)}) = "
                     f"{fmt(scale)} (kept)",
                     f"a = {_p(prev[j])}{DOT}{fmt(scale)} = {fmt(a[j])}"]
            note = (f"Kept ({kept} of {c.units} units this step) and scaled by 1/(1 \u2212 p), "
                    "so the expected value is the same as in evaluation, where nothing is "
                    "dropped.")
        b.add("forward", "dropout", k, j, None, f"{b.neuron_name(k, j)}: "
              f"{'dropped' if mask[j] == 0.0 else 'kept'}", lines, note, x=prev[j], m=mask[j],
              a=a[j])


def _norm_forward(b, k, c, ps, prev, v):
    gain, bias = ps
    mean, std = float(v.extras["mean"][0]), float(v.extras["std"][0])
    var = float(np.mean((prev - mean) ** 2))
    xhat = v.extras["xhat"][0]
    a = v.a[0]
    n = len(prev)
    terms = _shorten([fmt(t) for t in prev])
    b.add("forward", "norm_stats", k, None, None,
          f"{b.layer_name(k)}: mean and variance of the example",
          ["\u03bc = mean(x),  \u03c3\u00b2 = mean((x \u2212 \u03bc)\u00b2),  "
           "\u03c3 = \u221a(\u03c3\u00b2 + \u03b5)",
           f"\u03bc = ({_join_sum(terms)}) / {n} = {fmt(mean)}",
           f"\u03c3\u00b2 = {fmt(var)},  \u03c3 = \u221a({fmt(var)} + {fmt(EPS)}) = {fmt(std)}"],
          "Layer norm looks at all the values of this one example together: their mean "
          "and spread.", mean=mean, var=var, std=std)
    for j in range(c.units):
        b.add("forward", "norm_unit", k, j, None, f"{b.neuron_name(k, j)}: normalise, then "
              "gain and bias",
              ["n = (x \u2212 \u03bc)/\u03c3,   a = gain\u00b7n + bias",
               f"n = ({fmt(prev[j])} \u2212 {_p(mean)}) / {fmt(std)} = {fmt(xhat[j])}",
               f"a = {_p(gain[j])}{DOT}{_p(xhat[j])} + {_p(bias[j])} = {fmt(a[j])}"],
              "n is the normalised value: after normalising, every unit has the same scale "
              "whatever the layer before did; the learned gain and bias give back whatever "
              "scale helps.",
              xhat=xhat[j], gain=gain[j], bias=bias[j], a=a[j])


def _sum_forward(b, k, c, h, f, a, ps):
    layer = c.layer
    for j in range(c.units):
        if not layer.skip:
            lines = ["a = f(h)   (skip path off)", f"a = {fmt(f[j])}"]
            note = "The skip path is switched off: the block is an ordinary stack of layers."
            vals = dict(f=f[j], a=a[j])
        elif layer.projected:
            P = ps[0]
            s = float(h @ P[:, j])
            terms = _shorten([f"{_p(h[i])}{DOT}{_p(P[i, j])}" for i in range(len(h))])
            lines = ["a = (h\u00b7P) + f(h)   (the widths differ: a learned projection P)",
                     f"h\u00b7P = {_join_sum(terms)} = {fmt(s)}",
                     f"a = {_p(s)} + {_p(f[j])} = {fmt(a[j])}"]
            note = ("The block's input goes round the bypass, through the projection P that "
                    "matches the widths, and is added to what the block's layers computed.")
            vals = dict(skip=s, f=f[j], a=a[j])
        else:
            lines = ["a = h + f(h)", f"a = {_p(h[j])} + {_p(f[j])} = {fmt(a[j])}"]
            note = ("The block's input h goes round the bypass and is added to what the "
                    "block's layers computed: the layers only have to learn a correction.")
            vals = dict(h=h[j], f=f[j], a=a[j])
        b.add("forward", "residual_sum", k, j, None, f"{b.neuron_name(k, j)}: h + f(h)", lines,
              note, **vals)


# -- backward steps --------------------------------------------------------------------------
def _da_lines(k: int, j: int, total: float, split, via_next) -> list[str]:
    """How ∂L/∂a of unit j of column k came about (plus the skip path at a block's input)."""
    if split is not None and split[0] is not None:
        block, skip = split
        return [f"\u2202L/\u2202a = \u2202L/\u2202a (through the block) + \u2202L/\u2202a "
                f"(skip path) = {_p(block[j])} + {_p(skip[j])} = {fmt(total)}"]
    return [f"\u2202L/\u2202a = {fmt(total)}   (from the next column)"]


def _dense_backward(b, k, c, ps, prev, v, da, dz, g, is_output, loss_name, da_out, split,
                    via_next, grouped=False):
    z, a = v.z[0], v.a[0]
    name = c.layer.activation
    for j in range(c.units):
        if is_output:
            if loss_name == "mse":
                d = float(act.derivative(name, z[j:j + 1], a[j:j + 1])[0])
                lines = ["\u2202L/\u2202z = \u2202L/\u2202a \u00b7 f\u2032(z)",
                         _derivative_lines(name, float(z[j]), float(a[j]), d),
                         f"\u2202L/\u2202z = {_p(da_out[j])}{DOT}{_p(d)} = {fmt(dz[j])}"]
            else:
                lines = [f"\u2202L/\u2202z = p \u2212 y = {fmt(dz[j])}"]
        else:
            d = float(act.derivative(name, z[j:j + 1], a[j:j + 1])[0])
            lines = ["\u2202L/\u2202z = \u2202L/\u2202a\u00b7f\u2032(z)"]
            lines += _da_lines(k, j, float(da[j]), split, via_next)
            lines += [_derivative_lines(name, float(z[j]), float(a[j]), d),
                      f"\u2202L/\u2202z = {_p(da[j])}{DOT}{_p(d)} = {fmt(dz[j])}"]
        lines.append(f"\u2202L/\u2202b = \u2202L/\u2202z = {fmt(dz[j])}")
        note = ("Chain rule: the loss's sensitivity to this neuron's output, times the slope "
                "of its activation, gives \u2202L/\u2202z. The bias gradient equals it.")
        if split is not None:
            note += (" A residual block starts here, so the gradient arrives along two paths "
                     "and the two add up.")
        b.add("backward", "neuron_grad", k, j, None,
              f"{b.neuron_name(k, j)}: gradient at the neuron", lines, note,
              **{"dL/dz": dz[j], "dL/db": dz[j], "dL/da": da[j] if da is not None else dz[j]})
    dW = g[0]
    if grouped:
        dense_edge_grads(b, k, prev, dz, dW)
        return
    for j in range(c.units):
        for i in range(len(prev)):
            b.add("backward", "edge_grad", k, None, (i, j),
                  f"Weight {b.neuron_name(k - 1, i)} \u2192 {b.neuron_name(k, j)}: gradient",
                  [f"\u2202L/\u2202w = {b.node_symbol(k - 1, i)}\u00b7\u2202L/\u2202z",
                   f"\u2202L/\u2202w = {_p(prev[i])}{DOT}{_p(dz[j])} = {fmt(dW[i, j])}"],
                  "A weight's gradient is the value flowing in along it times the error of "
                  "the neuron it feeds.", **{"dL/dw": dW[i, j], "w": ps[0][i, j]})


def _dropout_backward(b, k, d, dx, mask, training, split, via_next):
    for j in range(len(d)):
        lines = _da_lines(k, j, float(d[j]), split, via_next)
        if not training:
            lines = ["\u2202L/\u2202x = \u2202L/\u2202a   (evaluation: dropout off)"] + lines
            note = "Without dropping, the gradient passes unchanged."
        elif mask[j] == 0.0:
            lines = ["\u2202L/\u2202x = \u2202L/\u2202a\u00b7m"] + lines + [
                f"\u2202L/\u2202x = {_p(d[j])}{DOT}0 = 0   (dropped: no gradient flows back)"]
            note = ("A dropped unit passed nothing forward, so nothing before it is to blame: "
                    "its gradient is 0 in this step.")
        else:
            lines = ["\u2202L/\u2202x = \u2202L/\u2202a\u00b7m"] + lines + [
                f"\u2202L/\u2202x = {_p(d[j])}{DOT}{fmt(mask[j])} = {fmt(dx[j])}"]
            note = "A kept unit passes the gradient back, scaled like its value was."
        b.add("backward", "dropout_grad", k, j, None,
              f"{b.neuron_name(k, j)}: gradient through dropout", lines, note,
              **{"dL/da": d[j], "dL/dx": dx[j], "m": mask[j]})


def _norm_backward(b, k, c, ps, v, d, dx, g, split, via_next):
    gain = ps[0]
    xhat = v.extras["xhat"][0]
    std = float(v.extras["std"][0])
    gg = d * gain
    m1, m2 = float(gg.mean()), float((gg * xhat).mean())
    b.add("backward", "norm_backward", k, None, None,
          f"{b.layer_name(k)}: backward through the normalisation",
          ["g = \u2202L/\u2202a\u00b7gain,  \u1e21 = mean(g),  mean(g\u00b7n)",
           f"\u1e21 = {fmt(m1)},  mean(g\u00b7n) = {fmt(m2)},  \u03c3 = {fmt(std)}"],
          "Every unit's value depends on the mean and spread of all of them, so each input's "
          "gradient takes the whole layer into account.", gbar=m1, gxhat=m2, std=std)
    for j in range(c.units):
        lines = ["\u2202L/\u2202x = (g \u2212 \u1e21 \u2212 n\u00b7mean(g\u00b7n))"
                 "/\u03c3"]
        lines += _da_lines(k, j, float(d[j]), split, via_next)
        lines += [f"g = {_p(d[j])}{DOT}{_p(gain[j])} = {fmt(gg[j])}",
                  f"\u2202L/\u2202x = ({fmt(gg[j])} \u2212 {_p(m1)} \u2212 {_p(xhat[j])}{DOT}"
                  f"{_p(m2)}) / {fmt(std)} = {fmt(dx[j])}",
                  f"\u2202L/\u2202gain = \u2202L/\u2202a\u00b7n = {_p(d[j])}{DOT}"
                  f"{_p(xhat[j])} = {fmt(g[0][j])},   \u2202L/\u2202bias = {fmt(g[1][j])}"]
        b.add("backward", "norm_grad", k, j, None, f"{b.neuron_name(k, j)}: gradient", lines,
              "The gain and bias get their gradients like a weight and a bias; the input's "
              "gradient goes back through the normalisation.",
              **{"dL/da": d[j], "dL/dx": dx[j], "dL/dgain": g[0][j], "dL/dbias": g[1][j]})


def _sum_backward(b, k, c, d, skip):
    layer = c.layer
    n = min(len(d), MAX_TERMS)
    if not layer.skip:
        lines = ["\u2202L/\u2202f = \u2202L/\u2202a   (skip path off: one way back only)",
                 "  ".join(f"{fmt(d[j])}" for j in range(n))]
        note = ("Without the skip path the gradient must pass through every layer of the "
                "block; in a deep stack it can shrink at each one.")
    else:
        via = "\u2202L/\u2202a\u00b7P\u1d40" if layer.projected else "\u2202L/\u2202a"
        lines = [f"\u2202L/\u2202f = \u2202L/\u2202a (into the block),  "
                 f"\u2202L/\u2202h (skip) = {via}",
                 "\u2202L/\u2202a: " + "  ".join(fmt(d[j]) for j in range(n)),
                 "skip: " + "  ".join(fmt(skip[j]) for j in range(min(len(skip), MAX_TERMS)))]
        note = ("The gradient splits: one copy goes back through the block's layers, the other "
                "straight round the bypass to h, where the two add up. Even if the layers' "
                "gradient shrinks, the bypass delivers \u2202L/\u2202a intact: that is what "
                "keeps deep networks trainable.")
    b.add("backward", "residual_split", k, None, None,
          f"{b.layer_name(k)}: the gradient splits", lines, note,
          **{f"dL/da{j}": d[j] for j in range(len(d))},
          **{f"skip{j}": skip[j] for j in range(len(skip))})
    if layer.projected:
        h_note = "The projection's gradient: the input h times \u2202L/\u2202a, as for a weight."
        for j in range(len(d)):
            b.add("backward", "projection_grad", k, j, None,
                  f"{b.layer_name(k)}: gradient of projection column {j + 1}",
                  ["\u2202L/\u2202P\u1d62\u2c7c = h\u1d62\u00b7\u2202L/\u2202a\u2c7c",
                   f"\u2202L/\u2202a{sub(j)} = {fmt(d[j])}"], h_note, **{"dL/da": d[j]})
