"""Light and dark themes: a Fusion QPalette for widgets and matching chart colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")


@dataclass(frozen=True)
class ChartColours:
    background: str
    foreground: str
    grid_alpha: float
    train: str
    test: str
    metric_train: str
    metric_test: str


CHART_COLOURS = {
    # Okabe-Ito blue / orange / bluish green / vermillion, readable on both backgrounds.
    "light": ChartColours("#ffffff", "#333333", 0.25, "#0072b2", "#e69f00", "#009e73", "#cc79a7"),
    "dark": ChartColours("#1f2125", "#dddddd", 0.2, "#56b4e9", "#e69f00", "#3ccf9a", "#e08fc0"),
}

BANNER_STYLES = {
    ("light", "error"): "background:#fdecea; color:#7a1a12; border:1px solid #e5a49c;",
    ("dark", "error"): "background:#4a1f1c; color:#ffd9d4; border:1px solid #8a3b33;",
    ("light", "info"): "background:#e8f1fb; color:#12395e; border:1px solid #9cc0e5;",
    ("dark", "info"): "background:#1c3046; color:#d6e8fb; border:1px solid #3a5f87;",
}


def _palette(theme: str) -> QPalette:
    pal = QPalette()
    if theme == "dark":
        colours = {
            QPalette.ColorRole.Window: "#2b2d31",
            QPalette.ColorRole.WindowText: "#e6e6e6",
            QPalette.ColorRole.Base: "#1f2125",
            QPalette.ColorRole.AlternateBase: "#2f3237",
            QPalette.ColorRole.ToolTipBase: "#3a3d42",
            QPalette.ColorRole.ToolTipText: "#f0f0f0",
            QPalette.ColorRole.Text: "#e6e6e6",
            QPalette.ColorRole.Button: "#35383d",
            QPalette.ColorRole.ButtonText: "#e6e6e6",
            QPalette.ColorRole.BrightText: "#ff6b6b",
            QPalette.ColorRole.Link: "#56b4e9",
            QPalette.ColorRole.Highlight: "#2f6ea5",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.PlaceholderText: "#8a8d93",
        }
        for role, colour in colours.items():
            pal.setColor(role, QColor(colour))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                     QPalette.ColorRole.WindowText):
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#75787d"))
    else:
        colours = {
            QPalette.ColorRole.Window: "#f3f4f6",
            QPalette.ColorRole.WindowText: "#1d1f23",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f0f1f3",
            QPalette.ColorRole.ToolTipBase: "#ffffdc",
            QPalette.ColorRole.ToolTipText: "#1d1f23",
            QPalette.ColorRole.Text: "#1d1f23",
            QPalette.ColorRole.Button: "#e9eaee",
            QPalette.ColorRole.ButtonText: "#1d1f23",
            QPalette.ColorRole.Link: "#0b62a4",
            QPalette.ColorRole.Highlight: "#2f7fd0",
            QPalette.ColorRole.HighlightedText: "#ffffff",
        }
        for role, colour in colours.items():
            pal.setColor(role, QColor(colour))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                     QPalette.ColorRole.WindowText):
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#9a9ca1"))
    return pal


def apply_theme(theme: str, app: QApplication | None = None) -> None:
    """Set the Fusion style and the theme's palette on the application."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r} (choose from {', '.join(THEMES)})")
    app = app or QApplication.instance()
    if app is None:
        return
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(_palette(theme))
