"""The output panel: decision boundary / prediction surface with the data, plus the confusion
matrix, predicted-vs-actual plot, or, for every image dataset (digits, strokes, shapes, image
folders), the image inspector: the selected image (or the learner's drawing,
:meth:`OutputView.set_drawn_example`) with its class probabilities, a "Draw Your Own…"
button (:attr:`OutputView.draw_requested`), the confusion matrix and a gallery of mistakes.

Layout: the title, the main plot (it takes every spare pixel), the show-test/discretise
toggles, then the details: the confusion matrix or predicted-vs-actual plot (and, for
images, the gallery of mistakes). The details fold away behind their title (a toggle) when
the panel is shorter than :data:`DETAILS_MIN_HEIGHT`, so the plot never shrinks to a strip;
the title keeps showing the summary (accuracy, mistakes), and one click unfolds them.

Cheap drawing (the 2-D boundary from ``snap.grid``) happens on every snapshot; expensive
recomputation (confusion matrix, tabular slices, predictions on the test set) is throttled to
~5 Hz and always uses the newest snapshot. Nothing is drawn from non-finite numbers.

Run ``python -m neuroviz.app.output.view [dataset]`` to see it with live training.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app import palette as _palette
from neuroviz.app.network.heatmaps import plane_grid  # noqa: F401 (re-exported for callers)
from neuroviz.app.output.drawing import RECOMPUTE_MS, OutputDrawingMixin
from neuroviz.app.output.panels import (
    ClassKey,
    ConfusionMatrixWidget,
    ImageExampleWidget,
    MisclassifiedGallery,
    ProbabilityBars,
)

__all__ = ["DETAILS_MIN_HEIGHT", "RECOMPUTE_MS", "OutputView"]

#: Panel height (logical pixels) from which the details (confusion matrix...) unfold by
#: themselves; below it they fold away so the main plot keeps its size.
DETAILS_MIN_HEIGHT = 600



class SmoothImageItem(pg.ImageItem):
    """An image drawn with bilinear interpolation between its samples (a smooth decision
    boundary from a 100 x 100 grid) unless ``smooth`` is off (discretised output)."""

    smooth = True

    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth)
        super().paint(painter, *args)


class OutputView(OutputDrawingMixin, QWidget):
    """Output panel (see /work/notes/api.md). The show-test and discretise check boxes live
    inside the panel (objectNames "output_show_test", "output_discretize"); the setters keep
    them in sync, ``set_controls_visible(False)`` hides them if the window has its own."""

    example_selected = Signal(str, int)
    draw_requested = Signal()  # the "Draw Your Own…" button under an image
    show_test_toggled = Signal(bool)
    discretize_toggled = Signal(bool)
    slice_axes_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("output_view")
        self.ds = None
        self.spec = None
        self._net = None
        self._snap = None
        self._weights_ok = False
        self.show_test = True
        self.discretize = False
        self.slice_axes = (0, 1)
        self.selected: tuple[str, int] | None = None
        #: The learner's drawing (ink, flattened) shown instead of ``selected``; None: none.
        self.drawn: np.ndarray | None = None
        self._neuron = None  # (image, title) while a neuron is hovered
        self._boundary = None  # last finite output values drawn (for tests/debug)
        self.counts: np.ndarray | None = None
        self.scale = 1.0
        self._controls_visible = True

        self.title = QLabel("Output")
        self.title.setObjectName("output_title")
        self.title.setWordWrap(True)
        self.title.setToolTip("What the network predicts, with the data it learns from")

        # slice axis pickers (tabular)
        self.slice_x = QComboBox()
        self.slice_x.setObjectName("slice_x")
        self.slice_x.setToolTip("Feature on the horizontal axis; the features not shown are "
                                "held at their training mean")
        self.slice_y = QComboBox()
        self.slice_y.setObjectName("slice_y")
        self.slice_y.setToolTip("Feature on the vertical axis; the features not shown are "
                                "held at their training mean")
        self.slice_row = QWidget()
        row = QHBoxLayout(self.slice_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("x:"))
        row.addWidget(self.slice_x, 1)
        row.addWidget(QLabel("y:"))
        row.addWidget(self.slice_y, 1)
        self.slice_x.currentIndexChanged.connect(lambda i: self._on_slice_combo(0, i))
        self.slice_y.currentIndexChanged.connect(lambda i: self._on_slice_combo(1, i))

        # main plot
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("output_plot")
        self.plot.setToolTip("Click a point to select that example")
        pi = self.plot.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        self.plot.setMouseEnabled(False, False)
        self.image = SmoothImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.curve = pg.PlotDataItem(pen=pg.mkPen("#333333", width=2))
        self.plot.addItem(self.curve)
        self.train_points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#ffffff", width=1))
        self.test_points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#000000", width=1.5))
        self.marker = pg.ScatterPlotItem(size=18, pen=pg.mkPen("#111111", width=2.5),
                                         brush=pg.mkBrush(0, 0, 0, 0))
        for item in (self.train_points, self.test_points, self.marker):
            self.plot.addItem(item)
        self.train_points.sigClicked.connect(lambda _i, pts, _e: self._clicked("train", pts))
        self.test_points.sigClicked.connect(lambda _i, pts, _e: self._clicked("test", pts))

        # image inspector (every image dataset): the selected image or the learner's
        # drawing, its class probabilities, and a button to draw one's own
        self.digit_image = ImageExampleWidget()
        self.prob_bars = ProbabilityBars()
        self.draw_button = QPushButton("Draw Your Own\u2026")
        self.draw_button.setObjectName("output_draw")
        self.draw_button.setToolTip("Draw an image with the mouse and watch the network's "
                                    "answer change as you draw (Data \u203a Draw an Example)")
        self.draw_button.clicked.connect(self.draw_requested)
        self._draw_available = False
        self.draw_button.setVisible(False)
        self.digits_row = QWidget()
        drow = QHBoxLayout(self.digits_row)
        drow.setContentsMargins(0, 0, 0, 0)
        image_column = QVBoxLayout()
        image_column.setContentsMargins(0, 0, 0, 0)
        image_column.addWidget(self.digit_image, 1)
        image_column.addWidget(self.draw_button, 0, Qt.AlignmentFlag.AlignHCenter)
        drow.addLayout(image_column, 2)
        drow.addWidget(self.prob_bars, 3)
        self.main_stack = QStackedWidget()
        self.main_stack.addWidget(self.plot)
        self.main_stack.addWidget(self.digits_row)

        # toggles
        self.show_test_box = QCheckBox("Show test data")
        self.show_test_box.setObjectName("output_show_test")
        self.show_test_box.setToolTip("Also draw the test examples (black outline); the network "
                                      "never trains on them")
        self.show_test_box.setChecked(True)
        self.discretize_box = QCheckBox("Discretise output")
        self.discretize_box.setObjectName("output_discretize")
        self.discretize_box.setToolTip("Show only the predicted class (or the sign of the "
                                       "prediction) instead of a smooth confidence shading")
        self.show_test_box.toggled.connect(self._on_show_test_box)
        self.discretize_box.toggled.connect(self._on_discretize_box)
        self.toggles = QWidget()
        trow = QHBoxLayout(self.toggles)
        trow.setContentsMargins(0, 0, 0, 0)
        trow.addWidget(self.show_test_box)
        trow.addWidget(self.discretize_box)
        trow.addStretch(1)

        # secondary: confusion matrix or predicted vs actual
        self.secondary_title = QLabel()
        self.secondary_title.setObjectName("output_secondary_title")
        self.secondary_title.setWordWrap(True)
        self.details_button = QToolButton()
        self.details_button.setObjectName("output_details")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolTip("Show or hide the details under the plot (confusion "
                                       "matrix, predicted vs actual, mistakes)")
        self.details_button.toggled.connect(self._on_details_button)
        self._details_choice: bool | None = None  # the learner's own choice (None: by size)
        self._details_forced: bool | None = None  # presenter mode
        self.details_row = QWidget()
        details_row = QHBoxLayout(self.details_row)
        details_row.setContentsMargins(0, 0, 0, 0)
        details_row.setSpacing(2)
        details_row.addWidget(self.details_button)
        details_row.addWidget(self.secondary_title, 1)
        self.confusion = ConfusionMatrixWidget()
        self.pva = pg.PlotWidget()
        self.pva.setObjectName("pred_vs_actual")
        self.pva.setToolTip("Each test example: the network's prediction against the true value."
                            " Points on the diagonal line are predicted exactly.")
        self.pva.getPlotItem().setMenuEnabled(False)
        self.pva.getPlotItem().hideButtons()
        self.pva.setMouseEnabled(False, False)
        self.pva.setLabel("bottom", "actual")
        self.pva.setLabel("left", "predicted")
        self.pva_line = pg.PlotDataItem(pen=pg.mkPen("#777777", width=1.5, style=Qt.DashLine))
        self.pva_train = pg.ScatterPlotItem(size=5, pen=None)
        self.pva_test = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#000000", width=1))
        for item in (self.pva_line, self.pva_train, self.pva_test):
            self.pva.addItem(item)
        self.pva_test.sigClicked.connect(lambda _i, pts, _e: self._clicked("test", pts))
        self.pva_train.sigClicked.connect(lambda _i, pts, _e: self._clicked("train", pts))
        self.secondary = QStackedWidget()
        self.secondary.addWidget(self.confusion)
        self.secondary.addWidget(self.pva)
        self.gallery_title = QLabel("Misclassified test images")
        self.gallery_title.setObjectName("gallery_title")
        self.gallery = MisclassifiedGallery()
        self.gallery.image_clicked.connect(lambda r: self._select("test", r, emit=True))

        lay = QVBoxLayout(self)
        # The minimum size comes from minimumSizeHint (below), not fixed by the layout: details
        # that unfolded by themselves never hold the window's size up (they fold when short).
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)  # every pixel of height goes to the plot on a small screen
        lay.addWidget(self.title)
        self.class_key = ClassKey()  # classification: the colour and name of each class
        lay.addWidget(self.class_key)
        lay.addWidget(self.slice_row)
        lay.addWidget(self.main_stack, 5)
        lay.addWidget(self.toggles)
        lay.addWidget(self.details_row)
        lay.addWidget(self.secondary, 3)
        lay.addWidget(self.gallery_title)
        lay.addWidget(self.gallery, 2)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_MS)
        self._timer.timeout.connect(self._recompute)
        # A bound method (not a lambda): Qt drops the connection when this view is destroyed.
        _palette.notifier.palette_changed.connect(self._on_palette_changed)
        self._apply_theme()
        self._configure_widgets()

    # -- public API --------------------------------------------------------------------
    def set_dataset(self, ds, spec) -> None:
        """New dataset and network spec: rebuild the private network and all static plot data."""
        from neuroviz.engine import Network

        self.ds, self.spec = ds, spec
        self._net = Network.from_spec(spec, seed=0)
        self._snap = None
        self._weights_ok = False
        self._neuron = None
        self._boundary = None
        self.counts = None
        self.selected = ("test", 0) if ds.kind == "image" else None
        self.drawn = None
        if ds.kind == "tabular":
            self.slice_axes = (0, 1 if ds.n_features > 1 else 0)
        self._fill_slice_combos()
        self._configure_widgets()
        self._set_points()
        self._redraw_all()

    def set_snapshot(self, snap) -> None:
        """Draw from the newest snapshot; expensive parts are throttled (see :meth:`flush`)."""
        if self.ds is None:
            return
        self._snap = snap
        if self.ds.kind == "2d" and self._neuron is None and self._grid_output(snap) is not None:
            self._draw_plane()
        if not self._timer.isActive() and self.isVisible():
            self._timer.start()

    def flush(self) -> None:
        """Do any pending throttled recomputation now (tests, screenshots, export)."""
        self._timer.stop()
        self._recompute()

    def hideEvent(self, event) -> None:  # noqa: N802
        """A hidden panel does no throttled work (and leaves no timer running)."""
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._snap is not None:
            self._timer.start()

    def changeEvent(self, event) -> None:  # noqa: N802
        """Follow light/dark theme switches (the plots are pyqtgraph, not styled by Qt)."""
        if event.type() == QEvent.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    def _on_palette_changed(self, _name: str) -> None:
        self._set_points()
        self._redraw_all()
        self.confusion.update()
        self.prob_bars.update()

    def set_show_test(self, on: bool) -> None:
        self.show_test = bool(on)
        self.show_test_box.blockSignals(True)
        self.show_test_box.setChecked(self.show_test)
        self.show_test_box.blockSignals(False)
        self._set_points()

    def set_discretize(self, on: bool) -> None:
        self.discretize = bool(on)
        self.image.smooth = not self.discretize  # sharp class regions
        self.discretize_box.blockSignals(True)
        self.discretize_box.setChecked(self.discretize)
        self.discretize_box.blockSignals(False)
        self._redraw_all()

    def set_slice_axes(self, i: int, j: int) -> None:
        """Tabular data: features on the x and y axes (others held at their training mean)."""
        if self.ds is None or self.ds.kind != "tabular":
            self.slice_axes = (int(i), int(j))
            return
        n = self.ds.n_features
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"slice axes must be feature indices 0..{n - 1}")
        self.slice_axes = (int(i), int(j))
        for combo, v in ((self.slice_x, i), (self.slice_y, j)):
            combo.blockSignals(True)
            combo.setCurrentIndex(v)
            combo.blockSignals(False)
        self._set_points()
        self._redraw_all()
        self.slice_axes_changed.emit(*self.slice_axes)

    def set_examples_visible(self, on: bool) -> None:
        """Show or hide the example points and the selection marker (drawing your own data
        shows the points in its own layer)."""
        for item in (self.train_points, self.test_points, self.marker):
            item.setVisible(bool(on))

    def set_selected_example(self, split: str | None, index: int = 0) -> None:
        """Mark an example (point, or the digit shown) without emitting example_selected."""
        self._select(split, index, emit=False)

    def set_draw_available(self, on: bool) -> None:
        """Show the "Draw Your Own…" button under images (when something answers
        :attr:`draw_requested`: the window's sketch pad)."""
        self._draw_available = bool(on)
        self.draw_button.setVisible(self._draw_available)

    def set_drawn_example(self, x: np.ndarray | None) -> None:
        """Show the learner's drawing (an image's ink, flattened like the dataset's rows)
        with the network's answer for it, in place of the selected image; None goes back to
        the selected image. Selecting an example (the gallery) also ends showing it."""
        if x is None or self.ds is None or self.ds.kind != "image":
            self.drawn = None
        else:
            x = np.asarray(x, dtype=np.float64).reshape(-1)
            if x.size != self.ds.n_features:
                raise ValueError(f"a drawing of {self.ds.title} has {self.ds.n_features} "
                                 f"values, got {x.size}")
            self.drawn = x.copy()
            if not self._weights_ok:
                self._load_weights()  # answer at once, not at the next throttled update
        if self.ds is not None and self.ds.kind == "image":
            self._update_digit()
            self._update_title()

    def set_scale(self, factor: float) -> None:
        """Scale text, points and markers (presenter mode). 1.0 = normal (10 pt)."""
        s = float(min(max(factor, 0.5), 4.0))
        self.scale = s
        font = QFont(self.font())
        font.setPointSizeF(10.0 * s)
        self.setFont(font)  # propagates to labels, combos, check boxes and the painted panels
        for w in (self.plot, self.pva):
            for ax in ("left", "bottom"):
                axis = w.getPlotItem().getAxis(ax)
                axis.setStyle(tickFont=font)
                axis.label.setFont(font)
        self.train_points.setSize(8 * s)
        self.test_points.setSize(8 * s)
        self.marker.setSize(18 * s)
        self.pva_test.setSize(6 * s)
        self.pva_train.setSize(5 * s)
        self.confusion.scale = s
        self.confusion.updateGeometry()
        self._fit_secondary()
        self.gallery.setIconSize(QSize(int(40 * s), int(40 * s)))

    # -- details (confusion matrix, predicted vs actual, gallery) ---------------------------
    def details_shown(self) -> bool:
        """Whether the details under the plot are unfolded now."""
        if self._details_forced is not None:
            return self._details_forced
        if self._details_choice is not None:
            return self._details_choice
        return self.height() >= DETAILS_MIN_HEIGHT * max(self.scale, 1.0) ** 0.5

    def set_details_shown(self, on: bool | None) -> None:
        """Unfold (True) or fold (False) the details; None: by the panel's height."""
        self._details_choice = None if on is None else bool(on)
        self._apply_details()

    def force_details(self, on: bool | None) -> None:
        """Presenter mode: fold the details whatever the learner chose (None releases)."""
        self._details_forced = None if on is None else bool(on)
        self._apply_details()

    def _on_details_button(self, on: bool) -> None:
        if on != self.details_shown():
            self._details_choice = bool(on)
            self._apply_details()

    def _apply_details(self) -> None:
        on = self.details_shown()
        image = self.ds is not None and self.ds.kind == "image"
        self.secondary.setVisible(on)
        self.gallery.setVisible(on and image)
        self.gallery_title.setVisible(on and image)
        self.details_row.setVisible(self._details_forced is not False)
        self.details_button.blockSignals(True)
        self.details_button.setChecked(on)
        self.details_button.blockSignals(False)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if on
                                         else Qt.ArrowType.RightArrow)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        if self._details_forced is None and self._details_choice is None:
            folding = [w for w in (self.secondary, self.gallery, self.gallery_title)
                       if w.isVisibleTo(self)]
            spacing = max(self.layout().spacing(), 0)
            drop = sum(w.minimumSizeHint().height() + spacing for w in folding)
            hint.setHeight(max(hint.height() - drop, 0))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.details_shown() != self.secondary.isVisibleTo(self):
            self._apply_details()

    def set_axis_titles_shown(self, on: bool) -> None:
        """Show or hide the main plot's axis titles (x1, x2): presenter mode at large sizes
        gives their height to the plot (the tick numbers stay)."""
        pi = self.plot.getPlotItem()
        for ax in ("left", "bottom"):
            pi.getAxis(ax).showLabel(bool(on))

    def set_controls_visible(self, on: bool) -> None:
        """Hide the panel's own show-test/discretise boxes when the window provides them."""
        self._controls_visible = bool(on)
        self._configure_widgets()

    def show_neuron_image(self, image_or_none, title: str = "") -> None:
        """Show a hovered neuron's (N, N) heatmap large on the plane (2-D data); None restores."""
        if image_or_none is None:
            self._neuron = None
        else:
            img = np.asarray(image_or_none, dtype=np.float64)
            if img.ndim != 2 or not np.isfinite(img).all():
                return
            self._neuron = (img, title)
        self._update_title()
        if self.ds is not None and self.ds.kind == "2d":
            self._draw_plane()

    # -- configuration -----------------------------------------------------------------
    def _apply_theme(self) -> None:
        bg = self.palette().base().color()
        fg = self.palette().text().color()
        for w in (self.plot, self.pva):
            w.setBackground(bg)
            for ax in ("left", "bottom"):
                w.getPlotItem().getAxis(ax).setTextPen(fg)
                w.getPlotItem().getAxis(ax).setPen(fg)

    def _configure_widgets(self) -> None:
        ds = self.ds
        kind = ds.kind if ds is not None else "2d"
        task = ds.task if ds is not None else "classification"
        self.slice_row.setVisible(kind == "tabular" and ds.n_features > 1)
        self.main_stack.setCurrentWidget(self.digits_row if kind == "image" else self.plot)
        self.toggles.setVisible(self._controls_visible and kind != "image")
        self._apply_details()
        self.secondary.setCurrentWidget(self.confusion if task == "classification" else self.pva)
        self.secondary_title.setText("Confusion matrix (test set)" if task == "classification"
                                     else "Predicted vs actual")
        if ds is not None and task == "classification":
            self.confusion.set_classes(ds.class_names)
        self.class_key.set_classes(ds.class_names if ds is not None and
                                   task == "classification" else [])
        self._fit_secondary()
        pi = self.plot.getPlotItem()
        pi.setAspectLocked(kind == "2d")
        if ds is None:
            return
        if kind == "2d":
            lo, hi = ds.extent
            pi.setLabel("bottom", "x1")
            pi.setLabel("left", "x2")
            pi.setRange(xRange=(lo, hi), yRange=(lo, hi), padding=0)
        elif kind == "tabular":
            i, j = self.slice_axes
            pi.setLabel("bottom", ds.feature_names[i])
            pi.setLabel("left", ds.feature_names[j] if ds.n_features > 1 else
                        (ds.target_name if task == "regression" else "P(class)"))
        if task == "regression":
            self.pva.setLabel("bottom", f"actual {ds.target_name}".strip())
            self.pva.setLabel("left", "predicted")
        self.curve.setVisible(kind == "tabular" and ds.n_features == 1)
        self.image.setVisible(not (kind == "tabular" and ds.n_features == 1))
        self._update_title()

    def _fit_secondary(self) -> None:
        """The confusion matrix takes only the height it needs; the plot gets the rest."""
        if self.secondary.currentWidget() is self.confusion:
            self.secondary.setMaximumHeight(self.confusion.sizeHint().height() + 4)
        else:
            self.secondary.setMaximumHeight(16777215)

    def _fill_slice_combos(self) -> None:
        ds = self.ds
        for combo, v in ((self.slice_x, self.slice_axes[0]), (self.slice_y, self.slice_axes[1])):
            combo.blockSignals(True)
            combo.clear()
            if ds is not None and ds.kind == "tabular":
                combo.addItems(list(ds.feature_names))
                combo.setCurrentIndex(v)
            combo.blockSignals(False)

    def _on_slice_combo(self, which: int, index: int) -> None:
        if index < 0 or self.ds is None:
            return
        i, j = self.slice_axes
        if which == 0:
            i, j = index, (i if index == j else j)  # picking the other axis swaps them
        else:
            i, j = (j if index == i else i), index
        self.set_slice_axes(i, j)

    def _on_show_test_box(self, on: bool) -> None:
        self.set_show_test(on)
        self.show_test_toggled.emit(on)

    def _on_discretize_box(self, on: bool) -> None:
        self.set_discretize(on)
        self.discretize_toggled.emit(on)

    # -- coordinates and colours -------------------------------------------------------
    def _raw(self, X: np.ndarray) -> np.ndarray:
        ds = self.ds
        if ds.feature_std is None or ds.feature_mean is None:
            return X
        return X * ds.feature_std + ds.feature_mean

    def _coords(self, split: str) -> np.ndarray | None:
        """(n, 2) plot coordinates of the examples of ``split``."""
        ds = self.ds
        if ds.kind == "2d":
            return ds.points_train if split == "train" else ds.points_test
        if ds.kind != "tabular":
            return None
        X = ds.X_train if split == "train" else ds.X_test
        raw = self._raw(X)
        i, j = self.slice_axes
        if ds.n_features == 1:
            y = (ds.Y_train if split == "train" else ds.Y_test)[:, 0]
            return np.column_stack([raw[:, 0], y])
        return np.column_stack([raw[:, i], raw[:, j]])

    def _value_scale(self) -> tuple[float, float]:
        """(centre, half-width) for regression targets."""
        y = np.concatenate([self.ds.Y_train[:, 0], self.ds.Y_test[:, 0]])
        lo, hi = float(y.min()), float(y.max())
        if self.ds.kind == "2d":  # the plane sets are centred on zero: keep zero neutral
            m = max(abs(lo), abs(hi), 1e-9)
            return 0.0, m
        return (lo + hi) / 2, max((hi - lo) / 2, 1e-9)

    def _point_brushes(self, split: str) -> list:
        ds = self.ds
        pal = _palette.current_palette()
        if ds.task == "classification":
            y = ds.y_train if split == "train" else ds.y_test
            cols = pal.class_rgb(max(ds.n_classes, 2))
            brushes = [pg.mkBrush(*c) for c in cols]
            return [brushes[int(k)] for k in y]
        Y = (ds.Y_train if split == "train" else ds.Y_test)[:, 0]
        c, h = self._value_scale()
        idx = _palette.value_to_index((Y - c) / h)
        lut = pal.lut()
        return [pg.mkBrush(*lut[i, :3]) for i in idx]

    def _set_points(self) -> None:
        ds = self.ds
        if ds is None or ds.kind == "image":
            self.train_points.setData([], [])
            self.test_points.setData([], [])
            self._update_marker()
            return
        for split, item in (("train", self.train_points), ("test", self.test_points)):
            xy = self._coords(split)
            visible = split == "train" or self.show_test
            if xy is None or not visible:
                item.setData([], [])
                continue
            item.setData(x=xy[:, 0], y=xy[:, 1], brush=self._point_brushes(split),
                         data=np.arange(len(xy)))
        if ds.kind == "tabular":
            pts = np.vstack([self._coords("train"), self._coords("test")])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = (hi - lo) * 0.05 + 1e-9
            self._slice_box = (lo - pad, hi + pad)
            self.plot.getPlotItem().setRange(xRange=(lo[0] - pad[0], hi[0] + pad[0]),
                                             yRange=(lo[1] - pad[1], hi[1] + pad[1]), padding=0)
            i, j = self.slice_axes
            self.plot.getPlotItem().setLabel("bottom", ds.feature_names[i])
            if ds.n_features > 1:
                self.plot.getPlotItem().setLabel("left", ds.feature_names[j])
        self._update_marker()

    # -- selection ---------------------------------------------------------------------
    def _clicked(self, split: str, pts) -> None:
        if len(pts) == 0:
            return
        idx = pts[0].data()
        idx = int(idx) if idx is not None else int(pts[0].index())
        self._select(split, idx, emit=True)

    def _select(self, split, index: int, emit: bool) -> None:
        self.selected = None if split is None else (str(split), int(index))
        self.drawn = None
        self._update_marker()
        if self.ds is not None and self.ds.kind == "image":
            self._update_digit()
        if emit and self.selected is not None:
            self.example_selected.emit(*self.selected)

    def _update_marker(self) -> None:
        if self.ds is None or self.selected is None or self.ds.kind == "image":
            self.marker.setData([], [])
            return
        split, idx = self.selected
        xy = self._coords(split)
        if xy is None or not (0 <= idx < len(xy)):
            self.marker.setData([], [])
            return
        self.marker.setData([xy[idx, 0]], [xy[idx, 1]])
