"""Fixtures for the Qt tests: isolated settings, and a guard against leaked threads/timers.

Every test in tests/app fails if it leaves a QThread or Python thread running, an active
QTimer, or a pending QTimer.singleShot (napari's conftest does the same).
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QThread, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from neuroviz.app import gc_guard  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """The app reads and writes settings in a temporary INI file, never the user's."""
    path = tmp_path / "neuroviz-settings.ini"
    monkeypatch.setenv("NEUROVIZ_SETTINGS_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def unsaved_work_is_discarded_on_close(monkeypatch):
    """Closing a test window never waits on the "unsaved changes" question (tests of that
    question replace ``ask_unsaved_changes`` themselves)."""
    from neuroviz.app.window.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "ask_unsaved_changes", lambda self, doing: "discard")


@pytest.fixture(autouse=True)
def no_leaked_threads_or_timers(qapp, monkeypatch):
    """Fail the test if it leaves a thread or timer running.

    Set up before ``qtbot`` so its teardown runs after pytest-qt has closed the widgets.
    """
    threads_before = set(threading.enumerate())
    qthreads: list[weakref.ref] = []
    timers: list[weakref.ref] = []
    pending_single_shots = [0]

    original_thread_start = QThread.start
    original_timer_start = QTimer.start
    original_single_shot = QTimer.singleShot

    def thread_start(self, *args, **kwargs):
        qthreads.append(weakref.ref(self))
        return original_thread_start(self, *args, **kwargs)

    def timer_start(self, *args, **kwargs):
        timers.append(weakref.ref(self))
        return original_timer_start(self, *args, **kwargs)

    def single_shot(*args, **kwargs):
        args = list(args)
        if args and callable(args[-1]) and not hasattr(args[-1], "emit"):
            callback = args[-1]
            pending_single_shots[0] += 1

            def wrapped(*a, **k):
                pending_single_shots[0] -= 1
                return callback(*a, **k)

            args[-1] = wrapped
        return original_single_shot(*args, **kwargs)

    monkeypatch.setattr(QThread, "start", thread_start)
    monkeypatch.setattr(QTimer, "start", timer_start)
    monkeypatch.setattr(QTimer, "singleShot", staticmethod(single_shot))

    yield

    def alive_qthreads():
        out = []
        for ref in qthreads:
            thread = ref()
            try:
                if thread is not None and thread.isRunning():
                    out.append(thread)
            except RuntimeError:  # C++ object already deleted: not running
                pass
        return out

    def active_timers():
        out = []
        for ref in timers:
            timer = ref()
            try:
                if (timer is not None and timer.isActive()
                        and timer.objectName() != gc_guard.TIMER_NAME):  # process-wide
                    out.append(timer)
            except RuntimeError:
                pass
        return out

    def new_threads():
        return [t for t in threading.enumerate() if t not in threads_before and t.is_alive()
                and not isinstance(t, threading._DummyThread)]

    # Threads and timers get a generous while to end (a busy machine is slow), with events
    # handled meanwhile; a real leak never ends and is reported below.
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline and (alive_qthreads() or new_threads()
                                           or pending_single_shots[0] > 0):
        QTest.qWait(10)
    problems = []
    for thread in alive_qthreads():
        problems.append(f"QThread {thread.objectName() or thread!r} is still running")
    for thread in new_threads():
        problems.append(f"thread {thread.name!r} is still running")
    for timer in active_timers():
        problems.append(f"QTimer {timer.objectName() or timer!r} is still active")
    if pending_single_shots[0] > 0:
        problems.append(f"{pending_single_shots[0]} QTimer.singleShot call(s) still pending")
    for thread in alive_qthreads():  # do not let one leak break the next tests
        thread.requestInterruption()
        if hasattr(thread, "stop"):
            thread.stop()
        thread.wait(5000)
    for timer in active_timers():
        timer.stop()
    if problems:
        pytest.fail("test left things running: " + "; ".join(problems))


@pytest.fixture
def screenshot():
    """``screenshot(widget, name)`` saves ``screenshots/<name>.png`` (gitignored)."""

    def save(widget, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        QApplication.processEvents()
        path = SCREENSHOTS / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not write {path}"
        return path

    return save


@pytest.fixture
def make_window(qtbot):
    """``make(**kwargs)``: a playground window (``MainWindow(**kwargs)``, e.g. ``lesson_dirs``,
    ``progress_path``) whose engine is ready and whose first snapshot is drawn; closed after
    the test."""
    from neuroviz.app.window.main_window import MainWindow

    made = []

    def make(**kwargs):
        win = MainWindow(**kwargs)
        qtbot.addWidget(win)
        made.append(win)
        win.resize(1400, 860)
        win.show()
        qtbot.waitUntil(lambda: win.engine_ready, timeout=120_000)
        qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
        return win

    yield make
    for win in made:
        if win.presenter.active:
            win.presenter.exit()
        win.close()


@pytest.fixture
def window(make_window):
    """A playground window whose engine is ready and whose first snapshot is drawn."""
    return make_window()


@pytest.fixture
def wait_snapshot_fits(qtbot):
    """``wait(win)``: wait until the drawn snapshot belongs to the window's current network."""
    def wait(win):
        def fits():
            snap = win.latest_snapshot
            spec = win.state.spec
            inputs = spec["inputs"]
            n_in = math.prod(inputs) if isinstance(inputs, list) else inputs
            sizes = (n_in,) + tuple(layer["units"] for layer in spec["layers"])
            return snap is not None and tuple(snap.layer_sizes) == sizes
        qtbot.waitUntil(fits, timeout=60_000)
    return wait


@pytest.fixture
def wait_settled(qtbot):
    """``wait(win)``: wait until training is paused and the window shows the trainer's exact
    state (the last snapshot of a burst has arrived), without assuming how long that takes."""
    def wait(win):
        qtbot.waitUntil(lambda: not win.is_running and win.latest_snapshot is not None
                        and win.latest_snapshot.step == win.worker.trained_steps,
                        timeout=60_000)
    return wait


@pytest.fixture
def worker_barrier(qtbot):
    """``barrier(win)``: wait until the worker has handled every command sent before it (a
    snapshot requested now arrives after all of them), so a test can check that something
    did NOT happen without sleeping."""
    def barrier(win):
        before = win.latest_snapshot
        win.worker.request_snapshot()
        qtbot.waitUntil(lambda: win.latest_snapshot is not before, timeout=60_000)
    return barrier


@pytest.fixture
def one_lesson_panel(make_window, tmp_path, monkeypatch):
    """``make(filename, text)``: the lesson panel of a window with one teacher lesson written
    to disk (unsaved work is kept when a lesson starts, progress goes to a temporary file)."""
    from neuroviz.app.lessons.panel import LessonPanel

    def make(filename: str, text: str):
        folder = tmp_path / "lessons"
        folder.mkdir()
        (folder / filename).write_text(text, encoding="utf-8")
        monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "keep")
        win = make_window(lesson_dirs=[folder], progress_path=tmp_path / "progress.json")
        panel = win.lesson_panel
        assert not panel.library.problems, panel.library.problems
        return panel
    return make
