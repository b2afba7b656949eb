"""Finding and caching shipped data files."""

from __future__ import annotations

from pathlib import Path

from .. import resources
from .errors import DatasetError


def shipped_file(*parts: str) -> Path:
    """Path of a shipped asset; a missing file is a DatasetError naming it."""
    try:
        return resources.asset_path(*parts)
    except FileNotFoundError as exc:
        raise DatasetError(
            f"missing data file {'/'.join(('assets',) + parts)}: {exc}; "
            "the installation is incomplete, reinstall neuroviz"
        ) from exc


def file_key(path: Path) -> tuple[str, int, int]:
    """Cache key that changes when the file changes."""
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)
