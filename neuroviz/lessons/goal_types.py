"""The kinds of lesson goal, as plain data, and the names a goal may use.

:mod:`neuroviz.lessons.goals` checks them; :mod:`neuroviz.lessons.goal_reading` reads them from
lesson files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: metric name -> label shown to the learner.
METRICS: dict[str, str] = {
    "train_loss": "Training loss",
    "test_loss": "Test loss",
    "loss_gap": "Test loss minus training loss",
    "train_accuracy": "Training accuracy",
    "test_accuracy": "Test accuracy",
    "train_r2": "Training R²",
    "test_r2": "Test R²",
    "epoch": "Epoch",
    "trained_epochs": "Epochs trained in this step",
    "run_epochs": "Epochs trained in this run",
    "best_epoch": "Epoch of the lowest test loss",
    "best_test_loss": "Lowest test loss so far",
}
#: metrics whose threshold must lie in [0, 1] (shown as a percentage).
FRACTION_METRICS = frozenset({"train_accuracy", "test_accuracy"})
#: metrics counted in whole epochs.
COUNT_METRICS = frozenset({"epoch", "trained_epochs", "run_epochs", "best_epoch"})

#: comparison -> words used in the status text.
COMPARISONS: dict[str, str] = {
    "<": "below",
    "<=": "at most",
    ">": "above",
    ">=": "at least",
}
#: structural conditions on numbers also allow equality ("no hidden layer": == 0).
STRUCTURE_COMPARISONS: dict[str, str] = {**COMPARISONS, "==": "exactly"}

#: structural quantity -> label. ``activation_used`` takes an activation name as value.
STRUCTURES: dict[str, str] = {
    "hidden_layers": "Hidden layers",
    "hidden_neurons": "Hidden neurons in total",
    "widest_layer": "Neurons in the widest hidden layer",
    "param_count": "Weights and biases",
    "activation_used": "A hidden layer using",
    "kind_used": "A layer of kind",
    "layers_of_kind": "Layers of one kind",
    "skip_connections": "Residual blocks with the skip connection on",
    "dropout_rate": "Highest dropout rate",
}
#: structures that take a layer kind (``kind_used``: as the value; ``layers_of_kind``: as
#: ``kind``), and the words for counting each kind.
KIND_STRUCTURES = frozenset({"kind_used", "layers_of_kind"})
KIND_LABELS: dict[str, str] = {
    "dense": "Dense layers",
    "dropout": "Dropout layers",
    "layernorm": "Layer-normalisation layers",
    "residual": "Residual blocks",
    "conv2d": "Convolution layers",
    "flatten": "Flatten layers",
    "maxpool": "Max-pooling layers",
    "avgpool": "Average-pooling layers",
    "globalmaxpool": "Global max-pooling layers",
    "globalavgpool": "Global average-pooling layers",
}
#: structures whose value is a fraction from 0 to 1 rather than a whole number.
FRACTION_STRUCTURES = frozenset({"dropout_rate"})

#: settings a goal may name -> label. Numbers compare with <, <=, >, >=, ==, !=; names
#: (optimizer, dataset) with == and != only.
SETTINGS: dict[str, str] = {
    "batch_size": "Batch size",
    "learning_rate": "Learning rate",
    "optimizer": "Optimizer",
    "l1": "L1 rate",
    "l2": "L2 rate",
    "momentum": "Momentum",
    "noise": "Noise",
    "train_ratio": "Share of training data",
    "n_train": "Training examples",
    "dataset": "Dataset",
    "early_stopping": "Early stopping",
    "patience": "Early-stopping patience",
}
NAME_SETTINGS = frozenset({"optimizer", "dataset"})
#: settings that are on or off (``value = true`` or ``false``, compared with == or !=).
SWITCH_SETTINGS = frozenset({"early_stopping"})
SETTING_COMPARISONS: dict[str, str] = {**STRUCTURE_COMPARISONS, "!=": "not"}

#: earlier runs a goal may compare with: the one just before the current run, or the first
#: run of the step.
RUNS: dict[str, str] = {"previous": "the previous run", "first": "the first run"}

#: timeline positions a goal may ask for.
TIMELINE: dict[str, str] = {"lowest_test_loss": "the lowest test loss"}

#: events the app reports to the lesson panel -> what the learner has to do.
EVENTS: dict[str, str] = {
    "weight_edited": "Edit a weight by hand",
    "bias_edited": "Edit a bias by hand",
    "dataset_changed": "Pick another dataset",
    "features_changed": "Change the input features",
    "noise_changed": "Change the noise",
    "train_ratio_changed": "Change the train/test split",
    "batch_size_changed": "Change the batch size",
    "layer_added": "Add a hidden layer",
    "layer_removed": "Remove a hidden layer",
    "neuron_added": "Add a neuron",
    "neuron_removed": "Remove a neuron",
    "activation_changed": "Change an activation",
    "learning_rate_changed": "Change the learning rate",
    "optimizer_changed": "Change the optimizer",
    "regularization_changed": "Change the regularisation",
    "training_started": "Start training",
    "stepped": "Train a single epoch with the step button",
    "reset": "Reset the network",
    "diverged": "Make the training diverge",
    "neuron_hovered": "Hover over a neuron",
    "example_selected": "Pick one example",
    "show_test_toggled": "Toggle the test data",
    "gradient_view_on": "Colour the edges by gradient",
    "explain_started": "Start the explain mode",
    "explain_forward_done": "Step through the whole forward pass",
    "explain_backward_reached": "Reach the backward pass",
    "explain_backward_done": "Step through the whole backward pass",
    "explain_update_done": "See the weights updated",
    "prediction_made": "Make your prediction",
    "saliency_shown": "Show the saliency of the chosen example",
    "stopped_early": "Let early stopping stop the training",
    "restored_best": "Put back the weights of the lowest test loss",
}


@dataclass(frozen=True)
class MetricGoal:
    """A metric compared with a finite threshold."""

    metric: str
    compare: str
    value: float
    label: str | None = None


@dataclass(frozen=True)
class StructureGoal:
    """A condition on the network's shape (``value`` is a name for ``activation_used`` and
    ``kind_used``; ``kind`` names the layer kind ``layers_of_kind`` counts)."""

    structure: str
    compare: str
    value: float | str
    label: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class EventGoal:
    """Done once the app has reported ``event`` during the step."""

    event: str
    label: str | None = None


@dataclass(frozen=True)
class SettingGoal:
    """A setting (batch size, learning rate, optimizer...) compared with a value."""

    setting: str
    compare: str
    value: float | str | bool
    label: str | None = None


@dataclass(frozen=True)
class RunGoal:
    """A metric of the current run compared with the same metric of an earlier run.

    ``margin`` is how far the current run must beat the earlier one (``<``: current below
    earlier minus margin). The earlier run counts as it ended. With ``same_epochs`` the current
    run is taken after as many epochs as the earlier run trained (from its history), so both
    have had the same training.
    """

    versus: str
    metric: str
    compare: str
    margin: float = 0.0
    same_epochs: bool = False
    label: str | None = None


@dataclass(frozen=True)
class TimelineGoal:
    """The weights shown come from within ``within`` epochs of the run's lowest test loss, and
    the run trained at least ``trained_past`` epochs beyond that lowest point."""

    timeline: str
    within: int
    trained_past: int
    label: str | None = None


@dataclass(frozen=True)
class NamingGoal:
    """Every neuron of the first hidden layer named after the quantity (of ``factors``) it
    tracks: the one its output correlates with most strongly, or ``"none"`` when no
    correlation reaches ``min_correlation``."""

    factors: tuple[str, ...]
    min_correlation: float
    label: str | None = None


@dataclass(frozen=True)
class AllGoal:
    goals: tuple[Goal, ...]
    label: str | None = None


@dataclass(frozen=True)
class AnyGoal:
    goals: tuple[Goal, ...]
    label: str | None = None


@dataclass(frozen=True)
class SequenceGoal:
    """Each part met after the one before it ("did X and then Y")."""

    goals: tuple[Goal, ...]
    label: str | None = None


Goal = (MetricGoal | StructureGoal | EventGoal | SettingGoal | RunGoal | TimelineGoal
        | NamingGoal | AllGoal | AnyGoal | SequenceGoal)


@dataclass(frozen=True)
class RunRecord:
    """One training run: from a fresh start of the network until it was started afresh again.

    ``history`` holds ``(epoch, metrics)`` once per epoch, starting with the untrained
    network at the epoch the run began.
    """

    history: tuple[tuple[int, Mapping[str, float | None]], ...] = ()
    settings: Mapping[str, float | str | None] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Epochs trained in the run."""
        return self.history[-1][0] - self.history[0][0] if self.history else 0

    @property
    def final(self) -> Mapping[str, float | None]:
        return self.history[-1][1] if self.history else {}

    def at_epoch(self, epochs_trained: int) -> Mapping[str, float | None] | None:
        """The metrics after ``epochs_trained`` epochs of this run, if it got that far."""
        if not self.history:
            return None
        wanted = self.history[0][0] + epochs_trained
        for epoch, metrics in self.history:
            if epoch == wanted:
                return metrics
        return None
