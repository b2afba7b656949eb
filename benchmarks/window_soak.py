"""Soak: the real window trains for a long time; memory is sampled as it goes.

The window (offscreen) trains the default network at full speed with every view live,
the timeline recording, and every ``--switch`` seconds something changes (a layer added
or removed, the dataset switched, the learning rate changed) so that the views rebuild.
Resident memory is sampled every ``--every`` seconds. A leak shows as growth in the
second half of the run, after caches and the timeline have filled; the timeline has a
fixed memory bound.

``python benchmarks/window_soak.py --minutes 10`` prints the samples and the second-half growth.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--switch", type=float, default=20.0, help="seconds between changes")
    parser.add_argument("--max-growth", type=float, default=50.0,
                        help="MiB of second-half growth that counts as a leak")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    tmp = tempfile.TemporaryDirectory()
    os.environ["NEUROVIZ_SETTINGS_FILE"] = str(Path(tmp.name) / "settings.ini")
    app = QApplication.instance() or QApplication(["neuroviz-soak"])
    from neuroviz.app.window.main_window import MainWindow, build_window

    MainWindow.ask_unsaved_changes = lambda self, doing: "discard"
    window = build_window()
    window.resize(1280, 720)
    window.show()
    window.play()
    datasets = ["spiral", "circle", "xor", "moons", "gauss"]
    from PySide6.QtWidgets import QPushButton

    from neuroviz.experiment import DatasetSettings

    def click(name: str) -> None:
        window.findChild(QPushButton, name).click()

    changes = [
        ("add layer", lambda: click("add_layer")),
        ("remove layer", lambda: click("remove_layer")),
        ("dataset", lambda: window.set_dataset(DatasetSettings(datasets[change % 5]))),
    ]
    samples: list[tuple[float, float]] = []
    start = time.monotonic()
    next_sample = start
    next_switch = start + args.switch
    change = 0
    while (now := time.monotonic()) - start < args.minutes * 60:
        app.processEvents()
        if now >= next_sample:
            samples.append((now - start, rss_mb()))
            print(f"{now - start:7.0f} s  {samples[-1][1]:8.1f} MiB", flush=True)
            next_sample += args.every
        if now >= next_switch:
            name, do = changes[change % len(changes)]
            do()
            change += 1
            next_switch += args.switch
            if not window.is_running:
                window.play()
    window.close()
    app.processEvents()
    half = [m for t, m in samples if t >= args.minutes * 30]
    growth = (max(half) - half[0]) if len(half) > 1 else 0.0
    print(f"peak {max(m for _, m in samples):.1f} MiB; second-half growth {growth:.1f} MiB "
          f"({'ok' if growth <= args.max_growth else 'LEAK?'})")
    tmp.cleanup()
    return 0 if growth <= args.max_growth else 1


if __name__ == "__main__":
    raise SystemExit(main())
