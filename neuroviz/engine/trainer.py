"""The trainer: runs bursts of optimizer steps and publishes immutable snapshots.

A burst of ``steps`` mini-batches runs inside one compiled, GIL-free Numba call:
the fused dense kernel (:func:`neuroviz.engine.kernels.train_steps`) for dense
stacks, the generated sequential driver (:mod:`neuroviz.engine.driver`) for any
other mix of layer kinds; ``backend="numpy"`` runs the NumPy reference loop. Between
bursts the caller may change the learning rate, regularisation, batch size or
optimizer; the weights are kept. Evaluation (snapshots, test loss, heatmaps) never
applies dropout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroviz.engine import driver as DRV
from neuroviz.engine import kernels as K
from neuroviz.engine import losses, metrics
from neuroviz.engine import reference as R
from neuroviz.engine.kinds.base import random_state
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
    best_epoch: int | None = None
    best_step: int | None = None
    best_test_loss: float | None = None
    stopped_early: bool = False


def _frozen_tree(group: Any) -> Any:
    if isinstance(group, np.ndarray):
        return _frozen(group)
    return tuple(_frozen_tree(g) for g in group)


def _check_data(name: str, X: Any, Y: Any, net: Network) -> tuple[np.ndarray, np.ndarray]:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim > 2 and X.shape[1:] == net.input_shape:  # images, sequences: one row each
        X = X.reshape(len(X), -1)
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
        ``numpy`` runs the reference loop (used by tests and the benchmark); ``auto`` and
        ``numba`` run compiled code for every layer kind.
    patience : int, optional
        Early stopping: stop (``stopped_early``) once the test loss has not improved for
        this many epochs. With or without it, the trainer keeps the weights of the lowest
        test loss seen at a snapshot (``best_epoch``, ``best_test_loss``) for
        :meth:`restore_best`.
    """

    def __init__(self, net: Network, X_train: Any, Y_train: Any, X_test: Any = None,
                 Y_test: Any = None, optimizer: str = "adam", lr: float = 0.01,
                 batch_size: int = 10, seed: int = 0, l1: float = 0.0, l2: float = 0.0,
                 momentum: float = 0.9, nesterov: bool = False, task: str | None = None,
                 backend: str = "auto", patience: int | None = None) -> None:
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
        self.backend = "numba" if backend == "auto" else backend
        if patience is not None and (isinstance(patience, bool) or not isinstance(
                patience, (int, np.integer)) or patience < 1):
            raise ValueError(f"patience: expected a whole number of at least 1, got {patience!r}")
        self.patience = None if patience is None else int(patience)
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
        self._drop = random_state(self.seed)  # dropout masks: a stream of its own
        self._plan: DRV.Plan | None = None  # op table of the sequential driver
        self._plan_buffers: tuple = ()
        self._eval_plan: DRV.Plan | None = None  # op table for evaluation, GRID_CHUNK rows
        self._grads = np.zeros(net.param_size)
        self._work: np.ndarray | None = None  # scratch space of the compiled kernel
        self._m1 = np.zeros(net.param_size)
        self._m2 = np.zeros(net.param_size)
        self._mask = R.regularised_mask(net)
        self._sizes = np.array(net.layer_sizes, dtype=np.int64)
        dense = net.is_dense_stack  # the fused kernel's layout; unused by the driver
        self._woff = np.array([o[0] for o in net.param_offsets] if dense else [], dtype=np.int64)
        self._boff = np.array([o[1] for o in net.param_offsets] if dense else [], dtype=np.int64)
        self._acts = np.array([K.ACT[a] for a in net.activations], dtype=np.int64)
        self._loss_code = K.LOSS[net.loss]
        self._have_grads = False
        self._grid_points: np.ndarray | None = None
        self._grid_shape: tuple[int, int] | None = None
        self._grid_step = 1  # hidden layers' heatmaps: every step-th grid point per side
        self._grid_full: frozenset = frozenset()  # layers kept at every grid point anyway
        self._grid_out: np.ndarray | None = None
        self.diverged = False
        self._diverged_step: int | None = None
        self._message: str | None = None
        self.stopped_early = False
        self._best_params: np.ndarray | None = None
        self._best: tuple[float, int, int] | None = None  # test loss, epoch, step
        self._patience_from = 0

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
        if getattr(self, "stopped_early", False):  # a change resumes early-stopped training
            self.stopped_early = False
            self._message = None
            self._patience_from = self.epoch
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

    def set_grid(self, points: Any, shape: tuple[int, int], hidden_step: int = 1) -> None:
        """Heatmap inputs: ``points`` (N·M, inputs), the feature vectors of an N × M grid.

        With ``hidden_step`` > 1, :meth:`grid_activations` keeps every ``hidden_step``-th
        row and column of the grid for the layers before the output (small heatmaps need
        no more; the copies then cost a fraction); the output layer keeps every point.
        """
        points = np.ascontiguousarray(points, dtype=np.float64)
        rows, cols = int(shape[0]), int(shape[1])
        if int(hidden_step) < 1:
            raise ValueError(f"hidden_step: expected a whole number of at least 1, got "
                             f"{hidden_step}")
        self._grid_step = int(hidden_step)
        if points.shape != (rows * cols, self.net.n_inputs):
            raise ValueError(f"grid: expected points of shape ({rows * cols}, "
                             f"{self.net.n_inputs}), got {points.shape}")
        self._grid_points = points
        self._grid_shape = (rows, cols)
        self._grid_out = np.empty((sum(self.net.layer_sizes[1:]), rows * cols), np.float32)

    def set_grid_full_layers(self, layers: Any = ()) -> None:
        """Layers (indices into a snapshot's ``grid``) that keep every grid point even with
        ``hidden_step`` > 1, e.g. the layer of a neuron shown large."""
        self._grid_full = frozenset(int(layer) for layer in layers)

    # -- training -----------------------------------------------------------------------------
    def run(self, steps: int, grid: bool = False, gradients: bool = False) -> Snapshot:
        """Run ``steps`` optimizer steps (mini-batches) and return a snapshot.

        Stops early at a step whose loss or parameters become NaN or infinite: the last
        finite weights are kept and the snapshot reports ``diverged``.
        """
        steps = int(steps)
        if steps < 0:
            raise ValueError(f"steps: expected a whole number of at least 0, got {steps}")
        if steps and not self.diverged and not self.stopped_early:
            opt = _OPT_CODES[self._opt]
            if self.backend == "numba" and not self.net.is_dense_stack:
                status, done, loss = self._run_driver(opt, steps)
            elif self.backend == "numba":
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
                    steps, self._batch, self._mask, self._drop)
            if done > 0 or status == 2:
                self._have_grads = True
            if status:
                self._diverge(status, float(loss))
        return self.snapshot(grid=grid, gradients=gradients)

    def _run_driver(self, opt: int, steps: int) -> tuple[int, int, float]:
        """A burst in the generated sequential driver (networks with non-dense kinds)."""
        bmax = min(self._batch, self.n_train)
        if self._plan is None or self._plan.bmax != bmax:
            self._plan = DRV.Plan.build(self.net, bmax)
            A, Z, D, S = self._plan.buffers()
            self._plan_buffers = (A, Z, D, S, np.empty(self.net.param_size),
                                  np.empty(bmax * self.net.n_outputs), DRV.segments(self.net))
        A, Z, D, S, prev, ybuf, segs = self._plan_buffers
        plan = self._plan
        module = DRV.driver_for(self.net.kinds)
        return module.train_steps(
            self.net.params, plan.ops, plan.fops, segs, plan.out, self._loss_code, opt,
            self._hyper, self._m1, self._m2, self._grads, self.X_train, self.Y_train,
            self._perm, self._counters, self._rng, self._drop, steps, self._batch,
            A, Z, D, S, prev, ybuf)

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
        where = f"at epoch {self.epoch} (step {self._diverged_step})"
        if status == 1:
            what = "became NaN (not a number)" if math.isnan(loss) else "became infinite"
            self._message = f"The loss {what} {where}: try a smaller learning rate."
        else:
            self._message = (f"The weights ran away {where}: a weight grew beyond "
                             f"±{K.WEIGHT_LIMIT:.0e} on its way to infinite. Training stopped "
                             f"with the last sane weights: try a smaller learning rate.")

    # -- observation --------------------------------------------------------------------------
    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """Loss and metrics of the current weights on (X, Y).

        The compiled backend runs the forward pass in one GIL-free call (the dense kernel,
        or the generated driver in evaluation mode: no dropout) with the kernels'
        activations (tanh approximated to ~3e-7), so a GUI thread painting beside the
        trainer does not stall it; the NumPy backend uses the exact reference path.
        """
        if self.backend == "numba" and self.net.is_dense_stack:
            loss, acc, r2, rmse = K.evaluate(self.net.params, self._sizes, self._woff,
                                             self._boff, self._acts, self._loss_code, X, Y,
                                             GRID_CHUNK)
            if self.task == "classification":
                return {"loss": loss, "metric": acc, "rmse": None}
            return {"loss": loss, "metric": r2, "rmse": rmse}
        if self.backend == "numba":
            z, a = self._compiled_forward(X, None)
        else:
            z, a = self.net.forward_all(X)[-1]
        out: dict[str, float | None] = {"loss": losses.loss_value(self.net.loss, z, a, Y)}
        if self.task == "classification":
            out["metric"] = metrics.accuracy(a, Y, self.net.loss)
            out["rmse"] = None
        else:
            out["metric"] = metrics.r2(a, Y)
            out["rmse"] = metrics.rmse(a, Y)
        return out

    def _compiled_forward(self, X: np.ndarray, out: np.ndarray | None
                          ) -> tuple[np.ndarray, np.ndarray]:
        """Evaluation-mode forward pass in the generated driver (networks with non-dense
        kinds): the output layer's (z, a), and every layer's values into ``out`` if given."""
        if self._eval_plan is None:
            self._eval_plan = DRV.Plan.build(self.net, GRID_CHUNK)
            self._eval_buffers = self._eval_plan.buffers()
            self._eval_tops = np.array(self._eval_plan.tops, dtype=np.int64)
            self._eval_widths = np.array(self.net.layer_sizes[1:], dtype=np.int64)
        plan = self._eval_plan
        A, Z, _, S = self._eval_buffers
        n, k = len(X), self.net.n_outputs
        z = np.empty((n, k))
        a = np.empty((n, k))
        if out is None:
            out = np.empty((0, n), np.float32)
        DRV.driver_for(self.net.kinds).forward_rows(
            plan.ops, plan.fops, self.net.params, X, A, Z, S, GRID_CHUNK, self._eval_tops,
            self._eval_widths, out, z, a, np.zeros(1, np.uint64))
        return z, a

    def grid_activations(self) -> tuple | None:
        """Every neuron's activation over the grid: one (units, N, M) float32 array per layer."""
        if self._grid_points is None:
            return None
        rows, cols = self._grid_shape
        if self.backend == "numba" and self.net.is_dense_stack:
            out = K.forward_all(self.net.params, self._sizes, self._woff, self._boff, self._acts,
                                self._grid_points, self._grid_out, GRID_CHUNK)
        elif self.backend == "numba":
            out = self._grid_out
            self._compiled_forward(self._grid_points, out)
        else:
            out = np.concatenate([a for _, a in self.net.forward_all(self._grid_points)],
                                 axis=1).T
            # A network about to diverge can leave float32's range or give NaN (min and
            # max propagate NaN, so the usual case costs two reductions, no copies).
            if not (-_F32_MAX <= out.min() and out.max() <= _F32_MAX):
                out = np.nan_to_num(np.clip(out, -_F32_MAX, _F32_MAX), nan=0.0)
        result, col = [], 0
        sizes = self.net.layer_sizes[1:]
        step = self._grid_step
        for layer, units in enumerate(sizes):
            block = out[col:col + units].reshape(units, rows, cols)
            if step > 1 and layer < len(sizes) - 1 and layer not in self._grid_full:
                block = block[:, ::step, ::step]
            block = np.array(block, dtype=np.float32, order="C")  # a copy: out is reused
            block.setflags(write=False)
            result.append(block)
            col += units
        return tuple(result)

    def gradients(self) -> tuple | None:
        """Gradients of the last mini-batch step (without regularisation), grouped like
        :meth:`Network.get_weights` (dense: ``(dW, db)``)."""
        if not self._have_grads:
            return None
        return _frozen_tree(self.net.structure(self._grads))

    def snapshot(self, grid: bool = False, gradients: bool = False) -> Snapshot:
        """The current state as an immutable :class:`Snapshot` (no training)."""
        with np.errstate(all="ignore"):
            train = self.evaluate(self.X_train, self.Y_train)
            test = self.evaluate(self.X_test, self.Y_test) if self.X_test is not None else None
        weights = _frozen_tree(self.net.get_weights())
        if test is not None:
            self._track_best(float(test["loss"]))
        best = self._best
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
            best_test_loss=best[0] if best else None, best_epoch=best[1] if best else None,
            best_step=best[2] if best else None, stopped_early=self.stopped_early,
        )

    # -- early stopping -----------------------------------------------------------------------
    def _track_best(self, test_loss: float) -> None:
        """Keep the weights if ``test_loss`` is the lowest so far; stop after ``patience``."""
        if math.isfinite(test_loss) and (self._best is None or test_loss < self._best[0]):
            self._best = (test_loss, self.epoch, self.step)
            if self._best_params is None:
                self._best_params = np.empty_like(self.net.params)
            self._best_params[...] = self.net.params
        elif (self.patience is not None and self._best is not None and not self.stopped_early
              and self.epoch - max(self._best[1], self._patience_from) >= self.patience):
            self.stopped_early = True
            self._message = (f"Stopped early at epoch {self.epoch}: the test loss has not "
                             f"improved for {self.epoch - self._best[1]} epochs (best "
                             f"{self._best[0]:.4g} at epoch {self._best[1]}).")

    @property
    def best_epoch(self) -> int | None:
        """Epoch of the lowest test loss seen at a snapshot (None without test data)."""
        return self._best[1] if self._best else None

    @property
    def best_test_loss(self) -> float | None:
        return self._best[0] if self._best else None

    def restore_best(self) -> bool:
        """Put back the weights of the lowest test loss; False if there are none yet.

        Clears optimizer state and divergence, like :meth:`set_weights`.
        """
        if self._best_params is None:
            return False
        self.net.params[...] = self._best_params
        self.diverged = True  # force a full clear
        self._clear_divergence()
        return True
