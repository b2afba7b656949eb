"""The layer-kind contract: one parametrised test over the registry checks every part of
every kind.

Each kind in :data:`neuroviz.engine.LAYER_KINDS` must have example networks in
:data:`EXAMPLES` and bad spec entries in :data:`BAD_ENTRIES`; each check in :data:`PARTS`
runs for each kind. A kind registered without one of its parts (examples, a compiled path,
documentation, ...) fails here. The app adds its parts (canvas drawing, explain steps,
save/open) as further entries of :data:`PARTS`, checked the same way.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from neuroviz.engine import LAYER_KINDS, Network, SpecError, Trainer, normalise_spec
from neuroviz.engine.kinds.base import LayerValues

ROOT = Path(__file__).resolve().parents[1]


def dense(units, activation="tanh"):
    return {"type": "dense", "units": units, "activation": activation}


def conv(filters, kernel=3, stride=1, padding="valid", activation="relu"):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride,
            "padding": padding, "activation": activation}


POOLS = ("maxpool", "avgpool", "globalmaxpool", "globalavgpool")


def pool_entry(kind, size):
    return {"type": kind} if kind.startswith("global") else {"type": kind, "size": size}


#: Example networks per kind (each exercises the kind; several cover its variants).
EXAMPLES: dict[str, list[dict]] = {
    "dense": [
        {"inputs": 3, "layers": [dense(5), dense(4, "sigmoid"), dense(3, "softmax")],
         "loss": "softmax_ce"},
        {"inputs": [2, 2], "layers": [dense(5, "elu"), dense(2, "linear")], "loss": "mse"},
    ],
    "dropout": [
        {"inputs": 3, "layers": [dense(6), {"type": "dropout", "rate": 0.4}, dense(5),
                                 {"type": "dropout", "rate": 0.2}, dense(1, "sigmoid")],
         "loss": "bce"},
    ],
    "layernorm": [
        {"inputs": 3, "layers": [dense(6, "softplus"), {"type": "layernorm"}, dense(5),
                                 {"type": "layernorm"}, dense(2, "linear")], "loss": "mse"},
    ],
    "residual": [
        # identity skip
        {"inputs": 3, "layers": [dense(4), {"type": "residual", "layers": [dense(4), dense(4)]},
                                 dense(1, "sigmoid")], "loss": "bce"},
        # widths differ: a learned projection on the skip path; inner layernorm and dropout
        {"inputs": 3, "layers": [{"type": "residual", "layers": [
            dense(6), {"type": "layernorm"}, {"type": "dropout", "rate": 0.3}]},
            dense(2, "linear")], "loss": "mse"},
        # skip path off
        {"inputs": 3, "layers": [dense(4), {"type": "residual", "skip": False,
                                            "layers": [dense(4, "swish")]},
                                 dense(3, "softmax")], "loss": "softmax_ce"},
    ],
    "conv2d": [
        # valid, stride 1, one channel, relu
        {"inputs": [6, 6, 1], "layers": [conv(3), {"type": "flatten"}, dense(3, "softmax")],
         "loss": "softmax_ce"},
        # same with stride 2 on three channels (uneven padding), then a valid conv on its maps
        {"inputs": [7, 6, 3], "layers": [conv(3, 3, 2, "same", "tanh"),
                                         conv(2, 2, 1, "valid", "elu"), {"type": "flatten"},
                                         dense(1, "sigmoid")], "loss": "bce"},
        # same, stride 1, and valid, stride 2; more activation families; dense on the maps
        {"inputs": [6, 5, 2], "layers": [conv(2, 3, 1, "same", "leaky_relu"),
                                         conv(3, 2, 2, "valid", "softplus"),
                                         conv(2, 1, 1, "valid", "gaussian"),
                                         dense(2, "linear")], "loss": "mse"},
    ],
    "flatten": [
        # conv -> conv -> flatten -> dense
        {"inputs": [6, 6, 2], "layers": [conv(3, 3, 1, "valid", "swish"),
                                         conv(2, 2, 2, "same", "sine"), {"type": "flatten"},
                                         dense(4, "gelu"), dense(3, "softmax")],
         "loss": "softmax_ce"},
        # flatten straight after the image input
        {"inputs": [3, 4, 2], "layers": [{"type": "flatten"}, dense(2, "linear")],
         "loss": "mse"},
    ],
    # pools directly on image inputs with several channels, after a layer with parameters
    # that keeps the image shape (so gradients flow back through the pool), after a conv2d
    **{pool: [
        {"inputs": [4, 6, 3], "layers": [{"type": "layernorm"}, pool_entry(pool, 2),
                                         dense(5), dense(3, "softmax")], "loss": "softmax_ce"},
        {"inputs": [6, 6, 2], "layers": [pool_entry(pool, 3), dense(4, "relu"),
                                         dense(1, "sigmoid")], "loss": "bce"},
        # after a convolution (flatten before the dense layer where the pool keeps a map)
        {"inputs": [6, 6, 2], "layers": [conv(3, 3, 1, "same", "tanh"), pool_entry(pool, 2),
                                         *([] if pool.startswith("global") else
                                           [{"type": "flatten"}]),
                                         dense(3, "softmax")], "loss": "softmax_ce"},
    ] for pool in POOLS},
}

#: A bad entry per kind and the field its SpecError must name (entry at layers[1]).
BAD_ENTRIES: dict[str, list[tuple[dict, str]]] = {
    "dense": [({"type": "dense", "units": 0}, "layers[1].units"),
              ({"type": "dense", "units": 3, "activation": "softmax"}, "layers[1].activation"),
              ({"type": "dense", "units": 3, "init": "bogus"}, "layers[1].init"),
              ({"type": "dense", "units": 3, "colour": 1}, "layers[1]: unknown key")],
    "dropout": [({"type": "dropout", "rate": 1.0}, "layers[1].rate"),
                ({"type": "dropout", "rate": -0.1}, "layers[1].rate"),
                ({"type": "dropout", "rate": "half"}, "layers[1].rate"),
                ({"type": "dropout", "units": 3}, "layers[1]: unknown key")],
    "layernorm": [({"type": "layernorm", "eps": 0.1}, "layers[1]: unknown key")],
    "residual": [({"type": "residual", "layers": []}, "layers[1].layers"),
                 ({"type": "residual", "layers": [dense(3)], "skip": "yes"}, "layers[1].skip"),
                 ({"type": "residual", "layers": [{"type": "residual", "layers": [dense(3)]}]},
                  "layers[1].layers[0].type"),
                 ({"type": "residual", "layers": [{"type": "dense", "units": 0}]},
                  "layers[1].layers[0].units")],
    "conv2d": [({"type": "conv2d", "filters": 0}, "layers[1].filters"),
               ({"type": "conv2d", "filters": 2.5}, "layers[1].filters"),
               ({"type": "conv2d", "kernel": 10}, "layers[1].kernel"),
               ({"type": "conv2d", "stride": 0}, "layers[1].stride"),
               ({"type": "conv2d", "padding": "full"}, "layers[1].padding"),
               ({"type": "conv2d", "activation": "softmax"}, "layers[1].activation"),
               ({"type": "conv2d", "units": 3}, "layers[1]: unknown key"),
               # the layer before gives a vector (3,), not an image
               ({"type": "conv2d"}, "layers[1]: conv2d needs an image input [H, W, C]")],
    "flatten": [({"type": "flatten"}, "layers[1]: flatten needs an image input [H, W, C]"),
                ({"type": "flatten", "size": 2}, "layers[1]: unknown key")],
    # (the entry follows a dense layer: a pool there is refused for its non-image input)
    **{pool: [({"type": pool, "size": 0}, "layers[1].size"),
              ({"type": pool, "size": 65}, "layers[1].size"),
              ({"type": pool, "size": 2.0}, "layers[1].size"),
              ({"type": pool, "size": True}, "layers[1].size"),
              ({"type": pool, "units": 3}, "layers[1]: unknown key"),
              ({"type": pool, "size": 2}, f"layers[1]: {pool} needs an image input [H, W, C]")]
       for pool in ("maxpool", "avgpool")},
    **{pool: [({"type": pool, "size": 2}, "layers[1]: unknown key"),
              ({"type": pool}, f"layers[1]: {pool} needs an image input [H, W, C], "
                               f"got shape [3]")]
       for pool in ("globalmaxpool", "globalavgpool")},
}


def data_for(spec, n=23, seed=0):
    net = Network.from_spec(spec)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.n_inputs))
    k = net.n_outputs
    if spec["loss"] == "softmax_ce":
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    elif spec["loss"] == "bce":
        Y = (X[:, :1] * X[:, 1:2] > 0).astype(float)
    else:
        Y = np.sin(X[:, :k])
    return X, Y


# -- the parts every kind must have -------------------------------------------------------------
def check_spec(kind):
    """Spec keys, defaults and validation errors naming ``layers[i].key``."""
    cls = LAYER_KINDS[kind]
    for spec in EXAMPLES[kind]:
        norm = normalise_spec(spec)
        assert normalise_spec(norm) == norm  # normalising is idempotent
        json.loads(json.dumps(norm))

        def entries(layers):
            for entry in layers:
                yield entry
                yield from entries(entry.get("layers", []))
        for entry in entries(norm["layers"]):
            allowed = set(LAYER_KINDS[entry["type"]].keys) | {"type"}
            assert set(entry) <= allowed
    assert BAD_ENTRIES.get(kind), f"{kind}: no bad spec entries to check its validation"
    for entry, field in BAD_ENTRIES[kind]:
        spec = {"inputs": 3, "layers": [dense(3), entry, dense(1, "sigmoid")], "loss": "bce"}
        with pytest.raises(SpecError) as info:
            normalise_spec(spec)
        assert field in str(info.value), (entry, str(info.value))
    assert all(v is None or isinstance(v, (bool, int, float, str)) for k, v in cls.keys.items()
               if k != "layers")


def check_gradients(kind):
    """Analytic gradients against central finite differences (float64); dropout masks fixed
    by the seed (training mode), so the loss is a smooth function of the parameters."""
    for spec in EXAMPLES[kind]:
        net = Network.from_spec(spec, seed=2)
        net.params[...] += np.random.default_rng(3).normal(scale=0.1, size=net.param_size)
        X, Y = data_for(spec, n=6)
        for training in (False, True):
            loss, grads = net.flat_gradient(X, Y, training=training,
                                            state=_state(7) if training else None)
            numeric = np.zeros(net.param_size)
            for i in range(net.param_size):
                old = net.params[i]
                net.params[i] = old + 1e-6
                up = net.flat_gradient(X, Y, training=training,
                                       state=_state(7) if training else None)[0]
                net.params[i] = old - 1e-6
                down = net.flat_gradient(X, Y, training=training,
                                         state=_state(7) if training else None)[0]
                net.params[i] = old
                numeric[i] = (up - down) / 2e-6
            np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-7)
            # The grouped form has the structure of get_weights.
            _, grouped = net.loss_and_gradients(X, Y)
            assert _shapes(grouped) == _shapes(net.get_weights())


def check_compiled(kind):
    """The kind's compiled path trains step for step like the NumPy reference."""
    cls = LAYER_KINDS[kind]
    module = importlib.import_module(cls.compiled)
    for name in ("forward_op", "backward_op"):
        fn = getattr(module, name, None)
        assert fn is not None and hasattr(fn, "py_func"), f"{kind}: no compiled {name}"
        assert fn.targetoptions.get("nogil") and type(fn._cache).__name__ != "NullCache", \
            f"{kind}: {name} must be @njit(nogil=True, cache=True)"
    codes = [c.code for c in LAYER_KINDS.values()]
    assert cls.code >= 0 and codes.count(cls.code) == 1, f"{kind}: needs its own op code"
    for spec in EXAMPLES[kind]:
        X, Y = data_for(spec, n=31)
        results = []
        for backend in ("numba", "numpy"):
            net = Network.from_spec(spec, seed=4)
            trainer = Trainer(net, X, Y, backend=backend, optimizer="adam", lr=0.01,
                              batch_size=8, l1=1e-3, l2=1e-2, seed=5)
            trainer.set_grid(X[:30], (5, 6))
            snap = trainer.run(45, gradients=True, grid=True)
            assert not snap.diverged and snap.step == 45
            results.append((net.params.copy(), snap))
        np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-6)
        # evaluation (loss, metric, heatmap grid) agrees too
        fast, exact = results[0][1], results[1][1]
        assert fast.train_loss == pytest.approx(exact.train_loss, rel=1e-5, abs=1e-7)
        assert fast.train_metric == pytest.approx(exact.train_metric, rel=1e-6, abs=1e-6)
        for g1, g2 in zip(fast.grid, exact.grid, strict=True):
            np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-5)
        for g1, g2 in zip(_leaves(results[0][1].gradients), _leaves(results[1][1].gradients)):
            np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-6)


def check_determinism(kind):
    """Same seeds give identical weights; another trainer seed gives other ones."""
    for spec in EXAMPLES[kind]:
        X, Y = data_for(spec)
        runs = []
        for seed in (1, 1, 2):
            net = Network.from_spec(spec, seed=0)
            Trainer(net, X, Y, lr=0.02, batch_size=5, seed=seed).run(30)
            runs.append(net.params.copy())
        assert np.array_equal(runs[0], runs[1])
        assert not np.array_equal(runs[0], runs[2])
        net = Network.from_spec(spec, seed=0)
        first = net.forward_all(X, training=True, seed=9)
        again = net.forward_all(X, training=True, seed=9)
        assert all(np.array_equal(a.a, b.a) for a, b in zip(first, again))
        assert all(isinstance(v, LayerValues) for v in first)
        # evaluation never depends on a seed (no dropout outside training)
        assert np.array_equal(net.predict(X), net.forward_all(X, training=False, seed=3)[-1].a)


def check_round_trip(kind):
    """get/set weights and the spec's JSON rebuild an identical network."""
    for spec in EXAMPLES[kind]:
        net = Network.from_spec(spec, seed=11)
        X, Y = data_for(spec)
        Trainer(net, X, Y, lr=0.05, batch_size=4).run(20)
        text = json.dumps({"spec": net.spec, "weights": _to_lists(net.get_weights())})
        saved = json.loads(text)
        other = Network.from_spec(saved["spec"], seed=99)
        assert other.spec == net.spec
        other.set_weights(_to_arrays(saved["weights"]))
        assert np.array_equal(other.params, net.params)
        assert np.array_equal(other.predict(X), net.predict(X))
        # a wrong shape is refused and changes nothing
        bad = _to_arrays(saved["weights"])
        first = bad[0]
        while not isinstance(first[0], np.ndarray):
            first = first[0]
        first[0] = np.zeros(first[0].shape + (1,))
        with pytest.raises(ValueError, match="set_weights"):
            other.set_weights(bad)
        assert np.array_equal(other.params, net.params)


def check_describe(kind):
    """What views need: kind, shapes, units, activation, parameter names, children."""
    for spec in EXAMPLES[kind]:
        net = Network.from_spec(spec)

        def walk(items):
            for d in items:
                yield d
                yield from walk(d["children"])
        found = [d for d in walk(net.describe()) if d["kind"] == kind]
        assert found, f"{kind}: not found in describe() of its example"
        for d in found:
            assert {"kind", "in_shape", "out_shape", "units", "activation", "params",
                    "param_names", "children"} <= set(d)
            assert d["units"] == math.prod(d["out_shape"])
            assert len(d["params"]) == len(d["param_names"])


def check_docs(kind):
    """The kind's module states its spec and math, and the guide names it."""
    cls = LAYER_KINDS[kind]
    module = importlib.import_module(cls.__module__)
    doc = module.__doc__ or ""
    assert "Spec:" in doc and "Math" in doc, f"{kind}: module docstring lacks Spec:/Math"
    for method in ("forward", "backward"):
        assert getattr(cls, method).__doc__, f"{kind}: {method} needs a one-line math docstring"
    for name in ("forward_op", "backward_op"):
        assert getattr(importlib.import_module(cls.compiled), name).__doc__
    guide = (ROOT / "docs" / "adding-a-layer-kind.md").read_text(encoding="utf-8")
    assert f"`{kind}`" in guide, f"{kind}: not listed in docs/adding-a-layer-kind.md"


def check_export(kind):
    """The kind exports (ONNX nodes and PyTorch modules in its module) or states why not;
    its examples' exports predict like the network (each run where onnxruntime / torch are
    installed, as the test extra does)."""
    cls = LAYER_KINDS[kind]
    if cls.no_export:
        return  # the kind states why it cannot be exported; exports refuse it by name
    from neuroviz.engine.kinds.base import Layer

    for hook in ("export_onnx", "export_torch"):
        assert getattr(cls, hook) is not getattr(Layer, hook), \
            f"{kind}: no {hook} hook (or set no_export to the reason it cannot export)"
        assert getattr(cls, hook).__doc__, f"{kind}: {hook} needs a docstring"
    for spec in EXAMPLES[kind]:
        net = Network.from_spec(spec, seed=6)
        net.params[...] += np.random.default_rng(8).normal(scale=0.3, size=net.param_size)
        X, _ = data_for(spec, n=40)
        expected = net.predict(X)
        X = X.reshape((len(X), *net.input_shape))
        if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
            import onnxruntime

            from neuroviz.export import onnx_model

            session = onnxruntime.InferenceSession(onnx_model(net).SerializeToString(),
                                                   providers=["CPUExecutionProvider"])
            assert np.abs(session.run(["y"], {"x": X})[0] - expected).max() < 1e-5
        if importlib.util.find_spec("torch"):
            import torch

            from neuroviz.export import torch_source

            text, weights = torch_source(net)
            namespace = {"__name__": f"exported_{kind}", "__file__": "model.py"}
            exec(compile(text, "model.py", "exec"), namespace)
            model = namespace["Network"]().double().eval()
            model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
            with torch.no_grad():
                assert np.abs(model(torch.from_numpy(X)).numpy() - expected).max() < 1e-5


#: Explain mode's steps per kind: (forward, backward, update) step kinds that must appear on
#: the kind's columns (update None: the kind has no parameters to update).
EXPLAIN_STEPS = {
    "dense": ("weighted_sum", "neuron_grad", "update_weight"),
    "dropout": ("dropout", "dropout_grad", None),
    "layernorm": ("norm_unit", "norm_grad", "update_gain"),
    "residual": ("residual_sum", "residual_split", "update_projection"),
    "conv2d": ("conv_window", "conv_filter_grad", "update_filter"),
    "flatten": ("flatten", "flatten_grad", None),
    "maxpool": ("pool_window", "pool_grad", None),
    "avgpool": ("pool_window", "pool_grad", None),
    "globalmaxpool": ("pool_window", "pool_grad", None),
    "globalavgpool": ("pool_window", "pool_grad", None),
}


def _columns_of(net):
    """Per drawn column k >= 1: (kind, LayerValues getter, parameter group), built here from
    the spec's nesting (a residual block: its inner layers, then its sum column)."""
    out, groups = [], iter(net.get_weights())
    for t, layer in enumerate(net.layers):
        if layer.kind == "residual":
            inner_groups = iter(next(groups)) if layer.parameters() else iter(())
            for m, sub in enumerate(layer.layers):
                group = next(inner_groups) if sub.parameters() else None
                out.append((sub.kind, (t, m), group))
            out.append(("sum", (t, None), next(inner_groups) if layer.projected else None))
        else:
            out.append((layer.kind, (t, None), next(groups) if layer.parameters() else None))
    return out


def check_explain(kind):
    """Explain mode covers every stage of the kind with the engine's numbers: forward values
    as forward_all (dropout masks of the seed), gradients as loss_and_gradients, updates as
    w − lr·(g + l2·w)."""
    from neuroviz.engine.explain import explain

    assert kind in EXPLAIN_STEPS, f"{kind}: explain mode names no steps for this kind"
    wanted = EXPLAIN_STEPS[kind]
    seen = set()
    rng = np.random.default_rng(7)
    for spec in EXAMPLES[kind]:
        net = Network.from_spec(spec, seed=2)
        x = rng.normal(size=net.n_inputs)
        y = np.zeros(net.n_outputs)
        y[0] = 1.0
        lr, l2 = 0.1, 0.01
        e = explain(net, x, y, optimizer="sgd", lr=lr, l2=l2, dropout_seed=11)
        values = net.forward_all(x[None, :], training=True, seed=11)
        loss, grads = net.loss_and_gradients(x[None, :], y[None, :], training=True, seed=11)
        assert e.loss == pytest.approx(loss, rel=1e-12)
        cols = _columns_of(net)
        assert len(e.forward) == len(cols)
        reveal = e.known_gradients(len(e) - 1)
        new = e.weights_at(len(e) - 1)
        grad_groups = _columns_of_grads(net, grads)
        for k, ((ck, (t, m), group), ggroup) in enumerate(zip(cols, grad_groups), start=1):
            lv = values[t] if m is None else values[t].extras["inner"][m]
            np.testing.assert_allclose(e.forward[k - 1][1], lv.a[0], rtol=1e-12, atol=1e-15)
            if ggroup is not None:
                for got, want in zip([a for a in reveal[k - 1] if a is not None], ggroup):
                    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
                reg = ([True] if ck == "sum" else [True, False] if ck in ("dense", "conv2d")
                       else [False] * 2)
                for got, w, g, r in zip([a for a in new[k - 1] if a is not None], group,
                                        ggroup, reg):
                    np.testing.assert_allclose(got, w - lr * (g + (l2 * w if r else 0.0)),
                                               rtol=1e-12, atol=1e-15)
            if ck == "dropout":
                np.testing.assert_array_equal(e.masks[k], lv.extras["mask"][0])
            owner = "residual" if ck == "sum" else ck
            if owner == kind:
                seen |= {s.kind for s in e.steps if s.node_layer == k}
    for step_kind in wanted:
        assert step_kind is None or step_kind in seen, f"{kind}: no {step_kind!r} steps"


def _columns_of_grads(net, grads):
    """Gradients grouped per column like :func:`_columns_of` groups the weights."""
    saved = net.get_weights()
    net.set_weights(grads)
    try:
        return [group for _, _, group in _columns_of(net)]
    finally:
        net.set_weights(saved)


#: Every part a kind must provide, and the check for it. The app adds its parts here.
def check_save_open(kind):
    """Experiment files keep the spec and every weight: same predictions after the trip."""
    from neuroviz.experiment import Experiment, experiment_from_dict

    for k, spec in enumerate(EXAMPLES[kind]):
        net = Network.from_spec(spec, seed=0)
        net.params[...] = np.random.default_rng(k).normal(size=net.param_size)
        text = json.dumps(Experiment(spec=spec, weights=net.get_weights()).to_dict())
        back = experiment_from_dict(json.loads(text), check=False)
        other = Network.from_spec(back.spec, seed=1)
        other.set_weights(back.weights)
        X = np.random.default_rng(9).normal(size=(7, other.n_inputs))
        np.testing.assert_array_equal(other.predict(X), net.predict(X))


def check_goal_vocabulary(kind):
    """Lessons can name the kind, and count its layers as the engine builds them."""
    from neuroviz.lessons import vocab
    from neuroviz.lessons.goal_types import KIND_LABELS
    from neuroviz.lessons.goals import layers_of_kind

    assert kind in vocab.layer_kinds() and kind in KIND_LABELS

    def count(layers):
        return sum((layer.kind == kind) + count(getattr(layer, "layers", []))
                   for layer in layers)

    for spec in EXAMPLES[kind]:
        assert layers_of_kind(spec, kind) == count(Network.from_spec(spec).layers) > 0


PARTS = {
    "save_open": check_save_open,
    "goal_vocabulary": check_goal_vocabulary,
    "spec": check_spec,
    "gradients": check_gradients,
    "compiled": check_compiled,
    "determinism": check_determinism,
    "round_trip": check_round_trip,
    "describe": check_describe,
    "docs": check_docs,
    "explain": check_explain,
    "export": check_export,
}


@pytest.mark.parametrize("part", list(PARTS))
@pytest.mark.parametrize("kind", list(LAYER_KINDS))
def test_layer_kind_has_every_part(kind, part):
    assert EXAMPLES.get(kind), f"{kind}: registered without example networks in this test"
    PARTS[part](kind)


# -- helpers ------------------------------------------------------------------------------------
def _state(seed):
    from neuroviz.engine.kinds.base import random_state
    return random_state(seed)


def _leaves(tree):
    if isinstance(tree, np.ndarray):
        return [tree]
    return [leaf for item in tree for leaf in _leaves(item)]


def _shapes(tree):
    if isinstance(tree, np.ndarray):
        return tree.shape
    return [_shapes(t) for t in tree]


def _to_lists(tree):
    if isinstance(tree, np.ndarray):
        return {"array": tree.tolist()}
    return [_to_lists(t) for t in tree]


def _to_arrays(tree):
    if isinstance(tree, dict):
        return np.array(tree["array"], dtype=np.float64)
    return [_to_arrays(t) for t in tree]
