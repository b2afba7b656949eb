"""``neuroviz bench``: the Numba engine against the NumPy reference, in one run.

Each case trains the same network on the same data with both backends
(:class:`~neuroviz.engine.Trainer` with ``backend="numba"`` and ``"numpy"``) and
reports microseconds per optimizer step and their ratio. Dense stacks train in
the fused dense kernel; the residual case (10 residual blocks of 2 dense tanh
layers of width 16, between a dense input layer and the output: 22 dense layers)
trains in the generated sequential driver. The heatmap case evaluates every
neuron of a 6 × 8 network on a 100 × 100 grid. Cold start is the first compile
with empty caches (Numba's and the generated drivers'), warm start the same with
the caches filled; each runs in a fresh process: first the default dense network,
then a network with residual blocks and dropout (its driver and kinds compile on
top of the dense kernels).

The convolutional cases report examples per second (batch size × steps per second): a
conv 3×3×8 'valid' ReLU → max-pool 2 → dense softmax network on 12 × 12 × 1 images
(4 classes), and conv 3×3×8 → conv 3×3×16 → global average pool → dense softmax on the
8 × 8 handwritten digits as images. Their NumPy reference is the same vectorised
training loop: convolutions as im2col with one matrix product, pooling as reshaped
window reductions, the same Adam steps.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from neuroviz.engine import Network, Trainer


def _dense(inputs, hidden, outputs, activation, out_act, loss):
    layers = [{"type": "dense", "units": u, "activation": activation} for u in hidden]
    layers.append({"type": "dense", "units": outputs, "activation": out_act})
    return {"inputs": inputs, "layers": layers, "loss": loss}


def _residual(blocks, width, per_block, activation="tanh"):
    inner = [{"type": "dense", "units": width, "activation": activation}] * per_block
    layers = [{"type": "dense", "units": width, "activation": activation}]
    layers += [{"type": "residual", "layers": inner} for _ in range(blocks)]
    layers.append({"type": "dense", "units": 1, "activation": "sigmoid"})
    return {"inputs": 2, "layers": layers, "loss": "bce"}


def _spiral(n, seed=0):
    """Two interleaved spiral arms (as the app's spiral data set), labels 1 and 0."""
    rng = np.random.default_rng(seed)
    half = n // 2
    i = np.arange(half)
    r = i / half * 5.0
    t = 1.75 * i / half * 2.0 * np.pi
    arm = np.column_stack([r * np.sin(t), r * np.cos(t)])
    X = np.concatenate([arm, -arm]) + rng.uniform(-0.1, 0.1, size=(2 * half, 2))
    Y = np.concatenate([np.ones(half), np.zeros(half)])[:, None]
    return X, Y


def _data(n, inputs, outputs, loss, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, inputs))
    if loss == "softmax_ce":
        Y = np.eye(outputs)[rng.integers(0, outputs, size=n)]
    elif loss == "bce":
        Y = (X[:, :1] * X[:, 1:2] > 0).astype(float)
    else:
        Y = np.tanh(X[:, :outputs])
    return X, Y


#: name, spec, rows of random data (or "spiral": 200 points), optimizer, batch size,
#: numba steps, numpy steps
CASES = [
    ("playground 2-8-8-8-1 tanh, batch 10",
     _dense(2, [8, 8, 8], 1, "tanh", "sigmoid", "bce"), 250, "adam", 10, 20000, 2000),
    ("per-sample SGD 2-(8x6)-1 tanh, batch 1",
     _dense(2, [8] * 6, 1, "tanh", "linear", "mse"), 250, "sgd", 1, 20000, 2000),
    ("penguins-sized 4-16-16-3 softmax, batch 32",
     _dense(4, [16, 16], 3, "tanh", "softmax", "softmax_ce"), 270, "adam", 32, 10000, 1000),
    ("digits-sized 64-128-64-10, batch 64",
     _dense(64, [128, 64], 10, "relu", "softmax", "softmax_ce"), 1437, "adam", 64, 600, 200),
    ("residual 10x2 tanh w16 on spiral, batch 10",
     _residual(10, 16, 2), "spiral", "adam", 10, 3000, 300),
    ("residual 10x2 tanh w16 on spiral, batch 1",
     _residual(10, 16, 2), "spiral", "sgd", 1, 10000, 1000),
]


def _conv(filters, padding="valid"):
    return {"type": "conv2d", "filters": filters, "kernel": 3, "stride": 1,
            "padding": padding, "activation": "relu"}


def _shapes_images(n=500, seed=0):
    """12 × 12 × 1 images of four classes (random noise with a bright bar in one of four
    places), as (n, 12, 12, 1) and one-hot targets."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n)
    X = rng.uniform(0.0, 0.3, size=(n, 12, 12, 1))
    for k in range(4):
        rows = labels == k
        if k < 2:
            X[rows, 3 + 5 * k, 2:10, 0] += 0.7
        else:
            X[rows, 2:10, 3 + 5 * (k - 2), 0] += 0.7
    return X, np.eye(4)[labels]


def _digit_images():
    from neuroviz.data import load_dataset

    data = load_dataset("digits", train_ratio=0.8, seed=0)
    return data.X_train.reshape(-1, 8, 8, 1), data.Y_train


#: name, spec, data, optimizer, batch size, numba steps, numpy steps
CNN_CASES = [
    ("conv 3x3x8 > maxpool 2 > dense 4, 12x12x1",
     {"inputs": [12, 12, 1], "layers": [_conv(8), {"type": "maxpool", "size": 2},
                                        {"type": "dense", "units": 4, "activation": "softmax"}],
      "loss": "softmax_ce"}, _shapes_images, "adam", 32, 3000, 300),
    ("conv 8 > conv 16 > global avg > dense 10, digits",
     {"inputs": [8, 8, 1], "layers": [_conv(8), _conv(16), {"type": "globalavgpool"},
                                      {"type": "dense", "units": 10, "activation": "softmax"}],
      "loss": "softmax_ce"}, _digit_images, "adam", 32, 1500, 150),
]


def _time_steps(spec, X, Y, optimizer, batch, backend, steps, repeats):
    net = Network.from_spec(spec, seed=0)
    trainer = Trainer(net, X, Y, optimizer=optimizer, lr=1e-3, batch_size=batch,
                      backend=backend)
    trainer.run(2)  # compile / warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        trainer.run(steps)
        best = min(best, time.perf_counter() - started)
    return best / steps


def _time_heatmaps(repeats):
    spec = _dense(2, [8] * 6, 1, "tanh", "sigmoid", "bce")
    X, Y = _data(100, 2, 1, "bce")
    xs = np.linspace(-6, 6, 100)
    grid = np.array([(a, b) for b in xs for a in xs])
    times = {}
    for backend in ("numba", "numpy"):
        trainer = Trainer(Network.from_spec(spec), X, Y, backend=backend)
        trainer.set_grid(grid, (100, 100))
        trainer.grid_activations()
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            trainer.grid_activations()
            best = min(best, time.perf_counter() - started)
        times[backend] = best
    return times


_STARTUP_SNIPPET = """
import sys, time
t0 = time.perf_counter()
import numpy as np
from neuroviz.engine import Network, Trainer
spec = {"inputs": 2, "layers": [{"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"}
if sys.argv[1] == "residual":
    spec["layers"][1:1] = [{"type": "residual", "layers": [
        {"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dropout", "rate": 0.2}]}]
X = np.random.default_rng(0).normal(size=(20, 2)); Y = (X[:, :1] > 0) * 1.0
t = Trainer(Network.from_spec(spec), X, Y)
t.set_grid(X, (4, 5))
t.run(5, grid=True)
print(time.perf_counter() - t0)
"""


def _startup_times():
    """Cold and warm start of the default network, then of a residual + dropout network."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, NEUROVIZ_CACHE_DIR=cache)
        out = []
        for which in ("dense", "dense", "residual", "residual"):
            result = subprocess.run([sys.executable, "-c", _STARTUP_SNIPPET, which], env=env,
                                    capture_output=True, text=True, check=True)
            out.append(float(result.stdout.strip().splitlines()[-1]))
        return out


def run_benchmark(quick: bool = False, startup: bool = True) -> int:
    """Print the benchmark table; returns 0."""
    scale = 0.2 if quick else 1.0
    repeats = 2 if quick else 3
    rows = []
    print("neuroviz bench: Numba engine vs NumPy reference (same run, same machine)")
    print(f"{'case':46s} {'numba µs/step':>14s} {'numpy µs/step':>14s} {'ratio':>7s}")
    for name, spec, n, optimizer, batch, steps_nb, steps_np in CASES:
        if n == "spiral":
            X, Y = _spiral(200)
        else:
            X, Y = _data(n, spec["inputs"], spec["layers"][-1]["units"], spec["loss"])
        t_nb = _time_steps(spec, X, Y, optimizer, batch, "numba", max(10, int(steps_nb * scale)),
                           repeats)
        t_np = _time_steps(spec, X, Y, optimizer, batch, "numpy", max(10, int(steps_np * scale)),
                           repeats)
        rows.append((name, t_nb, t_np))
        print(f"{name:46s} {t_nb * 1e6:14.1f} {t_np * 1e6:14.1f} {t_np / t_nb:6.1f}x", flush=True)
    print(f"{'convolutional networks, batch 32':46s} {'numba ex/s':>14s} {'numpy ex/s':>14s}")
    for name, spec, data, optimizer, batch, steps_nb, steps_np in CNN_CASES:
        X, Y = data()
        t_nb = _time_steps(spec, X, Y, optimizer, batch, "numba", max(10, int(steps_nb * scale)),
                           repeats)
        t_np = _time_steps(spec, X, Y, optimizer, batch, "numpy", max(10, int(steps_np * scale)),
                           repeats)
        print(f"{name:46s} {batch / t_nb:14,.0f} {batch / t_np:14,.0f} {t_np / t_nb:6.1f}x",
              flush=True)
    heat = _time_heatmaps(repeats)
    print(f"{'heatmaps: 6x8 tanh network, 100x100 grid':46s} {heat['numba'] * 1e6:14.0f} "
          f"{heat['numpy'] * 1e6:14.0f} {heat['numpy'] / heat['numba']:6.1f}x  (µs per grid)")
    if startup:
        cold, warm, cold_res, warm_res = _startup_times()
        print(f"start (import + first training call): cold cache {cold:.2f} s, "
              f"warm cache {warm:.2f} s")
        print(f"first residual + dropout network after that: cold {cold_res:.2f} s, "
              f"warm {warm_res:.2f} s")
    return 0
