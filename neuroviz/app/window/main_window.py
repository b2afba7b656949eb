"""The playground window: build a network layer by layer and watch it learn, live.

Layout: the training toolbar on top; the network canvas in the centre with the output
column beside it (the output plot over the loss charts); the data panel docked on the left;
side panels (lessons, explain mode; :meth:`MainWindow.add_side_panel`) on the right, tabbed
so one open panel gets the full height; the timeline and the status bar below. The window
adapts to its width (:data:`WIDE_LAYOUT_WIDTH`): narrower than that (1280x720, 1366x768),
the side panels join the data panel as tabs of one column on the left instead of squeezing
the network and the output plot. The canvas fits the whole network at zoom 1 (View › Zoom
In / Zoom Out / Fit Network, Ctrl+= / Ctrl+- / Ctrl+0) and scrolls when zoomed in.

Data flow: the Qt-free :class:`ExperimentState` holds the desired experiment; the window
observes it and sends commands to the :class:`TrainingWorker`, which owns the engine's
Trainer and publishes snapshots; the window draws only the newest snapshot.

Every feature beside the playground (explain mode, gradient view, timeline, run comparison,
presenter mode, export, the lesson panel) is created and connected by the composition root,
:func:`neuroviz.app.window.compose.compose`, at the end of the constructor. What features use:

* ``window.controls`` (:class:`ControlRegistry`): ``set_hidden/set_locked/set_highlighted``
  by control ID (``window.controls.ids()`` lists them; see :data:`CONTROL_IDS`).
* :meth:`MainWindow.apply_preset` / :meth:`apply_experiment`: dataset settings, network
  spec, weights, hyperparameters and seed in one go.
* :attr:`MainWindow.snapshot_drawn` (after each drawn snapshot), :attr:`weight_edited`,
  :attr:`experiment_applied`; :attr:`latest_snapshot`; :meth:`add_side_panel`.

The class is split by topic into mixins: menus (:mod:`~neuroviz.app.window.menus`), file
commands (:mod:`~neuroviz.app.window.files`), remembered settings
(:mod:`~neuroviz.app.window.persistence`), applying the experiment state
(:mod:`~neuroviz.app.window.applying`) and drawing the worker's snapshots
(:mod:`~neuroviz.app.window.snapshots`).
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from neuroviz import __version__
from neuroviz.app import gc_guard
from neuroviz.app import palette as palettes
from neuroviz.app.data.panel import DataPanel
from neuroviz.app.network.view import NetworkView
from neuroviz.app.output.charts import TrainingCharts
from neuroviz.app.output.view import OutputView
from neuroviz.app.training.worker import TrainingWorker
from neuroviz.app.window.applying import ExperimentApplyingMixin
from neuroviz.app.window.banners import Banner
from neuroviz.app.window.compose import compose
from neuroviz.app.window.controls import ControlRegistry
from neuroviz.app.window.files import FileCommandsMixin
from neuroviz.app.window.menus import MenusMixin
from neuroviz.app.window.persistence import RememberedSettingsMixin
from neuroviz.app.window.settings import app_settings
from neuroviz.app.window.snapshots import SnapshotDrawingMixin
from neuroviz.app.window.state import ExperimentState
from neuroviz.app.window.themes import apply_theme
from neuroviz.app.window.toolbar import SPEEDS, TrainingToolbar
from neuroviz.data import DATASETS, DatasetError
from neuroviz.experiment import (
    DatasetSettings,
    Experiment,
    ExperimentError,
    Hyperparameters,
    check_hyperparameters,
    load_dataset_for,
)

CONTROL_IDS = (
    # toolbar
    "reset", "play_pause", "step", "new_seed", "speed", "epoch_counter", "learning_rate",
    "optimizer", "regularization", "regularization_rate", "problem_type",
    # data panel (dataset_<name> for each dataset, feature_<id>, option_<name>)
    "data_panel", "noise", "train_ratio", "batch_size", "regenerate", "features",
    # network view: add_layer, remove_layer, add_neuron_<k>, remove_neuron_<k>,
    # activation_<k>; layer kinds: add_layer_kind (its menu's add_dense_layer,
    # add_dropout_layer, add_layernorm_layer, add_residual_layer, add_wrap_layer),
    # dropout_rate_<k>, residual_skip_<k> (k: the canvas column)
    "network_view", "output_view", "charts", "log_scale",
    # view: zoom of the network canvas
    "zoom_in", "zoom_out", "zoom_fit",
    # docks and banners
    "data_dock", "divergence_banner", "engine_banner", "message_banner",
)


#: From this window width (logical pixels) on, side panels (lessons, explain) get their own
#: column on the right; narrower windows tab them with the data panel on the left.
WIDE_LAYOUT_WIDTH = 1600
#: Width the output column asks for, as a share of the central area.
OUTPUT_SHARE = 0.42
#: Share of the output column's height for the output plot (the charts get the rest, or
#: the height their text and plots need if that is more).
PLOT_SHARE = 0.75


class _FitWidthScroll(QScrollArea):
    """A vertical scroll area exactly as wide as its widget needs (no clipped thumbnails),
    also when the widget grows (a longer dataset description)."""

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return False

    def _width(self) -> int:
        inner = 0 if self.widget() is None else max(self.widget().minimumSizeHint().width(),
                                                    self.widget().sizeHint().width())
        return inner + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth() + 2

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._width(), 120)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._width(), 400)


class MainWindow(MenusMixin, FileCommandsMixin, RememberedSettingsMixin,
                 ExperimentApplyingMixin, SnapshotDrawingMixin, QMainWindow):
    """The neuroviz playground window."""

    snapshot_drawn = Signal(object)  # the engine Snapshot just drawn
    weight_edited = Signal(int, int, int, float)  # node layer, i, j (-1 for a bias), value
    experiment_applied = Signal()  # after New, Open or a preset
    selected_example_changed = Signal()  # the learner's drawing became (or left) the example

    def __init__(self, experiment: Experiment | None = None, *, restore: bool = True,
                 start_worker: bool = True, lesson_dirs: Iterable[str | Path] = (),
                 progress_path: str | Path | None = None) -> None:
        super().__init__()
        gc_guard.install()  # cycles of Qt objects are freed here, never in the worker
        self.setObjectName("main_window")
        self.setWindowTitle("neuroviz")
        self.resize(1400, 860)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self._settings = app_settings()
        self._theme = "light"
        self._path: Path | None = None
        self._dataset = None
        self._input_images = None
        self._applying = False
        self._generation = 0
        self._keep_history = False
        self._engine_ready = False
        self._running = False
        self._probe = None  # private Network for per-example activations (tabular/image)
        self._example: tuple[str, int] | None = None
        self._drawn_example = None  # the learner's drawing, (1, n_features), or None
        self._frames = 0
        self._message_boxes: list[QMessageBox] = []
        self.latest_snapshot = None
        self.last_error: str | None = None

        self.state = ExperimentState()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("undo_stack")
        self.controls = ControlRegistry(self)

        self._wide_layout: bool | None = None
        self._side_docks: list[QDockWidget] = []
        #: ``pinned(dock)``: a side panel that must stay in view when another one opens (the
        #: composition root pins the lesson panel while a lesson runs).
        self.side_panel_pinned = lambda dock: False
        self._build_widgets()
        self._build_menus()
        self._build_zoom_actions()
        self._connect()

        self.worker = TrainingWorker(self)
        self.worker.snapshot_ready.connect(self._on_snapshot)
        self.worker.running_changed.connect(self._on_running_changed)
        self.worker.engine_ready.connect(self._on_engine_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.set_speed(SPEEDS[self.toolbar.speed.currentIndex()][1])

        if restore:
            self._restore_settings(experiment is None)
        if experiment is not None:
            self.state.load(experiment)
        self.engine_banner.show_message("Preparing the engine\u2026 (the first start compiles "
                                        "the training code; this happens only once)",
                                        closable=False)
        self._apply_all(weights=None if experiment is None else experiment.weights)
        self.state.subscribe(self._on_state_changed)
        if start_worker:
            self.worker.start()
        compose(self, lesson_dirs, progress_path)

    # ================================================================== building
    def _build_widgets(self) -> None:
        self.toolbar = TrainingToolbar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for name, action in self.toolbar.widget_actions.items():
            self.controls.add_toolbar_widget(name, action)

        self.data_panel = DataPanel()
        scroll = _FitWidthScroll()
        scroll.setObjectName("data_scroll")
        scroll.setWidget(self.data_panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.data_dock = QDockWidget("Data", self)
        self.data_dock.setObjectName("data_dock")
        self.data_dock.setWidget(scroll)
        self.data_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                   | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.data_dock)

        central = QWidget(self)
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        self.engine_banner = Banner("engine_banner", "info", central)
        self.divergence_banner = Banner("divergence_banner", "error", central)
        self.message_banner = Banner("message_banner", "info", central)
        for banner in (self.engine_banner, self.divergence_banner, self.message_banner):
            layout.addWidget(banner)

        self.network_view = NetworkView()
        self.output_view = OutputView()
        self.charts = TrainingCharts()
        self.network_view.setToolTip("")
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.setObjectName("output_splitter")
        self.right_splitter.addWidget(self.output_view)
        self.right_splitter.addWidget(self.charts)
        self.right_splitter.setStretchFactor(0, 3)
        self.right_splitter.setStretchFactor(1, 1)
        self.right_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("main_splitter")
        self.main_splitter.addWidget(self.network_view)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setSizes([760, 480])
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

        self.status_label = QLabel("", self)
        # Fixed width: new text every frame never re-lays out the status bar.
        self.status_label.setFixedWidth(
            self.status_label.fontMetrics().horizontalAdvance(
                "step 0,000,000   train loss 0.00000   test loss 0.00000   000,000 steps/s"))
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight
                                       | Qt.AlignmentFlag.AlignVCenter)
        self.status_label.setObjectName("status_training")
        self.status_label.setToolTip("Training speed and current losses")
        self.statusBar().setObjectName("status_bar")
        self.statusBar().addPermanentWidget(self.status_label)
        self.statusBar().showMessage("Ready")

    def _connect(self) -> None:
        tb = self.toolbar
        tb.reset_clicked.connect(self.reset)
        tb.play_toggled.connect(lambda play: self.play() if play else self.pause())
        tb.step_clicked.connect(self.step_epoch)
        tb.new_seed_clicked.connect(self.new_seed)
        tb.speed_changed.connect(lambda v: self.worker.set_speed(v))
        tb.hyperparameters_edited.connect(lambda d: self.set_hyperparameters(**d))
        tb.problem_type_changed.connect(self.set_problem_type)
        self.data_panel.settings_changed.connect(self.set_dataset)
        self.data_panel.batch_size_changed.connect(
            lambda v: self.set_hyperparameters(batch_size=int(v)))
        nv = self.network_view
        nv.add_layer_requested.connect(lambda: self._edit_network("add_layer"))
        nv.remove_layer_requested.connect(lambda: self._edit_network("remove_layer"))
        nv.add_neuron_requested.connect(lambda k: self._edit_network("add_neuron", k))
        nv.remove_neuron_requested.connect(lambda k: self._edit_network("remove_neuron", k))
        nv.activation_change_requested.connect(
            lambda k, name: self._edit_network("activation", k, name))
        nv.layer_kind_requested.connect(lambda kind: self._edit_network("add_kind", None, kind))
        nv.dropout_rate_requested.connect(
            lambda k, rate: self._edit_network("dropout_rate", k, rate))
        nv.skip_requested.connect(lambda k, on: self._edit_network("skip", k, on))
        nv.column_edit_requested.connect(lambda k, op: self._edit_network("column", k, op))
        nv.layer_settings_requested.connect(
            lambda k, settings: self._edit_network("layer_settings", k, settings))
        nv.filter_edited.connect(self._on_filter_edited)
        nv.weight_edited.connect(self._on_weight_edited)
        nv.bias_edited.connect(lambda k, j, v: self._on_weight_edited(k, j, -1, v))
        nv.neuron_hovered.connect(self._on_neuron_hovered)
        self.snapshot_drawn.connect(self._refresh_hovered_neuron)
        self.output_view.example_selected.connect(self._on_example_selected)
        self.divergence_banner.action_clicked.connect(self._lower_learning_rate)
        palettes.notifier.palette_changed.connect(self._on_palette_changed)

    # ================================================================== public API
    @property
    def dataset(self):
        """The loaded neuroviz.data Dataset."""
        return self._dataset

    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def engine_ready(self) -> bool:
        return self._engine_ready

    @property
    def path(self) -> Path | None:
        return self._path

    def set_path(self, path) -> None:
        """Which file Save writes to (None: untitled); a lesson clears it while it runs."""
        self._path = None if path is None else Path(path)
        self._update_title()

    def play(self) -> None:
        self.worker.play()

    def pause(self) -> None:
        self.worker.pause()

    def toggle_play(self) -> None:
        self.pause() if self._running else self.play()

    def step_epoch(self) -> None:
        self.worker.step_epoch(1)

    def train_epochs(self, epochs: int, chunk_epochs: int = 1) -> int:
        """Train ``epochs`` epochs as a visible run (a lesson's "show me"), then stop.

        The run counts as training: Play shows Pause and Pause (or Space) stops it.
        Returns the run's id; ``worker.run_finished(id)`` says when it has ended.
        """
        return self.worker.train_epochs(epochs, chunk_epochs)

    def reset(self) -> None:
        """Same starting weights as before (same seed); training pauses."""
        self.divergence_banner.hide()
        self.worker.reset(self.state.seed)

    def new_seed(self) -> None:
        seed = (self.state.seed + 1) % (2**31)
        self.state.set_seed(seed)  # observer resets the worker with it

    def set_dataset(self, settings: DatasetSettings) -> bool:
        """Load a dataset; on failure the old one stays and the problem is shown."""
        try:
            ds = load_dataset_for(settings)
        except (DatasetError, ValueError) as exc:
            self._report(f"Could not load the dataset: {exc}")
            self.data_panel.set_settings(self.state.dataset)
            return False
        self._dataset = ds
        self.state.set_dataset(settings, ds.spec_inputs, ds.n_outputs, ds.output_activation,
                               ds.loss)
        self._report_removed_layers()
        return True

    def _report_removed_layers(self) -> None:
        """Say which layers a dataset change removed because they need other inputs."""
        removed = self.state.removed_layers
        if removed:
            kinds = sorted({layer.get("type", "dense") for layer in removed})
            self.statusBar().showMessage(
                f"Removed {len(removed)} layer{'s' if len(removed) > 1 else ''} "
                f"({', '.join(kinds)}) that do not fit the inputs of {self._dataset.title}",
                8000)

    def set_problem_type(self, task: str) -> None:
        if self._dataset is not None and self._dataset.task == task:
            return
        first = next(name for name, info in DATASETS.items() if info.task == task)
        settings = self.state.dataset
        settings.name = first
        settings.options = {}
        settings.n_samples = None  # the new dataset's own size
        self.set_dataset(settings)

    def set_hyperparameters(self, **changes) -> bool:
        """Change hyperparameters live; invalid values are refused with a message."""
        hp = self.state.hyperparameters
        for key, value in changes.items():
            if not hasattr(hp, key):
                raise AttributeError(f"unknown hyperparameter {key!r}")
            setattr(hp, key, value)
        try:
            check_hyperparameters(hp)
        except ExperimentError as exc:
            self._report(f"Setting not changed: {exc}")
            self.toolbar.set_hyperparameters(self.state.hyperparameters)
            return False
        self.state.set_hyperparameters(**changes)
        return True

    def apply_preset(self, *, dataset: DatasetSettings | dict | None = None,
                     spec: dict | None = None, weights=None,
                     hyperparameters: Hyperparameters | dict | None = None,
                     seed: int | None = None) -> None:
        """Set any of dataset settings, network spec, weights, hyperparameters and seed.

        Unspecified parts keep their current values. A ``spec`` whose inputs or output
        layer do not match the dataset is fitted to it. Training pauses and the undo
        history is cleared. Raises ExperimentError (nothing changes) if the result is
        not a valid experiment.
        """
        exp = self.current_experiment(with_weights=False)
        if dataset is not None:
            if isinstance(dataset, dict):
                merged = exp.dataset.to_dict()
                merged.update(dataset)
                dataset = DatasetSettings(**{**merged, "features": tuple(merged["features"])})
            exp.dataset = copy.deepcopy(dataset)
        if hyperparameters is not None:
            if isinstance(hyperparameters, dict):
                merged = exp.hyperparameters.to_dict()
                merged.update(hyperparameters)
                hyperparameters = Hyperparameters(**merged)
            exp.hyperparameters = copy.deepcopy(hyperparameters)
        if spec is not None:
            exp.spec = copy.deepcopy(spec)
        if seed is not None:
            exp.seed = int(seed)
        exp.weights = weights
        exp.history.clear()
        exp.epoch = 0
        if spec is None or dataset is not None:
            try:
                ds = load_dataset_for(exp.dataset)
            except (DatasetError, ValueError) as exc:
                raise ExperimentError(f"dataset: {exc}") from None
            layers = exp.spec["layers"]
            exp.spec["inputs"] = ds.spec_inputs  # [H, W, C] for images
            if spec is None:
                layers[-1]["units"] = ds.n_outputs
                layers[-1]["activation"] = ds.output_activation
                exp.spec["loss"] = ds.loss
        self.apply_experiment(exp)

    def apply_experiment(self, experiment: Experiment) -> None:
        """Replace the whole experiment (validated first; raises ExperimentError and changes
        nothing)."""
        self._apply_experiment(experiment)

    def current_experiment(self, with_weights: bool = True) -> Experiment:
        snap = self.latest_snapshot
        weights = snap.weights if (with_weights and snap is not None
                                   and self._snapshot_matches_spec(snap)) else None
        exp = self.state.experiment(weights)
        if snap is not None and with_weights:
            exp.epoch = self.state.epoch_offset + int(snap.epoch)
        return exp

    # ------------------------------------------------------------------ unsaved work
    def add_side_panel(self, widget: QWidget, title: str, object_name: str) -> QDockWidget:
        """Dock ``widget`` on the right (explain mode, lessons); returns its dock."""
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        self._side_docks.append(dock)
        self._place_side_docks([dock])
        if not dock.isHidden():
            dock.raise_()
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def show_side_panel(self, dock: QDockWidget, share: float = 0.6) -> None:
        """Open a side panel with room to work: in the place of the panel it shares a tab
        with, or, when that one is pinned (a running lesson), below it with ``share`` of the
        height, so both stay in view."""
        pinned = [d for d in self._side_docks
                  if d is not dock and not d.isHidden() and self.side_panel_pinned(d)]
        if pinned:
            target = pinned[0]
            area = self.dockWidgetArea(target)
            if dock in self.tabifiedDockWidgets(target) or self.dockWidgetArea(dock) != area:
                self.removeDockWidget(dock)
                self.addDockWidget(area, dock, Qt.Orientation.Vertical)
            dock.show()
            height = max(self.centralWidget().height(), 200)
            self.resizeDocks([dock, target], [int(height * share), int(height * (1 - share))],
                             Qt.Orientation.Vertical)
        else:
            self._place_side_docks([dock])
            dock.show()
        dock.raise_()

    @property
    def wide_layout(self) -> bool:
        """True when side panels have their own column on the right (see WIDE_LAYOUT_WIDTH)."""
        return bool(self._wide_layout) if self._wide_layout is not None \
            else self.width() >= WIDE_LAYOUT_WIDTH

    def _place_side_docks(self, docks) -> None:
        """Dock side panels as tabs of one column: on the right in a wide window, with the
        data panel on the left otherwise. One open panel then has the column's full height."""
        wide = self.wide_layout
        area = Qt.DockWidgetArea.RightDockWidgetArea if wide \
            else Qt.DockWidgetArea.LeftDockWidgetArea
        anchor = self.data_dock if not wide else next(
            (d for d in self._side_docks if d not in docks), None)
        for dock in docks:
            if self.dockWidgetArea(dock) != area:
                self.addDockWidget(area, dock)
            if anchor is not None and anchor is not dock:
                self.tabifyDockWidget(anchor, dock)
            else:
                anchor = dock
        if wide:
            shown = [d for d in self._side_docks if not d.isHidden()]
            if shown:
                width = max(300, max(d.widget().sizeHint().width() for d in shown))
                self.resizeDocks(shown[:1], [width], Qt.Orientation.Horizontal)

    def _arrange_for_width(self) -> None:
        wide = self.width() >= WIDE_LAYOUT_WIDTH
        if wide == self._wide_layout:
            return
        raised = [d for d in self._side_docks if not d.isHidden() and not d.visibleRegion()
                  .isEmpty()]
        self._wide_layout = wide
        self._place_side_docks(list(self._side_docks))
        if not wide:
            self.data_dock.raise_()
        for dock in raised:
            dock.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange_for_width()
        self._share_central_width()
        self.fit_output_column(PLOT_SHARE)

    def _share_central_width(self) -> None:
        """The output column gets OUTPUT_SHARE of the central width (the plot stays large)."""
        total = sum(self.main_splitter.sizes())
        if total <= 0:
            return
        right = int(total * OUTPUT_SHARE)
        right = max(right, self.right_splitter.minimumSizeHint().width())
        left = max(total - right, self.network_view.minimumSizeHint().width())
        self.main_splitter.setSizes([left, total - left])

    def fit_output_column(self, plot_share: float) -> None:
        """Split the output column: ``plot_share`` of its height for the output plot, the
        rest for the charts, but never less than the charts need at their width (their
        summary line wraps in a narrow column)."""
        splitter = self.right_splitter
        total = sum(splitter.sizes())
        if total <= 0:
            return
        charts = self.charts
        for _ in range(2):  # the second pass sees the text re-wrapped at the new size
            need = charts.minimumSizeHint().height()
            layout = charts.layout()
            if layout is not None and layout.hasHeightForWidth():
                need = max(need, layout.totalHeightForWidth(max(charts.width(), 1)))
            plots = getattr(charts, "view", None)
            if plots is not None and plots.isVisible():  # the text above the plots, as shown
                need = max(need, plots.y() + plots.minimumHeight())
            bottom = min(max(need, int(total * (1.0 - plot_share))),
                         total - self.output_view.minimumSizeHint().height())
            if splitter.sizes() == [total - bottom, bottom]:
                break
            splitter.setSizes([total - bottom, bottom])

    def _refresh_hovered_neuron(self, _snap) -> None:
        """The large picture of a hovered neuron follows training, like the boundary."""
        hovered = self.network_view.hovered_neuron()
        if hovered is not None and self._dataset is not None and self._dataset.kind == "2d":
            self._on_neuron_hovered(*hovered)

    # ------------------------------------------------------------------ zoom
    def _build_zoom_actions(self) -> None:
        """View › Zoom In / Zoom Out / Fit Network for the network canvas."""
        nv = self.network_view
        self.view_menu.addSeparator()
        self.zoom_actions = {}
        for name, text, keys, slot, tip in (
                ("zoom_in", "Zoom &In", QKeySequence.StandardKey.ZoomIn, nv.zoom_in,
                 "Draw the network larger (scroll to see all of it)"),
                ("zoom_out", "Zoom &Out", QKeySequence.StandardKey.ZoomOut, nv.zoom_out,
                 "Draw the network smaller"),
                ("zoom_fit", "&Fit Network", "Ctrl+0", nv.reset_zoom,
                 "Show the whole network without scrolling")):
            action = QAction(text, self)
            action.setObjectName(name)
            shortcuts = [QKeySequence(keys)] if isinstance(keys, str) \
                else QKeySequence.keyBindings(keys)
            if name == "zoom_in":
                shortcuts.append(QKeySequence("Ctrl+="))
            action.setShortcuts(shortcuts)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            self.view_menu.addAction(action)
            self.addAction(action)
            self.zoom_actions[name] = action
            self.controls.register(action)
        nv.zoom_changed.connect(self._on_zoom_changed)
        self._on_zoom_changed(nv.zoom)

    def _on_zoom_changed(self, zoom: float) -> None:
        from neuroviz.app.network.view import ZOOM_MAX, ZOOM_MIN

        self.zoom_actions["zoom_in"].setEnabled(zoom < ZOOM_MAX)
        self.zoom_actions["zoom_out"].setEnabled(zoom > ZOOM_MIN)
        self.zoom_actions["zoom_fit"].setEnabled(zoom != 1.0)
        if zoom != 1.0:
            self.statusBar().showMessage(f"Network zoom {zoom * 100:.0f}%", 2000)

    def control(self, name: str):
        """The widget or action with this stable ID (KeyError if there is none)."""
        return self.controls.require(name)

    def set_control_hidden(self, name: str, hidden: bool = True) -> None:
        self.controls.set_hidden(name, hidden)

    def set_control_locked(self, name: str, locked: bool = True) -> None:
        self.controls.set_locked(name, locked)

    def set_control_highlighted(self, name: str, highlighted: bool = True) -> None:
        self.controls.set_highlighted(name, highlighted)

    def show_banner(self, text: str, action: str | None = None) -> Banner:
        """A general message strip above the canvas (lessons use it for goals/hints)."""
        self.message_banner.show_message(text, action)
        return self.message_banner

    def set_theme(self, theme: str) -> None:
        apply_theme(theme)
        self._theme = theme
        self.theme_actions[theme].setChecked(True)
        self.charts.set_theme(theme)
        for banner in (self.engine_banner, self.divergence_banner, self.message_banner):
            banner.set_theme(theme)
        self._settings.setValue("theme", theme)

    def set_palette(self, name: str) -> None:
        palettes.set_palette(name)

    @property
    def theme(self) -> str:
        return self._theme

    # ================================================================== settings
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.confirm_discard("quit"):
            event.ignore()
            return
        self.save_settings()
        self.worker.shutdown()
        for box in list(self._message_boxes):
            box.close()
        super().closeEvent(event)


def prepare_runtime() -> None:
    """Process-wide tuning for a live GUI beside a training thread (run() calls it).

    * A 1 ms GIL switch interval: when the worker thread holds the GIL between kernel
      calls, the GUI thread gets it back within 1 ms instead of 5 ms.
    * ``gc.freeze()`` after start-up: the many long-lived Qt/pyqtgraph wrappers move to
      a permanent generation, so full collections no longer stall a frame for ~70 ms.
    """
    import gc

    sys.setswitchinterval(0.001)
    gc.collect()
    gc.freeze()


def build_window(lesson_dirs=(), **kwargs) -> MainWindow:
    """The whole app: the playground window with every feature (see
    :mod:`neuroviz.app.window.compose`). ``lesson_dirs`` are teachers' lesson folders;
    ``kwargs`` go to :class:`MainWindow` (e.g. ``progress_path``)."""
    return MainWindow(lesson_dirs=lesson_dirs, **kwargs)


def run(argv: list[str] | None = None) -> int:
    """Start the playground: create the application, show the window at once, run.

    ``argv`` is ``[program, options...]``; ``--lessons=DIR`` (repeatable) adds a folder
    of teacher lessons (kept in ``window.lesson_dirs`` for the lesson panel). Qt's own
    options (e.g. ``-platform``) pass through. On a cold Numba cache the window shows
    "Preparing the engine..." while the worker thread compiles.
    """
    import argparse

    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(prog="neuroviz", add_help=False)
    parser.add_argument("--lessons", action="append", default=[])
    options, qt_args = parser.parse_known_args(argv[1:])
    started = time.perf_counter()
    app = QApplication.instance() or QApplication([argv[0] if argv else "neuroviz", *qt_args])
    app.setApplicationName("neuroviz")
    app.setOrganizationName("neuroviz")
    app.setApplicationVersion(__version__)
    window = build_window(options.lessons)
    window.show()
    prepare_runtime()
    window.statusBar().showMessage(f"Started in {time.perf_counter() - started:.1f} s", 4000)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run())
