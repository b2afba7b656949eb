"""Image datasets give the network spec an image input [H, W, C]: dense networks behave as
before, old files with a number of inputs still open, layers that need other inputs go."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from neuroviz.app.window.state import ExperimentState, drop_unfitting_layers
from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer
from neuroviz.experiment import DatasetSettings, Experiment, Hyperparameters, save_experiment


def _dense_spec(inputs, n_out=10):
    return {"inputs": inputs, "loss": "softmax_ce",
            "layers": [{"type": "dense", "units": 6, "activation": "tanh"},
                       {"type": "dense", "units": n_out, "activation": "softmax"}]}


def test_state_takes_the_image_shape_for_image_data():
    state = ExperimentState()
    changes = []
    state.subscribe(changes.append)
    for name, shape in (("digits", [8, 8, 1]), ("strokes", [12, 12, 1]),
                        ("shapes", [16, 16, 1])):
        ds = load_dataset(name)
        state.set_dataset(DatasetSettings(name=name), ds.spec_inputs, ds.n_outputs,
                          ds.output_activation, ds.loss)
        assert state.spec["inputs"] == shape
        assert state.removed_layers == []
        Network.from_spec(state.spec)  # a valid spec
    ds = load_dataset("penguins")
    state.set_dataset(DatasetSettings(name="penguins"), ds.spec_inputs, ds.n_outputs,
                      ds.output_activation, ds.loss)
    assert state.spec["inputs"] == 4
    assert changes.count("dataset") == 4


def test_dense_network_on_an_image_input_computes_as_on_a_count():
    ds = load_dataset("digits")
    flat = Network.from_spec(_dense_spec(64), seed=3)
    shaped = Network.from_spec(_dense_spec([8, 8, 1]), seed=3)
    for (W1, b1), (W2, b2) in zip(flat.get_weights(), shaped.get_weights()):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)
    a = Trainer(flat, ds.X_train, ds.Y_train, lr=0.05, batch_size=16, seed=1).run(200)
    b = Trainer(shaped, ds.X_train, ds.Y_train, lr=0.05, batch_size=16, seed=1).run(200)
    assert a.train_loss == pytest.approx(b.train_loss, rel=1e-12)
    np.testing.assert_allclose(flat.predict(ds.X_test), shaped.predict(ds.X_test), rtol=1e-12)


def test_layers_that_do_not_fit_the_new_inputs_are_removed():
    conv = {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 1, "padding": "valid",
            "activation": "relu"}
    spec = {"inputs": [12, 12, 1], "loss": "softmax_ce",
            "layers": [conv, {"type": "maxpool", "size": 2}, {"type": "flatten"},
                       {"type": "dense", "units": 5, "activation": "relu"},
                       {"type": "dense", "units": 4, "activation": "softmax"}]}
    Network.from_spec(spec)
    # another image size that still fits: nothing goes (12 -> 10 -> 5; 16 -> 14 -> 7)
    fits = copy.deepcopy(spec)
    fits["inputs"] = [16, 16, 1]
    assert drop_unfitting_layers(fits) == [] and fits == {**spec, "inputs": [16, 16, 1]}
    # 8 x 8 digits: 8 -> 6 -> 3, still fine; a pool of 4 would not divide 6
    pool4 = copy.deepcopy(spec)
    pool4["layers"][1]["size"] = 4
    pool4["inputs"] = [8, 8, 1]
    removed = drop_unfitting_layers(pool4)
    assert [layer["type"] for layer in removed] == ["maxpool"]
    assert [layer["type"] for layer in pool4["layers"]] == ["conv2d", "flatten", "dense",
                                                            "dense"]
    Network.from_spec(pool4)
    # a table: every layer that needs an image goes, the dense layers stay
    table = copy.deepcopy(spec)
    table["inputs"] = 4
    removed = drop_unfitting_layers(table)
    assert [layer["type"] for layer in removed] == ["conv2d", "maxpool", "flatten"]
    assert [layer["units"] for layer in table["layers"]] == [5, 4]
    Network.from_spec(table)


def test_switching_a_cnn_to_table_data_in_the_window_says_what_went(make_window, qtbot):
    win = make_window(restore=False)
    win.set_dataset(DatasetSettings(name="strokes"))
    spec = win.state.spec
    spec["layers"].insert(0, {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 1,
                              "padding": "same", "activation": "relu"})
    spec["layers"].insert(1, {"type": "globalmaxpool"})
    win.apply_network(spec)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and tuple(win.latest_snapshot.layer_sizes)[:2] == (144, 576),
                    timeout=60_000)
    assert win.set_dataset(DatasetSettings(name="penguins"))
    assert win.state.spec["inputs"] == 4
    assert all(layer["type"] == "dense" for layer in win.state.spec["layers"])
    message = win.statusBar().currentMessage()
    assert "Removed 2 layers" in message and "conv2d" in message
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and win.latest_snapshot.layer_sizes[0] == 4, timeout=60_000)


def test_an_old_digits_file_with_a_number_of_inputs_opens(make_window, qtbot, tmp_path):
    ds = load_dataset("digits", train_ratio=0.5, seed=0)
    old_spec = _dense_spec(64)
    net = Network.from_spec(old_spec, seed=2)
    Trainer(net, ds.X_train, ds.Y_train, lr=0.05, batch_size=16, seed=0).run(300)
    exp = Experiment(DatasetSettings(name="digits"), old_spec,
                     Hyperparameters(), 2, net.get_weights())
    path = save_experiment(exp, tmp_path / "old-digits.json")
    win = make_window(restore=False)
    assert win.open_experiment(path)
    assert win.state.spec["inputs"] == [8, 8, 1]  # fitted to the image shape
    assert win.state.spec["layers"] == old_spec["layers"]
    expected = net.predict(ds.X_test)

    def shows_the_saved_network() -> bool:
        probs = win.output_view.prob_bars.probs
        return probs is not None and np.allclose(probs, expected[0], atol=1e-12)

    qtbot.waitUntil(lambda: win.latest_snapshot is not None, timeout=60_000)
    win.output_view.flush()
    qtbot.waitUntil(shows_the_saved_network, timeout=60_000)
    loaded = Network.from_spec(win.state.spec)
    loaded.set_weights(win.latest_snapshot.weights)
    np.testing.assert_allclose(loaded.predict(ds.X_test), expected, rtol=1e-12)


def test_named_dataset_options_round_trip_through_files(tmp_path):
    import json

    from neuroviz.experiment import ExperimentError, load_experiment

    ds = load_dataset("strokes", placement="split")
    spec = _dense_spec(ds.spec_inputs, 4)
    exp = Experiment(DatasetSettings(name="strokes", options={"placement": "split"}), spec,
                     Hyperparameters(), 0, None)
    path = save_experiment(exp, tmp_path / "strokes.json")
    back = load_experiment(path)
    assert back.dataset.options == {"placement": "split"}
    assert back.spec["inputs"] == [12, 12, 1]
    raw = json.loads(path.read_text())
    raw["dataset"]["options"]["placement"] = "left"
    path.write_text(json.dumps(raw))
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert "dataset" in str(info.value) and "'placement' of 'strokes' must be one of" in \
        str(info.value)
    raw["dataset"]["options"]["placement"] = 3
    path.write_text(json.dumps(raw))
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert "dataset.options.placement" in str(info.value)


def test_data_panel_options_change_the_data(make_window, qtbot):
    win = make_window(restore=False)
    win.data_panel.dataset_buttons["strokes"].click()
    qtbot.waitUntil(lambda: win.dataset.name == "strokes", timeout=60_000)
    assert win.state.spec["inputs"] == [12, 12, 1]
    combo = win.data_panel.option_boxes["placement"]
    assert combo.objectName() == "option_placement" and combo.isVisibleTo(win.data_panel)
    assert [combo.itemData(i) for i in range(combo.count())] == ["anywhere", "split"]
    combo.setCurrentIndex(combo.findData("split"))
    qtbot.waitUntil(lambda: win.state.dataset.options == {"placement": "split"},
                    timeout=60_000)
    test = win.dataset.X_test.reshape(-1, 12, 12)
    train = win.dataset.X_train.reshape(-1, 12, 12)
    # noise 0: the test strokes' ink is all in the right half, the training strokes' left
    assert test[:, :, :6].sum() == 0 < test[:, :, 6:].sum()
    assert train[:, :, 6:].sum() == 0 < train[:, :, :6].sum()
    win.data_panel.dataset_buttons["shapes"].click()
    qtbot.waitUntil(lambda: win.dataset.name == "shapes", timeout=60_000)
    size = win.data_panel.option_boxes["size"]
    size.setCurrentIndex(size.findData("large"))
    qtbot.waitUntil(lambda: win.state.dataset.options == {"size": "large"}, timeout=60_000)
    assert "placement" not in win.data_panel.option_boxes
    assert win.data_panel.noise.isEnabled()


def test_explain_mode_shows_its_example_on_the_canvas(make_window, qtbot):
    """Starting explain mode on an example makes it the selected one of every view: the
    network canvas draws that image's forward pass, not the one selected before."""
    win = make_window(restore=False)
    win.set_dataset(DatasetSettings(name="digits"))
    spec = win.state.spec
    spec["layers"][:-1] = [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 1,
                            "padding": "valid", "activation": "relu"},
                           {"type": "maxpool", "size": 2}, {"type": "flatten"}]
    win.apply_network(spec)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and tuple(win.latest_snapshot.layer_sizes)[:2] == (64, 144),
                    timeout=60_000)
    ds = win.dataset
    win.output_view.example_selected.emit("test", 0)  # the learner's click
    np.testing.assert_array_equal(win.network_view.example_values(0), ds.X_test[0])
    assert win.explain.start("train", 3)
    before = win.latest_snapshot
    win.worker.request_snapshot()  # a new snapshot redraws the canvas's example
    qtbot.waitUntil(lambda: win.latest_snapshot is not before, timeout=60_000)
    assert win.selected_example == ("train", 3)
    np.testing.assert_array_equal(win.network_view.example_values(0), ds.X_train[3])
    # the canvas's output column is the network's answer for that image
    net = Network.from_spec(win.state.spec)
    net.set_weights(win.latest_snapshot.weights)
    np.testing.assert_allclose(win.network_view.example_values(len(spec["layers"])),
                               net.predict(ds.X_train[3:4])[0], rtol=1e-9)


def test_neuron_response_says_what_it_needs_for_a_cnn(make_window, qtbot):
    """The neuron-response view is about a first dense hidden layer's neurons; on a CNN it
    says so (and draws nothing) instead of plotting a thousand feature-map values."""
    win = make_window(restore=False)
    win.set_dataset(DatasetSettings(name="strokes"))
    spec = win.state.spec
    spec["layers"][:-1] = [{"type": "conv2d", "filters": 2, "kernel": 3, "stride": 1,
                            "padding": "same", "activation": "relu"}, {"type": "flatten"}]
    win.apply_network(spec)
    qtbot.waitUntil(lambda: win.latest_snapshot is not None
                    and tuple(win.latest_snapshot.layer_sizes)[:2] == (144, 288),
                    timeout=60_000)
    view = win.neuron_response
    view.redraw()
    assert "conv2d" in view.message.text()
    assert not any(plot.isVisible() for plot in view.plots)
    assert view.series() is None
