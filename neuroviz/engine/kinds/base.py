"""The layer-kind contract: what every kind module provides.

A kind is one module in :mod:`neuroviz.engine.kinds` holding, side by side:

* its **spec**: the keys it accepts, their defaults and checks (:meth:`Layer.normalise`,
  errors name ``layers[i].key``), and the shape it maps an input shape to
  (:meth:`Layer.output_shape`), so a mismatch is rejected when the spec is read;
* its **parameters**: shapes and order (:meth:`Layer.param_shapes`), which ones L1/L2
  apply to, and their initialisation;
* its **NumPy reference** forward and backward math (exact float64), with a
  ``training`` flag and the trainer's deterministic random stream;
* its **compiled path**: two ``@njit(nogil=True, cache=True)`` functions with the
  op signature below, which the generated training driver calls.

Shapes: an example's input is a shape tuple (``(2,)`` for two features, ``(28, 28, 1)`` for
an image, ``(T, F)`` for a sequence). Between layers, values always travel as a 2-D
C-contiguous float64 array ``(batch, prod(shape))``; a layer reshapes internally if it needs to.

Compiled op signature (every kind, so the driver dispatches on an integer only)::

    forward_op(o, ops, fops, params, A, Z, S, n, training, state)
    backward_op(o, ops, fops, params, grads, A, Z, D, S, n)

``ops[o]`` is the op's integer row (columns ``OP_*`` below), ``fops[o]`` its float
setting (dropout rate, layer-norm epsilon), ``A``/``Z``/``D`` the value, pre-activation and
gradient buffers (a slot of ``bmax`` rows per layer output), ``S`` the op's scratch space,
``n`` the rows of this mini-batch, ``state`` the dropout random stream. On entry to
``backward_op``, ``D`` at the op's output holds dL/d(output) (dL/dZ when ``OP_DZ`` is set,
for the output layer); it writes its parameter gradients into ``grads`` and, unless the
op's input is the network input (offset 0), dL/d(input) into ``D`` at the input.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numba import njit

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


class SpecError(ValueError):
    """A network spec is malformed; the message names the offending field."""


# -- the op table of the compiled path ------------------------------------------------------
#: Columns of one op row: kind code; offsets into A/Z/D of its input, output and auxiliary
#: slot; widths of input and output (values per example); three parameter offsets; the
#: activation code; a kind-specific flag; the scratch offset; 1 if D at the output already
#: holds dL/dZ (the output layer: the loss gives it directly). ``OP_I0`` … ``OP_I7`` are
#: eight integer settings whose meaning each kind defines for itself (convolution: the input
#: height and width, kernel size, stride, padding and output height and width; pooling: the
#: input height, width and window; a recurrent layer: steps and features), so that a kind
#: with a shape never needs a new column nor a change to the op signature.
(OP_KIND, OP_IN, OP_OUT, OP_AUX, OP_NIN, OP_NOUT, OP_P0, OP_P1, OP_P2, OP_ACT, OP_FLAG,
 OP_S, OP_DZ, OP_I0, OP_I1, OP_I2, OP_I3, OP_I4, OP_I5, OP_I6, OP_I7) = range(21)
OP_COLUMNS = 21


# -- the deterministic random stream (dropout masks) -----------------------------------------
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


def random_state(seed: int) -> np.ndarray:
    """A dropout random stream for ``seed``: a uint64 array of length 1 (splitmix64 state).

    Kept apart from the shuffling stream, so adding dropout never changes the batch order.
    """
    return np.array([(int(seed) * 0xD1B54A32D192ED03 + 0x5851F42D4C957F2D) & _MASK64],
                    dtype=np.uint64)


def uniforms(state: np.ndarray, count: int) -> np.ndarray:
    """``count`` numbers in [0, 1) from the splitmix64 stream ``state`` (advanced in place).

    Vectorised twin of :func:`next_uniform`: number k of the stream mixes ``state + k·γ``.
    """
    with np.errstate(over="ignore"):
        z = state[0] + np.uint64(_GOLDEN) * np.arange(1, count + 1, dtype=np.uint64)
        state[0] = state[0] + np.uint64(_GOLDEN) * np.uint64(count)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


@njit(**_OPTS)
def next_uniform(state):
    """The next number in [0, 1) of the splitmix64 stream ``state`` (see :func:`uniforms`)."""
    state[0] += np.uint64(_GOLDEN)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# -- values of one layer ------------------------------------------------------------------------
class LayerValues(tuple):
    """What one layer computed: unpacks as ``(z, a)``; :attr:`extras` holds the rest.

    ``z`` is the value before the activation, ``a`` the layer's output (both
    ``(batch, prod(out_shape))``). Kinds without an activation have ``z is a``. Extras by
    kind: dropout ``mask`` (0 or 1/(1 − rate) per value, all ones in evaluation);
    layernorm ``mean``, ``std`` (per example) and ``xhat``; residual ``inner`` (the
    :class:`LayerValues` of its layers), ``f`` (their output) and ``skip`` (what the skip
    path adds, ``None`` when it is off); maxpool and globalmaxpool ``argmax`` (per output
    value the flat input column it took, (batch, n_out) int64).
    """

    extras: dict[str, Any]

    def __new__(cls, z: np.ndarray, a: np.ndarray, **extras: Any) -> LayerValues:
        self = super().__new__(cls, (z, a))
        self.extras = extras
        return self

    @property
    def z(self) -> np.ndarray:
        return self[0]

    @property
    def a(self) -> np.ndarray:
        return self[1]


def is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_keys(layer: dict, where: str, allowed: set[str]) -> None:
    extra = set(layer) - allowed - {"type"}
    if extra:
        raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))} "
                        f"for a {layer.get('type', 'dense')} layer "
                        f"(allowed: {', '.join(sorted(allowed)) or 'none'})")


class Layer:
    """Interface every layer kind implements (the NumPy reference side).

    ``forward(x, training, state) -> LayerValues`` (unpacks as ``(z, a)``);
    ``backward(x, dz, values) -> (grads, dx)``: parameter gradients (in
    :meth:`param_shapes` order) and dL/dx, given dL/dz and the forward values;
    ``dz_from_da(z, a, da)`` turns dL/da into dL/dz through the activation.
    """

    #: The spec ``type``.
    kind: ClassVar[str] = ""
    #: Spec keys besides ``type``, with their defaults (``None``: required).
    keys: ClassVar[dict[str, Any]] = {}
    #: Integer code of the compiled path (the op table's ``OP_KIND``).
    code: ClassVar[int] = -1
    #: Whether the kind may be the output layer (it then carries the output activation).
    can_be_output: ClassVar[bool] = False
    #: Whether the kind may sit inside a residual block.
    nestable: ClassVar[bool] = True
    #: The module whose ``forward_op``/``backward_op`` form the compiled path.
    compiled: ClassVar[str] = ""
    #: Why the kind cannot be exported (ONNX, PyTorch); empty when its hooks export it.
    no_export: ClassVar[str] = ""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    activation: str = "linear"

    # -- spec -----------------------------------------------------------------------------
    @classmethod
    def normalise(cls, layer: dict, where: str, in_shape: tuple[int, ...],
                  is_output: bool) -> dict[str, Any]:
        """Check one spec entry and return it normalised (defaults left out)."""
        raise NotImplementedError

    @classmethod
    def output_shape(cls, entry: dict[str, Any], in_shape: tuple[int, ...],
                     where: str) -> tuple[int, ...]:
        """The example shape this layer outputs for ``in_shape`` (SpecError if it cannot)."""
        return in_shape

    @classmethod
    def param_count(cls, entry: dict[str, Any], in_shape: tuple[int, ...]) -> int:
        """Parameters of a layer built from ``entry`` (counted before anything is allocated)."""
        return 0

    @classmethod
    def from_entry(cls, entry: dict[str, Any], in_shape: tuple[int, ...]) -> Layer:
        """Build the layer from a normalised spec entry."""
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What a view needs to draw the layer: kind, shapes, units, activation, children."""
        return {"kind": self.kind, "in_shape": self.in_shape, "out_shape": self.out_shape,
                "units": self.n_out, "activation": self.activation,
                "params": [tuple(s) for s in self.param_shapes()],
                "param_names": list(self.param_names()), "children": []}

    @property
    def n_in(self) -> int:
        return math.prod(self.in_shape)

    @property
    def n_out(self) -> int:
        return math.prod(self.out_shape)

    def count_layers(self) -> int:
        """Layers in this one, itself included (a residual block counts its own layers)."""
        return 1

    # -- parameters -----------------------------------------------------------------------
    def param_shapes(self) -> list[tuple[int, ...]]:
        return []

    def param_names(self) -> list[str]:
        return []

    def bind(self, views: list[np.ndarray], offsets: list[int] | None = None) -> None:
        """Attach views into the network's flat parameter vector (in param_shapes order)."""

    def parameters(self) -> list[np.ndarray]:
        return []

    def regularised(self) -> list[bool]:
        """For each parameter array: whether L1/L2 regularisation applies to it."""
        return [False] * len(self.param_shapes())

    def init_params(self, rng: np.random.Generator, scheme: str) -> None:
        """Fill the bound parameters according to ``scheme``."""

    def weights(self) -> tuple | None:
        """Copies of the parameters as :meth:`Network.get_weights` lists them (None: none)."""
        params = self.parameters()
        return tuple(p.copy() for p in params) if params else None

    def structure(self, flat: list[np.ndarray]) -> tuple | None:
        """Group arrays given in :meth:`param_shapes` order like :meth:`weights` does."""
        return tuple(flat) if flat else None

    # -- math -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False,
                state: np.ndarray | None = None) -> LayerValues:
        raise NotImplementedError

    def backward(self, x: np.ndarray, dz: np.ndarray,
                 values: LayerValues | None = None) -> tuple[list[np.ndarray], np.ndarray]:
        raise NotImplementedError

    def dz_from_da(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da

    # -- compiled path ----------------------------------------------------------------------
    def ops(self, plan: Any) -> None:
        """Append this layer's rows to the compiled op table (see :mod:`..driver`)."""
        raise NotImplementedError

    # -- export (neuroviz.export; onnx and torch are imported there, never here) ------------
    def export_onnx(self, graph: Any, x: str) -> str:
        """Add this layer's ONNX nodes to ``graph`` (an :class:`neuroviz.export.OnnxGraph`)
        after the tensor ``x``; return the name of the layer's output tensor."""
        raise NotImplementedError(f"{self.kind}: no ONNX export ({self.no_export or 'no hook'})")

    def export_torch(self, writer: Any) -> None:
        """Add this layer's ``torch.nn`` modules and weights to ``writer`` (a
        :class:`neuroviz.export.TorchWriter`)."""
        raise NotImplementedError(f"{self.kind}: no PyTorch export "
                                  f"({self.no_export or 'no hook'})")
