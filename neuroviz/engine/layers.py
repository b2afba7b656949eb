"""Layer kinds behind one interface.

A layer owns views into the network's flat parameter vector (so a compiled
kernel can update every parameter in one array) and knows its own forward and
backward math. New kinds (dropout, conv, pooling, recurrent, ...) subclass
:class:`Layer` and register themselves in :data:`LAYER_KINDS`; the network and
the trainer talk to layers only through this interface.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from neuroviz.engine import activations as act


class SpecError(ValueError):
    """A network spec is malformed; the message names the offending field."""


class Layer:
    """Interface every layer kind implements.

    ``forward(x) -> (z, a)``: pre-activation and output.
    ``backward(x, dz) -> (grads, dx)``: parameter gradients and dL/dx, given dL/dz.
    ``dz_from_da(z, a, da)``: turns dL/da into dL/dz through the activation.
    """

    kind: ClassVar[str] = ""
    n_in: int
    n_out: int
    activation: str

    def param_shapes(self) -> list[tuple[int, ...]]:
        return []

    def bind(self, views: list[np.ndarray]) -> None:
        """Attach views into the network's flat parameter vector."""

    def parameters(self) -> list[np.ndarray]:
        return []

    def regularised(self) -> list[bool]:
        """For each parameter array: whether L1/L2 regularisation applies to it."""
        return [False] * len(self.param_shapes())

    def init_params(self, rng: np.random.Generator, scheme: str) -> None:
        """Fill the bound parameters according to ``scheme``."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def backward(self, x: np.ndarray, dz: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        raise NotImplementedError

    def dz_from_da(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da * act.derivative(self.activation, z, a)

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError


class Dense(Layer):
    """Fully connected layer: ``z = x @ W + b``, ``a = f(z)``.

    Backward: ``dW = x.T @ dz``, ``db = Σ_rows dz``, ``dx = dz @ W.T``.
    ``W`` has shape (fan_in, fan_out): ``W[i, j]`` connects input i to neuron j.
    """

    kind = "dense"

    def __init__(self, n_in: int, units: int, activation: str, init: str = "auto") -> None:
        self.n_in = n_in
        self.n_out = units
        self.units = units
        self.activation = activation
        self.init = init
        self.W = np.zeros((n_in, units))
        self.b = np.zeros(units)

    def param_shapes(self) -> list[tuple[int, ...]]:
        return [(self.n_in, self.n_out), (self.n_out,)]

    def bind(self, views: list[np.ndarray]) -> None:
        self.W, self.b = views

    def parameters(self) -> list[np.ndarray]:
        return [self.W, self.b]

    def regularised(self) -> list[bool]:
        return [True, False]  # weights yes, biases no

    def init_params(self, rng: np.random.Generator, scheme: str) -> None:
        if scheme == "auto" and self.init == "auto":
            scheme = act.default_init(self.activation)
        elif self.init != "auto":
            scheme = self.init
        fan_in, fan_out = self.n_in, self.n_out
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

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = x @ self.W + self.b
        return z, act.apply(self.activation, z)

    def backward(self, x: np.ndarray, dz: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        return [x.T @ dz, dz.sum(axis=0)], dz @ self.W.T

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "dense", "units": self.units, "activation": self.activation}
        if self.init != "auto":
            out["init"] = self.init
        return out


#: Registry of layer kinds by their spec ``type``.
LAYER_KINDS: dict[str, type[Layer]] = {"dense": Dense}
