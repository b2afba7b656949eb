"""2-D convolution: a small filter slides over the image; each output value is the weighted
sum of the input patch under it, one feature map per filter.

Spec: ``{"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "valid",
"activation": "relu"}`` (defaults as shown; ``filters`` 1 to 64, ``kernel`` 1 to 9 (square),
``stride`` 1 to 4, ``padding`` ``"valid"`` or ``"same"``, ``activation`` any a hidden dense
layer allows). Needs an image input ``[H, W, C]`` (channels last); never the output layer.

Output shape ``(H', W', filters)``: ``valid``: ``H' = (H − k)//stride + 1`` (the kernel must
fit); ``same``: ``H' = ceil(H / stride)`` with total padding ``max((H'−1)·stride + k − H, 0)``,
of which the top (left) side gets ``total//2`` and the bottom (right) the rest (TensorFlow's
and ONNX's SAME_UPPER). At most :data:`MAX_VALUES` output values per example.

Parameters, in order: ``K`` (k, k, c_in, filters), regularised; ``b`` (filters,), not
regularised. Initialised He or Glorot (by the activation, as dense) with
``fan_in = k·k·c_in``, ``fan_out = k·k·filters``.

Values travel flat, row-major with channels last: value (i, j, c) of an example is column
``(i·W + j)·C + c``.

Math (``pt``, ``pl`` the top and left padding; positions outside the image count as 0)::

    forward   z[i, j, f] = b[f] + Σ_{u,v,c} x[i·s + u − pt, j·s + v − pl, c] · K[u, v, c, f]
              a = act(z)
    backward  dz = da · act'(z)
              dK[u, v, c, f] = Σ_{n,i,j} x[n, i·s + u − pt, j·s + v − pl, c] · dz[n, i, j, f]
              db[f] = Σ_{n,i,j} dz[n, i, j, f]
              dx[n, p, q, c] = Σ over (i, j, u, v) with i·s + u − pt = p, j·s + v − pl = q
                               of Σ_f dz[n, i, j, f] · K[u, v, c, f]

Seen as a matrix product (im2col): every output position's patch is one row of ``cols``
(k·k·c_in values), so ``z = cols @ K.reshape(k·k·c_in, filters) + b``; the reference below
computes it that way.

Export (through the shared helpers of :mod:`neuroviz.export.images`): ONNX float32, the row
reshaped to NHWC, transposed to NCHW, ``Conv`` (kernel as (filters, c_in, k, k), explicit
pads), transposed back and flattened; ONNX float64 (ONNX Runtime has no float64 ``Conv``),
the im2col form above in plain operators (``Pad``, strided ``Slice``, ``Concat``,
``MatMul``); PyTorch ``nn.Conv2d`` in the ``ChannelsLast`` wrapper, uneven padding as an
``nn.ZeroPad2d`` before it.

Compiled path: the op row's integer settings are ``OP_I0`` = H, ``OP_I1`` = W, ``OP_I2`` = k,
``OP_I3`` = stride, ``OP_I4`` = top padding, ``OP_I5`` = left padding, ``OP_I6`` = H',
``OP_I7`` = W'; ``OP_FLAG`` is the number of examples per im2col chunk; channels follow as
NIN/(H·W) and filters as NOUT/(H'·W'). It is the im2col form above: a chunk of examples'
patches go into the op's scratch space (at most :data:`CHUNK_VALUES` values), then one BLAS
matrix product gives z (positions × filters, exactly the layout z has between layers);
backward (which reuses the forward pass's patches when the batch fits in one chunk),
``dK = colsᵀ @ dz`` and the patches' gradients ``dz @ Kᵀ`` added back where they came from
(col2im).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine import activations as act
from neuroviz.engine import kernels as K
from neuroviz.engine.kinds.base import (
    OP_ACT,
    OP_DZ,
    OP_FLAG,
    OP_I0,
    OP_I1,
    OP_I2,
    OP_I3,
    OP_I4,
    OP_I5,
    OP_I6,
    OP_I7,
    OP_IN,
    OP_NIN,
    OP_NOUT,
    OP_OUT,
    OP_P0,
    OP_P1,
    OP_S,
    Layer,
    LayerValues,
    SpecError,
    check_keys,
    is_int,
)

PADDINGS: tuple[str, ...] = ("valid", "same")
MAX_FILTERS = 64
MAX_KERNEL = 9
MAX_STRIDE = 4
#: Output values per example (H'·W'·filters): the buffers of the compiled path hold a slot of
#: this width per layer for a whole mini-batch (and for 256 rows in evaluation).
MAX_VALUES = 8192
#: Patch values the compiled path puts into its scratch space at a time (2 MB).
CHUNK_VALUES = 1 << 18
_OPTS = dict(nogil=True, cache=True, error_model="numpy")


def image_shape(in_shape: tuple[int, ...], where: str, kind: str) -> tuple[int, int, int]:
    """``(H, W, C)`` of an image input, or a SpecError naming ``where``."""
    if len(in_shape) != 3:
        raise SpecError(f"{where}: {kind} needs an image input [H, W, C], got shape "
                        f"{list(in_shape)}")
    h, w, c = (int(d) for d in in_shape)
    return h, w, c


def geometry(h: int, w: int, k: int, stride: int, padding: str) -> tuple[int, int, int, int]:
    """``(H', W', top, left)``: the output size and the top and left padding."""
    if padding == "valid":
        return (h - k) // stride + 1, (w - k) // stride + 1, 0, 0
    ho, wo = -(-h // stride), -(-w // stride)
    return (ho, wo, max((ho - 1) * stride + k - h, 0) // 2,
            max((wo - 1) * stride + k - w, 0) // 2)


class Conv2D(Layer):
    """``z[i, j, f] = b[f] + Σ_{u,v,c} x[i·s+u−pt, j·s+v−pl, c] · K[u, v, c, f]``, ``a = f(z)``.

    Backward: ``dK = cols.T @ dz``, ``db = Σ dz``, ``dx`` = the patches of ``dz @ K.T``
    added back where they came from (col2im).
    """

    kind = "conv2d"
    keys = {"filters": 8, "kernel": 3, "stride": 1, "padding": "valid", "activation": "relu"}
    code = 4
    nestable = False
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...], filters: int = 8, kernel: int = 3,
                 stride: int = 1, padding: str = "valid", activation: str = "relu") -> None:
        self.in_shape = tuple(int(d) for d in in_shape)
        self.H, self.W, self.C = image_shape(self.in_shape, "conv2d", "conv2d")
        self.filters, self.kernel, self.stride = int(filters), int(kernel), int(stride)
        self.padding = padding
        self.activation = activation
        self.Ho, self.Wo, self.pt, self.pl = geometry(self.H, self.W, self.kernel, self.stride,
                                                      padding)
        self.out_shape = (self.Ho, self.Wo, self.filters)
        self.K = np.zeros((self.kernel, self.kernel, self.C, self.filters))
        self.b = np.zeros(self.filters)
        self.offsets: list[int] = []

    @classmethod
    def from_entry(cls, entry: dict[str, Any], in_shape: tuple[int, ...]) -> Conv2D:
        return cls(in_shape, **{k: entry.get(k, d) for k, d in cls.keys.items()})

    # -- spec -----------------------------------------------------------------------------
    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set(cls.keys))
        entry: dict[str, Any] = {"type": "conv2d"}
        for key, top in (("filters", MAX_FILTERS), ("kernel", MAX_KERNEL),
                         ("stride", MAX_STRIDE)):
            value = layer.get(key, cls.keys[key])
            if not is_int(value) or not 1 <= value <= top:
                raise SpecError(f"{where}.{key}: expected a whole number from 1 to {top}, "
                                f"got {value!r}")
            entry[key] = int(value)
        padding = layer.get("padding", "valid")
        if padding not in PADDINGS:
            raise SpecError(f"{where}.padding: expected 'valid' or 'same', got {padding!r}")
        entry["padding"] = padding
        activation = layer.get("activation", "relu")
        if activation not in act.ACTIVATIONS:
            hint = " (softmax is only for the output layer)" if activation == "softmax" else ""
            raise SpecError(f"{where}.activation: unknown activation {activation!r}{hint} "
                            f"(choose from {', '.join(act.ACTIVATIONS)})")
        entry["activation"] = activation
        cls.output_shape(entry, in_shape, where)  # an input that does not fit is refused here
        return entry

    @classmethod
    def output_shape(cls, entry, in_shape, where):
        h, w, c = image_shape(in_shape, where, "conv2d")
        k, s, padding = entry["kernel"], entry["stride"], entry["padding"]
        if padding == "valid" and (k > h or k > w):
            raise SpecError(f"{where}.kernel: a {k}x{k} kernel does not fit the {h}x{w} input "
                            f"map (input shape {list(in_shape)}, padding 'valid'); use a "
                            f"smaller kernel or padding 'same'")
        ho, wo, _, _ = geometry(h, w, k, s, padding)
        shape = (ho, wo, entry["filters"])
        if math.prod(shape) > MAX_VALUES:
            raise SpecError(f"{where}: the output shape {list(shape)} has {math.prod(shape)} "
                            f"values per example, at most {MAX_VALUES} are allowed; use fewer "
                            f"filters or a larger stride")
        return shape

    @classmethod
    def param_count(cls, entry, in_shape):
        c = in_shape[-1] if len(in_shape) == 3 else 1
        return (entry["kernel"] ** 2 * c + 1) * entry["filters"]

    def spec(self) -> dict[str, Any]:
        return {"type": "conv2d", "filters": self.filters, "kernel": self.kernel,
                "stride": self.stride, "padding": self.padding, "activation": self.activation}

    def describe(self):
        return {**super().describe(), "filters": self.filters, "kernel": self.kernel,
                "stride": self.stride, "padding": self.padding}

    # -- parameters -----------------------------------------------------------------------
    def param_shapes(self):
        return [(self.kernel, self.kernel, self.C, self.filters), (self.filters,)]

    def param_names(self):
        return ["K", "b"]

    def bind(self, views, offsets=None):
        self.K, self.b = views
        self.offsets = list(offsets or [])

    def parameters(self):
        return [self.K, self.b]

    def regularised(self):
        return [True, False]  # kernel yes, bias no

    def init_params(self, rng, scheme):
        if scheme == "auto":
            scheme = act.default_init(self.activation)
        area = self.kernel * self.kernel
        fan_in, fan_out = area * self.C, area * self.filters
        if scheme == "glorot":  # Glorot/Xavier uniform
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.K[...] = rng.uniform(-limit, limit, size=self.K.shape)
        elif scheme == "he":  # He normal
            self.K[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=self.K.shape)
        elif scheme == "uniform":
            self.K[...] = rng.uniform(-0.5, 0.5, size=self.K.shape)
        elif scheme == "zeros":
            self.K[...] = 0.0
        else:  # pragma: no cover - validated in the spec
            raise SpecError(f"unknown init {scheme!r}")
        self.b[...] = 0.0

    # -- reference math -------------------------------------------------------------------
    def _padded_shape(self, n: int) -> tuple[int, int, int, int]:
        k, s = self.kernel, self.stride
        return (n, max((self.Ho - 1) * s + k, self.H + self.pt),
                max((self.Wo - 1) * s + k, self.W + self.pl), self.C)

    def _padded(self, x: np.ndarray) -> np.ndarray:
        """The batch as (n, Hp, Wp, C) with zeros around it (Hp ≥ (H'−1)·s + k)."""
        n = len(x)
        xp = np.zeros(self._padded_shape(n))
        xp[:, self.pt:self.pt + self.H, self.pl:self.pl + self.W] = x.reshape(
            n, self.H, self.W, self.C)
        return xp

    def _cols(self, xp: np.ndarray) -> np.ndarray:
        """im2col: (n·H'·W', k·k·C), one patch per output position (a strided view, copied)."""
        n, _, _, c = xp.shape
        k, s = self.kernel, self.stride
        sn, sh, sw, sc = xp.strides
        windows = np.lib.stride_tricks.as_strided(
            xp, shape=(n, self.Ho, self.Wo, k, k, c), strides=(sn, sh * s, sw * s, sh, sw, sc),
            writeable=False)
        return windows.reshape(n * self.Ho * self.Wo, k * k * c)

    def forward(self, x, training=False, state=None):
        """z = cols(x) @ K + b (every patch times every filter), a = f(z)."""
        n = len(x)
        cols = self._cols(self._padded(x))
        z = (cols @ self.K.reshape(-1, self.filters) + self.b).reshape(n, self.n_out)
        return LayerValues(z, act.apply(self.activation, z))

    def backward(self, x, dz, values=None):
        """dK = cols.T @ dz, db = Σ dz, dx = col2im(dz @ K.T) (patches added back in place)."""
        n = len(x)
        k, s = self.kernel, self.stride
        d2 = dz.reshape(n * self.Ho * self.Wo, self.filters)
        cols = self._cols(self._padded(x))
        dK = (cols.T @ d2).reshape(self.K.shape)
        db = d2.sum(axis=0)
        dcols = (d2 @ self.K.reshape(-1, self.filters).T).reshape(
            n, self.Ho, self.Wo, k, k, self.C)
        dxp = np.zeros(self._padded_shape(n))
        for u in range(k):
            for v in range(k):
                dxp[:, u:u + s * (self.Ho - 1) + 1:s, v:v + s * (self.Wo - 1) + 1:s] += \
                    dcols[:, :, :, u, v]
        dx = dxp[:, self.pt:self.pt + self.H, self.pl:self.pl + self.W].reshape(n, self.n_in)
        return [dK, db], np.ascontiguousarray(dx)

    def dz_from_da(self, z, a, da):
        return da * act.derivative(self.activation, z, a)

    # -- export -------------------------------------------------------------------------------
    def pads(self) -> tuple[int, int, int, int]:
        """Zero padding (top, left, bottom, right) around the input map."""
        k, s = self.kernel, self.stride
        return (self.pt, self.pl, max((self.Ho - 1) * s + k - self.H, 0) - self.pt,
                max((self.Wo - 1) * s + k - self.W, 0) - self.pl)

    def export_onnx(self, graph, x):
        """ONNX: float32, the row as an NCHW image, Conv (kernel as (filters, c_in, k, k),
        explicit pads, strides), back to a row; float64 (ONNX Runtime has no float64 Conv),
        the same sum written out as im2col: Pad the NHWC image, one strided Slice per kernel
        position, Concat them to the patches (u, v, c order) and MatMul with K as
        (k·k·c_in, filters). Then + b and the activation's nodes."""
        from neuroviz.export import images

        k, s = self.kernel, self.stride
        pt, pl, pb, pr = self.pads()
        if graph.dtype != "float64":
            z = images.image_node(
                graph, "Conv", x, self.in_shape, self.out_shape,
                (graph.weight("K", self.K.transpose(3, 2, 0, 1)), graph.weight("b", self.b)),
                kernel_shape=[k, k], strides=[s, s], pads=[pt, pl, pb, pr])
            return graph.activation(self.activation, z)
        image = images.reshape(graph, x, self.in_shape)  # (n, H, W, C)
        if pt or pl or pb or pr:
            image = graph.node("Pad", [image, graph.constant([0, pt, pl, 0, 0, pb, pr, 0],
                                                             np.int64)])
        ints = lambda values: graph.constant(values, np.int64)  # noqa: E731
        patches = [graph.node("Slice", [image, ints([u, v]),
                                        ints([u + s * (self.Ho - 1) + 1,
                                              v + s * (self.Wo - 1) + 1]),
                                        ints([1, 2]), ints([s, s])])
                   for u in range(k) for v in range(k)]
        cols = patches[0] if len(patches) == 1 else graph.node("Concat", patches, axis=3)
        z = graph.node("Add", [graph.node("MatMul", [cols, graph.weight(
            "K", self.K.reshape(-1, self.filters))]), graph.weight("b", self.b)])
        return graph.activation(self.activation, images.reshape(graph, z, [self.n_out]))

    def export_torch(self, writer):
        """PyTorch: nn.Conv2d(c_in, filters, k, stride, padding) on the row as an NCHW image
        (weight K as (filters, c_in, k, k)); uneven 'same' padding is an nn.ZeroPad2d before
        it. Then the activation's module."""
        from neuroviz.export import images

        k, s = self.kernel, self.stride
        pt, pl, pb, pr = self.pads()
        weight, note = self.K.transpose(3, 2, 0, 1), (
            f"conv2d, {self.filters} filters {k}x{k}, stride {s}, {self.padding}")
        if (pt, pl) == (pb, pr):
            module = f"nn.Conv2d({self.C}, {self.filters}, {k}, stride={s}, padding=({pt}, {pl}))"
            images.torch_image_module(writer, module, self.in_shape, note, weight=weight,
                                      bias=self.b)
        else:
            module = (f"nn.Sequential(nn.ZeroPad2d(({pl}, {pr}, {pt}, {pb})), "
                      f"nn.Conv2d({self.C}, {self.filters}, {k}, stride={s}))")
            images.torch_image_module(writer, module, self.in_shape, note,
                                      **{"1.weight": weight, "1.bias": self.b})
        writer.activation(self.activation)

    # -- compiled path --------------------------------------------------------------------
    def ops(self, plan, x):
        out = plan.slot(self.n_out)
        # scratch for the patches of one chunk of examples (im2col)
        n_pos, taps = self.Ho * self.Wo, self.kernel ** 2 * self.C
        rows = chunk_rows(n_pos, taps, plan.bmax)
        plan.add(self.code, IN=x, OUT=out, NIN=self.n_in, NOUT=self.n_out, P0=self.offsets[0],
                 S=plan.scratch(-(-rows * n_pos * taps // plan.bmax)), FLAG=rows,
                 P1=self.offsets[1], ACT=act.CODES[self.activation], I0=self.H, I1=self.W,
                 I2=self.kernel, I3=self.stride, I4=self.pt, I5=self.pl, I6=self.Ho,
                 I7=self.Wo)
        return out


# reassoc lets LLVM vectorise the sums; contract allows fused multiply-adds. Neither touches
# NaN/inf handling, so the driver's finiteness checks stay truthful.
_FAST = dict(_OPTS, fastmath={"reassoc", "contract"})
_U = np.uint64  # unsigned indices spare Numba's negative-index wraparound checks


@njit(inline="always", **_FAST)
def _window(i, j, s, pt, pl, k, h, w):
    """The patch of output (i, j): top-left input row and column (negative in the padding)
    and the kernel rows u0:u1 and columns v0:v1 that fall inside the image."""
    r0 = i * s - pt
    c0 = j * s - pl
    return r0, c0, max(0, -r0), min(k, h - r0), max(0, -c0), min(k, w - c0)


@njit(**_FAST)
def _patches(A, xe, m, S, h, w, c, k, s, pt, pl, ho, wo, add_back):
    """im2col of m examples from A[xe:]: row ((e·ho + i)·wo + j) of S holds the patch of
    output (i, j), values in (u, v, channel) order, 0 in the padding. With ``add_back``,
    col2im instead: each patch row of S is added into A where it came from."""
    taps = k * k * c
    for e in range(m):
        xb = xe + e * h * w * c
        for i in range(ho):
            for j in range(wo):
                r0, c0, u0, u1, v0, v1 = _window(i, j, s, pt, pl, k, h, w)
                row = _U(((e * ho + i) * wo + j) * taps)
                if not add_back and (u0 > 0 or u1 < k or v0 > 0 or v1 < k):
                    for t in range(_U(taps)):
                        S[row + t] = 0.0
                run = _U((v1 - v0) * c)
                for u in range(u0, u1):
                    x = _U(xb + ((r0 + u) * w + c0 + v0) * c)
                    r = row + _U((u * k + v0) * c)
                    if add_back:
                        for t in range(run):
                            A[x + t] += S[r + t]
                    else:
                        for t in range(run):
                            S[r + t] = A[x + t]


def chunk_rows(n_pos: int, taps: int, bmax: int) -> int:
    """Examples per im2col chunk: all of a mini-batch when their patches take at most
    :data:`CHUNK_VALUES` values, fewer (at least one) otherwise."""
    return max(1, min(bmax, CHUNK_VALUES // (n_pos * taps)))


@njit(**_FAST)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """z[i, j, f] = b[f] + Σ_{u,v,c} x[i·s+u−pt, j·s+v−pl, c] · K[u, v, c, f], a = f(z).

    In chunks of examples: their patches into the scratch space (im2col), then one matrix
    product with K as (k·k·c, filters) straight into z (positions × filters), then + b.
    """
    x0 = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    h, w, k, s = ops[o, OP_I0], ops[o, OP_I1], ops[o, OP_I2], ops[o, OP_I3]
    pt, pl, ho, wo = ops[o, OP_I4], ops[o, OP_I5], ops[o, OP_I6], ops[o, OP_I7]
    c = ops[o, OP_NIN] // (h * w)
    n_pos = ho * wo
    f = ops[o, OP_NOUT] // n_pos
    taps = k * k * c
    kp = ops[o, OP_P0]
    bp = ops[o, OP_P1]
    cs = ops[o, OP_S]
    rows = ops[o, OP_FLAG]  # examples per chunk
    kernel = params[kp:kp + taps * f].reshape((taps, f))
    for e0 in range(0, n, rows):
        m = min(rows, n - e0)
        _patches(A, x0 + e0 * h * w * c, m, S[cs:], h, w, c, k, s, pt, pl, ho, wo, False)
        z0 = out + e0 * n_pos * f
        K.matmul(S[cs:cs + m * n_pos * taps].reshape((m * n_pos, taps)), kernel,
                 Z[z0:z0 + m * n_pos * f].reshape((m * n_pos, f)))
    for p in range(n * n_pos):
        zr = _U(out + p * f)
        for q in range(_U(f)):
            Z[zr + q] += params[_U(bp) + q]
    K.activate(ops[o, OP_ACT], Z[out:], A[out:], n, ops[o, OP_NOUT])


@njit(**_FAST)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """dz = da·f'(z); per chunk dK += patchesᵀ @ dz, db = Σ dz, and dx: the patches'
    gradients dz @ Kᵀ added back where they came from (col2im)."""
    x0 = ops[o, OP_IN]
    out = ops[o, OP_OUT]
    h, w, k, s = ops[o, OP_I0], ops[o, OP_I1], ops[o, OP_I2], ops[o, OP_I3]
    pt, pl, ho, wo = ops[o, OP_I4], ops[o, OP_I5], ops[o, OP_I6], ops[o, OP_I7]
    c = ops[o, OP_NIN] // (h * w)
    n_pos = ho * wo
    f = ops[o, OP_NOUT] // n_pos
    taps = k * k * c
    kp = ops[o, OP_P0]
    bp = ops[o, OP_P1]
    cs = ops[o, OP_S]
    rows = ops[o, OP_FLAG]
    if ops[o, OP_DZ] == 0:
        K.activation_grad(ops[o, OP_ACT], Z[out:], A[out:], D[out:], n * ops[o, OP_NOUT])
    for t in range(taps * f):
        grads[kp + t] = 0.0
    for q in range(f):
        grads[bp + q] = 0.0
    for p in range(n * n_pos):
        dr = _U(out + p * f)
        for q in range(_U(f)):
            grads[_U(bp) + q] += D[dr + q]
    want_dx = x0 != 0  # no gradient for the network input
    if want_dx:
        for t in range(n * h * w * c):
            D[x0 + t] = 0.0
    # dK = colsᵀ @ dz, or (dzᵀ @ cols)ᵀ when dz is the smaller one to transpose
    small_dz = f < taps
    dkernel = np.empty((f, taps)) if small_dz else np.empty((taps, f))
    dk = dkernel.reshape(taps * f)
    kernel_t = K.transposed(params[kp:kp + taps * f].reshape((taps, f)))
    for e0 in range(0, n, rows):
        m = min(rows, n - e0)
        xe = x0 + e0 * h * w * c
        cols = S[cs:cs + m * n_pos * taps].reshape((m * n_pos, taps))
        d0 = out + e0 * n_pos * f
        dz = D[d0:d0 + m * n_pos * f].reshape((m * n_pos, f))
        if n > rows:  # one chunk: the forward pass left this batch's patches in S
            _patches(A, xe, m, S[cs:], h, w, c, k, s, pt, pl, ho, wo, False)
        if small_dz:
            K.matmul(K.transposed(dz), cols, dkernel)
            for q in range(f):
                for t in range(taps):
                    grads[kp + t * f + q] += dk[q * taps + t]
        else:
            K.matmul(K.transposed(cols), dz, dkernel)
            for t in range(taps * f):
                grads[kp + t] += dk[t]
        if want_dx:
            K.matmul(dz, kernel_t, cols)  # the patches' gradients, in place of the patches
            _patches(D, xe, m, S[cs:], h, w, c, k, s, pt, pl, ho, wo, True)
