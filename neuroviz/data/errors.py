"""The one exception type of :mod:`neuroviz.data`."""

from __future__ import annotations


class DatasetError(ValueError):
    """Bad dataset request or unreadable data file.

    The message says what was wrong and, for files, names the file (and the line
    when there is one), so the GUI can show it to the user as it is.
    """
