"""Compare runs: earlier runs' loss curves stay on the loss chart, labelled by what changed
since (learning rate, layers, data...), until cleared."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

__all__ = ["RunComparison", "describe_difference"]


def _settings(window) -> dict:
    hp = window.state.hyperparameters
    spec = window.state.spec
    ds = window.state.dataset
    hidden = [layer.get("units", layer.get("type")) for layer in spec["layers"][:-1]]
    acts = sorted({layer["activation"] for layer in spec["layers"][:-1] if "activation" in layer})
    return {"lr": hp.learning_rate, "optimizer": hp.optimizer, "batch": hp.batch_size,
            "reg": (hp.regularization, hp.regularization_rate) if hp.regularization != "none"
            else None, "layers": hidden, "activation": acts, "data": ds.name,
            "noise": ds.noise, "features": tuple(ds.features), "seed": window.state.seed}


def describe_difference(old: dict, new: dict) -> str:
    """What the old run had that differs from the new one, e.g. "lr 0.3, relu"."""
    parts = []
    for key in ("lr", "optimizer", "batch", "reg", "layers", "activation", "data", "noise",
                "features", "seed"):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "lr":
            parts.append(f"lr {a:g}")
        elif key == "reg":
            parts.append("no regularisation" if a is None else f"{a[0].upper()} {a[1]:g}")
        elif key == "layers":
            parts.append("layers " + ("\u00d7".join(map(str, a)) if a else "none"))
        elif key == "activation":
            parts.append("/".join(a) if a else "no hidden activation")
        elif key == "noise":
            parts.append(f"noise {a:.0%}")
        elif key == "features":
            parts.append("features " + ", ".join(a))
        elif key == "batch":
            parts.append(f"batch {a}")
        else:
            parts.append(f"{key} {a}")
    return ", ".join(parts)


class RunComparison:
    """Keeps earlier runs' loss curves on the loss chart until cleared."""

    MAX_RUNS = 6
    COLOURS = ("#7f7f7f", "#cc79a7", "#56b4e9", "#009e73", "#8c564b", "#e69f00")

    def __init__(self, window) -> None:
        self.window = window
        self.enabled = True
        self.runs: list[dict] = []  # {"epochs", "loss", "settings", "curve"}
        self._copy: dict | None = None
        self._length = -1
        window.snapshot_drawn.connect(self._on_snapshot)
        window.state.subscribe(self._on_state)

    def _on_snapshot(self, _snap) -> None:
        h = self.window.state.history
        if len(h) != self._length:
            self._length = len(h)
            if len(h) >= 2:
                self._copy = {"epochs": np.array(h.epochs), "loss": np.array(h.train_loss),
                              "settings": _settings(self.window)}

    def _on_state(self, change: str) -> None:
        h = self.window.state.history
        if change in ("history", "experiment") and len(h) == 0 and self._copy is not None:
            if self.enabled:
                self.archive(self._copy)
            self._copy = None
            self._length = -1
        elif change in ("hyperparameters", "network", "dataset", "seed"):
            self.relabel()

    def archive(self, run: dict) -> None:
        plot = self.window.charts.loss_plot
        if len(self.runs) >= self.MAX_RUNS:
            old = self.runs.pop(0)
            plot.removeItem(old["curve"])
            self.window.charts.loss_legend.removeItem(old["curve"])
        colour = self.COLOURS[len(self.runs) % len(self.COLOURS)]
        curve = plot.plot(run["epochs"], np.maximum(run["loss"], 1e-12),
                          pen=pg.mkPen(colour, width=1.5, style=Qt.DashLine), name="earlier")
        curve.setZValue(-5)
        self.runs.append({**run, "curve": curve})
        self.relabel()

    def relabel(self) -> None:
        if not self.runs:
            return
        current = _settings(self.window)
        legend = self.window.charts.loss_legend
        for n, run in enumerate(self.runs, start=1):
            label = describe_difference(run["settings"], current) or f"run {n} (same settings)"
            legend.removeItem(run["curve"])
            legend.addItem(run["curve"], label)
            run["label"] = label

    @property
    def labels(self) -> list[str]:
        return [run.get("label", "") for run in self.runs]

    def clear(self) -> None:
        plot = self.window.charts.loss_plot
        for run in self.runs:
            plot.removeItem(run["curve"])
            self.window.charts.loss_legend.removeItem(run["curve"])
        self.runs = []
