"""Box office: a SYNTHETIC data set of movies (generated, not real films).

It illustrates the case study of the "Deep Learning" overview in the seed notes:
revenue depends on production budget, advertising spend, star power and release
timing through intermediate factors, the ones a small network's hidden neurons can
learn: spend, awareness and distribution. Every number comes from this formula:

    spend        = budget + advertising                                  ($M)
    awareness    = 1 - exp(-(advertising / 50 + star_power / 10))        (0-1)
    season       = max(bump(month, 6.5, 1.5), bump(month, 12, 1.2))      (0-1)
                   with bump(m, c, w) = exp(-(d / w)^2), d = distance from m to c
                   in months around the year (peaks: summer and the holidays)
    distribution = 0.3 + 0.4 * season + 0.3 * awareness                  (0-1)
    revenue      = 2 * spend * (0.5 + awareness) * distribution * luck   ($M)
    luck         = exp(noise * z), z ~ N(0, 1)   (luck = 1 when noise = 0)

Movies are drawn as: budget ~ Uniform(5, 200) $M; advertising = budget *
Uniform(0.15, 0.6) $M; star power ~ Uniform(0, 10); release month uniform in 1..12.

* ``boxoffice``: 4 inputs (budget, advertising, star power, month). A straight-line
  fit explains about 90 % of the variance; the rest needs hidden neurons.
* ``boxoffice_budget``: budget is the only input, every other factor held at a typical
  value (advertising = 0.35 * budget, star power 5, the yearly average season). The
  curve is close to a straight line: a single linear neuron reaches R^2 about 0.99
  with noise 0 and about 0.96 with noise 0.1.

Inputs are standardised with the training split's mean and standard deviation
(``feature_mean``/``feature_std`` are in the units of the feature names). The target
is revenue in units of $100M (so 1.5 means $150M), not standardised.
"""

from __future__ import annotations

import numpy as np

from .dataset import Dataset, split_indices, standardise

FEATURES = (
    "production budget ($M)",
    "advertising ($M)",
    "star power (0-10)",
    "release month (1-12)",
)
TARGET_NAME = "revenue ($100M)"
TARGET_UNIT = 100.0  # $M per target unit
TYPICAL_AD_SHARE = 0.35
TYPICAL_STAR_POWER = 5.0
TITLE = "Box office (synthetic)"
TITLE_BUDGET = "Box office: budget only (synthetic)"
SUMMARY = (
    "SYNTHETIC data (not real films): movie revenue generated from production budget, "
    "advertising, star power and release month through spend, awareness and "
    "distribution: revenue = 2 x (budget + advertising) x (0.5 + awareness) x "
    "distribution x luck; the full formula is in neuroviz/data/boxoffice.py."
)
SUMMARY_BUDGET = (
    "SYNTHETIC data (not real films): movie revenue against production budget alone, "
    "with advertising, star power and release timing held at typical values; almost a "
    "straight line. The formula is in neuroviz/data/boxoffice.py."
)


def _bump(month: np.ndarray, centre: float, width: float) -> np.ndarray:
    d = np.abs(np.asarray(month, dtype=np.float64) - centre)
    d = np.minimum(d, 12.0 - d)
    return np.exp(-((d / width) ** 2))


def season(month: np.ndarray) -> np.ndarray:
    """Release-timing factor 0-1: peaks in summer (June/July) and December."""
    return np.maximum(_bump(month, 6.5, 1.5), _bump(month, 12.0, 1.2))


AVERAGE_SEASON = float(season(np.arange(1, 13)).mean())


def revenue_from_factors(
    budget: np.ndarray,
    advertising: np.ndarray,
    star_power: np.ndarray,
    season_factor: np.ndarray,
) -> np.ndarray:
    """Noise-free revenue in $M from budget and advertising ($M), star power, season."""
    spend = np.asarray(budget, dtype=np.float64) + advertising
    awareness = 1.0 - np.exp(-(np.asarray(advertising) / 50.0 + np.asarray(star_power) / 10.0))
    distribution = 0.3 + 0.4 * np.asarray(season_factor) + 0.3 * awareness
    return 2.0 * spend * (0.5 + awareness) * distribution


def revenue(
    budget: np.ndarray, advertising: np.ndarray, star_power: np.ndarray, month: np.ndarray
) -> np.ndarray:
    """Noise-free revenue in $M (see the module docstring for the formula)."""
    return revenue_from_factors(budget, advertising, star_power, season(month))


def revenue_budget_only(budget: np.ndarray) -> np.ndarray:
    """Noise-free revenue in $M with the other factors at their typical values."""
    budget = np.asarray(budget, dtype=np.float64)
    return revenue_from_factors(
        budget, TYPICAL_AD_SHARE * budget, TYPICAL_STAR_POWER, AVERAGE_SEASON
    )


def load_boxoffice(
    n: int, noise: float, train_ratio: float, seed: int, budget_only: bool = False
) -> Dataset:
    """Generate the box office :class:`Dataset` (arguments already validated)."""
    rng = np.random.default_rng(seed)
    budget = rng.uniform(5.0, 200.0, n)
    advertising = budget * rng.uniform(0.15, 0.6, n)
    star_power = rng.uniform(0.0, 10.0, n)
    month = rng.integers(1, 13, n).astype(np.float64)
    luck = np.exp(noise * rng.standard_normal(n))
    if budget_only:
        target = revenue_budget_only(budget) * luck
        X = budget[:, None]
        names = [FEATURES[0]]
    else:
        target = revenue(budget, advertising, star_power, month) * luck
        X = np.column_stack([budget, advertising, star_power, month])
        names = list(FEATURES)
    Y = (target / TARGET_UNIT)[:, None]
    train, test = split_indices(n, train_ratio, rng)
    X_train, X_test, mean, std = standardise(X[train], X[test])
    description = (
        f"{SUMMARY_BUDGET if budget_only else SUMMARY} {n} movies, noise {noise:g} "
        f"(luck factor exp({noise:g} * z)). Split {len(train)} train / {len(test)} test. "
        f"Inputs standardised with training-split statistics; target in $100M."
    )
    return Dataset(
        name="boxoffice_budget" if budget_only else "boxoffice",
        title=TITLE_BUDGET if budget_only else TITLE,
        task="regression",
        kind="tabular",
        X_train=X_train,
        Y_train=Y[train],
        X_test=X_test,
        Y_test=Y[test],
        y_train=None,
        y_test=None,
        feature_names=names,
        class_names=[],
        target_name=TARGET_NAME,
        description=description,
        credit="",
        feature_mean=mean,
        feature_std=std,
    )
