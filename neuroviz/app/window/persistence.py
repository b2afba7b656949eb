"""What the main window remembers between runs: geometry, docks, theme, palette and the
last experiment (in the app settings, see :mod:`neuroviz.app.window.settings`)."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QApplication

from neuroviz.app import palette as palettes
from neuroviz.app.window.themes import THEMES
from neuroviz.data.embedded import payload_chars
from neuroviz.experiment import ExperimentError, experiment_from_dict

#: Imported data larger than this is not remembered between runs (see _save_last_settings).
MAX_REMEMBERED_DATA_CHARS = 1_000_000


class RememberedSettingsMixin:
    """Restores and saves the window's settings (mixed into :class:`MainWindow`)."""

    def _fit_to_screen(self) -> None:
        """First start: use most of the screen, so the network has room beside the docks."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        # Small screens (1280x720, 1366x768) get all of it: the layout is made to fit them.
        width = max(min(int(area.width() * 0.92), 1920), min(1400, area.width()))
        height = max(min(int(area.height() * 0.92), 1200), min(860, area.height()))
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)

    def _fits_screen(self) -> bool:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return True
        area = screen.availableGeometry()
        return self.width() <= area.width() and self.height() <= area.height()

    def _restore_settings(self, restore_experiment: bool) -> None:
        s = self._settings
        geometry = s.value("geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
                and self._fits_screen()):
            # first start, or the last size does not fit this screen (a laptop's saved size
            # on a 1280x720 projector): use most of the screen instead
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
        self._saved_history_key = self._history_save_key()
        exp = self.state.experiment(None)
        exp.history.clear()
        if payload_chars(exp.dataset.data) > MAX_REMEMBERED_DATA_CHARS:
            # Large imported data is kept in saved experiments, not in the app settings
            # (written on every change): the next start begins with the default data.
            exp = type(exp)()
        self._settings.setValue("last_experiment", json.dumps(exp.to_dict()))

    def save_settings(self) -> None:
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.setValue("window_state", self.saveState())
        self._save_last_settings()
        self._settings.sync()
