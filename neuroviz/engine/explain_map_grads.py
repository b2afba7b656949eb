"""The backward and update views of explain mode's steps on image maps (Qt-free): a
filter's gradient as a sum over positions, the gradient passed back to a convolution's
input, pooling's routing of the gradient, and a filter's update (see
:mod:`neuroviz.engine.explain_map_views` for the model)."""

from __future__ import annotations

import numpy as np

from neuroviz.engine import activations as act
from neuroviz.engine.explain_map_views import (
    SIGMA,
    Geometry,
    Grid,
    MapView,
    Mark,
    PoolView,
    _box,
    _ch,
    _channel,
    _count,
    _rc,
    _terms,
)
from neuroviz.engine.explain_steps import DOT, _p, fmt

__all__ = ["ConvGradView", "ConvInputGradView", "FilterUpdateView", "PoolGradView"]

D = "\u2202"

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
