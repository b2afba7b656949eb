"""Exports produce valid files: PNG decodes, SVG parses as XML, GIF has the right frames."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

from neuroviz.app import export
from neuroviz.app.explain_install import install


@pytest.fixture
def win(window):
    install(window)
    return window


@pytest.mark.parametrize("target", ["network", "output", "charts", "window"])
def test_png_and_svg_of_every_view(win, tmp_path, target):
    png = win.extras.export(target, tmp_path / f"{target}.png")
    image = QImage(str(png))
    assert not image.isNull()
    widget = win.extras.target(target)
    assert image.width() >= widget.width() * 0.9
    svg = win.extras.export(target, tmp_path / f"{target}.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 10  # real drawing content, not an empty page


def test_clipboard(win):
    win.extras.copy("network")
    image = QGuiApplication.clipboard().image()
    assert not image.isNull()
    assert image.width() > 100


def test_gif_encoder_round_trip():
    rng = np.random.default_rng(0)
    frames = []
    for k in range(7):
        rgb = np.full((60, 90, 3), 235, np.uint8)
        rgb[10:30, 5 + 10 * k:25 + 10 * k] = (0, 114, 178)
        rgb[40:55, :] = rng.integers(0, 256, size=(15, 90, 3))
        frames.append(export.quantize(rgb))
    data = export.encode_gif(frames, delay_ms=80)
    assert data[:6] == b"GIF89a"
    assert export.gif_frame_count(data) == 7
    array = QByteArray(data)  # keep a reference: QBuffer does not own it
    buf = QBuffer(array)
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf, b"gif")
    decoded = []
    while reader.canRead():
        decoded.append(export.image_to_rgb(reader.read()))
    assert len(decoded) == 7
    for frame, rgb in zip(frames, decoded):
        np.testing.assert_array_equal(rgb, export.PALETTE[frame])  # lossless after quantising
    # cancelling stops the encoding
    assert export.encode_gif(frames, progress=lambda done, total: done < 3) is None


def test_record_training_run_to_gif(win, qtbot, tmp_path):
    ex = win.extras
    ex.recorder.fps = 50.0
    ex.toggle_recording()
    assert ex.recorder.is_recording
    win.play()
    qtbot.waitUntil(lambda: len(ex.recorder.frames) >= 6, timeout=20_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=5000)
    path = tmp_path / "run.gif"
    assert ex.finish_recording(path)
    assert not ex.recorder.is_recording
    data = path.read_bytes()
    assert data[:6] == b"GIF89a"
    n = len(ex.recorder.frames)
    assert export.gif_frame_count(data) == n
    reader = QImageReader(str(path))
    assert reader.imageCount() == n
    first = reader.read()
    assert not first.isNull() and first.width() <= ex.recorder.max_width


def test_recorder_keeps_memory_bounded(qtbot):
    from PySide6.QtWidgets import QLabel

    label = QLabel("frame")
    qtbot.addWidget(label)
    label.resize(120, 40)
    rec = export.GifRecorder(max_frames=8, fps=1000)
    rec.start(label)
    for k in range(30):
        label.setText(f"frame {k}")
        rec.capture(force=True)
    frames = rec.stop()
    assert len(frames) <= 8
    assert rec.interval > 1 / 1000  # the capture rate went down as it filled


def test_export_errors_are_reported_not_raised_from_the_menu(win, tmp_path, monkeypatch):
    bad = tmp_path / "missing-dir" / "x.png"
    with pytest.raises(export.ExportError):
        export.save_png(win.network_view, bad)
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(bad), "PNG image (*.png)")))
    win.extras.export_dialog("network")  # shows a message box; the program keeps running
    boxes = [b for b in win.findChildren(object) if getattr(b, "objectName", lambda: "")()
             == "export_message"]
    assert boxes
    for box in boxes:
        box.close()
