"""GIF recordings are encoded off the GUI thread, can be cancelled, and do not band; plots
can be exported alone at a chosen resolution."""

from __future__ import annotations

import threading
import zlib

import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader

from neuroviz.app.classroom import export, gif


def decode(data: bytes) -> list[np.ndarray]:
    array = QByteArray(data)
    buf = QBuffer(array)
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf, b"gif")
    frames = []
    while reader.canRead():
        frames.append(export.image_to_rgb(reader.read()))
    return frames


def recorded(rgb: np.ndarray) -> export.RecordedFrame:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    return export.RecordedFrame(rgb.shape[1], rgb.shape[0], zlib.compress(rgb, 1))


@pytest.mark.parametrize("kind", ["random", "runs", "few", "empty", "one", "long"])
def test_compiled_lzw_matches_the_python_reference(kind):
    rng = np.random.default_rng(1)
    data = {
        "random": rng.integers(0, 256, 20_000),
        "runs": np.repeat(rng.integers(0, 7, 2000), rng.integers(1, 60, 2000)),
        "few": rng.integers(0, 3, 50_000),  # many codes: the table fills and is cleared
        "empty": np.zeros(0),
        "one": np.array([200]),
        "long": np.tile(np.arange(256), 300),
    }[kind].astype(np.uint8)
    assert gif.lzw(data) == gif.lzw_reference(data)


def gradient_frame(width=256, height=40) -> np.ndarray:
    """A smooth diverging ramp (orange, grey, blue) like a neuron's heatmap, on white."""
    t = np.linspace(-1, 1, width)
    orange, grey, blue = np.array([230, 159, 0]), np.array([200, 200, 200]), np.array([0, 114, 178])
    row = np.where(t[:, None] < 0, grey + (orange - grey) * (-t[:, None]),
                   grey + (blue - grey) * t[:, None])
    frame = np.full((height, width, 3), 255, np.uint8)
    frame[5:35] = np.round(row).astype(np.uint8)[None]
    return frame


def test_a_palette_from_the_frames_keeps_gradients_and_exact_colours():
    frame = gradient_frame()
    palette = gif.build_palette([frame])
    assert len(palette) <= 256
    ours = palette[gif.quantize(frame, palette)]
    fixed = gif.FIXED_PALETTE[gif.quantize_fixed(frame)]
    err_ours = np.abs(ours.astype(int) - frame).mean()
    err_fixed = np.abs(fixed.astype(int) - frame).mean()
    assert err_ours < 1.5 and err_ours < err_fixed / 3
    # no banding: every step of the ramp stays close; the fixed cube jumps by up to 51 levels
    assert np.abs(ours.astype(int) - frame).max() <= 6
    assert np.abs(fixed.astype(int) - frame).max() >= 20
    # the background stays exactly white
    assert (ours[0] == 255).all()


def test_recording_round_trip_is_exact_for_few_colours():
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, size=(40, 3)).astype(np.uint8)
    frames = [colours[rng.integers(0, 40, size=(30, 50))] for _ in range(5)]
    data = export.encode_recording([recorded(f) for f in frames], 100)
    decoded = decode(data)
    assert len(decoded) == 5
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)


def frames_of(n=12):
    return [recorded(np.roll(gradient_frame(200, 80), 7 * k, axis=1)) for k in range(n)]


def make_recording(ex, n=12):
    ex.recorder.frames = frames_of(n)


def test_gif_is_encoded_on_another_thread_and_written(qtbot, tmp_path):
    path = tmp_path / "run.gif"
    job = export.GifEncodeJob(frames_of(12), path, 100)
    threads, finished = set(), []
    job.progressed.connect(lambda *_: threads.add(threading.get_ident()),
                           Qt.ConnectionType.DirectConnection)
    job.finished_writing.connect(lambda ok, message: finished.append((ok, message)))
    job.start()
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    job.wait()
    assert finished == [(True, str(path))]
    assert threads and threading.get_ident() not in threads  # never the GUI thread
    frames = decode(path.read_bytes())
    assert len(frames) == 12
    assert np.abs(frames[3].astype(int) - np.roll(gradient_frame(200, 80), 21, axis=1)).mean() \
        < 1.5


def test_cancelling_the_encoding_writes_nothing(qtbot, tmp_path):
    path = tmp_path / "cancelled.gif"
    job = export.GifEncodeJob(frames_of(30), path, 100)
    finished = []
    # cancel as soon as the thread reports its first step (as the dialog's Cancel does)
    job.progressed.connect(lambda *_: job.cancel(), Qt.ConnectionType.DirectConnection)
    job.finished_writing.connect(lambda ok, message: finished.append((ok, message)))
    job.start()
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    job.wait()
    assert finished == [(False, "cancelled")]
    assert not path.exists()


def test_finish_recording_saves_through_the_encoding_thread(window, qtbot, tmp_path):
    ex = window.exporter
    make_recording(ex)
    path = tmp_path / "run.gif"
    finished = []
    ex.encoding_finished.connect(lambda ok, message: finished.append((ok, message)))
    assert ex.finish_recording(path)
    assert ex.is_encoding and ex.job.objectName() == "gif_encoder"
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert finished == [(True, str(path))] and not ex.is_encoding
    assert export.gif_frame_count(path.read_bytes()) == 12
    assert "Saved" in window.statusBar().currentMessage()


def test_closing_the_window_stops_an_encoding(make_window, tmp_path):
    win = make_window()
    ex = win.exporter
    make_recording(ex, 40)
    assert ex.finish_recording(tmp_path / "closing.gif")
    job = ex.job
    win.close()  # the leak check of the test fixtures fails if the thread is still running
    assert not job.isRunning() and not ex.is_encoding


@pytest.mark.parametrize("name", ["output", "charts"])
def test_a_plot_alone_at_twice_its_size(window, tmp_path, name):
    ex = window.exporter
    view = ex.plot_view(name)
    item = getattr(view, "ci", None) or view.getPlotItem()
    rect = item.sceneBoundingRect()
    path = ex.export_plot(name, tmp_path / f"{name}.png", scale=2)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (round(rect.width() * 2), round(rect.height() * 2))
    # only the plot: smaller than the view with its controls, at the same scale
    target = ex.target(name)
    assert image.width() * image.height() < 4 * target.width() * target.height()
    rgb = export.image_to_rgb(image)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 20  # a real picture, not blank
    with pytest.raises(ValueError):
        ex.export_plot(name, tmp_path / "x.png", scale=20)
