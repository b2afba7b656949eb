"""Datasets for neuroviz (NumPy only, no Qt).

>>> from neuroviz.data import load_dataset
>>> ds = load_dataset("spiral", noise=0.1, train_ratio=0.5, seed=0, features=("x1", "x2"))
>>> ds.X_train.shape, ds.Y_train.shape, ds.loss
((250, 2), (250, 1), 'bce')

* 2-D toy sets in the style of TensorFlow Playground (:mod:`.toy2d`).
* Palmer penguins, real data (:mod:`.penguins`).
* Box office, synthetic (:mod:`.boxoffice`).
* 8x8 handwritten digits, real data (:mod:`.digits`).
* A user's own CSV file (:func:`load_csv`), or imported with choices
  (:mod:`.tableimport`), points drawn on the plane and image folders of PNG files
  (:mod:`.imagefolder`, decoded by :mod:`.png`), all kept inside an experiment as
  embedded data (:mod:`.embedded`).
"""

from .boxoffice import revenue as boxoffice_revenue
from .csvfile import load_csv
from .dataset import Dataset, DatasetInfo
from .errors import DatasetError
from .registry import DATASETS, load_dataset
from .toy2d import EXTENT, FEATURES_2D

__all__ = [
    "DATASETS",
    "EXTENT",
    "FEATURES_2D",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "boxoffice_revenue",
    "load_csv",
    "load_dataset",
]
