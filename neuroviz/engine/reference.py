"""NumPy reference implementation of the training loop.

It does exactly what :func:`neuroviz.engine.kernels.train_steps` does, step for
step, but with NumPy array operations and the exact float64 layer math of
:class:`~neuroviz.engine.network.Network`. Tests check the two agree; the
benchmark measures the kernel against it; and it is the trainer's fallback for
networks on request (``backend="numpy"``), since it only uses the layer interface.
"""

from __future__ import annotations

import numpy as np

from neuroviz.engine import kernels as K
from neuroviz.engine.network import Network

_MASK64 = (1 << 64) - 1


def splitmix64(state: np.ndarray) -> int:
    """Pure-Python twin of :func:`kernels.splitmix64` (same sequence)."""
    s = (int(state[0]) + 0x9E3779B97F4A7C15) & _MASK64
    state[0] = np.uint64(s)
    z = s
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def shuffle(perm: np.ndarray, state: np.ndarray) -> None:
    """Fisher–Yates shuffle, identical to :func:`kernels.shuffle`."""
    for i in range(len(perm) - 1, 0, -1):
        j = splitmix64(state) % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]


def regularised_mask(net: Network) -> np.ndarray:
    """True for parameters that L1/L2 apply to (weights, not biases)."""
    mask = np.zeros(net.param_size, dtype=bool)
    for layer, offsets in zip(net.layers, net.param_offsets):
        for (shape, off), reg in zip(zip(layer.param_shapes(), offsets),
                                     layer.regularised()):
            mask[off:off + int(np.prod(shape))] = reg
    return mask


def update(params, grads, m1, m2, mask, opt, hyper, t) -> bool:
    """One optimizer step on the flat vector; returns False if a parameter became non-finite."""
    lr, l1, l2, mu, b1, b2, eps, rho = hyper
    g = grads + mask * (l2 * params + l1 * np.sign(params))
    if opt == K.OPT_SGD:
        new = params - lr * g
    elif opt == K.OPT_ADAM:
        m1[...] = b1 * m1 + (1.0 - b1) * g
        m2[...] = b2 * m2 + (1.0 - b2) * g * g
        new = params - lr * (m1 / (1.0 - b1 ** t)) / (np.sqrt(m2 / (1.0 - b2 ** t)) + eps)
    elif opt == K.OPT_RMSPROP:
        m2[...] = rho * m2 + (1.0 - rho) * g * g
        new = params - lr * g / (np.sqrt(m2) + eps)
    else:
        m1[...] = mu * m1 - lr * g
        new = params + (mu * m1 - lr * g if opt == K.OPT_NESTEROV else m1)
    if not np.all(np.isfinite(new * K._LIMIT_SCALE)):  # non-finite or beyond ±WEIGHT_LIMIT
        return False
    params[...] = new
    return True


def train_steps(net, opt, hyper, m1, m2, grads, X, Y, perm, counters, rng, n_steps,
                batch_size, mask=None, drop=None):
    """Same contract as :func:`kernels.train_steps`, on a :class:`Network` object.

    Forward passes run in training mode: dropout draws its masks from ``drop`` (the
    trainer's dropout stream, advanced in place), in the order the compiled driver does.
    """
    if mask is None:
        mask = regularised_mask(net)
    n = len(X)
    bmax = min(batch_size, n)
    last = 0.0
    for s in range(n_steps):
        cursor = int(counters[K.C_CURSOR])
        rows = perm[cursor:cursor + min(bmax, n - cursor)]
        with np.errstate(over="ignore", invalid="ignore"):
            loss, flat = net.flat_gradient(X[rows], Y[rows], training=True, state=drop)
        if not np.isfinite(loss):
            return 1, s, loss
        last = loss
        grads[...] = flat
        t = int(counters[K.C_T]) + 1
        with np.errstate(over="ignore", invalid="ignore"):
            ok = update(net.params, grads, m1, m2, mask, opt, hyper, t)
        if not ok:
            return 2, s, loss
        counters[K.C_T] = t
        counters[K.C_STEP] += 1
        cursor += len(rows)
        if cursor >= n:
            cursor = 0
            counters[K.C_EPOCH] += 1
            shuffle(perm, rng)
        counters[K.C_CURSOR] = cursor
    return 0, n_steps, last
