"""The training timeline: weights kept at sensible intervals, within a stated memory bound.

:class:`Timeline` records the weights (and losses) of each epoch while a network trains (the
first snapshot seen in that epoch, labelled with its exact fractional epoch and step),
so a learner can scrub back to an earlier epoch, look at that moment, and resume from it.

Memory bound
------------
Each entry stores a float64 copy of every weight and bias (``8 · n_params`` bytes) plus about
300 bytes of bookkeeping. The timeline holds at most ``capacity`` entries, where::

    capacity = clamp(max_bytes // entry_bytes, MIN_ENTRIES, max_entries)

(by default ``max_bytes`` = 32 MiB, ``max_entries`` = 1000), plus one extra entry for the most
recent epoch. Entries are kept on a stride of epochs: at first every epoch; whenever the
timeline is full the stride doubles and the entries that are not on the new stride are
dropped (geometric thinning). So however long training runs, the kept epochs stay evenly
spread over the whole run (0, s, 2s, ...) and the total stays under ``max_bytes`` (unless even
``MIN_ENTRIES`` entries do not fit, for networks over ~250 000 parameters). For the largest
playground network (8 hidden layers of 16 neurons, ~2 300 parameters, ~18 KB an entry) that is
1000 entries, ~18 MB.

Qt-free: the app's timeline view only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

__all__ = ["Timeline", "TimelineEntry", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 1000
MIN_ENTRIES = 16
ENTRY_OVERHEAD = 300


def _frozen_weights(weights) -> tuple[tuple, ...]:
    """Read-only copies, grouped like ``Network.get_weights`` (dense ``(W, b)``; a residual
    block's group nests its layers' groups)."""

    def frozen(item):
        if isinstance(item, tuple):
            return tuple(frozen(i) for i in item)
        a = np.array(item, dtype=np.float64, copy=True)
        a.setflags(write=False)
        return a

    return tuple(tuple(frozen(item) for item in group) for group in weights)


def _leaves(tree) -> list[np.ndarray]:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _shapes(tree):
    if isinstance(tree, (tuple, list)):
        return tuple(_shapes(item) for item in tree)
    return np.shape(tree)


def _copy(tree):
    if isinstance(tree, (tuple, list)):
        return tuple(_copy(item) for item in tree)
    return tree.copy()


@dataclass(frozen=True)
class TimelineEntry:
    """The state of training at one moment of an epoch (weights are read-only copies).

    ``epoch`` is the whole epoch the entry files under (thinning, the slider's stops);
    ``progress`` is the exact position of the weights in epochs (``epoch`` plus the part of
    the next pass already trained; equal to ``epoch`` at an epoch boundary) and ``step`` the
    optimizer step they were taken at. Snapshots published while training runs come from
    inside an epoch, so the label says exactly where (:attr:`label`).
    """

    epoch: int
    step: int
    weights: tuple[tuple[np.ndarray, np.ndarray], ...]
    train_loss: float
    test_loss: float | None = None
    metric_name: str = "accuracy"
    train_metric: float | None = None
    test_metric: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    progress: float | None = None

    @property
    def position(self) -> float:
        """Where the weights are, in epochs (fractional inside an epoch)."""
        return float(self.epoch) if self.progress is None else float(self.progress)

    @property
    def at_boundary(self) -> bool:
        return abs(self.position - self.epoch) < 1e-9

    @property
    def label(self) -> str:
        """"Epoch 5" at an epoch boundary, else the exact place: "Epoch 5.37 (step 1,234)"."""
        if self.at_boundary:
            return f"Epoch {self.epoch:,}"
        return f"Epoch {self.position:,.2f} (step {self.step:,})"

    @cached_property
    def nbytes(self) -> int:  # the weights are read-only copies: computed once
        return sum(a.nbytes for a in _leaves(self.weights)) + ENTRY_OVERHEAD

    def copy_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Writable copies of the weights (to hand to a trainer or the window)."""
        return [_copy(group) for group in self.weights]


class Timeline:
    """Snapshots of a training run at geometrically thinned epoch intervals.

    Parameters
    ----------
    max_bytes : int
        Upper bound on the memory the stored weights take (see the module docstring).
    max_entries : int
        Upper bound on the number of kept epochs (slider resolution), besides the latest.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_bytes <= 0 or max_entries < 2:
            raise ValueError("max_bytes must be positive and max_entries at least 2")
        self.max_bytes = int(max_bytes)
        self.max_entries = int(max_entries)
        self.stride = 1
        self._entries: list[TimelineEntry] = []  # on-stride epochs, ascending
        self._latest: TimelineEntry | None = None  # the newest epoch, on stride or not
        self._shapes: tuple | None = None

    # ------------------------------------------------------------------ recording
    def capacity_for(self, entry_bytes: int) -> int:
        by_memory = self.max_bytes // max(1, entry_bytes)
        return int(min(self.max_entries, max(MIN_ENTRIES, by_memory)))

    @property
    def capacity(self) -> int:
        if self._latest is None:
            return self.max_entries
        return self.capacity_for(self._latest.nbytes)

    def record(self, epoch: int, weights, *, step: int = 0, train_loss: float = float("nan"),
               test_loss: float | None = None, metric_name: str = "accuracy",
               train_metric: float | None = None, test_metric: float | None = None,
               progress: float | None = None, **extra: Any) -> bool:
        """Remember the weights of ``epoch``; returns True if they were kept.

        ``progress`` is their exact position in epochs (``epoch`` <= progress < epoch + 1;
        default ``epoch``, an epoch boundary); the first weights recorded for an epoch
        are kept for it.

        Epochs must not go backwards (call :meth:`truncate_after` or :meth:`clear` first);
        an epoch already recorded is ignored. Weights of a different shape than before
        start a new timeline (the architecture changed).
        """
        epoch = int(epoch)
        shapes = _shapes(weights)
        if self._shapes is not None and shapes != self._shapes:
            self.clear()
        if self._latest is not None and epoch <= self._latest.epoch:
            return False
        if not all(np.isfinite(a).all() for a in _leaves(weights)):
            return False  # never keep a diverged state
        entry = TimelineEntry(epoch, int(step), _frozen_weights(weights), float(train_loss),
                              None if test_loss is None else float(test_loss), metric_name,
                              None if train_metric is None else float(train_metric),
                              None if test_metric is None else float(test_metric), dict(extra),
                              None if progress is None else float(progress))
        self._shapes = shapes
        self._latest = entry
        if epoch % self.stride == 0:
            self._entries.append(entry)
            capacity = self.capacity_for(entry.nbytes)
            while len(self._entries) > capacity:
                self.stride *= 2
                self._entries = [e for e in self._entries if e.epoch % self.stride == 0]
        return True

    def record_snapshot(self, snap, epoch_offset: int = 0) -> bool:
        """Record an engine Snapshot (its weights and losses) under ``epoch_offset +
        snap.epoch``, labelled with its exact position ``epoch_offset + snap.epoch_progress``
        and step (a snapshot published mid-epoch is not the end of that epoch)."""
        return self.record(epoch_offset + int(snap.epoch), snap.weights, step=snap.step,
                           train_loss=snap.train_loss, test_loss=snap.test_loss,
                           metric_name=snap.metric_name, train_metric=snap.train_metric,
                           test_metric=snap.test_metric,
                           progress=epoch_offset + float(snap.epoch_progress))

    # ------------------------------------------------------------------ reading
    @property
    def entries(self) -> list[TimelineEntry]:
        """Every kept entry in epoch order (the latest one included)."""
        out = list(self._entries)
        if self._latest is not None and (not out or out[-1] is not self._latest):
            out.append(self._latest)
        return out

    @property
    def epochs(self) -> list[int]:
        return [e.epoch for e in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return self._latest is not None

    @property
    def latest(self) -> TimelineEntry | None:
        return self._latest

    @property
    def nbytes(self) -> int:
        """Memory the kept entries take (weights plus bookkeeping)."""
        return sum(e.nbytes for e in self.entries)

    def entry_at(self, epoch: int) -> TimelineEntry:
        """The kept entry nearest to ``epoch`` (the earlier one on a tie)."""
        entries = self.entries
        if not entries:
            raise LookupError("the timeline is empty")
        epochs = np.array([e.epoch for e in entries])
        i = int(np.argmin(np.abs(epochs - epoch)))
        return entries[i]

    def weights_at(self, epoch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Writable copies of the weights kept for exactly ``epoch`` (KeyError if not kept)."""
        for e in self.entries:
            if e.epoch == epoch:
                return e.copy_weights()
        raise KeyError(f"epoch {epoch} is not on the timeline (kept: every {self.stride} "
                       "epochs and the latest)")

    # ------------------------------------------------------------------ editing
    def truncate_after(self, epoch: int) -> None:
        """Forget everything after ``epoch`` (training resumes from there)."""
        kept = [e for e in self.entries if e.epoch <= epoch]
        self._latest = kept[-1] if kept else None
        self._entries = [e for e in kept if e.epoch % self.stride == 0]
        if not kept:
            self._shapes = None

    def clear(self) -> None:
        self._entries = []
        self._latest = None
        self._shapes = None
        self.stride = 1
