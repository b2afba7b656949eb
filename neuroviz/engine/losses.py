"""Loss functions: exact NumPy definitions and their gradients.

Conventions (``n`` examples in the batch, ``k`` outputs):

* ``mse``        L = mean over batch and outputs of (p − y)²
* ``bce``        L = mean over batch and outputs of −(y·ln p + (1 − y)·ln(1 − p)),
  with p = sigmoid(z); computed from z as max(z, 0) − y·z + ln(1 + e^−|z|), which is
  exact and never overflows.
* ``softmax_ce`` L = mean over the batch of −Σ_j y_j · ln softmax(z)_j

Each loss pairs with an output activation: bce needs sigmoid, softmax_ce needs
softmax; mse works with any element-wise activation.
"""

from __future__ import annotations

import numpy as np

from neuroviz.engine import activations

LOSSES: tuple[str, ...] = ("mse", "bce", "softmax_ce")
CODES: dict[str, int] = {name: i for i, name in enumerate(LOSSES)}
REQUIRED_OUTPUT: dict[str, str] = {"bce": "sigmoid", "softmax_ce": "softmax"}

FORMULAS: dict[str, str] = {
    "mse": "L = mean((p − y)²)",
    "bce": "L = −mean(y·ln p + (1 − y)·ln(1 − p))",
    "softmax_ce": "L = −mean over examples of Σ_j y_j·ln p_j",
}


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def loss_value(name: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> float:
    """Mean batch loss from the output pre-activation ``z``, activation ``a``, targets ``y``."""
    if name == "mse":
        return float(np.mean((a - y) ** 2))
    if name == "bce":
        return float(np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))))
    if name == "softmax_ce":
        return float(np.mean(-np.sum(y * _log_softmax(z), axis=1)))
    raise ValueError(f"unknown loss {name!r} (choose from {', '.join(LOSSES)})")


def grad_z(name: str, activation: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz for the output layer, where L is the batch-mean loss."""
    n, k = a.shape
    if name == "mse":
        return (2.0 / (n * k)) * (a - y) * activations.derivative(activation, z, a)
    if name == "bce":  # sigmoid output: dL/dz = (p − y) / (n·k)
        return (a - y) / (n * k)
    if name == "softmax_ce":  # softmax output: dL/dz = (p − y) / n
        return (a - y) / n
    raise ValueError(f"unknown loss {name!r} (choose from {', '.join(LOSSES)})")
