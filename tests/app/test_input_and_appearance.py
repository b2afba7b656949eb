"""Keys reach the focused control; icons, class names and keys follow the theme and palette;
the data panel fits its dock."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette

from neuroviz.app import palette as palettes
from neuroviz.app.icons import ICON_KINDS, control_icon
from neuroviz.data import DATASETS


@pytest.fixture
def default_palette():
    yield
    palettes.set_palette("default")


def _luminance(c: QColor) -> float:
    def lin(v):
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _opaque_pixels(icon, size=32) -> tuple[np.ndarray, list[QColor]]:
    image = icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    alpha = np.array([[image.pixelColor(x, y).alpha() for x in range(image.width())]
                      for y in range(image.height())])
    colours = [image.pixelColor(x, y) for y in range(image.height())
               for x in range(image.width()) if image.pixelColor(x, y).alpha() > 200]
    return alpha, colours


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_toolbar_icons_stand_out_on_each_theme(window, theme, screenshot):
    win = window
    win.set_theme(theme)
    background = win.toolbar.palette().color(QPalette.ColorRole.Window)
    for button in (win.toolbar.play_button, win.toolbar.step_button,
                   win.toolbar.reset_button):
        _, colours = _opaque_pixels(button.icon())
        assert len(colours) > 40, button.objectName()
        # WCAG contrast of the icon against the toolbar: at least 4.5:1 (readable text).
        assert min(_contrast(c, background) for c in colours) >= 4.5, button.objectName()
    screenshot(win.toolbar, f"toolbar_{theme}")
    win.set_theme("light")


def test_pause_icon_is_drawn_two_bars_not_a_glyph(window, qtbot):
    win = window
    win.toolbar.set_running(True)
    alpha, _ = _opaque_pixels(win.toolbar.play_button.icon(), 40)
    row = alpha[20] > 128
    # Two separate bars: opaque, transparent gap, opaque (an empty glyph box has no fill).
    runs = np.flatnonzero(np.diff(row.astype(int)))
    assert len(runs) == 4
    win.toolbar.set_running(False)
    alpha_play, _ = _opaque_pixels(win.toolbar.play_button.icon(), 40)
    assert not np.array_equal(alpha, alpha_play)


def test_icons_are_paths_in_the_given_colour():
    for kind in ICON_KINDS:
        _, colours = _opaque_pixels(control_icon(kind, "#123456"))
        want = QColor("#123456")
        assert colours and all(  # edge pixels: premultiplied alpha rounds a little
            max(abs(c.red() - want.red()), abs(c.green() - want.green()),
                abs(c.blue() - want.blue())) <= 4 for c in colours)
    with pytest.raises(ValueError, match="unknown icon"):
        control_icon("rewind", "#000000")


def test_arrow_keys_move_a_focused_slider_not_the_training(window, qtbot):
    win = window
    steps = []
    win.action_step.triggered.connect(lambda *_: steps.append(1))
    win.activateWindow()
    # The canvas has the focus: Right trains one epoch (the shortcut works).
    win.network_view.canvas.setFocus()
    qtbot.waitUntil(lambda: win.network_view.canvas.hasFocus(), timeout=60_000)
    qtbot.keyClick(win.network_view.canvas, Qt.Key.Key_Right)
    assert steps == [1]
    # A focused slider takes the arrow keys itself.
    slider = win.data_panel.batch_size
    slider.setFocus()
    qtbot.waitUntil(lambda: slider.hasFocus(), timeout=60_000)
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert slider.value() == before + 1
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert slider.value() == before - 1
    assert steps == [1]
    qtbot.waitUntil(lambda: win.state.hyperparameters.batch_size == before - 1, timeout=60_000)


def test_palette_words(default_palette):
    viridis = palettes.PALETTES["viridis"]
    assert palettes.palette_words("A blue disc inside an orange ring.", viridis) == \
        "A yellow disc inside a purple ring."
    assert palettes.palette_words("Blue or orange?", palettes.PALETTES["purple_orange"]) \
        == "Purple or orange?"
    assert palettes.palette_words("bluish", viridis) == "bluish"
    assert palettes.display_class_names(["orange", "blue"], viridis) == ["purple", "yellow"]
    assert palettes.display_class_names(["Adelie", "Gentoo"], viridis) == ["Adelie", "Gentoo"]


def test_class_names_in_texts_follow_the_palette(window, qtbot, default_palette):
    win = window
    assert win.network_view.output_names == ["P(blue)"]
    win.set_palette("viridis")
    pal = palettes.PALETTES["viridis"]
    assert win.network_view.output_names == [f"P({pal.positive_name})"]
    assert win.output_view.class_key.names == [pal.negative_name, pal.positive_name]
    assert "yellow disc inside a purple ring" in win.data_panel.title.text()
    assert "blue" not in win.network_view.mode_label.toolTip()
    assert win.output_view.confusion.class_names == ["purple", "yellow"]
    # Swatch colours are the colours the points are drawn in.
    rgb = pal.class_rgb(2)
    swatches = [c for c, _, _ in win.output_view.class_key.entries]
    assert [(c.red(), c.green(), c.blue()) for c in swatches] == [tuple(v) for v in rgb]


@pytest.mark.parametrize("name", ["spiral3", "penguins", "digits", "boxoffice"])
def test_classification_data_gets_a_colour_key(window, wait_snapshot_fits, name, screenshot):
    win = window
    win.apply_preset(dataset={"name": name})
    wait_snapshot_fits(win)
    key = win.output_view.class_key
    ds = win.dataset
    if ds.task != "classification":
        assert key.isHidden()
        return
    assert key.isVisible()
    assert key.names == list(ds.class_names)
    colours = palettes.current_palette().class_rgb(max(2, ds.n_classes))
    assert [(c.red(), c.green(), c.blue()) for c, _, _ in key.entries] == \
        [tuple(int(v) for v in c) for c in colours[:ds.n_classes]]
    assert key.height() >= key.heightForWidth(key.width())  # nothing cut off
    screenshot(win.output_view, f"class_key_{name}")


def test_data_panel_fits_its_dock_for_every_dataset(window, qtbot, wait_snapshot_fits):
    win = window
    viewport = win.data_dock.widget().viewport()
    for name in DATASETS:
        win.apply_preset(dataset={"name": name})
        wait_snapshot_fits(win)
        qtbot.waitUntil(lambda: win.data_panel.width() <= viewport.width(), timeout=60_000)
        assert win.data_panel.minimumSizeHint().width() <= viewport.width(), name


def test_epoch_tick_labels_never_run_together(qtbot):
    from PySide6.QtGui import QFontMetricsF

    from neuroviz.app.output.charts import CompactAxis

    axis = CompactAxis("bottom")
    width = QFontMetricsF(axis.font()).horizontalAdvance("0.8")
    for size in (60, 120, 400):  # pixels for the range 0..1
        for spacing, _ in axis.tickSpacing(0.0, 1.0, size):
            assert spacing * size >= width + CompactAxis.MIN_LABEL_GAP
    wide = axis.tickSpacing(0.0, 1.0, 1000)
    assert min(spacing for spacing, _ in wide) <= 0.2  # a wide chart keeps fine ticks
