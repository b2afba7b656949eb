"""Activation functions: the exact NumPy definitions and their derivatives.

Each activation maps a neuron's weighted sum ``z`` to its output ``a = f(z)``.
The backward pass needs ``da/dz``; it is written in terms of ``z`` and ``a``
so that no function has to be evaluated twice.

These are the reference definitions (float64, exact). The compiled training
kernels in :mod:`neuroviz.engine.kernels` use the same integer codes; there
``tanh`` and ``sigmoid`` use a rational approximation of tanh (max abs error
about 1e-7), which roughly doubles the speed of small networks.
"""

from __future__ import annotations

import math

import numpy as np

#: Activations a hidden (or output) dense layer may use, in menu order.
ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "leaky_relu",
    "elu",
    "tanh",
    "sigmoid",
    "softplus",
    "swish",
    "gelu",
    "sine",
    "gaussian",
)
#: Activations allowed on the output layer (softmax only there, with softmax_ce).
OUTPUT_ACTIVATIONS: tuple[str, ...] = ACTIVATIONS + ("softmax",)

#: Integer codes shared with the Numba kernels.
CODES: dict[str, int] = {name: i for i, name in enumerate(OUTPUT_ACTIVATIONS)}

#: Slope of leaky_relu for negative inputs.
LEAKY_SLOPE = 0.01

#: Human-readable formulas, for tooltips and explain mode.
FORMULAS: dict[str, str] = {
    "linear": "z",
    "relu": "max(0, z)",
    "leaky_relu": f"max({LEAKY_SLOPE}·z, z)",
    "elu": "z if z > 0 else exp(z) − 1",
    "tanh": "tanh(z)",
    "sigmoid": "1 / (1 + exp(−z))",
    "softplus": "ln(1 + exp(z))",
    "swish": "z · sigmoid(z)",
    "gelu": "z · Φ(z)",
    "sine": "sin(z)",
    "gaussian": "exp(−z²)",
    "softmax": "exp(z_j) / Σ_k exp(z_k)",
}

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def apply(name: str, z: np.ndarray) -> np.ndarray:
    """Return ``f(z)`` for the activation ``name`` (softmax acts along the last axis)."""
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return z.copy()
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0.0, z, LEAKY_SLOPE * z)
    if name == "elu":
        return np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "swish":
        return z * _sigmoid(z)
    if name == "gelu":
        return 0.5 * z * (1.0 + _erf(z / _SQRT2))
    if name == "sine":
        return np.sin(z)
    if name == "gaussian":
        return np.exp(-z * z)
    if name == "softmax":
        return _softmax(z)
    raise ValueError(f"unknown activation {name!r} (choose from {', '.join(OUTPUT_ACTIVATIONS)})")


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Return ``da/dz`` element-wise, given ``z`` and ``a = f(z)``.

    Softmax has no element-wise derivative; it is only used together with the
    softmax cross-entropy loss, whose gradient with respect to ``z`` is taken
    directly (see :mod:`neuroviz.engine.losses`).
    """
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0.0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0.0, 1.0, LEAKY_SLOPE)
    if name == "elu":
        return np.where(z > 0.0, 1.0, a + 1.0)
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "softplus":
        return _sigmoid(z)
    if name == "swish":
        s = _sigmoid(z)
        return s + z * s * (1.0 - s)
    if name == "gelu":
        return 0.5 * (1.0 + _erf(z / _SQRT2)) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    if name == "sine":
        return np.cos(z)
    if name == "gaussian":
        return -2.0 * z * a
    if name == "softmax":
        raise ValueError("softmax has no element-wise derivative; use it with the softmax_ce loss")
    raise ValueError(f"unknown activation {name!r} (choose from {', '.join(OUTPUT_ACTIVATIONS)})")


def default_init(name: str) -> str:
    """The initialisation that suits an activation: He for the ReLU family, Glorot otherwise."""
    return "he" if name in ("relu", "leaky_relu", "elu", "gelu", "swish") else "glorot"
