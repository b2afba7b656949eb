"""The loss chart after a real divergence: the exploded last losses (1e+20 and far beyond)
must not flatten the learning curve into the x-axis. The axis stops above the readable part,
a note says what is not shown, and nothing non-finite is drawn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QLabel

from neuroviz.experiment import DatasetSettings

#: a readable chart stops within this many times the starting loss after an explosion
EXPLODE_FACTOR = 10.0


def finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def diverge(qtbot, win):
    """Plane regression: learn a few epochs with SGD, then a learning rate that explodes."""
    win.set_dataset(DatasetSettings(name="plane"))
    qtbot.waitUntil(lambda: win.dataset.name == "plane" and win.latest_snapshot is not None
                    and win.latest_snapshot.layer_sizes[-1] == 1, timeout=60_000)
    assert win.set_hyperparameters(optimizer="sgd", learning_rate=0.01)
    win.train_epochs(6, 1)
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch >= 6 and not win.is_running,
                    timeout=60_000)
    assert win.set_hyperparameters(learning_rate=3.0)
    win.play()
    qtbot.waitUntil(lambda: win.latest_snapshot.diverged and not win.is_running,
                    timeout=60_000)
    qtbot.waitUntil(lambda: win.charts.summary.text().startswith("train loss"), timeout=60_000)


def test_exploded_loss_keeps_the_learning_curve_readable(window, qtbot, screenshot):
    win = window
    charts = win.charts
    diverge(qtbot, win)
    history = win.state.history
    train, test = np.asarray(history.train_loss), np.asarray(history.test_loss)
    losses = np.concatenate([finite(train), finite(test)])
    start = max(finite(train)[:3].max(), finite(test)[:3].max())
    assert losses.max() > 1e12, "the run did not explode: the test would prove nothing"
    learning = losses[losses <= EXPLODE_FACTOR * start]  # the part before the explosion

    # the axis ends just above the learning curve, not at the exploded values
    bottom, top = charts.loss_plot.viewRange()[1]
    assert top <= 1.1 * EXPLODE_FACTOR * start, (top, start)
    assert top >= learning.max()
    assert (top - bottom) <= 5 * learning.max() + 1.0  # the learning part fills >= ~1/5
    note = charts.findChild(QLabel, "loss_clip_note")
    assert note.isVisible() and "not shown" in note.text()
    shown = float(note.text().split("above ")[1].split()[0])
    assert math.isclose(shown, charts.clip_top) and shown <= top * 1.02
    assert "exploded" in note.toolTip()
    for curve in (charts.train_curve, charts.test_curve):
        _, y = curve.getData()
        assert np.isfinite(y).all()  # never NaN or inf on screen
    screenshot(charts, "loss_chart_exploded")

    # log scale: the same readable window, in decades
    charts.log_scale.setChecked(True)
    low, high = charts.loss_plot.viewRange()[1]
    assert high <= math.log10(charts.clip_top) + 0.2
    assert low <= math.log10(finite(train).min())
    assert note.isVisible()
    screenshot(charts, "loss_chart_exploded_log")
    charts.log_scale.setChecked(False)
    assert charts.loss_plot.viewRange()[1][1] <= 1.1 * EXPLODE_FACTOR * start

    # a new run clears the history and the note
    win.reset()
    qtbot.waitUntil(lambda: len(win.state.history) <= 1 and not note.isVisible(),
                    timeout=60_000)
    assert charts.clip_top is None


def test_ordinary_training_is_not_clipped(window, qtbot):
    win = window
    win.train_epochs(20, 2)
    qtbot.waitUntil(lambda: win.latest_snapshot.epoch >= 20 and not win.is_running,
                    timeout=60_000)
    qtbot.waitUntil(lambda: len(win.state.history) > 5, timeout=60_000)
    win.charts.update_history(win.state.history)
    assert win.charts.clip_top is None
    assert not win.charts.findChild(QLabel, "loss_clip_note").isVisible()
    top = win.charts.loss_plot.viewRange()[1][1]
    assert top >= max(finite(win.state.history.train_loss))


def test_clip_rule():
    from neuroviz.app.output.charts import loss_clip_top

    # a bump to a few times the starting loss is information, not an explosion
    assert loss_clip_top([0.7, 0.6, 0.5, 2.5, 0.3], [0.7, 0.6, 0.5, 2.6, 0.3]) is None
    # exploded: the axis stops at a round number above what did not explode
    assert loss_clip_top([0.7, 0.6, 0.5, 0.4, 3e160], [0.8, 0.6, 0.5, 0.4, np.nan]) == 1.0
    # a recovery after the explosion stays in view
    assert loss_clip_top([0.7, 0.5, 0.4, 1e30, 1.8], [np.nan] * 5) == 2.0
    assert loss_clip_top([], []) is None


@pytest.mark.parametrize("best_at", [2, 19])
def test_best_epoch_label_stays_inside_the_chart(qtbot, best_at):
    """At 1280x720 the charts are narrow: the "best: epoch N" label sits on the side of the
    marker with room, so its whole text lies inside the plot area wherever the best epoch is."""
    from neuroviz.app.output.charts import TrainingCharts
    from neuroviz.experiment import LossHistory

    charts = TrainingCharts()
    qtbot.addWidget(charts)
    charts.resize(420, 220)
    charts.show()
    qtbot.waitExposed(charts)
    history = LossHistory()
    for epoch in range(1, 21):
        test = 1.0 + abs(epoch - best_at) * 0.1  # lowest at best_at
        history.append(epoch, 1.0 / epoch, test, 0.5, 0.5)
    charts.update_history(history)
    QApplication.processEvents()
    assert charts.best_epoch == best_at
    assert charts.best_label.isVisible()
    vb = charts.loss_plot.getViewBox()
    label = charts.best_label.mapRectToScene(charts.best_label.boundingRect())
    area = vb.mapRectToScene(vb.boundingRect())
    assert area.left() - 1 <= label.left() and label.right() <= area.right() + 1, (label, area)
