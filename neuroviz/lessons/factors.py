"""Named quantities a lesson may ask the learner to find among a network's hidden neurons.

The box-office data are generated from budget, advertising, star power and release month
through three in-between quantities, spend, awareness and distribution (the formula is in
``neuroviz.data.boxoffice``). Those quantities can be recomputed for every film, so whether a
hidden neuron "tracks spend" is a measurable fact: the correlation, over the training films,
between what the neuron outputs and the film's spend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

NONE = "none"


def _raw(ds: Any, X: np.ndarray) -> np.ndarray:
    """Inputs in the data's own units (undo the standardisation)."""
    return X * np.asarray(ds.feature_std) + np.asarray(ds.feature_mean)


def _boxoffice(ds: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    from neuroviz.data.boxoffice import season

    budget, advertising, stars, month = _raw(ds, X).T
    awareness = 1.0 - np.exp(-(advertising / 50.0 + stars / 10.0))
    return {
        "spend": budget + advertising,
        "awareness": awareness,
        "distribution": 0.3 + 0.4 * season(month) + 0.3 * awareness,
    }


#: dataset name -> function giving each named quantity for every example of X.
FACTORS: dict[str, Callable[[Any, np.ndarray], dict[str, np.ndarray]]] = {
    "boxoffice": _boxoffice,
}
#: every factor name a lesson may use, per dataset.
FACTOR_NAMES: dict[str, tuple[str, ...]] = {"boxoffice": ("spend", "awareness", "distribution")}


def neuron_correlations(net: Any, ds: Any) -> dict[int, dict[str, float]] | None:
    """For each neuron of the first hidden layer: its correlation with every named factor.

    ``None`` when the dataset has no named factors or the network has no hidden layer. A
    neuron whose output does not vary (a dead ReLU) correlates 0 with everything.
    """
    factors_of = FACTORS.get(getattr(ds, "name", None))
    if factors_of is None or len(net.layer_sizes) < 3:
        return None
    X = ds.X_train
    hidden = np.asarray(net.forward_all(X)[0][1])
    factors = factors_of(ds, X)
    out: dict[int, dict[str, float]] = {}
    for j in range(hidden.shape[1]):
        a = hidden[:, j]
        out[j] = {name: _corr(a, f) for name, f in factors.items()}
    return out


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = a.std(), b.std()
    if sa < 1e-12 or sb < 1e-12:
        return 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def best_names(correlations: Mapping[int, Mapping[str, float]],
               min_correlation: float) -> dict[int, str]:
    """The right name of each neuron: the factor it correlates with most strongly (either
    sign), or ``"none"`` when no correlation reaches ``min_correlation``."""
    names = {}
    for j, corr in correlations.items():
        factor, r = max(corr.items(), key=lambda kv: abs(kv[1]))
        names[j] = factor if abs(r) >= min_correlation else NONE
    return names
