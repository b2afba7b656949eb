"""The app's parts of the layer-kind contract, over the engine's registry.

For every registered kind: the canvas has a drawer for it and draws each example network
of ``tests/test_layer_kinds.py`` with the kind's columns where the spec puts them (checked on
the rendered image of the real NetworkView); dropout columns grey exactly the units that
``Network.forward_all(training=True, seed=step)`` drops; layer-norm edges take the sign
colour of the gain; a residual block's bypass is drawn solid when its skip path is on and
dashed grey when off. Editing: adding each kind, the dropout rate and the skip switch go
through the window's undo stack.

Convolutional networks: the tiles of every conv and pool column are the engine's maps for
the example, a convolution's filter heatmaps its kernels, an image input is drawn as the
image; hovering a map pixel outlines its receptive field on the maps before it; a filter
typed in its editor reaches the trainer, the maps shown become the NumPy convolution of the
selected image with it, and Undo takes it back; conv, pool, global-pool and flatten layers
are inserted and changed in the editor (undoably, with the engine's message for shapes
that do not fit) and the parameter count follows; a CNN fits the window at 1280x720.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction, QColor

from neuroviz.app import palette as _palette
from neuroviz.app.network.kinds import DRAWERS
from neuroviz.app.network.view import NetworkView
from neuroviz.engine import LAYER_KINDS, Network

_spec = importlib.util.spec_from_file_location(
    "layer_kind_contract", Path(__file__).resolve().parents[1] / "test_layer_kinds.py")
_contract = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_contract)
EXAMPLES = _contract.EXAMPLES


def expected_columns(spec: dict) -> list[str]:
    """Column kinds read straight from the spec: inputs, each layer, a block's layers + sum."""
    out = ["input"]
    for layer in spec["layers"]:
        if layer["type"] == "residual":
            out += [sub["type"] for sub in layer["layers"]] + ["sum"]
        else:
            out.append(layer["type"])
    return out


def render(qtbot, spec, snap=None, size=(1100, 620), example=True):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    net = Network.from_spec(spec, seed=4)
    view.set_spec([f"x{i + 1}" for i in range(net.n_inputs)], spec,
                  [f"y{j + 1}" for j in range(net.n_outputs)])
    view.show()
    if example:  # values for one example colour every node (as for tabular data)
        x = np.linspace(-1.0, 1.0, net.n_inputs)
        view.set_example_forward(x, net.forward_all(x[None, :]))
    view.set_snapshot(snap if snap is not None else SimpleNamespace(
        weights=net.get_weights(), gradients=None, grid=None))
    view.redraw_now()
    return view, net, view.canvas.grab().toImage()


def pixel(image, point) -> QColor:
    return QColor(image.pixel(int(point.x()), int(point.y())))


@pytest.mark.parametrize("kind", list(LAYER_KINDS))
def test_canvas_draws_every_registered_kind(kind, qtbot):
    assert kind in DRAWERS, f"{kind}: the canvas has no drawer for this kind"
    assert EXAMPLES.get(kind), f"{kind}: no example networks"
    for spec in EXAMPLES[kind]:
        view, net, image = render(qtbot, spec)
        kinds = [c.kind for c in view.columns]
        assert kinds == expected_columns(spec)
        bg = view.canvas.palette().base().color()
        cv = view.canvas
        xs = cv.col_x
        assert all(a < b for a, b in zip(xs, xs[1:])), "columns left to right"
        for k, col in enumerate(view.columns):
            assert view.layer_sizes[k] == col.units
            for j in range(col.units):  # every unit is painted (not background)
                r = cv.node_rect(k, j)  # left of the value written on large units
                c = pixel(image, QPointF(r.left() + 0.2 * r.width(), r.center().y()))
                assert c != bg, f"{kind}: unit {j} of column {k} ({col.kind}) not drawn"
        for block in view.layout.blocks:
            assert kinds[block.sum] == "sum" and block.source == block.first - 1
            path = cv.bypass_path(block)
            start, end = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
            assert xs[block.source] < start.x() < xs[block.first]
            assert xs[block.last] < end.x() <= xs[block.sum]
            assert path.boundingRect().top() < min(cv.node_y[k][0] for k in range(
                block.first, block.sum + 1)) - cv.node_sizes[block.first] / 2
        view.close()


def _along(image, path, bg: QColor) -> tuple[float, float]:
    """Shares of points along ``path`` painted dark (far from the background) and left blank."""
    dark = blank = 0
    n = 120
    for t in range(n):
        p = path.pointAtPercent((t + 0.5) / n)
        best = min(QColor(image.pixel(int(p.x()) + dx, int(p.y()) + dy)).lightness()
                    for dx in (-1, 0, 1) for dy in (-1, 0, 1))
        dark += best < bg.lightness() - 150
        blank += QColor(image.pixel(int(p.x()), int(p.y()))).lightness() > bg.lightness() - 10
    return dark / n, blank / n


def test_residual_bypass_solid_when_on_dashed_grey_when_off(qtbot, screenshot):
    def spec(skip):
        block = {"type": "residual", "layers": [_contract.dense(4), _contract.dense(4)]}
        if not skip:
            block["skip"] = False
        return {"inputs": 2, "loss": "bce",
                "layers": [_contract.dense(4), block, _contract.dense(1, "sigmoid")]}

    fractions = {}
    for skip in (True, False):
        view, _, image = render(qtbot, spec(skip))
        block = view.layout.blocks[0]
        assert block.skip is skip
        fractions[skip] = _along(image, view.canvas.bypass_path(block),
                                 view.canvas.palette().base().color())
        box = view._layer_controls[block.sum]["skip"]
        assert box.objectName() == f"residual_skip_{block.sum}" and box.isChecked() is skip
        screenshot(view, f"residual_skip_{'on' if skip else 'off'}")
        view.close()
    assert fractions[True][0] > 0.9 and fractions[True][1] == 0  # solid and dark all along
    assert fractions[False][0] < 0.05  # grey: never dark
    assert fractions[False][1] > 0.15  # dashed: gaps along the way


def test_dropout_greys_exactly_the_units_dropped_in_the_step_shown(qtbot):
    spec = {"inputs": 3, "layers": [_contract.dense(12), {"type": "dropout", "rate": 0.5},
                                    _contract.dense(1, "sigmoid")], "loss": "bce"}
    view, net, plain = render(qtbot, spec)
    x = np.array([0.3, -0.2, 0.9])
    view.set_mask_example(x)
    view.set_snapshot(SimpleNamespace(weights=net.get_weights(), gradients=None, grid=None,
                                      step=123))
    view.redraw_now()
    masked = view.canvas.grab().toImage()
    # the reference: the masks a training step with seed 123 draws for this example
    mask = net.forward_all(x[None, :], training=True, seed=123)[1].extras["mask"][0]
    assert 0 < np.count_nonzero(mask == 0) < len(mask)
    np.testing.assert_array_equal(view.dropout_mask(2), mask)
    for j in range(12):
        r = view.canvas.node_rect(2, j)
        point = r.center() + (r.topRight() - r.center()) * 0.0
        point.setY(r.top() + r.height() * 0.2)  # off the cross's diagonals
        before, after = pixel(plain, point), pixel(masked, point)
        if mask[j] == 0:
            assert after != before and after.lightness() > before.lightness() - 1, j
        else:
            assert after == before, j
    view.close()


def test_layernorm_edges_take_the_colour_of_the_gain(qtbot):
    spec = {"inputs": 2, "layers": [_contract.dense(4), {"type": "layernorm"},
                                    _contract.dense(1, "sigmoid")], "loss": "bce"}
    net = Network.from_spec(spec, seed=1)
    weights = net.get_weights()
    gain = np.array([-2.0, 2.0, -1.5, 1.5])
    weights[1] = (gain, np.zeros(4))
    net.set_weights(weights)
    view, _, image = render(qtbot, spec, SimpleNamespace(weights=net.get_weights(),
                                                         gradients=None, grid=None))
    pal = _palette.current_palette()
    neg, pos = pal.colour(-1.0, 1.0), pal.colour(1.0, 1.0)

    def dist(a: QColor, b: QColor) -> int:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    for j, g in enumerate(gain):
        c = pixel(image, view.canvas.edge_point(2, j, j, 0.5))
        closer_neg = dist(c, neg) < dist(c, pos)
        assert closer_neg == (g < 0), (j, c.name())
    view.close()


def test_deep_residual_network_fits_readably(qtbot, screenshot):
    layers = [_contract.dense(16)] + [
        {"type": "residual", "layers": [_contract.dense(16), _contract.dense(16)]}
        for _ in range(9)] + [_contract.dense(1, "sigmoid")]
    spec = {"inputs": 2, "layers": layers, "loss": "bce"}
    view, _, _ = render(qtbot, spec, size=(1280, 720))
    cv = view.canvas
    assert len(view.columns) == 30
    assert min(cv.node_sizes[1:]) >= 10  # units stay visible
    # every column fits the view's width: nothing to scroll
    assert cv.width() <= view.scroll.viewport().width()
    assert cv.col_x[-1] + cv.node_sizes[-1] / 2 <= cv.width()
    assert all(b - a >= cv.node_sizes[1] for a, b in zip(cv.col_x, cv.col_x[1:]))
    screenshot(view, "residual_deep")
    view.close()


# -- the window: editing with undo, explain mode -------------------------------------------------
def _wait_fits(qtbot, win):
    from neuroviz.app.network.kinds import top_sizes

    qtbot.waitUntil(lambda: win.latest_snapshot is not None and tuple(
        win.latest_snapshot.layer_sizes) == top_sizes(win.state.spec), timeout=60_000)


def test_adding_kinds_rate_and_skip_are_undoable_controls(window, qtbot):
    win = window
    nv = win.network_view
    base = win.state.spec
    for kind, wanted in (("dropout", {"type": "dropout", "rate": 0.5}),
                         ("layernorm", {"type": "layernorm"})):
        win.controls.require(f"add_{kind}_layer").trigger()
        spec = win.state.spec
        assert spec["layers"][-2] == wanted
        assert [c.kind for c in nv.columns][-2] == kind
        _wait_fits(qtbot, win)
        win.undo_stack.undo()
        assert win.state.spec == base
    # a residual block of two dense layers, then its rate-less controls: the skip switch
    win.controls.require("add_residual_layer").trigger()
    block = win.state.spec["layers"][-2]
    assert block["type"] == "residual" and len(block["layers"]) == 2
    _wait_fits(qtbot, win)
    k = nv.layout.blocks[0].sum
    box = win.controls.require(f"residual_skip_{k}")
    box.setChecked(False)
    assert win.state.spec["layers"][-2].get("skip") is False
    assert nv.layout.blocks[0].skip is False
    # clicking the drawn bypass switches it back on
    from PySide6.QtCore import QPoint, Qt

    point = nv.canvas.bypass_path(nv.layout.blocks[0]).pointAtPercent(0.5)
    qtbot.mouseClick(nv.canvas, Qt.LeftButton, pos=QPoint(int(point.x()), int(point.y())))
    assert "skip" not in win.state.spec["layers"][-2]
    win.undo_stack.undo()
    assert win.state.spec["layers"][-2].get("skip") is False
    win.undo_stack.undo()
    win.undo_stack.undo()
    assert win.state.spec == base
    # wrap the last hidden layer, and a dropout rate through its spin box
    last_hidden = base["layers"][-2]
    win.controls.require("add_wrap_layer").trigger()
    assert win.state.spec["layers"][-2] == {"type": "residual", "layers": [last_hidden]}
    win.undo_stack.undo()
    win.controls.require("add_dropout_layer").trigger()
    _wait_fits(qtbot, win)
    k = [c.kind for c in nv.columns].index("dropout")
    spin = win.controls.require(f"dropout_rate_{k}")
    spin.setValue(0.25)
    assert win.state.spec["layers"][-2] == {"type": "dropout", "rate": 0.25}
    win.undo_stack.undo()
    assert win.state.spec["layers"][-2] == {"type": "dropout", "rate": 0.5}
    _wait_fits(qtbot, win)


def test_explain_mode_on_a_layernorm_unit_shows_the_engine_numbers(window, qtbot, screenshot):
    win = window
    spec = win.state.spec
    hidden = [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "layernorm"},
              {"type": "dropout", "rate": 0.4},
              {"type": "residual", "layers": [{"type": "dense", "units": 5,
                                               "activation": "tanh"}]}]
    spec["layers"] = hidden + spec["layers"][-1:]
    win.apply_preset(spec=spec)
    _wait_fits(qtbot, win)
    assert win.explain.start("train", 2)
    panel = win.explain.panel
    e = panel.explanation
    net = Network.from_spec(win.state.spec)
    net.set_weights(win.worker.optimizer_state()["weights"])
    ds = win.dataset
    x = ds.X_train[2]
    step = int(win.latest_snapshot.step)
    values = net.forward_all(x[None, :], training=True, seed=step)
    ln = values[1]
    index = next(s.index for s in e.steps if s.kind == "norm_unit" and s.neuron == 2)
    while panel.index < index:
        panel.command("next")
    s = panel.step
    assert s.node_layer == 2 and win.network_view.highlighted == ("node", 2, 2)
    assert s.values["xhat"] == pytest.approx(ln.extras["xhat"][0, 2], rel=1e-12)
    assert s.values["a"] == pytest.approx(ln.a[0, 2], rel=1e-12)
    stats = next(t for t in e.steps if t.kind == "norm_stats")
    assert stats.values["mean"] == pytest.approx(ln.extras["mean"][0], rel=1e-12)
    assert "n =" in panel.equation.text()
    # the dropout column shows this step's mask on the canvas
    np.testing.assert_array_equal(win.network_view.dropout_mask(3),
                                  values[2].extras["mask"][0])
    screenshot(win, "explain_layernorm")
    # Apply update: the trainer gets the explained step's weights, grouped like get_weights
    panel.command("last")
    panel.command("apply")
    wanted = e.network_weights()

    def applied():
        got = win.worker.optimizer_state()["weights"]
        return all(np.array_equal(a, b) for a, b in zip(_flat(got), _flat(wanted)))

    qtbot.waitUntil(applied, timeout=60_000)


def _flat(tree):
    if isinstance(tree, np.ndarray):
        return [tree]
    return [leaf for item in tree for leaf in _flat(item)]


def test_typing_a_weight_inside_a_residual_block_sets_it_in_the_trainer(window, qtbot):
    win = window
    win.controls.require("add_residual_layer").trigger()
    _wait_fits(qtbot, win)
    nv = win.network_view
    k = nv.layout.blocks[0].first + 1  # the block's second dense layer
    assert nv.columns[k].kind == "dense" and nv.columns[k].inner == 1
    nv.weight_edited.emit(k, 0, 1, 0.75)
    nv.bias_edited.emit(k, 1, -0.5)
    t = nv.columns[k].top

    def done():
        w = win.worker.optimizer_state()["weights"]
        W, b = w[t][1]  # the block's group: its layers' (W, b), second layer
        return W[0, 1] == 0.75 and b[1] == -0.5

    qtbot.waitUntil(done, timeout=60_000)
    win.undo_stack.undo()
    qtbot.waitUntil(lambda: win.worker.optimizer_state()["weights"][t][1][1][1] != -0.5,
                    timeout=60_000)


def test_layer_menu_inserts_wraps_and_removes_at_the_column_chosen(window, qtbot):
    win = window
    nv = win.network_view
    base = win.state.spec
    win.apply_preset(spec={**base, "layers": [
        {"type": "dense", "units": 3, "activation": "tanh"},
        {"type": "dense", "units": 3, "activation": "relu"}] + base["layers"][-1:]})
    start = win.state.spec
    nv.layer_menu(1).findChild(QAction, "insert_dropout_1").trigger()
    assert [layer["type"] for layer in win.state.spec["layers"]] == [
        "dense", "dropout", "dense", "dense"]
    win.undo_stack.undo()
    nv.layer_menu(2).findChild(QAction, "wrap_2").trigger()
    layers = win.state.spec["layers"]
    assert layers[1] == {"type": "residual", "layers": [start["layers"][1]]}
    # inside the block: a layer norm after its dense layer, then remove the block's layer
    k = nv.layout.blocks[0].first
    nv.layer_menu(k).findChild(QAction, f"insert_layernorm_{k}").trigger()
    assert win.state.spec["layers"][1]["layers"][1] == {"type": "layernorm"}
    nv.layer_menu(k + 1).findChild(QAction, f"remove_{k + 1}").trigger()
    assert win.state.spec["layers"][1] == {"type": "residual", "layers": [start["layers"][1]]}
    nv.layer_menu(1).findChild(QAction, "remove_1").trigger()
    assert [layer["type"] for layer in win.state.spec["layers"]] == ["residual", "dense"]
    for _ in range(4):
        win.undo_stack.undo()
    assert win.state.spec == start
    _wait_fits(qtbot, win)


# -- convolutional networks: feature maps, filters, receptive fields, building -----------------
MAP_KINDS = ("conv2d", "maxpool", "avgpool")
CNN = {"inputs": [8, 8, 1], "loss": "softmax_ce", "layers": [
    {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "same",
     "activation": "relu"},
    {"type": "maxpool", "size": 2},
    {"type": "conv2d", "filters": 16, "kernel": 3, "stride": 1, "padding": "same",
     "activation": "relu"},
    {"type": "globalavgpool"},
    {"type": "dense", "units": 10, "activation": "softmax"}]}


def _lut_colour(value: float, ref: float) -> QColor:
    """The palette colour of ``value`` on a symmetric scale ``[-ref, ref]`` (as the LUT)."""
    pal = _palette.current_palette()
    i = int(np.clip((value / ref + 1.0) * 127.5, 0, 255))
    return QColor.fromRgb(int(pal.lut32()[i]))


def _check_tile_colours(image, canvas, k: int, values: np.ndarray) -> None:
    """Every pixel of every tile of map column ``k`` has the colour of ``values`` (the
    engine's (H, W, C) maps) on the column's symmetric scale."""
    geom = canvas.map_geom[k]
    h, w, c = values.shape
    ref = max(float(np.abs(values).max()), 1e-12)
    for ch, tile in enumerate(geom.tiles):
        for i in range(h):
            for j in range(w):
                point = tile.topLeft() + (tile.bottomRight() - tile.topLeft()) * 0.0
                x = tile.left() + (j + 0.5) * geom.pixel
                y = tile.top() + (i + 0.5) * geom.pixel
                point.setX(x)
                point.setY(y)
                assert pixel(image, point) == _lut_colour(values[i, j, ch], ref), (k, ch, i, j)


@pytest.mark.parametrize("kind", [k for k in LAYER_KINDS if k in MAP_KINDS])
def test_map_columns_show_the_engine_maps_and_filters(kind, qtbot):
    """The tiles of a conv or pool column are the selected example's maps as the engine
    computes them, one per channel; a convolution's filter heatmaps are its kernel."""
    for spec in EXAMPLES[kind]:
        view, net, image = render(qtbot, spec)
        x = np.linspace(-1.0, 1.0, net.n_inputs)
        values = net.forward_all(x[None, :])
        weights = {}
        g = 0
        for top, d in enumerate(net.describe()):
            if d["params"]:
                weights[top] = net.get_weights()[g]
                g += 1
        for k, col in enumerate(view.columns):
            if k == 0 or col.kind not in MAP_KINDS:
                continue
            shape = tuple(net.describe()[col.top]["out_shape"])
            assert col.info["shape"] == shape
            maps = values[col.top].a[0].reshape(shape)
            _check_tile_colours(image, view.canvas, k, maps)
            geom = view.canvas.map_geom[k]
            assert len(geom.tiles) == shape[2]
            if col.kind != "conv2d":
                assert geom.filters == []
                continue
            K = weights[col.top][0]
            ref = float(np.abs(K).max())
            assert len(geom.filters) == K.shape[3]
            if K.shape[2] == 1:  # one input channel: the heatmap is the k x k kernel
                for f, r in enumerate(geom.filters):
                    cell = r.width() / K.shape[0]
                    for u in range(K.shape[0]):
                        for v in range(K.shape[1]):
                            point = r.topLeft()
                            point.setX(r.left() + (v + 0.5) * cell)
                            point.setY(r.top() + (u + 0.5) * cell)
                            assert pixel(image, point) == _lut_colour(K[u, v, 0, f], ref)
        view.close()


def test_image_input_is_drawn_as_the_image(qtbot):
    spec = {"inputs": [6, 6, 2], "loss": "mse", "layers": [
        {"type": "conv2d", "filters": 2, "kernel": 3, "activation": "relu"},
        {"type": "flatten"}, {"type": "dense", "units": 1, "activation": "linear"}]}
    view, net, image = render(qtbot, spec)
    geom = view.canvas.map_geom[0]
    assert len(geom.tiles) == 2  # channels as tiles
    x = np.linspace(-1.0, 1.0, net.n_inputs).reshape(6, 6, 2)
    # dark ink for the largest value, light paper for the smallest
    lo = np.unravel_index(np.argmin(x), x.shape)
    hi = np.unravel_index(np.argmax(x), x.shape)
    light = pixel(image, view.canvas.node_rect(0, int(np.ravel_multi_index(lo, x.shape)))
                  .center())
    dark = pixel(image, view.canvas.node_rect(0, int(np.ravel_multi_index(hi, x.shape)))
                 .center())
    assert light.lightness() > 220 and dark.lightness() < 40
    view.close()


def test_hovering_a_map_pixel_outlines_its_receptive_field(qtbot):
    from PySide6.QtCore import QPoint

    view, net, before = render(qtbot, CNN, size=(1100, 620))
    cv = view.canvas
    k = 3  # the second convolution (4x4 maps after the pool)
    assert view.columns[k].kind == "conv2d"
    u = (1 * 4 + 2) * 16 + 5  # row 1, column 2 of filter 5
    point = cv.node_rect(k, u).center()
    qtbot.mouseMove(cv, QPoint(int(point.x()), int(point.y())))
    qtbot.waitUntil(lambda: cv._hover == ("node", k, u), timeout=60_000)
    view.redraw_now()
    after = cv.grab().toImage()
    # the pool pixel window rows 0..2, columns 1..3 (3x3 same), the image rows 0..5,
    # columns 1..7 (pool 2x2, then 3x3 same): their outlines are drawn on every tile
    for m, (r0, r1, c0, c1) in ((2, (0, 2, 1, 3)), (0, (0, 5, 1, 7))):
        geom = cv.map_geom[m]
        t = geom.pixel
        for tile in geom.tiles:
            middle = int(tile.top() + (r0 + r1 + 1) * t / 2)
            for x in (tile.left() + c0 * t, tile.left() + (c1 + 1) * t - 1):  # both sides
                edge = QPoint(int(x), middle)
                assert before.pixel(edge) != after.pixel(edge), (m, tile, x)
            inside = QPoint(int(tile.left() + (c0 + 1.5) * t), int(tile.top() + (r0 + 1.5) * t))
            assert before.pixel(inside) == after.pixel(inside), (m, tile)
    view.close()


def _cnn_window(win, qtbot):
    """The window training the CNN on the digits' 8x8 images."""
    import copy

    win.apply_preset(dataset={"name": "digits"})
    win.apply_network(copy.deepcopy(CNN))
    win.undo_stack.clear()
    _wait_fits(qtbot, win)
    qtbot.waitUntil(lambda: win.network_view.weights is not None and
                    win.network_view.example_values(1) is not None, timeout=60_000)


def test_a_cnn_fits_the_window_at_1280x720(window, qtbot, screenshot):
    win = window
    win.resize(1280, 720)
    _cnn_window(win, qtbot)
    nv = win.network_view
    cv = nv.canvas
    qtbot.waitUntil(lambda: cv.width() <= nv.scroll.viewport().width(), timeout=60_000)
    assert cv.height() <= nv.scroll.viewport().height()  # nothing to scroll
    box = cv.rect()
    for k, geom in cv.map_geom.items():
        for r in geom.tiles + geom.filters:
            assert box.contains(r.toRect()), (k, r)
    assert len(cv.map_geom[3].tiles) == 16 and min(r.width() for r in cv.map_geom[3].tiles) >= 16
    screenshot(win, "cnn_1280x720")


def test_editing_a_filter_sets_it_and_the_maps_follow_undoably(window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    win = window
    _cnn_window(win, qtbot)
    nv = win.network_view
    f = 2
    old = win.worker.optimizer_state()["weights"][0][0][..., f].copy()
    r = nv.canvas.map_geom[1].filters[f]
    qtbot.mouseClick(nv.canvas, Qt.LeftButton,
                     pos=QPoint(int(r.center().x()), int(r.center().y())))
    editor = nv.filter_editor
    assert editor.isVisible()
    qtbot.mouseClick(editor.preset_buttons["vertical"], Qt.LeftButton)
    editor.cells[0][0].setValue(-2.0)
    editor.bias.setValue(0.25)
    qtbot.mouseClick(editor.ok, Qt.LeftButton)
    want = np.array([[-2.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])

    def trainer_has(kernel):
        K = win.worker.optimizer_state()["weights"][0][0]
        return np.array_equal(K[..., f], kernel)

    qtbot.waitUntil(lambda: trainer_has(want[:, :, None]), timeout=60_000)
    # the map shown is the convolution of the selected image with the new filter
    split, row = win._example
    X = win.dataset.X_train if split == "train" else win.dataset.X_test
    img = np.pad(X[row].reshape(8, 8), 1)
    ref = np.maximum(0.25 + sum(img[u:u + 8, v:v + 8] * want[u, v] for u in range(3)
                                for v in range(3)), 0.0)

    def shown():
        vals = nv.example_values(1)
        return vals is not None and np.allclose(vals.reshape(8, 8, 8)[:, :, f], ref,
                                                rtol=0, atol=1e-9)

    qtbot.waitUntil(shown, timeout=60_000)
    nv.redraw_now()
    image = nv.canvas.grab().toImage()
    _check_tile_colours(image, nv.canvas, 1, nv.example_values(1).reshape(8, 8, 8))
    assert win.undo_stack.undoText() == "Set filter 3 of layer 1"
    win.undo_stack.undo()
    qtbot.waitUntil(lambda: trainer_has(old), timeout=60_000)
    win.undo_stack.redo()
    qtbot.waitUntil(lambda: trainer_has(want[:, :, None]), timeout=60_000)


def test_building_a_cnn_in_the_editor_is_undoable(window, qtbot):
    win = window
    nv = win.network_view
    # tabular or 2-D inputs: no convolutional layers on offer
    assert not win.controls.require("add_conv2d_layer").isVisible()
    _cnn_window(win, qtbot)
    base = win.state.spec
    for kind in ("conv2d", "maxpool", "avgpool", "globalavgpool", "globalmaxpool", "flatten"):
        assert win.controls.require(f"add_{kind}_layer").isVisible()
    # a convolution goes after the last conv or pool, before the global pool
    win.controls.require("add_conv2d_layer").trigger()
    layers = win.state.spec["layers"]
    assert [layer["type"] for layer in layers] == ["conv2d", "maxpool", "conv2d", "conv2d",
                                                  "globalavgpool", "dense"]
    assert layers[3] == {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1,
                         "padding": "same", "activation": "relu"}
    # parameters: k*k*c_in*filters + filters per convolution, then the dense layer
    total = (9 * 1 * 8 + 8) + (9 * 8 * 16 + 16) + (9 * 16 * 8 + 8) + (8 * 10 + 10)
    param_label = win.findChild(type(nv.layers_label), "param_count")
    assert param_label.text() == f"{total:,} parameters"
    _wait_fits(qtbot, win)
    win.undo_stack.undo()
    assert win.state.spec == base
    # the convolution's settings popover
    settings = nv.open_conv_settings(1)
    settings.filters.setValue(4)
    settings.kernel.setValue(5)
    settings.apply()
    assert win.state.spec["layers"][0] == {"type": "conv2d", "filters": 4, "kernel": 5,
                                           "stride": 1, "padding": "same",
                                           "activation": "relu"}
    _wait_fits(qtbot, win)
    assert nv.columns[1].info["shape"] == (8, 8, 4)
    win.undo_stack.undo()
    assert win.state.spec == base
    # a pool size that does not divide the 8x8 maps: the engine's message, nothing changes
    _wait_fits(qtbot, win)
    win.controls.require("pool_size_2").setValue(3)
    assert win.state.spec == base
    assert "layers[1]" in win.last_error and "3" in win.last_error
    assert win.controls.require("pool_size_2").value() == 2
    # the pool's menu: a flatten after it leaves the next convolution without an image
    nv.layer_menu(2).findChild(QAction, "insert_flatten_2").trigger()
    assert win.state.spec == base
    assert "conv2d needs an image input" in win.last_error
    nv.layer_menu(2).findChild(QAction, "insert_avgpool_2").trigger()
    assert [layer["type"] for layer in win.state.spec["layers"]][:3] == [
        "conv2d", "maxpool", "avgpool"]
    _wait_fits(qtbot, win)
    assert nv.columns[3].kind == "avgpool" and nv.columns[3].info["shape"] == (2, 2, 8)
    win.undo_stack.undo()
    assert win.state.spec == base
    _wait_fits(qtbot, win)
