"""Numba kernels: many training steps of a dense stack in one compiled call.

Layout shared with :class:`~neuroviz.engine.network.Network`: all parameters in
one flat float64 vector ``params``; layer ``l`` (0-based) has ``W`` at
``woff[l]`` with shape ``(sizes[l], sizes[l+1])`` and ``b`` at ``boff[l]``.
Inner functions take flat row-major slices plus their sizes: a reshape costs
about 25 ns in Numba, which is most of a small layer's work. Only layers big
enough to hand to BLAS (``np.dot``) are reshaped.

All kernels are ``@njit(nogil=True, cache=True, error_model="numpy")``:
``nogil`` lets the GUI thread run while a worker trains; ``cache`` keeps the
second start fast; the NumPy error model lets LLVM vectorise divisions.
``fastmath`` is not used, so NaN checks stay truthful.

What the per-sample step (2-(8×6)-1, batch 1, SGD) taught us, measured:

- Numba reference-counts every array handed to a helper with an atomic
  increment/decrement; that was half of the step. ``train_steps`` therefore works
  on :func:`borrowed` views of its arguments, which carry no count (2.1 → 1.2 µs).
- A loop ``for i in range(start, stop)`` indexes with an ``i`` that might be
  negative as far as LLVM knows, so every access wraps around and nothing
  vectorises. The optimizer loops return early on ``start < 0`` and count from 0,
  which lets LLVM prove the indices non-negative (Adam 8x faster on its own).
- A running float sum inside a loop (the old NaN check) is a serial chain LLVM
  may not reorder without ``fastmath``; :func:`all_finite` keeps four sums.
- The layer helpers are inlined at Numba-IR level (``inline="always"``): a call
  costs about as much as a tiny layer's arithmetic. ``activate`` and
  ``activation_grad`` are not: they hold every activation, and compiling one
  shared copy instead of one per call site saves ~4 s of first compile for
  ~0.1 µs a step.
- Slice assignment (``a[:] = b``) and ``np.dot`` compile slowly (seconds each);
  the kernels copy with loops and reach BLAS through the one shared :func:`matmul`.

Differences from the exact reference (``network.py`` / ``reference.py``):
tanh, sigmoid, swish and softplus' derivative use a rational approximation of tanh
(max abs error ≈ 3e-7); everything else is exact float64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from neuroviz.engine.activations import CODES as ACT
from neuroviz.engine.losses import CODES as LOSS

_OPTS = dict(nogil=True, cache=True, error_model="numpy")

A_LINEAR = ACT["linear"]
A_RELU = ACT["relu"]
A_LEAKY = ACT["leaky_relu"]
A_ELU = ACT["elu"]
A_TANH = ACT["tanh"]
A_SIGMOID = ACT["sigmoid"]
A_SOFTPLUS = ACT["softplus"]
A_SWISH = ACT["swish"]
A_GELU = ACT["gelu"]
A_SINE = ACT["sine"]
A_GAUSSIAN = ACT["gaussian"]
A_SOFTMAX = ACT["softmax"]
L_MSE = LOSS["mse"]
L_BCE = LOSS["bce"]
L_SOFTMAX_CE = LOSS["softmax_ce"]

OPT_SGD, OPT_MOMENTUM, OPT_NESTEROV, OPT_RMSPROP, OPT_ADAM = 0, 1, 2, 3, 4
# hyper vector: lr, l1, l2, momentum, beta1, beta2, eps, rho
H_LR, H_L1, H_L2, H_MOM, H_B1, H_B2, H_EPS, H_RHO = range(8)
# counters vector: step, epoch, cursor, adam_t
C_STEP, C_EPOCH, C_CURSOR, C_T = range(4)

#: Layers at least this big (batch × fan_in × fan_out) use BLAS via np.dot.
BLAS_MIN = 16384
LEAKY = 0.01
F32_MAX = float(np.finfo(np.float32).max)
#: A parameter beyond ±WEIGHT_LIMIT counts as diverged (runaway weights can grow for a long
#: time while the loss still looks finite, e.g. ReLU nets at a huge learning rate).
WEIGHT_LIMIT = 1e15
_LIMIT_SCALE = float(np.finfo(np.float64).max) / WEIGHT_LIMIT
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(inline="always", **_OPTS)
def fast_tanh(x):
    """Rational approximation of tanh (Eigen's minimax coefficients), |error| ≲ 1e-7."""
    if x > 7.90531110763549805:
        x = 7.90531110763549805
    elif x < -7.90531110763549805:
        x = -7.90531110763549805
    x2 = x * x
    p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13
    p = x2 * p + -8.60467152213735e-11
    p = x2 * p + 5.12229709037114e-08
    p = x2 * p + 1.48572235717979e-05
    p = x2 * p + 6.37261928875436e-04
    p = x2 * p + 4.89352455891786e-03
    p = x * p
    q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04
    q = x2 * q + 2.26843463243900e-03
    q = x2 * q + 4.89352518554385e-03
    r = p / q
    if r > 1.0:
        r = 1.0
    elif r < -1.0:
        r = -1.0
    return r


@intrinsic
def _pointer(typingctx, address):
    """``void*`` from an integer address (for :func:`borrowed`)."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)
    return types.voidptr(address), codegen


@njit(inline="always", **_OPTS)
def borrowed(a):
    """A view of the contiguous 1-D float64 array ``a`` that holds no reference to it.

    Numba reference-counts every array it hands to a helper, with an atomic increment
    and decrement; with a dozen helper calls per layer that was half of a per-sample
    step (2.1 µs → 1.2 µs without). A view made from the raw pointer is not counted.
    Only for arrays kept alive by the caller for the whole call, i.e. arguments.
    """
    if not a.flags.c_contiguous:
        raise ValueError("borrowed: the array must be contiguous")
    return carray(_pointer(a.ctypes.data), a.shape[0], np.float64)


@njit(**_OPTS)
def activate(code, Z, A, n, m):
    """A = f(Z) for n rows of m values (flat row-major slices); softmax acts per row."""
    if code == A_SOFTMAX:
        for i in range(n):
            r = i * m
            mx = Z[r]
            for j in range(1, m):
                if Z[r + j] > mx:
                    mx = Z[r + j]
            s = 0.0
            for j in range(m):
                e = math.exp(Z[r + j] - mx)
                A[r + j] = e
                s += e
            for j in range(m):
                A[r + j] /= s
        return
    size = n * m
    if code == A_TANH:
        for i in range(size):
            A[i] = fast_tanh(Z[i])
    elif code == A_RELU:
        for i in range(size):
            A[i] = max(Z[i], 0.0)
    elif code == A_LINEAR:
        for i in range(size):
            A[i] = Z[i]
    elif code == A_SIGMOID:
        for i in range(size):
            A[i] = 0.5 + 0.5 * fast_tanh(0.5 * Z[i])
    else:
        for i in range(size):
            z = Z[i]
            if code == A_LEAKY:
                a = z if z > 0.0 else LEAKY * z
            elif code == A_ELU:
                a = z if z > 0.0 else math.expm1(z)
            elif code == A_SOFTPLUS:
                a = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
            elif code == A_SWISH:
                a = z * (0.5 + 0.5 * fast_tanh(0.5 * z))
            elif code == A_GELU:
                a = 0.5 * z * (1.0 + math.erf(z * _INV_SQRT2))
            elif code == A_SINE:
                a = math.sin(z)
            else:  # gaussian
                a = math.exp(-z * z)
            A[i] = a


@njit(**_OPTS)
def activation_grad(code, Z, A, D, size):
    """D *= f'(Z) in place over ``size`` values (D holds dL/dA on entry, dL/dZ on exit)."""
    if code == A_TANH:
        for i in range(size):
            D[i] *= 1.0 - A[i] * A[i]
    elif code == A_RELU:
        for i in range(size):
            D[i] *= 1.0 if Z[i] > 0.0 else 0.0
    elif code == A_LINEAR:
        return
    elif code == A_SIGMOID:
        for i in range(size):
            D[i] *= A[i] * (1.0 - A[i])
    else:
        for i in range(size):
            z = Z[i]
            a = A[i]
            if code == A_LEAKY:
                g = 1.0 if z > 0.0 else LEAKY
            elif code == A_ELU:
                g = 1.0 if z > 0.0 else a + 1.0
            elif code == A_SOFTPLUS:
                g = 0.5 + 0.5 * fast_tanh(0.5 * z)
            elif code == A_SWISH:
                s = 0.5 + 0.5 * fast_tanh(0.5 * z)
                g = s + z * s * (1.0 - s)
            elif code == A_GELU:
                g = (0.5 * (1.0 + math.erf(z * _INV_SQRT2))
                     + z * _INV_SQRT_2PI * math.exp(-0.5 * z * z))
            elif code == A_SINE:
                g = math.cos(z)
            else:  # gaussian
                g = -2.0 * z * a
            D[i] *= g


@njit(**_OPTS)
def matmul(a, b, out):
    """out = a @ b through BLAS, for C-contiguous 2-D arrays.

    Deliberately not inlined and used with one array layout only: binding ``np.dot``
    costs seconds of first compile, and this way it happens once for all kernels.
    """
    np.dot(a, b, out)


@njit(**_OPTS)
def transposed(a):
    """A C-contiguous copy of ``a.T``."""
    rows, cols = a.shape
    out = np.empty((cols, rows))
    for i in range(rows):
        for j in range(cols):
            out[j, i] = a[i, j]
    return out


@njit(inline="always", **_OPTS)
def dense_forward(A, W, b, Z, n, fan_in, fan_out):
    """Z = A @ W + b on flat row-major slices (A: n×fan_in, W: fan_in×fan_out, Z: n×fan_out)."""
    if n * fan_in * fan_out >= BLAS_MIN:
        matmul(A[:n * fan_in].reshape((n, fan_in)),
               W[:fan_in * fan_out].reshape((fan_in, fan_out)),
               Z[:n * fan_out].reshape((n, fan_out)))
        for i in range(n):
            for j in range(fan_out):
                Z[i * fan_out + j] += b[j]
        return
    for i in range(n):
        zr = i * fan_out
        for j in range(fan_out):
            Z[zr + j] = b[j]
        for k in range(fan_in):
            a = A[i * fan_in + k]
            wr = k * fan_out
            for j in range(fan_out):
                Z[zr + j] += a * W[wr + j]


@njit(inline="always", **_OPTS)
def dense_backward(A, W, D, dW, db, dA, want_dA, n, fan_in, fan_out):
    """dW = A.T @ D, db = Σ_rows D, and (if want_dA) dA = D @ W.T, on flat row-major slices."""
    big = n * fan_in * fan_out >= BLAS_MIN
    if big:
        A2 = A[:n * fan_in].reshape((n, fan_in))
        D2 = D[:n * fan_out].reshape((n, fan_out))
        # Only C-contiguous products: each extra layout costs seconds of first compile.
        matmul(transposed(A2), D2, dW[:fan_in * fan_out].reshape((fan_in, fan_out)))
        for j in range(fan_out):
            db[j] = 0.0
        for i in range(n):
            for j in range(fan_out):
                db[j] += D[i * fan_out + j]
        if want_dA:
            matmul(D2, transposed(W[:fan_in * fan_out].reshape((fan_in, fan_out))),
                   dA[:n * fan_in].reshape((n, fan_in)))
        return
    # Small layers: one pass over W per example computes dW, db and dA together.
    for k in range(fan_in * fan_out):
        dW[k] = 0.0
    for j in range(fan_out):
        db[j] = 0.0
    for i in range(n):
        dr = i * fan_out
        for j in range(fan_out):
            db[j] += D[dr + j]
        for k in range(fan_in):
            a = A[i * fan_in + k]
            wr = k * fan_out
            s = 0.0
            for j in range(fan_out):
                d = D[dr + j]
                dW[wr + j] += a * d
                s += d * W[wr + j]
            if want_dA:
                dA[i * fan_in + k] = s


@njit(inline="always", **_OPTS)
def output_loss_grad(loss_code, act_code, Z, A, Y, D, n, k):
    """Mean batch loss; D = dL/dZ for the output layer (flat n×k slices)."""
    total = 0.0
    if loss_code == L_SOFTMAX_CE:
        for i in range(n):
            r = i * k
            mx = Z[r]
            for j in range(1, k):
                if Z[r + j] > mx:
                    mx = Z[r + j]
            s = 0.0
            for j in range(k):
                s += math.exp(Z[r + j] - mx)
            lse = mx + math.log(s)
            for j in range(k):
                total -= Y[r + j] * (Z[r + j] - lse)
                D[r + j] = (A[r + j] - Y[r + j]) / n
        return total / n
    scale = 1.0 / (n * k)
    size = n * k
    if loss_code == L_BCE:
        for i in range(size):
            z = Z[i]
            total += max(z, 0.0) - Y[i] * z + math.log1p(math.exp(-abs(z)))
            D[i] = (A[i] - Y[i]) * scale
        return total * scale
    for i in range(size):  # mse
        e = A[i] - Y[i]
        total += e * e
        D[i] = 2.0 * e * scale
    activation_grad(act_code, Z, A, D, size)
    return total * scale


@njit(**_OPTS)
def splitmix64(state):
    """Next 64-bit random number; ``state`` is a uint64 array of length 1."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(**_OPTS)
def shuffle(perm, state):
    """Fisher–Yates shuffle of ``perm`` in place with :func:`splitmix64`."""
    for i in range(perm.shape[0] - 1, 0, -1):
        j = np.int64(splitmix64(state) % np.uint64(i + 1))
        perm[i], perm[j] = perm[j], perm[i]


@njit(inline="always", **_OPTS)
def _penalised(g, w, l1, l2):
    """The gradient with the regularisation terms: dL/dw + l1·sign(w) + l2·w.

    The optimizer loops below share it. Each returns early on ``start < 0`` and counts
    from 0: that lets LLVM prove the indices non-negative, drop Numba's wraparound on
    each access and vectorise (8x on the Adam update).
    """
    return g + l2 * w + l1 * ((w > 0.0) - (w < 0.0))


@njit(inline="always", **_OPTS)
def _sgd(params, grads, start, stop, lr, l1, l2):
    """w ← w − lr·g, with g = dL/dw + l1·sign(w) + l2·w (``update_all`` checks finiteness)."""
    if start < 0:  # see _penalised
        return
    for k in range(stop - start):
        i = start + k
        w = params[i]
        g = _penalised(grads[i], w, l1, l2)
        w -= lr * g
        params[i] = w


@njit(inline="always", **_OPTS)
def _momentum(params, grads, vel, start, stop, lr, l1, l2, mu, nest):
    """v ← μv − lr·g; w ← w + v (Nesterov, nest = 1: w ← w + μv − lr·g)."""
    if start < 0:  # see _penalised
        return
    for k in range(stop - start):
        i = start + k
        w = params[i]
        g = _penalised(grads[i], w, l1, l2)
        v = mu * vel[i] - lr * g
        vel[i] = v
        w += v + nest * (mu * v - lr * g - v)
        params[i] = w


@njit(inline="always", **_OPTS)
def _rmsprop(params, grads, sq, start, stop, lr, l1, l2, rho, eps):
    """s ← ρs + (1 − ρ)g²; w ← w − lr·g / (√s + ε)."""
    if start < 0:  # see _penalised
        return
    for k in range(stop - start):
        i = start + k
        w = params[i]
        g = _penalised(grads[i], w, l1, l2)
        s = rho * sq[i] + (1.0 - rho) * g * g
        sq[i] = s
        w -= lr * g / (math.sqrt(s) + eps)
        params[i] = w


@njit(inline="always", **_OPTS)
def _adam(params, grads, m1, m2, start, stop, lr, l1, l2, b1, b2, eps, c1, c2):
    """m ← β1·m + (1 − β1)g; v ← β2·v + (1 − β2)g²; w ← w − lr·m̂ / (√v̂ + ε)."""
    if start < 0:  # see _penalised
        return
    for k in range(stop - start):
        i = start + k
        w = params[i]
        g = _penalised(grads[i], w, l1, l2)
        m = b1 * m1[i] + (1.0 - b1) * g
        v = b2 * m2[i] + (1.0 - b2) * g * g
        m1[i] = m
        m2[i] = v
        w -= lr * (m * c1) / (math.sqrt(v * c2) + eps)
        params[i] = w


@njit(inline="always", **_OPTS)
def all_finite(x):
    """True if no value of ``x`` is NaN or infinite.

    ``v * 0`` is 0 for finite ``v`` and NaN otherwise. Four partial sums, because one
    running float sum is a serial chain LLVM may not reorder (it made every optimizer
    loop scalar when the check lived inside it).
    """
    n = x.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    i = 0
    while i + 4 <= n:
        s0 += x[i] * 0.0
        s1 += x[i + 1] * 0.0
        s2 += x[i + 2] * 0.0
        s3 += x[i + 3] * 0.0
        i += 4
    while i < n:
        s0 += x[i] * 0.0
        i += 1
    return (s0 + s1) + (s2 + s3) == 0.0


@njit(inline="always", **_OPTS)
def all_within_limit(x):
    """True if every value of ``x`` is finite and within ±:data:`WEIGHT_LIMIT`.

    The :func:`all_finite` test on ``x · (float64 max / limit)``: that product overflows to
    infinity exactly when ``|x|`` exceeds the limit. One multiply more, same speed.
    """
    n = x.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    i = 0
    while i + 4 <= n:
        s0 += (x[i] * _LIMIT_SCALE) * 0.0
        s1 += (x[i + 1] * _LIMIT_SCALE) * 0.0
        s2 += (x[i + 2] * _LIMIT_SCALE) * 0.0
        s3 += (x[i + 3] * _LIMIT_SCALE) * 0.0
        i += 4
    while i < n:
        s0 += (x[i] * _LIMIT_SCALE) * 0.0
        i += 1
    return (s0 + s1) + (s2 + s3) == 0.0


@njit(inline="always", **_OPTS)
def _segment(g, sizes, woff, boff, l1, l2):
    """Segment ``g`` of the parameters: (start, stop, l1, l2); even = the weights of
    layer g // 2 (regularised), odd = its biases (not regularised)."""
    l = g // 2
    if g % 2 == 0:
        start = woff[l]
        return start, start + sizes[l] * sizes[l + 1], l1, l2
    start = boff[l]
    return start, start + sizes[l + 1], 0.0, 0.0


@njit(**_OPTS)
def update_all(params, grads, m1, m2, sizes, woff, boff, opt, hyper, t):
    """One optimizer step on every layer (weights regularised, biases not).

    The optimizer is chosen once, outside the layer loop: a per-element branch on it
    costs a quarter of a small network's step. False if a parameter became non-finite or
    left ±WEIGHT_LIMIT.
    """
    n_segments = 2 * (sizes.shape[0] - 1)  # weights, biases, weights, biases, ...
    lr = hyper[H_LR]
    l1 = hyper[H_L1]
    l2 = hyper[H_L2]
    # One call site per optimizer (segments in a loop): each inlined copy costs ~0.1 s
    # of first compile.
    if opt == OPT_SGD:
        for g in range(n_segments):
            start, stop, r1, r2 = _segment(g, sizes, woff, boff, l1, l2)
            _sgd(params, grads, start, stop, lr, r1, r2)
    elif opt == OPT_ADAM:
        b1 = hyper[H_B1]
        b2 = hyper[H_B2]
        eps = hyper[H_EPS]
        c1 = 1.0 / (1.0 - b1 ** t)
        c2 = 1.0 / (1.0 - b2 ** t)
        for g in range(n_segments):
            start, stop, r1, r2 = _segment(g, sizes, woff, boff, l1, l2)
            _adam(params, grads, m1, m2, start, stop, lr, r1, r2, b1, b2, eps, c1, c2)
    elif opt == OPT_RMSPROP:
        rho = hyper[H_RHO]
        eps = hyper[H_EPS]
        for g in range(n_segments):
            start, stop, r1, r2 = _segment(g, sizes, woff, boff, l1, l2)
            _rmsprop(params, grads, m2, start, stop, lr, r1, r2, rho, eps)
    else:
        mu = hyper[H_MOM]
        nest = 1.0 if opt == OPT_NESTEROV else 0.0
        for g in range(n_segments):
            start, stop, r1, r2 = _segment(g, sizes, woff, boff, l1, l2)
            _momentum(params, grads, m1, start, stop, lr, r1, r2, mu, nest)
    return all_within_limit(params)


def work_size(sizes, batch_size, n_rows):
    """Floats of scratch space :func:`train_steps` needs (``sizes`` as in the layout)."""
    bmax = min(int(batch_size), int(n_rows))
    n_params = sum(int(sizes[l]) * int(sizes[l + 1]) + int(sizes[l + 1])
                   for l in range(len(sizes) - 1))
    return 3 * bmax * int(sum(sizes)) + n_params + bmax * int(sizes[-1])


@njit(**_OPTS)
def train_steps(params, sizes, woff, boff, acts, loss_code, opt, hyper, m1, m2, grads,
                X, Y, perm, counters, rng, n_steps, batch_size, work):
    """Run up to ``n_steps`` mini-batch steps in place.

    Returns ``(status, steps_done, last_loss)``; status 0 = fine, 1 = the batch loss was
    not finite (nothing updated), 2 = an update produced a non-finite parameter or one
    beyond ±WEIGHT_LIMIT (the parameters of the step before are restored). ``work`` is
    scratch space of at least
    :func:`work_size` floats, owned by the caller (allocating it here would need a
    second compiled function to keep it alive, which costs 1.5 s of first compile).

    Every float array is used through a :func:`borrowed` view: all of them are
    arguments, so they outlive the call.
    """
    n_layers = sizes.shape[0] - 1
    rows = min(batch_size, X.shape[0])
    needed = 4 * rows * sizes[n_layers]
    for l in range(n_layers):
        needed += sizes[l] * sizes[l + 1] + sizes[l + 1] + 3 * rows * sizes[l]
    n_params = params.shape[0]
    if (work.shape[0] < needed or grads.shape[0] != n_params or m1.shape[0] != n_params
            or m2.shape[0] != n_params):
        raise ValueError("train_steps: scratch space or optimizer buffers of the wrong size")
    params = borrowed(params)
    grads = borrowed(grads)
    m1 = borrowed(m1)
    m2 = borrowed(m2)
    work = borrowed(work)
    n = X.shape[0]
    bmax = min(batch_size, n)
    total = 0
    for l in range(n_layers + 1):
        total += sizes[l]
    n_out = sizes[n_layers]
    size = bmax * total
    abuf = work[:size]
    zbuf = work[size:2 * size]
    dbuf = work[2 * size:3 * size]
    prev = work[3 * size:3 * size + n_params]
    ybuf = work[3 * size + n_params:3 * size + n_params + bmax * n_out]
    aoff = np.zeros(n_layers + 2, dtype=np.int64)
    for l in range(n_layers + 1):
        aoff[l + 1] = aoff[l] + bmax * sizes[l]
    last_loss = 0.0
    for s in range(n_steps):
        cursor = counters[C_CURSOR]
        bsz = min(bmax, n - cursor)
        n0 = sizes[0]
        for i in range(bsz):
            r = perm[cursor + i]
            for k in range(n0):
                abuf[i * n0 + k] = X[r, k]
            for k in range(n_out):
                ybuf[i * n_out + k] = Y[r, k]
        # forward: layer l reads abuf[aoff[l]:], writes zbuf/abuf[aoff[l+1]:]
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            Zl = zbuf[aoff[l + 1]:]
            Al = abuf[aoff[l + 1]:]
            dense_forward(abuf[aoff[l]:], params[woff[l]:], params[boff[l]:], Zl,
                          bsz, fi, fo)
            activate(acts[l], Zl, Al, bsz, fo)
        L = n_layers
        loss = output_loss_grad(loss_code, acts[L - 1], zbuf[aoff[L]:], abuf[aoff[L]:], ybuf,
                                dbuf[aoff[L]:], bsz, n_out)
        if not math.isfinite(loss):
            return 1, s, loss
        last_loss = loss
        # backward: dbuf[aoff[l+1]:] holds dL/dZ of layer l; write dL/dA of its input
        for l in range(n_layers - 1, -1, -1):
            fi = sizes[l]
            fo = sizes[l + 1]
            dense_backward(abuf[aoff[l]:], params[woff[l]:], dbuf[aoff[l + 1]:],
                           grads[woff[l]:], grads[boff[l]:], dbuf[aoff[l]:], l > 0,
                           bsz, fi, fo)
            if l > 0:
                activation_grad(acts[l - 1], zbuf[aoff[l]:], abuf[aoff[l]:], dbuf[aoff[l]:],
                                bsz * fi)
        # update
        for i in range(n_params):  # a loop: slice assignment adds ~3 s of first compile
            prev[i] = params[i]
        counters[C_T] += 1
        t = counters[C_T]
        ok = update_all(params, grads, m1, m2, sizes, woff, boff, opt, hyper, t)
        if not ok:
            for i in range(n_params):
                params[i] = prev[i]
            counters[C_T] -= 1
            return 2, s, loss
        counters[C_STEP] += 1
        cursor += bsz
        if cursor >= n:
            cursor = 0
            counters[C_EPOCH] += 1
            shuffle(perm, rng)
        counters[C_CURSOR] = cursor
    return 0, n_steps, last_loss


@njit(**_OPTS)
def forward_all(params, sizes, woff, boff, acts, X, out, chunk):
    """Every neuron's activation for every row of X, unit-major, for heatmaps.

    ``out`` has shape (Σ units of layers 1..L, n) (any float dtype; the trainer passes
    float32): row ``off_l + j`` is unit ``j`` of layer ``l`` over all rows of X, so a
    layer's block reshapes to (units, N, N) without a copy. Values are clipped to
    ±F32_MAX and NaN becomes 0, so a heatmap never receives inf or NaN (a network
    about to diverge can produce both). Rows go through in chunks of ``chunk`` so each
    layer's work is a small matrix product.
    """
    n_layers = sizes.shape[0] - 1
    n = X.shape[0]
    maxw = 0
    for l in range(n_layers + 1):
        maxw = max(maxw, sizes[l])
    buf_z = np.empty(chunk * maxw)
    buf_1 = np.empty(chunk * maxw)
    buf_2 = np.empty(chunk * maxw)
    n0 = sizes[0]
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        for i in range(m):
            for k in range(n0):
                buf_1[i * n0 + k] = X[start + i, k]
        col = 0
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            cur = buf_1 if l % 2 == 0 else buf_2
            nxt = buf_2 if l % 2 == 0 else buf_1
            dense_forward(cur, params[woff[l]:], params[boff[l]:], buf_z, m, fi, fo)
            activate(acts[l], buf_z, nxt, m, fo)
            for j in range(fo):
                for i in range(m):
                    v = nxt[i * fo + j]
                    if v > F32_MAX:
                        v = F32_MAX
                    elif v < -F32_MAX:
                        v = -F32_MAX
                    elif v != v:
                        v = 0.0
                    out[col + j, start + i] = v
            col += fo
    return out


@njit(**_OPTS)
def evaluate(params, sizes, woff, boff, acts, loss_code, X, Y, chunk):
    """Loss and metrics of the whole set (X, Y) in one GIL-free call.

    Returns ``(loss, accuracy, r2, rmse)`` with the loss conventions of
    :mod:`neuroviz.engine.losses`; accuracy is argmax agreement for softmax_ce and
    element-wise ``p ≥ 0.5`` agreement otherwise; R² pools the outputs.
    """
    n_layers = sizes.shape[0] - 1
    n = X.shape[0]
    k = sizes[n_layers]
    maxw = 0
    for l in range(n_layers + 1):
        maxw = max(maxw, sizes[l])
    buf_z = np.empty(chunk * maxw)
    buf_1 = np.empty(chunk * maxw)
    buf_2 = np.empty(chunk * maxw)
    mean = np.zeros(k)
    for i in range(n):
        for j in range(k):
            mean[j] += Y[i, j]
    for j in range(k):
        mean[j] /= n
    loss = 0.0
    correct = 0.0
    sse = 0.0
    sst = 0.0
    n0 = sizes[0]
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        for i in range(m):
            for c in range(n0):
                buf_1[i * n0 + c] = X[start + i, c]
        out = buf_1
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            cur = buf_1 if l % 2 == 0 else buf_2
            out = buf_2 if l % 2 == 0 else buf_1
            dense_forward(cur, params[woff[l]:], params[boff[l]:], buf_z, m, fi, fo)
            activate(acts[l], buf_z, out, m, fo)
        for i in range(m):
            r = i * k
            row = start + i
            if loss_code == L_SOFTMAX_CE:
                mx = buf_z[r]
                best = 0
                for j in range(1, k):
                    if buf_z[r + j] > mx:
                        mx = buf_z[r + j]
                        best = j
                s = 0.0
                for j in range(k):
                    s += math.exp(buf_z[r + j] - mx)
                lse = mx + math.log(s)
                truth = 0
                for j in range(k):
                    loss -= Y[row, j] * (buf_z[r + j] - lse)
                    if Y[row, j] > Y[row, truth]:
                        truth = j
                if best == truth:
                    correct += 1.0
            else:
                for j in range(k):
                    z = buf_z[r + j]
                    y = Y[row, j]
                    if loss_code == L_BCE:
                        loss += max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z)))
                    else:
                        e0 = out[r + j] - y
                        loss += e0 * e0
                    if (out[r + j] >= 0.5) == (y >= 0.5):
                        correct += 1.0
            for j in range(k):
                e = out[r + j] - Y[row, j]
                sse += e * e
                d = Y[row, j] - mean[j]
                sst += d * d
    if loss_code == L_SOFTMAX_CE:
        loss /= n
        accuracy = correct / n
    else:
        loss /= n * k
        accuracy = correct / (n * k)
    if sst == 0.0:
        r2 = 1.0 if sse == 0.0 else 0.0
    else:
        r2 = 1.0 - sse / sst
    return loss, accuracy, r2, math.sqrt(sse / (n * k))
