"""The network: a stack of layers built from a plain-data spec.

All parameters live in one flat float64 vector (:attr:`Network.params`); each
layer holds views into it. The compiled trainer updates that vector in place.
``predict``, ``forward_all`` and ``loss_and_gradients`` are the exact float64
NumPy reference path that gradient checks and explain mode rely on.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine import losses
from neuroviz.engine.layers import LAYER_KINDS, Dense, Layer, SpecError

INITS: tuple[str, ...] = ("auto", "glorot", "he", "zeros", "uniform")
MAX_UNITS = 4096


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def normalise_spec(spec: Any) -> dict[str, Any]:
    """Check a spec and return a normalised deep copy; raise :class:`SpecError` naming the field."""
    if not isinstance(spec, dict):
        raise SpecError(f"spec: expected a dict, got {type(spec).__name__}")
    unknown = set(spec) - {"inputs", "layers", "loss", "init"}
    if unknown:
        raise SpecError(f"spec: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    inputs = spec.get("inputs")
    if not _is_int(inputs) or not 1 <= inputs <= MAX_UNITS:
        raise SpecError(f"inputs: expected a whole number from 1 to {MAX_UNITS}, got {inputs!r}")
    loss = spec.get("loss", "mse")
    if loss not in losses.LOSSES:
        raise SpecError(f"loss: unknown loss {loss!r} (choose from {', '.join(losses.LOSSES)})")
    init = spec.get("init", "auto")
    if init not in INITS:
        raise SpecError(f"init: unknown init {init!r} (choose from {', '.join(INITS)})")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("layers: expected a non-empty list of layers (the last one is the output)")
    out_layers = []
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(layer, dict):
            raise SpecError(f"{where}: expected a dict, got {type(layer).__name__}")
        kind = layer.get("type", "dense")
        if kind not in LAYER_KINDS:
            raise SpecError(f"{where}.type: unknown layer type {kind!r} "
                            f"(choose from {', '.join(LAYER_KINDS)})")
        extra = set(layer) - {"type", "units", "activation", "init"}
        if extra:
            raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
        units = layer.get("units")
        if not _is_int(units) or not 1 <= units <= MAX_UNITS:
            raise SpecError(f"{where}.units: expected a whole number from 1 to {MAX_UNITS}, "
                            f"got {units!r}")
        is_output = i == len(layers) - 1
        allowed = act.OUTPUT_ACTIVATIONS if is_output else act.ACTIVATIONS
        activation = layer.get("activation", "linear")
        if activation not in allowed:
            hint = " (softmax is only for the output layer)" if activation == "softmax" else ""
            raise SpecError(f"{where}.activation: unknown activation {activation!r}{hint} "
                            f"(choose from {', '.join(allowed)})")
        layer_init = layer.get("init", "auto")
        if layer_init not in INITS:
            raise SpecError(f"{where}.init: unknown init {layer_init!r} "
                            f"(choose from {', '.join(INITS)})")
        entry: dict[str, Any] = {"type": kind, "units": int(units), "activation": activation}
        if layer_init != "auto":
            entry["init"] = layer_init
        out_layers.append(entry)
    last = out_layers[-1]
    needed = losses.REQUIRED_OUTPUT.get(loss)
    if needed and last["activation"] != needed:
        raise SpecError(f"layers[{len(layers) - 1}].activation: the {loss} loss needs a {needed} "
                        f"output layer, got {last['activation']!r}")
    if last["activation"] == "softmax" and loss != "softmax_ce":
        raise SpecError(f"loss: a softmax output layer goes with the softmax_ce loss, not {loss!r}")
    if loss == "softmax_ce" and last["units"] < 2:
        raise SpecError(f"layers[{len(layers) - 1}].units: softmax_ce needs at least 2 outputs")
    out: dict[str, Any] = {"inputs": int(inputs), "layers": out_layers, "loss": loss}
    if init != "auto":
        out["init"] = init
    return out


class Network:
    """A feed-forward stack of layers.

    Build one with :meth:`from_spec`. Parameters are stored in :attr:`params`
    (one flat float64 vector); :meth:`get_weights` returns copies.
    """

    def __init__(self, spec: dict[str, Any], seed: int = 0) -> None:
        self._spec = normalise_spec(spec)
        self.seed = int(seed)
        self.layers: list[Layer] = []
        fan_in = self._spec["inputs"]
        for entry in self._spec["layers"]:
            cls = LAYER_KINDS[entry["type"]]
            self.layers.append(cls(fan_in, entry["units"], entry["activation"],
                                   entry.get("init", "auto")))
            fan_in = entry["units"]
        # One flat vector; layers receive views (see kernels.py for the layout).
        shapes = [s for layer in self.layers for s in layer.param_shapes()]
        self.param_size = int(sum(math.prod(s) for s in shapes))
        self.params = np.zeros(self.param_size)
        self.param_offsets: list[list[int]] = []
        offset = 0
        for layer in self.layers:
            views, offs = [], []
            for shape in layer.param_shapes():
                size = math.prod(shape)
                views.append(self.params[offset:offset + size].reshape(shape))
                offs.append(offset)
                offset += size
            layer.bind(views)
            self.param_offsets.append(offs)
        self.reinitialise(seed)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: dict[str, Any], seed: int = 0) -> Network:
        """Build a network from a plain-data spec; raise :class:`SpecError` if it is malformed."""
        return cls(spec, seed=seed)

    def reinitialise(self, seed: int | None = None) -> None:
        """Draw fresh initial weights (the same ones again for the same seed)."""
        if seed is not None:
            self.seed = int(seed)
        rng = np.random.default_rng(self.seed)
        scheme = self._spec.get("init", "auto")
        for layer in self.layers:
            layer.init_params(rng, scheme)

    def copy(self) -> Network:
        """An independent network with the same spec and weights."""
        other = Network(self._spec, seed=self.seed)
        other.params[...] = self.params
        return other

    # -- description --------------------------------------------------------------------------
    @property
    def spec(self) -> dict[str, Any]:
        return copy.deepcopy(self._spec)

    @property
    def n_inputs(self) -> int:
        return self._spec["inputs"]

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def loss(self) -> str:
        return self._spec["loss"]

    @property
    def layer_sizes(self) -> list[int]:
        return [self.n_inputs] + [layer.n_out for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    @property
    def is_dense_stack(self) -> bool:
        """True when every layer is dense: the compiled trainer handles this case."""
        return all(isinstance(layer, Dense) for layer in self.layers)

    def __repr__(self) -> str:
        body = " → ".join(f"{layer.n_out} {layer.activation}" for layer in self.layers)
        return f"Network({self.n_inputs} inputs → {body}, loss={self.loss})"

    # -- weights ------------------------------------------------------------------------------
    def _dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    def get_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of ``(W, b)`` for each dense layer, W of shape (fan_in, fan_out)."""
        return [(layer.W.copy(), layer.b.copy()) for layer in self._dense_layers()]

    def set_weights(self, weights: Any) -> None:
        """Replace every dense layer's ``(W, b)``; checks shapes and finiteness first."""
        dense = self._dense_layers()
        weights = list(weights)
        if len(weights) != len(dense):
            raise ValueError(f"set_weights: expected {len(dense)} (W, b) pairs, got {len(weights)}")
        checked = []
        for k, (layer, pair) in enumerate(zip(dense, weights)):
            try:
                W, b = pair
            except (TypeError, ValueError):
                raise ValueError(f"set_weights: layer {k}: expected a (W, b) pair") from None
            W = np.asarray(W, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
            if W.shape != layer.W.shape or b.shape != layer.b.shape:
                raise ValueError(f"set_weights: layer {k}: expected W {layer.W.shape} and "
                                 f"b {layer.b.shape}, got W {W.shape} and b {b.shape}")
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise ValueError(f"set_weights: layer {k}: weights must be finite numbers")
            checked.append((W, b))
        for layer, (W, b) in zip(dense, checked):
            layer.W[...] = W
            layer.b[...] = b

    # -- reference computation (float64, exact) -------------------------------------------------
    def _check_x(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"expected inputs of shape (n, {self.n_inputs}), got {X.shape}")
        return X

    def forward_all(self, X: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(z, a)`` of every layer for inputs ``X`` (n, inputs), exact float64."""
        a = self._check_x(X)
        out = []
        for layer in self.layers:
            z, a = layer.forward(a)
            out.append((z, a))
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Network outputs (after the output activation) for inputs ``X`` of shape (n, inputs)."""
        return self.forward_all(X)[-1][1]

    def loss_value(self, X: Any, Y: Any) -> float:
        z, a = self.forward_all(X)[-1]
        return losses.loss_value(self.loss, z, a, self._check_y(Y, len(z)))

    def _check_y(self, Y: Any, n: int) -> np.ndarray:
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim == 1 and self.n_outputs == 1:
            Y = Y[:, None]
        if Y.shape != (n, self.n_outputs):
            raise ValueError(f"expected targets of shape ({n}, {self.n_outputs}), got {Y.shape}")
        return Y

    def loss_and_gradients(
        self, X: Any, Y: Any
    ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean batch loss and ``(dW, db)`` per dense layer (no regularisation), exact float64.

        Regularisation is applied by the :class:`~neuroviz.engine.Trainer`, which adds
        ``l1·sign(W) + l2·W`` to each ``dW`` (biases are not regularised).
        """
        X = self._check_x(X)
        cache = self.forward_all(X)
        Y = self._check_y(Y, len(X))
        z, a = cache[-1]
        loss = losses.loss_value(self.loss, z, a, Y)
        grads = self.backward(X, cache, losses.grad_z(self.loss, self.layers[-1].activation,
                                                      z, a, Y))
        return loss, [(g[0], g[1]) for g in grads]

    def backward(self, X: np.ndarray, cache: list[tuple[np.ndarray, np.ndarray]],
                 dz: np.ndarray) -> list[list[np.ndarray]]:
        """Backpropagate dL/dz of the output layer; return each layer's parameter gradients."""
        grads: list[list[np.ndarray]] = [[] for _ in self.layers]
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            x = X if i == 0 else cache[i - 1][1]
            grads[i], dx = layer.backward(x, dz)
            if i > 0:
                prev = self.layers[i - 1]
                dz = prev.dz_from_da(cache[i - 1][0], cache[i - 1][1], dx)
        return grads

    def flat_gradient(self, X: Any, Y: Any) -> tuple[float, np.ndarray]:
        """Loss and the gradient as one flat vector laid out like :attr:`params`."""
        loss, grads = self.loss_and_gradients(X, Y)
        flat = np.concatenate([g.ravel() for pair in grads for g in pair])
        return loss, flat
