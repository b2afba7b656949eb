"""Explain mode for layers on image maps: convolution, pooling, flatten (Qt-free).

A convolution computes one value per output position and filter; walking all H′×W′×F of
them as separate micro-steps would take far too long. So a map layer has **one micro-step
per filter** (pooling: per channel), and each such step carries a :class:`MapView`: the
grids to draw (the input map, the filter, the output map filling in), and the equation at
*any* focus position. The learner moves the focus (next or previous position, or a click on
a cell) within the step; :attr:`MicroStep.lines` hold the equation at the first position.

Per kind, with the real numbers of the example:

* **conv2d**: forward, the window at the position times the filter, plus the bias, is z;
  then the activation. Backward, per filter: ∂L/∂z = ∂L/∂a·f′(z) at each position, and
  ∂L/∂K = Σ over positions of ∂L/∂z(p)·(the input window at p), ∂L/∂b = Σₚ ∂L/∂z(p);
  then (unless the layer reads the network's input) ∂L/∂x per input pixel: Σ ∂L/∂z·w over
  every window covering it. Update: per filter, every weight by the optimizer's rule;
* **maxpool / globalmaxpool**: the window and its maximum; backward, the gradient goes to
  the maximum only (ties: the first in reading order);
* **avgpool / globalavgpool**: the window's average written out; backward, each value gets
  an equal share;
* **flatten**: how the map is read into a vector (row by row, channels last); backward, the
  vector's gradient is read back into the map.

Values come from ``Network.forward_all`` and each kind's ``backward``, as
``loss_and_gradients`` runs them; the terms written out are the same numbers, multiplied out
here only for display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine.explain_steps import (
    _UPDATE_NOTES,
    DOT,
    MicroStep,
    _activation_lines,
    _join_sum,
    _p,
    _update_lines,
    fmt,
    sub,
)

__all__ = ["MAP_KINDS", "Grid", "MapView", "Mark", "dense_edge_grads", "dense_weight_updates",
           "map_backward", "map_forward", "map_input_step", "map_update"]

#: The layer kinds explained on maps.
MAP_KINDS = ("conv2d", "maxpool", "avgpool", "globalmaxpool", "globalavgpool", "flatten")
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


# ------------------------------------------------------------------------------- backward views
class ConvGradView(MapView):
    """Backward, filter ``f``: ∂L/∂z per position and ∂L/∂K = Σₚ ∂L/∂z(p)·window(p)."""

    op = "conv_grad"

    def __init__(self, g: Geometry, x: np.ndarray, da: np.ndarray, z: np.ndarray,
                 a: np.ndarray, dz: np.ndarray, dK: np.ndarray, db: np.ndarray, f: int,
                 activation: str) -> None:
        super().__init__((g.Ho, g.Wo))
        self.g, self.xp, self.da, self.z, self.a = g, g.padded(x), da, z, a
        self.dz, self.dK, self.db, self.f, self.activation = dz, dK, db, f, activation

    def grids(self, pos):
        g, f = self.g, self.f
        out = [Grid(f"Input{_ch(c, g.C)}", self.xp[:, :, c], 0, "value", g.pad)
               for c in range(g.C)]
        out.append(Grid(f"{D}L/{D}z", self.dz[:, :, f], 1, "gradient"))
        out += [Grid(f"{D}L/{D}K{_ch(c, g.C)}", self.dK[:, :, c, f], 2,
                     "gradient") for c in range(g.C)]
        return out

    def marks(self, pos):
        r0, c0 = self.g.origin(*pos)
        out = []
        for c in range(self.g.C):
            out += _box(c, r0, c0, self.g.kh, self.g.kw)
        out.append(Mark(self.g.C, pos[0], pos[1], "focus"))
        return out

    def lines(self, pos):
        g, f = self.g, self.f
        i, j = pos
        dz = self.dz[i, j, f]
        d = float(act.derivative(self.activation, self.z[i:i + 1, j, f],
                                 self.a[i:i + 1, j, f])[0])
        r0, c0 = g.origin(i, j)
        window = [self.xp[r0 + u, c0 + v, c] for c in range(g.C) for u in range(g.kh)
                  for v in range(g.kw)]
        positions = [(p, q) for p in range(g.Ho) for q in range(g.Wo)]
        n = len(positions)
        w00 = [f"{_p(self.dz[p, q, f])}{DOT}{_p(self.xp[g.origin(p, q)[0], g.origin(p, q)[1], 0])}"
               for p, q in positions]
        dbs = [_p(self.dz[p, q, f]) for p, q in positions]
        out = [f"{D}L/{D}K = {SIGMA}\u209a {D}L/{D}z(p){DOT}(window at p),   {D}L/{D}b = "
               f"{SIGMA}\u209a {D}L/{D}z(p)   (over the {n} positions)"]
        if self.activation == "linear":
            out.append(f"at {_rc(i, j)}: {D}L/{D}z = {D}L/{D}a = {fmt(dz)}")
        else:
            why = ""
            if self.activation == "relu":
                why = "   (z > 0)" if self.z[i, j, f] > 0 else "   (z \u2264 0: no gradient)"
            out.append(f"at {_rc(i, j)}: {D}L/{D}z = {D}L/{D}a{DOT}f\u2032(z) = "
                       f"{_p(self.da[i, j, f])}{DOT}{_p(d)} = {fmt(dz)}{why}")
        out.append(f"its term: {_p(dz)}{DOT}[{', '.join(fmt(v) for v in window[:9])}"
                   f"{', …' if len(window) > 9 else ''}]")
        out.append(f"{D}L/{D}w (top-left{', ch 1' if g.C > 1 else ''}) = "
                   f"{_terms(w00, 6)} = {fmt(self.dK[0, 0, 0, f])}{_count(n, 6)}")
        out.append(f"{D}L/{D}b = {_terms(dbs, 6)} = {fmt(self.db[f])}{_count(n, 6)}")
        return tuple(out)

    def values(self, pos):
        i, j = pos
        return {"dL/dz": self.dz[i, j, self.f], "dL/da": self.da[i, j, self.f],
                "dL/db": self.db[self.f], "dL/dw00": self.dK[0, 0, 0, self.f],
                "row": i, "col": j}

    def unit(self, pos):
        return 0, (pos[0] * self.g.Wo + pos[1]) * self.dz.shape[2] + self.f

    def pick(self, grid, row, col):
        if grid < self.g.C:
            return self.g.centred(row, col)
        if grid == self.g.C:
            return (row, col)
        return None


class ConvInputGradView(MapView):
    """Backward: ∂L/∂x of one input pixel, summed over every window that covers it."""

    op = "conv_input_grad"

    def __init__(self, g: Geometry, K: np.ndarray, dz: np.ndarray, dx: np.ndarray) -> None:
        super().__init__((g.H, g.W, g.C), "pixel")
        self.g, self.K, self.dz, self.dx = g, K, dz, dx

    def covering(self, r: int, c: int) -> list[tuple[int, int, int, int]]:
        """(i, j, u, v) of every window position (i, j) covering input pixel (r, c), with the
        filter cell (u, v) that sits on it."""
        g = self.g
        rp, cp = r + g.pad[0], c + g.pad[1]
        out = []
        for i in range(g.Ho):
            u = rp - i * g.stride
            if not 0 <= u < g.kh:
                continue
            for j in range(g.Wo):
                v = cp - j * g.stride
                if 0 <= v < g.kw:
                    out.append((i, j, u, v))
        return out

    def grids(self, pos):
        g = self.g
        F = self.K.shape[3]
        out = [Grid(f"{D}L/{D}z{f + 1}", self.dz[:, :, f], 0, "gradient")
               for f in range(F)]
        out += [Grid(f"{D}L/{D}x{_ch(c, g.C)}", self.dx[:, :, c], 1, "gradient")
                for c in range(g.C)]
        return out

    def marks(self, pos):
        r, c, ch = pos
        F = self.K.shape[3]
        out = [Mark(F + ch, r, c, "focus")]
        for i, j, _, _ in self.covering(r, c):
            out += [Mark(f, i, j, "window") for f in range(F)]
        return out

    def lines(self, pos):
        r, c, ch = pos
        F = self.K.shape[3]
        terms = [f"{_p(self.dz[i, j, f])}{DOT}{_p(self.K[u, v, ch, f])}"
                 for f in range(F) for i, j, u, v in self.covering(r, c)]
        rule = (f"{D}L/{D}x = {SIGMA} {D}L/{D}z{DOT}w   (over every filter and every window "
                "that covers this pixel)")
        total = self.dx[r, c, ch]
        if not terms:
            return rule, f"{D}L/{D}x{_rc(r, c)} = 0   (no window covers this pixel)"
        return rule, (f"{D}L/{D}x{_rc(r, c)}{_channel(ch, self.g.C)} = {_terms(terms, 8)} = "
                      f"{fmt(total)}{_count(len(terms), 8)}")

    def values(self, pos):
        return {"dL/dx": self.dx[pos]}

    def unit(self, pos):
        r, c, ch = pos
        return -1, (r * self.g.W + c) * self.g.C + ch

    def pick(self, grid, row, col):
        F = self.K.shape[3]
        if grid >= F:
            return (row, col, grid - F)
        return None


class PoolGradView(MapView):
    """Backward, channel ``c``: max pooling routes each gradient to the maximum only, average
    pooling spreads it evenly over the window."""

    op = "pool_grad"

    def __init__(self, fwd: PoolView, da: np.ndarray, dx: np.ndarray) -> None:
        super().__init__(fwd.shape)
        self.fwd, self.da, self.dx = fwd, da, dx

    def grids(self, pos):
        c = self.fwd.c
        return [Grid(f"{D}L/{D}a ch {c + 1}", self.da[:, :, c], 0, "gradient"),
                Grid(f"{D}L/{D}x ch {c + 1}", self.dx[:, :, c], 1, "gradient")]

    def marks(self, pos):
        g = self.fwd.g
        r0, c0 = g.origin(*pos)
        out = [Mark(0, pos[0], pos[1], "focus")] + _box(1, r0, c0, g.kh, g.kw)
        if self.fwd.is_max:
            out.append(Mark(1, *self.fwd.max_cell(pos), "max"))
        return out

    def lines(self, pos):
        g = self.fwd.g
        da = self.da[pos[0], pos[1], self.fwd.c]
        n = g.kh * g.kw
        if self.fwd.is_max:
            r, q = self.fwd.max_cell(pos)
            return ("Only the maximum passed its value on, so only it gets the gradient",
                    f"{D}L/{D}x{_rc(r, q)} = {D}L/{D}a = {fmt(self.dx[r, q, self.fwd.c])}",
                    f"the other {n - 1} values of the window: {D}L/{D}x = 0")
        return (f"Every value counted 1/{n} in the average, so each gets 1/{n} of the gradient",
                f"{D}L/{D}x = {D}L/{D}a / {n} = {_p(da)} / {n} = {fmt(da / n)}   "
                f"(each of the {n} values)")

    def values(self, pos):
        c = self.fwd.c
        out = {"dL/da": self.da[pos[0], pos[1], c]}
        if self.fwd.is_max:
            r, q = self.fwd.max_cell(pos)
            out["dL/dx"] = self.dx[r, q, c]
        else:
            r0, c0 = self.fwd.g.origin(*pos)
            out["dL/dx"] = self.dx[r0, c0, c]
        return out

    def unit(self, pos):
        return self.fwd.unit(pos)

    def pick(self, grid, row, col):
        g = self.fwd.g
        if grid == 1:
            return (min(row // g.kh, g.Ho - 1), min(col // g.kw, g.Wo - 1))
        return (row, col)


# ------------------------------------------------------------------------------- update view
class FilterUpdateView(MapView):
    """Update, filter ``f``: every weight of the filter by the optimizer's rule; the focus is
    a weight (row, col, channel)."""

    op = "filter_update"

    def __init__(self, K: np.ndarray, dK: np.ndarray, K_new: np.ndarray, f: int,
                 weight_lines: dict, bias_lines: list[str]) -> None:
        super().__init__(K.shape[:3], "weight")
        self.K, self.dK, self.K_new, self.f = K, dK, K_new, f
        self.weight_lines, self.bias_lines = weight_lines, bias_lines

    def grids(self, pos):
        C = self.K.shape[2]
        f = self.f
        out = [Grid(f"old{_ch(c, C)}", self.K[:, :, c, f], 0, "weight") for c in range(C)]
        out += [Grid(f"{D}L/{D}K{_ch(c, C)}", self.dK[:, :, c, f], 1, "gradient")
                for c in range(C)]
        out += [Grid(f"new{_ch(c, C)}", self.K_new[:, :, c, f], 2, "weight") for c in range(C)]
        return out

    def marks(self, pos):
        u, v, c = pos
        C = self.K.shape[2]
        return [Mark(c + m * C, u, v, "focus") for m in range(3)]

    def lines(self, pos):
        u, v, c = pos
        C = self.K.shape[2]
        lines = self.weight_lines[tuple(pos)]
        return (f"the weight at {_rc(u, v)}{_channel(c, C)} of filter {self.f + 1}, then the "
                "filter's bias", *lines, f"bias: {self.bias_lines[-1]}")

    def values(self, pos):
        u, v, c = pos
        return {"w_old": self.K[u, v, c, self.f], "grad": self.dK[u, v, c, self.f],
                "w_new": self.K_new[u, v, c, self.f]}

    def pick(self, grid, row, col):
        return (row, col, grid % self.K.shape[2])


# ------------------------------------------------------------------------------- step builders
def _add(b, phase, kind, k, neuron, title, view: MapView, note) -> None:
    """Append a micro-step carrying ``view`` (its lines and values at the first position)."""
    pos = view.start
    b.steps.append(MicroStep(len(b.steps), phase, kind, k, neuron, None, title,
                             tuple(view.lines(pos)), note,
                             {key: float(v) for key, v in view.values(pos).items()},
                             map_view=view))


def _map(flat: np.ndarray, shape) -> np.ndarray:
    return np.asarray(flat, dtype=np.float64).reshape(shape)


def map_input_step(b, x: np.ndarray, shape: tuple[int, int, int]) -> None:
    """The input step of a network whose input is an image."""
    view = InputView(_map(x, shape))
    _add(b, "forward", "input", 0, None, "Input: the example's image", view,
         "The image enters the network: one value per pixel and channel. Move the focus to "
         "read any pixel.")


def map_forward(b, k: int, layer, params, prev: np.ndarray, values) -> None:
    """Forward micro-steps of map layer ``layer`` (column ``k``)."""
    kind = layer.kind
    x = _map(prev, layer.in_shape)
    name = b.layer_name(k)
    if kind == "conv2d":
        K, bias = params
        g = conv_geometry(layer)
        z = _map(values.z[0], layer.out_shape)
        a = _map(values.a[0], layer.out_shape)
        spec = layer.spec()
        F = K.shape[3]
        if spec.get("padding", "valid") == "same":
            size = (f"same padding: H\u2032 = \u2308H / stride\u2309 = \u2308{g.H} / "
                    f"{g.stride}\u2309 = {g.Ho} (zeros around the image: {g.pad[0]} above, "
                    f"{g.pad[2]} below)")
        else:
            size = (f"valid: H\u2032 = (H \u2212 k) / stride + 1 = ({g.H} \u2212 {g.kh}) / "
                    f"{g.stride} + 1 = {g.Ho}")
        b.add("forward", "conv_shape", k, None, None,
              f"{name}: {F} filter{'s' if F > 1 else ''} of {g.kh}{TIMES}{g.kw}"
              f"{TIMES}{g.C}",
              [f"{g.H}{TIMES}{g.W}{TIMES}{g.C} \u2192 {g.Ho}{TIMES}{g.Wo}{TIMES}{F}", size,
               f"{F} filters {TIMES} {g.Ho}{TIMES}{g.Wo} positions = {F * g.Ho * g.Wo} values"],
              "Each filter slides over the input position by position; at each position it "
              "multiplies the window by its weights and adds them up. One output map per "
              "filter.", H=g.H, W=g.W, Ho=g.Ho, Wo=g.Wo, filters=F)
        for f in range(F):
            view = ConvView(g, x, K, bias, z, a, f, layer.activation)
            _add(b, "forward", "conv_window", k, f, f"{name}, filter {f + 1}: the filter slides",
                 view, "The window's values times the filter's weights, added up with the "
                 "bias, give z; the activation turns z into the feature map's value. Move "
                 "the focus to slide the filter.")
    elif kind == "flatten":
        _add(b, "forward", "flatten", k, None, f"{name}: the map becomes a vector",
             FlattenView(x, values.a[0]),
             "Flatten reads the map row by row (at each pixel all its channels) into one long "
             "vector, so that dense layers can follow. No numbers change.")
    else:
        g = pool_geometry(layer)
        a = _map(values.a[0], layer.out_shape if len(layer.out_shape) == 3
                 else (1, 1, layer.out_shape[0]))
        argmax = values.extras.get("argmax")
        argmax = None if argmax is None else np.asarray(argmax)[0]
        note = ("Max pooling keeps the largest value of each window: whether a feature was "
                "found somewhere here, not exactly where." if "max" in kind else
                "Average pooling keeps the mean of each window: a smaller, smoother map.")
        for c in range(g.C):
            view = PoolView(kind, g, x, a, argmax, c)
            _add(b, "forward", "pool_window", k, c, f"{name}, channel {c + 1}", view, note)


def map_backward(b, k: int, layer, params, prev: np.ndarray, values, da: np.ndarray,
                 dz: np.ndarray, grads, dx: np.ndarray, first: bool) -> None:
    """Backward micro-steps of map layer ``layer`` (column ``k``); ``da`` is dL/d(output),
    ``dz`` dL/dz, ``grads`` the parameter gradients and ``dx`` dL/d(input), all as the
    layer's ``dz_from_da`` and ``backward`` computed them."""
    kind = layer.kind
    x = _map(prev, layer.in_shape)
    name = b.layer_name(k)
    if kind == "conv2d":
        K, _ = params
        g = conv_geometry(layer)
        shape = layer.out_shape
        for f in range(K.shape[3]):
            view = ConvGradView(g, x, _map(da, shape), _map(values.z[0], shape),
                                _map(values.a[0], shape), _map(dz, shape), grads[0], grads[1],
                                f, layer.activation)
            _add(b, "backward", "conv_filter_grad", k, f,
                 f"{name}, filter {f + 1}: gradient of the filter", view,
                 "The same filter was used at every position, so its gradient adds up the "
                 "contributions of all positions: each position's \u2202L/\u2202z times the "
                 "input window there. Move the focus to see each position's term.")
        if not first:
            view = ConvInputGradView(g, K, _map(dz, shape), _map(dx, layer.in_shape))
            _add(b, "backward", "conv_input_grad", k, None,
                 f"{name}: gradient passed back to its input", view,
                 "Each input pixel fed every window that covers it, through the filter "
                 "weight sitting on it: its gradient adds those paths up.")
    elif kind == "flatten":
        _add(b, "backward", "flatten_grad", k, None, f"{name}: the gradient back into the map",
             FlattenView(_map(dx, layer.in_shape), da, gradient=True),
             "Flatten only moved the values, so each gradient goes back to where its value "
             "came from.")
    else:
        g = pool_geometry(layer)
        out_shape = layer.out_shape if len(layer.out_shape) == 3 else (1, 1, layer.out_shape[0])
        argmax = values.extras.get("argmax")
        argmax = None if argmax is None else np.asarray(argmax)[0]
        for c in range(g.C):
            fwd = PoolView(kind, g, x, _map(values.a[0], out_shape), argmax, c)
            view = PoolGradView(fwd, _map(da, out_shape), _map(dx, layer.in_shape))
            note = ("The maximum alone decided the output, so the gradient flows back to it "
                    "alone; the other values of the window get 0." if fwd.is_max else
                    "Every value of the window counted equally, so the gradient is shared "
                    "out equally.")
            _add(b, "backward", "pool_grad", k, c, f"{name}, channel {c + 1}: gradient", view,
                 note)


def map_update(b, hp: dict, t: int, k: int, layer, params, grads, m1s, m2s) -> list:
    """Update micro-steps of a conv2d layer (one per filter); return the new (K, b)."""
    K, bias = params
    dK, db = grads
    K_new, b_new = K.copy(), bias.copy()
    reg = layer.regularised()
    name = b.layer_name(k)

    def rule(w, g, m1, m2, sym, regularised):
        l1 = hp["l1"] if regularised else 0.0
        l2 = hp["l2"] if regularised else 0.0
        return _update_lines(hp["optimizer"], float(w), float(g), float(m1), float(m2), t,
                             hp["lr"], hp["momentum"], l1, l2, hp["beta1"], hp["beta2"],
                             hp["eps"], hp["rho"], sym)

    for f in range(K.shape[3]):
        lines = {}
        for u, v, c in np.ndindex(*K.shape[:3]):
            idx = (u, v, c, f)
            text, vals = rule(K[idx], dK[idx], m1s[0][idx], m2s[0][idx], "w", reg[0])
            K_new[idx] = vals["w_new"]
            lines[(u, v, c)] = tuple(text)
        text, vals = rule(bias[f], db[f], m1s[1][f], m2s[1][f], "b", reg[1])
        b_new[f] = vals["w_new"]
        view = FilterUpdateView(K, dK, K_new, f, lines, text)
        _add(b, "update", "update_filter", k, f, f"{name}: update filter {f + 1}", view,
             _UPDATE_NOTES[hp["optimizer"]] + " Every weight of the filter and its bias move "
             "at once; move the focus to read each weight's update.")
    return [K_new, b_new]


# ------------------------------------------------------------------------------- dense on maps
def _biggest(values: np.ndarray) -> int:
    return int(np.argmax(np.abs(values)))


def dense_edge_grads(b, k: int, prev: np.ndarray, dz: np.ndarray, dW: np.ndarray) -> None:
    """The weight gradients of a dense layer reading a map, one step per neuron (a map has
    too many values for one step per weight)."""
    n = len(prev)
    for j in range(len(dz)):
        big = _biggest(dW[:, j])
        shown = [i for i in range(min(n, 3))] + ([big] if big >= 3 else [])
        lines = [f"{D}L/{D}wᵢ = vᵢ{DOT}{D}L/{D}z   (for each of the {n} weights "
                 f"into this neuron; {D}L/{D}z = {fmt(dz[j])})"]
        lines += [f"{D}L/{D}w{sub(i)} = {_p(prev[i])}{DOT}{_p(dz[j])} = {fmt(dW[i, j])}"
                  + ("   (the largest)" if i == big else "") for i in shown]
        b.add("backward", "edge_grads", k, j, None,
              f"{b.neuron_name(k, j)}: gradients of its {n} weights", lines,
              "A weight's gradient is the value flowing in along it times the error of the "
              "neuron it feeds; here all the weights into this neuron at once.",
              **{"dL/dz": dz[j], "dL/dw_max": dW[big, j], "i_max": big})


def dense_weight_updates(b, hp: dict, t: int, k: int, ps, gs, m1s, m2s, news, reg) -> None:
    """The update of a dense layer reading a map, one step per neuron for its weights (the
    weight with the largest gradient written out), and its bias."""
    W, bias = ps
    dW, db = gs

    def rule(w, g, m1, m2, sym, regularised):
        l1 = hp["l1"] if regularised else 0.0
        l2 = hp["l2"] if regularised else 0.0
        return _update_lines(hp["optimizer"], float(w), float(g), float(m1), float(m2), t,
                             hp["lr"], hp["momentum"], l1, l2, hp["beta1"], hp["beta2"],
                             hp["eps"], hp["rho"], sym)

    note = _UPDATE_NOTES[hp["optimizer"]]
    for j in range(W.shape[1]):
        big = _biggest(dW[:, j])
        shown = None
        for i in range(W.shape[0]):
            text, vals = rule(W[i, j], dW[i, j], m1s[0][i, j], m2s[0][i, j], "w", reg[0])
            news[0][i, j] = vals["w_new"]
            if i == big:
                shown = (text, vals)
        text, vals = shown
        b.add("update", "update_weights", k, j, None,
              f"Update the {W.shape[0]} weights into {b.neuron_name(k, j)}",
              [f"each weight by the same rule; written out: w{sub(big)}, the one with the "
               "largest gradient", *text], note, **vals, i=big)
        text, vals = rule(bias[j], db[j], m1s[1][j], m2s[1][j], "b", reg[1])
        news[1][j] = vals["w_new"]
        b.add("update", "update_bias", k, j, None, f"Update bias of {b.neuron_name(k, j)}",
              text, note + " Biases are not regularised.", **vals)
