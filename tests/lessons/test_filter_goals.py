"""Goals on convolution filters and convolution weights in lesson presets: line responses
against a plain sliding-window reference, truth tables on real networks' weights, reading
errors, and hand-written filters landing in the engine's kernel layout."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from neuroviz.engine import Network
from neuroviz.lessons import load_lesson
from neuroviz.lessons.goal_reading import parse_goal
from neuroviz.lessons.goals import (
    FilterGoal,
    GoalContext,
    StructureGoal,
    check_goal,
    conv_kernels,
    line_response,
)
from neuroviz.lessons.loader import read_lesson
from neuroviz.lessons.runner import LessonSession
from tests.lessons.conftest import make_lesson

ORIENTATIONS = ("vertical", "horizontal", "diagonal_down", "diagonal_up")


def line_image(orientation: str, size: int, offset: int) -> np.ndarray:
    """A size x size image of ink 0 with one line of ink 1, ``offset`` pixels from the middle
    (rows go down, columns right)."""
    img = np.zeros((size, size))
    mid = size // 2
    for i in range(size):
        if orientation == "vertical":
            r, c = i, mid + offset
        elif orientation == "horizontal":
            r, c = mid + offset, i
        elif orientation == "diagonal_down":  # top left to bottom right
            r, c = i, i + offset
        else:  # bottom left to top right
            r, c = size - 1 - i, i + offset
        if 0 <= r < size and 0 <= c < size:
            img[r, c] = 1.0
    return img


def reference_response(kernel: np.ndarray, orientation: str) -> float:
    """Slide the kernel over images of long lines at every offset; the largest output of a
    window the line passes through (the same line in every channel)."""
    k = kernel.shape[0]
    if kernel.ndim == 2:
        kernel = kernel[:, :, None]
    size = 3 * k
    best = -np.inf
    for offset in range(-size, size + 1):
        img = line_image(orientation, size, offset)
        for i in range(size - k + 1):
            for j in range(size - k + 1):
                patch = img[i:i + k, j:j + k]
                if patch.sum() == 0:
                    continue
                out = sum(float((patch * kernel[:, :, c]).sum())
                          for c in range(kernel.shape[2]))
                best = max(best, out)
    return best


@pytest.mark.parametrize("k, channels", [(3, 1), (3, 2), (4, 1), (2, 3)])
def test_line_response_matches_sliding_the_filter_over_lines(k, channels):
    rng = np.random.default_rng(k * 10 + channels)
    for _ in range(3):
        kernel = rng.normal(size=(k, k, channels))
        for orientation in ORIENTATIONS:
            assert line_response(kernel, orientation) == pytest.approx(
                reference_response(kernel, orientation)), orientation


def test_line_response_of_hand_made_edge_filters():
    vertical = np.array([[-1.0, 0.0, 1.0]] * 3)
    assert line_response(vertical, "vertical") == 3.0      # the +1 column on the line
    assert line_response(vertical, "horizontal") == 0.0    # -1 + 0 + 1 on every row
    assert line_response(vertical.T, "horizontal") == 3.0
    assert line_response(vertical, "diagonal_down") == 1.0  # the corner cell alone


def conv_net(filters: np.ndarray, second_layer: bool = False) -> Network:
    """strokes-sized network; ``filters`` (n, 3, 3) become the first layer's kernel."""
    n = len(filters)
    layers = [{"type": "conv2d", "filters": n, "kernel": 3, "padding": "same"}]
    if second_layer:
        layers.append({"type": "conv2d", "filters": 2, "kernel": 3, "padding": "same"})
    layers += [{"type": "globalmaxpool"}, {"type": "dense", "units": 4, "activation": "softmax"}]
    net = Network.from_spec({"inputs": [12, 12, 1], "loss": "softmax_ce", "layers": layers})
    weights = net.get_weights()
    K = np.transpose(np.asarray(filters, dtype=np.float64), (1, 2, 0))[:, :, None, :]
    weights[0] = (K, np.zeros(n))
    net.set_weights(weights)
    return net


EDGE = np.array([[-1.0, 0.0, 1.0]] * 3)
ZERO = np.zeros((3, 3))


def check(goal, net):
    return check_goal(goal, GoalContext(weights=net.get_weights()))


def test_filter_goal_truth_table():
    vertical = FilterGoal("vertical", "horizontal")
    horizontal = FilterGoal("horizontal", "vertical")
    assert not check(vertical, conv_net([ZERO]))[0]           # nothing answers yet
    done, text = check(vertical, conv_net([ZERO, EDGE]))
    assert done and text.startswith("Filter 2 of convolution layer 1: vertical lines 3, "
                                    "horizontal 0")
    assert not check(horizontal, conv_net([ZERO, EDGE]))[0]
    assert check(horizontal, conv_net([EDGE, EDGE.T]))[0]
    # half as strong against horizontal lines: met at ratio 2, not at ratio 3
    mixed = EDGE + 0.5 * np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert line_response(mixed, "vertical") == 3.5
    assert line_response(mixed, "horizontal") == 1.5
    assert check(FilterGoal("vertical", "horizontal", 2.0), conv_net([mixed]))[0]
    assert not check(FilterGoal("vertical", "horizontal", 3.0), conv_net([mixed]))[0]
    # a filter that only answers with negative values lights nothing up
    assert not check(vertical, conv_net([-EDGE - 1]))[0]


def test_any_orientation_against_the_others_and_the_layer():
    diagonal = np.eye(3)  # answers the top-left to bottom-right diagonal with 3, others <= 1
    goal = FilterGoal("any", "others", 2.0)
    done, text = check(goal, conv_net([diagonal]))
    assert done and "diagonal \u2198 lines 3" in text
    assert not check(goal, conv_net([np.ones((3, 3))]))[0]  # every orientation alike
    # a second convolution layer is looked up by number; a missing one is not met
    deep = conv_net([EDGE], second_layer=True)
    assert len(conv_kernels(deep.get_weights())) == 2
    done, text = check(FilterGoal("vertical", "horizontal", layer=3), deep)
    assert not done and text.startswith("No convolution layer 3 yet")
    assert not check(FilterGoal("vertical", "horizontal"), Network.from_spec(
        {"inputs": 4, "loss": "mse", "layers": [{"type": "dense", "units": 1}]}))[0]


def test_the_context_takes_the_snapshots_weights():
    net = conv_net([EDGE])
    snap = SimpleNamespace(epoch=0, train_loss=1.0, test_loss=1.0, metric_name="accuracy",
                           train_metric=0.25, test_metric=0.25, weights=net.get_weights())
    ctx = GoalContext.from_snapshot(snap, None)
    assert check_goal(FilterGoal("vertical", "horizontal"), ctx)[0]
    assert GoalContext.from_snapshot(None, None).weights is None


def test_conv_filters_counts_every_convolution_layer():
    spec = {"inputs": [12, 12, 1], "loss": "softmax_ce", "layers": [
        {"type": "conv2d", "filters": 4}, {"type": "maxpool", "size": 2},
        {"type": "conv2d", "filters": 6}, {"type": "flatten"},
        {"type": "dense", "units": 4, "activation": "softmax"}]}
    assert check_goal(StructureGoal("conv_filters", "==", 10), GoalContext(spec=spec))[0]
    assert not check_goal(StructureGoal("conv_filters", ">", 10), GoalContext(spec=spec))[0]
    assert check_goal(StructureGoal("layers_of_kind", "==", 2, kind="conv2d"),
                      GoalContext(spec=spec))[0]


def read(raw):
    problems = []
    goal = parse_goal(raw, "goal", lambda field, reason: problems.append(f"{field}: {reason}"))
    return goal, problems


def test_reading_filter_goals():
    assert read({"filter": "vertical"}) == (FilterGoal("vertical", "horizontal", 2.0, 1), [])
    assert read({"filter": "diagonal_up", "ratio": 1.5, "layer": 2}) == (
        FilterGoal("diagonal_up", "diagonal_down", 1.5, 2), [])
    assert read({"filter": "any"}) == (FilterGoal("any", "others"), [])
    goal, problems = read({"filter": "horizontal", "against": "others", "label": "H"})
    assert problems == [] and goal == FilterGoal("horizontal", "others", label="H")


@pytest.mark.parametrize("raw, words", [
    ({"filter": "sideways"}, "goal.filter: unknown orientation 'sideways'"),
    ({"filter": "vertical", "against": "vertical"}, "goal.against: must be another"),
    ({"filter": "any", "against": "vertical"}, "goal.against: with filter = \"any\""),
    ({"filter": "vertical", "ratio": 0.5}, "goal.ratio: must be a number of at least 1"),
    ({"filter": "vertical", "layer": 0}, "goal.layer: must be a whole number of at least 1"),
    ({"filter": "vertical", "compare": ">"}, "goal.compare: unknown field for a filter goal"),
])
def test_bad_filter_goals_name_the_field(raw, words):
    goal, problems = read(raw)
    assert goal is None
    assert any(p.startswith(words) for p in problems), problems


STROKES_STEP = """\
[preset]
dataset = { name = "strokes", n_samples = 40 }
network = { inputs = [12, 12, 1], loss = "softmax_ce", layers = [
  { type = "conv2d", filters = 2, kernel = 3, padding = "same" },
  { type = "globalmaxpool" },
  { type = "dense", units = 4, activation = "softmax" },
] }
WEIGHTS

[goal]
filter = "horizontal"

[solution]
epochs = 1
"""

GOOD_WEIGHTS = """\
[[preset.weights]]
filters = [ [[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]] ]
b = [0.5, -0.5]

[[preset.weights]]
W = [[1, 0, 0, 0], [0, 1, 0, 0]]
b = [0, 0, 0, 0]
"""


def test_filters_in_a_weights_preset_land_in_the_engine_layout(write_lesson):
    path = write_lesson(make_lesson(steps=[
        ("Filters", STROKES_STEP.replace("WEIGHTS", GOOD_WEIGHTS), "Text.")]))
    lesson = load_lesson(path)
    session = LessonSession()
    session.apply(lesson.steps[0].preset)
    K, b = session.trainer.net.get_weights()[0]
    assert K.shape == (3, 3, 1, 2)
    assert K[0, 2, 0, 0] == 3.0 and K[2, 0, 0, 0] == 7.0   # row 0 column 2; row 2 column 0
    assert np.array_equal(K[:, :, 0, 1], EDGE)
    assert list(b) == [0.5, -0.5]
    # the second filter is the vertical edge: the goal on horizontal lines is not met
    assert not session.check(lesson.steps[0].goal)[0]


def test_filters_with_several_channels_go_channel_by_channel():
    from neuroviz.lessons.loader import _read_filters

    problems = []
    grid = [[0.0, 1.0], [2.0, 3.0]]
    kernel, b = _read_filters({"filters": [[grid, [[9.0, 9.0], [9.0, 9.0]]]], "b": [0.0]},
                              "weights[0]", lambda f, r: problems.append((f, r)))
    K = np.array(kernel)
    assert problems == [] and K.shape == (2, 2, 2, 1)
    assert np.array_equal(K[:, :, 0, 0], grid) and np.all(K[:, :, 1, 0] == 9.0)


@pytest.mark.parametrize("weights, field, words", [
    ("[[preset.weights]]\nfilters = [ [[1, 2], [3]] ]\nb = [0]\n",
     "preset.weights[0].filters[0]", "must be a non-empty list with one k x k grid"),
    ("[[preset.weights]]\nfilters = [ [[0, 0], [0, 0]], [[0]] ]\nb = [0, 0]\n",
     "preset.weights[0].filters", "every filter must have the same size"),
    ("[[preset.weights]]\nfilters = [ [[0, 0], [0, 0]] ]\nb = [0, 0]\n",
     "preset.weights[0].b", "must list one finite bias per filter (1)"),
    ("[[preset.weights]]\nfilters = [ [[0, 0], [0, 0]] ]\nb = [0]\n"
     "[[preset.weights]]\nW = [[0, 0, 0, 0]]\nb = [0, 0, 0, 0]\n",
     "preset.weights", "do not fit the network"),
])
def test_bad_filter_weights_name_the_field(write_lesson, weights, field, words):
    path = write_lesson(make_lesson(steps=[
        ("Filters", STROKES_STEP.replace("WEIGHTS", weights), "Text.")]))
    lesson, problems = read_lesson(path)
    assert lesson is None
    assert any(p.field == field and p.reason.startswith(words) for p in problems), problems
