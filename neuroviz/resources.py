"""Find the shipped ``assets/`` and ``lessons/`` folders.

In a checkout (or an editable install) they sit at the repository's top level,
beside the ``neuroviz`` package. A wheel carries them inside the package as
``neuroviz/_assets`` and ``neuroviz/_lessons`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(installed_name: str, checkout_name: str) -> Path:
    installed = _PACKAGE_DIR / installed_name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / checkout_name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"neuroviz cannot find its '{checkout_name}' folder (looked in {installed} and "
        f"{checkout}); the installation is incomplete, reinstall with 'pip install .'"
    )


def assets_dir() -> Path:
    """The folder of shipped data files, icons and images."""
    return _locate("_assets", "assets")


def lessons_dir() -> Path:
    """The folder of shipped lesson files."""
    return _locate("_lessons", "lessons")


def asset_path(*parts: str) -> Path:
    """Path of one shipped asset, e.g. ``asset_path("penguins", "penguins.csv")``."""
    path = assets_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"missing shipped asset: {path}")
    return path
