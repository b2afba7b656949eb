"""The :class:`Dataset` container, :class:`DatasetInfo` and shared helpers.

Conventions (all loaders follow them):

* ``X_*`` are float64 arrays of shape ``(n, n_features)``.
* ``Y_*`` are float64 training targets: ``(n, 1)`` of 0/1 for two classes, one-hot
  ``(n, k)`` for ``k > 2`` classes, ``(n, 1)`` of values for regression.
* ``y_*`` are int64 class labels ``(n,)`` for classification, ``None`` for regression.
* Train/test splits are seeded. Tabular and image classification splits are
  stratified (each class is split with the same ratio); 2-D splits are a plain seeded
  shuffle, so changing the noise relabels points without moving them between parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import DatasetError

TASKS = ("classification", "regression")
KINDS = ("2d", "tabular", "image")


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset menu needs to know before loading a dataset.

    ``name``, ``title``, ``task``, ``kind`` and ``description`` are the documented
    fields; the rest are extras for the GUI: ``n_classes`` (0 for regression),
    ``synthetic`` (generated, not measured), ``uses_noise`` (the noise setting changes
    the data; otherwise it is accepted and ignored), ``uses_features`` (the 2-D input
    feature switches apply), ``default_n_samples`` (None: fixed real data, ``n_samples``
    must stay None), ``options`` (extra keyword options with their defaults: True/False
    switches, or a name chosen from ``choices[option]``), ``choices`` (the names a named
    option may take), ``option_help`` (one sentence per option, for tooltips) and
    ``credit`` (source and licence, '' for generated data).
    """

    name: str
    title: str
    task: str
    kind: str
    description: str
    n_classes: int = 0
    synthetic: bool = True
    uses_noise: bool = True
    uses_features: bool = False
    default_n_samples: int | None = None
    options: dict = field(default_factory=dict)
    credit: str = ""
    choices: dict = field(default_factory=dict)
    option_help: dict = field(default_factory=dict)


@dataclass(eq=False, repr=False)
class Dataset:
    """A train/test split plus the metadata the views and lessons need.

    See the module docstring for array conventions. 2-D datasets also carry the raw
    plane coordinates (``points_train``/``points_test``), the plane's ``extent`` and
    :meth:`transform`; tabular and image datasets have those set to None.
    """

    name: str
    title: str
    task: str
    kind: str
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None
    feature_names: list[str]
    class_names: list[str]
    target_name: str
    description: str = ""
    credit: str = ""
    points_train: np.ndarray | None = None
    points_test: np.ndarray | None = None
    extent: tuple[float, float] | None = None
    image_shape: tuple[int, int] | None = None
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None
    features: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    _transform: Callable[[np.ndarray], np.ndarray] | None = None

    # ------------------------------------------------------------------ derived
    @property
    def n_features(self) -> int:
        """Number of input columns (the network's ``inputs``)."""
        return int(self.X_train.shape[1])

    @property
    def spec_inputs(self) -> int | list[int]:
        """What a network spec's ``inputs`` should be for this data: the image shape
        ``[H, W, C]`` (channels last) for images, else the number of input columns."""
        if self.kind == "image" and self.image_shape is not None:
            shape = [int(d) for d in self.image_shape]
            if len(shape) == 2:
                shape.append(1)
            if len(shape) == 3 and shape[0] * shape[1] * shape[2] == self.n_features:
                return shape
        return self.n_features

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Recommended number of output units: 1 (binary or regression) or k classes."""
        return int(self.Y_train.shape[1])

    @property
    def loss(self) -> str:
        """Recommended loss: "bce" (binary), "softmax_ce" (multi-class) or "mse"."""
        if self.task == "regression":
            return "mse"
        return "bce" if self.n_outputs == 1 else "softmax_ce"

    @property
    def output_activation(self) -> str:
        """Recommended output activation matching :attr:`loss`."""
        return {"mse": "linear", "bce": "sigmoid", "softmax_ce": "softmax"}[self.loss]

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])

    def transform(self, points: np.ndarray) -> np.ndarray:
        """Map raw 2-D plane coordinates ``(m, 2)`` to this dataset's features ``(m, n)``.

        This is exactly the mapping used for ``X_train`` and ``X_test``, so a grid of the
        plane can be fed to the network for heatmaps. Only for 2-D datasets.
        """
        if self._transform is None:
            raise DatasetError(
                f"transform() is only for 2-D datasets; {self.name!r} is {self.kind}"
            )
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise DatasetError(f"transform() needs points of shape (m, 2), got {pts.shape}")
        return self._transform(pts)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, task={self.task!r}, kind={self.kind!r}, "
            f"train={self.n_train}, test={self.n_test}, features={self.n_features}, "
            f"outputs={self.n_outputs})"
        )


# ---------------------------------------------------------------------- helpers
def round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def split_indices(
    n: int, train_ratio: float, rng: np.random.Generator, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test row indices; stratified by ``labels`` when given.

    Each class contributes ``round(count * train_ratio)`` rows to the training part
    (at least one row to each part when the class has two or more rows).
    """
    if labels is None:
        perm = rng.permutation(n)
        n_train = min(max(round_half_up(n * train_ratio), 1), n - 1)
        return np.sort(perm[:n_train]), np.sort(perm[n_train:])
    train_parts, test_parts = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = round_half_up(len(idx) * train_ratio)
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        train_parts.append(idx[:k])
        test_parts.append(idx[k:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    if len(train) == 0 or len(test) == 0:
        raise DatasetError(f"cannot split {n} rows into non-empty train and test parts")
    return train, test


def targets_for_labels(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """0/1 column for two classes, one-hot rows for more (float64)."""
    labels = np.asarray(labels, dtype=np.int64)
    if n_classes == 2:
        return labels.astype(np.float64).reshape(-1, 1)
    onehot = np.zeros((len(labels), n_classes), dtype=np.float64)
    onehot[np.arange(len(labels)), labels] = 1.0
    return onehot


def standardise(
    X_train: np.ndarray, X_test: np.ndarray, columns: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scale to zero mean and unit variance with statistics of the training rows only.

    ``columns`` (bool mask) limits the scaling to some columns; the others keep mean 0
    and std 1 in the returned statistics (so ``(X - mean) / std`` still holds).
    A constant training column gets std 1 (it is only centred).
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    if columns is not None:
        mean = np.where(columns, mean, 0.0)
        std = np.where(columns, std, 1.0)
    return (X_train - mean) / std, (X_test - mean) / std, mean, std
