"""The dataset menu (:data:`DATASETS`) and :func:`load_dataset`."""

from __future__ import annotations

import numpy as np

from . import boxoffice, digits, imagegen, penguins, toy2d
from ._validate import (
    check_features,
    check_n_samples,
    check_noise,
    check_seed,
    check_train_ratio,
)
from .dataset import Dataset, DatasetInfo, split_indices, targets_for_labels
from .errors import DatasetError
from .toy2d import EXTENT, FEATURES_2D

DEFAULT_N_2D_CLASSIFY = 500  # TensorFlow Playground's sizes
DEFAULT_N_2D_REGRESS = 1200
DEFAULT_N_SPIRAL3 = 600
DEFAULT_N_BOXOFFICE = 500


def _info_2d(name: str, title: str, task: str, text: str, n_classes: int, n: int) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        title=title,
        task=task,
        kind="2d",
        description=text,
        n_classes=n_classes,
        synthetic=True,
        uses_noise=True,
        uses_features=True,
        default_n_samples=n,
    )


_C, _R = "classification", "regression"
DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        _info_2d(
            "circle", "Circle", _C, "A blue disc inside an orange ring.", 2, DEFAULT_N_2D_CLASSIFY
        ),
        _info_2d(
            "xor",
            "Exclusive or",
            _C,
            "Four quadrants: blue where x1 and x2 have the same sign.",
            2,
            DEFAULT_N_2D_CLASSIFY,
        ),
        _info_2d(
            "gauss",
            "Two Gaussians",
            _C,
            "Two Gaussian clusters; noise widens them until they overlap.",
            2,
            DEFAULT_N_2D_CLASSIFY,
        ),
        _info_2d(
            "spiral",
            "Spiral",
            _C,
            "Two interleaved spiral arms; needs several hidden layers or extra features.",
            2,
            DEFAULT_N_2D_CLASSIFY,
        ),
        _info_2d(
            "moons", "Two moons", _C, "Two interleaving half circles.", 2, DEFAULT_N_2D_CLASSIFY
        ),
        _info_2d(
            "checkerboard",
            "Checkerboard",
            _C,
            "A 4 x 4 checkerboard of blue and orange cells.",
            2,
            DEFAULT_N_2D_CLASSIFY,
        ),
        _info_2d(
            "spiral3",
            "Three-arm spiral",
            _C,
            "Three interleaved spiral arms, one class each (softmax output).",
            3,
            DEFAULT_N_SPIRAL3,
        ),
        _info_2d(
            "plane",
            "Plane",
            _R,
            "A tilted plane: the target rises from -1 to 1 along x1 + x2.",
            0,
            DEFAULT_N_2D_REGRESS,
        ),
        _info_2d(
            "multigauss",
            "Multi Gaussian",
            _R,
            "Six bumps of height +1 or -1 on a 3 x 2 grid.",
            0,
            DEFAULT_N_2D_REGRESS,
        ),
        DatasetInfo(
            name="penguins",
            title=penguins.TITLE,
            task=_C,
            kind="tabular",
            description=penguins.SUMMARY,
            n_classes=3,
            synthetic=False,
            uses_noise=False,
            options={"island": False, "sex": False},
            credit=penguins.CREDIT,
        ),
        DatasetInfo(
            name="boxoffice",
            title=boxoffice.TITLE,
            task=_R,
            kind="tabular",
            description=boxoffice.SUMMARY,
            synthetic=True,
            uses_noise=True,
            default_n_samples=DEFAULT_N_BOXOFFICE,
        ),
        DatasetInfo(
            name="boxoffice_budget",
            title=boxoffice.TITLE_BUDGET,
            task=_R,
            kind="tabular",
            description=boxoffice.SUMMARY_BUDGET,
            synthetic=True,
            uses_noise=True,
            default_n_samples=DEFAULT_N_BOXOFFICE,
        ),
        DatasetInfo(
            name="digits",
            title=digits.TITLE,
            task=_C,
            kind="image",
            description=digits.SUMMARY,
            n_classes=10,
            synthetic=False,
            uses_noise=False,
            credit=digits.CREDIT,
        ),
        DatasetInfo(
            name="strokes",
            title=imagegen.STROKES_TITLE,
            task=_C,
            kind="image",
            description=imagegen.STROKES_SUMMARY,
            n_classes=len(imagegen.STROKE_CLASSES),
            synthetic=True,
            uses_noise=True,
            default_n_samples=imagegen.DEFAULT_N_STROKES,
            options={"placement": "anywhere"},
            choices={"placement": imagegen.PLACEMENTS},
            option_help={"placement": "anywhere: strokes anywhere in the image; split: "
                         "training strokes in the left half, test strokes in the right "
                         "half (does the network recognise a stroke where it never saw "
                         "one?)"},
        ),
        DatasetInfo(
            name="shapes",
            title=imagegen.SHAPES_TITLE,
            task=_C,
            kind="image",
            description=imagegen.SHAPES_SUMMARY,
            n_classes=len(imagegen.SHAPE_CLASSES),
            synthetic=True,
            uses_noise=True,
            default_n_samples=imagegen.DEFAULT_N_SHAPES,
            options={"size": "mixed"},
            choices={"size": imagegen.SIZES},
            option_help={"size": "mixed, small or large figures; split: small figures to "
                         "train on, large ones to test on"},
        ),
    )
}

#: Generated image sets hold at most this many images.
MAX_GENERATED_IMAGES = imagegen.MAX_IMAGES


def _check_options(name: str, options: dict) -> dict:
    allowed = DATASETS[name].options
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        valid = ", ".join(allowed) if allowed else "none"
        raise DatasetError(
            f"unknown option {unknown[0]!r} for dataset {name!r} (valid options: {valid})"
        )
    merged = dict(allowed)
    choices = DATASETS[name].choices
    for key, value in options.items():
        if key in choices:
            if not isinstance(value, str) or value not in choices[key]:
                valid = ", ".join(repr(c) for c in choices[key])
                raise DatasetError(f"option {key!r} of {name!r} must be one of {valid}, "
                                   f"got {value!r}")
            merged[key] = value
            continue
        if not isinstance(value, (bool, np.bool_)):
            raise DatasetError(f"option {key!r} of {name!r} must be True or False, got {value!r}")
        merged[key] = bool(value)
    return merged


def load_dataset(
    name: str,
    noise: float = 0.0,
    train_ratio: float = 0.5,
    seed: int = 0,
    n_samples: int | None = None,
    features: tuple[str, ...] | list[str] = ("x1", "x2"),
    **options: bool | str,
) -> Dataset:
    """Load or generate a dataset, split into training and test parts.

    Parameters
    ----------
    name
        A key of :data:`DATASETS`.
    noise
        Fraction from 0.0 to 0.5 (0-50 %). Its effect per 2-D set is described in
        :mod:`neuroviz.data.toy2d`; for the box office sets it is the spread of the
        "luck" factor. Real data (penguins, digits) accept and ignore it
        (``DATASETS[name].uses_noise`` is False).
    train_ratio
        Share of rows used for training, 0.1 to 0.9. Tabular and image classification
        splits are stratified by class; 2-D splits are a seeded shuffle that does not
        depend on the noise.
    seed
        Non-negative integer; the same arguments always give identical arrays.
    n_samples
        Number of generated points; None for the default (``DATASETS[name].
        default_n_samples``). Real data sets have a fixed size and need None.
    features
        2-D sets only: the input features, any of :data:`FEATURES_2D` in the order
        wanted. Names are checked for every dataset but only 2-D sets use them.
    **options
        Dataset-specific options, listed in ``DATASETS[name].options`` with their
        defaults (penguins: ``island=False``, ``sex=False``; strokes:
        ``placement="anywhere"`` or ``"split"``; shapes: ``size="mixed"``, ``"small"``,
        ``"large"`` or ``"split"``; the names allowed are in ``DATASETS[name].choices``).

    Raises
    ------
    DatasetError
        Unknown name, option or feature, or a setting out of range, or a missing or
        corrupt data file; the message says which.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")
    info = DATASETS[name]
    noise = check_noise(noise)
    train_ratio = check_train_ratio(train_ratio)
    seed = check_seed(seed)
    chosen = check_features(features, FEATURES_2D)
    opts = _check_options(name, options)
    if info.default_n_samples is None:
        if n_samples is not None:
            raise DatasetError(
                f"{name!r} is real data with a fixed number of rows; n_samples must be None"
            )
        n = 0
    else:
        n = check_n_samples(n_samples, info.default_n_samples)
        if info.kind == "image" and n > MAX_GENERATED_IMAGES:
            raise DatasetError(f"n_samples of {name!r} must be at most "
                               f"{MAX_GENERATED_IMAGES:,} images, got {n:,}")

    if name == "penguins":
        ds = penguins.load_penguins(train_ratio, seed, **opts)
    elif name == "digits":
        ds = digits.load_digits(train_ratio, seed)
    elif name == "strokes":
        ds = imagegen.load_strokes(n, noise, train_ratio, seed, opts["placement"])
    elif name == "shapes":
        ds = imagegen.load_shapes(n, noise, train_ratio, seed, opts["size"])
    elif name in ("boxoffice", "boxoffice_budget"):
        ds = boxoffice.load_boxoffice(
            n, noise, train_ratio, seed, budget_only=(name == "boxoffice_budget")
        )
    else:
        ds = _load_2d(info, n, noise, train_ratio, seed, chosen)
    ds.settings = {
        "name": name,
        "noise": noise,
        "train_ratio": train_ratio,
        "seed": seed,
        "n_samples": n_samples,
        "features": list(chosen),
        **opts,
    }
    return ds


def _load_2d(
    info: DatasetInfo,
    n: int,
    noise: float,
    train_ratio: float,
    seed: int,
    features: tuple[str, ...],
) -> Dataset:
    rng = np.random.default_rng(seed)
    points, values = toy2d.GENERATORS[info.name](n, noise, rng)
    classify = info.task == "classification"
    # A plain seeded shuffle (not stratified): labels depend on the noise, the split must
    # not, so moving the noise slider keeps every point in its part and only relabels.
    train, test = split_indices(n, train_ratio, rng)
    if classify:
        labels = values.astype(np.int64)
        Y = targets_for_labels(labels, info.n_classes)
        y_train, y_test = labels[train], labels[test]
        class_names = list(
            toy2d.SPIRAL3_CLASS_NAMES if info.n_classes == 3 else toy2d.BINARY_CLASS_NAMES
        )
        target_name = "class"
    else:
        Y = values.astype(np.float64)[:, None]
        y_train = y_test = None
        class_names = []
        target_name = "value"
    pts_train = np.ascontiguousarray(points[train])
    pts_test = np.ascontiguousarray(points[test])

    def transform(pts: np.ndarray) -> np.ndarray:
        return toy2d.feature_matrix(pts, features)

    description = (
        f"{info.description} Generated: {n} points, noise {noise:g} "
        f"({noise * 100:g} %), split {len(train)} train / {len(test)} test, "
        f"features {', '.join(features)}."
    )
    return Dataset(
        name=info.name,
        title=info.title,
        task=info.task,
        kind="2d",
        X_train=transform(pts_train),
        Y_train=Y[train],
        X_test=transform(pts_test),
        Y_test=Y[test],
        y_train=y_train,
        y_test=y_test,
        feature_names=list(features),
        class_names=class_names,
        target_name=target_name,
        description=description,
        points_train=pts_train,
        points_test=pts_test,
        extent=EXTENT,
        features=features,
        _transform=transform,
    )
