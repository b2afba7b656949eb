"""Python's cyclic garbage collection, in the GUI thread only.

Python collects reference cycles in whichever thread happens to allocate when a generation's
threshold is crossed. While the training worker compiles or trains, that is usually the worker.
If such a collection frees a cycle holding Qt widgets (a closed dialog's menu, a replaced
view), their destructors run in the worker: a ``QObject`` destructor takes Qt's locks and then
needs the GIL for PySide, while the GUI thread holds the GIL and waits for the same locks —
the window freezes for good. (This was seen: a menu of a closed window collected during a
Numba compile in the worker.)

:func:`install` turns automatic collection off and collects on a GUI-thread timer instead,
generation by generation with Python's own thresholds, so the amount of garbage stays about
what automatic collection would allow and every cycle is freed in the GUI thread.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: How often the GUI thread checks whether a collection is due (ms).
INTERVAL_MS = 200
#: The collector's timer runs for the whole process (tests that look for timers left
#: running know it by this name).
TIMER_NAME = "gc_guard"

_collector: _Collector | None = None


class _Collector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setObjectName(TIMER_NAME)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        """Collect the generations that are due (as automatic collection would)."""
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 <= t0:
            return 0
        if c1 < t1:
            return gc.collect(0)
        return gc.collect(2 if c2 >= t2 else 1)


def install() -> None:
    """From now on, collect cycles in this (the GUI) thread only. Idempotent; needs the
    QApplication; call it from the GUI thread before any worker thread starts."""
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("gc_guard.install() needs a QApplication")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("gc_guard.install() must be called from the GUI thread")
    if _collector is None:
        _collector = _Collector(app)
    gc.disable()


def installed() -> bool:
    return _collector is not None and not gc.isenabled()
