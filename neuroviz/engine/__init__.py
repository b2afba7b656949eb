"""The training engine: NumPy + Numba, no Qt.

>>> from neuroviz.engine import Network, Trainer
>>> net = Network.from_spec({"inputs": 2, "layers": [
...     {"type": "dense", "units": 8, "activation": "tanh"},
...     {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}, seed=0)
"""

from neuroviz.engine.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
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
from neuroviz.engine.losses import LOSSES
from neuroviz.engine.network import INITS, Network, normalise_spec
from neuroviz.engine.trainer import OPTIMIZERS, Snapshot, Trainer

__all__ = [
    "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "OPTIMIZERS", "INITS", "LAYER_KINDS",
    "Dense", "Dropout", "Layer", "LayerNorm", "LayerValues", "Network", "Residual", "SpecError",
    "Snapshot", "Trainer", "normalise_spec",
]
