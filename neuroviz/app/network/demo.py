"""Stand-alone demo of the network view, driven by the real engine and data.

``python -m neuroviz.app.network.demo [dataset]`` shows the network view beside the output
view; ``python -m neuroviz.app.output.demo [dataset]`` shows the output view alone. Training
runs on the GUI thread in small bursts from a QTimer (the real window uses a worker thread);
that is enough to look at a view in isolation.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from neuroviz.app.network.heatmaps import plane_grid
from neuroviz.app.network.view import NetworkView
from neuroviz.app.output.view import OutputView
from neuroviz.data import load_dataset
from neuroviz.engine import Network, Trainer

__all__ = ["DemoRig", "main"]


def default_spec(ds, hidden=(8, 8, 8, 8, 8, 8), activation="tanh") -> dict:
    layers = [{"type": "dense", "units": int(n), "activation": activation} for n in hidden]
    layers.append({"type": "dense", "units": ds.n_outputs, "activation": ds.output_activation})
    return {"inputs": ds.n_features, "layers": layers, "loss": ds.loss}


def output_names(ds) -> list[str]:
    if ds.task == "regression":
        return [ds.target_name or "prediction"]
    if ds.n_outputs == 1:
        return [f"P({ds.class_names[1]})"] if len(ds.class_names) == 2 else ["output"]
    return list(ds.class_names)


class DemoRig:
    """Dataset + spec + trainer that rebuilds on architecture requests from a NetworkView."""

    def __init__(self, name: str = "spiral", hidden=(8, 8, 8, 8, 8, 8), grid_n: int = 40,
                 lr: float = 0.03) -> None:
        self.ds = load_dataset(name)
        self.spec = default_spec(self.ds, hidden)
        self.grid_n = grid_n
        self.lr = lr
        self.network_view = None
        self.output_view = None
        self.example = 0
        self.rebuild()

    # -- engine ------------------------------------------------------------------------
    def rebuild(self, keep_weights: bool = False) -> None:
        old = self.trainer.net.get_weights() if keep_weights and hasattr(self, "trainer") else None
        net = Network.from_spec(self.spec, seed=0)
        if old is not None and [(W.shape, b.shape) for W, b in old] == \
                [(W.shape, b.shape) for W, b in net.get_weights()]:
            net.set_weights(old)
        ds = self.ds
        self.trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                               optimizer="adam", lr=self.lr, batch_size=10, seed=0)
        if ds.kind == "2d":
            _, feats, shape = plane_grid(ds, self.grid_n)
            self.trainer.set_grid(feats, shape)
        self._push_structure()

    def snapshot(self, steps: int = 0):
        grid = self.ds.kind == "2d"
        return self.trainer.run(steps, grid=grid, gradients=True) if steps else \
            self.trainer.snapshot(grid=grid, gradients=True)

    # -- views -------------------------------------------------------------------------
    def attach(self, network_view=None, output_view=None) -> None:
        self.network_view, self.output_view = network_view, output_view
        if network_view is not None:
            nv = network_view
            nv.add_layer_requested.connect(lambda: self._edit_hidden(+1, None))
            nv.remove_layer_requested.connect(lambda: self._edit_hidden(-1, None))
            nv.add_neuron_requested.connect(lambda k: self._edit_hidden(0, (k, +1)))
            nv.remove_neuron_requested.connect(lambda k: self._edit_hidden(0, (k, -1)))
            nv.activation_change_requested.connect(self._set_activation)
            nv.weight_edited.connect(self._set_weight)
            nv.bias_edited.connect(self._set_bias)
            if output_view is not None:
                nv.neuron_hovered.connect(self._show_neuron)
        if output_view is not None:
            output_view.example_selected.connect(self._select)
        self._push_structure()

    def _push_structure(self) -> None:
        ds, net = self.ds, self.trainer.net
        if self.network_view is not None:
            self.network_view.set_network(ds.feature_names, net.layer_sizes, net.activations,
                                          output_names(ds))
            if ds.kind == "2d":
                _, feats, (n, m) = plane_grid(ds, self.grid_n)
                self.network_view.set_input_images(
                    feats.T.reshape(ds.n_features, n, m).astype(np.float32))
        if self.output_view is not None:
            self.output_view.set_dataset(ds, self.spec)
        self.publish(self.snapshot())

    def publish(self, snap) -> None:
        if self.network_view is not None:
            self.network_view.set_snapshot(snap)
            if self.ds.kind != "2d":
                x = self.ds.X_train[self.example:self.example + 1]
                acts = [x[0]] + [a[0] for _, a in self.trainer.net.forward_all(x)]
                self.network_view.set_example(acts)
        if self.output_view is not None:
            self.output_view.set_snapshot(snap)

    def _edit_hidden(self, delta_layers: int, neuron) -> None:
        layers = self.spec["layers"]
        if delta_layers > 0:
            layers.insert(len(layers) - 1, {"type": "dense", "units": 4, "activation": "tanh"})
        elif delta_layers < 0 and len(layers) > 1:
            layers.pop(len(layers) - 2)
        elif neuron is not None:
            k, d = neuron
            layers[k - 1]["units"] = int(np.clip(layers[k - 1]["units"] + d, 1, 16))
        self.rebuild(keep_weights=False)

    def _set_activation(self, k: int, name: str) -> None:
        self.spec["layers"][k - 1]["activation"] = name
        self.rebuild(keep_weights=True)

    def _set_weight(self, k: int, i: int, j: int, value: float) -> None:
        ws = self.trainer.net.get_weights()
        ws[k - 1][0][i, j] = value
        self.trainer.set_weights(ws)
        self.publish(self.snapshot())

    def _set_bias(self, k: int, j: int, value: float) -> None:
        ws = self.trainer.net.get_weights()
        ws[k - 1][1][j] = value
        self.trainer.set_weights(ws)
        self.publish(self.snapshot())

    def _select(self, split: str, index: int) -> None:
        if split == "train":
            self.example = index
        self.publish(self.snapshot())

    def _show_neuron(self, k: int, j: int) -> None:
        img = self.network_view.neuron_image(k, j) if k >= 0 else None
        title = f"layer {k}, neuron {j + 1}" if img is not None else ""
        self.output_view.show_neuron_image(img, title)


def main(argv=None, network: bool = True, output: bool = True) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv else "spiral"
    app = QApplication.instance() or QApplication([])

    rig = DemoRig(name)
    win = QWidget()
    win.setWindowTitle(f"neuroviz demo \u2014 {rig.ds.title}")
    lay = QHBoxLayout(win)
    nv = NetworkView() if network else None
    ov = OutputView() if output else None
    for w in (nv, ov):
        if w is not None:
            lay.addWidget(w, 3 if w is nv else 2)
    rig.attach(nv, ov)
    timer = QTimer(win)
    timer.setInterval(16)
    timer.timeout.connect(lambda: rig.publish(rig.snapshot(steps=10)))
    timer.start()
    win.resize(1400 if network and output else 1000, 700)
    win.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
