"""Compare runs: earlier runs' loss curves stay on the loss chart (dashed) until cleared.

Each earlier run is named in a key below the charts by what it had that differs from the
present settings, in words a student reads: "lr 0.03 → 0.3", "Circle → Spiral",
"layers 4×2 → 8". Inside a lesson the chart keeps only that lesson's runs: opening or
leaving a lesson (:meth:`RunComparison.set_context`) removes runs from elsewhere.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from neuroviz.data import DATASETS

__all__ = ["RunComparison", "describe_difference"]

ARROW = "\u2192"
FEATURE_TITLES = {"x1": "x\u2081", "x2": "x\u2082", "x1^2": "x\u2081\u00b2",
                  "x2^2": "x\u2082\u00b2", "x1*x2": "x\u2081x\u2082", "sin x1": "sin x\u2081",
                  "sin x2": "sin x\u2082"}
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov",
                    "rmsprop": "RMSprop", "adam": "Adam"}


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


def _show(key: str, value) -> str:
    """One setting's value as a student reads it."""
    if key == "lr":
        return f"{value:g}"
    if key == "reg":
        return "none" if value is None else f"{value[0].upper()} {value[1]:g}"
    if key == "layers":
        return "\u00d7".join(map(str, value)) if value else "none"
    if key == "activation":
        return "/".join(value) if value else "none"
    if key == "noise":
        return f"{value:.0%}"
    if key == "features":
        return ", ".join(FEATURE_TITLES.get(f, f) for f in value)
    if key == "data":
        info = DATASETS.get(value)
        return info.title if info is not None else str(value).replace("_", " ")
    if key == "optimizer":
        return OPTIMIZER_TITLES.get(value, str(value))
    return str(value)


_NAMES = {"lr": "lr", "optimizer": "", "batch": "batch", "reg": "regularisation",
          "layers": "layers", "activation": "", "data": "", "noise": "noise",
          "features": "features", "seed": "seed"}


def describe_difference(old: dict, new: dict, arrows: bool = False) -> str:
    """What the old run had that differs from the new one: "lr 0.03, layers 4×2", or with
    ``arrows`` the change to the present, "lr 0.03 → 0.3, layers 4×2 → 8"."""
    parts = []
    for key in ("data", "lr", "optimizer", "batch", "reg", "layers", "activation", "noise",
                "features", "seed"):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        text = _show(key, a)
        if arrows and b is not None:
            text += f" {ARROW} {_show(key, b)}"
        name = _NAMES[key]
        if key == "reg" and not arrows:
            name, text = ("", text) if a is not None else ("", "no regularisation")
        if key == "activation" and not a:
            text = "no hidden activation" if not arrows else f"none {ARROW} {_show(key, b)}"
        parts.append(f"{name} {text}".strip())
    return ", ".join(parts)


class RunComparison:
    """Keeps earlier runs' loss curves on the loss chart, with a key naming them."""

    MAX_RUNS = 6
    COLOURS = ("#7f7f7f", "#cc79a7", "#56b4e9", "#009e73", "#8c564b", "#e69f00")

    def __init__(self, window) -> None:
        self.window = window
        self.enabled = True
        self.context: str | None = None  # the open lesson, if any
        self.runs: list[dict] = []  # {"epochs", "loss", "settings", "context", "curve"}
        self._copy: dict | None = None
        self._length = -1
        self._run_settings: dict | None = None  # the current run's settings, once computed
        window.snapshot_drawn.connect(self._on_snapshot)
        window.state.subscribe(self._on_state)

    def _on_snapshot(self, _snap) -> None:
        h = self.window.state.history
        if len(h) != self._length:
            self._length = len(h)
            if len(h) >= 2:
                if self._run_settings is None:  # they change with the state, not every frame
                    self._run_settings = _settings(self.window)
                self._copy = {"epochs": np.array(h.epochs), "loss": np.array(h.train_loss),
                              "settings": self._run_settings, "context": self.context}

    def _on_state(self, change: str) -> None:
        if change != "history":
            self._run_settings = None
        h = self.window.state.history
        if change in ("history", "experiment") and len(h) == 0 and self._copy is not None:
            if self.enabled and self._copy["context"] == self.context:
                self.archive(self._copy)
            self._copy = None
            self._length = -1
        elif change in ("hyperparameters", "network", "dataset", "seed"):
            self.relabel()

    def set_context(self, context: str | None) -> None:
        """A lesson was opened (its id) or left (None): runs from elsewhere leave the chart,
        so a lesson's chart compares only the lesson's own runs."""
        if context == self.context:
            return
        self.context = context
        if self._copy is not None and self._copy["context"] != context:
            self._copy = None
        keep = [run for run in self.runs if run["context"] == context]
        for run in self.runs:
            if run not in keep:
                self.window.charts.loss_plot.removeItem(run["curve"])
        self.runs = keep
        self.relabel()

    def archive(self, run: dict) -> None:
        plot = self.window.charts.loss_plot
        if len(self.runs) >= self.MAX_RUNS:
            old = self.runs.pop(0)
            plot.removeItem(old["curve"])
        used = {r["colour"] for r in self.runs}
        colour = next((c for c in self.COLOURS if c not in used), self.COLOURS[0])
        curve = pg.PlotDataItem(run["epochs"], np.maximum(run["loss"], 1e-12),
                                pen=pg.mkPen(colour, width=1.5, style=Qt.DashLine))
        curve.setZValue(-5)
        plot.addItem(curve)  # not in the plot's legend: the key below the charts names it
        self.runs.append({"context": None, **run, "curve": curve, "colour": colour})
        self.relabel()

    def relabel(self) -> None:
        current = _settings(self.window)
        for n, run in enumerate(self.runs, start=1):
            diff = describe_difference(run["settings"], current, arrows=True)
            run["label"] = f"run {n}: " + (diff or "same settings")
        self.window.charts.set_run_key(
            [(run["colour"], run["label"]) for run in self.runs])

    @property
    def labels(self) -> list[str]:
        return [run.get("label", "") for run in self.runs]

    def clear(self) -> None:
        plot = self.window.charts.loss_plot
        for run in self.runs:
            plot.removeItem(run["curve"])
        self.runs = []
        self.relabel()
