"""The window's own menus (File, Edit, Training, View, Help) and the Help dialogs.

Features add their actions to these menus from the composition root
(:mod:`neuroviz.app.window.compose`), through the attributes set here: ``file_menu``,
``edit_menu``, ``training_menu``, ``view_menu`` and ``help_menu``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from neuroviz import __version__
from neuroviz.app import palette as palettes
from neuroviz.app.window.themes import THEMES

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


class MenusMixin:
    """Builds the main window's menu bar (mixed into :class:`MainWindow`)."""

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
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

        self.edit_menu = edit_menu = bar.addMenu("&Edit")
        edit_menu.setObjectName("menu_edit")
        self.action_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.action_undo.setObjectName("action_undo")
        self.action_undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.action_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.action_redo.setObjectName("action_redo")
        self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.action_undo)
        edit_menu.addAction(self.action_redo)

        self.training_menu = training = bar.addMenu("&Training")
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

        self.view_menu = view = bar.addMenu("&View")
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

        self.help_menu = help_menu = bar.addMenu("&Help")
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
