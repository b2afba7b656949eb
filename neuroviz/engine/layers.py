"""Layer kinds behind one interface (kept for imports; each kind lives in :mod:`.kinds`)."""

from neuroviz.engine.kinds import (
    LAYER_KINDS,
    Dense,
    Dropout,
    Layer,
    LayerNorm,
    LayerValues,
    Residual,
    SpecError,
)

__all__ = ["LAYER_KINDS", "Dense", "Dropout", "Layer", "LayerNorm", "LayerValues", "Residual",
           "SpecError"]
