"""The compiled sequential driver: many training steps per call for any mix of layer kinds.

Networks made only of dense layers train in the fused kernel of :mod:`.kernels`. Every
other network trains here: a plain op table (:class:`Plan`, one integer row per op, see
:mod:`.kinds.base`) describes the network, and a driver module runs shuffling, mini-batches,
forward, loss gradient, backward, the optimizer (with the L1/L2 mask) and the finiteness
and weight-size checks inside one ``@njit(nogil=True, cache=True)`` call, dispatching each
op to its kind's ``forward_op``/``backward_op``.

Numba compiles every branch of a function, so a driver that knew every kind would make
everyone's first compile pay for all of them (conv, recurrent, ...). The driver's source is
therefore generated per sorted set of kinds (:func:`driver_for`), written under the user
cache directory (``NEUROVIZ_CACHE_DIR`` overrides it) and imported from there, so that
``cache=True`` keeps it for the next start. The file name carries a hash of the template
and of the kinds' sources: Numba's cache does not notice edits to called functions, a new
file name does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
from numba import njit

from neuroviz.engine import kernels as K
from neuroviz.engine.kinds import LAYER_KINDS
from neuroviz.engine.kinds import base as B

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


# -- the op table -------------------------------------------------------------------------------
class Plan:
    """The op table of one network for mini-batches of at most ``bmax`` rows.

    Buffers ``A`` (values), ``Z`` (pre-activations) and ``D`` (gradients) hold one slot of
    ``bmax`` rows per layer output, slot 0 being the network input; ``S`` is scratch space
    (dropout masks, layer-norm x̂ and 1/σ, the residual skip gradient).
    """

    _COLUMNS = {"KIND": B.OP_KIND, "IN": B.OP_IN, "OUT": B.OP_OUT, "AUX": B.OP_AUX,
                "NIN": B.OP_NIN, "NOUT": B.OP_NOUT, "P0": B.OP_P0, "P1": B.OP_P1,
                "P2": B.OP_P2, "ACT": B.OP_ACT, "FLAG": B.OP_FLAG, "S": B.OP_S, "DZ": B.OP_DZ,
                **{f"I{k}": B.OP_I0 + k for k in range(8)}}

    def __init__(self, n_inputs: int, bmax: int) -> None:
        self.bmax = int(bmax)
        self.rows: list[list[int]] = []
        self.values: list[float] = []
        self.width = int(n_inputs)  # values per row over all slots
        self.scratch_width = 0
        self.tops: list[int] = []  # offsets of the top-level layers' outputs

    def slot(self, width: int) -> int:
        """Reserve an output slot of ``width`` values per row; return its offset."""
        offset = self.bmax * self.width
        self.width += int(width)
        return offset

    def scratch(self, per_row: int) -> int:
        """Reserve ``per_row`` scratch values per row; return the offset in ``S``."""
        offset = self.bmax * self.scratch_width
        self.scratch_width += int(per_row)
        return offset

    def add(self, code: int, value: float = 0.0, **columns: int) -> None:
        """Append one op row: its kind code, columns by name, and its float setting."""
        row = [0] * B.OP_COLUMNS
        row[B.OP_KIND] = int(code)
        for name, v in columns.items():
            row[self._COLUMNS[name]] = int(v)
        self.rows.append(row)
        self.values.append(float(value))

    @classmethod
    def build(cls, net, bmax: int) -> Plan:
        plan = cls(net.n_inputs, bmax)
        x = 0
        for layer in net.layers:
            x = layer.ops(plan, x)
            plan.tops.append(x)
        plan.rows[-1][B.OP_DZ] = 1  # the output layer: the loss gives dL/dz directly
        plan.out = x
        plan.ops = np.array(plan.rows, dtype=np.int64)
        plan.fops = np.array(plan.values, dtype=np.float64)
        return plan

    def buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        size = self.bmax * self.width
        return np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(
            max(1, self.bmax * self.scratch_width))


def segments(net) -> np.ndarray:
    """Rows ``(start, stop, regularised)`` of the parameter vector, one per array."""
    rows = []
    for layer, offs in zip(net.layers, net.param_offsets):
        for shape, off, reg in zip(layer.param_shapes(), offs, layer.regularised()):
            rows.append((off, off + math.prod(shape), int(reg)))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


@njit(**_OPTS)
def update_segments(params, grads, m1, m2, segs, opt, hyper, t):
    """One optimizer step on every parameter array (L1/L2 where ``segs[:, 2]`` is 1).

    Same rules as :func:`kernels.update_all`. False if a parameter became non-finite or
    left ±:data:`kernels.WEIGHT_LIMIT`.
    """
    lr = hyper[K.H_LR]
    l1 = hyper[K.H_L1]
    l2 = hyper[K.H_L2]
    b1 = hyper[K.H_B1]
    b2 = hyper[K.H_B2]
    eps = hyper[K.H_EPS]
    rho = hyper[K.H_RHO]
    mu = hyper[K.H_MOM]
    c1 = 1.0 / (1.0 - b1 ** t)
    c2 = 1.0 / (1.0 - b2 ** t)
    nest = 1.0 if opt == K.OPT_NESTEROV else 0.0
    for g in range(segs.shape[0]):
        start = segs[g, 0]
        stop = segs[g, 1]
        r1 = l1 if segs[g, 2] else 0.0
        r2 = l2 if segs[g, 2] else 0.0
        if opt == K.OPT_SGD:
            K._sgd(params, grads, start, stop, lr, r1, r2)
        elif opt == K.OPT_ADAM:
            K._adam(params, grads, m1, m2, start, stop, lr, r1, r2, b1, b2, eps, c1, c2)
        elif opt == K.OPT_RMSPROP:
            K._rmsprop(params, grads, m2, start, stop, lr, r1, r2, rho, eps)
        else:
            K._momentum(params, grads, m1, start, stop, lr, r1, r2, mu, nest)
    return K.all_within_limit(params)


# -- the generated driver -----------------------------------------------------------------------
_TEMPLATE = '''"""Generated by neuroviz.engine.driver for the layer kinds: {kinds}. Do not edit.

Regenerated automatically when the engine changes (the file name carries a hash).
"""

import math

from numba import njit

from neuroviz.engine import kernels as K
from neuroviz.engine.driver import update_segments
{imports}

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


@njit(**_OPTS)
def train_steps(params, ops, fops, segs, out, loss_code, opt, hyper, m1, m2, grads, X, Y,
                perm, counters, rng, drop, n_steps, batch_size, A, Z, D, S, prev, ybuf):
    """Up to n_steps mini-batch steps in place; returns (status, steps_done, last_loss) with
    the status codes of kernels.train_steps (2 also when a weight leaves the limit)."""
    n_params = params.shape[0]
    n = X.shape[0]
    n0 = X.shape[1]
    n_out = Y.shape[1]
    bmax = min(batch_size, n)
    if (A.shape[0] < bmax * n0 or ybuf.shape[0] < bmax * n_out or prev.shape[0] < n_params
            or grads.shape[0] != n_params or m1.shape[0] != n_params
            or m2.shape[0] != n_params):
        raise ValueError("train_steps: buffers of the wrong size")
    # Views without reference counts (see kernels.borrowed): all are arguments.
    params = K.borrowed(params)
    grads = K.borrowed(grads)
    m1 = K.borrowed(m1)
    m2 = K.borrowed(m2)
    A = K.borrowed(A)
    Z = K.borrowed(Z)
    D = K.borrowed(D)
    S = K.borrowed(S)
    prev = K.borrowed(prev)
    ybuf = K.borrowed(ybuf)
    last_act = ops[ops.shape[0] - 1, {op_act}]
    last_loss = 0.0
    for s in range(n_steps):
        cursor = counters[K.C_CURSOR]
        bsz = min(bmax, n - cursor)
        for i in range(bsz):
            r = perm[cursor + i]
            for k in range(n0):
                A[i * n0 + k] = X[r, k]
            for k in range(n_out):
                ybuf[i * n_out + k] = Y[r, k]
        nb = bsz
        training = True
        state = drop
        for o in range(ops.shape[0]):  # forward, op by op
            kind = ops[o, 0]
{forward}
        loss = K.output_loss_grad(loss_code, last_act, Z[out:], A[out:], ybuf, D[out:], bsz,
                                  n_out)
        if not math.isfinite(loss):
            return 1, s, loss
        last_loss = loss
        for o in range(ops.shape[0] - 1, -1, -1):  # backward, op by op
            kind = ops[o, 0]
{backward}
        for i in range(n_params):
            prev[i] = params[i]
        counters[K.C_T] += 1
        ok = update_segments(params, grads, m1, m2, segs, opt, hyper, counters[K.C_T])
        if not ok:
            for i in range(n_params):
                params[i] = prev[i]
            counters[K.C_T] -= 1
            return 2, s, loss
        counters[K.C_STEP] += 1
        cursor += bsz
        if cursor >= n:
            cursor = 0
            counters[K.C_EPOCH] += 1
            K.shuffle(perm, rng)
        counters[K.C_CURSOR] = cursor
    return 0, n_steps, last_loss


@njit(**_OPTS)
def forward_rows(ops, fops, params, X, A, Z, S, chunk, tops, widths, out, zout, aout, state):
    """Evaluation-mode forward pass of every row of X, ``chunk`` rows at a time.

    Writes the output layer's z and a into zout/aout (n, k) and, if ``out`` has rows, every
    top-level layer's values unit-major into ``out`` (Σ widths, n), clipped to ±F32_MAX
    with NaN as 0 (as kernels.forward_all does for heatmaps).
    """
    n = X.shape[0]
    n0 = X.shape[1]
    k = aout.shape[1]
    last = tops[tops.shape[0] - 1]
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        for i in range(m):
            for c in range(n0):
                A[i * n0 + c] = X[start + i, c]
        nb = m
        training = False
        for o in range(ops.shape[0]):
            kind = ops[o, 0]
{forward}
        for i in range(m):
            for j in range(k):
                zout[start + i, j] = Z[last + i * k + j]
                aout[start + i, j] = A[last + i * k + j]
        if out.shape[0] == 0:
            continue
        col = 0
        for t in range(tops.shape[0]):
            w = widths[t]
            off = tops[t]
            for j in range(w):
                for i in range(m):
                    v = A[off + i * w + j]
                    if v > K.F32_MAX:
                        v = K.F32_MAX
                    elif v < -K.F32_MAX:
                        v = -K.F32_MAX
                    elif v != v:
                        v = 0.0
                    out[col + j, start + i] = v
            col += w
'''


def _dispatch(kinds: list[str], call: str) -> str:
    lines = []
    for j, kind in enumerate(kinds):
        code = LAYER_KINDS[kind].code
        lines.append(f"            {'if' if j == 0 else 'elif'} kind == {code}:")
        lines.append(f"                {call.format(kind=kind)}")
    return "\n".join(lines)


def driver_source(kinds: tuple[str, ...]) -> str:
    """The generated driver module's source for a sorted tuple of kinds."""
    kinds = sorted(kinds)
    imports = "\n".join(
        f"from {LAYER_KINDS[k].compiled} import backward_op as backward_{k}\n"
        f"from {LAYER_KINDS[k].compiled} import forward_op as forward_{k}" for k in kinds)
    return _TEMPLATE.format(
        kinds=", ".join(kinds), imports=imports, op_act=B.OP_ACT,
        forward=_dispatch(kinds, "forward_{kind}(o, ops, fops, params, A, Z, S, nb, training, "
                                 "state)"),
        backward=_dispatch(kinds, "backward_{kind}(o, ops, fops, params, grads, A, Z, D, S, "
                                   "nb)"))


def cache_dir() -> Path:
    """Where generated drivers live: ``NEUROVIZ_CACHE_DIR``, else the user cache directory."""
    if os.environ.get("NEUROVIZ_CACHE_DIR"):
        return Path(os.environ["NEUROVIZ_CACHE_DIR"]) / "drivers"
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return root / "neuroviz" / "drivers"


def _fingerprint(kinds: tuple[str, ...], source: str) -> str:
    h = hashlib.sha256(source.encode())
    modules = {LAYER_KINDS[k].compiled for k in kinds} | {B.__name__, K.__name__, __name__}
    for name in sorted(modules):
        h.update(Path(sys.modules[name].__file__).read_bytes())
    return h.hexdigest()[:16]


def _remove_stale(folder: Path, name: str) -> None:
    """Delete drivers for the same kinds made by other engine versions (best effort)."""
    prefix = name.rsplit("_", 1)[0] + "_"
    for old in list(folder.glob(f"{prefix}*.py")) + list(folder.glob(f"__pycache__/{prefix}*")):
        stem = old.name.split(".")[0]
        if stem != name and stem.rsplit("_", 1)[0] + "_" == prefix:
            try:
                old.unlink()
            except OSError:
                pass


_DRIVERS: dict[tuple[str, ...], ModuleType] = {}
_LOCK = threading.Lock()


def driver_for(kinds: tuple[str, ...]) -> ModuleType:
    """The driver module for these kinds: generated, written and imported once per process."""
    key = tuple(sorted(set(kinds)))
    with _LOCK:
        if key in _DRIVERS:
            return _DRIVERS[key]
        source = driver_source(key)
        name = f"driver_{'_'.join(key)}_{_fingerprint(key, source)}"
        module = None
        for folder in (cache_dir(), Path(tempfile.gettempdir()) / f"neuroviz-{os.getuid()}"
                       if hasattr(os, "getuid") else Path(tempfile.gettempdir()) / "neuroviz"):
            try:
                module = _load(folder, name, source)
                break
            except OSError:
                continue
        if module is None:
            raise RuntimeError("could not write the compiled training driver to a cache folder")
        _DRIVERS[key] = module
        return module


def _load(folder: Path, name: str, source: str) -> ModuleType:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(source)
        os.replace(tmp, path)
        _remove_stale(folder, name)
    spec = importlib.util.spec_from_file_location(f"neuroviz_{name}", path)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: Numba's cache finds a function's module again by name.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module
