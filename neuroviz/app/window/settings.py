"""Where the app remembers things (window geometry, theme, last experiment).

``NEUROVIZ_SETTINGS_FILE`` points the app at an INI file instead of the user's
settings store; the test suite sets it to a temporary file so tests never read or
write a real user's settings.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ORGANIZATION = "neuroviz"
APPLICATION = "neuroviz"
ENV_VAR = "NEUROVIZ_SETTINGS_FILE"


def app_settings() -> QSettings:
    """The settings store for this process (isolated when ``NEUROVIZ_SETTINGS_FILE`` is set)."""
    path = os.environ.get(ENV_VAR)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)
