"""GUI benchmark: redraw rate, GUI-thread stalls, in-app training throughput, start time.

Scenario: a 6 x 8 tanh network on the spiral with every neuron heatmap
visible, training at full speed in the window. Measures

* redraw rate: snapshots drawn per second, and paint events of the network canvas;
* the longest GUI-thread stall: gaps between ticks of a 1 ms QTimer;
* training throughput in the app (worker thread, with heatmap grids at ~60 Hz) as a
  share of the headless engine's (the same Trainer in a plain loop, no GUI);
* start time to an interactive window (window shown; engine ready and first frame
  drawn), with a cold Numba cache (empty NUMBA_CACHE_DIR) and a warm one.

Runs offscreen; prints a table. ``python benchmarks/gui_bench.py [--seconds 5]``.
Targets: >= 45 fps, stall <= 50 ms, throughput >= 70 %, warm start < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

HIDDEN = [8] * 6
SPEC_LAYERS = [{"type": "dense", "units": u, "activation": "tanh"} for u in HIDDEN]
DATASET = "spiral"


def _spec(ds) -> dict:
    return {"inputs": ds.n_features,
            "layers": SPEC_LAYERS + [{"type": "dense", "units": ds.n_outputs,
                                      "activation": ds.output_activation}],
            "loss": ds.loss}


# ---------------------------------------------------------------------- headless
def headless_throughput(seconds: float) -> float:
    """Optimizer steps per second of the bare engine (large bursts, no grid, no GUI)."""
    from neuroviz.data import load_dataset
    from neuroviz.engine import Network, Trainer

    ds = load_dataset(DATASET, seed=0)
    net = Network.from_spec(_spec(ds), seed=0)
    trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, optimizer="sgd",
                      lr=0.03, batch_size=10, seed=0)
    trainer.run(100)  # load compiled code
    steps = 0
    burst = 2000
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.run(burst)
        steps += burst
    return steps / (time.perf_counter() - t0)


# ---------------------------------------------------------------------- in the app
def app_measurements(seconds: float) -> dict:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from neuroviz.app.window.main_window import MainWindow, prepare_runtime
    from neuroviz.data import load_dataset
    from neuroviz.experiment import DatasetSettings

    app = QApplication.instance() or QApplication([sys.argv[0]])
    ds = load_dataset(DATASET, seed=0)
    win = MainWindow(restore=False)
    win.ask_unsaved_changes = lambda doing: "discard"  # a benchmark has no work to keep
    win.resize(1400, 860)
    win.toolbar.speed.setCurrentIndex(win.toolbar.speed.count() - 1)  # "Maximum"
    win.show()
    prepare_runtime()  # as run() does
    _wait(app, lambda: win.engine_ready and win.latest_snapshot is not None, 300)
    win.apply_preset(dataset=DatasetSettings(name=DATASET), spec=_spec(ds),
                     hyperparameters={"learning_rate": 0.03, "batch_size": 10})
    _wait(app, lambda: win.latest_snapshot is not None
          and tuple(win.latest_snapshot.layer_sizes) == (2, *HIDDEN, 1), 30)
    canvas = win.network_view.findChild(QWidget, "network_canvas")

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                PaintCounter.paints += 1
            return False

    counter = PaintCounter()
    canvas.installEventFilter(counter)
    frames = [0]
    win.snapshot_drawn.connect(lambda _snap: frames.__setitem__(0, frames[0] + 1))

    gaps = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(tick)

    win.play()
    _wait(app, lambda: win.is_running, 10)
    _run_for(app, 1.0)  # settle (burst sizing, first heatmaps)
    worker = win.worker
    steps0, frames0, paints0 = worker.training_steps, frames[0], PaintCounter.paints
    snap0 = win.latest_snapshot
    last[0] = time.perf_counter()
    timer.start()
    t0 = time.perf_counter()
    _run_for(app, seconds)
    elapsed = time.perf_counter() - t0
    timer.stop()
    snap1 = win.latest_snapshot
    steps = worker.training_steps - steps0
    win.pause()
    _wait(app, lambda: not win.is_running, 10)
    heatmaps = len(win.network_view.heatmaps)
    win.close()
    app.processEvents()
    return {
        "fps": (frames[0] - frames0) / elapsed,
        "paints": (PaintCounter.paints - paints0) / elapsed,
        "stall_ms": max(gaps) * 1000 if gaps else float("nan"),
        "ticks": len(gaps),
        "steps_per_s": steps / elapsed,
        "engine_steps_per_s": (snap1.step - snap0.step) / elapsed,
        "heatmap_layers": heatmaps,
    }


def _run_for(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def _wait(app, condition, timeout: float) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not become ready in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)


# ---------------------------------------------------------------------- start time
def start_probe() -> None:
    """Run in a fresh process: time to the window shown and to interactive."""
    t0 = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from neuroviz.app.window.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    win = MainWindow(restore=False)
    win.ask_unsaved_changes = lambda doing: "discard"  # a benchmark has no work to keep
    win.show()
    app.processEvents()
    shown = time.perf_counter() - t0
    preparing = win.engine_banner.isVisible() and "Preparing" in win.engine_banner.label.text()
    _wait(app, lambda: win.engine_ready and win.latest_snapshot is not None, 600)
    app.processEvents()
    interactive = time.perf_counter() - t0
    win.close()
    print(json.dumps({"shown": shown, "interactive": interactive,
                      "preparing_banner": preparing}))


def start_times(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, QT_QPA_PLATFORM="offscreen",
               NEUROVIZ_SETTINGS_FILE=str(Path(cache_dir) / "settings.ini"),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--start-probe"], env=env,
                         capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"start probe failed:\n{out.stdout}\n{out.stderr}")
    result = json.loads(lines[-1])
    result["process"] = wall
    return result


# ---------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measurement time")
    parser.add_argument("--no-start", action="store_true", help="skip the start-time runs")
    parser.add_argument("--start-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.start_probe:
        start_probe()
        return 0
    os.environ.setdefault("NEUROVIZ_SETTINGS_FILE",
                          str(Path(tempfile.mkdtemp(prefix="nv-bench-")) / "settings.ini"))

    rows = []
    if not args.no_start:
        with tempfile.TemporaryDirectory(prefix="nv-numba-cache-") as cache:
            cold = start_times(cache)
            warm = start_times(cache)
        rows += [
            ("cold start: window shown", f"{cold['shown']:.2f} s", "at once",
             "ok" if cold["shown"] < 2 and cold["preparing_banner"] else "MISS"),
            ("cold start: interactive (compiled)", f"{cold['interactive']:.2f} s", "-", "info"),
            ("warm start: interactive", f"{warm['interactive']:.2f} s", "< 2 s",
             "ok" if warm["interactive"] < 2 else "MISS"),
        ]
    # Headless before and after the app run, averaged: other load on the machine then
    # affects both sides of the ratio alike.
    before = headless_throughput(args.seconds / 2)
    app = app_measurements(args.seconds)
    after = headless_throughput(args.seconds / 2)
    headless = 0.5 * (before + after)
    share = app["steps_per_s"] / headless
    rows += [
        ("redraw rate (snapshots drawn)", f"{app['fps']:.1f} fps", ">= 45",
         "ok" if app["fps"] >= 45 else "MISS"),
        ("network canvas paints", f"{app['paints']:.1f} /s", "-", "info"),
        ("longest GUI-thread stall", f"{app['stall_ms']:.1f} ms", "<= 50 ms",
         "ok" if app["stall_ms"] <= 50 else "MISS"),
        ("1 ms timer ticks", f"{app['ticks'] / args.seconds:.0f} /s", "-", "info"),
        ("training in the app", f"{app['steps_per_s']:,.0f} steps/s", "-", "info"),
        ("training headless (before/after)", f"{before:,.0f}/{after:,.0f}", "-", "info"),
        ("app / headless throughput", f"{share:.0%}", ">= 70 %",
         "ok" if share >= 0.7 else "MISS"),
        ("heatmap layers visible", str(app["heatmap_layers"]), "8", "info"),
    ]
    print(f"neuroviz GUI benchmark: {len(HIDDEN)} x {HIDDEN[0]} tanh on {DATASET}, "
          f"{args.seconds:g} s, Qt platform {os.environ['QT_QPA_PLATFORM']}, "
          f"{os.cpu_count()} CPUs")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>18}  {'target':>9}  result")
    for name, value, target, result in rows:
        print(f"{name:<{width}}  {value:>18}  {target:>9}  {result}")
    return 0 if all(r[3] != "MISS" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
