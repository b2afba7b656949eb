"""The trainer: runs bursts of optimizer steps and publishes immutable snapshots.

A burst of ``steps`` mini-batches runs inside one compiled, GIL-free Numba call
(:func:`neuroviz.engine.kernels.train_steps`) for dense stacks, or through the
NumPy reference loop for layer kinds the kernel does not know. Between bursts the
caller may change the learning rate, regularisation, batch size or optimizer;
the weights are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroviz.engine import kernels as K
from neuroviz.engine import losses, metrics
from neuroviz.engine import reference as R
from neuroviz.engine.network import Network

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
_F32_MAX = float(np.finfo(np.float32).max)
_OPT_CODES = {"sgd": K.OPT_SGD, "momentum": K.OPT_MOMENTUM, "nesterov": K.OPT_NESTEROV,
              "rmsprop": K.OPT_RMSPROP, "adam": K.OPT_ADAM}
MAX_LR = 1e3
GRID_CHUNK = 256


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Snapshot:
    """An immutable picture of training at one moment. Arrays are read-only copies."""

    step: int
    epoch: int
    epoch_progress: float
    train_loss: float
    test_loss: float | None
    metric_name: str
    train_metric: float
    test_metric: float | None
    train_rmse: float | None
    test_rmse: float | None
    weights: tuple
    gradients: tuple | None
    grid: tuple | None
    diverged: bool
    diverged_step: int | None
    message: str | None
    layer_sizes: tuple
    lr: float
    optimizer: str
    batch_size: int


def _check_data(name: str, X: Any, Y: Any, net: Network) -> tuple[np.ndarray, np.ndarray]:
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1 and net.n_outputs == 1:
        Y = Y[:, None]
    Y = np.ascontiguousarray(Y)
    if X.ndim != 2 or X.shape[1] != net.n_inputs:
        raise ValueError(f"{name}: expected inputs of shape (n, {net.n_inputs}), got {X.shape}")
    if Y.shape != (len(X), net.n_outputs):
        raise ValueError(f"{name}: expected targets of shape ({len(X)}, {net.n_outputs}), "
                         f"got {Y.shape}")
    if len(X) == 0:
        raise ValueError(f"{name}: the data set is empty")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        bad = int(np.argmax(~(np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1))))
        raise ValueError(f"{name}: row {bad} contains NaN or infinite values")
    return X, Y


class Trainer:
    """Train a :class:`Network` in place.

    Parameters
    ----------
    net : Network
        Trained in place; do not touch it from another thread while ``run`` executes.
    X_train, Y_train : array
        Training inputs (n, inputs) and targets (n, outputs) (one-hot for softmax_ce).
    X_test, Y_test : array, optional
        Held-out data for test loss and metric.
    optimizer : {"sgd", "momentum", "nesterov", "rmsprop", "adam"}
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size, 1 to the full set (larger values are clipped to the set size).
    seed : int
        Seed of the shuffling (the network's own seed fixes its initial weights).
    l1, l2 : float
        Regularisation rates. The trainer adds ``l1·sign(W) + l2·W`` to each weight
        gradient (biases are not regularised); reported losses exclude the penalty.
    momentum : float
        μ for momentum and Nesterov.
    nesterov : bool
        With ``optimizer="momentum"``, use Nesterov's look-ahead form.
    task : {"classification", "regression"}, optional
        Chooses the metric; by default regression for ``mse``, classification otherwise.
    backend : {"auto", "numba", "numpy"}
        ``numpy`` runs the reference loop (used by tests and the benchmark).
    """

    def __init__(self, net: Network, X_train: Any, Y_train: Any, X_test: Any = None,
                 Y_test: Any = None, optimizer: str = "adam", lr: float = 0.01,
                 batch_size: int = 10, seed: int = 0, l1: float = 0.0, l2: float = 0.0,
                 momentum: float = 0.9, nesterov: bool = False, task: str | None = None,
                 backend: str = "auto") -> None:
        self.net = net
        self.X_train, self.Y_train = _check_data("training data", X_train, Y_train, net)
        if (X_test is None) != (Y_test is None):
            raise ValueError("test data: give both X_test and Y_test, or neither")
        if X_test is not None:
            self.X_test, self.Y_test = _check_data("test data", X_test, Y_test, net)
        else:
            self.X_test = self.Y_test = None
        if task is None:
            task = "regression" if net.loss == "mse" else "classification"
        if task not in ("classification", "regression"):
            raise ValueError(f"task: expected 'classification' or 'regression', got {task!r}")
        self.task = task
        if backend not in ("auto", "numba", "numpy"):
            raise ValueError(f"backend: expected 'auto', 'numba' or 'numpy', got {backend!r}")
        if backend == "numba" and not net.is_dense_stack:
            raise ValueError("backend: the compiled kernel handles dense layers only")
        self.backend = "numba" if backend == "auto" and net.is_dense_stack else (
            "numpy" if backend == "auto" else backend)
        self.seed = int(seed)
        self._hyper = np.array([0.01, 0.0, 0.0, 0.9, 0.9, 0.999, 1e-8, 0.9])
        self.lr = lr
        self.l1 = l1
        self.l2 = l2
        self.momentum = momentum
        self._opt = "adam"
        self.optimizer = "nesterov" if (optimizer == "momentum" and nesterov) else optimizer
        self.batch_size = batch_size
        self._counters = np.zeros(4, dtype=np.int64)
        self._rng = np.array([self.seed], dtype=np.uint64)
        self._perm = np.arange(len(self.X_train), dtype=np.int64)
        K.shuffle(self._perm, self._rng)
        self._grads = np.zeros(net.param_size)
        self._work: np.ndarray | None = None  # scratch space of the compiled kernel
        self._m1 = np.zeros(net.param_size)
        self._m2 = np.zeros(net.param_size)
        self._mask = R.regularised_mask(net)
        self._sizes = np.array(net.layer_sizes, dtype=np.int64)
        self._woff = np.array([o[0] for o in net.param_offsets], dtype=np.int64)
        self._boff = np.array([o[1] for o in net.param_offsets], dtype=np.int64)
        self._acts = np.array([K.ACT[a] for a in net.activations], dtype=np.int64)
        self._loss_code = K.LOSS[net.loss]
        self._have_grads = False
        self._grid_points: np.ndarray | None = None
        self._grid_shape: tuple[int, int] | None = None
        self._grid_out: np.ndarray | None = None
        self.diverged = False
        self._diverged_step: int | None = None
        self._message: str | None = None

    # -- hyperparameters (change freely between runs) -----------------------------------------
    @property
    def lr(self) -> float:
        return float(self._hyper[K.H_LR])

    @lr.setter
    def lr(self, value: float) -> None:
        value = float(value)
        if not (math.isfinite(value) and 0.0 < value <= MAX_LR):
            raise ValueError(f"learning rate: expected a number above 0 and at most {MAX_LR:g}, "
                             f"got {value!r}")
        self._hyper[K.H_LR] = value
        self._clear_divergence()

    def _rate(self, name: str, index: int, value: float) -> None:
        value = float(value)
        if not (math.isfinite(value) and 0.0 <= value <= 10.0):
            raise ValueError(f"{name}: expected a number from 0 to 10, got {value!r}")
        self._hyper[index] = value
        self._clear_divergence()

    l1 = property(lambda self: float(self._hyper[K.H_L1]),
                  lambda self, v: self._rate("L1 rate", K.H_L1, v))
    l2 = property(lambda self: float(self._hyper[K.H_L2]),
                  lambda self, v: self._rate("L2 rate", K.H_L2, v))

    @property
    def momentum(self) -> float:
        return float(self._hyper[K.H_MOM])

    @momentum.setter
    def momentum(self, value: float) -> None:
        value = float(value)
        if not (math.isfinite(value) and 0.0 <= value < 1.0):
            raise ValueError(f"momentum: expected a number from 0 to below 1, got {value!r}")
        self._hyper[K.H_MOM] = value

    @property
    def optimizer(self) -> str:
        return self._opt

    @optimizer.setter
    def optimizer(self, name: str) -> None:
        if name not in _OPT_CODES:
            raise ValueError(f"optimizer: unknown optimizer {name!r} "
                             f"(choose from {', '.join(OPTIMIZERS)})")
        changed = name != self._opt
        self._opt = name
        if changed and hasattr(self, "_m1"):
            self.reset_optimizer()

    @property
    def batch_size(self) -> int:
        return self._batch

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"batch size: expected a whole number of at least 1, got {value!r}")
        self._batch = int(min(value, len(self.X_train)))
        self._clear_divergence()

    # -- counters -----------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return int(self._counters[K.C_STEP])

    @property
    def epoch(self) -> int:
        return int(self._counters[K.C_EPOCH])

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self._batch)

    # -- state --------------------------------------------------------------------------------
    def reset_optimizer(self) -> None:
        """Forget momentum/Adam/RMSprop state (the weights stay)."""
        self._m1[...] = 0.0
        self._m2[...] = 0.0
        self._counters[K.C_T] = 0
        self._clear_divergence()

    def _clear_divergence(self) -> None:
        if getattr(self, "diverged", False):
            self.diverged = False
            self._diverged_step = None
            self._message = None
            self._m1[...] = 0.0
            self._m2[...] = 0.0
            self._counters[K.C_T] = 0

    def set_weights(self, weights: Any) -> None:
        """Replace the network's weights (validated); clears divergence and optimizer state."""
        self.net.set_weights(weights)
        self.diverged = True  # force a full clear below
        self._clear_divergence()

    def set_grid(self, points: Any, shape: tuple[int, int]) -> None:
        """Heatmap inputs: ``points`` (N·M, inputs), the feature vectors of an N × M grid."""
        points = np.ascontiguousarray(points, dtype=np.float64)
        rows, cols = int(shape[0]), int(shape[1])
        if points.shape != (rows * cols, self.net.n_inputs):
            raise ValueError(f"grid: expected points of shape ({rows * cols}, "
                             f"{self.net.n_inputs}), got {points.shape}")
        self._grid_points = points
        self._grid_shape = (rows, cols)
        self._grid_out = np.empty((sum(self.net.layer_sizes[1:]), rows * cols), np.float32)

    # -- training -----------------------------------------------------------------------------
    def run(self, steps: int, grid: bool = False, gradients: bool = False) -> Snapshot:
        """Run ``steps`` optimizer steps (mini-batches) and return a snapshot.

        Stops early at a step whose loss or parameters become NaN or infinite: the last
        finite weights are kept and the snapshot reports ``diverged``.
        """
        steps = int(steps)
        if steps < 0:
            raise ValueError(f"steps: expected a whole number of at least 0, got {steps}")
        if steps and not self.diverged:
            opt = _OPT_CODES[self._opt]
            if self.backend == "numba":
                size = K.work_size(self._sizes, self._batch, self.n_train)
                if self._work is None or self._work.shape[0] < size:
                    self._work = np.empty(size)
                status, done, loss = K.train_steps(
                    self.net.params, self._sizes, self._woff, self._boff, self._acts,
                    self._loss_code, opt, self._hyper, self._m1, self._m2, self._grads,
                    self.X_train, self.Y_train, self._perm, self._counters, self._rng,
                    steps, self._batch, self._work)
            else:
                status, done, loss = R.train_steps(
                    self.net, opt, self._hyper, self._m1, self._m2, self._grads,
                    self.X_train, self.Y_train, self._perm, self._counters, self._rng,
                    steps, self._batch, self._mask)
            if done > 0 or status == 2:
                self._have_grads = True
            if status:
                self._diverge(status, float(loss))
        return self.snapshot(grid=grid, gradients=gradients)

    def steps_to_next_epoch(self) -> int:
        remaining = self.n_train - int(self._counters[K.C_CURSOR])
        return -(-remaining // self._batch)

    def run_epochs(self, epochs: int = 1, grid: bool = False, gradients: bool = False) -> Snapshot:
        """Train until ``epochs`` more passes over the training set are complete."""
        epochs = int(epochs)
        if epochs < 1:
            return self.snapshot(grid=grid, gradients=gradients)
        steps = self.steps_to_next_epoch() + (epochs - 1) * self.steps_per_epoch
        return self.run(steps, grid=grid, gradients=gradients)

    def _diverge(self, status: int, loss: float) -> None:
        self.diverged = True
        self._diverged_step = self.step + 1
        what = "became NaN (not a number)" if (status == 1 and math.isnan(loss)) else (
            "became infinite" if status == 1 else "became infinite (the weights overflowed)")
        self._message = (f"The loss {what} at epoch {self.epoch} (step {self._diverged_step}): "
                         f"try a smaller learning rate.")

    # -- observation --------------------------------------------------------------------------
    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """Loss and metrics of the current weights on (X, Y).

        The compiled backend evaluates in one GIL-free kernel call with the kernels'
        activations (tanh approximated to ~3e-7), so a GUI thread painting beside the
        trainer does not stall it; the NumPy backend uses the exact reference path.
        """
        if self.backend == "numba":
            loss, acc, r2, rmse = K.evaluate(self.net.params, self._sizes, self._woff,
                                             self._boff, self._acts, self._loss_code, X, Y,
                                             GRID_CHUNK)
            if self.task == "classification":
                return {"loss": loss, "metric": acc, "rmse": None}
            return {"loss": loss, "metric": r2, "rmse": rmse}
        z, a = self.net.forward_all(X)[-1]
        out: dict[str, float | None] = {"loss": losses.loss_value(self.net.loss, z, a, Y)}
        if self.task == "classification":
            out["metric"] = metrics.accuracy(a, Y, self.net.loss)
            out["rmse"] = None
        else:
            out["metric"] = metrics.r2(a, Y)
            out["rmse"] = metrics.rmse(a, Y)
        return out

    def grid_activations(self) -> tuple | None:
        """Every neuron's activation over the grid: one (units, N, M) float32 array per layer."""
        if self._grid_points is None:
            return None
        rows, cols = self._grid_shape
        if self.backend == "numba":
            out = K.forward_all(self.net.params, self._sizes, self._woff, self._boff, self._acts,
                                self._grid_points, self._grid_out, GRID_CHUNK)
        else:
            out = np.concatenate([a for _, a in self.net.forward_all(self._grid_points)],
                                 axis=1).T
            # A network about to diverge can leave float32's range or give NaN (min and
            # max propagate NaN, so the usual case costs two reductions, no copies).
            if not (-_F32_MAX <= out.min() and out.max() <= _F32_MAX):
                out = np.nan_to_num(np.clip(out, -_F32_MAX, _F32_MAX), nan=0.0)
        result, col = [], 0
        for units in self.net.layer_sizes[1:]:
            block = out[col:col + units].reshape(units, rows, cols).astype(np.float32)
            block.setflags(write=False)
            result.append(block)
            col += units
        return tuple(result)

    def gradients(self) -> tuple | None:
        """(dW, db) per dense layer of the last mini-batch step (without regularisation)."""
        if not self._have_grads:
            return None
        out = []
        for layer, offs in zip(self.net.layers, self.net.param_offsets):
            pieces = []
            for shape, off in zip(layer.param_shapes(), offs):
                pieces.append(_frozen(self._grads[off:off + int(np.prod(shape))].reshape(shape)))
            out.append(tuple(pieces))
        return tuple(out)

    def snapshot(self, grid: bool = False, gradients: bool = False) -> Snapshot:
        """The current state as an immutable :class:`Snapshot` (no training)."""
        with np.errstate(all="ignore"):
            train = self.evaluate(self.X_train, self.Y_train)
            test = self.evaluate(self.X_test, self.Y_test) if self.X_test is not None else None
        weights = tuple((_frozen(W), _frozen(b)) for W, b in self.net.get_weights())
        progress = self.epoch + int(self._counters[K.C_CURSOR]) / self.n_train
        return Snapshot(
            step=self.step, epoch=self.epoch, epoch_progress=progress,
            train_loss=train["loss"], test_loss=test["loss"] if test else None,
            metric_name="accuracy" if self.task == "classification" else "r2",
            train_metric=train["metric"], test_metric=test["metric"] if test else None,
            train_rmse=train["rmse"], test_rmse=test["rmse"] if test else None,
            weights=weights,
            gradients=self.gradients() if gradients else None,
            grid=self.grid_activations() if grid else None,
            diverged=self.diverged, diverged_step=self._diverged_step, message=self._message,
            layer_sizes=tuple(self.net.layer_sizes), lr=self.lr, optimizer=self._opt,
            batch_size=self._batch,
        )
