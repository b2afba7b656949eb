"""The one error an export raises (a ValueError, so callers that catch those keep working)."""

from __future__ import annotations


class ExportError(ValueError):
    """A network cannot be exported as asked; the message says why and what to do."""
