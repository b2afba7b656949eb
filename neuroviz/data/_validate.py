"""Argument checks shared by the dataset loaders (each raises DatasetError)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from .errors import DatasetError

NOISE_MAX = 0.5
RATIO_MIN = 0.1
RATIO_MAX = 0.9
N_SAMPLES_MIN = 10
N_SAMPLES_MAX = 100_000
SEED_MAX = 2**32 - 1


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_noise(noise: object) -> float:
    """``noise`` is a fraction from 0.0 to 0.5 (0-50 %)."""
    if not _is_real(noise) or not math.isfinite(float(noise)):
        raise DatasetError(f"noise must be a number from 0.0 to 0.5 (0-50 %), got {noise!r}")
    value = float(noise)
    if not 0.0 <= value <= NOISE_MAX:
        hint = ""
        if 1.0 < value <= 50.0:
            hint = f"; noise is a fraction, for {value:g} % pass {value / 100:g}"
        raise DatasetError(f"noise must be from 0.0 to 0.5 (0-50 %), got {value:g}{hint}")
    return value


def check_train_ratio(ratio: object) -> float:
    """``train_ratio`` is the training share, a fraction from 0.1 to 0.9."""
    if not _is_real(ratio) or not math.isfinite(float(ratio)):
        raise DatasetError(f"train_ratio must be a number from 0.1 to 0.9 (10-90 %), got {ratio!r}")
    value = float(ratio)
    if not RATIO_MIN - 1e-12 <= value <= RATIO_MAX + 1e-12:
        hint = ""
        if 10.0 <= value <= 90.0:
            hint = f"; train_ratio is a fraction, for {value:g} % pass {value / 100:g}"
        raise DatasetError(f"train_ratio must be from 0.1 to 0.9 (10-90 %), got {value:g}{hint}")
    return min(max(value, RATIO_MIN), RATIO_MAX)


def check_seed(seed: object) -> int:
    """``seed`` is a whole number from 0 to 2**32 - 1."""
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or \
            not 0 <= int(seed) <= SEED_MAX:
        shown = repr(seed) if len(repr(seed)) < 40 else f"{repr(seed)[:20]}..."
        raise DatasetError(f"seed must be a whole number from 0 to {SEED_MAX}, got {shown}")
    return int(seed)


def check_n_samples(n_samples: object, default: int) -> int:
    """``n_samples`` is None (the dataset's default) or an integer in a sane range."""
    if n_samples is None:
        return default
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool):
        raise DatasetError(f"n_samples must be an integer or None, got {n_samples!r}")
    value = int(n_samples)
    if not N_SAMPLES_MIN <= value <= N_SAMPLES_MAX:
        raise DatasetError(
            f"n_samples must be from {N_SAMPLES_MIN} to {N_SAMPLES_MAX}, got {value}"
        )
    return value


def check_features(features: object, valid: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty sequence of distinct names taken from ``valid`` (order kept)."""
    if isinstance(features, str) or not isinstance(features, Iterable):
        raise DatasetError(
            f"features must be a list of feature names such as ('x1', 'x2'), got {features!r}"
        )
    names = tuple(features)
    if not names:
        raise DatasetError(f"select at least one feature (choose from {', '.join(valid)})")
    for name in names:
        if name not in valid:
            raise DatasetError(
                f"unknown feature {name!r} (choose from {', '.join(repr(v) for v in valid)})"
            )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DatasetError(f"feature {duplicates[0]!r} is selected more than once")
    return names
