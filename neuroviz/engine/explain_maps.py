"""Explain mode for layers on image maps: convolution, pooling, flatten (Qt-free).

A convolution computes one value per output position and filter; walking all H′×W′×F of
them as separate micro-steps would take far too long. So a map layer has **one micro-step
per filter** (pooling: per channel), and each such step carries a :class:`MapView`: the
grids to draw (the input map, the filter, the output map filling in), and the equation at
*any* focus position. The learner moves the focus (next or previous position, or a click on
a cell) within the step; :attr:`MicroStep.lines` hold the equation at the first position.

Per kind, with the real numbers of the example:

* **conv2d**: forward, the window at the position times the filter, plus the bias, is z;
  then the activation. Backward, per filter: ∂L/∂z = ∂L/∂a·f′(z) at each position, and
  ∂L/∂K = Σ over positions of ∂L/∂z(p)·(the input window at p), ∂L/∂b = Σₚ ∂L/∂z(p);
  then (unless the layer reads the network's input) ∂L/∂x per input pixel: Σ ∂L/∂z·w over
  every window covering it. Update: per filter, every weight by the optimizer's rule;
* **maxpool / globalmaxpool**: the window and its maximum; backward, the gradient goes to
  the maximum only (ties: the first in reading order);
* **avgpool / globalavgpool**: the window's average written out; backward, each value gets
  an equal share;
* **flatten**: how the map is read into a vector (row by row, channels last); backward, the
  vector's gradient is read back into the map.

Values come from ``Network.forward_all`` and each kind's ``backward``, as
``loss_and_gradients`` runs them; the terms written out are the same numbers, multiplied out
here only for display.
"""

from __future__ import annotations

import numpy as np

from neuroviz.engine.explain_map_grads import (
    ConvGradView,
    ConvInputGradView,
    FilterUpdateView,
    PoolGradView,
)
from neuroviz.engine.explain_map_views import (
    TIMES,
    ConvView,
    FlattenView,
    Grid,
    InputView,
    MapView,
    Mark,
    PoolView,
    conv_geometry,
    pool_geometry,
)
from neuroviz.engine.explain_steps import (
    _UPDATE_NOTES,
    DOT,
    MicroStep,
    _p,
    _update_lines,
    fmt,
    sub,
)

__all__ = ["MAP_KINDS", "Grid", "MapView", "Mark", "dense_edge_grads", "dense_weight_updates",
           "map_backward", "map_forward", "map_input_step", "map_update"]

#: The layer kinds explained on maps.
MAP_KINDS = ("conv2d", "maxpool", "avgpool", "globalmaxpool", "globalavgpool", "flatten")
D = "\u2202"


# ------------------------------------------------------------------------------- step builders
def _add(b, phase, kind, k, neuron, title, view: MapView, note) -> None:
    """Append a micro-step carrying ``view`` (its lines and values at the first position)."""
    pos = view.start
    b.steps.append(MicroStep(len(b.steps), phase, kind, k, neuron, None, title,
                             tuple(view.lines(pos)), note,
                             {key: float(v) for key, v in view.values(pos).items()},
                             map_view=view))


def _map(flat: np.ndarray, shape) -> np.ndarray:
    return np.asarray(flat, dtype=np.float64).reshape(shape)


def map_input_step(b, x: np.ndarray, shape: tuple[int, int, int]) -> None:
    """The input step of a network whose input is an image."""
    view = InputView(_map(x, shape))
    _add(b, "forward", "input", 0, None, "Input: the example's image", view,
         "The image enters the network: one value per pixel and channel. Move the focus to "
         "read any pixel.")


def map_forward(b, k: int, layer, params, prev: np.ndarray, values) -> None:
    """Forward micro-steps of map layer ``layer`` (column ``k``)."""
    kind = layer.kind
    x = _map(prev, layer.in_shape)
    name = b.layer_name(k)
    if kind == "conv2d":
        K, bias = params
        g = conv_geometry(layer)
        z = _map(values.z[0], layer.out_shape)
        a = _map(values.a[0], layer.out_shape)
        spec = layer.spec()
        F = K.shape[3]
        if spec.get("padding", "valid") == "same":
            size = (f"same padding: H\u2032 = \u2308H / stride\u2309 = \u2308{g.H} / "
                    f"{g.stride}\u2309 = {g.Ho} (zeros around the image: {g.pad[0]} above, "
                    f"{g.pad[2]} below)")
        else:
            size = (f"valid: H\u2032 = (H \u2212 k) / stride + 1 = ({g.H} \u2212 {g.kh}) / "
                    f"{g.stride} + 1 = {g.Ho}")
        b.add("forward", "conv_shape", k, None, None,
              f"{name}: {F} filter{'s' if F > 1 else ''} of {g.kh}{TIMES}{g.kw}"
              f"{TIMES}{g.C}",
              [f"{g.H}{TIMES}{g.W}{TIMES}{g.C} \u2192 {g.Ho}{TIMES}{g.Wo}{TIMES}{F}", size,
               f"{F} filters {TIMES} {g.Ho}{TIMES}{g.Wo} positions = {F * g.Ho * g.Wo} values"],
              "Each filter slides over the input position by position; at each position it "
              "multiplies the window by its weights and adds them up. One output map per "
              "filter.", H=g.H, W=g.W, Ho=g.Ho, Wo=g.Wo, filters=F)
        for f in range(F):
            view = ConvView(g, x, K, bias, z, a, f, layer.activation)
            _add(b, "forward", "conv_window", k, f, f"{name}, filter {f + 1}: the filter slides",
                 view, "The window's values times the filter's weights, added up with the "
                 "bias, give z; the activation turns z into the feature map's value. Move "
                 "the focus to slide the filter.")
    elif kind == "flatten":
        _add(b, "forward", "flatten", k, None, f"{name}: the map becomes a vector",
             FlattenView(x, values.a[0]),
             "Flatten reads the map row by row (at each pixel all its channels) into one long "
             "vector, so that dense layers can follow. No numbers change.")
    else:
        g = pool_geometry(layer)
        a = _map(values.a[0], layer.out_shape if len(layer.out_shape) == 3
                 else (1, 1, layer.out_shape[0]))
        argmax = values.extras.get("argmax")
        argmax = None if argmax is None else np.asarray(argmax)[0]
        note = ("Max pooling keeps the largest value of each window: whether a feature was "
                "found somewhere here, not exactly where." if "max" in kind else
                "Average pooling keeps the mean of each window: a smaller, smoother map.")
        for c in range(g.C):
            view = PoolView(kind, g, x, a, argmax, c)
            _add(b, "forward", "pool_window", k, c, f"{name}, channel {c + 1}", view, note)


def map_backward(b, k: int, layer, params, prev: np.ndarray, values, da: np.ndarray,
                 dz: np.ndarray, grads, dx: np.ndarray, first: bool) -> None:
    """Backward micro-steps of map layer ``layer`` (column ``k``); ``da`` is dL/d(output),
    ``dz`` dL/dz, ``grads`` the parameter gradients and ``dx`` dL/d(input), all as the
    layer's ``dz_from_da`` and ``backward`` computed them."""
    kind = layer.kind
    x = _map(prev, layer.in_shape)
    name = b.layer_name(k)
    if kind == "conv2d":
        K, _ = params
        g = conv_geometry(layer)
        shape = layer.out_shape
        for f in range(K.shape[3]):
            view = ConvGradView(g, x, _map(da, shape), _map(values.z[0], shape),
                                _map(values.a[0], shape), _map(dz, shape), grads[0], grads[1],
                                f, layer.activation)
            _add(b, "backward", "conv_filter_grad", k, f,
                 f"{name}, filter {f + 1}: gradient of the filter", view,
                 "The same filter was used at every position, so its gradient adds up the "
                 "contributions of all positions: each position's \u2202L/\u2202z times the "
                 "input window there. Move the focus to see each position's term.")
        if not first:
            view = ConvInputGradView(g, K, _map(dz, shape), _map(dx, layer.in_shape))
            _add(b, "backward", "conv_input_grad", k, None,
                 f"{name}: gradient passed back to its input", view,
                 "Each input pixel fed every window that covers it, through the filter "
                 "weight sitting on it: its gradient adds those paths up.")
    elif kind == "flatten":
        _add(b, "backward", "flatten_grad", k, None, f"{name}: the gradient back into the map",
             FlattenView(_map(dx, layer.in_shape), da, gradient=True),
             "Flatten only moved the values, so each gradient goes back to where its value "
             "came from.")
    else:
        g = pool_geometry(layer)
        out_shape = layer.out_shape if len(layer.out_shape) == 3 else (1, 1, layer.out_shape[0])
        argmax = values.extras.get("argmax")
        argmax = None if argmax is None else np.asarray(argmax)[0]
        for c in range(g.C):
            fwd = PoolView(kind, g, x, _map(values.a[0], out_shape), argmax, c)
            view = PoolGradView(fwd, _map(da, out_shape), _map(dx, layer.in_shape))
            note = ("The maximum alone decided the output, so the gradient flows back to it "
                    "alone; the other values of the window get 0." if fwd.is_max else
                    "Every value of the window counted equally, so the gradient is shared "
                    "out equally.")
            _add(b, "backward", "pool_grad", k, c, f"{name}, channel {c + 1}: gradient", view,
                 note)


def map_update(b, hp: dict, t: int, k: int, layer, params, grads, m1s, m2s) -> list:
    """Update micro-steps of a conv2d layer (one per filter); return the new (K, b)."""
    K, bias = params
    dK, db = grads
    K_new, b_new = K.copy(), bias.copy()
    reg = layer.regularised()
    name = b.layer_name(k)

    def rule(w, g, m1, m2, sym, regularised):
        l1 = hp["l1"] if regularised else 0.0
        l2 = hp["l2"] if regularised else 0.0
        return _update_lines(hp["optimizer"], float(w), float(g), float(m1), float(m2), t,
                             hp["lr"], hp["momentum"], l1, l2, hp["beta1"], hp["beta2"],
                             hp["eps"], hp["rho"], sym)

    for f in range(K.shape[3]):
        lines = {}
        for u, v, c in np.ndindex(*K.shape[:3]):
            idx = (u, v, c, f)
            text, vals = rule(K[idx], dK[idx], m1s[0][idx], m2s[0][idx], "w", reg[0])
            K_new[idx] = vals["w_new"]
            lines[(u, v, c)] = tuple(text)
        text, vals = rule(bias[f], db[f], m1s[1][f], m2s[1][f], "b", reg[1])
        b_new[f] = vals["w_new"]
        view = FilterUpdateView(K, dK, K_new, f, lines, text)
        _add(b, "update", "update_filter", k, f, f"{name}: update filter {f + 1}", view,
             _UPDATE_NOTES[hp["optimizer"]] + " Every weight of the filter and its bias move "
             "at once; move the focus to read each weight's update.")
    return [K_new, b_new]


# ------------------------------------------------------------------------------- dense on maps
def _biggest(values: np.ndarray) -> int:
    return int(np.argmax(np.abs(values)))


def dense_edge_grads(b, k: int, prev: np.ndarray, dz: np.ndarray, dW: np.ndarray) -> None:
    """The weight gradients of a dense layer reading a map, one step per neuron (a map has
    too many values for one step per weight)."""
    n = len(prev)
    for j in range(len(dz)):
        big = _biggest(dW[:, j])
        shown = [i for i in range(min(n, 3))] + ([big] if big >= 3 else [])
        lines = [f"{D}L/{D}wᵢ = vᵢ{DOT}{D}L/{D}z   (for each of the {n} weights "
                 f"into this neuron; {D}L/{D}z = {fmt(dz[j])})"]
        lines += [f"{D}L/{D}w{sub(i)} = {_p(prev[i])}{DOT}{_p(dz[j])} = {fmt(dW[i, j])}"
                  + ("   (the largest)" if i == big else "") for i in shown]
        b.add("backward", "edge_grads", k, j, None,
              f"{b.neuron_name(k, j)}: gradients of its {n} weights", lines,
              "A weight's gradient is the value flowing in along it times the error of the "
              "neuron it feeds; here all the weights into this neuron at once.",
              **{"dL/dz": dz[j], "dL/dw_max": dW[big, j], "i_max": big})


def dense_weight_updates(b, hp: dict, t: int, k: int, ps, gs, m1s, m2s, news, reg) -> None:
    """The update of a dense layer reading a map, one step per neuron for its weights (the
    weight with the largest gradient written out), and its bias."""
    W, bias = ps
    dW, db = gs

    def rule(w, g, m1, m2, sym, regularised):
        l1 = hp["l1"] if regularised else 0.0
        l2 = hp["l2"] if regularised else 0.0
        return _update_lines(hp["optimizer"], float(w), float(g), float(m1), float(m2), t,
                             hp["lr"], hp["momentum"], l1, l2, hp["beta1"], hp["beta2"],
                             hp["eps"], hp["rho"], sym)

    note = _UPDATE_NOTES[hp["optimizer"]]
    for j in range(W.shape[1]):
        big = _biggest(dW[:, j])
        shown = None
        for i in range(W.shape[0]):
            text, vals = rule(W[i, j], dW[i, j], m1s[0][i, j], m2s[0][i, j], "w", reg[0])
            news[0][i, j] = vals["w_new"]
            if i == big:
                shown = (text, vals)
        text, vals = shown
        b.add("update", "update_weights", k, j, None,
              f"Update the {W.shape[0]} weights into {b.neuron_name(k, j)}",
              [f"each weight by the same rule; written out: w{sub(big)}, the one with the "
               "largest gradient", *text], note, **vals, i=big)
        text, vals = rule(bias[j], db[j], m1s[1][j], m2s[1][j], "b", reg[1])
        news[1][j] = vals["w_new"]
        b.add("update", "update_bias", k, j, None, f"Update bias of {b.neuron_name(k, j)}",
              text, note + " Biases are not regularised.", **vals)
