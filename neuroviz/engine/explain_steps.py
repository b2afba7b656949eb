"""The parts of explain mode's explanations: micro-steps, the explanation, number formatting,
and the text of activations, losses and optimizer updates (shared by :mod:`.explain`, which
explains dense stacks, and :mod:`.explain_kinds`, which explains every other layer kind)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine import losses

__all__ = ["PHASES", "Explanation", "MicroStep", "fmt", "loss_step", "optimizer_state_from_trainer",
           "output_grad_step", "sub"]

PHASES = ("forward", "backward", "update")
#: Weighted sums with more terms than this are shown shortened (all terms still count).
MAX_TERMS = 8
MINUS = "\u2212"
DOT = "\u00b7"
ARROW = "\u2190"
_SUB = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")
_SUP = str.maketrans("0123456789-+", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078"
                                     "\u2079\u207b\u207a")


# ----------------------------------------------------------------------------- formatting
def fmt(value: float, digits: int = 4) -> str:
    """A readable number: 4 significant digits, Unicode minus, ``1.2×10⁻⁵`` for tiny values."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "\u221e" if v > 0 else MINUS + "\u221e"
    if v == 0.0:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}\u00d710{str(int(exponent)).translate(_SUP)}"
    return text.replace("-", MINUS)


def _p(value: float) -> str:
    """A number inside a product or sum: negative ones in parentheses."""
    text = fmt(value)
    return f"({text})" if text.startswith(MINUS) else text


def sub(n: int) -> str:
    """1-based subscript: ``sub(0) == '₁'``."""
    return str(n + 1).translate(_SUB)


def _shorten(terms: list[str]) -> list[str]:
    if len(terms) <= MAX_TERMS:
        return terms
    return terms[:3] + ["\u2026"] + terms[-2:]


def _join_sum(terms: list[str]) -> str:
    out = terms[0]
    for t in terms[1:]:
        out += " + " + t
    return out


# ----------------------------------------------------------------------------- data types
@dataclass(frozen=True)
class MicroStep:
    """One micro-step of the explanation.

    Attributes
    ----------
    index : int
        Position in :attr:`Explanation.steps`.
    phase : {"forward", "backward", "update"}
    kind : str
        "input", "weighted_sum", "activation", "loss", "output_grad", "neuron_grad",
        "edge_grad", "update_weight" or "update_bias".
    node_layer : int
        Node layer in focus (0 = inputs, k >= 1 = dense layer k).
    neuron : int or None
        Neuron in focus (``None`` with an edge, or for a whole layer).
    edge : (i, j) or None
        The connection from node ``i`` of layer ``node_layer − 1`` to node ``j`` of ``node_layer``.
    title : str
        What this step is about ("Hidden layer 1, neuron 2: weighted sum").
    lines : tuple of str
        The equation(s): the general rule first, then the same with the numbers.
    note : str
        One or two plain sentences explaining the step.
    values : dict
        The exact float64 numbers of this step (e.g. ``{"z": 0.13}``), for tests and tooltips.
    map_view : MapView or None
        Layers on image maps (convolution, pooling, flatten): the grids to draw and the
        equation at any focus position (:mod:`neuroviz.engine.explain_maps`); ``lines`` and
        ``values`` are those at its first position.
    """

    index: int
    phase: str
    kind: str
    node_layer: int
    neuron: int | None
    edge: tuple[int, int] | None
    title: str
    lines: tuple[str, ...]
    note: str = ""
    values: dict[str, float] = field(default_factory=dict)
    map_view: Any = field(default=None, compare=False, repr=False)

    @property
    def group(self) -> tuple[str, int]:
        """Steps with the same group belong to one layer of one phase (for next/previous layer)."""
        return (self.phase, self.node_layer)


@dataclass(frozen=True)
class Explanation:
    """The whole explained training step on one example."""

    steps: tuple[MicroStep, ...]
    x: np.ndarray
    y: np.ndarray
    forward: tuple[tuple[np.ndarray, np.ndarray], ...]  # (z, a) per dense layer, shape (units,)
    loss: float
    grads: tuple[tuple[np.ndarray, np.ndarray], ...]  # (dW, db) per dense layer
    deltas: tuple[np.ndarray, ...]  # dL/dz per dense layer
    old_weights: tuple[tuple[np.ndarray, np.ndarray], ...]
    new_weights: tuple[tuple[np.ndarray, np.ndarray], ...]
    optimizer: str
    lr: float
    #: Per column k >= 1 (see :func:`explain_columns`): its kind ("dense", "dropout",
    #: "layernorm", "sum"); a dense stack has only "dense".
    kinds: tuple[str, ...] = ()
    #: Dropout columns' masks for this example (0 = dropped, else 1/(1 − rate)).
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    #: Whether dropout was applied (a training step) or not (evaluation).
    training: bool = False
    #: The weights after the update grouped like ``Network.get_weights`` (None for a dense
    #: stack, whose ``new_weights`` are already grouped so).
    updated_weights: tuple | None = None

    def network_weights(self) -> list:
        """The weights after the whole update, grouped like ``Network.get_weights``."""
        if self.updated_weights is not None:
            return list(self.updated_weights)
        return [(W.copy(), b.copy()) for W, b in self.new_weights]

    def __len__(self) -> int:
        return len(self.steps)

    def first_of(self, phase: str) -> int:
        """Index of the first step of ``phase`` ("forward", "backward", "update")."""
        for s in self.steps:
            if s.phase == phase:
                return s.index
        raise ValueError(f"no {phase} steps")

    def last_of(self, phase: str) -> int:
        for s in reversed(self.steps):
            if s.phase == phase:
                return s.index
        raise ValueError(f"no {phase} steps")

    def next_group(self, index: int) -> int:
        """First step of the next layer (or phase); stays at the end."""
        group = self.steps[index].group
        for s in self.steps[index + 1:]:
            if s.group != group:
                return s.index
        return len(self.steps) - 1

    def previous_group(self, index: int) -> int:
        """Start of the current layer, or of the previous one when already at its start."""
        group = self.steps[index].group
        start = index
        while start > 0 and self.steps[start - 1].group == group:
            start -= 1
        if start < index:
            return start
        if start == 0:
            return 0
        prev = self.steps[start - 1].group
        while start > 0 and self.steps[start - 1].group == prev:
            start -= 1
        return start

    def node_values(self, index: int) -> list[np.ndarray]:
        """Per node layer, the forward values known at step ``index`` (NaN = not yet computed)."""
        sizes = [len(self.x)] + [len(a) for _, a in self.forward]
        out = [np.full(n, np.nan) for n in sizes]
        for s in self.steps[: index + 1]:
            if s.kind == "input":
                out[0][:] = self.x
            elif s.kind == "activation" and s.neuron is not None:
                out[s.node_layer][s.neuron] = self.forward[s.node_layer - 1][1][s.neuron]
            elif s.kind == "activation":  # a whole softmax layer at once
                out[s.node_layer][:] = self.forward[s.node_layer - 1][1]
        return out

    def known_gradients(self, index: int) -> list[tuple]:
        """Per column k >= 1, (edge gradient, bias gradient) revealed up to step ``index``
        (0 where not yet computed; None where the column has no such parameter)."""
        out = [(None if g is None else np.zeros_like(g), None if d is None else np.zeros_like(d))
               for g, d in self.grads]
        for s in self.steps[: index + 1]:
            k = s.node_layer - 1
            if s.kind == "edge_grad":
                i, j = s.edge
                out[k][0][i, j] = self.grads[k][0][i, j]
            elif s.kind == "neuron_grad" and out[k][1] is not None:
                out[k][1][s.neuron] = self.grads[k][1][s.neuron]
            elif s.kind == "norm_grad":
                j = s.neuron
                out[k][0][j] = self.grads[k][0][j]
                out[k][1][j] = self.grads[k][1][j]
            elif s.kind == "projection_grad":
                out[k][0][:, s.neuron] = self.grads[k][0][:, s.neuron]
            elif s.kind == "edge_grads":  # all the weights into one neuron
                out[k][0][:, s.neuron] = self.grads[k][0][:, s.neuron]
            elif s.kind == "conv_filter_grad":  # a whole filter and its bias
                out[k][0][..., s.neuron] = self.grads[k][0][..., s.neuron]
                out[k][1][s.neuron] = self.grads[k][1][s.neuron]
        return out

    def weights_at(self, index: int) -> list[tuple]:
        """Weights with the updates up to step ``index`` applied (old values elsewhere)."""
        out = [(None if W is None else W.copy(), None if b is None else b.copy())
               for W, b in self.old_weights]
        for s in self.steps[: index + 1]:
            k = s.node_layer - 1
            if s.kind == "update_weight":
                i, j = s.edge
                out[k][0][i, j] = self.new_weights[k][0][i, j]
            elif s.kind == "update_bias":
                out[k][1][s.neuron] = self.new_weights[k][1][s.neuron]
            elif s.kind == "update_gain":
                out[k][0][s.neuron] = self.new_weights[k][0][s.neuron]
            elif s.kind == "update_projection":
                i = int(s.values["i"])
                out[k][0][i, s.neuron] = self.new_weights[k][0][i, s.neuron]
            elif s.kind == "update_weights":  # all the weights into one neuron
                out[k][0][:, s.neuron] = self.new_weights[k][0][:, s.neuron]
            elif s.kind == "update_filter":  # a whole filter and its bias
                out[k][0][..., s.neuron] = self.new_weights[k][0][..., s.neuron]
                out[k][1][s.neuron] = self.new_weights[k][1][s.neuron]
        return out


# ----------------------------------------------------------------------------- activation text
def _activation_lines(name: str, z: float, a: float) -> tuple[str, str]:
    """The rule and the rule with numbers for ``a = f(z)``."""
    zs, az = fmt(z), fmt(a)
    if name == "linear":
        return "a = z", f"a = {zs}"
    if name == "relu":
        return "a = max(0, z)", f"a = max(0, {zs}) = {az}"
    if name == "leaky_relu":
        slope = fmt(act.LEAKY_SLOPE)
        return (f"a = max({slope}{DOT}z, z)",
                f"a = max({slope}{DOT}{_p(z)}, {zs}) = {az}")
    if name == "elu":
        if z > 0:
            return "a = z   (z > 0)", f"a = {zs}"
        return "a = e\u1dbb \u2212 1   (z \u2264 0)", f"a = e^{_p(z)} \u2212 1 = {az}"
    if name == "tanh":
        return "a = tanh(z)", f"a = tanh({zs}) = {az}"
    if name == "sigmoid":
        return ("a = 1 / (1 + e\u207b\u1dbb)",
                f"a = 1 / (1 + e^{_p(-z)}) = {az}")
    if name == "softplus":
        return "a = ln(1 + e\u1dbb)", f"a = ln(1 + e^{_p(z)}) = {az}"
    if name == "swish":
        s = float(act.apply("sigmoid", np.array([z]))[0])
        return "a = z\u00b7sigmoid(z)", f"a = {_p(z)}{DOT}{fmt(s)} = {az}"
    if name == "gelu":
        phi = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
        return ("a = z\u00b7\u03a6(z)",
                f"a = {_p(z)}{DOT}\u03a6({zs}) = {_p(z)}{DOT}{fmt(phi)} = {az}")
    if name == "sine":
        return "a = sin(z)", f"a = sin({zs}) = {az}"
    if name == "gaussian":
        return "a = e^(\u2212z\u00b2)", f"a = e^(\u2212{_p(z)}\u00b2) = {az}"
    raise ValueError(f"no explanation for activation {name!r}")


def _derivative_lines(name: str, z: float, a: float, d: float) -> str:
    """``f′(z) = rule = numbers = value``."""
    ds = fmt(d)
    if name == "linear":
        return "f\u2032(z) = 1"
    if name == "relu":
        return (f"f\u2032(z) = 1   (z = {fmt(z)} > 0)" if z > 0
                else f"f\u2032(z) = 0   (z = {fmt(z)} \u2264 0)")
    if name == "leaky_relu":
        return (f"f\u2032(z) = 1   (z = {fmt(z)} > 0)" if z > 0
                else f"f\u2032(z) = {fmt(act.LEAKY_SLOPE)}   (z = {fmt(z)} \u2264 0)")
    if name == "elu":
        return (f"f\u2032(z) = 1   (z = {fmt(z)} > 0)" if z > 0
                else f"f\u2032(z) = a + 1 = {fmt(a)} + 1 = {ds}")
    if name == "tanh":
        return f"f\u2032(z) = 1 \u2212 a\u00b2 = 1 \u2212 {_p(a)}\u00b2 = {ds}"
    if name == "sigmoid":
        return f"f\u2032(z) = a\u00b7(1 \u2212 a) = {_p(a)}{DOT}(1 \u2212 {_p(a)}) = {ds}"
    if name == "softplus":
        return f"f\u2032(z) = sigmoid(z) = sigmoid({fmt(z)}) = {ds}"
    if name == "swish":
        s = float(act.apply("sigmoid", np.array([z]))[0])
        return (f"f\u2032(z) = s + z\u00b7s\u00b7(1 \u2212 s), s = sigmoid(z) = {fmt(s)};  "
                f"f\u2032 = {ds}")
    if name == "gelu":
        return f"f\u2032(z) = \u03a6(z) + z\u00b7\u03c6(z) = {ds}"
    if name == "sine":
        return f"f\u2032(z) = cos(z) = cos({fmt(z)}) = {ds}"
    if name == "gaussian":
        return f"f\u2032(z) = \u22122z\u00b7a = \u22122\u00b7{_p(z)}\u00b7{_p(a)} = {ds}"
    raise ValueError(f"no derivative text for activation {name!r}")


# ----------------------------------------------------------------------------- optimizer state
def optimizer_state_from_trainer(trainer: Any) -> dict[str, Any]:
    """The trainer's optimizer state per dense layer, in the form :func:`explain` takes.

    Returns ``{"m1": [(W-shaped, b-shaped), ...], "m2": [...], "t": steps}``: ``m1`` is the
    velocity (momentum, Nesterov) or Adam's first moment, ``m2`` RMSprop's running square or
    Adam's second moment, ``t`` the number of optimizer steps taken so far.
    """
    from neuroviz.engine import kernels as K

    net = trainer.net
    out: dict[str, Any] = {"m1": [], "m2": [], "t": int(trainer._counters[K.C_T])}
    for layer, offs in zip(net.layers, net.param_offsets):
        for key, flat in (("m1", trainer._m1), ("m2", trainer._m2)):
            pieces = []
            for shape, off in zip(layer.param_shapes(), offs):
                size = int(np.prod(shape))
                pieces.append(np.array(flat[off:off + size]).reshape(shape))
            out[key].append(tuple(pieces))
    return out


# ----------------------------------------------------------------------------- the builder
class _Builder:
    def __init__(self, names_in: list[str], names_out: list[str], n_layers: int) -> None:
        self.steps: list[MicroStep] = []
        self.names_in = names_in
        self.names_out = names_out
        self.n_layers = n_layers

    def add(self, phase, kind, k, neuron, edge, title, lines, note="", **values) -> None:
        self.steps.append(MicroStep(len(self.steps), phase, kind, k, neuron, edge, title,
                                    tuple(lines), note, {key: float(v) for key, v in
                                                         values.items()}))

    def layer_name(self, k: int) -> str:
        if k == 0:
            return "Input"
        if k == self.n_layers:
            return "Output layer"
        return f"Hidden layer {k}"

    def neuron_name(self, k: int, j: int) -> str:
        if k == 0:
            return f"input {self.names_in[j]}" if j < len(self.names_in) else f"input {j + 1}"
        if k == self.n_layers and j < len(self.names_out):
            return f"output \u201c{self.names_out[j]}\u201d"
        return f"{self.layer_name(k)}, neuron {j + 1}"

    def node_symbol(self, k: int, i: int) -> str:
        return f"x{sub(i)}" if k == 0 else f"a{sub(i)}"


def loss_step(b: _Builder, loss_name: str, z_out: np.ndarray, a_out: np.ndarray,
              y: np.ndarray, names_out: list[str], L: int) -> float:
    """Add the "Output and loss" step; return the example's loss."""
    loss = losses.loss_value(loss_name, z_out[None, :], a_out[None, :], y[None, :])
    n_out = len(a_out)
    if loss_name == "mse":
        terms = _shorten([f"({fmt(a_out[j])} \u2212 {_p(y[j])})\u00b2" for j in range(n_out)])
        rule = "L = mean over outputs of (a \u2212 y)\u00b2" if n_out > 1 else \
            "L = (a \u2212 y)\u00b2"
        lines = [rule,
                 (f"L = ({_join_sum(terms)}) / {n_out} = {fmt(loss)}" if n_out > 1
                  else f"L = {terms[0]} = {fmt(loss)}")]
        note = "Mean squared error: the squared distance between prediction and truth."
    elif loss_name == "bce":
        parts = [f"{_p(y[j])}{DOT}ln {fmt(a_out[j])} + (1 \u2212 {_p(y[j])}){DOT}"
                 f"ln(1 \u2212 {fmt(a_out[j])})" for j in range(n_out)]
        lines = ["L = \u2212(y\u00b7ln p + (1 \u2212 y)\u00b7ln(1 \u2212 p))",
                 f"L = \u2212({_join_sum(_shorten(parts))})"
                 + (f" / {n_out}" if n_out > 1 else "") + f" = {fmt(loss)}"]
        note = ("Binary cross-entropy: small when the predicted probability p of the true "
                "class is close to 1, large when the network is confidently wrong.")
    else:
        c = int(np.argmax(y))
        lines = ["L = \u2212\u03a3\u2c7c y\u2c7c\u00b7ln p\u2c7c"]
        if np.count_nonzero(y) == 1 and y[c] == 1.0:
            lines.append(f"L = \u2212ln p{sub(c)} = \u2212ln {fmt(a_out[c])} = {fmt(loss)}")
        else:
            parts = [f"{_p(y[j])}{DOT}ln {fmt(a_out[j])}" for j in range(n_out) if y[j] != 0]
            lines.append(f"L = \u2212({_join_sum(_shorten(parts))}) = {fmt(loss)}")
        note = ("Cross-entropy: minus the log of the probability the network gives the true "
                "class.")
    out_vals = "  ".join(f"{(names_out[j] if j < len(names_out) else 'a' + sub(j))} = "
                         f"{fmt(a_out[j])} (target {fmt(y[j])})" for j in range(n_out))
    b.add("forward", "loss", L, None, None, f"Output and loss ({loss_name})",
          [out_vals] + lines, note, loss=loss,
          **{f"a{j}": a_out[j] for j in range(n_out)})

    return float(loss)


def output_grad_step(b: _Builder, loss_name: str, out_activation: str, z_out: np.ndarray,
                     a_out: np.ndarray, y: np.ndarray, L: int) -> tuple[Any, np.ndarray]:
    """Add the step where backpropagation starts; return (dL/da or None, dL/dz) of the output."""
    n_out = len(a_out)
    delta_out = losses.grad_z(loss_name, out_activation, z_out[None, :], a_out[None, :],
                              y[None, :])[0]
    if loss_name == "mse":
        da = 2.0 / n_out * (a_out - y)
        k_text = f"2(a \u2212 y)/{n_out}" if n_out > 1 else "2(a \u2212 y)"
        lines = [f"\u2202L/\u2202a = {k_text}"] + [
            f"\u2202L/\u2202a{sub(j)} = 2{DOT}({fmt(a_out[j])} \u2212 {_p(y[j])})"
            + (f"/{n_out}" if n_out > 1 else "") + f" = {fmt(da[j])}"
            for j in range(n_out)][:MAX_TERMS]
        note = "How much the loss changes when each output changes: the start of backpropagation."
        values = {f"dL/da{j}": da[j] for j in range(n_out)}
    else:
        da = None
        div = f"/{n_out}" if (loss_name == "bce" and n_out > 1) else ""
        lines = [f"\u2202L/\u2202z = (p \u2212 y){div}   "
                 f"({'sigmoid' if loss_name == 'bce' else 'softmax'} and cross-entropy "
                 "simplify together)"] + [
            f"\u2202L/\u2202z{sub(j)} = ({fmt(a_out[j])} \u2212 {_p(y[j])}){div} = "
            f"{fmt(delta_out[j])}" for j in range(n_out)][:MAX_TERMS]
        note = ("With this output activation and loss the chain rule collapses: the gradient "
                "at each output is the prediction minus the truth.")
        values = {f"dL/dz{j}": delta_out[j] for j in range(n_out)}
    b.add("backward", "output_grad", L, None, None, "Backward pass starts: \u2202L/\u2202(output)",
          lines, note, **values)

    return da, delta_out


_UPDATE_NOTES = {
    "sgd": "Gradient descent: step against the gradient, scaled by the learning rate.",
    "momentum": "Momentum: a velocity that remembers past steps builds up speed downhill.",
    "nesterov": "Nesterov momentum: the velocity step, plus a look-ahead gradient step.",
    "rmsprop": "RMSprop: the step is divided by a running size of recent gradients, so every "
               "weight moves at a similar pace.",
    "adam": "Adam: momentum (m) and a running gradient size (v), both bias-corrected.",
}


def _update_lines(opt, w, grad, m1, m2, t, lr, mu, l1, l2, b1, b2, eps, rho, sym):
    """The update of one parameter, exactly as the engine's optimizer does it."""
    lines = []
    g = grad + l2 * w + l1 * float((w > 0.0) - (w < 0.0))
    vals: dict[str, float] = {"w_old": w, "grad": grad, "g": g, "lr": lr}
    if l1 or l2:
        lines.append(f"g = \u2202L/\u2202{sym} + l2\u00b7{sym} + l1\u00b7sign({sym}) = "
                     f"{_p(grad)} + "
                     f"{fmt(l2)}\u00b7{_p(w)} + {fmt(l1)}\u00b7{fmt(float(np.sign(w)))} = {fmt(g)}")
    else:
        lines.append(f"g = \u2202L/\u2202{sym} = {fmt(g)}")
    if opt == "sgd":
        new = w - lr * g
        lines += [f"{sym} {ARROW} {sym} \u2212 lr\u00b7g",
                  f"{sym} {ARROW} {fmt(w)} \u2212 {fmt(lr)}{DOT}{_p(g)} = {fmt(new)}"]
    elif opt in ("momentum", "nesterov"):
        v = mu * m1 - lr * g
        vals.update(v_old=m1, v=v, mu=mu)
        lines.append(f"v {ARROW} \u03bc\u00b7v \u2212 lr\u00b7g = {fmt(mu)}{DOT}{_p(m1)} \u2212 "
                     f"{fmt(lr)}{DOT}{_p(g)} = {fmt(v)}")
        if opt == "momentum":
            new = w + v
            lines.append(f"{sym} {ARROW} {sym} + v = {fmt(w)} + {_p(v)} = {fmt(new)}")
        else:
            new = w + (v + (mu * v - lr * g - v))  # the engine's exact expression
            lines.append(f"{sym} {ARROW} {sym} + \u03bc\u00b7v \u2212 lr\u00b7g = {fmt(w)} + "
                         f"{fmt(mu)}{DOT}{_p(v)} \u2212 {fmt(lr)}{DOT}{_p(g)} = {fmt(new)}")
    elif opt == "rmsprop":
        s = rho * m2 + (1.0 - rho) * g * g
        new = w - lr * g / (math.sqrt(s) + eps)
        vals.update(s_old=m2, s=s, rho=rho)
        lines += [f"s {ARROW} \u03c1\u00b7s + (1 \u2212 \u03c1)\u00b7g\u00b2 = "
                  f"{fmt(rho)}{DOT}{_p(m2)} + "
                  f"{fmt(1 - rho)}{DOT}{_p(g)}\u00b2 = {fmt(s)}",
                  f"{sym} {ARROW} {sym} \u2212 lr\u00b7g / (\u221as + \u03b5) = {fmt(w)} \u2212 "
                  f"{fmt(lr)}{DOT}{_p(g)} / ({fmt(math.sqrt(s))} + {fmt(eps)}) = {fmt(new)}"]
    else:  # adam
        m = b1 * m1 + (1.0 - b1) * g
        v = b2 * m2 + (1.0 - b2) * g * g
        c1 = 1.0 / (1.0 - b1 ** t)
        c2 = 1.0 / (1.0 - b2 ** t)
        m_hat = m * c1
        v_hat = v * c2
        new = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        vals.update(m_old=m1, v_old=m2, m=m, v=v, m_hat=m_hat, v_hat=v_hat, t=t)
        lines += [f"m {ARROW} \u03b2\u2081\u00b7m + (1 \u2212 \u03b2\u2081)\u00b7g = "
                  f"{fmt(b1)}{DOT}{_p(m1)} + "
                  f"{fmt(1 - b1)}{DOT}{_p(g)} = {fmt(m)}",
                  f"v {ARROW} \u03b2\u2082\u00b7v + (1 \u2212 \u03b2\u2082)\u00b7g\u00b2 = "
                  f"{fmt(b2)}{DOT}{_p(m2)} + "
                  f"{fmt(1 - b2)}{DOT}{_p(g)}\u00b2 = {fmt(v)}",
                  f"m\u0302 = m/(1 \u2212 \u03b2\u2081\u1d57) = {fmt(m_hat)},   "
                  f"v\u0302 = v/(1 \u2212 \u03b2\u2082\u1d57) = {fmt(v_hat)}   (t = {t})",
                  f"{sym} {ARROW} {sym} \u2212 lr\u00b7m\u0302 / (\u221av\u0302 + \u03b5) = "
                  f"{fmt(w)} \u2212 "
                  f"{fmt(lr)}{DOT}{_p(m_hat)} / {fmt(math.sqrt(v_hat) + eps)} = {fmt(new)}"]
    vals["w_new"] = new
    return lines, vals
