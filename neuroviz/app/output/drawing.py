"""Drawing and throttled recomputation for :class:`neuroviz.app.output.view.OutputView`.

A mixin so the view module stays about widgets and wiring; every method here reads the view's
state (``ds``, ``_snap``, ``_net``, items) and draws into its pyqtgraph items in place.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from neuroviz.app import palette as _palette
from neuroviz.app.network.heatmaps import plane_grid
from neuroviz.app.output.charts import format_number
from neuroviz.app.output.panels import confusion_counts

__all__ = ["RECOMPUTE_MS", "OutputDrawingMixin"]

RECOMPUTE_MS = 200  # expensive updates at most ~5 times a second
#: Image datasets hold each pixel's ink from 0 (white) to 1 (black): drawn on that scale.
IMAGE_LEVELS = (0.0, 1.0)
_OWN_GRID = 100  # resolution when the output view computes the plane itself
_SLICE_GRID = 48


def _leaves(tree):
    """The arrays of weights grouped like ``Network.get_weights`` (any nesting)."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _finite(arrays) -> bool:
    return all(np.isfinite(a).all() for a in _leaves(arrays))


class OutputDrawingMixin:
    """Drawing half of OutputView (see module docstring)."""

    # -- drawing -----------------------------------------------------------------------
    def _predict(self, X: np.ndarray) -> np.ndarray | None:
        if not self._weights_ok:
            return None
        with np.errstate(all="ignore"):
            out = self._net.predict(X)
        return out if np.isfinite(out).all() else None

    def _load_weights(self) -> None:
        snap = self._snap
        self._weights_ok = False
        if snap is None or self._net is None:
            return
        ws = getattr(snap, "weights", None)
        if ws is None or not _finite(ws):
            return
        try:
            self._net.set_weights(ws)
        except ValueError:  # architecture changed and the spec has not caught up yet
            return
        self._weights_ok = True

    def _grid_output(self, snap) -> np.ndarray | None:
        grid = getattr(snap, "grid", None)
        if not grid:
            return None
        out = np.asarray(grid[-1])
        if out.ndim != 3 or out.shape[0] != self.ds.n_outputs or not np.isfinite(out).all():
            return None
        return out

    def _values_to_rgba(self, values: np.ndarray) -> np.ndarray:
        """(k, N, M) output values -> (N, M, 4) uint8 image, lightened so points stand out."""
        ds = self.ds
        pal = _palette.current_palette()
        lut = pal.lut().astype(np.float32)
        if ds.task == "classification" and values.shape[0] > 1:
            cls = np.argmax(values, axis=0)
            k = values.shape[0]
            colours = pal.class_rgb(k).astype(np.float32)
            conf = (np.max(values, axis=0) - 1.0 / k) / (1.0 - 1.0 / k)
            strength = np.ones_like(conf) * 0.75 if self.discretize else 0.15 + 0.65 * conf
            rgb = 255.0 + (colours[cls] - 255.0) * strength[..., None]
        else:
            if ds.task == "classification":
                t = 2.0 * values[0] - 1.0
            else:
                c, h = self._value_scale()
                t = (values[0].astype(np.float64) - c) / h  # float32 can overflow here
            if self.discretize:
                t = np.where(t >= 0, 0.75, -0.75)
            rgb = lut[_palette.value_to_index(t), :3]
            rgb = 255.0 + (rgb - 255.0) * 0.8
        out = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
        out[..., :3] = np.clip(rgb, 0, 255)
        out[..., 3] = 255
        return out

    def _draw_plane(self) -> None:
        ds = self.ds
        lo, hi = ds.extent
        if self._neuron is not None:
            img = self._neuron[0]
            m = max(float(np.abs(img).max()), 1.0)
            rgba = _palette.current_palette().lut()[_palette.value_to_index(img / m)]
            self._set_image(rgba, lo, hi, lo, hi)
            return
        values = self._grid_output(self._snap) if self._snap is not None else None
        if values is None:
            if not self._weights_ok:
                self._load_weights()
            _, feats, shape = plane_grid(ds, _OWN_GRID)
            pred = self._predict(feats)
            if pred is None:
                return
            values = pred.T.reshape(pred.shape[1], *shape)
        self._boundary = values
        self._set_image(self._values_to_rgba(values), lo, hi, lo, hi)

    def _set_image(self, rgba: np.ndarray, x0, x1, y0, y1) -> None:
        n_rows, n_cols = rgba.shape[:2]
        dx = (x1 - x0) / max(n_cols - 1, 1)
        dy = (y1 - y0) / max(n_rows - 1, 1)
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))

    def _draw_slice(self) -> None:
        ds = self.ds
        if not self._weights_ok or not hasattr(self, "_slice_box"):
            return
        lo, hi = self._slice_box
        mean = ds.X_train.mean(axis=0)
        std = ds.feature_std if ds.feature_std is not None else np.ones(ds.n_features)
        fmean = ds.feature_mean if ds.feature_mean is not None else np.zeros(ds.n_features)
        i, j = self.slice_axes
        if ds.n_features == 1:
            xs = np.linspace(lo[0], hi[0], 200)
            pred = self._predict(((xs - fmean[0]) / std[0])[:, None])
            if pred is not None:
                self.curve.setData(xs, pred[:, 0])
                self._boundary = pred.T
            return
        xs = np.linspace(lo[0], hi[0], _SLICE_GRID)
        ys = np.linspace(lo[1], hi[1], _SLICE_GRID)
        xx, yy = np.meshgrid(xs, ys)
        X = np.tile(mean, (xx.size, 1))
        X[:, i] = (xx.ravel() - fmean[i]) / std[i]
        X[:, j] = (yy.ravel() - fmean[j]) / std[j]
        pred = self._predict(X)
        if pred is None:
            return
        values = pred.T.reshape(pred.shape[1], *xx.shape)
        self._boundary = values
        self._set_image(self._values_to_rgba(values), xs[0], xs[-1], ys[0], ys[-1])

    def _recompute(self) -> None:
        """Throttled work from the newest snapshot."""
        ds = self.ds
        if ds is None:
            return
        self._load_weights()
        if ds.kind == "2d":
            if self._neuron is None and (self._snap is None or
                                         self._grid_output(self._snap) is None):
                self._draw_plane()
        elif ds.kind == "tabular":
            self._draw_slice()
        else:
            self._update_digit()
        if ds.task == "classification":
            self._update_confusion()
        else:
            self._update_pva()
        self._update_title()

    def _redraw_all(self) -> None:
        if self.ds is None:
            return
        self._set_points()
        if self.ds.kind == "2d":
            self._draw_plane()
        self._recompute()

    def _update_confusion(self) -> None:
        ds = self.ds
        pred = self._predict(ds.X_test)
        if pred is None:
            return
        labels = (pred[:, 0] > 0.5).astype(np.int64) if pred.shape[1] == 1 else \
            np.argmax(pred, axis=1)
        k = max(ds.n_classes, 2)
        self.counts = confusion_counts(ds.y_test, labels, k)
        self.confusion.set_counts(self.counts)
        acc = np.trace(self.counts) / max(self.counts.sum(), 1)
        wrong_count = int(self.counts.sum() - np.trace(self.counts))
        self.secondary_title.setText(f"Confusion matrix (test set): {100 * acc:.1f}% correct, "
                                     f"{wrong_count} mistake{'' if wrong_count == 1 else 's'}")
        if ds.kind == "image":
            wrong = np.flatnonzero(labels != ds.y_test)
            self.gallery.set_images(wrong, self._raw(ds.X_test[wrong]), ds.y_test[wrong],
                                    labels[wrong], ds.class_names, shape=ds.image_shape,
                                    levels=IMAGE_LEVELS)
            self.gallery_title.setText(f"Misclassified test images ({len(wrong)})")

    def _update_pva(self) -> None:
        ds = self.ds
        pal = _palette.current_palette()
        p_train = self._predict(ds.X_train)
        p_test = self._predict(ds.X_test)
        if p_train is None or p_test is None:
            return
        self.pva_train.setData(ds.Y_train[:, 0], p_train[:, 0],
                               brush=pg.mkBrush(*pal.neutral.darker(140).getRgb()[:3], 160),
                               data=np.arange(ds.n_train))
        self.pva_test.setData(ds.Y_test[:, 0], p_test[:, 0], brush=pg.mkBrush(pal.positive),
                              data=np.arange(ds.n_test))
        vals = np.concatenate([ds.Y_train[:, 0], ds.Y_test[:, 0]])
        lo, hi = float(vals.min()), float(vals.max())
        self.pva_line.setData([lo, hi], [lo, hi])
        self.pva_test.setVisible(self.show_test)

    def _update_digit(self) -> None:
        """The image inspector: the learner's drawing or the selected image, the network's
        probabilities for it and, for a dataset image, its true class."""
        ds = self.ds
        if ds is None or ds.kind != "image":
            return
        shape = ds.image_shape
        if self.drawn is not None:
            pred = self._predict(self.drawn[None, :])
            if pred is None:
                self.digit_image.set_image(self.drawn, "Your drawing", shape, IMAGE_LEVELS)
                self.prob_bars.set_values(ds.class_names, None)
                return
            best = int(np.argmax(pred[0]))
            self.digit_image.set_image(
                self.drawn, f"Your drawing: predicted {ds.class_names[best]} "
                f"({100 * pred[0, best]:.0f}%)", shape, IMAGE_LEVELS)
            self.prob_bars.set_values(ds.class_names, pred[0], None)
            return
        if self.selected is None:
            return
        split, idx = self.selected
        X = ds.X_train if split == "train" else ds.X_test
        y = ds.y_train if split == "train" else ds.y_test
        if not (0 <= idx < len(X)):
            return
        pred = self._predict(X[idx:idx + 1])
        true = int(y[idx])
        if pred is None:
            self.digit_image.set_image(self._raw(X[idx]), f"{split} image {idx}: {true}", shape,
                                       IMAGE_LEVELS)
            self.prob_bars.set_values(ds.class_names, None)
            return
        probs = pred[0]
        best = int(np.argmax(probs))
        verdict = "correct" if best == true else "wrong"
        self.digit_image.set_image(
            self._raw(X[idx]),
            f"{split.capitalize()} image {idx}: true {ds.class_names[true]}, "
            f"predicted {ds.class_names[best]} ({verdict})", shape, IMAGE_LEVELS)
        self.prob_bars.set_values(ds.class_names, probs, true)

    def set_past_label(self, label: str | None) -> None:
        """The timeline shows an earlier moment (e.g. "Epoch 2 (timeline)"): the title says
        so; None returns to the present."""
        self.past_label = label
        self._update_title()

    def _update_title(self) -> None:
        ds = self.ds
        if ds is None:
            self.title.setText("Output")
            return
        if self._neuron is not None and ds.kind == "2d":
            self.title.setText(f"<b>Neuron {self._neuron[1]}</b> — its activation over the "
                               "plane (move away to see the output again)")
            return
        if ds.kind == "2d":
            what = "Decision boundary" if ds.task == "classification" else "Prediction surface"
        elif ds.kind == "tabular":
            what = ("Slice through the data" if ds.n_features > 1 else "Prediction curve")
        else:
            what = ("Your drawing and the network's answer" if self.drawn is not None
                    else "Selected image and the network's answer")
        snap = self._snap
        metric = ""
        if snap is not None and getattr(snap, "test_metric", None) is not None:
            m = snap.test_metric
            if np.isfinite(m):
                metric = (f" — test accuracy {100 * m:.1f}%" if snap.metric_name == "accuracy"
                          else f" — test R² {format_number(m)}")
        extra = ""
        if ds.kind == "tabular" and ds.n_features > 2:
            extra = "<br><small>other features held at their training mean</small>"
        past = getattr(self, "past_label", None)
        when = f" \u2014 showing {past}" if past else ""
        self.title.setText(f"<b>{what}</b>{when}{metric}{extra}")
