"""Apply lesson presets to the playground window, and look after the learner's own work.

The lesson package describes an experiment as a :class:`neuroviz.lessons.Setup`; the window
keeps it as an :class:`ExperimentState`. This module translates between the two and mirrors
:class:`neuroviz.lessons.runner.LessonSession` (the headless reference) so the app and
``neuroviz lessons check --run`` set up every step the same way:

* entering a step directly (picker, resume, Back) applies the presets of steps 1..N;
* Next and "show me" apply one preset on top of what the learner has now: a preset that
  only changes hyperparameters keeps the trained weights, as in the runner.

:func:`has_unsaved_changes` tells whether entering a lesson would lose work.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuroviz.app.window.unsaved import has_unsaved_changes  # noqa: F401 (re-exported)
from neuroviz.data import DATASETS
from neuroviz.experiment import (
    DatasetSettings as WindowDataset,
)
from neuroviz.experiment import (
    Experiment,
    Hyperparameters,
)
from neuroviz.lessons import DatasetSettings, Preset, Setup, TrainingSettings, apply_preset
from neuroviz.lessons.runner import effective_spec, load_data, weights_arrays


def window_setup(window) -> Setup:
    """The window's current experiment as a lesson :class:`Setup` (weights left out)."""
    st = window.state
    d = st.dataset
    info = DATASETS.get(d.name)
    features = tuple(d.features) if info is not None and info.kind == "2d" else None
    dataset = DatasetSettings(name=d.name, noise=d.noise, train_ratio=d.train_ratio,
                              features=features, seed=d.data_seed, n_samples=d.n_samples,
                              options=dict(d.options) or None)
    hp = st.hyperparameters
    training = TrainingSettings(optimizer=hp.optimizer, learning_rate=hp.learning_rate,
                                batch_size=hp.batch_size, l1=hp.l1, l2=hp.l2,
                                momentum=hp.momentum, early_stopping=hp.early_stopping,
                                patience=hp.patience)
    return Setup(dataset=dataset, network=st.spec, weights=None, training=training,
                 seed=st.seed)


def window_dataset(setup: Setup, current: WindowDataset) -> WindowDataset:
    """The window's dataset settings for a lesson setup."""
    d = setup.dataset
    info = DATASETS.get(d.name)
    if info is not None and info.kind == "2d":
        features = tuple(d.features) if d.features is not None else ("x1", "x2")
    else:
        features = tuple(current.features)
    return WindowDataset(name=d.name, noise=float(d.noise), train_ratio=float(d.train_ratio),
                         features=features, data_seed=int(d.seed or 0),
                         options=dict(d.options or {}), n_samples=d.n_samples)


def window_hyperparameters(training: TrainingSettings, current: Hyperparameters) -> Hyperparameters:
    """The window's hyperparameters for lesson training settings (l1/l2 -> regularisation)."""
    hp = copy.deepcopy(current)
    hp.optimizer = training.optimizer
    hp.learning_rate = float(training.learning_rate)
    hp.batch_size = int(training.batch_size)
    hp.momentum = float(training.momentum)
    hp.early_stopping = bool(training.early_stopping)
    hp.patience = int(training.patience)
    if training.l2:
        hp.regularization, hp.regularization_rate = "l2", float(training.l2)
    elif training.l1:
        hp.regularization, hp.regularization_rate = "l1", float(training.l1)
    else:
        hp.regularization = "none"
    return hp


def _shape(spec) -> tuple:
    return (spec["inputs"], spec.get("loss"),
            tuple((layer.get("type", "dense"), layer.get("units"), layer.get("activation"),
                   repr(layer.get("layers"))) for layer in spec["layers"]))


def apply_setup(window, setup: Setup, weights: Any = None) -> None:
    """Set the window to ``setup`` in one go (dataset, network, weights, training, seed).

    ``weights`` (a list of ``(W, b)``) overrides ``setup.weights``; with neither the network
    is initialised from the seed. Raises ``ExperimentError``/``ValueError`` on bad data.
    """
    ds = load_data(setup)
    spec = effective_spec(setup, ds)
    if weights is None and setup.weights is not None:
        weights = weights_arrays(setup.weights)
    window.apply_preset(dataset=window_dataset(setup, window.state.dataset), spec=spec,
                        weights=weights,
                        hyperparameters=window_hyperparameters(setup.training,
                                                               window.state.hyperparameters),
                        seed=setup.seed)


def apply_on_top(window, preset: Preset | None) -> None:
    """Apply ``preset`` on top of the window's current experiment (Next, "show me")."""
    if preset is None:
        return
    current = window_setup(window)
    new, change = apply_preset(current, preset)
    if change.dataset or change.network or change.weights:
        weights = None
        if new.weights is not None and (change.network or change.weights):
            weights = weights_arrays(new.weights)
        elif not change.network:
            ds = load_data(new)
            if _shape(effective_spec(new, ds)) == _shape(window.state.spec):
                kept = window.current_experiment(with_weights=True).weights
                weights = kept  # the trained network carries over, as in the runner
        apply_setup(window, new, weights)
    elif change.training:
        hp = window_hyperparameters(new.training, window.state.hyperparameters)
        old = window.state.hyperparameters.to_dict()
        changes = {k: v for k, v in hp.to_dict().items() if old[k] != v}
        if changes:
            window.set_hyperparameters(**changes)


def window_settings(window) -> dict[str, float | str | None]:
    """The settings a lesson goal may name (``neuroviz.lessons.goals.SETTINGS``), as the
    window has them now."""
    st = window.state
    hp, d = st.hyperparameters, st.dataset
    ds = window.dataset
    return {"batch_size": hp.batch_size, "learning_rate": hp.learning_rate,
            "optimizer": hp.optimizer, "l1": hp.l1, "l2": hp.l2, "momentum": hp.momentum,
            "noise": d.noise, "train_ratio": d.train_ratio,
            "n_train": None if ds is None else int(ds.X_train.shape[0]), "dataset": d.name,
            "early_stopping": hp.early_stopping, "patience": hp.patience}


# -- the learner's own work --------------------------------------------------------------


@dataclass
class SavedWork:
    """The learner's experiment set aside while a lesson runs."""

    experiment: Experiment
    path: Path | None

    @classmethod
    def take(cls, window) -> SavedWork:
        return cls(window.current_experiment(with_weights=True), window.path)

    def restore(self, window) -> None:
        window.apply_experiment(self.experiment)
        set_window_path(window, self.path)


def set_window_path(window, path: Path | None) -> None:
    """Which file File > Save writes to (a lesson clears it so Save never overwrites the
    learner's file with the lesson's network)."""
    setter = getattr(window, "set_path", None)
    if setter is not None:
        setter(path)
