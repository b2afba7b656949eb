"""Every view shows the state it claims: the gradient chart, the digits example, a scrubbed
timeline epoch, resume, presenter mode, readable numbers and the run-comparison key."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from neuroviz.data import DATASETS
from neuroviz.engine import Network, Trainer


def train_epochs(win, qtbot, n):
    for _ in range(n):
        before = win.latest_snapshot.epoch
        win.step_epoch()
        qtbot.waitUntil(lambda b=before: win.latest_snapshot.epoch == b + 1, timeout=60_000)


def spec_with(win, hidden: list[int], activation="tanh") -> dict:
    spec = dict(win.state.spec)
    out = spec["layers"][-1]
    spec["layers"] = [{"type": "dense", "units": u, "activation": activation}
                      for u in hidden] + [dict(out)]
    return spec


def test_gradient_chart_keeps_no_layers_of_an_earlier_network(window, qtbot,
                                                               wait_snapshot_fits):
    win = window
    win.gradients.set_on(True)
    win.apply_preset(spec=spec_with(win, [4, 4, 4, 4, 4], "sigmoid"))
    wait_snapshot_fits(win)
    train_epochs(win, qtbot, 1)
    chart = win.gradients.chart
    qtbot.waitUntil(lambda: len(chart.curves) == 6, timeout=60_000)  # 5 hidden + output
    assert "layer 5" in chart.summary.text()

    win.apply_preset(spec=spec_with(win, []))  # no hidden layers: one dense layer
    wait_snapshot_fits(win)
    assert chart.curves == []  # cleared at once, before any new gradients arrive
    assert "layer" not in chart.summary.text()
    train_epochs(win, qtbot, 1)
    qtbot.waitUntil(lambda: len(chart.curves) == 1, timeout=60_000)
    legend_names = [label.text for _, label in chart.legend.items]
    assert legend_names == ["output"]
    assert "layer" not in chart.summary.text()


def test_digits_network_shows_the_selected_image_before_any_click(window, qtbot,
                                                                  wait_snapshot_fits):
    win = window
    win.apply_preset(dataset={"name": "digits"})
    wait_snapshot_fits(win)
    split, row = win.output_view.selected
    X = win.dataset.X_test if split == "test" else win.dataset.X_train

    def network_shows_it():
        values = win.network_view.example_values(0)
        return values is not None and np.array_equal(values, X[row])

    qtbot.waitUntil(network_shows_it, timeout=60_000)
    # Clicking another image in the gallery moves both together.
    win.output_view.gallery.image_clicked.emit(5)
    assert win.output_view.selected == ("test", 5)
    qtbot.waitUntil(lambda: np.array_equal(win.network_view.example_values(0),
                                           win.dataset.X_test[5]), timeout=60_000)


def _accuracy(spec, weights, X, y) -> float:
    net = Network.from_spec(spec)
    net.set_weights([(np.array(W), np.array(b)) for W, b in weights])
    out = net.predict(X)
    labels = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    return float(np.mean(labels == y))


def test_a_scrubbed_epoch_is_shown_and_named_by_every_view(window, qtbot):
    win = window
    train_epochs(win, qtbot, 4)
    tl = win.timeline
    tl.view.select_epoch(0)
    entry = tl.scrubbed_entry
    assert entry.epoch == 0
    win.output_view.flush()
    # Reference: the accuracy of the epoch-0 weights on the test set, computed with NumPy.
    expected = _accuracy(win.state.spec, entry.weights, win.dataset.X_test, win.dataset.y_test)
    counts = win.output_view.counts
    assert np.trace(counts) / counts.sum() == pytest.approx(expected)
    title = win.output_view.title.text()
    shown = float(re.search(r"test accuracy ([\d.]+)%", title).group(1)) / 100
    assert shown == pytest.approx(expected, abs=0.0006)
    assert "Epoch 0" in title
    assert win.toolbar.epoch_label.text() == "Epoch 0 (past)"
    assert "Epoch 0 (timeline)" in win.charts.summary.text()
    assert f"{100 * expected:.1f}%" in win.charts.summary.text()
    assert win.status_label.text().startswith(f"past:   step {entry.step:,}")
    # Live: every view returns to the present.
    tl.view.live_button.click()
    win.output_view.flush()
    assert win.toolbar.epoch_label.text() == "Epoch 4"
    assert "timeline" not in win.charts.summary.text()
    assert "Epoch 0" not in win.output_view.title.text()
    assert win.status_label.text().startswith(f"step {win.latest_snapshot.step:,}")


def test_resume_from_here_continues_training_from_that_epoch(window, qtbot):
    win = window
    train_epochs(win, qtbot, 3)
    tl = win.timeline
    tl.view.select_epoch(1)
    saved = tl.scrubbed_entry.copy_weights()
    published = []
    win.worker.snapshot_ready.connect(lambda snap, _generation: published.append(snap))
    tl.view.resume_button.click()
    qtbot.waitUntil(lambda: win.is_running, timeout=60_000)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.state.epoch_offset + win.latest_snapshot.epoch >= 3,
                    timeout=60_000)
    win.pause()
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    first = next(s for s in published if s.step == 0)
    for (W, b), (Ws, bs) in zip(first.weights, saved):
        np.testing.assert_array_equal(W, Ws)
        np.testing.assert_array_equal(b, bs)
    assert win.state.epoch_offset == 1
    assert not win.toolbar.showing_past


def test_presenter_mode_shows_the_trained_epoch_at_once(window, qtbot):
    win = window
    train_epochs(win, qtbot, 2)
    win.presenter.enter(full_screen=False)
    assert win.presenter.bar.epoch_label.text() == "Epoch 2"
    assert "train loss" in win.presenter.bar.loss_label.text()
    assert not win.presenter.bar.play_button.icon().isNull()


def test_a_diverged_r2_is_shown_readably(window, qtbot, wait_snapshot_fits):
    win = window
    win.apply_preset(dataset={"name": "plane"})
    wait_snapshot_fits(win)
    snap = dataclasses.replace(win.latest_snapshot, test_metric=-1.2345678901234567e31,
                               train_loss=3.2109876543210987e30)
    win.output_view.set_snapshot(snap)
    win.output_view.flush()
    title = win.output_view.title.text()
    assert "R\u00b2 -1.23e+31" in title
    assert not re.search(r"\d{8,}", title)  # never a long run of digits
    win.presenter.enter(full_screen=False)
    win.presenter._on_snapshot(snap)
    assert "3.21e+30" in win.presenter.bar.loss_label.text()


def test_the_learning_rate_fix_steps_down_until_a_trial_stays_finite(window, qtbot,
                                                                     wait_snapshot_fits):
    win = window
    win.apply_preset(dataset={"name": "plane"}, hyperparameters={
        "learning_rate": 10.0, "optimizer": "sgd", "regularization": "none"})
    wait_snapshot_fits(win)
    win.play()
    qtbot.waitUntil(lambda: win.divergence_banner.isVisible(), timeout=60_000)
    qtbot.waitUntil(lambda: not win.is_running, timeout=60_000)
    message = win._lower_learning_rate()
    chosen = win.state.hyperparameters.learning_rate
    assert chosen < 1.0
    assert f"to {chosen:g}" in message and "from 10" in message
    # Reference: the engine on its own diverges at 1.0 (the rate a single ×0.1 would give)
    # from the same starting weights, so one step down was not enough.
    ds = win.dataset
    trainer = Trainer(Network.from_spec(win.state.spec, seed=win.state.seed), ds.X_train,
                      ds.Y_train, optimizer="sgd", lr=1.0, batch_size=win.state.
                      hyperparameters.batch_size, seed=win.state.seed, task=ds.task)
    start = trainer.snapshot().train_loss
    with np.errstate(all="ignore"):
        snap = trainer.run(5 * trainer.steps_per_epoch)
    assert snap.diverged or not np.isfinite(snap.train_loss) or snap.train_loss > 10 * start
    assert "1 still diverged" in message
    # Training in the window with the chosen rate stays finite.
    qtbot.waitUntil(lambda: win.latest_snapshot is not None and win.latest_snapshot.step == 0
                    and win.latest_snapshot.lr == chosen, timeout=60_000)
    train_epochs(win, qtbot, 3)
    assert np.isfinite(win.latest_snapshot.train_loss)
    assert not win.latest_snapshot.diverged
    assert win.toolbar.learning_rate.currentText() == f"{chosen:g}"


def test_earlier_runs_have_a_readable_key_kept_to_the_lesson(make_window, qtbot, tmp_path,
                                                             monkeypatch, wait_snapshot_fits):
    from neuroviz.app.lessons.panel import LessonPanel

    monkeypatch.setattr(LessonPanel, "ask_unsaved", lambda self: "discard")
    win = make_window(progress_path=tmp_path / "progress.json")
    charts = win.charts
    win.set_hyperparameters(learning_rate=0.03)
    train_epochs(win, qtbot, 2)
    win.set_hyperparameters(learning_rate=0.3)
    win.reset()
    qtbot.waitUntil(lambda: win.latest_snapshot.step == 0, timeout=60_000)
    train_epochs(win, qtbot, 2)
    assert charts.run_key.names == ["now", "run 1: lr 0.03 \u2192 0.3"]
    assert charts.run_key.isVisible()
    # A dataset change names the datasets by their titles, never by internal names.
    win.apply_preset(dataset={"name": "boxoffice_budget"})
    wait_snapshot_fits(win)
    train_epochs(win, qtbot, 2)
    circle, budget = DATASETS["circle"].title, DATASETS["boxoffice_budget"].title
    assert any(f"{circle} \u2192 {budget}" in name for name in charts.run_key.names)
    assert not any("boxoffice_budget" in name for name in charts.run_key.names)
    # The runs' curves are not in the plot's own legend, which keeps train and test.
    assert [label.text for _, label in charts.loss_legend.items] == ["train", "test"]
    win.action_clear_runs.trigger()
    assert win.runs.runs == [] and charts.run_key.isHidden()
    assert [label.text for _, label in charts.loss_legend.items] == ["train", "test"]
    # File › New archives the run and keeps both keys.
    train_epochs(win, qtbot, 1)
    win.action_new.trigger()
    qtbot.waitUntil(lambda: len(win.runs.runs) == 1 and win.latest_snapshot is not None,
                    timeout=60_000)
    assert charts.run_key.isVisible() and len(charts.run_key.names) == 2
    assert [label.text for _, label in charts.loss_legend.items] == ["train", "test"]
    assert charts.loss_legend.isVisible()
    win.action_clear_runs.trigger()
    # A lesson's chart compares only the lesson's runs.
    train_epochs(win, qtbot, 1)
    win.reset()
    qtbot.waitUntil(lambda: win.latest_snapshot.step == 0 and len(win.runs.runs) == 1,
                    timeout=60_000)
    panel = win.lesson_panel
    lesson_id = panel.library.lessons[0].id
    assert panel.open_lesson(lesson_id)
    qtbot.waitUntil(lambda: win.runs.context == lesson_id, timeout=60_000)
    assert win.runs.runs == []
    assert [label.text for _, label in charts.loss_legend.items] == ["train", "test"]
    # ...and the lesson's own runs are kept.
    wait_snapshot_fits(win)
    train_epochs(win, qtbot, 1)
    train_epochs(win, qtbot, 1)
    win.reset()
    qtbot.waitUntil(lambda: len(win.runs.runs) == 1, timeout=60_000)
    assert win.runs.runs[0]["context"] == lesson_id
