"""Cycles are collected in the GUI thread only, never in the training worker (a Qt object
freed in another thread can deadlock against the GUI thread)."""

from __future__ import annotations

import gc
import threading

from neuroviz.app import gc_guard


class _Node:
    """A reference cycle that records the thread its collection ran in."""

    freed_in: list[int] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Node.freed_in.append(threading.get_ident())


def test_cycles_made_garbage_are_freed_in_the_gui_thread(window, qtbot):
    assert gc_guard.installed()  # the window installed it
    gc.collect()
    _Node.freed_in.clear()
    _Node()  # unreachable now, but only a cyclic collection frees it

    def allocate():  # a worker allocating a lot, as a Numba compile does
        junk = []
        for i in range(200_000):
            junk.append([i])
            if len(junk) > 1000:
                junk.clear()

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(_Node.freed_in) > 0, timeout=60_000)
    assert _Node.freed_in == [threading.main_thread().ident]


def test_collection_follows_the_thresholds(window):
    collector = gc_guard._collector
    gc.collect()
    assert collector.collect() == 0  # nothing due right after a full collection
    _Node.freed_in.clear()
    for _ in range(gc.get_threshold()[0] + 50):
        _Node()
    assert collector.collect() > 0  # generation 0 was due: the cycles are freed
    assert len(_Node.freed_in) >= gc.get_threshold()[0]
