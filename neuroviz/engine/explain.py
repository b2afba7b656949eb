"""Explain one training step with the real numbers, one micro-step at a time.

Given a :class:`~neuroviz.engine.Network`, one example ``(x, y)``, and the optimizer with its
hyperparameters (and state, if training is under way), :func:`explain` lists every micro-step
of a training step on that example, as a student would do it by hand:

1. **forward**: the input values; for each neuron its weighted sum with the actual numbers
   (``z = 0.31·1.20 + (−0.85)·0.40 + 0.10 = 0.13``) and its activation
   (``a = tanh(0.13) = 0.1293``); then the output and the loss for this example;
2. **backward**: dL/d(output); then layer by layer, from the output back, each neuron's
   dL/dz by the chain rule (with the numbers), and each edge's dL/dw = a·dL/dz;
3. **update**: each weight's and bias's old value, gradient, learning rate and new value, using
   the optimizer's own rule (SGD, momentum, Nesterov, RMSprop, Adam).

Every number comes from the exact float64 reference path of the engine (the same math as
:meth:`Network.forward_all` and :meth:`Network.loss_and_gradients`, for a batch of one), so the
numbers shown agree with what the engine computes. No Qt here: the app's explain panel only
displays :class:`MicroStep` objects.
"""


from __future__ import annotations

from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine.explain_kinds import explain_kinds
from neuroviz.engine.explain_steps import (
    _UPDATE_NOTES,
    ARROW,
    DOT,
    MAX_TERMS,
    MINUS,
    PHASES,
    Explanation,
    MicroStep,
    _activation_lines,
    _Builder,
    _derivative_lines,
    _join_sum,
    _p,
    _shorten,
    _update_lines,
    fmt,
    loss_step,
    optimizer_state_from_trainer,
    output_grad_step,
    sub,
)
from neuroviz.engine.network import Network

__all__ = ["ARROW", "MINUS", "PHASES", "Explanation", "MicroStep", "explain", "fmt",
           "optimizer_state_from_trainer", "sub"]


def explain(net: Network, x: Any, y: Any, *, optimizer: str = "sgd", lr: float = 0.01,
            momentum: float = 0.9, l1: float = 0.0, l2: float = 0.0, beta1: float = 0.9,
            beta2: float = 0.999, eps: float = 1e-8, rho: float = 0.9,
            state: dict[str, Any] | None = None, feature_names=None,
            output_names=None, dropout_seed: int | None = 0) -> Explanation:
    """List every micro-step of one training step of ``net`` on the example ``(x, y)``.

    Parameters
    ----------
    net : Network
        Any layer kinds; not modified. A network with dropout, layer norm or residual blocks
        is explained column by column (:mod:`neuroviz.engine.explain_kinds`).
    x : array of shape (inputs,)
    y : array of shape (outputs,)
        The target (one-hot for softmax_ce, 0/1 for bce, a value for mse).
    optimizer : {"sgd", "momentum", "nesterov", "rmsprop", "adam"}
    lr, momentum, l1, l2, beta1, beta2, eps, rho : float
        Hyperparameters, with the engine trainer's meanings and defaults.
    state : dict, optional
        Optimizer state as returned by :func:`optimizer_state_from_trainer`; by default a
        fresh optimizer (zero velocity and moments, first step).
    feature_names, output_names : sequence of str, optional
        Names used in the step titles.
    dropout_seed : int or None
        The training step's dropout masks are drawn as ``Network.forward_all(training=True,
        seed=dropout_seed)`` does; None explains an evaluation pass (dropout off).

    Returns
    -------
    Explanation
    """
    from neuroviz.engine.trainer import OPTIMIZERS

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown optimizer {optimizer!r} "
                         f"(choose from {', '.join(OPTIMIZERS)})")
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != (net.n_inputs,):
        raise ValueError(f"x: expected {net.n_inputs} input values, got {x.size}")
    if y.shape != (net.n_outputs,):
        raise ValueError(f"y: expected {net.n_outputs} target values, got {y.size}")
    names_in = list(feature_names) if feature_names is not None else [
        f"x{sub(i)}" for i in range(net.n_inputs)]
    names_out = list(output_names) if output_names is not None else []
    if not net.is_dense_stack:
        return explain_kinds(net, x, y, names_in, names_out, dropout_seed,
                             dict(optimizer=optimizer, lr=lr, momentum=momentum, l1=l1, l2=l2,
                                  beta1=beta1, beta2=beta2, eps=eps, rho=rho), state)
    sizes = net.layer_sizes
    L = len(net.layers)
    b = _Builder(names_in, names_out, L)
    weights = net.get_weights()
    acts = net.activations

    # ---------------------------------------------------------------- forward
    cache = [(z[0], a[0]) for z, a in net.forward_all(x[None, :])]
    b.add("forward", "input", 0, None, None, "Input: the example's feature values",
          ["  ".join(f"{names_in[i]} = {fmt(v)}" for i, v in enumerate(x))],
          "The example's features enter the input layer, one value per input node.",
          **{f"x{i}": v for i, v in enumerate(x)})
    prev_a = x
    for k in range(1, L + 1):
        W, bias = weights[k - 1]
        z, a = cache[k - 1]
        name = acts[k - 1]
        for j in range(sizes[k]):
            sym = [f"w{sub(i)}{DOT}{b.node_symbol(k - 1, i)}" for i in range(sizes[k - 1])]
            num = [f"{_p(W[i, j])}{DOT}{_p(prev_a[i])}" for i in range(sizes[k - 1])]
            more = f"   ({sizes[k - 1]} terms)" if sizes[k - 1] > MAX_TERMS else ""
            lines = [f"z = {_join_sum(_shorten(sym) + ['b'])}{more}",
                     f"z = {_join_sum(_shorten(num) + [_p(bias[j])])} = {fmt(z[j])}"]
            b.add("forward", "weighted_sum", k, j, None,
                  f"{b.neuron_name(k, j)}: weighted sum", lines,
                  "Each input is multiplied by the weight of its connection; the products "
                  "and the bias are added up.", z=z[j], b=bias[j])
            if name != "softmax":
                rule, numbers = _activation_lines(name, float(z[j]), float(a[j]))
                b.add("forward", "activation", k, j, None,
                      f"{b.neuron_name(k, j)}: activation ({name})", [rule, numbers],
                      f"The activation function {act.FORMULAS[name]} turns the weighted sum "
                      "into the neuron's output.", z=z[j], a=a[j])
        if name == "softmax":
            total = float(np.sum(np.exp(z)))
            terms = _shorten([f"e^{_p(v)}" for v in z])
            lines = ["a\u2c7c = e^z\u2c7c / \u03a3\u2096 e^z\u2096",
                     f"\u03a3\u2096 e^z\u2096 = {_join_sum(terms)} = {fmt(total)}"]
            lines += [f"a{sub(j)} = e^{_p(z[j])} / {fmt(total)} = {fmt(a[j])}"
                      for j in range(sizes[k])][:MAX_TERMS]
            if sizes[k] > MAX_TERMS:
                lines.append("\u2026")
            b.add("forward", "activation", k, None, None,
                  f"{b.layer_name(k)}: softmax", lines,
                  "Softmax turns the weighted sums into probabilities that add up to 1.",
                  **{f"a{j}": a[j] for j in range(sizes[k])})
        prev_a = a

    z_out, a_out = cache[-1]
    loss = loss_step(b, net.loss, z_out, a_out, y, names_out, L)

    # ---------------------------------------------------------------- backward
    da, delta_out = output_grad_step(b, net.loss, acts[-1], z_out, a_out, y, L)

    deltas: list[np.ndarray] = [np.zeros(0)] * L
    grads: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros(0))] * L
    delta = delta_out
    for k in range(L, 0, -1):
        z, a = cache[k - 1]
        name = acts[k - 1]
        prev_a = x if k == 1 else cache[k - 2][1]
        if k < L:
            W_next = weights[k][0]
            delta_next = deltas[k]
            da_k = delta_next @ W_next.T  # same as the engine: dx = dz @ W.T
            deriv = act.derivative(name, z, a)
            delta = da_k * deriv
        deltas[k - 1] = delta
        for j in range(sizes[k]):
            if k == L:
                if net.loss == "mse":
                    d = float(act.derivative(name, z[j:j + 1], a[j:j + 1])[0])
                    lines = ["\u2202L/\u2202z = \u2202L/\u2202a \u00b7 f\u2032(z)",
                             _derivative_lines(name, float(z[j]), float(a[j]), d),
                             f"\u2202L/\u2202z = {_p(da[j])}{DOT}{_p(d)} = {fmt(delta[j])}"]
                else:
                    lines = [f"\u2202L/\u2202z = p \u2212 y = {fmt(delta[j])}"]
            else:
                n_next = sizes[k + 1]
                num = _shorten([f"{_p(W_next[j, m])}{DOT}{_p(delta_next[m])}"
                                for m in range(n_next)])
                lines = ["\u2202L/\u2202a = \u03a3 w\u00b7\u2202L/\u2202z (over the next layer)",
                         f"\u2202L/\u2202a = {_join_sum(num)} = {fmt(da_k[j])}",
                         _derivative_lines(name, float(z[j]), float(a[j]), float(deriv[j])),
                         f"\u2202L/\u2202z = \u2202L/\u2202a\u00b7f\u2032(z) = {_p(da_k[j])}"
                         f"{DOT}{_p(deriv[j])} = {fmt(delta[j])}"]
            lines.append(f"\u2202L/\u2202b = \u2202L/\u2202z = {fmt(delta[j])}")
            b.add("backward", "neuron_grad", k, j, None,
                  f"{b.neuron_name(k, j)}: gradient at the neuron", lines,
                  "Chain rule: the loss's sensitivity to this neuron's output, times the "
                  "slope of its activation, gives \u2202L/\u2202z (the neuron's "
                  "\u201cerror\u201d). "
                  "The bias gradient equals it.",
                  **{"dL/dz": delta[j], "dL/db": delta[j]})
        dW = np.outer(prev_a, delta)
        grads[k - 1] = (dW, delta.copy())
        for j in range(sizes[k]):
            for i in range(sizes[k - 1]):
                src = b.node_symbol(k - 1, i)
                b.add("backward", "edge_grad", k, None, (i, j),
                      f"Weight {b.neuron_name(k - 1, i)} \u2192 {b.neuron_name(k, j)}: gradient",
                      [f"\u2202L/\u2202w = {src}\u00b7\u2202L/\u2202z",
                       f"\u2202L/\u2202w = {_p(prev_a[i])}{DOT}{_p(delta[j])} = "
                       f"{fmt(dW[i, j])}"],
                      "A weight's gradient is the value flowing in along it times the error "
                      "of the neuron it feeds.",
                      **{"dL/dw": dW[i, j], "w": weights[k - 1][0][i, j]})

    # ---------------------------------------------------------------- update
    new_weights = []
    t = int(state["t"]) + 1 if state is not None else 1
    for k in range(1, L + 1):
        W, bias = weights[k - 1]
        dW, db = grads[k - 1]
        m1 = state["m1"][k - 1] if state is not None else (np.zeros_like(W), np.zeros_like(bias))
        m2 = state["m2"][k - 1] if state is not None else (np.zeros_like(W), np.zeros_like(bias))
        W_new = W.copy()
        b_new = bias.copy()
        for j in range(sizes[k]):
            for i in range(sizes[k - 1]):
                lines, vals = _update_lines(optimizer, float(W[i, j]), float(dW[i, j]),
                                            float(m1[0][i, j]), float(m2[0][i, j]), t, lr,
                                            momentum, l1, l2, beta1, beta2, eps, rho, "w")
                W_new[i, j] = vals["w_new"]
                b.add("update", "update_weight", k, None, (i, j),
                      f"Update weight {b.neuron_name(k - 1, i)} \u2192 {b.neuron_name(k, j)}",
                      lines, _UPDATE_NOTES[optimizer], **vals)
            lines, vals = _update_lines(optimizer, float(bias[j]), float(db[j]),
                                        float(m1[1][j]), float(m2[1][j]), t, lr, momentum,
                                        0.0, 0.0, beta1, beta2, eps, rho, "b")
            b_new[j] = vals["w_new"]
            b.add("update", "update_bias", k, j, None,
                  f"Update bias of {b.neuron_name(k, j)}", lines,
                  _UPDATE_NOTES[optimizer] + " Biases are not regularised.", **vals)
        new_weights.append((W_new, b_new))

    return Explanation(
        steps=tuple(b.steps), x=x, y=y, forward=tuple(cache), loss=float(loss),
        grads=tuple(grads), deltas=tuple(deltas),
        old_weights=tuple((W.copy(), bb.copy()) for W, bb in weights),
        new_weights=tuple(new_weights), optimizer=optimizer, lr=float(lr),
        kinds=("dense",) * L)


