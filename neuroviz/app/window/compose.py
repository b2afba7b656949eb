"""The composition root: every feature of the playground, created and wired in one place.

:func:`compose` runs once, at the end of the :class:`MainWindow` constructor. It creates
explain mode, the gradient view, the own-data tools and the sketch pad (Data menu), the
training timeline, run comparison, presenter mode, export and the lesson panel with its
Lessons menu; hands each what it needs (the window's
experiment state, worker, views and signals, and other features' public objects); connects
their signals to each other; and puts their actions into the window's menus. Features never
look each other up: what one feature needs from another is passed here.

The parts become attributes of the window: ``explain``, ``gradients``, ``timeline``,
``runs``, ``presenter``, ``exporter``, ``lesson_panel``, the views that look inside the
network (``neuron_response``, ``saliency_view``, ``loss_surface``, ``weight_images``, each in a
dock of ``inspector_docks``) and the ``param_count`` label, the docks ``timeline_dock`` and
``lesson_dock``, the ``gradient_box`` switch and the feature actions (``action_explain``,
``action_gradient_view``, ``action_clear_runs``, ``action_compare_runs``,
``action_presenter``, ``action_leave_presenter``), the sketch pad ``sketch`` with the
``data_menu`` and ``action_draw_example``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QDockWidget, QMenu, QVBoxLayout, QWidget

from neuroviz.app.classroom.exporter import Exporter
from neuroviz.app.classroom.presenter import PresenterMode
from neuroviz.app.data.drawing import DrawingController
from neuroviz.app.data.importing import DataImport
from neuroviz.app.data.sketch import SketchController
from neuroviz.app.explain.controller import ExplainController
from neuroviz.app.explain.gradients import GradientController
from neuroviz.app.lessons.menu import build_lessons_menu
from neuroviz.app.lessons.panel import LessonPanel
from neuroviz.app.lessons.store import LessonLibrary
from neuroviz.app.network.param_count import ParamCountLabel
from neuroviz.app.output.loss_surface import LossSurfaceView
from neuroviz.app.output.neuron_response import NeuronResponseView
from neuroviz.app.output.saliency import SaliencyView
from neuroviz.app.output.weight_images import WeightImagesView
from neuroviz.app.timeline.runs import RunComparison
from neuroviz.app.timeline.view import TimelineController
from neuroviz.app.training.best_weights import BestWeightsController
from neuroviz.app.window.keys import install_control_keys

__all__ = ["compose"]


def compose(window, lesson_dirs: Iterable[str | Path] = (),
            progress_path: str | Path | None = None) -> None:
    """Create and connect every feature of ``window`` (a MainWindow, built up to its views,
    worker and own menus). ``lesson_dirs`` are teachers' lesson folders for this run;
    ``progress_path`` is the lesson progress file (default: see ``lessons.store``)."""
    _compose_explain(window)
    _compose_own_data(window)
    _compose_sketch(window)
    _compose_timeline(window)
    _compose_best_weights(window)
    _compose_export(window)
    _compose_presenter(window)
    _compose_inspectors(window)
    _compose_lessons(window, lesson_dirs, progress_path)
    _register_controls(window)
    window.control_keys = install_control_keys(window)  # sliders keep their arrow keys
    # Start with the keyboard on the network canvas: a list (the lesson picker) that has
    # focus takes Space for its type-ahead search, and Space must mean play/pause.
    canvas = window.network_view.canvas
    canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    canvas.setFocus(Qt.FocusReason.OtherFocusReason)


def _action(window, menu, name: str, text: str, shortcut, slot, tip: str,
            checkable: bool = False) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setCheckable(checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip)
    action.setStatusTip(tip)
    (action.toggled if checkable else action.triggered).connect(slot)
    if menu is not None:
        menu.addAction(action)
    window.addAction(action)  # shortcuts keep working with the menu bar hidden (presenter)
    return action


def _compose_explain(w) -> None:
    """Explain mode (Training › Explain One Example, E) and the gradient view (View ›
    Gradient View, G, and a switch on the timeline dock)."""
    w.explain = ExplainController(w)
    w.gradients = GradientController(w, w.explain)
    w.training_menu.addSeparator()
    w.action_explain = _action(
        w, w.training_menu, "action_explain", "&Explain One Example", "E",
        lambda *_: w.explain.start(),
        "Step through the forward pass, backpropagation and the update for the selected "
        "example, with the real numbers")
    w.view_menu.addSeparator()
    w.action_gradient_view = _action(
        w, w.view_menu, "action_gradient_view", "&Gradient View", "G", w.gradients.set_on,
        "Colour edges by their gradient while training; chart per-layer gradient norms",
        checkable=True)
    w.gradient_box = QCheckBox("Gradient view")
    w.gradient_box.setObjectName("gradient_view")
    w.gradient_box.setToolTip("Colour and size the connections by their gradient dL/dw while "
                              "training, and chart each layer's gradient size (G)")
    w.gradient_box.toggled.connect(w.action_gradient_view.setChecked)

    def sync(on: bool) -> None:
        for control in (w.gradient_box, w.action_gradient_view):
            control.blockSignals(True)
            control.setChecked(on)
            control.blockSignals(False)

    w.gradients.toggled.connect(sync)


def _compose_own_data(w) -> None:
    """File › Import Data…, Import Image Folder… and Draw Data, before Export Image; the
    drawing toolbar at the top while drawing."""
    w.drawing = DrawingController(w, w.output_view.plot, w.output_view.set_examples_visible)
    w.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, w.drawing.toolbar)
    w.data_import = DataImport(w)
    before = w.action_export
    actions = [
        _action(w, None, "action_import_data", "&Import Data\u2026", "Ctrl+I",
                lambda *_: w.data_import.import_table(),
                "Train on your own table: a CSV file with a header row"),
        _action(w, None, "action_import_images", "Import Image &Folder\u2026", None,
                lambda *_: w.data_import.import_images(),
                "Train on your own pictures: a folder with one subfolder of PNG images per "
                "class"),
        _action(w, None, "action_draw_data", "&Draw Data", "D",
                lambda on: w.drawing.start() if on else w.drawing.stop(),
                "Draw your own points on the plane: a brush per class, an eraser, and drag "
                "points while the network trains", checkable=True),
    ]
    w.action_import_data, w.action_import_images, w.action_draw_data = actions
    for action in actions:
        w.file_menu.insertAction(before, action)
    w.file_menu.insertSeparator(before)

    def sync(on: bool) -> None:
        w.action_draw_data.blockSignals(True)
        w.action_draw_data.setChecked(on)
        w.action_draw_data.blockSignals(False)

    w.drawing.drawing_toggled.connect(sync)

    def data_changed(change: str) -> None:  # another dataset or experiment ends drawing
        if w.drawing.active and w.state.dataset.name != "drawn":
            w.drawing.cancel()

    w.state.subscribe(data_changed)


def _compose_sketch(w) -> None:
    """The Data menu (before Training): Draw an Example… (Ctrl+Shift+D) opens the sketch
    pad for image data, as does the output panel's "Draw Your Own…" button; the menu also
    holds the own-data actions of the File menu."""
    w.sketch = SketchController(w)
    w.data_menu = QMenu("&Data", w)
    w.data_menu.setObjectName("menu_data")
    w.menuBar().insertMenu(w.training_menu.menuAction(), w.data_menu)
    w.action_draw_example = _action(
        w, w.data_menu, "action_draw_example", "Draw an &Example\u2026", "Ctrl+Shift+D",
        lambda *_: w.sketch.open(),
        "Draw an image with the mouse and watch the network's answer (and its forward pass "
        "on the canvas) change as you draw; for image data (digits, strokes, shapes, image "
        "folders)")
    w.data_menu.addSeparator()
    for action in (w.action_import_data, w.action_import_images, w.action_draw_data):
        w.data_menu.addAction(action)
    w.data_menu.addSeparator()
    w.data_menu.addAction(w.data_dock.toggleViewAction())
    w.output_view.draw_requested.connect(w.sketch.open)
    w.output_view.set_draw_available(True)


def _compose_timeline(w) -> None:
    """The timeline dock at the bottom (epoch slider, Live, Resume, the gradient-view switch)
    and run comparison on the loss chart (View › Clear Earlier Runs, Keep Earlier Runs)."""
    w.timeline = TimelineController(w)
    w.runs = RunComparison(w)
    box = QWidget()
    box.setObjectName("timeline_box")
    w.timeline.view.row.insertWidget(0, w.gradient_box)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(w.timeline.view)
    w.timeline_dock = QDockWidget("Timeline", w)
    w.timeline_dock.setObjectName("timeline_dock")
    w.timeline_dock.setWidget(box)
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, w.timeline_dock)

    w.action_clear_runs = _action(
        w, w.view_menu, "action_clear_runs", "Clear &Earlier Runs", None, w.runs.clear,
        "Remove earlier runs' loss curves from the chart")

    def set_compare(on: bool) -> None:
        w.runs.enabled = bool(on)

    w.action_compare_runs = _action(
        w, w.view_menu, "action_compare_runs", "&Keep Earlier Runs on the Chart", None,
        set_compare, "Keep each run's loss curve when you reset, to compare runs",
        checkable=True)
    w.action_compare_runs.setChecked(True)
    w.view_menu.addAction(w.timeline_dock.toggleViewAction())
    w.view_menu.addSeparator()


def _compose_best_weights(w) -> None:
    """Early stopping and Restore Best Weights: in the Training menu, and a switch and a
    button on the timeline dock (beside going back in time by hand)."""
    w.best_weights = BestWeightsController(w)
    w.best_weights.add_to_menu(w.training_menu)
    w.action_early_stopping = w.best_weights.action_early_stopping
    w.action_restore_best = w.best_weights.action_restore_best
    row = w.timeline.view.row
    row.insertWidget(row.count(), w.best_weights.switch)
    row.insertWidget(row.count(), w.best_weights.button)


def _compose_presenter(w) -> None:
    """Presenter mode (View › Presenter Mode, F5; Escape leaves): explain mode's panel and the
    gradient chart scale with it, and explain mode makes room while presenting."""
    w.presenter = PresenterMode(w, side_panels=[w.explain.panel, w.gradients.chart])
    w.explain.presenting = lambda: w.presenter.active
    w.presenter.toggled.connect(lambda _on: w.explain.update_compact())
    w.action_presenter = _action(
        w, w.view_menu, "action_presenter", "&Presenter Mode", "F5", w.presenter.toggle,
        "Full screen, large and high-contrast, for a projector (F5 or Escape to leave)")
    w.action_leave_presenter = _action(
        w, None, "action_leave_presenter", "Leave Presenter Mode", "Escape",
        w.presenter.exit, "Leave presenter mode")
    # Only while presenting: Escape must stay free for editors and dialogs otherwise.
    w.action_leave_presenter.setEnabled(False)
    w.presenter.toggled.connect(w.action_leave_presenter.setEnabled)


def _compose_export(w) -> None:
    """File › Export (pictures, clipboard, GIF recording), right after Export Image."""
    w.exporter = Exporter(w)
    actions = w.file_menu.actions()
    position = actions.index(w.action_export) + 1
    if position < len(actions):
        w.file_menu.insertMenu(actions[position], w.exporter.menu)
    else:
        w.file_menu.addMenu(w.exporter.menu)


def _compose_lessons(w, lesson_dirs, progress_path) -> None:
    """The lesson panel on the right, told about explain mode and the gradient view, and the
    Lessons menu before Help."""
    w.lesson_dirs = [Path(d) for d in lesson_dirs]
    library = LessonLibrary(w.lesson_dirs, progress_path=progress_path)
    panel = LessonPanel(w, library, explain=w.explain, timeline=w.timeline,
                        saliency=w.saliency_view, neurons=w.neuron_response)
    panel.add_event_source(w.explain.event_happened)
    panel.add_event_source(w.gradients.event_happened)
    panel.add_event_source(w.best_weights.event_happened)
    panel.add_event_source(w.saliency_view.event_happened)
    w.lesson_dock = w.add_side_panel(panel, "Lessons", "lesson_dock")
    panel.dock = w.lesson_dock
    w.lesson_panel = panel
    # Inside a lesson the loss chart compares only the lesson's own runs.
    panel.lesson_opened.connect(w.runs.set_context)
    panel.lesson_closed.connect(lambda: w.runs.set_context(None))
    # a running lesson stays in view when explain mode opens beside it
    w.side_panel_pinned = lambda dock: (dock is w.lesson_dock
                                        and getattr(panel, "lesson", None) is not None)
    w.lessons_menu = build_lessons_menu(panel, w.lesson_dock, w)
    w.menuBar().insertMenu(w.help_menu.menuAction(), w.lessons_menu)
    if library.problems:
        w.statusBar().showMessage(
            f"{len(library.problems)} problem(s) in lesson files: see the Lessons panel", 8000)


def _compose_inspectors(w) -> None:
    """Views that look inside the network, each in a dock opened from the View menu (and by
    lessons): neuron response, saliency, loss surface, weight images; and the parameter
    count beside the network's layer buttons."""
    w.param_count = ParamCountLabel(w.state)
    nv = w.network_view
    nv.top_row.insertWidget(nv.top_row.indexOf(nv.layers_label) + 1, w.param_count)
    w.param_count.text_changed.connect(w.network_view.fit_top_bar)
    w.neuron_response = NeuronResponseView(w)
    w.saliency_view = SaliencyView(w)
    w.loss_surface = LossSurfaceView(w)
    w.weight_images = WeightImagesView(w)
    w.inspector_docks = []
    w.view_menu.addSeparator()
    for view, title, name, key in (
            (w.neuron_response, "Neuron Response", "neuron_response_dock", "Ctrl+Alt+N"),
            (w.saliency_view, "Saliency", "saliency_dock", "Ctrl+Alt+S"),
            (w.loss_surface, "Loss Surface", "loss_surface_dock", "Ctrl+Alt+L"),
            (w.weight_images, "Weight Images", "weight_images_dock", "Ctrl+Alt+W")):
        dock = QDockWidget(title, w)
        dock.setObjectName(name)
        dock.setWidget(view)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        action = dock.toggleViewAction()
        action.setObjectName(f"action_{name.removesuffix('_dock')}")
        action.setShortcut(QKeySequence(key))
        w.view_menu.addAction(action)
        w.addAction(action)

        def show(dock=dock) -> None:
            dock.show()
            dock.raise_()

        view.open_requested.connect(show)
        w.inspector_docks.append(dock)


def _register_controls(w) -> None:
    """The features' controls that lessons and presenter mode address by ID."""
    w.controls.register(
        w.explain.panel, w.explain.dock, w.action_explain,
        w.gradient_box, w.gradients.chart, w.gradients.dock, w.action_gradient_view,
        w.timeline.view, w.timeline_dock, w.action_clear_runs, w.action_compare_runs,
        w.action_presenter, w.action_leave_presenter, w.presenter.bar,
        w.best_weights.switch, w.best_weights.button, w.action_early_stopping,
        w.action_restore_best,
        w.exporter.action_record, w.lesson_panel, w.lesson_dock, w.param_count,
        w.neuron_response, w.saliency_view, w.loss_surface, w.weight_images,
        w.action_import_data, w.action_import_images, w.action_draw_data, w.drawing.toolbar,
        w.action_draw_example, w.output_view.draw_button, w.sketch.pad, w.sketch.dialog,
        *w.inspector_docks, *(dock.toggleViewAction() for dock in w.inspector_docks))
