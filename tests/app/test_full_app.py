"""The assembled app (what `neuroviz` starts): playground + explain/presenter + lessons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QMenu

from neuroviz.app.window.main_window import build_window


@pytest.fixture
def app_window(qtbot, tmp_path):
    win = build_window([tmp_path])
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitUntil(lambda: win.engine_ready, timeout=120_000)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    yield win
    if win.presenter.active:
        win.presenter.exit()
    win.close()


def menu_titles(win):
    return [a.text().replace("&", "") for a in win.menuBar().actions()]


def test_every_feature_is_installed_once(app_window):
    titles = menu_titles(app_window)
    for title in ("File", "Edit", "Training", "View", "Lessons", "Help"):
        assert titles.count(title) == 1, titles
    texts = {a.text().replace("&", "") for a in app_window.findChildren(QAction)}
    assert any("Explain" in t for t in texts)
    assert any("Presenter" in t for t in texts)
    assert app_window.lesson_panel is not None
    assert app_window.lesson_dirs and app_window.lesson_dirs[0].exists()


def test_keyboard_shortcuts_are_unambiguous(app_window):
    seen: dict[str, str] = {}
    for action in app_window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            if not text:
                continue
            # The same QAction may be reachable from a menu and a toolbar: count it once.
            owner = f"{action.text()}#{id(action)}"
            assert seen.setdefault(text, owner) == owner, (
                f"shortcut {text} belongs to both {seen[text]} and {owner}")
    for key in ("Space", "Right", "R", "Ctrl+S", "Ctrl+Z", "F5"):
        assert key in seen, f"no action answers {key}"


def test_presenter_mode_with_lessons_fits_a_projector(app_window, qtbot, screenshot):
    app_window.play()
    qtbot.waitUntil(lambda: app_window.latest_snapshot.step > 50, timeout=60_000)
    app_window.pause()
    app_window.presenter.enter(full_screen=False)
    app_window.resize(1280, 720)
    qtbot.waitUntil(lambda: app_window.width() <= 1280 and app_window.height() <= 720,
                    timeout=60_000)
    QApplication.processEvents()  # the layout of the new size
    path = screenshot(app_window, "full_app_presenter_1280x720")
    assert path.exists()
    window_rect = QRect(0, 0, app_window.width(), app_window.height())
    widgets = [w for kind in (QAbstractButton, QComboBox, QLabel)
               for w in app_window.findChildren(kind)]
    for widget in widgets:
        if not widget.isVisibleTo(app_window) or widget.width() == 0:
            continue
        if widget.window() is not app_window:
            continue
        top_left = widget.mapTo(app_window, widget.rect().topLeft())
        rect = QRect(top_left, widget.size())
        # Controls inside a scroll area may extend beyond it; only check the top level.
        if widget.parent() is not None and "scroll" in type(widget.parent()).__name__.lower():
            continue
        assert window_rect.intersects(rect), f"{widget.objectName()} is outside the window"
    app_window.presenter.exit()
    assert app_window.menuBar().isVisible()


def test_lessons_menu_lists_shipped_lessons(app_window):
    menu = app_window.findChild(QMenu, "menu_lessons")
    assert menu is not None
    panel = app_window.lesson_panel
    assert len(panel.library.lessons) >= 15


def test_space_plays_and_pauses_from_the_start(app_window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app_window.activateWindow()
    focus = QApplication.focusWidget()
    assert focus is app_window.network_view.canvas
    with qtbot.waitSignal(app_window.worker.running_changed, timeout=60_000) as started:
        qtbot.keyClick(focus, Qt.Key.Key_Space)
    assert started.args == [True]
    with qtbot.waitSignal(app_window.worker.running_changed, timeout=60_000) as stopped:
        qtbot.keyClick(focus, Qt.Key.Key_Space)
    assert stopped.args == [False]
