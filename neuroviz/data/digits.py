"""Handwritten digits: the real 8 x 8 optical digits set, 1,797 images, 10 classes.

Source: "Optical Recognition of Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998,
UCI Machine Learning Repository), CC BY 4.0; the copy bundled with scikit-learn
(``sklearn/datasets/data/digits.csv.gz``, the UCI test set), shipped unchanged as
``assets/digits/digits.csv.gz`` (56 KB). Each row holds 64 pixel counts (0-16, row by
row) followed by the digit 0-9. scikit-learn is not needed at run time.

Features are the pixels divided by 16, so they lie in [0, 1] and a row reshaped to
``image_shape`` (8, 8) is directly an image (no standardisation: ``feature_mean`` and
``feature_std`` are None). Feature names are "pixel r,c" (row r, column c, from 0).
The split is stratified by digit.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import zlib
from pathlib import Path

import numpy as np

from ._files import file_key, shipped_file
from .dataset import Dataset, split_indices, targets_for_labels
from .errors import DatasetError

IMAGE_SHAPE = (8, 8)
N_PIXELS = 64
PIXEL_MAX = 16
TITLE = "Handwritten digits (8x8)"
CREDIT = (
    "Optical Recognition of Handwritten Digits: E. Alpaydin, C. Kaynak (1998), UCI "
    "Machine Learning Repository, https://archive.ics.uci.edu/dataset/80; "
    "License CC BY 4.0; copy bundled with scikit-learn."
)
SUMMARY = (
    "Real data: 1,797 handwritten digits as 8x8 images of pixel counts 0-16 (UCI "
    "optical digits). Inputs are the 64 pixels divided by 16 (0 = white, 1 = black) "
    "-> digit 0-9."
)


def read_digits(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``digits.csv.gz``: (pixels (n, 64) uint8 in 0..16, labels (n,) int64)."""
    path = Path(path)
    pixels, labels = _read_cached(file_key(path) if path.exists() else (str(path), 0, 0))
    return pixels.copy(), labels.copy()


@functools.lru_cache(maxsize=2)
def _read_cached(key: tuple[str, int, int]) -> tuple[np.ndarray, np.ndarray]:
    path = Path(key[0])
    try:
        with gzip.open(path, "rb") as fh:
            text = fh.read().decode("ascii")
    except FileNotFoundError as exc:
        raise DatasetError(f"missing data file {path}") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise DatasetError(f"corrupt data file {path}: {exc}") from exc
    rows = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != N_PIXELS + 1:
            raise DatasetError(
                f"{path}, line {line}: {len(row)} values, expected {N_PIXELS + 1} "
                "(64 pixels and the digit)"
            )
        try:
            values = [int(v) for v in row]
        except ValueError:
            raise DatasetError(f"{path}, line {line}: non-integer value") from None
        if min(values[:N_PIXELS]) < 0 or max(values[:N_PIXELS]) > PIXEL_MAX:
            raise DatasetError(f"{path}, line {line}: pixel outside 0..{PIXEL_MAX}")
        if not 0 <= values[N_PIXELS] <= 9:
            raise DatasetError(f"{path}, line {line}: digit {values[N_PIXELS]} not in 0..9")
        rows.append(values)
    if not rows:
        raise DatasetError(f"{path} holds no images")
    data = np.array(rows, dtype=np.int64)
    return data[:, :N_PIXELS].astype(np.uint8), data[:, N_PIXELS].copy()


def load_digits(train_ratio: float, seed: int, path: str | Path | None = None) -> Dataset:
    """Build the digits :class:`Dataset` (arguments already validated)."""
    if path is None:
        path = shipped_file("digits", "digits.csv.gz")
    pixels, labels = read_digits(path)
    X = pixels.astype(np.float64) / PIXEL_MAX
    rng = np.random.default_rng(seed)
    train, test = split_indices(len(labels), train_ratio, rng, labels)
    counts = np.bincount(labels, minlength=10)
    description = (
        f"{SUMMARY} Class sizes {min(counts)}-{max(counts)}. "
        f"Split {len(train)} train / {len(test)} test, stratified by digit."
    )
    return Dataset(
        name="digits",
        title=TITLE,
        task="classification",
        kind="image",
        X_train=X[train],
        Y_train=targets_for_labels(labels[train], 10),
        X_test=X[test],
        Y_test=targets_for_labels(labels[test], 10),
        y_train=labels[train],
        y_test=labels[test],
        feature_names=[f"pixel {r},{c}" for r in range(8) for c in range(8)],
        class_names=[str(d) for d in range(10)],
        target_name="digit",
        description=description,
        credit=CREDIT,
        image_shape=IMAGE_SHAPE,
    )
