"""The complete experiment a lesson step sets up, built by applying presets in order.

A preset changes only what it names. Entering step N directly (from the picker, or resuming
saved progress) applies the presets of steps 1..N in order; going Next from step N-1 applies
step N's preset on top of whatever the learner has now. :func:`setup_for_step` gives the first;
:func:`apply_preset` is the building block of both.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from neuroviz.lessons.schema import DatasetSettings, Lesson, Preset, TrainingSettings

DEFAULT_DATASET = DatasetSettings(
    name=None, noise=0.0, train_ratio=0.5, features=None, seed=0, n_samples=None, options=None
)
DEFAULT_TRAINING = TrainingSettings(
    optimizer="sgd", learning_rate=0.03, batch_size=10, l1=0.0, l2=0.0, momentum=0.9,
    early_stopping=False, patience=20,
)


@dataclass(frozen=True)
class Setup:
    """Everything needed to rebuild an experiment headlessly.

    ``weights`` is ``None`` for "freshly initialised from ``seed``".
    """

    dataset: DatasetSettings = DEFAULT_DATASET
    network: Mapping[str, Any] | None = None
    weights: tuple | None = None
    training: TrainingSettings = DEFAULT_TRAINING
    seed: int = 0

    def dataset_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``neuroviz.data.load_dataset``."""
        ds = self.dataset
        kwargs: dict[str, Any] = {"noise": ds.noise, "train_ratio": ds.train_ratio,
                                  "seed": ds.seed}
        if ds.features is not None:
            kwargs["features"] = tuple(ds.features)
        if ds.n_samples is not None:
            kwargs["n_samples"] = ds.n_samples
        kwargs.update(dict(ds.options or {}))
        return kwargs


@dataclass(frozen=True)
class Change:
    """What applying a preset changed (the runner and the app react to these)."""

    dataset: bool = False       # data must be regenerated
    network: bool = False       # network must be rebuilt and re-initialised
    weights: bool = False       # explicit weights were given
    training: bool = False      # hyperparameters changed (no reset needed)


def _merge(base: Any, update: Any) -> Any:
    if update is None:
        return base
    values = {name: getattr(update, name) for name in update.__dataclass_fields__
              if getattr(update, name) is not None}
    return replace(base, **values)


def apply_preset(setup: Setup, preset: Preset | None) -> tuple[Setup, Change]:
    """``setup`` with ``preset`` applied on top, and what changed."""
    if preset is None:
        return setup, Change()
    dataset = setup.dataset
    if preset.dataset is not None:
        if preset.dataset.name is not None and preset.dataset.name != dataset.name:
            # another dataset: its own features and options, the sliders stay where they are
            dataset = replace(dataset, features=None, options=None, n_samples=None)
        dataset = _merge(dataset, preset.dataset)
    network = setup.network
    if preset.network is not None:
        network = copy.deepcopy(dict(preset.network))
    seed = setup.seed if preset.seed is None else preset.seed
    weights = setup.weights
    rebuild = preset.network is not None or preset.seed is not None or preset.reset
    if rebuild:
        weights = None
    if preset.weights is not None:
        weights = preset.weights
    training = _merge(setup.training, preset.training)
    new = Setup(dataset=dataset, network=network, weights=weights, training=training, seed=seed)
    change = Change(
        dataset=dataset != setup.dataset,
        network=rebuild,
        weights=preset.weights is not None,
        training=training != setup.training,
    )
    return new, change


def setup_for_step(lesson: Lesson, number: int, with_solutions: bool = False) -> Setup:
    """The setup of step ``number`` (1-based) when entered directly.

    With ``with_solutions`` the "show me" of every earlier step is applied too (the state of a
    learner who used "show me" all the way).
    """
    setup = Setup()
    for step in lesson.steps[:number]:
        setup, _ = apply_preset(setup, step.preset)
        if with_solutions and step.number < number and step.solution is not None:
            for action in step.solution.actions:
                setup, _ = apply_preset(setup, action.preset)
    return setup


def fit_spec_to_dataset(spec: Mapping[str, Any], n_inputs: int | list[int], n_outputs: int,
                        output_activation: str, loss: str, task: str) -> dict[str, Any]:
    """``spec`` with its input and output layers changed to suit a dataset.

    This is what the app does when the learner switches dataset or features without touching
    the hidden layers: hidden layers stay, inputs follow the features, and the output layer and
    loss follow the task (a regression always uses MSE; a classification keeps MSE if the
    lesson chose it and the output size allows it).
    """
    new = copy.deepcopy(dict(spec))
    new["inputs"] = ([int(d) for d in n_inputs] if isinstance(n_inputs, (list, tuple))
                     else int(n_inputs))
    layers = [dict(layer) for layer in new["layers"]]
    out = layers[-1]
    keep_mse = (task == "classification" and new.get("loss") == "mse"
                and n_outputs == 1 and out.get("units") == 1)
    if not keep_mse:
        out["units"] = int(n_outputs)
        out["activation"] = output_activation
        new["loss"] = loss
    layers[-1] = out
    new["layers"] = layers
    return new
