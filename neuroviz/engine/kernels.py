"""Numba kernels: many training steps of a dense stack in one compiled call.

Layout shared with :class:`~neuroviz.engine.network.Network`: all parameters in
one flat float64 vector ``params``; layer ``l`` (0-based) has ``W`` at
``woff[l]`` with shape ``(sizes[l], sizes[l+1])`` and ``b`` at ``boff[l]``.
Per-layer arrays are taken as reshaped slices of flat buffers at the start of
each layer's work, never as offsets inside inner loops.

All kernels are ``@njit(nogil=True, cache=True, error_model="numpy")``:
``nogil`` lets the GUI thread run while a worker trains; ``cache`` keeps the
second start fast; the NumPy error model lets LLVM vectorise divisions.
``fastmath`` is not used, so NaN checks stay truthful.

Differences from the exact reference (``network.py`` / ``reference.py``):
tanh, sigmoid, swish and softplus' derivative use a rational approximation of tanh
(max abs error ≈ 3e-7); everything else is exact float64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(**_OPTS)
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


@njit(**_OPTS)
def activate(code, Z, A):
    """A = f(Z) element-wise (Z, A 2-D views of the same shape); softmax per row."""
    n, m = Z.shape
    if code == A_SOFTMAX:
        for i in range(n):
            mx = Z[i, 0]
            for j in range(1, m):
                if Z[i, j] > mx:
                    mx = Z[i, j]
            s = 0.0
            for j in range(m):
                e = math.exp(Z[i, j] - mx)
                A[i, j] = e
                s += e
            for j in range(m):
                A[i, j] /= s
        return
    for i in range(n):
        for j in range(m):
            z = Z[i, j]
            if code == A_TANH:
                a = fast_tanh(z)
            elif code == A_RELU:
                a = z if z > 0.0 else 0.0
            elif code == A_LINEAR:
                a = z
            elif code == A_SIGMOID:
                a = 0.5 + 0.5 * fast_tanh(0.5 * z)
            elif code == A_LEAKY:
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
            A[i, j] = a


@njit(**_OPTS)
def activation_grad(code, Z, A, D):
    """D *= f'(Z) in place (D holds dL/dA on entry, dL/dZ on exit)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            z = Z[i, j]
            a = A[i, j]
            if code == A_TANH:
                g = 1.0 - a * a
            elif code == A_RELU:
                g = 1.0 if z > 0.0 else 0.0
            elif code == A_LINEAR:
                g = 1.0
            elif code == A_SIGMOID:
                g = a * (1.0 - a)
            elif code == A_LEAKY:
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
            D[i, j] *= g


@njit(**_OPTS)
def dense_forward(A, W, b, Z):
    """Z = A @ W + b."""
    n, fan_in = A.shape
    fan_out = W.shape[1]
    if n * fan_in * fan_out >= BLAS_MIN:
        Z[:, :] = np.dot(A, W)
        for i in range(n):
            for j in range(fan_out):
                Z[i, j] += b[j]
        return
    for i in range(n):
        for j in range(fan_out):
            Z[i, j] = b[j]
        for k in range(fan_in):
            a = A[i, k]
            for j in range(fan_out):
                Z[i, j] += a * W[k, j]


@njit(**_OPTS)
def dense_backward(A, W, D, dW, db, dA, want_dA):
    """dW = A.T @ D, db = Σ_rows D, and (if want_dA) dA = D @ W.T."""
    n, fan_in = A.shape
    fan_out = W.shape[1]
    big = n * fan_in * fan_out >= BLAS_MIN
    if big:
        dW[:, :] = np.dot(A.T, D)
    else:
        for k in range(fan_in):
            for j in range(fan_out):
                dW[k, j] = 0.0
        for i in range(n):
            for k in range(fan_in):
                a = A[i, k]
                for j in range(fan_out):
                    dW[k, j] += a * D[i, j]
    for j in range(fan_out):
        db[j] = 0.0
    for i in range(n):
        for j in range(fan_out):
            db[j] += D[i, j]
    if want_dA:
        if big:
            dA[:, :] = np.dot(D, W.T)
        else:
            for i in range(n):
                for k in range(fan_in):
                    s = 0.0
                    for j in range(fan_out):
                        s += D[i, j] * W[k, j]
                    dA[i, k] = s


@njit(**_OPTS)
def output_loss_grad(loss_code, act_code, Z, A, Y, D):
    """Mean batch loss; D = dL/dZ for the output layer."""
    n, k = Z.shape
    total = 0.0
    if loss_code == L_SOFTMAX_CE:
        for i in range(n):
            mx = Z[i, 0]
            for j in range(1, k):
                if Z[i, j] > mx:
                    mx = Z[i, j]
            s = 0.0
            for j in range(k):
                s += math.exp(Z[i, j] - mx)
            lse = mx + math.log(s)
            for j in range(k):
                total -= Y[i, j] * (Z[i, j] - lse)
                D[i, j] = (A[i, j] - Y[i, j]) / n
        return total / n
    scale = 1.0 / (n * k)
    if loss_code == L_BCE:
        for i in range(n):
            for j in range(k):
                z = Z[i, j]
                total += max(z, 0.0) - Y[i, j] * z + math.log1p(math.exp(-abs(z)))
                D[i, j] = (A[i, j] - Y[i, j]) * scale
        return total * scale
    for i in range(n):  # mse
        for j in range(k):
            e = A[i, j] - Y[i, j]
            total += e * e
            D[i, j] = 2.0 * e * scale
    activation_grad(act_code, Z, A, D)
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


@njit(**_OPTS)
def update_range(params, grads, m1, m2, start, stop, reg, opt, hyper, t):
    """Apply one optimizer step to params[start:stop]; return False if a value became non-finite.

    reg: whether L1/L2 apply (weights yes, biases no). Gradient g = dL/dθ + l1·sign(θ) + l2·θ.
    """
    lr = hyper[H_LR]
    l1 = hyper[H_L1] if reg else 0.0
    l2 = hyper[H_L2] if reg else 0.0
    mu = hyper[H_MOM]
    ok = True
    if opt == OPT_ADAM:
        b1 = hyper[H_B1]
        b2 = hyper[H_B2]
        eps = hyper[H_EPS]
        c1 = 1.0 / (1.0 - b1 ** t)
        c2 = 1.0 / (1.0 - b2 ** t)
    for i in range(start, stop):
        w = params[i]
        g = grads[i]
        if reg:
            g += l2 * w
            if w > 0.0:
                g += l1
            elif w < 0.0:
                g -= l1
        if opt == OPT_SGD:
            w -= lr * g
        elif opt == OPT_ADAM:
            m = b1 * m1[i] + (1.0 - b1) * g
            v = b2 * m2[i] + (1.0 - b2) * g * g
            m1[i] = m
            m2[i] = v
            w -= lr * (m * c1) / (math.sqrt(v * c2) + eps)
        elif opt == OPT_RMSPROP:
            rho = hyper[H_RHO]
            s = rho * m2[i] + (1.0 - rho) * g * g
            m2[i] = s
            w -= lr * g / (math.sqrt(s) + hyper[H_EPS])
        else:  # momentum / nesterov: v ← μv − lr·g; w ← w + v  (nesterov: w ← w + μv − lr·g)
            v = mu * m1[i] - lr * g
            m1[i] = v
            if opt == OPT_NESTEROV:
                w += mu * v - lr * g
            else:
                w += v
        if not math.isfinite(w):
            ok = False
        params[i] = w
    return ok


@njit(**_OPTS)
def train_steps(params, sizes, woff, boff, acts, loss_code, opt, hyper, m1, m2, grads,
                X, Y, perm, counters, rng, n_steps, batch_size):
    """Run up to ``n_steps`` mini-batch steps in place.

    Returns ``(status, steps_done, last_loss)``; status 0 = fine, 1 = the batch loss was
    not finite (nothing updated), 2 = an update produced a non-finite parameter (the
    parameters of the step before are restored).
    """
    n_layers = sizes.shape[0] - 1
    n = X.shape[0]
    bmax = min(batch_size, n)
    total = 0
    for l in range(n_layers + 1):
        total += sizes[l]
    abuf = np.empty(bmax * total)
    zbuf = np.empty(bmax * total)
    dbuf = np.empty(bmax * total)
    prev = np.empty(params.shape[0])
    aoff = np.zeros(n_layers + 2, dtype=np.int64)
    for l in range(n_layers + 1):
        aoff[l + 1] = aoff[l] + bmax * sizes[l]
    n_out = sizes[n_layers]
    ybuf = np.empty(bmax * n_out)
    last_loss = 0.0
    for s in range(n_steps):
        cursor = counters[C_CURSOR]
        bsz = min(bmax, n - cursor)
        A0 = abuf[0:bsz * sizes[0]].reshape((bsz, sizes[0]))
        Yb = ybuf[0:bsz * n_out].reshape((bsz, n_out))
        for i in range(bsz):
            r = perm[cursor + i]
            for k in range(sizes[0]):
                A0[i, k] = X[r, k]
            for k in range(n_out):
                Yb[i, k] = Y[r, k]
        # forward
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            Ain = abuf[aoff[l]:aoff[l] + bsz * fi].reshape((bsz, fi))
            Zl = zbuf[aoff[l + 1]:aoff[l + 1] + bsz * fo].reshape((bsz, fo))
            Al = abuf[aoff[l + 1]:aoff[l + 1] + bsz * fo].reshape((bsz, fo))
            W = params[woff[l]:woff[l] + fi * fo].reshape((fi, fo))
            b = params[boff[l]:boff[l] + fo]
            dense_forward(Ain, W, b, Zl)
            activate(acts[l], Zl, Al)
        L = n_layers
        ZL = zbuf[aoff[L]:aoff[L] + bsz * n_out].reshape((bsz, n_out))
        AL = abuf[aoff[L]:aoff[L] + bsz * n_out].reshape((bsz, n_out))
        DL = dbuf[aoff[L]:aoff[L] + bsz * n_out].reshape((bsz, n_out))
        loss = output_loss_grad(loss_code, acts[L - 1], ZL, AL, Yb, DL)
        if not math.isfinite(loss):
            return 1, s, loss
        last_loss = loss
        # backward
        for l in range(n_layers - 1, -1, -1):
            fi = sizes[l]
            fo = sizes[l + 1]
            Ain = abuf[aoff[l]:aoff[l] + bsz * fi].reshape((bsz, fi))
            D = dbuf[aoff[l + 1]:aoff[l + 1] + bsz * fo].reshape((bsz, fo))
            W = params[woff[l]:woff[l] + fi * fo].reshape((fi, fo))
            dW = grads[woff[l]:woff[l] + fi * fo].reshape((fi, fo))
            db = grads[boff[l]:boff[l] + fo]
            dA = dbuf[aoff[l]:aoff[l] + bsz * fi].reshape((bsz, fi))
            dense_backward(Ain, W, D, dW, db, dA, l > 0)
            if l > 0:
                Zp = zbuf[aoff[l]:aoff[l] + bsz * fi].reshape((bsz, fi))
                activation_grad(acts[l - 1], Zp, Ain, dA)
        # update
        prev[:] = params
        counters[C_T] += 1
        t = counters[C_T]
        ok = True
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            ok &= update_range(params, grads, m1, m2, woff[l], woff[l] + fi * fo, True, opt,
                               hyper, t)
            ok &= update_range(params, grads, m1, m2, boff[l], boff[l] + fo, False, opt,
                               hyper, t)
        if not ok:
            params[:] = prev
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
    """Every neuron's activation for every row of X: ``out[:, off_l : off_l + units_l]``.

    ``out`` has shape (n, Σ units of layers 1..L); rows go through in chunks of
    ``chunk`` so each layer's work is a small matrix product.
    """
    n_layers = sizes.shape[0] - 1
    n = X.shape[0]
    maxw = 0
    for l in range(n_layers + 1):
        maxw = max(maxw, sizes[l])
    buf_z = np.empty(chunk * maxw)
    buf_1 = np.empty(chunk * maxw)
    buf_2 = np.empty(chunk * maxw)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        cur = buf_1[0:m * sizes[0]].reshape((m, sizes[0]))
        for i in range(m):
            for k in range(sizes[0]):
                cur[i, k] = X[start + i, k]
        col = 0
        for l in range(n_layers):
            fi = sizes[l]
            fo = sizes[l + 1]
            W = params[woff[l]:woff[l] + fi * fo].reshape((fi, fo))
            b = params[boff[l]:boff[l] + fo]
            Zl = buf_z[0:m * fo].reshape((m, fo))
            dense_forward(cur, W, b, Zl)
            if l % 2 == 0:
                nxt = buf_2[0:m * fo].reshape((m, fo))
            else:
                nxt = buf_1[0:m * fo].reshape((m, fo))
            activate(acts[l], Zl, nxt)
            for i in range(m):
                for j in range(fo):
                    out[start + i, col + j] = nxt[i, j]
            col += fo
            cur = nxt
    return out
