"""Deep checks of a lesson's presets against the real datasets and engine.

Each field of a preset may be fine on its own and still not fit together: a network with two
inputs on a dataset with three features, weights of the wrong shape, dataset options the loader
refuses. These checks build every step's setup (presets of steps 1..N in order, and each
"show me" on top) and report what does not fit, at the step and field that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from neuroviz.lessons import vocab
from neuroviz.lessons.schema import Preset, Step
from neuroviz.lessons.setup import Setup, apply_preset

Report = Callable[[str, str], None]


def check_start(steps: Sequence[Step], report) -> None:
    """The first step must set up a dataset and a network: every later step builds on them."""
    if not steps:
        return
    report.step = 1
    first = steps[0].preset
    # a field that failed to read is already reported; do not add a second problem for it
    failed = {p.field.split("[")[0] for p in report.problems if p.step == 1}
    if (first is None or first.dataset is None or first.dataset.name is None) and not any(
            f.startswith("preset.dataset") for f in failed):
        report("preset.dataset", "the first step must choose a dataset (every step builds on it)")
    if (first is None or first.network is None) and not any(
            f.startswith("preset.network") for f in failed):
        report("preset.network", "the first step must give a network spec")
    report.step = None


def check_setups(steps: Sequence[Step], report) -> None:
    """Report (via ``report``, whose ``.step`` is set per step) every preset that does not fit."""
    if not steps or not (vocab.engine_available() and vocab.data_available()):
        return
    setup = Setup()
    for step in steps:
        report.step = step.number
        setup = _check_one(setup, step.preset, "preset.", report)
        if step.solution is not None:
            shown = setup
            for i, action in enumerate(step.solution.actions):
                where = "solution." if i == 0 else f"solution.then[{i - 1}]."
                shown = _check_one(shown, action.preset, where, report)
    report.step = None


def _check_one(setup: Setup, preset: Preset | None, where: str, report: Report) -> Setup:
    from neuroviz.data import DatasetError
    from neuroviz.engine import Network
    from neuroviz.lessons.runner import effective_spec, load_data, spec_fits, weights_arrays

    new, change = apply_preset(setup, preset)
    if preset is None:
        return new
    try:
        ds = load_data(new)
    except DatasetError as exc:
        if preset.dataset is not None:
            report(f"{where}dataset", str(exc))
        return new
    if preset.network is not None:
        reason = spec_fits(new.network, ds)
        if reason:
            report(f"{where}network", reason)
            return new
    spec = effective_spec(new, ds)
    if preset.weights is not None:
        sizes = [spec["inputs"]] + [layer.get("units", layer.get("type")) for layer in
                                    spec["layers"]]
        try:
            net = Network.from_spec(spec, seed=new.seed)
            net.set_weights(weights_arrays(preset.weights))
        except ValueError as exc:
            report(f"{where}weights", f"do not fit the network (layer sizes {sizes}): {exc}")
    return new
