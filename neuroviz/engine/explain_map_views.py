"""The views of explain mode's steps on image maps (Qt-free): what to draw and the equation
at any focus position.

A :class:`MapView` belongs to one micro-step (a filter of a convolution, a channel of a
pool, a flatten); it lists the :class:`Grid` s to draw (input map with its zero padding,
filter, output map filling in), the :class:`Mark` s at a focus position (the window, the
value in focus, a pooling window's maximum) and the equation there with the real numbers.
:mod:`neuroviz.engine.explain_maps` builds them; the app's explain panel draws them. This
module holds the model, the window geometry and the forward views;
:mod:`neuroviz.engine.explain_map_grads` the backward and update views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroviz.engine.explain_steps import DOT, _activation_lines, _join_sum, _p, fmt, sub

__all__ = ["ConvView", "FlattenView", "Geometry", "Grid", "InputView", "MapView", "Mark",
           "PoolView", "conv_geometry", "pool_geometry"]

#: A window's multiply-and-add is written out in full up to this many terms.
WINDOW_TERMS = 12
D = "\u2202"
SIGMA = "\u03a3"
TIMES = "\u00d7"


# ------------------------------------------------------------------------------- the view model
@dataclass(frozen=True)
class Grid:
    """One 2-D grid of numbers to draw: an input channel, a filter, an output map, a gradient.

    ``values`` may hold NaN where nothing is computed yet (the output map filling in).
    ``pad`` (top, left, bottom, right) counts the zero-padding rows and columns included in
    ``values`` around the image. Grids with the same ``column`` are stacked in one column of
    the drawing; ``role`` is "value", "weight" or "gradient" (how to colour it).
    """

    title: str
    values: np.ndarray
    column: int = 0
    role: str = "value"
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True)
class Mark:
    """A highlighted cell of grid ``grid``: "window" (the cells the window covers), "focus"
    (the value being computed) or "max" (the window's maximum)."""

    grid: int
    row: int
    col: int
    style: str


def _rc(i: int, j: int) -> str:
    return f"(row {i + 1}, col {j + 1})"


def _terms(parts: list[str], limit: int = WINDOW_TERMS) -> str:
    """Terms joined by +, shortened to the first few and the last two beyond ``limit``."""
    if len(parts) > limit:
        parts = parts[:4] + ["\u2026"] + parts[-2:]
    return _join_sum(parts)


def _count(n: int, limit: int = WINDOW_TERMS) -> str:
    return f"   ({n} terms)" if n > limit else ""


class MapView:
    """The sliding-window view of one micro-step: grids, marks and the equation at any focus
    position. Positions are tuples over :attr:`shape` (row-major order for next/previous)."""

    op = ""

    def __init__(self, shape: tuple[int, ...], what: str = "position") -> None:
        self.shape = tuple(int(n) for n in shape)
        self.what = what
        self.start = (0,) * len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def index_of(self, pos: tuple[int, ...]) -> int:
        return int(np.ravel_multi_index(tuple(pos), self.shape))

    def position(self, index: int) -> tuple[int, ...]:
        index = max(0, min(int(index), self.size - 1))
        return tuple(int(v) for v in np.unravel_index(index, self.shape))

    def moved(self, pos: tuple[int, ...], delta: int) -> tuple[int, ...]:
        """The position ``delta`` steps on in reading order (clamped to the ends)."""
        return self.position(self.index_of(pos) + delta)

    def valid(self, pos: Any) -> bool:
        return (isinstance(pos, tuple) and len(pos) == len(self.shape)
                and all(0 <= p < n for p, n in zip(pos, self.shape)))

    def position_text(self, pos: tuple[int, ...]) -> str:
        i, j = pos[0], pos[1]
        extra = f", channel {pos[2] + 1}" if len(pos) > 2 else ""
        return (f"{self.what.capitalize()} {_rc(i, j)}{extra}: {self.index_of(pos) + 1} of "
                f"{self.size}")

    # subclasses -------------------------------------------------------------------------
    def grids(self, pos: tuple[int, ...]) -> list[Grid]:
        raise NotImplementedError

    def marks(self, pos: tuple[int, ...]) -> list[Mark]:
        raise NotImplementedError

    def lines(self, pos: tuple[int, ...]) -> tuple[str, ...]:
        raise NotImplementedError

    def values(self, pos: tuple[int, ...]) -> dict[str, float]:
        raise NotImplementedError

    def pick(self, grid: int, row: int, col: int) -> tuple[int, ...] | None:
        """The focus position a click on cell (row, col) of grid ``grid`` selects (or None)."""
        return None

    def unit(self, pos: tuple[int, ...]) -> tuple[int, int] | None:
        """The value in focus on the network canvas: (column offset, unit), the offset 0 for
        the step's own column, −1 for the column before; the unit is the value's index in
        that column (row-major, channels last). None: the whole layer."""
        return None


def _box(grid: int, r0: int, c0: int, rows: int, cols: int, style: str = "window"):
    return [Mark(grid, r, c, style) for r in range(r0, r0 + rows) for c in range(c0, c0 + cols)]


def _filling(values: np.ndarray, pos: tuple[int, int]) -> np.ndarray:
    """``values`` with the positions after ``pos`` (reading order) not computed yet (NaN)."""
    out = np.array(values, dtype=np.float64)
    flat = out.reshape(-1)
    flat[pos[0] * out.shape[1] + pos[1] + 1:] = np.nan
    return out


def _channel(c: int, n: int) -> str:
    return f" ch {c + 1}" if n > 1 else ""


def _ch(c: int, n: int) -> str:
    """A short channel tag for grid titles (the grids are small)."""
    return f" ch{c + 1}" if n > 1 else ""


# ------------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Geometry:
    """Where a window sits: input (H, W, C), window (kh, kw), stride, padding (top, left,
    bottom, right) and output (Ho, Wo). Pooling: no padding, stride = window."""

    H: int
    W: int
    C: int
    kh: int
    kw: int
    stride: int
    pad: tuple[int, int, int, int]
    Ho: int
    Wo: int

    def padded(self, x: np.ndarray) -> np.ndarray:
        pt, pl, pb, pr = self.pad
        out = np.zeros((self.H + pt + pb, self.W + pl + pr, self.C))
        out[pt:pt + self.H, pl:pl + self.W] = x
        return out

    def origin(self, i: int, j: int) -> tuple[int, int]:
        """Top-left cell of the window at output position (i, j), in padded coordinates."""
        return i * self.stride, j * self.stride

    def centred(self, r: int, c: int) -> tuple[int, int]:
        """The output position whose window is centred nearest padded cell (r, c)."""
        i = round((r - (self.kh - 1) / 2) / self.stride)
        j = round((c - (self.kw - 1) / 2) / self.stride)
        return min(max(i, 0), self.Ho - 1), min(max(j, 0), self.Wo - 1)


def conv_geometry(layer) -> Geometry:
    """The geometry of a conv2d layer from its spec (the brief's SAME_UPPER padding)."""
    spec = layer.spec()
    H, W, C = layer.in_shape
    Ho, Wo, _ = layer.out_shape
    k = int(spec.get("kernel", 3))
    s = int(spec.get("stride", 1))
    if spec.get("padding", "valid") == "same":
        th = max((Ho - 1) * s + k - H, 0)
        tw = max((Wo - 1) * s + k - W, 0)
        pad = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
    else:
        pad = (0, 0, 0, 0)
    return Geometry(H, W, C, k, k, s, pad, Ho, Wo)


def pool_geometry(layer) -> Geometry:
    H, W, C = layer.in_shape
    if layer.kind.startswith("global"):
        return Geometry(H, W, C, H, W, max(H, W), (0, 0, 0, 0), 1, 1)
    size = int(layer.spec().get("size", 2))
    return Geometry(H, W, C, size, size, size, (0, 0, 0, 0), H // size, W // size)


# ------------------------------------------------------------------------------- forward views
class InputView(MapView):
    """The input image, channel by channel."""

    op = "input"

    def __init__(self, x: np.ndarray) -> None:
        super().__init__(x.shape[:2], "pixel")
        self.x = x

    def grids(self, pos):
        C = self.x.shape[2]
        return [Grid(f"Input{_channel(c, C)}", self.x[:, :, c], 0) for c in range(C)]

    def marks(self, pos):
        return [Mark(c, pos[0], pos[1], "focus") for c in range(self.x.shape[2])]

    def lines(self, pos):
        H, W, C = self.x.shape
        i, j = pos
        vals = "  ".join(f"x{_channel(c, C)} = {fmt(self.x[i, j, c])}" for c in range(C))
        return (f"An image of {H}{TIMES}{W} pixels, {C} channel{'s' if C > 1 else ''}",
                f"{_rc(i, j)}: {vals}")

    def values(self, pos):
        return {f"x{c}": self.x[pos[0], pos[1], c] for c in range(self.x.shape[2])}

    def unit(self, pos):
        H, W, C = self.x.shape
        return 0, (pos[0] * W + pos[1]) * C

    def pick(self, grid, row, col):
        return (row, col)


class ConvView(MapView):
    """Forward: the window at the focus position times filter ``f``, plus the bias."""

    op = "conv"

    def __init__(self, g: Geometry, x: np.ndarray, K: np.ndarray, bias: np.ndarray,
                 z: np.ndarray, a: np.ndarray, f: int, activation: str) -> None:
        super().__init__((g.Ho, g.Wo))
        self.g, self.xp, self.K, self.bias = g, g.padded(x), K, bias
        self.z, self.a, self.f, self.activation = z, a, f, activation

    def grids(self, pos):
        g, f = self.g, self.f
        out = [Grid(f"Input{_ch(c, g.C)}", self.xp[:, :, c], 0, "value", g.pad)
               for c in range(g.C)]
        out += [Grid(f"Filter {f + 1}" if g.C == 1 else f"F{f + 1}{_ch(c, g.C)}",
                     self.K[:, :, c, f], 1, "weight") for c in range(g.C)]
        out.append(Grid(f"Feature map {f + 1}" if g.Wo >= 4 else f"Map {f + 1}",
                        _filling(self.a[:, :, f], pos), 2))
        return out

    def marks(self, pos):
        r0, c0 = self.g.origin(*pos)
        out = []
        for c in range(self.g.C):
            out += _box(c, r0, c0, self.g.kh, self.g.kw)
        out.append(Mark(2 * self.g.C, pos[0], pos[1], "focus"))
        return out

    def products(self, pos) -> list[list[tuple[float, float]]]:
        """Per input channel, the (x, w) pairs of the window at ``pos`` in reading order."""
        r0, c0 = self.g.origin(*pos)
        return [[(self.xp[r0 + u, c0 + v, c], self.K[u, v, c, self.f])
                 for u in range(self.g.kh) for v in range(self.g.kw)] for c in range(self.g.C)]

    def lines(self, pos):
        g, f = self.g, self.f
        i, j = pos
        z, a, b = self.z[i, j, f], self.a[i, j, f], self.bias[f]
        per = self.products(pos)
        text = [[f"{_p(x)}{DOT}{_p(w)}" for x, w in ch] for ch in per]
        out = [f"z = {SIGMA} x{DOT}w + b   (window {TIMES} filter {f + 1}, at {_rc(i, j)})"]
        if g.C == 1:
            out.append(f"z = {_terms(text[0] + [_p(b)], WINDOW_TERMS + 1)} = {fmt(z)}"
                       f"{_count(len(text[0]))}")
        else:
            sums = [sum(x * w for x, w in ch) for ch in per]
            shown = range(g.C) if g.C <= 4 else [0, 1, 2]
            for c in shown:
                out.append(f"ch {c + 1}: {_terms(text[c])} = {fmt(sums[c])}"
                           f"{_count(len(text[c]))}")
            if g.C > 4:
                out.append(f"\u2026 ({g.C} channels)")
            out.append(f"z = {_terms([_p(s) for s in sums] + [_p(b)], 8)} = {fmt(z)}")
        if self.activation != "linear":
            out.append(_activation_lines(self.activation, float(z), float(a))[1])
        return tuple(out)

    def values(self, pos):
        i, j = pos
        return {"z": self.z[i, j, self.f], "a": self.a[i, j, self.f], "b": self.bias[self.f],
                "row": i, "col": j}

    def unit(self, pos):
        return 0, (pos[0] * self.g.Wo + pos[1]) * self.K.shape[3] + self.f

    def pick(self, grid, row, col):
        if grid < self.g.C:
            return self.g.centred(row, col)
        if grid == 2 * self.g.C:
            return (row, col)
        return None


class PoolView(MapView):
    """Forward: the window of channel ``c`` and its maximum or average."""

    op = "pool"

    def __init__(self, kind: str, g: Geometry, x: np.ndarray, a: np.ndarray,
                 argmax: np.ndarray | None, c: int) -> None:
        super().__init__((g.Ho, g.Wo))
        self.kind, self.g, self.x, self.a, self.c = kind, g, x, a, c
        self.is_max = "max" in kind
        self.argmax = argmax  # flat input column per output value (max kinds)

    def window(self, pos) -> list[tuple[int, int]]:
        r0, c0 = self.g.origin(*pos)
        return [(r0 + u, c0 + v) for u in range(self.g.kh) for v in range(self.g.kw)]

    def max_cell(self, pos) -> tuple[int, int]:
        """The cell the maximum sits in (the engine's argmax; ties: the first)."""
        g = self.g
        if self.argmax is not None:
            col = int(self.argmax[(pos[0] * g.Wo + pos[1]) * g.C + self.c])
            return col // (g.W * g.C), (col // g.C) % g.W
        cells = self.window(pos)
        vals = [self.x[r, q, self.c] for r, q in cells]
        return cells[int(np.argmax(vals))]

    def grids(self, pos):
        name = "Input" if not self.kind.startswith("global") else "Map"
        return [Grid(f"{name} ch {self.c + 1}", self.x[:, :, self.c], 0),
                Grid(f"Output ch {self.c + 1}", _filling(self.a[:, :, self.c], pos), 1)]

    def marks(self, pos):
        r0, c0 = self.g.origin(*pos)
        out = _box(0, r0, c0, self.g.kh, self.g.kw)
        if self.is_max:
            out.append(Mark(0, *self.max_cell(pos), "max"))
        out.append(Mark(1, pos[0], pos[1], "focus"))
        return out

    def lines(self, pos):
        g = self.g
        vals = [self.x[r, q, self.c] for r, q in self.window(pos)]
        a = self.a[pos[0], pos[1], self.c]
        n = len(vals)
        whole = self.kind.startswith("global")
        where = "the whole map" if whole else f"the {g.kh}{TIMES}{g.kw} window at {_rc(*pos)}"
        if self.is_max:
            r, q = self.max_cell(pos)
            listed = ", ".join(fmt(v) for v in vals) if n <= 16 else \
                ", ".join(fmt(v) for v in vals[:6]) + ", \u2026, " + \
                ", ".join(fmt(v) for v in vals[-2:])
            return (f"a = the largest value in {where}",
                    f"a = max({listed}) = {fmt(a)}" + (f"   ({n} values)" if n > 16 else ""),
                    f"the maximum sits at {_rc(r, q)}")
        terms = [_p(v) for v in vals]
        return (f"a = the average of {where}",
                f"a = ({_terms(terms, 16)}) / {n} = {fmt(a)}" + _count(n, 16))

    def values(self, pos):
        out = {"a": self.a[pos[0], pos[1], self.c], "row": pos[0], "col": pos[1]}
        if self.is_max:
            r, q = self.max_cell(pos)
            out.update(max_row=r, max_col=q)
        return out

    def unit(self, pos):
        return 0, (pos[0] * self.g.Wo + pos[1]) * self.g.C + self.c

    def pick(self, grid, row, col):
        if grid == 0:
            return (min(row // self.g.kh, self.g.Ho - 1), min(col // self.g.kw, self.g.Wo - 1))
        return (row, col)


def _vector_grid(v: np.ndarray, H: int, W: int, C: int) -> np.ndarray:
    """A flat vector laid out one image row per grid row (W·C values each)."""
    return np.asarray(v, dtype=np.float64).reshape(H, W * C)


class FlattenView(MapView):
    """Forward (or backward with ``gradient=True``): the map read row by row into a vector."""

    op = "flatten"

    def __init__(self, x: np.ndarray, v: np.ndarray, gradient: bool = False) -> None:
        super().__init__(x.shape[:2], "pixel")
        self.x, self.v, self.gradient = x, np.asarray(v, dtype=np.float64), gradient

    def grids(self, pos):
        H, W, C = self.x.shape
        pre = f"{D}L/{D}" if self.gradient else ""
        role = "gradient" if self.gradient else "value"
        maps = [Grid(f"{pre}{'x' if self.gradient else 'Map'}{_channel(c, C)}",
                     self.x[:, :, c], 0, role) for c in range(C)]
        vec = Grid(f"{pre}{'v' if self.gradient else 'Vector'} (row by row)",
                   _vector_grid(self.v, H, W, C), 1, role)
        return [vec] + maps if self.gradient else maps + [vec]

    def marks(self, pos):
        C = self.x.shape[2]
        i, j = pos
        vec, first = (0, 1) if self.gradient else (C, 0)
        out = [Mark(first + c, i, j, "focus") for c in range(C)]
        out += [Mark(vec, i, j * C + c, "focus") for c in range(C)]
        return out

    def lines(self, pos):
        H, W, C = self.x.shape
        i, j = pos
        shown = range(min(C, 4))
        if self.gradient:
            rule = (f"{D}L/{D}x[i, j, c] = {D}L/{D}v[(i{DOT}W + j){DOT}C + c]   (the vector's "
                    "gradient read back into the map)")
            nums = [f"{D}L/{D}x{_rc(i, j)}{_channel(c, C)} = {D}L/{D}v{sub((i * W + j) * C + c)}"
                    f" = {fmt(self.x[i, j, c])}" for c in shown]
        else:
            rule = (f"v[(i{DOT}W + j){DOT}C + c] = x[i, j, c]   (row after row, "
                    f"{'channels last, ' if C > 1 else ''}values unchanged; W = {W}"
                    f"{', C = ' + str(C) if C > 1 else ''})")
            nums = [f"v{sub((i * W + j) * C + c)} = x{_rc(i, j)}{_channel(c, C)} = "
                    f"{fmt(self.x[i, j, c])}" for c in shown]
        if C > 4:
            nums.append(f"\u2026 ({C} channels)")
        return (rule, *nums)

    def values(self, pos):
        i, j = pos
        H, W, C = self.x.shape
        return {f"v{(i * W + j) * C + c}": self.v[(i * W + j) * C + c] for c in range(C)}

    def unit(self, pos):
        H, W, C = self.x.shape
        return 0, (pos[0] * W + pos[1]) * C

    def pick(self, grid, row, col):
        C = self.x.shape[2]
        vec = 0 if self.gradient else C
        return (row, col // C) if grid == vec else (row, col)
