"""Receptive fields through a stack of convolution and pooling layers (Qt-free).

A feature-map pixel of a conv2d or pooling layer is computed from a window of the maps
before it, and that window from a larger one further back, down to the input image. Each
map layer is a :class:`MapStep` (its kernel, stride and the padding on the top/left side,
as the engine's spec defines them); :func:`receptive_field` walks a pixel's window back
through the steps, clipped to each map (padding positions are zeros, not pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MapStep", "conv_output", "receptive_field", "step_of"]


@dataclass(frozen=True)
class MapStep:
    """Output pixel (i, j) of a map layer reads input rows ``i*stride - pad_top`` to
    ``i*stride - pad_top + kernel_h - 1`` (columns likewise) of an ``in_h`` x ``in_w`` map."""

    kernel_h: int
    kernel_w: int
    stride: int
    pad_top: int
    pad_left: int
    in_h: int
    in_w: int


def conv_output(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """``(output size, padding before)`` of one axis, as the engine's conv2d computes it:
    valid ``(size - kernel)//stride + 1`` and no padding; same ``ceil(size / stride)`` with
    the smaller half of the total padding before (TensorFlow / ONNX SAME_UPPER)."""
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, total // 2
    return (size - kernel) // stride + 1, 0


def step_of(desc: dict) -> MapStep | None:
    """The :class:`MapStep` of a layer from :meth:`Network.describe` (conv2d, maxpool,
    avgpool); None for layers whose output is not a map of the same pixels."""
    kind = desc["kind"]
    in_shape = tuple(desc.get("in_shape", ()))
    if len(in_shape) != 3:
        return None
    h, w = int(in_shape[0]), int(in_shape[1])
    if kind == "conv2d":
        k, s = int(desc["kernel"]), int(desc["stride"])
        _, top = conv_output(h, k, s, desc["padding"])
        _, left = conv_output(w, k, s, desc["padding"])
        return MapStep(k, k, s, top, left, h, w)
    if kind in ("maxpool", "avgpool"):
        size = int(desc["size"])
        return MapStep(size, size, size, 0, 0, h, w)
    return None


def receptive_field(steps: list[MapStep], rows: tuple[int, int],
                    cols: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The windows that output pixels ``rows[0]..rows[1]`` x ``cols[0]..cols[1]``
    (inclusive) of the last of ``steps`` read, on the input of every step.

    ``steps`` run from the first map layer to the hovered one; the result has one
    ``(row0, row1, col0, col1)`` (inclusive, clipped to that map) per step, in the same
    order: entry ``m`` is the window on the input of ``steps[m]`` (entry 0: the image).
    """
    r0, r1 = rows
    c0, c1 = cols
    out: list[tuple[int, int, int, int]] = []
    for st in reversed(steps):
        r0, r1 = r0 * st.stride - st.pad_top, r1 * st.stride - st.pad_top + st.kernel_h - 1
        c0, c1 = c0 * st.stride - st.pad_left, c1 * st.stride - st.pad_left + st.kernel_w - 1
        r0, r1 = max(r0, 0), min(r1, st.in_h - 1)
        c0, c1 = max(c0, 0), min(c1, st.in_w - 1)
        out.append((r0, r1, c0, c1))
    return out[::-1]
