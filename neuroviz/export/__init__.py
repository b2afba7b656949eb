"""Taking a trained network further: ONNX models and standalone PyTorch scripts (no Qt).

* :func:`export_onnx` writes an ONNX model (``onnx`` package, extra ``neuroviz[export]``)
  that any ONNX runtime can run: same layers, same weights, same predictions.
* :func:`export_torch` writes ``model.py`` (the network as ``torch.nn.Module`` code, with a
  short training loop to continue from) and the weights in ``weights.npz`` beside it.

Each layer kind exports itself: :meth:`~neuroviz.engine.kinds.base.Layer.export_onnx` and
:meth:`~neuroviz.engine.kinds.base.Layer.export_torch` in its engine module, written against
the small builders here (:class:`OnnxGraph`, :class:`TorchWriter`), so the engine imports
neither onnx nor torch.
"""

from __future__ import annotations

from neuroviz.export.errors import ExportError
from neuroviz.export.onnx_graph import OnnxGraph, export_onnx, onnx_model
from neuroviz.export.sources import ExportSource, dataset_arrays, source_from_experiment
from neuroviz.export.torch_script import TorchWriter, export_torch, torch_source

__all__ = ["ExportError", "ExportSource", "OnnxGraph", "TorchWriter", "dataset_arrays",
           "export_onnx", "export_torch", "onnx_model", "source_from_experiment", "torch_source"]
