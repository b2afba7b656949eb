"""Colour-blind-safe palettes shared by every view.

A diverging palette maps negative values to one hue, positive values to another and values
near zero to a neutral grey, the way TensorFlow Playground colours weights and activations
(orange negative, blue positive). The same palette colours edges, neurons, heatmaps and the
output plot, so a student learns one colour code.

Each palette also carries a small categorical set for multi-class plots (Okabe-Ito colours,
safe for the common forms of colour blindness).

Usage::

    from neuroviz.app import palette
    pal = palette.current_palette()
    lut = pal.lut()                      # (256, 4) uint8 for pyqtgraph ImageItem.setLookupTable
    colour = pal.colour(-0.3, vmax=1.0)  # QColor
    palette.notifier.palette_changed.connect(my_slot)
    palette.set_palette("high_contrast")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

__all__ = [
    "PALETTES",
    "Palette",
    "PaletteNotifier",
    "class_colours",
    "class_swatch_html",
    "current_palette",
    "display_class_names",
    "palette_words",
    "notifier",
    "set_palette",
    "value_to_index",
]

# Okabe & Ito (2008) colours, the usual colour-blind-safe categorical set, ordered so that
# the first two match the binary orange/blue convention.
_OKABE_ITO = (
    "#e69f00",  # orange
    "#0072b2",  # blue
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#56b4e9",  # sky blue
    "#d55e00",  # vermillion
    "#f0e442",  # yellow
    "#000000",  # black
    "#999999",  # grey
    "#8c564b",  # brown (extra, for 10-class digits)
)


def _rgb(hex_colour: str) -> np.ndarray:
    c = QColor(hex_colour)
    return np.array([c.red(), c.green(), c.blue()], dtype=np.float64)


@dataclass(frozen=True)
class Palette:
    """A diverging palette: ``negative`` -> ``neutral`` -> ``positive``.

    Parameters
    ----------
    name : str
        Key in :data:`PALETTES`.
    title : str
        Human-readable name for menus.
    stops : tuple of str
        Colours from the most negative value (index 0) to the most positive one (last),
        evenly spaced; the middle stop is the colour of zero.
    classes : tuple of str
        Categorical colours for class labels.
    negative_name, positive_name : str
        What people call the two end colours ("orange", "blue"): texts that name the two
        classes of a binary problem by colour use these words (see
        :func:`display_class_names`).
    """

    name: str
    title: str
    stops: tuple[str, ...]
    classes: tuple[str, ...] = _OKABE_ITO
    negative_name: str = "orange"
    positive_name: str = "blue"
    _lut_cache: dict = field(default_factory=dict, compare=False, repr=False)

    # -- the three anchor colours ------------------------------------------------------
    @property
    def negative(self) -> QColor:
        return QColor(self.stops[0])

    @property
    def positive(self) -> QColor:
        return QColor(self.stops[-1])

    @property
    def neutral(self) -> QColor:
        return QColor(self.stops[len(self.stops) // 2])

    # -- lookup tables -----------------------------------------------------------------
    def lut(self) -> np.ndarray:
        """(256, 4) uint8 RGBA table: 0 = most negative, 127/128 = zero, 255 = most positive."""
        if "rgba" not in self._lut_cache:
            pts = np.array([_rgb(s) for s in self.stops])
            xs = np.linspace(0.0, 255.0, len(pts))
            idx = np.arange(256, dtype=np.float64)
            rgb = np.stack([np.interp(idx, xs, pts[:, c]) for c in range(3)], axis=1)
            out = np.empty((256, 4), dtype=np.uint8)
            out[:, :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
            out[:, 3] = 255
            out.setflags(write=False)
            self._lut_cache["rgba"] = out
        return self._lut_cache["rgba"]

    def lut32(self) -> np.ndarray:
        """(256,) uint32 table of opaque 0xAARRGGBB pixels for ``QImage.Format_RGB32`` buffers."""
        if "argb32" not in self._lut_cache:
            rgba = self.lut().astype(np.uint32)
            out = (0xFF << 24) | (rgba[:, 0] << 16) | (rgba[:, 1] << 8) | rgba[:, 2]
            out = out.astype(np.uint32)
            out.setflags(write=False)
            self._lut_cache["argb32"] = out
        return self._lut_cache["argb32"]

    # -- single values -----------------------------------------------------------------
    def colour(self, value: float, vmax: float = 1.0, alpha: int = 255) -> QColor:
        """Colour of ``value`` on a symmetric scale ``[-vmax, vmax]`` (clipped; NaN -> neutral)."""
        v = float(value)
        if v != v:  # NaN
            i = 127
        else:
            t = (v / max(float(vmax), 1e-12) + 1.0) * 127.5
            i = 0 if t <= 0.0 else 255 if t >= 255.0 else int(t)
        r, g, b, _ = self._rgba_tuples()[i]
        return QColor(r, g, b, alpha)

    def _rgba_tuples(self) -> list[tuple[int, int, int, int]]:
        if "tuples" not in self._lut_cache:
            self._lut_cache["tuples"] = [tuple(int(c) for c in row) for row in self.lut()]
        return self._lut_cache["tuples"]

    color = colour  # American spelling, for Qt-minded callers

    def class_colour(self, k: int, alpha: int = 255) -> QColor:
        """Categorical colour of class ``k`` (cycles after the table ends)."""
        c = QColor(self.classes[k % len(self.classes)])
        c.setAlpha(alpha)
        return c

    def class_rgb(self, n: int) -> np.ndarray:
        """(n, 3) uint8 RGB colours of classes ``0..n-1``.

        For two classes these are the diverging palette's ends (class 0 = negative colour,
        class 1 = positive colour), so a binary decision boundary and its points agree.
        """
        if n == 2:
            lut = self.lut()
            return np.array([lut[0, :3], lut[255, :3]], dtype=np.uint8)
        return np.array(
            [[self.class_colour(k).red(), self.class_colour(k).green(), self.class_colour(k).blue()]
             for k in range(n)],
            dtype=np.uint8,
        )

    def text_colour_on(self, value: float, vmax: float = 1.0) -> QColor:
        """Black or white, whichever reads better on ``colour(value, vmax)``."""
        c = self.colour(value, vmax)
        luminance = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()
        return QColor("#000000") if luminance > 0.5 else QColor("#ffffff")


def value_to_index(values: np.ndarray, vmax: float | np.ndarray = 1.0) -> np.ndarray:
    """Map values on ``[-vmax, vmax]`` to LUT indices 0..255 (uint8); NaN -> middle."""
    v = np.asarray(values, dtype=np.float64)
    scale = np.maximum(np.asarray(vmax, dtype=np.float64), 1e-12)
    t = (v / scale + 1.0) * 127.5
    t = np.nan_to_num(t, nan=127.5, posinf=255.0, neginf=0.0)
    return np.clip(t, 0.0, 255.0).astype(np.uint8)


PALETTES: dict[str, Palette] = {
    # TensorFlow Playground's orange / blue with a light grey middle: safe for deuteranopia,
    # protanopia and tritanopia (the two ends differ strongly in lightness as well as hue).
    "default": Palette(
        "default", "Orange / blue (default)",
        ("#e6750a", "#f5a64b", "#e8eaeb", "#5fa2d4", "#0a5fa3"),
    ),
    # For projectors, which wash out pale colours: darker, saturated ends, white middle.
    "high_contrast": Palette(
        "high_contrast", "High contrast (projector)",
        ("#b33c00", "#f07f1b", "#ffffff", "#2b7bd6", "#002e7a"),
    ),
    # ColorBrewer PuOr: the other classic colour-blind-safe diverging scheme.
    "purple_orange": Palette(
        "purple_orange", "Purple / orange",
        ("#b35806", "#f1a340", "#f7f7f7", "#998ec3", "#542788"),
        negative_name="orange", positive_name="purple",
    ),
    # Perceptually uniform and readable in greyscale print; not diverging around a grey zero.
    "viridis": Palette(
        "viridis", "Viridis (greyscale-safe)",
        ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"),
        negative_name="purple", positive_name="yellow",
    ),
}


class PaletteNotifier(QObject):
    """Emits ``palette_changed(name)`` when :func:`set_palette` switches the palette."""

    palette_changed = Signal(str)


notifier = PaletteNotifier()
_current = ["default"]


def current_palette() -> Palette:
    """The palette every view should draw with right now."""
    return PALETTES[_current[0]]


def set_palette(name: str) -> Palette:
    """Switch the palette everywhere; unknown names raise ``ValueError`` listing the choices."""
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r} (choose from {', '.join(PALETTES)})")
    if name != _current[0]:
        _current[0] = name
        notifier.palette_changed.emit(name)
    return PALETTES[name]


#: The data layer's names of the two classes of the binary 2-D sets: the default palette's
#: colour words. Texts show them with :func:`display_class_names`, so they follow the palette.
COLOUR_CLASS_NAMES = ("orange", "blue")


def display_class_names(names, palette: Palette | None = None) -> list[str]:
    """Class names as texts should show them: the binary classes named after the default
    palette's colours ("orange", "blue") take the current palette's colour words (e.g.
    "purple", "yellow" for viridis); other names are kept."""
    names = [str(n) for n in names]
    pal = palette or current_palette()
    if tuple(n.lower() for n in names) == COLOUR_CLASS_NAMES:
        return [pal.negative_name, pal.positive_name]
    return names


def class_colours(n: int, palette: Palette | None = None) -> list[QColor]:
    """The colour of each of ``n`` classes, as points and boundaries draw them."""
    pal = palette or current_palette()
    return [QColor(int(r), int(g), int(b)) for r, g, b in pal.class_rgb(max(n, 2))[:n]]


def class_swatch_html(k: int, n: int, palette: Palette | None = None) -> str:
    """Rich text: a square in the colour of class ``k`` of ``n`` (a swatch, not a word)."""
    colour = class_colours(n, palette)[k].name()
    return f'<span style="color:{colour}; font-size:large;">\u25a0</span>'


_COLOUR_WORDS = re.compile(r"\b(?:(an?|An?) )?(orange|blue|Orange|Blue)\b")


def palette_words(text: str, palette: Palette | None = None) -> str:
    """``text`` with the default palette's colour words ("blue", "orange", as the data's
    descriptions use them) replaced by the current palette's, articles fixed:
    "A blue disc inside an orange ring" -> "A yellow disc inside a purple ring"."""
    pal = palette or current_palette()

    def swap(match: re.Match) -> str:
        article, word = match.group(1), match.group(2)
        new = pal.positive_name if word.lower() == "blue" else pal.negative_name
        if word[0].isupper():
            new = new[0].upper() + new[1:]
        if article is None:
            return new
        wanted = "an" if new[0].lower() in "aeiou" else "a"
        if article[0].isupper():
            wanted = wanted.capitalize()
        return f"{wanted} {new}"

    return _COLOUR_WORDS.sub(swap, text)
