"""Random use of the real window while it trains: seeded actions, recorded failures.

Each run builds the whole app offscreen, starts training, and performs ``--actions``
random actions drawn from a seed: menu actions (any modal dialog they open is closed
again), clicks on buttons, extreme and ordinary values in spin boxes, sliders and
pickers, hovers, clicks and double-clicks on the network canvas and output plot,
keys (Space, arrows, Ctrl+Z, E, G, F5, ...), window resizes and grabs of the whole
window (a grab paints everything, which is where stale state used to crash).

It records Python exceptions (from slots and paint overrides alike), Qt warnings,
hangs (the GUI thread not answering for ``--hang`` seconds, with every thread's stack),
crashes (a run is its own subprocess, so a segfault is reported with the seed and the
last actions) and threads left running after the window closed.

``python benchmarks/random_use.py --seeds 1 2 3 --actions 2000`` runs the full review;
the test suite runs a short version (tests/app/test_random_use.py).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

KEYS = ("Space", "Right", "Left", "Up", "Down", "PgUp", "PgDown", "Ctrl+Z", "Ctrl+Shift+Z",
        "E", "G", "R", "F5", "Escape", "Return", "Delete", "Home", "End", "+", "-")
SIZES = ((1280, 720), (1366, 768), (1920, 1080), (900, 600))
#: Menu actions never triggered: they end the run or leave the process.
SKIPPED_ACTIONS = ("quit", "exit", "close")
#: Qt warnings that say nothing about our code (font fallbacks of a minimal system).
IGNORED_WARNINGS = ("QFont::", "propagateSizeHints", "This plugin does not support",
                    "Cannot find font directory")


@dataclass
class Report:
    seed: int
    actions: int = 0
    exceptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    leaked_threads: list[str] = field(default_factory=list)
    crashed: str = ""

    @property
    def clean(self) -> bool:
        return not (self.exceptions or self.warnings or self.hangs or self.leaked_threads
                    or self.crashed)

    def summary(self) -> str:
        return (f"seed {self.seed}: {self.actions} actions, {len(self.exceptions)} exceptions, "
                f"{len(self.warnings)} Qt warnings, {len(self.hangs)} hangs, "
                f"{len(self.leaked_threads)} leaked threads"
                + (f", CRASH: {self.crashed}" if self.crashed else ""))


class Watchdog(threading.Thread):
    """Reports a hang when the GUI thread's heartbeat stops for ``limit`` seconds."""

    def __init__(self, report: Report, limit: float) -> None:
        super().__init__(name="random_use_watchdog", daemon=True)
        self.report = report
        self.limit = limit
        self.beat = time.monotonic()
        self.last_action = ""
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            if time.monotonic() - self.beat > self.limit:
                frames = sys._current_frames()
                stacks = "".join("".join(traceback.format_stack(f)) for f in frames.values())
                self.report.hangs.append(f"no answer for {self.limit:.0f} s after "
                                         f"{self.last_action!r}\n{stacks}")
                self.beat = time.monotonic()

    def stop(self) -> None:
        self._halt.set()


def _widgets(window, cls):
    return [w for w in window.findChildren(cls) if w.isVisible() and w.isEnabled()]


def _menu_actions(window):
    from PySide6.QtWidgets import QMenu

    found = []
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action.menu() is not None or action.isSeparator() or not action.isEnabled():
                continue
            text = (action.text() + " " + action.objectName()).lower()
            if any(word in text for word in SKIPPED_ACTIONS):
                continue
            found.append(action)
    return found


def one_run(seed: int, n_actions: int, hang_limit: float = 30.0, log_path: str | None = None,
            lesson_dirs=()) -> Report:
    """Drive one window through ``n_actions`` random actions; return what went wrong."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer, qInstallMessageHandler
    from PySide6.QtGui import QKeySequence, QMouseEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QApplication,
        QComboBox,
        QDialog,
        QDoubleSpinBox,
        QSpinBox,
    )

    report = Report(seed)
    rng = random.Random(seed)
    log = open(log_path, "w", encoding="utf-8") if log_path else None  # noqa: SIM115

    def record_exception(kind, value, tb):
        report.exceptions.append("".join(traceback.format_exception(kind, value, tb)))

    def record_message(mode, context, message):
        from PySide6.QtCore import QtMsgType

        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            if not any(part in message for part in IGNORED_WARNINGS):
                report.warnings.append(message)

    app = QApplication.instance() or QApplication(["neuroviz-random-use"])
    old_hook = sys.excepthook
    sys.excepthook = record_exception
    old_handler = qInstallMessageHandler(record_message)
    watchdog = Watchdog(report, hang_limit)
    watchdog.start()
    threads_before = set(threading.enumerate())

    from neuroviz.app.window.main_window import MainWindow, build_window

    MainWindow.ask_unsaved_changes = lambda self, doing: "discard"
    with tempfile.TemporaryDirectory() as home:
        os.environ["NEUROVIZ_SETTINGS_FILE"] = str(Path(home) / "settings.ini")
        window = build_window(lesson_dirs)  # progress sits beside the isolated settings
        window.resize(1280, 720)
        window.show()

        # Any modal dialog an action opens (file dialogs, questions) is closed again.
        closer = QTimer()
        closer.setInterval(50)

        def close_dialogs():
            for w in app.topLevelWidgets():
                if isinstance(w, QDialog) and w.isVisible():
                    w.reject()

        closer.timeout.connect(close_dialogs)
        closer.start()

        def pump(n: int) -> None:
            for _ in range(n):
                app.processEvents()
                watchdog.beat = time.monotonic()

        def mouse(widget, kind, pos):
            local = QPointF(pos)
            glob = QPointF(widget.mapToGlobal(pos))
            buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove \
                else Qt.MouseButton.LeftButton
            event = QMouseEvent(kind, local, glob, Qt.MouseButton.LeftButton if
                                kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
                                buttons, Qt.KeyboardModifier.NoModifier)
            app.sendEvent(widget, event)

        def act_menu():
            actions = _menu_actions(window)
            if actions:
                action = rng.choice(actions)
                return f"menu {action.text()!r}", action.trigger

        def act_button():
            buttons = [b for b in _widgets(window, QAbstractButton)
                       if not any(w in (b.text() + b.objectName()).lower()
                                  for w in SKIPPED_ACTIONS)]
            if buttons:
                b = rng.choice(buttons)
                return f"click {b.objectName() or b.text()!r}", b.click

        def act_value():
            boxes = (_widgets(window, QSpinBox) + _widgets(window, QDoubleSpinBox)
                     + _widgets(window, QAbstractSlider))
            combos = _widgets(window, QComboBox)
            if combos and rng.random() < 0.4:
                c = rng.choice(combos)
                if c.count():
                    i = rng.randrange(c.count())
                    return f"pick {c.objectName()!r} {i}", lambda: c.setCurrentIndex(i)
            if boxes:
                b = rng.choice(boxes)
                v = rng.choice([b.minimum(), b.maximum(), b.minimum()
                                + (b.maximum() - b.minimum()) * rng.random()])
                if isinstance(b, (QSpinBox, QAbstractSlider)):
                    v = int(v)
                return f"set {b.objectName()!r} {v}", lambda: b.setValue(v)

        def act_mouse():
            targets = [w for w in window.findChildren(object)
                       if hasattr(w, "objectName") and w.objectName() in
                       ("network_canvas", "output_view", "charts") and w.isVisible()]
            if not targets:
                return None
            w = rng.choice(targets)
            pos = QPoint(rng.randrange(max(1, w.width())), rng.randrange(max(1, w.height())))
            kind = rng.choice(["hover", "hover", "click", "double"])

            def do():
                mouse(w, QEvent.Type.MouseMove, pos)
                if kind == "click":
                    QTest.mouseClick(w, Qt.MouseButton.LeftButton, pos=pos)
                elif kind == "double":
                    QTest.mouseDClick(w, Qt.MouseButton.LeftButton, pos=pos)
            return f"{kind} {w.objectName()} {pos.x()},{pos.y()}", do

        def act_key():
            key = rng.choice(KEYS)
            seq = QKeySequence(key)[0]
            target = app.focusWidget() or window

            def do():
                QTest.keyClick(target, seq.key(), seq.keyboardModifiers())
            return f"key {key}", do

        def act_grab():
            return "grab window", lambda: window.grab()

        def act_resize():
            w, h = rng.choice(SIZES)
            return f"resize {w}x{h}", lambda: window.resize(w, h)

        def act_wait():
            n = rng.randrange(5, 60)
            return f"events {n}", lambda: pump(n)

        kinds = [(act_menu, 3), (act_button, 4), (act_value, 4), (act_mouse, 5), (act_key, 4),
                 (act_grab, 1), (act_resize, 1), (act_wait, 3)]
        choices = [k for k, w in kinds for _ in range(w)]
        window.play()
        for n in range(n_actions):
            picked = rng.choice(choices)()
            if picked is None:
                continue
            label, do = picked
            watchdog.last_action = label
            if log:
                log.write(f"{n} {label}\n")
                log.flush()
            try:
                do()
            except Exception:  # an exception escaping an action is a bug as much as a slot's
                report.exceptions.append(f"during {label!r}:\n{traceback.format_exc()}")
            pump(2)
            report.actions += 1
        window.grab()
        closer.stop()
        window.close()
        window.deleteLater()
        pump(50)
    watchdog.stop()
    end = time.monotonic() + 30
    while time.monotonic() < end:
        left = [t for t in threading.enumerate()
                if t not in threads_before and t.is_alive() and t is not watchdog]
        if not left:
            break
        pump(1)
    report.leaked_threads = [t.name for t in threading.enumerate()
                             if t not in threads_before and t.is_alive() and t is not watchdog]
    sys.excepthook = old_hook
    qInstallMessageHandler(old_handler)
    if log:
        log.close()
    return report


def run_in_subprocess(seed: int, n_actions: int, hang_limit: float) -> Report:
    """One run in its own process, so that a crash is a finding rather than the end."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "actions.log"
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, __file__, "--child", str(seed), "--actions", str(n_actions),
               "--hang", str(hang_limit), "--log", str(log), "--out", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if out.exists():
            data = json.loads(out.read_text())
            report = Report(**data)
        else:
            report = Report(seed)
            tail = log.read_text().splitlines()[-5:] if log.exists() else []
            report.crashed = (f"exit {proc.returncode}; last actions {tail}; "
                              f"stderr {proc.stderr[-2000:]}")
        return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--hang", type=float, default=30.0)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        faulthandler.enable()
        try:
            report = one_run(args.child, args.actions, args.hang, args.log)
        except Exception:
            report = Report(args.child, exceptions=[traceback.format_exc()])
        Path(args.out).write_text(json.dumps(report.__dict__))
        return 0
    total, clean = 0, True
    for seed in args.seeds:
        report = run_in_subprocess(seed, args.actions, args.hang)
        total += report.actions
        clean &= report.clean
        print(report.summary(), flush=True)
        for item in report.exceptions[:3] + report.warnings[:3] + report.hangs[:1]:
            print("   ", item.strip().replace("\n", "\n    "))
    print(f"total: {total} actions over {len(args.seeds)} seeds: "
          f"{'clean' if clean else 'FAILURES'}")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
