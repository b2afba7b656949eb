"""Data kept inside an experiment: imported tables, drawn points, image folders (no Qt).

A *payload* is plain JSON-ready data, so an experiment that holds it opens on another
machine without the original file. Arrays are stored compactly as
``{"dtype": "float64", "shape": [n, k], "zlib_base64": "..."}`` (little-endian, zlib,
base64), with their size checked before anything is decompressed.

Payload kinds (``payload["kind"]``):

``"table"``
    An imported CSV table (:mod:`.tableimport`): ``X`` (n, k) float64 inputs after one-hot
    encoding and missing-value handling, ``y`` (n,) class indices or values,
    ``feature_names``, ``class_names``, ``target_name``, ``standardise`` (one flag per
    input: scaled with training-split statistics).
``"points"``
    Points drawn on the 2-D plane: ``points`` (n, 2) float64, ``values`` (n,) class
    indices or target values, ``class_names`` (empty for regression).
``"images"``
    An image folder (:mod:`.imagefolder`): ``pixels`` (n, h, w, c) uint8, ``labels`` (n,),
    ``class_names``. The network's inputs are the pixels' darkness ``1 - value / 255``
    (ink is 1, as in the digits set), flattened row by row (and channel by channel).

Every kind has ``task`` and ``title``. :func:`load_embedded` splits (with the
experiment's train share and seed) and returns a :class:`Dataset`.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from typing import Any

import numpy as np

from .dataset import TASKS, Dataset, split_indices, standardise, targets_for_labels
from .errors import DatasetError
from .toy2d import EXTENT, FEATURES_2D, feature_matrix

#: Numbers (pixels count as numbers) that one experiment may carry.
MAX_EMBEDDED_VALUES = 4_000_000
MAX_NAMES = 4096
MAX_NAME_LENGTH = 200
KINDS = ("table", "points", "images")
#: The dataset names under which embedded data is used (other names ignore it).
#: The :class:`DatasetSettings` name of each kind of embedded data.
DATASET_NAMES = {"table": "imported", "points": "drawn", "images": "image_folder"}
EMBEDDED_NAMES = tuple(DATASET_NAMES.values())
_DTYPES = {"float64": "<f8", "uint8": "u1"}


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """An array as ``{"dtype", "shape", "zlib_base64"}`` (float64 or uint8)."""
    array = np.asarray(array)
    dtype = "uint8" if array.dtype == np.uint8 else "float64"
    raw = np.ascontiguousarray(array, dtype=_DTYPES[dtype]).tobytes()
    return {"dtype": dtype, "shape": [int(s) for s in array.shape],
            "zlib_base64": base64.b64encode(zlib.compress(raw, 6)).decode("ascii")}


def payload_chars(payload: Any) -> int:
    """Roughly how many characters ``payload`` takes in a file (its encoded arrays)."""
    if not isinstance(payload, dict):
        return 0
    return sum(len(v.get("zlib_base64", "")) for v in payload.values()
               if isinstance(v, dict) and isinstance(v.get("zlib_base64", ""), str))


def decode_array(raw: Any, where: str, ndim: int) -> np.ndarray:
    """The array of :func:`encode_array`; DatasetError naming ``where`` if malformed."""
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: expected an encoded array")
    dtype, shape, data = raw.get("dtype"), raw.get("shape"), raw.get("zlib_base64")
    if dtype not in _DTYPES:
        raise DatasetError(f"{where}.dtype: expected one of {', '.join(_DTYPES)}")
    if not isinstance(shape, list) or len(shape) != ndim or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape):
        raise DatasetError(f"{where}.shape: expected {ndim} non-negative whole numbers")
    count = math.prod(shape)
    if count > MAX_EMBEDDED_VALUES:
        raise DatasetError(f"{where}: {count:,} values, at most {MAX_EMBEDDED_VALUES:,}")
    if not isinstance(data, str):
        raise DatasetError(f"{where}.zlib_base64: expected text")
    size = count * np.dtype(_DTYPES[dtype]).itemsize
    try:
        packed = base64.b64decode(data, validate=True)
        inflater = zlib.decompressobj()
        raw_bytes = inflater.decompress(packed, size + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise DatasetError(f"{where}.zlib_base64: damaged data") from None
    if len(raw_bytes) != size:
        raise DatasetError(f"{where}: the data does not match the shape {shape}")
    array = np.frombuffer(raw_bytes, dtype=_DTYPES[dtype]).reshape(shape)
    if dtype == "float64" and not np.isfinite(array).all():
        raise DatasetError(f"{where}: contains a value that is not a finite number")
    return array.astype(np.float64) if dtype == "float64" else array.copy()


def _names(raw: dict, key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}.{key}: expected a list of names")
    if len(value) > MAX_NAMES or any(len(v) > MAX_NAME_LENGTH for v in value):
        raise DatasetError(f"{where}.{key}: too many or too long names")
    return list(value)


def _text(raw: dict, key: str, where: str, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or len(value) > 2000:
        raise DatasetError(f"{where}.{key}: expected a short text")
    return value


def _labels(values: np.ndarray, task: str, n_classes: int, where: str) -> np.ndarray | None:
    if task == "regression":
        return None
    labels = values.astype(np.int64)
    if not np.array_equal(labels, values) or (labels.size and (
            labels.min() < 0 or labels.max() >= n_classes)):
        raise DatasetError(f"{where}: class indices must be whole numbers from 0 to "
                           f"{n_classes - 1}")
    return labels


def load_embedded(payload: Any, train_ratio: float = 0.5, seed: int = 0,
                  features: tuple[str, ...] | list[str] = ("x1", "x2"),
                  where: str = "data") -> Dataset:
    """The :class:`Dataset` of an embedded payload, split with ``train_ratio`` and ``seed``.

    ``features`` (drawn points only) are the 2-D input features, as for the toy sets.
    Raises DatasetError naming the field (prefixed with ``where``) when the payload is
    malformed.
    """
    if not isinstance(payload, dict):
        raise DatasetError(f"{where}: expected an object")
    kind = payload.get("kind")
    if kind not in KINDS:
        raise DatasetError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    task = payload.get("task")
    if task not in TASKS:
        raise DatasetError(f"{where}.task: expected one of {', '.join(TASKS)}")
    title = _text(payload, "title", where, "Your data") or "Your data"
    class_names = _names(payload, "class_names", where)
    if task == "classification" and len(class_names) < 2:
        raise DatasetError(f"{where}.class_names: a classification needs at least two classes")
    rng = np.random.default_rng(seed)
    if kind == "table":
        return _table(payload, task, title, class_names, train_ratio, rng, where)
    if kind == "points":
        return _points(payload, task, title, class_names, train_ratio, seed, features, where)
    return _images(payload, task, title, class_names, train_ratio, rng, where)


def _targets(values, labels, task, n_classes):
    if task == "regression":
        return values.reshape(-1, 1).astype(np.float64)
    return targets_for_labels(labels, n_classes)


def _table(payload, task, title, class_names, train_ratio, rng, where) -> Dataset:
    X = decode_array(payload.get("X"), f"{where}.X", 2)
    y = decode_array(payload.get("y"), f"{where}.y", 1)
    names = _names(payload, "feature_names", where)
    scale = payload.get("standardise", [True] * X.shape[1])
    if len(y) != len(X) or len(names) != X.shape[1] or len(X) < 4 or X.shape[1] < 1:
        raise DatasetError(f"{where}: X, y and feature_names do not fit together (or fewer "
                           "than 4 rows)")
    if not isinstance(scale, list) or len(scale) != X.shape[1] or not all(
            isinstance(s, bool) for s in scale):
        raise DatasetError(f"{where}.standardise: expected one true/false per input")
    labels = _labels(y, task, len(class_names), f"{where}.y")
    train, test = split_indices(len(X), train_ratio, rng, labels)
    Y = _targets(y, labels, task, len(class_names))
    X_train, X_test, mean, std = standardise(X[train], X[test], np.array(scale, dtype=bool))
    target = _text(payload, "target_name", where, "target")
    notes = _text(payload, "notes", where)
    return Dataset(
        name=DATASET_NAMES["table"], title=title, task=task, kind="tabular",
        X_train=X_train, Y_train=Y[train], X_test=X_test, Y_test=Y[test],
        y_train=None if labels is None else labels[train],
        y_test=None if labels is None else labels[test],
        feature_names=names, class_names=class_names, target_name=target,
        description=(f"Your data from {_text(payload, 'source', where) or title}: {notes}. "
                     f"{len(names)} inputs, target {target!r} ({task}); split {len(train)} "
                     f"train / {len(test)} test"
                     + ("; inputs standardised with training-split statistics." if any(scale)
                        else ".")),
        feature_mean=mean, feature_std=std)


def point_parts(n: int, train_ratio: float, seed: int) -> np.ndarray:
    """True for the drawn points that are training data, False for test data.

    Each point keeps its part when points are added, moved or erased after it (one seeded
    random number per point, in drawing order), so the picture does not reshuffle.
    """
    u = np.random.default_rng(seed).random(n)
    train = u < train_ratio
    if n >= 2 and train.all():
        train[int(np.argmax(u))] = False
    if n >= 2 and not train.any():
        train[int(np.argmin(u))] = True
    return train


def points_payload(points: np.ndarray, values: np.ndarray, task: str,
                   class_names: list[str], title: str = "Drawn data") -> dict[str, Any]:
    """The payload of points drawn on the plane (see the module docstring)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(points) != len(values):
        raise DatasetError("each drawn point needs one class or value")
    return {"kind": "points", "title": title, "task": task,
            "class_names": list(class_names) if task == "classification" else [],
            "points": encode_array(points), "values": encode_array(values)}


def _points(payload, task, title, class_names, train_ratio, seed, features, where) -> Dataset:
    points = decode_array(payload.get("points"), f"{where}.points", 2)
    values = decode_array(payload.get("values"), f"{where}.values", 1)
    if points.shape[1] != 2 or len(values) != len(points):
        raise DatasetError(f"{where}: points must be (n, 2) with one value each")
    if len(points) < 2:
        raise DatasetError(f"{where}: draw at least 2 points (one to train, one to test)")
    features = tuple(features)
    for f in features:
        if f not in FEATURES_2D:
            raise DatasetError(f"unknown feature {f!r} (choose from {', '.join(FEATURES_2D)})")
    if not features:
        raise DatasetError("choose at least one input feature")
    labels = _labels(values, task, len(class_names), f"{where}.values")
    part = point_parts(len(points), train_ratio, seed)
    train, test = np.flatnonzero(part), np.flatnonzero(~part)
    Y = _targets(values, labels, task, len(class_names))
    pts_train = np.ascontiguousarray(points[train])
    pts_test = np.ascontiguousarray(points[test])

    def transform(pts: np.ndarray) -> np.ndarray:
        return feature_matrix(pts, features)

    return Dataset(
        name=DATASET_NAMES["points"], title=title, task=task, kind="2d",
        X_train=transform(pts_train), Y_train=Y[train], X_test=transform(pts_test),
        Y_test=Y[test], y_train=None if labels is None else labels[train],
        y_test=None if labels is None else labels[test], feature_names=list(features),
        class_names=list(class_names) if task == "classification" else [],
        target_name="class" if task == "classification" else "value",
        description=(f"Points you drew: {len(points)} in all, split {len(train)} train / "
                     f"{len(test)} test, features {', '.join(features)}."),
        points_train=pts_train, points_test=pts_test, extent=EXTENT, features=features,
        _transform=transform)


def _images(payload, task, title, class_names, train_ratio, rng, where) -> Dataset:
    pixels = decode_array(payload.get("pixels"), f"{where}.pixels", 4)
    labels_raw = decode_array(payload.get("labels"), f"{where}.labels", 1)
    if pixels.dtype != np.uint8 or len(labels_raw) != len(pixels) or len(pixels) < 4 or \
            pixels.shape[3] not in (1, 3):
        raise DatasetError(f"{where}: expected uint8 pixels (n, h, w, 1 or 3), one label each, "
                           "and at least 4 images")
    if task != "classification":
        raise DatasetError(f"{where}.task: image folders are classification data")
    labels = _labels(labels_raw, task, len(class_names), f"{where}.labels")
    n, h, w, c = pixels.shape
    X = 1.0 - pixels.reshape(n, -1).astype(np.float64) / 255.0  # ink: 0 white, 1 black
    train, test = split_indices(n, train_ratio, rng, labels)
    Y = targets_for_labels(labels, len(class_names))
    colour = "colour" if c == 3 else "greyscale"
    if c == 1:
        names = [f"pixel ({r + 1}, {k + 1})" for r in range(h) for k in range(w)]
    else:
        names = [f"pixel ({r + 1}, {k + 1}) {ch}" for r in range(h) for k in range(w)
                 for ch in "RGB"]
    return Dataset(
        name=DATASET_NAMES["images"], title=title, task=task, kind="image",
        X_train=X[train], Y_train=Y[train], X_test=X[test], Y_test=Y[test],
        y_train=labels[train], y_test=labels[test], feature_names=names,
        class_names=class_names, target_name="class",
        description=(f"Images from the folder {_text(payload, 'source', where) or title}: {n} "
                     f"{w} x {h} {colour} images of {len(class_names)} classes "
                     f"({', '.join(class_names)}), split {len(train)} train / {len(test)} "
                     "test; each input is a pixel's darkness, from 0 (white) to 1 (black), as in "
                     "the digits set."),
        image_shape=(h, w) if c == 1 else (h, w, 3))
