"""Exports produce valid files: PNG decodes, SVG parses as XML, GIF has the right frames."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

from neuroviz.app.classroom import export

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture
def win(window):
    return window


@pytest.mark.parametrize("target", ["network", "output", "charts", "window"])
def test_png_and_svg_of_every_view(win, tmp_path, target):
    png = win.exporter.export(target, tmp_path / f"{target}.png")
    image = QImage(str(png))
    assert not image.isNull()
    widget = win.exporter.target(target)
    assert image.width() >= widget.width() * 0.9
    svg = win.exporter.export(target, tmp_path / f"{target}.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 10  # real drawing content, not an empty page


def test_clipboard(win):
    win.exporter.copy("network")
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
    ex = win.exporter
    ex.recorder.fps = 50.0
    ex.toggle_recording()
    assert ex.recorder.is_recording
    win.play()
    qtbot.waitUntil(lambda: len(ex.recorder.frames) >= 6, timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    path = tmp_path / "run.gif"
    finished = []
    ex.encoding_finished.connect(lambda ok, message: finished.append((ok, message)))
    assert ex.finish_recording(path)  # encoding runs on its own thread
    assert not ex.recorder.is_recording
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert finished == [(True, str(path))] and not ex.is_encoding
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
    win.exporter.export_dialog("network")  # shows a message box; the program keeps running
    boxes = [b for b in win.findChildren(object) if getattr(b, "objectName", lambda: "")()
             == "export_message"]
    assert boxes
    for box in boxes:
        box.close()


def _render_svg(path, size) -> QImage:
    from PySide6.QtGui import QColor, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def test_svg_of_the_output_plot_draws_the_scatter_points(win, tmp_path):
    """pyqtgraph draws scatter symbols from a pixmap atlas, which SVG turns into black
    marks; exported SVGs draw every point as a vector path in its own colours."""
    from PySide6.QtCore import QPoint, QPointF

    ov = win.output_view
    ov.flush()
    # the screen as it is once the layout has settled (grab_image processes pending events)
    screen = export.grab_image(ov)
    points = [(item, item.points()) for item in (ov.train_points, ov.test_points)]
    n_points = sum(len(p) for _, p in points)
    assert n_points > 50
    svg = win.exporter.export("output", tmp_path / "output.svg")
    root = ET.parse(svg).getroot()
    clip_shapes = {id(el) for cp in root.iter() if cp.tag.endswith("clipPath") for el in cp}
    tags = [el.tag.rsplit("}", 1)[-1] for el in root.iter() if id(el) not in clip_shapes]
    n_shapes = tags.count("path") + tags.count("circle") + tags.count("ellipse")
    assert n_points <= n_shapes <= n_points + 40  # the points, plus frame and ticks
    assert tags.count("image") < 10  # not one embedded pixmap per point
    # symbols are in pixel units (viewers that ignore non-scaling-stroke draw them right)
    assert 'transform="matrix(8,0,0,8' not in svg.read_text(encoding="utf-8")
    # Rendered back, each point's centre has the colour it has on screen (not black).
    rendered = _render_svg(svg, ov.size())
    rendered.save(str(SCREENSHOTS / "export_output_svg.png"))
    if screen.size() != ov.size():  # HiDPI grab
        screen = screen.scaled(ov.size())
    vb = ov.plot.getPlotItem().getViewBox()
    checked = matching = 0
    for _item, pts in points:
        for spot in pts[::5]:
            pos = vb.mapViewToScene(QPointF(spot.pos()))
            xy = ov.plot.mapFromScene(pos)
            xy = ov.plot.mapTo(ov, QPoint(xy.x(), xy.y()))
            if not ov.rect().contains(xy):
                continue
            a, b = rendered.pixelColor(xy), screen.pixelColor(xy)
            checked += 1
            diff = max(abs(a.red() - b.red()), abs(a.green() - b.green()),
                       abs(a.blue() - b.blue()))
            matching += diff < 40
    assert checked > 20
    assert matching >= 0.8 * checked, f"{matching} of {checked} points match the screen"


def test_bake_thin_strokes():
    svg = ('<g fill="#fff" stroke="#000" transform="matrix(8,0,0,8,10,20)"\n>\n'
           '<path vector-effect="non-scaling-stroke" d="M0.5,0 C0.5,0.25 0,0.5 -0.5,0 Z "/>\n'
           '</g>')
    out = export.bake_thin_strokes(svg)
    assert 'transform="matrix(1,0,0,1,0,0)"' in out
    assert 'd="M14,20 C14,22 10,24 6,20 Z "' in out
    assert "non-scaling-stroke" not in out
