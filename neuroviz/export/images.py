"""Images in exported models: neuroviz rows (channels last) to the NCHW images that ONNX's
and PyTorch's image operators want, and back.

Between layers neuroviz keeps each example as one row of ``H·W·C`` values, channels last:
value (i, j, c) is column ``(i·W + j)·C + c``. ONNX (Conv, MaxPool, ...) and ``torch.nn``
(Conv2d, MaxPool2d, ...) take images as ``(n, C, H, W)``. An image layer's export therefore
reshapes its row to ``(n, H, W, C)``, transposes it to ``(n, C, H, W)``, applies the operator
and turns the result back into a row the same way round. The helpers here do that for every
image kind (convolution, pooling):

* ONNX: :func:`to_images` and :func:`to_rows` around one's own nodes, or :func:`image_node`
  for a single operator; :func:`reshape` for a plain reshape that keeps the batch size.
* PyTorch: :func:`torch_image_module` wraps a ``torch.nn`` image layer in the small
  ``ChannelsLast`` module (:data:`TORCH_CLASS`) that ``model.py`` defines.

Nothing here imports onnx or torch: the ONNX helpers add nodes through an
:class:`~neuroviz.export.onnx_graph.OnnxGraph`, the PyTorch one writes code through a
:class:`~neuroviz.export.torch_script.TorchWriter`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: NHWC -> NCHW and NCHW -> NHWC as ONNX Transpose permutations.
TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)

#: The PyTorch module an exported ``model.py`` defines for image layers.
TORCH_CLASS = '''class ChannelsLast(nn.Module):
    """Runs a torch.nn image layer, which takes (n, C, H, W), on neuroviz rows of H·W·C
    values, channels last: value (i, j, c) of an example is column (i·W + j)·C + c."""

    def __init__(self, layer, height, width, channels):
        super().__init__()
        self.layer = layer
        self.shape = (height, width, channels)

    def forward(self, x):
        images = x.reshape(x.shape[0], *self.shape).permute(0, 3, 1, 2)  # (n, C, H, W)
        return self.layer(images).permute(0, 2, 3, 1).flatten(1)  # rows, channels last
'''


def _image_shape(shape: Any) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(f"expected an image shape (H, W, C), got {tuple(shape)}")
    h, w, c = (int(d) for d in shape)
    return h, w, c


def reshape(graph: Any, x: str, dims: Any) -> str:
    """ONNX ``Reshape`` of ``x`` to ``(batch, *dims)``, the batch size kept as it is (0)."""
    return graph.node("Reshape", [x, graph.constant([0, *(int(d) for d in dims)], np.int64)])


def to_images(graph: Any, x: str, shape: Any) -> str:
    """ONNX: rows ``(n, H·W·C)`` of ``x`` as images ``(n, C, H, W)``."""
    return graph.node("Transpose", [reshape(graph, x, _image_shape(shape))], perm=list(TO_NCHW))


def to_rows(graph: Any, x: str, shape: Any) -> str:
    """ONNX: images ``(n, C, H, W)`` of ``x`` (``shape`` = (H, W, C)) as rows ``(n, H·W·C)``,
    channels last."""
    nhwc = graph.node("Transpose", [x], perm=list(TO_NHWC))
    return reshape(graph, nhwc, [math.prod(_image_shape(shape))])


def image_node(graph: Any, op: str, x: str, in_shape: Any, out_shape: Any,
               inputs: tuple[str, ...] = (), **attributes: Any) -> str:
    """ONNX: the image operator ``op`` (Conv, MaxPool, ...) on the rows of ``x``: rows to
    NCHW images, ``op(images, *inputs, **attributes)``, back to rows of ``out_shape``."""
    images = to_images(graph, x, in_shape)
    return to_rows(graph, graph.node(op, [images, *inputs], **attributes), out_shape)


def torch_image_module(writer: Any, layer: str, in_shape: Any, note: str = "",
                       **weights: np.ndarray) -> None:
    """PyTorch: add ``ChannelsLast(<layer>, H, W, C)`` to ``model.py``; ``layer`` is the
    ``torch.nn`` module's code (``"nn.MaxPool2d(2)"``), ``weights`` its parameters by their
    names in that module (``weight``, ``bias``; stored as ``layers.<k>.layer.weight``)."""
    h, w, c = _image_shape(in_shape)
    writer.helper("ChannelsLast", TORCH_CLASS)
    writer.module(f"ChannelsLast({layer}, {h}, {w}, {c})", note,
                  **{f"layer.{name}": array for name, array in weights.items()})
