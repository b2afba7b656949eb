"""The playground window: build a network layer by layer and watch it learn, live.

Layout: the data panel docked on the left, the network canvas in the centre with the
output view and the charts beside it, the training toolbar on top, a status bar below.
The right dock area is left free for side panels (explain mode, lessons): use
:meth:`MainWindow.add_side_panel`.

Data flow: the Qt-free :class:`ExperimentState` holds the desired experiment; the window
observes it and sends commands to the :class:`TrainingWorker`, which owns the engine's
Trainer and publishes snapshots; the window draws only the newest snapshot.

Hooks for later features (issues 4 and 5):

* ``window.controls`` (:class:`ControlRegistry`): ``set_hidden/set_locked/set_highlighted``
  by control ID (``window.controls.ids()`` lists them; see :data:`CONTROL_IDS`).
* :meth:`MainWindow.apply_preset` / :meth:`apply_experiment`: dataset settings, network
  spec, weights, hyperparameters and seed in one go.
* :attr:`MainWindow.snapshot_drawn` (after each drawn snapshot), :attr:`weight_edited`,
  :attr:`experiment_applied`; :attr:`latest_snapshot`; :meth:`add_side_panel`.
"""

from __future__ import annotations

import copy
import html
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from neuroviz import __version__
from neuroviz.app import palette as palettes
from neuroviz.app.constants import GRID_N
from neuroviz.app.data.panel import DataPanel
from neuroviz.app.network.view import NetworkView
from neuroviz.app.output.charts import TrainingCharts, format_number
from neuroviz.app.output.view import OutputView
from neuroviz.app.training.worker import TrainingWorker
from neuroviz.app.window.banners import Banner
from neuroviz.app.window.commands import NetworkEditCommand, WeightEditCommand
from neuroviz.app.window.controls import ControlRegistry
from neuroviz.app.window.settings import app_settings
from neuroviz.app.window.state import ExperimentState
from neuroviz.app.window.themes import THEMES, apply_theme
from neuroviz.app.window.toolbar import SPEEDS, TrainingToolbar
from neuroviz.app.window.unsaved import has_unsaved_changes
from neuroviz.data import DATASETS, DatasetError
from neuroviz.experiment import (
    DatasetSettings,
    Experiment,
    ExperimentError,
    Hyperparameters,
    check_hyperparameters,
    experiment_from_dict,
    load_dataset_for,
    load_experiment,
    save_experiment,
)

FILE_FILTER = "neuroviz experiments (*.neuroviz.json *.json);;All files (*)"

CONTROL_IDS = (
    # toolbar
    "reset", "play_pause", "step", "new_seed", "speed", "epoch_counter", "learning_rate",
    "optimizer", "regularization", "regularization_rate", "problem_type",
    # data panel (dataset_<name> for each dataset, feature_<id>, option_<name>)
    "data_panel", "noise", "train_ratio", "batch_size", "regenerate", "features",
    # network view (GUI-B): add_layer, remove_layer, add_neuron_<k>, remove_neuron_<k>,
    # activation_<k>
    "network_view", "output_view", "charts", "log_scale",
    # docks and banners
    "data_dock", "divergence_banner", "engine_banner", "message_banner",
)

SHORTCUTS = (
    ("Space", "Play or pause training"),
    ("Right arrow", "Train one epoch"),
    ("R", "Reset the network (same starting weights)"),
    ("Ctrl+N", "New experiment"),
    ("Ctrl+O", "Open an experiment"),
    ("Ctrl+S", "Save the experiment"),
    ("Ctrl+Shift+S", "Save the experiment as a new file"),
    ("Ctrl+Z", "Undo a network edit"),
    ("Ctrl+Shift+Z", "Redo a network edit"),
    ("Ctrl+Q", "Quit"),
)


class MainWindow(QMainWindow):
    """The neuroviz playground window."""

    snapshot_drawn = Signal(object)  # the engine Snapshot just drawn
    weight_edited = Signal(int, int, int, float)  # node layer, i, j (-1 for a bias), value
    experiment_applied = Signal()  # after New, Open or a preset

    def __init__(self, experiment: Experiment | None = None, *, restore: bool = True,
                 start_worker: bool = True) -> None:
        super().__init__()
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
        self._frames = 0
        self._message_boxes: list[QMessageBox] = []
        self.latest_snapshot = None
        self.last_error: str | None = None
        self.lesson_dirs: list[Path] = []  # teacher lesson folders (--lessons DIR)

        self.state = ExperimentState()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("undo_stack")
        self.controls = ControlRegistry(self)

        self._build_widgets()
        self._build_menus()
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

    # ================================================================== building
    def _build_widgets(self) -> None:
        self.toolbar = TrainingToolbar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for name, action in self.toolbar.widget_actions.items():
            self.controls.add_toolbar_widget(name, action)

        self.data_panel = DataPanel()
        scroll = QScrollArea()
        scroll.setObjectName("data_scroll")
        scroll.setWidget(self.data_panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.data_panel.sizeHint().width() + 24)
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
        self.right_splitter.setStretchFactor(1, 2)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("main_splitter")
        self.main_splitter.addWidget(self.network_view)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
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

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("menu_file")
        self.action_new = self._action(file_menu, "action_new", "&New",
                                       QKeySequence.StandardKey.New, self._new_clicked,
                                       "Start a new default experiment")
        self.action_open = self._action(file_menu, "action_open", "&Open\u2026",
                                        QKeySequence.StandardKey.Open, self._open_dialog,
                                        "Open a saved experiment")
        self.action_save = self._action(file_menu, "action_save", "&Save",
                                        QKeySequence.StandardKey.Save, self._save,
                                        "Save the experiment")
        self.action_save_as = self._action(file_menu, "action_save_as", "Save &As\u2026",
                                           QKeySequence("Ctrl+Shift+S"), self._save_as,
                                           "Save the experiment to a new file")
        file_menu.addSeparator()
        self.action_export = self._action(file_menu, "action_export_image", "&Export Image\u2026",
                                          QKeySequence("Ctrl+E"), self._export_dialog,
                                          "Save a picture of the window as PNG")
        file_menu.addSeparator()
        self.action_quit = self._action(file_menu, "action_quit", "&Quit",
                                        QKeySequence.StandardKey.Quit, self.close, "Quit neuroviz")

        edit_menu = bar.addMenu("&Edit")
        edit_menu.setObjectName("menu_edit")
        self.action_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.action_undo.setObjectName("action_undo")
        self.action_undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.action_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.action_redo.setObjectName("action_redo")
        self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.action_undo)
        edit_menu.addAction(self.action_redo)

        training = bar.addMenu("&Training")
        training.setObjectName("menu_training")
        self.action_play = self._action(training, "action_play", "&Play",
                                        QKeySequence(Qt.Key.Key_Space), self.toggle_play,
                                        "Start training")
        self.action_step = self._action(training, "action_step", "&Step One Epoch",
                                        QKeySequence(Qt.Key.Key_Right), self.step_epoch,
                                        "Train one epoch")
        self.action_reset = self._action(training, "action_reset", "&Reset",
                                         QKeySequence(Qt.Key.Key_R), self.reset,
                                         "Start again from the same initial weights")
        self.action_new_seed = self._action(training, "action_new_seed", "New &Seed", None,
                                            self.new_seed, "Start again from new random weights")

        view = bar.addMenu("&View")
        view.setObjectName("menu_view")
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for name in THEMES:
            action = QAction(name.capitalize(), self, checkable=True)
            action.setObjectName(f"action_theme_{name}")
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[name] = action
        palette_menu = view.addMenu("&Palette")
        group = QActionGroup(self)
        self.palette_actions = {}
        for name, pal in palettes.PALETTES.items():
            action = QAction(getattr(pal, "title", name), self, checkable=True)
            action.setObjectName(f"action_palette_{name}")
            action.triggered.connect(lambda _=False, n=name: self.set_palette(n))
            group.addAction(action)
            palette_menu.addAction(action)
            self.palette_actions[name] = action
        view.addSeparator()
        view.addAction(self.data_dock.toggleViewAction())
        self.view_menu = view

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("menu_help")
        self._action(help_menu, "action_shortcuts", "&Keyboard Shortcuts",
                     QKeySequence("F1"), self.show_shortcuts, "List the keyboard shortcuts")
        self._action(help_menu, "action_about", "&About neuroviz", None, self.show_about,
                     "About this program")

    def _action(self, menu, name, text, shortcut, slot, tip) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

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
        nv.weight_edited.connect(self._on_weight_edited)
        nv.bias_edited.connect(lambda k, j, v: self._on_weight_edited(k, j, -1, v))
        nv.neuron_hovered.connect(self._on_neuron_hovered)
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
        self.state.set_dataset(settings, ds.n_features, ds.n_outputs, ds.output_activation,
                               ds.loss)
        return True

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
            exp.spec["inputs"] = ds.n_features
            if spec is None:
                layers[-1]["units"] = ds.n_outputs
                layers[-1]["activation"] = ds.output_activation
                exp.spec["loss"] = ds.loss
        self.apply_experiment(exp)

    def apply_experiment(self, experiment: Experiment) -> None:
        """Replace the whole experiment (validated first; raises ExperimentError)."""
        experiment_from_dict(experiment.to_dict(), check=True)
        self.pause()
        self.undo_stack.clear()
        self.state.load(experiment)
        self._keep_history = len(experiment.history) > 0
        self._apply_all(weights=experiment.weights)
        self.experiment_applied.emit()

    def current_experiment(self, with_weights: bool = True) -> Experiment:
        snap = self.latest_snapshot
        weights = snap.weights if (with_weights and snap is not None
                                   and self._snapshot_matches_spec(snap)) else None
        exp = self.state.experiment(weights)
        if snap is not None and with_weights:
            exp.epoch = self.state.epoch_offset + int(snap.epoch)
        return exp

    # ------------------------------------------------------------------ unsaved work
    def has_unsaved_changes(self) -> bool:
        """Whether the learner's experiment holds work that is not in a file.

        While a lesson runs, the learner's own experiment is set aside by the lesson panel,
        so the lesson's state never counts as unsaved work.
        """
        panel = getattr(self, "lesson_panel", None)
        if panel is not None and panel.in_lesson:
            return False
        return has_unsaved_changes(self)

    def ask_unsaved_changes(self, doing: str) -> str:
        """Ask what to do with unsaved work before ``doing``: "save", "discard" or "cancel".

        Tests replace this method; the app asks with a message box.
        """
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Your experiment has changes that are not saved. Save them before "
                          f"you {doing}?", buttons, self)
        box.setObjectName("unsaved_box")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return "save"
        if answer == QMessageBox.StandardButton.Discard:
            return "discard"
        return "cancel"

    def confirm_discard(self, doing: str) -> bool:
        """True when it is fine to replace the current experiment (saved first if asked)."""
        if not self.has_unsaved_changes():
            return True
        answer = self.ask_unsaved_changes(doing)
        if answer == "save":
            return self._save()
        return answer == "discard"

    def _new_clicked(self) -> None:
        if self.confirm_discard("start a new experiment"):
            self.new_experiment()

    def new_experiment(self) -> None:
        self._path = None
        self.apply_experiment(Experiment())
        self._update_title()

    def save_experiment(self, path) -> bool:
        """Save to ``path`` (atomic). Returns False and shows a message on failure."""
        path = Path(path)
        try:
            save_experiment(self.current_experiment(), path)
        except (OSError, ValueError, TypeError) as exc:
            self._error("Could not save", f"{path.name}: {exc}")
            return False
        self._path = path
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def open_experiment(self, path) -> bool:
        """Open ``path``; a bad file shows a message naming it and changes nothing."""
        path = Path(path)
        try:
            experiment = load_experiment(path)
        except ExperimentError as exc:
            self._error("Could not open the experiment", str(exc))
            return False
        self.apply_experiment(experiment)
        self._path = path
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def export_image(self, path, what: str = "window") -> bool:
        """Save a PNG of the window ("window"), "network", "output" or "charts"."""
        widget = {"window": self, "network": self.network_view, "output": self.output_view,
                  "charts": self.charts}[what]
        ok = widget.grab().save(str(path))
        if not ok:
            self._error("Could not export", f"{Path(path).name}: the image could not be written")
        return ok

    def add_side_panel(self, widget: QWidget, title: str, object_name: str) -> QDockWidget:
        """Dock ``widget`` on the right (explain mode, lessons); returns its dock."""
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        existing = [d for d in self.findChildren(QDockWidget)
                    if self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
                    and d is not dock and not d.isHidden()]
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if existing:
            self.tabifyDockWidget(existing[-1], dock)
            dock.raise_()
        self.view_menu.addAction(dock.toggleViewAction())
        self.resizeDocks([dock], [max(280, widget.sizeHint().width())],
                         Qt.Orientation.Horizontal)
        return dock

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

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what they do): the fixed table plus every other action with a shortcut
        (explain mode, presenter mode and the lesson menu add theirs after start-up)."""
        rows = list(SHORTCUTS)
        known = {keys.replace(" arrow", "") for keys, _ in rows}
        extra = []
        for action in self.findChildren(QAction):
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and keys not in known:
                known.add(keys)
                text = action.text().replace("&", "").rstrip("\u2026").strip()
                extra.append((keys, text))
        return rows + sorted(extra)

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>&nbsp;&nbsp;"
                       f"{html.escape(v)}</td></tr>" for k, v in self.shortcut_list())
        self._info("Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        self._info("About neuroviz",
                   f"<h3>neuroviz {__version__}</h3><p>See deep learning happen: build a "
                   "neural network layer by layer and watch every neuron, weight and loss "
                   "change live.</p><p>MIT licence. Datasets and their credits are listed "
                   "in the data panel.</p>")

    # ================================================================== applying
    def _apply_all(self, weights=None) -> None:
        """Load the dataset of the state, update every view, configure the worker."""
        settings = self.state.dataset
        try:
            ds = load_dataset_for(settings)
        except (DatasetError, ValueError) as exc:
            self._report(f"Could not load the dataset '{settings.name}': {exc}; "
                         "using the default")
            settings = DatasetSettings()
            ds = load_dataset_for(settings)
        self._dataset = ds
        self._applying = True
        try:
            self.state.set_dataset(settings, ds.n_features, ds.n_outputs,
                                   ds.output_activation, ds.loss)
        finally:
            self._applying = False
        self._refresh_controls()
        self._refresh_network_view()
        self._refresh_output_view()
        self._configure_worker(weights)

    def _configure_worker(self, weights=None) -> None:
        ds = self._dataset
        grid_points = grid_shape = None
        self._input_images = None
        if ds.kind == "2d":
            lo, hi = ds.extent
            xs = np.linspace(lo, hi, GRID_N)
            gx, gy = np.meshgrid(xs, xs)
            raw = np.column_stack([gx.ravel(), gy.ravel()])
            grid_points = ds.transform(raw)
            grid_shape = (GRID_N, GRID_N)
            self._input_images = np.ascontiguousarray(
                grid_points.T.reshape(ds.n_features, GRID_N, GRID_N), dtype=np.float32)
        self.network_view.clear_heatmaps()
        if self._input_images is not None:
            self.network_view.set_input_images(self._input_images)
        self.latest_snapshot = None
        self.worker.configure(ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, self.state.spec,
                              self.state.hyperparameters, self.state.seed, weights=weights,
                              grid_points=grid_points, grid_shape=grid_shape, task=ds.task)

    def apply_network(self, spec: dict, weights=None) -> None:
        """Used by undo commands: set the architecture (and optionally the weights)."""
        self.state.set_spec(spec)
        self._refresh_network_view()
        self._refresh_output_view()
        self.latest_snapshot = None
        self.worker.rebuild(self.state.spec, weights)

    def apply_weight(self, node_layer: int, i: int, j: int | None, value: float) -> None:
        """Used by undo commands: set one weight, or a bias when ``j`` is None."""
        if j is None:
            self.worker.set_bias(node_layer, i, value)
        else:
            self.worker.set_weight(node_layer, i, j, value)
        self.weight_edited.emit(node_layer, i, -1 if j is None else j, value)

    def _edit_network(self, op: str, layer: int | None = None, value=None) -> None:
        old = self.state.spec
        new = self.state.spec_with(op, layer, value)
        if new == old:
            self.statusBar().showMessage("That change is not possible here", 3000)
            return
        from neuroviz.engine import Network

        try:
            Network.from_spec(new, seed=0)
        except ValueError as exc:
            self._report(f"That network is not possible: {exc}")
            self._refresh_network_view()
            return
        texts = {"add_layer": "Add hidden layer", "remove_layer": "Remove hidden layer",
                 "add_neuron": f"Add neuron to layer {layer}",
                 "remove_neuron": f"Remove neuron from layer {layer}",
                 "activation": f"Set activation of layer {layer} to {value}"}
        snap = self.latest_snapshot
        old_weights = snap.weights if snap is not None and self._snapshot_matches_spec(snap) \
            else None
        self.undo_stack.push(NetworkEditCommand(self, texts[op], old, new, old_weights))

    def _on_weight_edited(self, k: int, i: int, j: int, value: float) -> None:
        """A weight (j >= 0) or bias (j == -1, i = neuron) typed on the canvas."""
        snap = self.latest_snapshot
        if snap is None or not math.isfinite(value):
            return
        W, b = snap.weights[k - 1]
        if j >= 0:
            old = float(W[i, j])
            text = f"Set weight {i + 1}\u2192{j + 1} of layer {k} to {value:g}"
            self.undo_stack.push(WeightEditCommand(self, text, k, i, j, old, value))
        else:
            old = float(b[i])
            text = f"Set bias of neuron {i + 1} in layer {k} to {value:g}"
            self.undo_stack.push(WeightEditCommand(self, text, k, i, None, old, value))

    def _on_state_changed(self, change: str) -> None:
        if self._applying:
            return
        if change == "hyperparameters":
            self.worker.set_hyperparameters(self.state.hyperparameters)
            self.toolbar.set_hyperparameters(self.state.hyperparameters)
            self.data_panel.batch_size.blockSignals(True)
            self.data_panel.batch_size.setValue(self.state.hyperparameters.batch_size)
            self.data_panel.batch_value.setText(str(self.state.hyperparameters.batch_size))
            self.data_panel.batch_size.blockSignals(False)
            self.divergence_banner.hide()
        elif change == "seed":
            self.worker.reset(self.state.seed)
        elif change == "dataset":
            self.undo_stack.clear()
            self.pause()
            self._refresh_controls()
            self._refresh_network_view()
            self._refresh_output_view()
            self._configure_worker()
        self._save_last_settings()

    def _refresh_controls(self) -> None:
        ds = self._dataset
        self.data_panel.set_settings(self.state.dataset, self.state.hyperparameters.batch_size)
        self.data_panel.set_counts(ds.n_train, ds.n_test)
        self.toolbar.set_hyperparameters(self.state.hyperparameters)
        self.toolbar.set_problem_type(ds.task)
        info = DATASETS.get(ds.name)
        self.controls.set_enabled("noise", bool(info is None or info.uses_noise))
        self.divergence_banner.hide()

    def _refresh_network_view(self) -> None:
        ds = self._dataset
        spec = self.state.spec
        sizes = [spec["inputs"]] + [layer["units"] for layer in spec["layers"]]
        activations = [layer["activation"] for layer in spec["layers"]]
        self.network_view.set_network(list(ds.feature_names), sizes, activations,
                                      _output_names(ds))
        if self._input_images is not None:
            self.network_view.set_input_images(self._input_images)
        self._probe = None

    def _refresh_output_view(self) -> None:
        self.output_view.set_dataset(self._dataset, self.state.spec)
        if self._dataset.kind != "2d":
            self._example = ("train", 0)
        else:
            self._example = None

    # ================================================================== worker results
    def _on_engine_ready(self) -> None:
        self._engine_ready = True
        self.engine_banner.hide()
        self.statusBar().showMessage("Engine ready", 3000)

    def _on_running_changed(self, running: bool) -> None:
        """The worker started or stopped training (play, "show me", pause, divergence...):
        the play button and the Training menu's action say what Space will do now."""
        self._running = running
        self.toolbar.set_running(running)
        self.action_play.setText("&Pause" if running else "&Play")
        tip = "Pause training" if running else "Start training"
        self.action_play.setToolTip(tip)
        self.action_play.setStatusTip(tip)
        if running:
            self.divergence_banner.hide()

    def _on_worker_failed(self, message: str) -> None:
        self._report(message)

    def _on_snapshot(self, snap, generation: int) -> None:
        if snap is not self.worker.latest:
            return  # a newer snapshot is already queued: draw only the newest
        if generation != self._generation:
            self._generation = generation
            if self._keep_history:
                self._keep_history = False
            else:
                self.state.clear_history(snap.metric_name)
        if not self._snapshot_matches_spec(snap):
            return
        self.latest_snapshot = snap
        if snap.diverged and snap.grid is not None and not all(
                np.isfinite(g).all() for g in snap.grid):
            import dataclasses

            snap = dataclasses.replace(snap, grid=None)  # draw nothing from NaNs
        self.state.record_rows(self.worker.take_history(generation), snap.metric_name)
        self.network_view.set_snapshot(snap)
        self.output_view.set_snapshot(snap)
        if self._dataset.kind != "2d":
            self._update_example(snap)
        self.charts.update_history(self.state.history, force=not self._running)
        self.toolbar.set_epoch(self.state.epoch_offset + snap.epoch)
        self._update_status(snap)
        if snap.diverged:
            self.divergence_banner.show_message(
                snap.message or "The loss became infinite: try a smaller learning rate.",
                action="Use a smaller learning rate")
        elif self.divergence_banner.isVisible():
            self.divergence_banner.hide()
        self._frames += 1
        self.snapshot_drawn.emit(snap)

    def _snapshot_matches_spec(self, snap) -> bool:
        spec = self.state.spec
        sizes = (spec["inputs"],) + tuple(layer["units"] for layer in spec["layers"])
        return tuple(snap.layer_sizes) == sizes

    def _update_status(self, snap) -> None:
        parts = [f"step {snap.step:,}", f"train loss {format_number(snap.train_loss)}"]
        if snap.test_loss is not None:
            parts.append(f"test loss {format_number(snap.test_loss)}")
        if self._running and self.worker.steps_per_second > 0:
            parts.append(f"{self.worker.steps_per_second:,.0f} steps/s")
        self.status_label.setText("   ".join(parts))

    def _update_example(self, snap) -> None:
        if self._example is None:
            return
        split, row = self._example
        X = self._dataset.X_train if split == "train" else self._dataset.X_test
        if not 0 <= row < len(X):
            return
        from neuroviz.engine import Network

        if self._probe is None:
            self._probe = Network.from_spec(self.state.spec, seed=0)
        try:
            self._probe.set_weights(snap.weights)
        except ValueError:
            return
        x = X[row:row + 1]
        values = [x[0]] + [a[0] for _, a in self._probe.forward_all(x)]
        self.network_view.set_example(values)

    def _on_example_selected(self, split: str, row: int) -> None:
        self._example = (split, int(row))
        if self.latest_snapshot is not None and self._dataset.kind != "2d":
            self._update_example(self.latest_snapshot)

    def _on_neuron_hovered(self, k: int, j: int) -> None:
        if k < 0:
            self.output_view.show_neuron_image(None)
            return
        image = self.network_view.neuron_image(k, j)
        title = "input " + self._dataset.feature_names[j] if k == 0 else \
            f"layer {k}, neuron {j + 1}"
        self.output_view.show_neuron_image(image, title)

    def _on_palette_changed(self, name: str) -> None:
        action = self.palette_actions.get(name)
        if action is not None:
            action.setChecked(True)
        self._settings.setValue("palette", name)
        if self.latest_snapshot is not None:
            self.output_view.set_snapshot(self.latest_snapshot)

    def _lower_learning_rate(self) -> None:
        lr = self.state.hyperparameters.learning_rate
        self.set_hyperparameters(learning_rate=max(lr / 10.0, 1e-5))
        self.reset()

    # ================================================================== files and dialogs
    def _open_dialog(self) -> None:
        if not self.confirm_discard("open another experiment"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", self._dialog_dir(),
                                              FILE_FILTER)
        if path:
            self.open_experiment(path)

    def _save(self) -> bool:
        if self._path is None:
            return self._save_as()
        return self.save_experiment(self._path)

    def _save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", self._dialog_dir(),
                                              FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".neuroviz.json"
        return self.save_experiment(path)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export image", self._dialog_dir(),
                                              "PNG images (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.export_image(path)

    def _dialog_dir(self) -> str:
        return str(self._path.parent) if self._path is not None else str(Path.home())

    def _update_title(self) -> None:
        name = self._path.name if self._path is not None else "untitled"
        self.setWindowTitle(f"{name} \u2014 neuroviz")

    def _report(self, message: str) -> None:
        """A problem that needs no dialog: status bar and the message banner."""
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        self.message_banner.show_message(message)

    def _error(self, title: str, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        self._message(QMessageBox.Icon.Warning, title, message)

    def _info(self, title: str, message: str) -> None:
        self._message(QMessageBox.Icon.Information, title, message)

    def _message(self, icon, title: str, text: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("message_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self._message_boxes.remove(b)
                             if b in self._message_boxes else None)
        self._message_boxes.append(box)
        box.open()  # window-modal, does not block the caller
        return box

    @property
    def open_message_boxes(self) -> list[QMessageBox]:
        return list(self._message_boxes)

    # ================================================================== settings
    def _fit_to_screen(self) -> None:
        """First start: use most of the screen, so the network has room beside the docks."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        width = max(min(int(area.width() * 0.92), 1920), min(1400, area.width()))
        height = max(min(int(area.height() * 0.92), 1200), min(860, area.height()))
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)

    def _restore_settings(self, restore_experiment: bool) -> None:
        s = self._settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._fit_to_screen()
        state = s.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        theme = s.value("theme", "light")
        self.set_theme(theme if theme in THEMES else "light")
        name = s.value("palette")
        if isinstance(name, str) and name in palettes.PALETTES:
            palettes.set_palette(name)
        action = self.palette_actions.get(palettes.current_palette().name)
        if action is not None:
            action.setChecked(True)
        if restore_experiment:
            text = s.value("last_experiment")
            if isinstance(text, str) and text:
                try:
                    self.state.load(experiment_from_dict(json.loads(text), check=True))
                except (ValueError, TypeError, ExperimentError):
                    pass  # unreadable last settings: start from the defaults

    def _save_last_settings(self) -> None:
        exp = self.state.experiment(None)
        exp.history.clear()
        self._settings.setValue("last_experiment", json.dumps(exp.to_dict()))

    def save_settings(self) -> None:
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.setValue("window_state", self.saveState())
        self._save_last_settings()
        self._settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.confirm_discard("quit"):
            event.ignore()
            return
        self.save_settings()
        self.worker.shutdown()
        for box in list(self._message_boxes):
            box.close()
        super().closeEvent(event)


def _output_names(ds) -> tuple[str, ...]:
    if ds.task == "regression":
        return (ds.target_name or "prediction",)
    if ds.n_outputs == 1 and len(ds.class_names) == 2:
        return (f"P({ds.class_names[1]})",)
    return tuple(ds.class_names)


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
    """The whole app: the playground window with explain mode, timeline, presenter mode,
    export (issue 4) and the lesson panel (issue 5) installed. ``kwargs`` go to MainWindow."""
    from neuroviz.app.explain.controller import install as install_explain
    from neuroviz.app.lessons.menu import install as install_lessons

    window = MainWindow(**kwargs)
    window.lesson_dirs = [Path(d) for d in lesson_dirs]
    install_explain(window)  # explain mode, gradient view, timeline, presenter, export
    install_lessons(window)  # lesson panel + Lessons menu; reads window.lesson_dirs
    # Start with the keyboard on the network canvas: a list (the lesson picker) that has
    # focus takes Space for its type-ahead search, and Space must mean play/pause.
    canvas = window.network_view.canvas
    canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    canvas.setFocus(Qt.FocusReason.OtherFocusReason)
    return window


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
