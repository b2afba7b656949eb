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

from neuroviz.engine import losses
from neuroviz.engine.kinds import LAYER_KINDS, Dense, Layer, LayerValues, SpecError
from neuroviz.engine.kinds.base import random_state

INITS: tuple[str, ...] = ("auto", "glorot", "he", "zeros", "uniform")
MAX_UNITS = 4096
#: Layers in a network, counting those inside residual blocks.
MAX_LAYERS = 64
#: Parameters in a network (weights, biases, gains, projections).
MAX_PARAMS = 1_000_000
#: Dimensions of an example's input shape (vector, sequence, image).
MAX_INPUT_DIMS = 3


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def input_shape(inputs: Any) -> tuple[int, ...]:
    """The example shape of a spec's ``inputs`` (an int, or a list such as [28, 28, 1])."""
    return (int(inputs),) if _is_int(inputs) else tuple(int(d) for d in inputs)


def _check_inputs(inputs: Any) -> int | list[int]:
    if _is_int(inputs):
        if not 1 <= inputs <= MAX_UNITS:
            raise SpecError(f"inputs: expected a whole number from 1 to {MAX_UNITS}, "
                            f"got {inputs!r}")
        return int(inputs)
    if (isinstance(inputs, (list, tuple)) and 1 <= len(inputs) <= MAX_INPUT_DIMS
            and all(_is_int(d) and d >= 1 for d in inputs)):
        if math.prod(int(d) for d in inputs) <= MAX_UNITS:
            return [int(d) for d in inputs]
        raise SpecError(f"inputs: the shape {list(inputs)} has {math.prod(inputs)} values "
                        f"per example, at most {MAX_UNITS} are allowed")
    raise SpecError(f"inputs: expected a whole number from 1 to {MAX_UNITS} or a shape list "
                    f"of 1 to {MAX_INPUT_DIMS} positive whole numbers, got {inputs!r}")


def _count_nested(layer: Any) -> int:
    """Layers a raw spec entry holds (itself and, for a block, its list), without checks."""
    inner = layer.get("layers") if isinstance(layer, dict) else None
    return 1 + (len(inner) if isinstance(inner, list) else 0)


def normalise_spec(spec: Any) -> dict[str, Any]:
    """Check a spec and return a normalised deep copy; raise :class:`SpecError` naming the field.

    Sizes are checked before anything is built: at most :data:`MAX_LAYERS` layers (counting
    those inside residual blocks), :data:`MAX_UNITS` units per layer and inputs, and
    :data:`MAX_PARAMS` parameters in all.
    """
    if not isinstance(spec, dict):
        raise SpecError(f"spec: expected a dict, got {type(spec).__name__}")
    unknown = set(spec) - {"inputs", "layers", "loss", "init"}
    if unknown:
        raise SpecError(f"spec: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    inputs = _check_inputs(spec.get("inputs"))
    loss = spec.get("loss", "mse")
    if loss not in losses.LOSSES:
        raise SpecError(f"loss: unknown loss {loss!r} (choose from {', '.join(losses.LOSSES)})")
    init = spec.get("init", "auto")
    if init not in INITS:
        raise SpecError(f"init: unknown init {init!r} (choose from {', '.join(INITS)})")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("layers: expected a non-empty list of layers (the last one is the output)")
    total = sum(_count_nested(layer) for layer in layers)
    if total > MAX_LAYERS:
        raise SpecError(f"layers: at most {MAX_LAYERS} layers in all (counting those inside "
                        f"residual blocks), got {total}")
    out_layers = []
    shape = input_shape(inputs)
    n_params = 0
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(layer, dict):
            raise SpecError(f"{where}: expected a dict, got {type(layer).__name__}")
        kind = layer.get("type", "dense")
        if kind not in LAYER_KINDS:
            raise SpecError(f"{where}.type: unknown layer type {kind!r} "
                            f"(choose from {', '.join(LAYER_KINDS)})")
        cls = LAYER_KINDS[kind]
        is_output = i == len(layers) - 1
        if is_output and not cls.can_be_output:
            outputs = [k for k, c in LAYER_KINDS.items() if c.can_be_output]
            raise SpecError(f"{where}.type: the last layer is the output layer and must be "
                            f"{' or '.join(outputs)}, got {kind!r}")
        entry = cls.normalise(layer, where, shape, is_output)
        n_params += cls.param_count(entry, shape)
        if n_params > MAX_PARAMS:
            raise SpecError(f"{where}: the network would have more than {MAX_PARAMS:,} "
                            f"parameters (at least {n_params:,} up to this layer); "
                            f"use fewer or narrower layers")
        shape = cls.output_shape(entry, shape, where)
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
    out: dict[str, Any] = {"inputs": inputs, "layers": out_layers, "loss": loss}
    if init != "auto":
        out["init"] = init
    return out


def layer_param_counts(spec: Any) -> list[int]:
    """Parameters of each top-level layer of ``spec`` (weights, biases, gains,
    projections), counted from the spec alone: nothing is allocated. SpecError if the
    spec is malformed."""
    spec = normalise_spec(spec)
    shape = input_shape(spec["inputs"])
    counts = []
    for i, entry in enumerate(spec["layers"]):
        cls = LAYER_KINDS[entry["type"]]
        counts.append(int(cls.param_count(entry, shape)))
        shape = cls.output_shape(entry, shape, f"layers[{i}]")
    return counts


class Network:
    """A feed-forward stack of layers.

    Build one with :meth:`from_spec`. Parameters are stored in :attr:`params`
    (one flat float64 vector, layer by layer in each kind's stated order);
    :meth:`get_weights` returns copies grouped per layer.
    """

    def __init__(self, spec: dict[str, Any], seed: int = 0) -> None:
        self._spec = normalise_spec(spec)
        self.seed = int(seed)
        self.layers: list[Layer] = []
        shape = self.input_shape
        for entry in self._spec["layers"]:
            layer = LAYER_KINDS[entry["type"]].from_entry(entry, shape)
            self.layers.append(layer)
            shape = layer.out_shape
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
            layer.bind(views, offs)
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
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example's input, e.g. ``(2,)`` or ``(28, 28, 1)``."""
        return input_shape(self._spec["inputs"])

    @property
    def n_inputs(self) -> int:
        """Input values per example (the product of :attr:`input_shape`)."""
        return math.prod(self.input_shape)

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def loss(self) -> str:
        return self._spec["loss"]

    @property
    def layer_sizes(self) -> list[int]:
        """Values per example: inputs, then each top-level layer's output."""
        return [self.n_inputs] + [layer.n_out for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        """Each top-level layer's activation (``linear`` for kinds without one)."""
        return [layer.activation for layer in self.layers]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The layer kinds this network uses, nested ones included, sorted."""
        found: set[str] = set()

        def visit(layers: list[Layer]) -> None:
            for layer in layers:
                found.add(layer.kind)
                visit(getattr(layer, "layers", []))

        visit(self.layers)
        return tuple(sorted(found))

    @property
    def is_dense_stack(self) -> bool:
        """True when every layer is dense: the fused dense kernel handles this case."""
        return all(isinstance(layer, Dense) for layer in self.layers)

    def describe(self) -> list[dict[str, Any]]:
        """One dict per top-level layer for views: kind, in/out shape, units, activation,
        parameter shapes and names, and kind-specific fields (dropout ``rate``, layernorm
        ``eps``, residual ``skip``, ``projection`` and ``children``)."""
        return [layer.describe() for layer in self.layers]

    def __repr__(self) -> str:
        def name(layer: Layer) -> str:
            if layer.kind == "dense":
                return f"{layer.n_out} {layer.activation}"
            if layer.kind == "residual":
                return "residual[" + " → ".join(name(x) for x in layer.layers) + "]"
            return layer.kind
        body = " → ".join(name(layer) for layer in self.layers)
        return f"Network({self.n_inputs} inputs → {body}, loss={self.loss})"

    # -- weights ------------------------------------------------------------------------------
    def get_weights(self) -> list[tuple]:
        """Copies of each parametrised layer's arrays, as a tuple in the kind's order.

        Dense ``(W, b)`` with W of shape (fan_in, fan_out); layernorm ``(gain, bias)``;
        residual: a tuple of its inner layers' tuples, then ``(P,)`` if it has a projection.
        Layers without parameters (dropout) are left out.
        """
        return [w for w in (layer.weights() for layer in self.layers) if w is not None]

    def structure(self, flat: np.ndarray) -> list[tuple]:
        """Copies of a vector laid out like :attr:`params`, grouped like :meth:`get_weights`."""
        flat = np.asarray(flat, dtype=np.float64)
        out = []
        for layer, offs in zip(self.layers, self.param_offsets):
            arrays = [flat[off:off + math.prod(shape)].reshape(shape).copy()
                      for shape, off in zip(layer.param_shapes(), offs)]
            grouped = layer.structure(arrays)
            if grouped is not None:
                out.append(grouped)
        return out

    def set_weights(self, weights: Any) -> None:
        """Replace every layer's parameters (grouped as :meth:`get_weights` gives them).

        Checks the structure, every shape and finiteness before anything changes.
        """
        weights = list(weights)
        layers = [(k, layer) for k, layer in enumerate(self.layers) if layer.parameters()]
        if len(weights) != len(layers):
            what = "(W, b) pairs" if self.is_dense_stack else "parameter groups"
            raise ValueError(f"set_weights: expected {len(layers)} {what}, got {len(weights)}")
        new = np.empty(self.param_size)
        for n, ((k, layer), group) in enumerate(zip(layers, weights)):
            expected = layer.structure([np.zeros(s) for s in layer.param_shapes()])
            arrays = _flatten_like(group, expected, f"set_weights: layer {n}")
            for array, shape, off, name in zip(arrays, layer.param_shapes(),
                                               self.param_offsets[k], layer.param_names()):
                array = np.asarray(array, dtype=np.float64)
                if array.shape != tuple(shape):
                    raise ValueError(f"set_weights: layer {n}: expected {name} of shape "
                                     f"{tuple(shape)}, got {array.shape}")
                if not np.all(np.isfinite(array)):
                    raise ValueError(f"set_weights: layer {n}: weights must be finite numbers")
                new[off:off + array.size] = array.ravel()
        self.params[...] = new

    # -- reference computation (float64, exact) -------------------------------------------------
    def _check_x(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim > 2 and X.shape[1:] == self.input_shape:
            X = X.reshape(len(X), -1)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"expected inputs of shape (n, {self.n_inputs}), got {X.shape}")
        return X

    def forward_all(self, X: Any, training: bool = False, seed: int = 0,
                    state: np.ndarray | None = None) -> list[LayerValues]:
        """What every top-level layer computes for inputs ``X`` (n, inputs), exact float64.

        Each item unpacks as ``(z, a)`` (before and after the activation) and carries
        ``extras``: the dropout mask, layernorm mean/std, a residual block's inner values.
        ``training=True`` applies dropout with masks drawn from ``state`` (a stream made by
        :func:`~neuroviz.engine.kinds.base.random_state`, advanced in place) or, if none is
        given, from a fresh stream for ``seed``; evaluation (the default) never drops.
        """
        a = self._check_x(X)
        if training and state is None:
            state = random_state(seed)
        out = []
        for layer in self.layers:
            values = layer.forward(a, training, state)
            out.append(values)
            a = values.a
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

    def _gradients(self, X: Any, Y: Any, training: bool, state: np.ndarray | None
                   ) -> tuple[float, list[list[np.ndarray]]]:
        X = self._check_x(X)
        cache = self.forward_all(X, training=training, state=state)
        Y = self._check_y(Y, len(X))
        z, a = cache[-1]
        loss = losses.loss_value(self.loss, z, a, Y)
        grads = self.backward(X, cache, losses.grad_z(self.loss, self.layers[-1].activation,
                                                      z, a, Y))
        return loss, grads

    def loss_and_gradients(self, X: Any, Y: Any, training: bool = False, seed: int = 0,
                           state: np.ndarray | None = None) -> tuple[float, list[tuple]]:
        """Mean batch loss and the gradients, grouped like :meth:`get_weights` (dense:
        ``(dW, db)``), without regularisation, exact float64. Evaluation mode by default;
        ``training=True`` applies dropout as :meth:`forward_all` does.

        Regularisation is applied by the :class:`~neuroviz.engine.Trainer`, which adds
        ``l1·sign(W) + l2·W`` to each regularised array's gradient (not to biases).
        """
        if training and state is None:
            state = random_state(seed)
        loss, grads = self._gradients(X, Y, training, state)
        out = [layer.structure(g) for layer, g in zip(self.layers, grads)]
        return loss, [g for g in out if g is not None]

    def backward(self, X: np.ndarray, cache: list, dz: np.ndarray) -> list[list[np.ndarray]]:
        """Backpropagate dL/dz of the output layer; return each layer's parameter gradients."""
        grads: list[list[np.ndarray]] = [[] for _ in self.layers]
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            x = X if i == 0 else cache[i - 1][1]
            values = cache[i] if isinstance(cache[i], LayerValues) else None
            grads[i], dx = layer.backward(x, dz, values)
            if i > 0:
                prev = self.layers[i - 1]
                dz = prev.dz_from_da(cache[i - 1][0], cache[i - 1][1], dx)
        return grads

    def flat_gradient(self, X: Any, Y: Any, training: bool = False,
                      state: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Loss and the gradient as one flat vector laid out like :attr:`params`."""
        loss, grads = self._gradients(X, Y, training, state)
        flat = [g.ravel() for gs in grads for g in gs]
        return loss, (np.concatenate(flat) if flat else np.zeros(0))


def _flatten_like(group: Any, expected: Any, where: str) -> list[Any]:
    """The arrays of ``group`` in order, checking it nests like ``expected``."""
    if isinstance(expected, np.ndarray):
        return [group]
    try:
        items = list(group)
    except TypeError:
        items = None
    if items is None or len(items) != len(expected) or isinstance(group, np.ndarray):
        if all(isinstance(e, np.ndarray) for e in expected) and len(expected) == 2:
            raise ValueError(f"{where}: expected a (W, b) pair") from None
        raise ValueError(f"{where}: expected a group of {len(expected)} items") from None
    out = []
    for item, exp in zip(items, expected):
        out.extend(_flatten_like(item, exp, where))
    return out
