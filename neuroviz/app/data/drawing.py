"""Drawing your own data on the 2-D plane (File › Draw Data).

:class:`DrawingController` owns the drawn points (plane coordinates and a class or value
each) and a toolbar: a brush per class (for regression, a brush with a value), an eraser,
Clear and Done. While drawing, a press on the output plot adds a point (dragging paints a
line of points), a press on a point picks it up and drags it, and the eraser removes the
points under it. The points become a ``"drawn"`` dataset kept inside the experiment
(:func:`neuroviz.data.embedded.points_payload`); every change goes to the window's
:meth:`set_data_live`, so a running training goes on with its weights and the boundary
reacts while a point is dragged.

The controller draws its points in its own scatter item on the plot, and asks the output
view to hide its example points while drawing (they would show the same points).
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QToolBar

from neuroviz.app import palette as palettes
from neuroviz.data import EXTENT, DatasetError
from neuroviz.data.embedded import DATASET_NAMES, load_embedded, point_parts, points_payload
from neuroviz.data.toy2d import BINARY_CLASS_NAMES

__all__ = ["DrawingController"]

MAX_POINTS = 5000
PICK_RADIUS = 0.35  # plane units: a press this close to a point picks it up
ERASE_RADIUS = 0.7
PAINT_SPACING = 0.45  # dragging the brush adds a point every this far
PUSH_MS = 30  # at most ~30 data updates a second while dragging


class DrawingController(QObject):
    """Drawn points, the drawing toolbar and the mouse on the output plot (see module)."""

    drawing_toggled = Signal(bool)
    points_changed = Signal(int)

    def __init__(self, window, plot: pg.PlotWidget, show_examples) -> None:
        super().__init__(window)
        self.window = window
        self.plot = plot
        self._show_examples = show_examples
        self.active = False
        self.push_allowed = True
        self.task = "classification"
        self.class_names: list[str] = list(BINARY_CLASS_NAMES)
        self.points = np.zeros((0, 2))
        self.values = np.zeros(0)
        self.tool = "brush"
        self.brush_class = 1
        self._drag: int | None = None  # index of the point being dragged
        self._last_paint: np.ndarray | None = None
        self._push_timer = QTimer(self)
        self._push_timer.setSingleShot(True)
        self._push_timer.setInterval(PUSH_MS)
        self._push_timer.timeout.connect(self.push)
        self.overlay = pg.ScatterPlotItem(size=9)
        self.overlay.setZValue(20)
        self.overlay.setVisible(False)
        plot.addItem(self.overlay)
        self.toolbar = self._build_toolbar(window)
        self.toolbar.setVisible(False)
        palettes.notifier.palette_changed.connect(self._palette_changed)

    # ------------------------------------------------------------------ toolbar
    def _build_toolbar(self, window) -> QToolBar:
        bar = QToolBar("Drawing", window)
        bar.setObjectName("drawing_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addWidget(QLabel(" Draw: "))
        self.task_box = QComboBox(bar)
        self.task_box.setObjectName("draw_task")
        self.task_box.addItem("Classes", "classification")
        self.task_box.addItem("Values", "regression")
        self.task_box.setToolTip("Draw points of two classes (classification) or points with "
                                 "a value (regression)")
        self.task_box.currentIndexChanged.connect(
            lambda _i: self.set_task(self.task_box.currentData()))
        bar.addWidget(self.task_box)
        self._tools = QActionGroup(bar)
        self._tools.setExclusive(True)
        self.brush_actions: list[QAction] = []
        for k in range(2):
            action = QAction(bar)
            action.setObjectName(f"draw_brush_{k}")
            action.setCheckable(True)
            action.triggered.connect(functools.partial(self.set_brush, k))
            self._tools.addAction(action)
            bar.addAction(action)
            self.brush_actions.append(action)
        self.value_action = QAction("Value brush", bar)
        self.value_action.setObjectName("draw_brush_value")
        self.value_action.setCheckable(True)
        self.value_action.setToolTip("Add points with the value on the right")
        self.value_action.triggered.connect(lambda: self.set_tool("brush"))
        self._tools.addAction(self.value_action)
        bar.addAction(self.value_action)
        self.value_box = QDoubleSpinBox(bar)
        self.value_box.setObjectName("draw_value")
        self.value_box.setRange(-1.0, 1.0)
        self.value_box.setSingleStep(0.25)
        self.value_box.setValue(1.0)
        self.value_box.setToolTip("The target value of the points the brush adds (-1 to 1)")
        self._value_widget = bar.addWidget(self.value_box)
        self.eraser_action = QAction("Eraser", bar)
        self.eraser_action.setObjectName("draw_eraser")
        self.eraser_action.setCheckable(True)
        self.eraser_action.setToolTip("Remove the points under the mouse")
        self.eraser_action.triggered.connect(lambda: self.set_tool("eraser"))
        self._tools.addAction(self.eraser_action)
        bar.addAction(self.eraser_action)
        bar.addSeparator()
        self.clear_action = bar.addAction("Clear", self.clear)
        self.clear_action.setObjectName("draw_clear")
        self.clear_action.setToolTip("Remove every drawn point")
        self.done_action = bar.addAction("Done", self.stop)
        self.done_action.setObjectName("draw_done")
        self.done_action.setToolTip("Stop drawing (the drawn data stays)")
        self.count_label = QLabel(bar)
        self.count_label.setObjectName("draw_count")
        bar.addWidget(self.count_label)
        self._refresh_toolbar()
        return bar

    def _refresh_toolbar(self) -> None:
        classify = self.task == "classification"
        names = palettes.display_class_names(self.class_names)
        colours = palettes.current_palette().class_rgb(max(len(self.class_names), 2))
        for k, action in enumerate(self.brush_actions):
            r, g, b = (int(v) for v in colours[k])
            pix = QPixmap(14, 14)
            pix.fill(QColor(r, g, b))
            action.setIcon(QIcon(pix))
            action.setText(f"{names[k]} brush")
            action.setToolTip(f"Add points of the class {names[k]}; press a point to drag it")
            action.setVisible(classify)
        self.value_action.setVisible(not classify)
        self._value_widget.setVisible(not classify)
        if self.tool == "eraser":
            self.eraser_action.setChecked(True)
        elif classify:
            self.brush_actions[self.brush_class].setChecked(True)
        else:
            self.value_action.setChecked(True)
        self.count_label.setText(f"  {len(self.points)} points")

    def _palette_changed(self, _name: str = "") -> None:
        self._refresh_toolbar()
        self._draw_overlay()

    # ------------------------------------------------------------------ public
    def start(self) -> None:
        """Start drawing, from the points of the current 2-D data (or two starting points
        per class when the data is not on the plane)."""
        if self.active:
            return
        ds = self.window.dataset
        if ds is not None and ds.kind == "2d" and (ds.task == "regression" or ds.n_classes == 2):
            part = np.concatenate([np.ones(ds.n_train, bool), np.zeros(ds.n_test, bool)])
            pts = np.vstack([ds.points_train, ds.points_test])
            if ds.task == "classification":
                vals = np.concatenate([ds.y_train, ds.y_test]).astype(np.float64)
            else:
                vals = np.concatenate([ds.Y_train[:, 0], ds.Y_test[:, 0]])
            if ds.name == DATASET_NAMES["points"]:
                order = self._drawn_order(len(pts), part)
                pts, vals = pts[order], vals[order]
            self.task = ds.task
            self.class_names = list(ds.class_names) or list(BINARY_CLASS_NAMES)
            self.points, self.values = pts[:MAX_POINTS].copy(), vals[:MAX_POINTS].copy()
        else:
            self.task = "classification" if ds is None else ds.task
            self.class_names = list(BINARY_CLASS_NAMES)
            self.points = np.array([[-3.0, -3.0], [-2.0, -3.5], [3.0, 3.0], [3.5, 2.0]])
            self.values = np.array([0.0, 0.0, 1.0, 1.0]) if self.task == "classification" \
                else np.array([-1.0, -1.0, 1.0, 1.0])
        self.active = True
        self.task_box.blockSignals(True)
        self.task_box.setCurrentIndex(self.task_box.findData(self.task))
        self.task_box.blockSignals(False)
        self.toolbar.setVisible(True)
        self.plot.viewport().installEventFilter(self)
        self._show_examples(False)
        self.overlay.setVisible(True)
        self._refresh_toolbar()
        self._draw_overlay()
        self.push()
        self.drawing_toggled.emit(True)
        self.window.statusBar().showMessage(
            "Drawing: press to add points, press a point and drag it to move it; "
            "the eraser removes points", 6000)

    def stop(self) -> None:
        """Stop drawing; the drawn data stays (and trains like any dataset)."""
        if not self.active:
            return
        self._push_timer.stop()
        self.push()
        self.active = False
        self._drag = None
        self.plot.viewport().removeEventFilter(self)
        self.overlay.setVisible(False)
        self._show_examples(True)
        self.toolbar.setVisible(False)
        self.drawing_toggled.emit(False)

    def cancel(self) -> None:
        """Stop drawing without giving the window the drawing (another dataset came)."""
        self._push_timer.stop()
        self.push_allowed = False
        try:
            self.stop()
        finally:
            self.push_allowed = True

    def set_task(self, task: str) -> None:
        """Classes or values; existing points keep their side (orange is -1, blue +1)."""
        if task == self.task or task not in ("classification", "regression"):
            return
        if task == "regression":
            self.values = np.where(self.values > 0, 1.0, -1.0)
        else:
            self.values = (self.values > 0).astype(np.float64)
            self.class_names = list(BINARY_CLASS_NAMES)
            self.brush_class = min(self.brush_class, 1)
        self.task = task
        if self.tool != "eraser":
            self.tool = "brush"
        self._refresh_toolbar()
        self._changed()

    def set_brush(self, k: int) -> None:
        self.brush_class = int(k)
        self.set_tool("brush")

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self._refresh_toolbar()

    def add_point(self, x: float, y: float, value: float | None = None) -> bool:
        """Add a point at plane position (x, y) with the brush's class or value."""
        if len(self.points) >= MAX_POINTS:
            self.window.statusBar().showMessage(f"At most {MAX_POINTS:,} points can be drawn",
                                                4000)
            return False
        lo, hi = EXTENT
        x, y = float(np.clip(x, lo, hi)), float(np.clip(y, lo, hi))
        if value is None:
            value = float(self.brush_class) if self.task == "classification" \
                else float(self.value_box.value())
        self.points = np.vstack([self.points, [[x, y]]])
        self.values = np.append(self.values, value)
        self._changed()
        return True

    def move_point(self, index: int, x: float, y: float) -> None:
        lo, hi = EXTENT
        self.points[index] = (float(np.clip(x, lo, hi)), float(np.clip(y, lo, hi)))
        self._changed()

    def erase_at(self, x: float, y: float, radius: float = ERASE_RADIUS) -> int:
        """Remove the points within ``radius`` of (x, y); returns how many."""
        if not len(self.points):
            return 0
        keep = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y) > radius
        removed = int((~keep).sum())
        if removed:
            self.points, self.values = self.points[keep], self.values[keep]
            self._changed()
        return removed

    def clear(self) -> None:
        self.points = np.zeros((0, 2))
        self.values = np.zeros(0)
        self._changed()

    def nearest(self, x: float, y: float, radius: float = PICK_RADIUS) -> int | None:
        if not len(self.points):
            return None
        d = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y)
        k = int(np.argmin(d))
        return k if d[k] <= radius else None

    def settings(self):
        """The dataset settings of the drawing (the current settings with the points in)."""
        settings = copy.deepcopy(self.window.state.dataset)
        if settings.name != DATASET_NAMES["points"] and not set(settings.features) <= {
                "x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"}:
            settings.features = ("x1", "x2")
        if not settings.features:
            settings.features = ("x1", "x2")
        settings.name = DATASET_NAMES["points"]
        settings.options = {}
        settings.n_samples = None
        settings.noise = 0.0
        settings.data = points_payload(self.points, self.values, self.task, self.class_names)
        return settings

    def push(self) -> bool:
        """Give the window the drawn data now (it needs two points: one to train, one to
        test). Returns True if the window has it."""
        if not self.push_allowed:
            return False
        if len(self.points) < 2:
            self.window.statusBar().showMessage(
                "Draw at least two points: the network trains on some and is tested on the "
                "others", 8000)
            return False
        settings = self.settings()
        try:
            ds = load_embedded(settings.data, settings.train_ratio, settings.data_seed,
                               settings.features)
        except DatasetError as exc:
            self.window.statusBar().showMessage(f"Drawn data not used: {exc}", 6000)
            return False
        self.window.set_data_live(settings, ds)
        bar = self.window.statusBar()
        if bar.currentMessage().startswith("Draw at least two points"):
            bar.clearMessage()
        return True

    # ------------------------------------------------------------------ private
    def _drawn_order(self, n: int, part_train_first: np.ndarray) -> np.ndarray:
        """Drawn data comes back as train then test: the order the points were drawn in."""
        settings = self.window.state.dataset
        part = point_parts(n, settings.train_ratio, settings.data_seed)
        order = np.empty(n, dtype=np.int64)
        order[np.flatnonzero(part)] = np.arange(int(part.sum()))
        order[np.flatnonzero(~part)] = int(part.sum()) + np.arange(int((~part).sum()))
        return order

    def _changed(self) -> None:
        self._draw_overlay()
        self.count_label.setText(f"  {len(self.points)} points")
        self.points_changed.emit(len(self.points))
        if not self._push_timer.isActive():
            self._push_timer.start()

    def _draw_overlay(self) -> None:
        if not len(self.points):
            self.overlay.setData([], [])
            return
        pal = palettes.current_palette()
        if self.task == "classification":
            colours = pal.class_rgb(max(len(self.class_names), 2))
            rgb = colours[np.clip(self.values.astype(int), 0, len(colours) - 1)]
        else:
            rgb = pal.lut()[palettes.value_to_index(self.values, 1.0), :3]
        settings = self.window.state.dataset
        train = point_parts(len(self.points), settings.train_ratio, settings.data_seed)
        white, black = pg.mkPen("#ffffff", width=1), pg.mkPen("#000000", width=1.5)
        self.overlay.setData(
            x=self.points[:, 0], y=self.points[:, 1],
            brush=[pg.mkBrush(int(r), int(g), int(b)) for r, g, b in rgb],
            pen=[white if t else black for t in train])

    def _plane_position(self, event) -> np.ndarray:
        pos = event.position() if hasattr(event, "position") else QPointF(event.pos())
        scene = self.plot.mapToScene(pos.toPoint())
        view = self.plot.getPlotItem().vb.mapSceneToView(scene)
        return np.array([view.x(), view.y()])

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                        QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
            return False
        if not self.active:
            return False
        xy = self._plane_position(event)
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if event.button() != Qt.MouseButton.LeftButton:
                return True
            if self.tool == "eraser":
                self.erase_at(*xy)
                return True
            self._drag = self.nearest(*xy)
            if self._drag is None:
                self.add_point(*xy)
                self._last_paint = xy
            return True
        if kind == QEvent.Type.MouseMove:
            if not event.buttons() & Qt.MouseButton.LeftButton:
                return False  # hovering: let the plot show its tooltips
            if self.tool == "eraser":
                self.erase_at(*xy)
            elif self._drag is not None:
                self.move_point(self._drag, *xy)
            elif self._last_paint is not None and \
                    np.hypot(*(xy - self._last_paint)) >= PAINT_SPACING:
                self.add_point(*xy)
                self._last_paint = xy
            return True
        # release
        self._drag = None
        self._last_paint = None
        self._push_timer.stop()
        self.push()
        return True
