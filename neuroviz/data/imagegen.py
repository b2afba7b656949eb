"""Generated image datasets for convolutional networks: strokes and shapes (NumPy only).

Both are greyscale images of *ink* from 0 (white) to 1 (black), as in the digits set:
``X`` rows are the pixels row by row (``image_shape`` gives ``(H, W)``, one channel), so a
network spec takes them as ``"inputs": [H, W, 1]``. Features are not standardised
(``feature_mean``/``feature_std`` are None). Every class has the same number of images
(up to one when ``n_samples`` is not a multiple of the class count).

Drawing: each figure is a set of line segments (a circle is a ring); a pixel's ink falls
off linearly with its centre's distance ``d`` from the nearest line,
``ink = clip(width / 2 + 0.5 - d, 0, 1)`` (a cheap anti-aliasing). ``noise`` (0-0.5) is the
standard deviation of Gaussian pixel noise added afterwards; the result is clipped to
[0, 1], so noisy images keep the dataset's value range.

``strokes`` (12 x 12, 4 classes)
    A short stroke (3.5 to 4.5 pixels long) in one of four orientations: horizontal, vertical
    and the two diagonals, tilted by up to 8 degrees. ``placement="anywhere"`` puts each
    stroke anywhere it fits and splits train/test stratified by class;
    ``placement="split"`` draws the *training* strokes in the left half of the image and the
    *test* strokes in the right half (the split follows ``train_ratio``), so a network that
    has only seen strokes on the left is tested on the right: translation invariance,
    measured.
``shapes`` (16 x 16, 4 classes)
    The outline of a circle, square or triangle, or a cross (a plus sign), anywhere it
    fits, turned by up to 10 degrees. ``size`` picks the figure's radius: ``"mixed"`` (3 to
    7 pixels), ``"small"`` (3 to 4.5), ``"large"`` (5.5 to 7), or ``"split"``: small figures
    to train on and large ones to test on (does the network recognise a shape at a new
    size?).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .dataset import Dataset, split_indices, targets_for_labels

STROKES_SHAPE = (12, 12)
SHAPES_SHAPE = (16, 16)
STROKE_CLASSES = ["horizontal", "vertical", "diagonal \u2198", "diagonal \u2197"]
SHAPE_CLASSES = ["circle", "square", "triangle", "cross"]
PLACEMENTS = ("anywhere", "split")
SIZES = ("mixed", "small", "large", "split")
DEFAULT_N_STROKES = 800
DEFAULT_N_SHAPES = 800
#: Generated image sets hold at most this many images (memory stays small).
MAX_IMAGES = 20_000

STROKES_TITLE = "Strokes (12x12)"
STROKES_SUMMARY = (
    "Generated: small 12x12 images of a short stroke, horizontal, vertical or diagonal "
    "(4 classes). 'split' placement trains on strokes in the left half and tests on the "
    "right half."
)
SHAPES_TITLE = "Shapes (16x16)"
SHAPES_SUMMARY = (
    "Generated: 16x16 images of a circle, square, triangle or cross, anywhere in the "
    "image (4 classes); the size option picks small, large or mixed figures."
)

_STROKE_ANGLES = (0.0, 90.0, -45.0, 45.0)  # degrees; y points down, so -45 runs to the lower right
_STROKE_WIDTH = 1.3
_STROKE_LENGTH = (3.5, 4.5)
#: How far past a line its ink reaches (``width / 2 + 0.5``).
_INK_REACH = _STROKE_WIDTH / 2 + 0.5
_EDGE_GAP = 0.3
_SHAPE_WIDTH = 1.3
_SIZE_RANGES = {"mixed": (3.0, 7.0), "small": (3.0, 4.5), "large": (5.5, 7.0)}


@lru_cache(maxsize=8)
def _pixel_centres(shape: tuple[int, int]) -> np.ndarray:
    """(H*W, 2) float64 (x, y) centres of the pixels, row by row, in pixel units (shared,
    read-only: thousands of figures are drawn on the same grid)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    out = np.column_stack([xs.ravel() + 0.5, ys.ravel() + 0.5]).astype(np.float64)
    out.flags.writeable = False
    return out


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point of ``p`` (m, 2) to the segment from ``a`` to ``b``."""
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.hypot(*(p - a - t[:, None] * ab).T)


def _ink(distance: np.ndarray, width: float) -> np.ndarray:
    return np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)


def _rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    t = np.radians(degrees)
    c, s = np.cos(t), np.sin(t)
    return points @ np.array([[c, s], [-s, c]])


def _polyline_distance(p: np.ndarray, corners: np.ndarray, closed: bool) -> np.ndarray:
    """Distance from each point of ``p`` to the nearest side (all sides at once)."""
    a = corners if closed else corners[:-1]
    b = np.roll(corners, -1, axis=0)[:len(a)]
    ab = b - a  # (k, 2)
    pa = p[None, :, :] - a[:, None, :]  # (k, m, 2)
    t = np.clip((pa[..., 0] * ab[:, 0, None] + pa[..., 1] * ab[:, 1, None])
                / np.maximum((ab * ab).sum(axis=1), 1e-12)[:, None], 0.0, 1.0)
    d = np.hypot(pa[..., 0] - t * ab[:, 0, None], pa[..., 1] - t * ab[:, 1, None])
    return d.min(axis=0)


def _add_noise(X: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise > 0:
        X = X + rng.normal(0.0, noise, X.shape)
    return np.clip(X, 0.0, 1.0)


def _balanced_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels 0..k-1, each class ``n // k`` or one more times, in random order."""
    return rng.permutation(np.arange(n) % k).astype(np.int64)


def _pixel_names(shape: tuple[int, int]) -> list[str]:
    return [f"pixel {r},{c}" for r in range(shape[0]) for c in range(shape[1])]


# ----------------------------------------------------------------------------- strokes
def draw_stroke(shape: tuple[int, int], centre, angle: float, length: float,
                width: float = _STROKE_WIDTH) -> np.ndarray:
    """One stroke as an (H*W,) ink row: a segment of ``length`` pixels through ``centre``
    (x, y in pixel units, y down) at ``angle`` degrees anticlockwise from horizontal."""
    centre = np.asarray(centre, dtype=np.float64)
    t = np.radians(angle)
    half = 0.5 * length * np.array([np.cos(t), -np.sin(t)])
    return _ink(_segment_distance(_pixel_centres(shape), centre - half, centre + half), width)


def _stroke_images(labels: np.ndarray, region: tuple[float, float],
                   rng: np.random.Generator) -> np.ndarray:
    """Clean strokes for ``labels``, their ink wholly inside the columns ``region`` =
    (x0, x1): a stroke ends at least :data:`_INK_REACH` from a region's inner edge (its
    ink stops short of it) and :data:`_EDGE_GAP` from the image's border."""
    h, w = STROKES_SHAPE
    out = np.empty((len(labels), h * w))
    x0, x1 = region
    left = _EDGE_GAP if x0 <= 0 else _INK_REACH
    right = _EDGE_GAP if x1 >= w else _INK_REACH
    for i, label in enumerate(labels):
        angle = _STROKE_ANGLES[label] + rng.uniform(-8.0, 8.0)
        length = rng.uniform(*_STROKE_LENGTH)
        t = np.radians(angle)
        hx = 0.5 * length * abs(np.cos(t))
        hy = 0.5 * length * abs(np.sin(t))
        cx = rng.uniform(x0 + left + hx, x1 - right - hx)
        cy = rng.uniform(_EDGE_GAP + hy, h - _EDGE_GAP - hy)
        out[i] = draw_stroke(STROKES_SHAPE, (cx, cy), angle, length)
    return out


def load_strokes(n: int, noise: float, train_ratio: float, seed: int,
                 placement: str = "anywhere") -> Dataset:
    """Build the strokes :class:`Dataset` (arguments already validated; see the module)."""
    rng = np.random.default_rng(seed)
    h, w = STROKES_SHAPE
    k = len(STROKE_CLASSES)
    if placement == "split":
        n_train = min(max(int(np.floor(n * train_ratio + 0.5)), k), n - k)
        y_train = _balanced_labels(n_train, k, rng)
        y_test = _balanced_labels(n - n_train, k, rng)
        X_train = _stroke_images(y_train, (0.0, w / 2), rng)
        X_test = _stroke_images(y_test, (w / 2, float(w)), rng)
        where = "training strokes in the left half, test strokes in the right half"
    else:
        labels = _balanced_labels(n, k, rng)
        X = _stroke_images(labels, (0.0, float(w)), rng)
        train, test = split_indices(n, train_ratio, rng, labels)
        X_train, X_test, y_train, y_test = X[train], X[test], labels[train], labels[test]
        where = "strokes anywhere, split stratified by class"
    X_train = _add_noise(X_train, noise, rng)
    X_test = _add_noise(X_test, noise, rng)
    description = (
        f"{STROKES_SUMMARY} Generated: {n} images, noise {noise:g} ({noise * 100:g} %), "
        f"{where}; {len(y_train)} train / {len(y_test)} test."
    )
    return _image_dataset("strokes", STROKES_TITLE, STROKES_SHAPE, STROKE_CLASSES, "stroke",
                          X_train, y_train, X_test, y_test, description)


# ------------------------------------------------------------------------------ shapes
def draw_shape(shape: tuple[int, int], label: int, centre, radius: float,
               angle: float = 0.0, width: float = _SHAPE_WIDTH) -> np.ndarray:
    """One figure of class ``label`` (0 circle, 1 square, 2 triangle, 3 cross) as an
    (H*W,) ink row: centred at ``centre`` (x, y), reaching ``radius`` pixels from it
    (the square's corners, the triangle's corners, the cross's arms), turned ``angle``
    degrees."""
    p = _pixel_centres(shape)
    c = np.asarray(centre, dtype=np.float64)
    if label == 0:
        return _ink(np.abs(np.hypot(*(p - c).T) - radius * 0.85), width)
    if label == 1:
        s = radius / np.sqrt(2.0)
        corners = np.array([[-s, -s], [s, -s], [s, s], [-s, s]])
        return _ink(_polyline_distance(p, _rotate(corners, angle) + c, closed=True), width)
    if label == 2:
        t = np.radians(np.array([90.0, 210.0, 330.0]))
        corners = radius * np.column_stack([np.cos(t), -np.sin(t)])
        corners[:, 1] += radius * 0.2  # centre the triangle's height in its box
        return _ink(_polyline_distance(p, _rotate(corners, angle) + c, closed=True), width)
    arms = _rotate(np.array([[-radius, 0.0], [radius, 0.0], [0.0, -radius], [0.0, radius]]),
                   angle) + c
    d = np.minimum(_segment_distance(p, arms[0], arms[1]), _segment_distance(p, arms[2], arms[3]))
    return _ink(d, width + 0.4)


def _shape_images(labels: np.ndarray, size: str, rng: np.random.Generator) -> np.ndarray:
    h, w = SHAPES_SHAPE
    lo, hi = _SIZE_RANGES[size]
    out = np.empty((len(labels), h * w))
    for i, label in enumerate(labels):
        radius = rng.uniform(lo, hi)
        reach = radius + 0.8  # the outline stays on the image
        cx = rng.uniform(reach, w - reach)
        cy = rng.uniform(reach, h - reach)
        out[i] = draw_shape(SHAPES_SHAPE, int(label), (cx, cy), radius,
                            rng.uniform(-10.0, 10.0))
    return out


def load_shapes(n: int, noise: float, train_ratio: float, seed: int,
                size: str = "mixed") -> Dataset:
    """Build the shapes :class:`Dataset` (arguments already validated; see the module)."""
    rng = np.random.default_rng(seed)
    k = len(SHAPE_CLASSES)
    if size == "split":
        n_train = min(max(int(np.floor(n * train_ratio + 0.5)), k), n - k)
        y_train = _balanced_labels(n_train, k, rng)
        y_test = _balanced_labels(n - n_train, k, rng)
        X_train = _shape_images(y_train, "small", rng)
        X_test = _shape_images(y_test, "large", rng)
        what = "small figures to train on, large ones to test on"
    else:
        labels = _balanced_labels(n, k, rng)
        X = _shape_images(labels, size, rng)
        train, test = split_indices(n, train_ratio, rng, labels)
        X_train, X_test, y_train, y_test = X[train], X[test], labels[train], labels[test]
        what = f"{size} sizes, split stratified by class"
    X_train = _add_noise(X_train, noise, rng)
    X_test = _add_noise(X_test, noise, rng)
    description = (
        f"{SHAPES_SUMMARY} Generated: {n} images, noise {noise:g} ({noise * 100:g} %), "
        f"{what}; {len(y_train)} train / {len(y_test)} test."
    )
    return _image_dataset("shapes", SHAPES_TITLE, SHAPES_SHAPE, SHAPE_CLASSES, "shape",
                          X_train, y_train, X_test, y_test, description)


def _image_dataset(name, title, shape, class_names, target, X_train, y_train, X_test, y_test,
                   description) -> Dataset:
    k = len(class_names)
    return Dataset(
        name=name,
        title=title,
        task="classification",
        kind="image",
        X_train=np.ascontiguousarray(X_train),
        Y_train=targets_for_labels(y_train, k),
        X_test=np.ascontiguousarray(X_test),
        Y_test=targets_for_labels(y_test, k),
        y_train=np.asarray(y_train, dtype=np.int64),
        y_test=np.asarray(y_test, dtype=np.int64),
        feature_names=_pixel_names(shape),
        class_names=list(class_names),
        target_name=target,
        description=description,
        image_shape=shape,
    )
