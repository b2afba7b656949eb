"""Whether the window holds work that is not in a file (asked before New, Open, Quit and
entering a lesson)."""

from __future__ import annotations

import numpy as np

from neuroviz.experiment import Experiment, ExperimentError, load_experiment


def _config(exp: Experiment) -> tuple:
    return (exp.dataset.to_dict(), exp.spec, exp.hyperparameters.to_dict(), exp.seed)


def _leaves(group) -> list:
    if isinstance(group, np.ndarray):
        return [group]
    return [leaf for item in group for leaf in _leaves(item)]


def _same_weights(a, b) -> bool:
    """Equal weights, whatever the layer kinds (groups nested like ``get_weights``)."""
    if a is None or b is None:
        return a is None and b is None
    x, y = _leaves(a), _leaves(b)
    return len(x) == len(y) and all(np.array_equal(p, q) for p, q in zip(x, y))


def has_unsaved_changes(window) -> bool:
    """Whether the window holds work that is not in a file.

    An untitled experiment counts as unsaved when it differs from a new one, has been trained
    or had weights edited; an opened or saved one when it differs from its file.
    """
    exp = window.current_experiment(with_weights=True)
    path = window.path
    if path is not None:
        try:
            saved = load_experiment(path)
        except (ExperimentError, OSError):
            return True
        if _config(exp) != _config(saved):
            return True
        if saved.weights is None or exp.weights is None:
            return False
        return not _same_weights(saved.weights, exp.weights)
    if _config(exp) != _config(Experiment()):
        return True
    snap = window.latest_snapshot
    if snap is not None and snap.step > 0:
        return True
    return window.undo_stack.count() > 0
