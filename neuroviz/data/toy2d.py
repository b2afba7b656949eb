"""Two-dimensional toy datasets in the style of TensorFlow Playground.

All points live in the plane ``[-6, 6] x [-6, 6]`` (:data:`EXTENT`). ``noise`` is a
fraction from 0.0 to 0.5 (TensorFlow Playground's 0-50 % slider divided by 100). What
it does depends on the set, following Playground's generators
(github.com/tensorflow/playground, ``src/dataset.ts``):

* ``circle``, ``xor``, ``checkerboard``: each label is computed from the point moved
  by a random offset of up to ``noise`` times the pattern's scale (5 for circle and
  xor, the 2.5 cell size for checkerboard), so labels near a boundary flip; the
  points themselves stay where they were drawn.
* ``gauss``: the clusters' variance grows linearly from 0.5 (noise 0) to 4 (noise 0.5).
* ``spiral``, ``spiral3``: each point moves by up to ``noise`` in x and y.
* ``moons``: each point moves by Gaussian noise of standard deviation ``1.5 * noise``.
* ``plane``, ``multigauss`` (regression): the target is computed at the point moved
  by up to ``noise * 6`` in x and y.

Class 1 is "blue" (positive, +1 in Playground) and class 0 "orange" (negative, -1),
matching the palette (orange negative, blue positive). Regression targets lie in
``[-1, 1]`` without noise. The same seed always gives the same points, and the points
of a set (and their train/test split) do not depend on the noise level, only their
labels or offsets do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EXTENT = (-6.0, 6.0)
FEATURES_2D = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2")

_FEATURE_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin x1": lambda x1, x2: np.sin(x1),
    "sin x2": lambda x1, x2: np.sin(x2),
}

BINARY_CLASS_NAMES = ["orange", "blue"]
SPIRAL3_CLASS_NAMES = ["arm 1", "arm 2", "arm 3"]


def feature_matrix(points: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """Raw coordinates ``(m, 2)`` -> float64 feature matrix ``(m, len(features))``."""
    x1 = points[:, 0]
    x2 = points[:, 1]
    cols = [_FEATURE_FUNCS[name](x1, x2) for name in features]
    return np.ascontiguousarray(np.column_stack(cols), dtype=np.float64)


# -------------------------------------------------------------- classification
# Each generator returns (points (n, 2) float64, labels (n,) int64).


def circle(n: int, noise: float, rng: np.random.Generator):
    """Blue disc of radius 2.5 inside an orange ring from 3.5 to 5."""
    radius = 5.0
    n_in = n // 2
    r = np.concatenate(
        [rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n - n_in)]
    )
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    pts = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    offset = rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(*(pts + offset).T) < radius * 0.5).astype(np.int64)
    return pts, labels


def xor(n: int, noise: float, rng: np.random.Generator):
    """Four quadrants: blue where x1 * x2 >= 0; a 0.3 gap keeps points off the axes."""
    pad = 0.3
    pts = rng.uniform(-5.0, 5.0, (n, 2))
    pts += np.where(pts > 0, pad, -pad)
    offset = rng.uniform(-5.0, 5.0, (n, 2)) * noise
    moved = pts + offset
    labels = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return pts, labels


def gauss(n: int, noise: float, rng: np.random.Generator):
    """Two Gaussian clusters, blue at (2, 2) and orange at (-2, -2)."""
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5
    n_blue = n // 2
    labels = np.concatenate([np.ones(n_blue, np.int64), np.zeros(n - n_blue, np.int64)])
    centres = np.where(labels[:, None] == 1, 2.0, -2.0)
    pts = centres + np.sqrt(variance) * rng.standard_normal((n, 2))
    return pts, labels


def _spiral_arms(n: int, noise: float, rng: np.random.Generator, n_arms: int):
    sizes = [n // n_arms + (1 if a < n % n_arms else 0) for a in range(n_arms)]
    pts, labels = [], []
    for arm, size in enumerate(sizes):
        i = np.arange(size)
        r = i / size * 5.0
        t = 1.75 * i / size * 2.0 * np.pi + arm * 2.0 * np.pi / n_arms
        jitter = rng.uniform(-1.0, 1.0, (size, 2)) * noise
        pts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]) + jitter)
        labels.append(np.full(size, arm, np.int64))
    return np.concatenate(pts), np.concatenate(labels)


def spiral(n: int, noise: float, rng: np.random.Generator):
    """Two interleaved spiral arms (1.75 turns, radius 5): blue starts at angle 0."""
    pts, arm = _spiral_arms(n, noise, rng, 2)
    return pts, (1 - arm).astype(np.int64)


def spiral3(n: int, noise: float, rng: np.random.Generator):
    """Three spiral arms 120 degrees apart, one class per arm."""
    return _spiral_arms(n, noise, rng, 3)


def moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles (radius 3), blue on top, orange below."""
    n_top = n // 2
    t = rng.uniform(0.0, np.pi, n)
    top = np.arange(n) < n_top
    unit = np.where(
        top[:, None],
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    pts = (unit - [0.5, 0.25]) * 3.0
    pts += rng.standard_normal((n, 2)) * (1.5 * noise)
    return pts, top.astype(np.int64)


def checkerboard(n: int, noise: float, rng: np.random.Generator):
    """A 4 x 4 board of 2.5-wide cells over [-5, 5]^2; blue where the cell sum is even."""
    cell = 2.5
    pts = rng.uniform(-5.0, 5.0, (n, 2))
    moved = pts + rng.uniform(-cell, cell, (n, 2)) * noise
    idx = np.floor((moved + 5.0) / cell).astype(np.int64)
    labels = ((idx[:, 0] + idx[:, 1]) % 2 == 0).astype(np.int64)
    return pts, labels


# ------------------------------------------------------------------ regression
# Each generator returns (points (n, 2) float64, targets (n,) float64).


def plane(n: int, noise: float, rng: np.random.Generator):
    """A tilted plane: target = (x1 + x2) / 12, in [-1, 1] without noise."""
    pts = rng.uniform(-6.0, 6.0, (n, 2))
    moved = pts + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    return pts, (moved[:, 0] + moved[:, 1]) / 12.0


_GAUSSIANS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=np.float64,
)


def multigauss(n: int, noise: float, rng: np.random.Generator):
    """Six bumps of height +1 or -1 (radius 2) on a 3 x 2 grid; the largest bump wins."""
    pts = rng.uniform(-6.0, 6.0, (n, 2))
    moved = pts + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    dist = np.hypot(moved[:, 0:1] - _GAUSSIANS[:, 0], moved[:, 1:2] - _GAUSSIANS[:, 1])  # (n, 6)
    values = _GAUSSIANS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    pick = np.argmax(np.abs(values), axis=1)
    return pts, values[np.arange(n), pick]


GENERATORS = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
    "checkerboard": checkerboard,
    "spiral3": spiral3,
    "plane": plane,
    "multigauss": multigauss,
}
