"""The views lessons open to look inside the network: saliency, loss surface, weight images,
neuron response and the parameter count, with real widgets and the real engine."""

from __future__ import annotations

import numpy as np
import pytest

from neuroviz.app.constants import GRID_N
from neuroviz.engine import Network

TANH_NET = {"inputs": 2, "loss": "bce", "layers": [
    {"type": "dense", "units": 4, "activation": "tanh"},
    {"type": "dense", "units": 1, "activation": "sigmoid"},
]}


def _net(window):
    net = Network.from_spec(window.state.spec)
    net.set_weights(window.latest_snapshot.weights)
    return net


def _train(window, qtbot, epochs):
    done = []
    window.worker.run_finished.connect(done.append)  # before the run: it may end at once
    run = window.train_epochs(epochs, 5)
    qtbot.waitUntil(lambda: run in done, timeout=60_000)
    qtbot.waitUntil(lambda: not window.is_running, timeout=60_000)


def _open(window, qtbot, view):
    view.open()
    qtbot.waitUntil(view.isVisible, timeout=60_000)


def _finite_differences(net, x, output, h=1e-6):
    out = np.zeros(len(x))
    for i in range(len(x)):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        out[i] = (net.predict(up[None])[0, output] - net.predict(down[None])[0, output]) / (2 * h)
    return out


@pytest.mark.parametrize("dataset, spec", [
    ("gauss", TANH_NET),
    ("spiral3", {"inputs": 2, "loss": "softmax_ce", "layers": [
        {"type": "dense", "units": 6, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}),
])
def test_saliency_bars_are_the_input_derivatives(window, qtbot, wait_snapshot_fits, dataset,
                                                 spec, screenshot):
    window.apply_preset(dataset={"name": dataset, "noise": 0.1}, spec=spec, seed=3)
    wait_snapshot_fits(window)
    _train(window, qtbot, 10)
    view = window.saliency_view
    _open(window, qtbot, view)
    events = []
    view.event_happened.connect(events.append)
    window.output_view.set_selected_example("test", 7)
    window.output_view.example_selected.emit("test", 7)
    assert events == ["saliency_shown"]
    net = _net(window)
    x = window.dataset.X_test[7]
    predicted = int(np.argmax(net.predict(x[None])[0])) if spec["layers"][-1]["units"] > 1 else 0
    np.testing.assert_allclose(view.gradients, _finite_differences(net, x, predicted),
                               rtol=1e-5, atol=1e-8)
    # the map: the sum of |dp/dx| (each point's predicted class) at points of the plane
    n = GRID_N  # the map is sampled like the heatmaps
    assert view.map is not None and view.map.shape == (n, n)
    lo, hi = window.dataset.extent
    xs = np.linspace(lo, hi, n)
    for row, col in ((3, n - 10), (n // 2, n // 2), (n - 3, 8)):
        point = window.dataset.transform(np.array([[xs[col], xs[row]]]))[0]
        c = int(np.argmax(net.predict(point[None])[0]))
        assert view.map[row, col] == pytest.approx(
            np.abs(_finite_differences(net, point, c)).sum(), rel=1e-5, abs=1e-9)
    if dataset == "gauss":
        screenshot(view, "saliency_view")


def test_saliency_needs_an_example(window, qtbot):
    view = window.saliency_view
    _open(window, qtbot, view)
    window.output_view.set_selected_example(None)
    assert not view.show_selected()
    assert view.gradients is None


def test_loss_surface_is_the_loss_at_those_weights(window, qtbot, wait_snapshot_fits,
                                                   screenshot):
    window.apply_preset(dataset={"name": "gauss", "noise": 0.1}, spec=TANH_NET, seed=1)
    wait_snapshot_fits(window)
    view = window.loss_surface
    _open(window, qtbot, view)
    labels = [label for label, _ in view.params]
    assert len(labels) == 2 * 4 + 4 + 4 + 1
    a = labels.index("layer 2: weight 1\u21921")
    b = labels.index("layer 2: bias of neuron 1")
    view.choose(a, b)
    assert view.surface.shape == (len(view.ys), len(view.xs))
    ds = window.dataset
    weights = [(np.array(W), np.array(bias)) for W, bias in window.latest_snapshot.weights]
    rng = np.random.default_rng(0)
    for ix, iy in rng.integers(0, len(view.xs), size=(6, 2)):
        w = [(W.copy(), bias.copy()) for W, bias in weights]
        w[1][0][0, 0] = view.xs[ix]
        w[1][1][0] = view.ys[iy]
        net = Network.from_spec(window.state.spec)
        net.set_weights(w)
        assert view.surface[iy, ix] == pytest.approx(net.loss_value(ds.X_train, ds.Y_train),
                                                     rel=1e-12)
    # the descent path follows the two weights while training
    start = view.path[0]
    assert start == (weights[1][0][0, 0], weights[1][1][0])
    _train(window, qtbot, 20)
    qtbot.waitUntil(lambda: len(view.path) > 3, timeout=60_000)
    W2, b2 = window.latest_snapshot.weights[1]
    assert view.path[-1] == (W2[0, 0], b2[0])
    screenshot(view, "loss_surface_view")


def test_weight_images_put_each_weight_in_its_pixel(window, qtbot, wait_snapshot_fits,
                                                    screenshot):
    spec = {"inputs": 64, "loss": "softmax_ce",
            "layers": [{"type": "dense", "units": 10, "activation": "softmax"}]}
    W = np.zeros((64, 10))
    W[8 * 2 + 5, 3] = 1.5    # row 2, column 5 of digit 3's template
    W[8 * 7 + 0, 9] = -0.5   # bottom left corner of digit 9's template
    window.apply_preset(dataset={"name": "digits"}, spec=spec, weights=[(W, np.zeros(10))])
    wait_snapshot_fits(window)
    view = window.weight_images
    _open(window, qtbot, view)
    qtbot.waitUntil(lambda: view.images is not None, timeout=60_000)
    assert view.images.shape == (10, 8, 8)
    assert view.images[3][2, 5] == 1.5 and np.count_nonzero(view.images[3]) == 1
    assert view.images[9][7, 0] == -0.5 and np.count_nonzero(view.images[9]) == 1
    assert not view.images[[0, 1, 2, 4, 5, 6, 7, 8]].any()
    _train(window, qtbot, 5)
    qtbot.waitUntil(lambda: view.images[0].any(), timeout=60_000)
    screenshot(view, "weight_images_view")
    # other data: no images, and a clear message
    window.apply_preset(dataset={"name": "circle"}, spec=TANH_NET)
    wait_snapshot_fits(window)
    view.redraw()
    assert view.images is None and "digits" in view.caption.text()


def test_neuron_response_correlations_and_names(window, qtbot, wait_snapshot_fits,
                                                screenshot):
    spec = {"inputs": 4, "loss": "mse", "layers": [
        {"type": "dense", "units": 3, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "linear"}]}
    window.apply_preset(dataset={"name": "boxoffice"}, spec=spec, seed=2)
    wait_snapshot_fits(window)
    _train(window, qtbot, 30)
    view = window.neuron_response
    _open(window, qtbot, view)
    view.set_neuron(1)
    view.redraw()
    ds = window.dataset
    (W1, b1), _ = window.latest_snapshot.weights
    hidden = np.tanh(ds.X_train @ W1 + b1)[:, 1]     # NumPy reference of neuron 2's output
    budget = ds.X_train[:, 0] * ds.feature_std[0] + ds.feature_mean[0]
    assert view.correlations[ds.feature_names[0]] == pytest.approx(
        np.corrcoef(hidden, budget)[0, 1], abs=1e-9)
    assert set(view.factor_names()) <= set(view.correlations)
    names = []
    view.names_changed.connect(names.append)
    box = view.name_box
    box.setCurrentIndex(box.findText("spend"))
    box.activated.emit(box.currentIndex())
    assert view.names == {1: "spend"} and names[-1] == {1: "spend"}
    screenshot(view, "neuron_response_view")


def test_param_count_follows_the_network(window, wait_snapshot_fits):
    window.apply_preset(dataset={"name": "circle"}, spec=TANH_NET)
    label = window.param_count
    assert label.count == 2 * 4 + 4 + 4 * 1 + 1
    assert label.text() == "17 parameters"
    window.network_view.add_neuron_requested.emit(1)
    assert label.count == 2 * 5 + 5 + 5 + 1
    assert window.controls.find("param_count") is label


def test_views_open_from_the_view_menu_and_by_lesson_id(window, qtbot):
    from neuroviz.app.lessons.controls import widget_names
    from neuroviz.lessons import CONTROL_IDS

    for cid, action in (("neuron_response", "action_neuron_response"),
                        ("saliency", "action_saliency"), ("loss_surface", "action_loss_surface"),
                        ("weight_images", "action_weight_images")):
        assert cid in CONTROL_IDS
        assert widget_names(window, cid, "highlight") == [cid]
        dock = window.findChild(type(window.lesson_dock), f"{cid}_dock")
        assert dock.isHidden()
        window.controls.require(action).trigger()
        qtbot.waitUntil(dock.isVisible, timeout=60_000)
        window.controls.require(action).trigger()
        qtbot.waitUntil(dock.isHidden, timeout=60_000)
