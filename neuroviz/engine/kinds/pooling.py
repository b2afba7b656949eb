"""Pooling: each output value summarises one window of an image's feature map, channel by
channel, by its largest value (max) or its mean (average). Pooling has no parameters; it
shrinks the map so later layers see a wider part of the image for fewer values.

Spec::

    {"type": "maxpool", "size": 2}        (H, W, C) -> (H/size, W/size, C)
    {"type": "avgpool", "size": 2}        (H, W, C) -> (H/size, W/size, C)
    {"type": "globalmaxpool"}             (H, W, C) -> (C,)
    {"type": "globalavgpool"}             (H, W, C) -> (C,)

``size`` is a whole number from 1 to :data:`MAX_SIZE` (default 2); windows are size×size
and do not overlap (stride = size), so ``size`` must divide both H and W. A global pool's
window is the whole H×W map. Every pool needs an image input ``[H, W, C]`` (the network's
input or a conv2d/pool layer's output) and cannot be the output layer or sit inside a
residual block.

Values travel channels last: value (i, j, c) of an example is column ``(i·W + j)·C + c``.

Math, for output (i, j, c) with window ``w(i, j) = {(i·k + u, j·k + v) : 0 ≤ u, v < k}``::

    maxpool   a[i, j, c] = max over w(i, j) of x[·, ·, c]       (its column kept as argmax)
              backward   dx[argmax] = da[i, j, c], every other dx = 0
    avgpool   a[i, j, c] = mean over w(i, j) of x[·, ·, c]
              backward   dx[p, q, c] = da[i, j, c] / k²  for every (p, q) in w(i, j)

The global pools are the same with one window of H×W. Max ties go to the first value of the
window in row-major order (lowest u, then lowest v), as NumPy's ``argmax`` does.
:attr:`LayerValues.extras` of maxpool and globalmaxpool hold ``argmax``: per output value
the flat input column it took, shape (batch, n_out), int64.

Export: ONNX ``MaxPool``/``AveragePool``/``GlobalMaxPool``/``GlobalAveragePool`` between a
reshape to NCHW and back (see :mod:`neuroviz.export.images`); in float64 models, which ONNX
Runtime runs only for MaxPool, the other three are ``ReduceMean``/``ReduceMax`` over the
window axes. PyTorch ``nn.MaxPool2d``, ``nn.AvgPool2d``, ``nn.AdaptiveMaxPool2d(1)``,
``nn.AdaptiveAvgPool2d(1)`` in the channels-last wrapper ``ChannelsLast``.

Compiled path: one pair of kernels for all four kinds. Integer settings of the op row:
``OP_I0`` input height H, ``OP_I1`` input width W, ``OP_I2`` window height, ``OP_I3`` window
width (size and size, or H and W for a global pool); ``OP_FLAG`` 0 for max, 1 for average.
Channels follow as NIN / (H·W). Max pools keep each output's argmax column in the scratch
space ``S`` for the backward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from neuroviz.engine.kinds.base import (
    OP_FLAG,
    OP_I0,
    OP_I1,
    OP_I2,
    OP_I3,
    OP_IN,
    OP_NIN,
    OP_OUT,
    OP_S,
    Layer,
    LayerValues,
    SpecError,
    check_keys,
    is_int,
)

#: The largest pooling window side.
MAX_SIZE = 64
MAX, AVERAGE = 0, 1
#: The ONNX operator of each pool: (MAX or AVERAGE, global?) -> op.
ONNX_OPS = {(MAX, False): "MaxPool", (AVERAGE, False): "AveragePool",
            (MAX, True): "GlobalMaxPool", (AVERAGE, True): "GlobalAveragePool"}
_OPTS = dict(nogil=True, cache=True, error_model="numpy")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _divisors(h: int, w: int) -> list[int]:
    return [k for k in range(1, min(h, w, MAX_SIZE) + 1) if h % k == 0 and w % k == 0]


class _Pool(Layer):
    """What the four pools share: a window per output value, max or mean, no parameters."""

    mode: int = MAX
    is_global: bool = False
    nestable = False  # pooling changes the map's size: it goes between blocks, not in them
    compiled = __name__

    def __init__(self, in_shape: tuple[int, ...], size: int = 2) -> None:
        self.in_shape = tuple(int(d) for d in in_shape)
        h, w, c = self.in_shape
        self.size = None if self.is_global else int(size)
        self.window = (h, w) if self.is_global else (self.size, self.size)
        kh, kw = self.window
        self.out_shape = (c,) if self.is_global else (h // kh, w // kw, c)
        # the flat input column of every window value: (n_out, kh·kw), row-major in the window
        self.columns = self._windows(np.arange(self.n_in)[None, :])[0].reshape(self.n_out,
                                                                               kh * kw)

    @classmethod
    def from_entry(cls, entry, in_shape):
        return cls(in_shape, entry.get("size", 2))

    # -- spec -----------------------------------------------------------------------------
    @classmethod
    def normalise(cls, layer, where, in_shape, is_output):
        check_keys(layer, where, set(cls.keys))
        if cls.is_global:
            return {"type": cls.kind}
        size = layer.get("size", 2)
        if not is_int(size) or not 1 <= size <= MAX_SIZE:
            raise SpecError(f"{where}.size: expected a whole number from 1 to {MAX_SIZE} "
                            f"(the side of the square window), got {size!r}")
        return {"type": cls.kind, "size": int(size)}

    @classmethod
    def output_shape(cls, entry, in_shape, where):
        if len(in_shape) != 3:
            raise SpecError(f"{where}: {cls.kind} needs an image input [H, W, C], got shape "
                            f"{_shape_text(in_shape)} (put it after the network's image input "
                            f"or a conv2d or pooling layer)")
        h, w, c = in_shape
        if cls.is_global:
            return (c,)
        k = entry.get("size", 2)
        if h % k or w % k:
            raise SpecError(f"{where}.size: a {k}×{k} window (stride {k}) must divide the "
                            f"height and width of its input, but the input shape is "
                            f"{_shape_text(in_shape)} ({h}×{w}); sizes that fit: "
                            f"{', '.join(map(str, _divisors(h, w)))}")
        return (h // k, w // k, c)

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind} if self.is_global else {"type": self.kind,
                                                           "size": self.size}

    def describe(self):
        d = super().describe()
        return d if self.is_global else {**d, "size": self.size}

    # -- reference math -------------------------------------------------------------------
    def _windows(self, x: np.ndarray) -> np.ndarray:
        """x (n, H·W·C) as (n, H', W', C, kh·kw): each output's window, row-major."""
        h, w, c = self.in_shape
        kh, kw = self.window
        return (x.reshape(len(x), h // kh, kh, w // kw, kw, c)
                .transpose(0, 1, 3, 5, 2, 4).reshape(len(x), h // kh, w // kw, c, kh * kw))

    def _spread(self, g: np.ndarray) -> np.ndarray:
        """g (n, H'·W'·C) copied to every value of its window: (n, H·W·C)."""
        h, w, c = self.in_shape
        kh, kw = self.window
        g = g.reshape(len(g), h // kh, 1, w // kw, 1, c)
        return np.broadcast_to(g, (len(g), h // kh, kh, w // kw, kw, c)).reshape(len(g), -1)

    def forward(self, x, training=False, state=None):
        """a = max (with its column as argmax) or mean of x over each window, per channel."""
        windows = self._windows(x)
        if self.mode == AVERAGE:
            a = windows.mean(axis=-1).reshape(len(x), -1)
            return LayerValues(a, a)
        best = windows.argmax(axis=-1).reshape(len(x), -1)  # first of equal maxima
        argmax = self.columns[np.arange(self.n_out), best]
        a = np.take_along_axis(x, argmax, axis=1)
        return LayerValues(a, a, argmax=argmax.astype(np.int64))

    def backward(self, x, dz, values=None):
        """max: dx[argmax] = da, 0 elsewhere; average: dx = da / (kh·kw) over the window."""
        if self.mode == AVERAGE:
            return [], self._spread(dz / (self.window[0] * self.window[1]))
        if values is None or "argmax" not in values.extras:
            values = self.forward(x)
        dx = np.zeros_like(x)
        np.put_along_axis(dx, values.extras["argmax"], dz, axis=1)
        return [], dx

    # -- export (helpers in neuroviz.export.images, imported only when exporting) ----------
    def export_onnx(self, graph, x):
        """ONNX: MaxPool (kernel = strides = size), AveragePool, GlobalMaxPool or
        GlobalAveragePool on the row as an NCHW image, then back to a row. ONNX Runtime has
        no float64 kernel for the last three, so float64 models write them as ReduceMean or
        ReduceMax over the window axes of the row seen as (H', kh, W', kw, C): same values."""
        from neuroviz.export import images

        h, w, c = self.in_shape
        kh, kw = self.window
        op = ONNX_OPS[self.mode, self.is_global]
        if op == "MaxPool" or graph.dtype != "float64":
            attributes = {} if self.is_global else {"kernel_shape": [kh, kw],
                                                    "strides": [kh, kw]}
            out = (1, 1, c) if self.is_global else self.out_shape
            return images.image_node(graph, op, x, self.in_shape, out, **attributes)
        windows = images.reshape(graph, x, (h // kh, kh, w // kw, kw, c))
        reduced = graph.node("ReduceMax" if self.mode == MAX else "ReduceMean", [windows],
                             axes=[2, 4], keepdims=0)
        return images.reshape(graph, reduced, [self.n_out])

    def export_torch(self, writer):
        """PyTorch: nn.MaxPool2d(size), nn.AvgPool2d(size), nn.AdaptiveMaxPool2d(1) or
        nn.AdaptiveAvgPool2d(1), run channels first inside the ChannelsLast wrapper."""
        from neuroviz.export import images

        name = "Max" if self.mode == MAX else "Avg"
        layer = (f"nn.Adaptive{name}Pool2d(1)" if self.is_global
                 else f"nn.{name}Pool2d({self.size})")
        note = self.kind if self.is_global else f"{self.kind}, {self.size}×{self.size} windows"
        images.torch_image_module(writer, layer, self.in_shape, note)

    # -- compiled path --------------------------------------------------------------------
    def ops(self, plan, x):
        out = plan.slot(self.n_out)
        h, w, _ = self.in_shape
        kh, kw = self.window
        scratch = plan.scratch(self.n_out) if self.mode == MAX else 0
        plan.add(self.code, IN=x, OUT=out, NIN=self.n_in, NOUT=self.n_out, FLAG=self.mode,
                 S=scratch, I0=h, I1=w, I2=kh, I3=kw)
        return out


class MaxPool(_Pool):
    """``a[i, j, c]`` = the largest x[·, ·, c] in the size×size window (i, j)."""

    kind = "maxpool"
    keys = {"size": 2}
    code = 10
    mode = MAX


class AvgPool(_Pool):
    """``a[i, j, c]`` = the mean of x[·, ·, c] over the size×size window (i, j)."""

    kind = "avgpool"
    keys = {"size": 2}
    code = 11
    mode = AVERAGE


class GlobalMaxPool(_Pool):
    """``a[c]`` = the largest x[·, ·, c] over the whole map."""

    kind = "globalmaxpool"
    keys: dict[str, Any] = {}
    code = 12
    mode = MAX
    is_global = True


class GlobalAvgPool(_Pool):
    """``a[c]`` = the mean of x[·, ·, c] over the whole map."""

    kind = "globalavgpool"
    keys: dict[str, Any] = {}
    code = 13
    mode = AVERAGE
    is_global = True


# The kernels index with unsigned integers (no negative-index wraparound to check) and keep
# each window's running max or sum in a register: output and input share the buffer A, so
# a running value kept in A would be reloaded after every store.
@njit(inline="always", **_OPTS)
def _pool_forward(A, Z, S, x, out, s, n, h, w, kh, kw, c_n, is_max):
    """a = max (its column into S) or mean over each kh×kw window; offsets unsigned."""
    nin = h * w * c_n
    ho = h // kh
    wo = w // kw
    nout = ho * wo * c_n
    count = np.float64(kh * kw)
    for r in range(n):
        xr = x + r * nin
        for i in range(ho):
            for j in range(wo):
                k = r * nout + (i * wo + j) * c_n  # this window's first output value
                first = (i * kh * w + j * kw) * c_n  # input column of its top-left value
                for c in range(c_n):
                    if is_max:
                        best = A[xr + first + c]
                        arg = first + c
                        for u in range(kh):
                            for v in range(kw):
                                col = first + (u * w + v) * c_n + c
                                value = A[xr + col]
                                better = value > best  # strict: ties keep the first
                                # selects, not jumps: a max of random values is unpredictable
                                best = value if better else best
                                arg = col if better else arg
                        S[s + k + c] = arg
                    else:
                        best = 0.0
                        for u in range(kh):
                            for v in range(kw):
                                best += A[xr + first + (u * w + v) * c_n + c]
                        best /= count
                    A[out + k + c] = best
                    Z[out + k + c] = best


@njit(inline="always", **_OPTS)
def _pool_backward(D, S, x, out, s, n, h, w, kh, kw, c_n, is_max):
    """dx[argmax] = da (0 elsewhere), or dx = da / (kh·kw) over each window; unsigned."""
    nin = h * w * c_n
    ho = h // kh
    wo = w // kw
    nout = ho * wo * c_n
    count = np.float64(kh * kw)
    for r in range(n):
        xr = x + r * nin
        if is_max:
            for q in range(nin):
                D[xr + q] = 0.0
            for k in range(nout):
                D[xr + np.uint64(S[s + r * nout + k])] = D[out + r * nout + k]
            continue
        for i in range(ho):
            for j in range(wo):
                k = out + r * nout + (i * wo + j) * c_n
                first = xr + (i * kh * w + j * kw) * c_n
                for c in range(c_n):
                    g = D[k + c] / count
                    for u in range(kh):
                        for v in range(kw):
                            D[first + (u * w + v) * c_n + c] = g


@njit(**_OPTS)
def forward_op(o, ops, fops, params, A, Z, S, n, training, state):
    """a = max (its column into S) or mean of x over each kh×kw window, per channel."""
    h = ops[o, OP_I0]
    w = ops[o, OP_I1]
    _pool_forward(A, Z, S, np.uint64(ops[o, OP_IN]), np.uint64(ops[o, OP_OUT]),
                  np.uint64(ops[o, OP_S]), np.uint64(n), np.uint64(h), np.uint64(w),
                  np.uint64(ops[o, OP_I2]), np.uint64(ops[o, OP_I3]),
                  np.uint64(ops[o, OP_NIN] // (h * w)), ops[o, OP_FLAG] == MAX)


@njit(**_OPTS)
def backward_op(o, ops, fops, params, grads, A, Z, D, S, n):
    """max: dx[argmax] = da, 0 elsewhere; average: dx = da / (kh·kw) over each window."""
    if ops[o, OP_IN] == 0:
        return
    h = ops[o, OP_I0]
    w = ops[o, OP_I1]
    _pool_backward(D, S, np.uint64(ops[o, OP_IN]), np.uint64(ops[o, OP_OUT]),
                   np.uint64(ops[o, OP_S]), np.uint64(n), np.uint64(h), np.uint64(w),
                   np.uint64(ops[o, OP_I2]), np.uint64(ops[o, OP_I3]),
                   np.uint64(ops[o, OP_NIN] // (h * w)), ops[o, OP_FLAG] == MAX)
