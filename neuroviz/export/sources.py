"""What an export starts from: a network with its weights, and, when known, the data it was
trained on and the training settings (for the PyTorch script's training loop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ExportSource:
    """A trained network plus what the PyTorch script's training loop can continue with.

    ``data`` holds ``X_train``, ``Y_train`` (and ``X_test``, ``Y_test``) or is None;
    ``training`` holds ``optimizer``, ``learning_rate``, ``momentum``, ``batch_size``;
    ``notes`` are things worth telling the user (e.g. "no trained weights").
    """

    network: Any
    data: dict[str, np.ndarray] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def dataset_arrays(ds: Any) -> dict[str, np.ndarray]:
    """The arrays of a loaded dataset, as the PyTorch script's data file keeps them."""
    arrays = {"X_train": ds.X_train, "Y_train": ds.Y_train}
    if getattr(ds, "X_test", None) is not None and len(ds.X_test):
        arrays.update(X_test=ds.X_test, Y_test=ds.Y_test)
    return arrays


def source_from_experiment(experiment: Any) -> ExportSource:
    """The network of a (validated) experiment with its weights, its dataset and settings.

    An experiment saved before any training holds no weights: the network then has the
    initial weights of its seed, and a note says so.
    """
    from neuroviz.data import DatasetError
    from neuroviz.engine import Network
    from neuroviz.experiment import load_dataset_for

    net = Network.from_spec(experiment.spec, seed=experiment.seed)
    notes = []
    if experiment.weights is not None:
        net.set_weights(experiment.weights)
    else:
        notes.append(f"the experiment holds no trained weights: exporting the initial "
                     f"weights of seed {experiment.seed}")
    hp = experiment.hyperparameters
    training = {"optimizer": hp.optimizer, "learning_rate": hp.learning_rate,
                "momentum": hp.momentum, "batch_size": hp.batch_size}
    try:
        data = dataset_arrays(load_dataset_for(experiment.dataset))
    except (DatasetError, ValueError, TypeError, OverflowError) as exc:
        data = None
        notes.append(f"the dataset could not be loaded ({exc}); the training data is "
                     f"left out")
    return ExportSource(net, data, training, notes)
