"""Layer kinds, one module each, found by every part of the engine through :data:`LAYER_KINDS`.

See ``docs/adding-a-layer-kind.md`` for the contract and a worked example.
"""

from __future__ import annotations

from neuroviz.engine.kinds.base import Layer, LayerValues, SpecError
from neuroviz.engine.kinds.conv2d import Conv2D
from neuroviz.engine.kinds.dense import Dense
from neuroviz.engine.kinds.dropout import Dropout
from neuroviz.engine.kinds.flatten import Flatten
from neuroviz.engine.kinds.layernorm import LayerNorm
from neuroviz.engine.kinds.pooling import AvgPool, GlobalAvgPool, GlobalMaxPool, MaxPool
from neuroviz.engine.kinds.residual import Residual

#: Registry of layer kinds by their spec ``type``.
LAYER_KINDS: dict[str, type[Layer]] = {
    cls.kind: cls for cls in (Dense, Dropout, LayerNorm, Residual, Conv2D, Flatten, MaxPool,
                              AvgPool, GlobalMaxPool, GlobalAvgPool)
}

__all__ = ["LAYER_KINDS", "AvgPool", "Conv2D", "Dense", "Dropout", "Flatten", "GlobalAvgPool",
           "GlobalMaxPool", "Layer", "LayerNorm", "LayerValues", "MaxPool", "Residual",
           "SpecError"]
