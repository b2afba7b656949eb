"""Explain mode side panel: one training step on one example, micro-step by micro-step.

The panel shows the current equation large (rich text in a QLabel), with the step's title
and a one-line note; buttons (and keys) move to the next or previous micro-step or layer,
and a play button walks through the steps at an adjustable speed. It drives the
:class:`~neuroviz.app.network.view.NetworkView`: the neuron or edge in focus is highlighted,
edges show weights in the forward pass and the update, gradients in the backward pass.

The numbers come from :func:`neuroviz.engine.explain.explain` (Qt-free, tested against the
engine). Lessons listen to :attr:`ExplainPanel.event_happened`: "explain_started",
"explain_forward_done", "explain_backward_reached", "explain_backward_done",
"explain_update_done".

Layers on image maps (convolution, pooling, flatten) have one micro-step per filter or
channel; the :class:`~neuroviz.app.explain.map_canvas.MapCanvas` above the equation shows the
input map, the filter and the output map with the window at the focus position, and the
equation is the one at that position. Down / ] and Up / [ (or the position buttons, or a
click on a cell) move the focus.

Keys (when the panel has focus; explain mode gives it focus): Right / N next step, Left / P
previous step, Page Down / Shift+Right next layer, Page Up / Shift+Left previous layer,
Down / ] next position, Up / [ previous position, Space play or pause, Home / End first or
last step, + / − speed, Escape leave.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from neuroviz.app.explain.map_canvas import MapCanvas
from neuroviz.engine.explain import Explanation, MicroStep

__all__ = ["ExplainPanel", "PHASE_TITLES", "SPEEDS"]

PHASE_TITLES = {"forward": "Forward pass", "backward": "Backward pass (backpropagation)",
                "update": "Update"}
PHASE_COLOURS = {"forward": "#0072b2", "backward": "#d55e00", "update": "#009e73"}
#: Play speeds in micro-steps per second (slider positions).
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
BASE_EQUATION_PT = 17.0
BASE_TEXT_PT = 10.5

_KEYS = {
    Qt.Key.Key_Right: "next", Qt.Key.Key_N: "next", Qt.Key.Key_Left: "previous",
    Qt.Key.Key_P: "previous", Qt.Key.Key_PageDown: "next_layer",
    Qt.Key.Key_PageUp: "previous_layer", Qt.Key.Key_Space: "toggle_play",
    Qt.Key.Key_Home: "first", Qt.Key.Key_End: "last", Qt.Key.Key_Plus: "faster",
    Qt.Key.Key_Equal: "faster", Qt.Key.Key_Minus: "slower", Qt.Key.Key_Escape: "close",
    Qt.Key.Key_Down: "next_position", Qt.Key.Key_BracketRight: "next_position",
    Qt.Key.Key_Up: "previous_position", Qt.Key.Key_BracketLeft: "previous_position",
}


class ExplainPanel(QWidget):
    """Side panel that walks through an :class:`Explanation`."""

    event_happened = Signal(str)
    step_changed = Signal(int)
    close_requested = Signal()
    apply_requested = Signal(object)  # the new weights, [(W, b), ...]

    def __init__(self, network_view=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explain_panel")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.network_view = network_view
        self.explanation: Explanation | None = None
        self.index = 0
        self.map_pos: tuple | None = None  # focus position on a map step (None: its start)
        self.scale = 1.0
        self._emitted: set[str] = set()
        self._description = ""
        self._timer = QTimer(self)
        self._timer.setObjectName("explain_play_timer")
        self._timer.timeout.connect(self._on_tick)

        self.header = QLabel("", self)
        self.header.setObjectName("explain_header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.phase_label = QLabel("", self)
        self.phase_label.setObjectName("explain_phase")
        self.title = QLabel("", self)
        self.title.setObjectName("explain_title")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.equation = QLabel("", self)
        self.equation.setObjectName("explain_equation")
        self.equation.setTextFormat(Qt.TextFormat.RichText)
        self.equation.setWordWrap(True)
        self.equation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.equation.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.equation.setToolTip("The current step with the real numbers of this example")
        self.note = QLabel("", self)
        self.note.setObjectName("explain_note")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.position = QLabel("", self)
        self.position.setObjectName("explain_position")

        self.map_canvas = MapCanvas(self)
        self.map_canvas.setToolTip("Click a cell to move the focus there")
        self.map_canvas.cell_clicked.connect(self._on_cell_clicked)
        self.map_canvas.hide()
        self.map_position = QLabel("", self)
        self.map_position.setObjectName("explain_map_position")
        self.map_position.setWordWrap(True)
        self.map_position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prev_position_button = self._button(
            "explain_previous_position", "\u25b2",
            "Move the focus to the previous position (Up arrow or [)", "previous_position")
        self.next_position_button = self._button(
            "explain_next_position", "\u25bc",
            "Move the focus to the next position (Down arrow or ])", "next_position")
        self.map_row = QWidget(self)
        map_row = QHBoxLayout(self.map_row)
        map_row.setContentsMargins(0, 0, 0, 0)
        map_row.addWidget(self.prev_position_button)
        map_row.addWidget(self.map_position, 1)
        map_row.addWidget(self.next_position_button)
        self.map_row.hide()

        eq_box = QWidget()
        eq_layout = QVBoxLayout(eq_box)
        eq_layout.setContentsMargins(0, 0, 0, 0)
        eq_layout.addWidget(self.title)
        eq_layout.addWidget(self.map_canvas)
        eq_layout.addWidget(self.map_row)
        eq_layout.addWidget(self.equation)
        eq_layout.addWidget(self.note)
        eq_layout.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("explain_scroll")
        self.scroll.setWidget(eq_box)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.prev_layer_button = self._button("explain_previous_layer", "\u00ab Layer",
                                              "Previous layer (Page Up)", "previous_layer")
        self.prev_button = self._button("explain_previous", "\u25c0 Back",
                                        "Previous step (Left arrow)", "previous")
        self.play_button = self._button("explain_play", "\u25b6 Play",
                                        "Play the steps one after another (Space)",
                                        "toggle_play")
        self.next_button = self._button("explain_next", "Next \u25b6",
                                        "Next step (Right arrow)", "next")
        self.next_layer_button = self._button("explain_next_layer", "Layer \u00bb",
                                              "Next layer (Page Down)", "next_layer")
        nav = QHBoxLayout()
        nav.setSpacing(4)
        for b in (self.prev_layer_button, self.prev_button, self.next_button,
                  self.next_layer_button):
            nav.addWidget(b)

        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setObjectName("explain_speed")
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(2)
        self.speed.setToolTip("Play speed (+ and \u2212 keys)")
        self.speed.valueChanged.connect(self._on_speed)
        self.speed_label = QLabel("", self)
        self.speed_label.setObjectName("explain_speed_label")
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.play_button)
        speed_row.addWidget(self.speed, 1)
        speed_row.addWidget(self.speed_label)

        self.apply_button = self._button("explain_apply", "Apply update",
                                         "Set the network's weights to the updated values "
                                         "(one training step on this example)", "apply")
        self.exit_button = self._button("explain_exit", "Leave \u2715",
                                        "Back to the playground (Escape)", "close")
        bottom = QHBoxLayout()
        bottom.addWidget(self.apply_button)
        bottom.addStretch(1)
        bottom.addWidget(self.exit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.phase_label)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.position)
        layout.addLayout(nav)
        layout.addLayout(speed_row)
        layout.addLayout(bottom)
        self._on_speed(self.speed.value())
        self.set_scale(1.0)
        self._show()

    # ------------------------------------------------------------------ building
    def _button(self, name: str, text: str, tip: str, command: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the panel
        b.clicked.connect(lambda _=False, c=command: self.command(c))
        return b

    def set_scale(self, factor: float) -> None:
        """Larger text and controls (presenter mode)."""
        self.scale = float(factor)
        font = QFont(self.font())
        font.setPointSizeF(BASE_TEXT_PT * self.scale)
        for w in self.findChildren(QWidget):
            if w is not self.equation:
                w.setFont(font)
        big = QFont(font)
        big.setPointSizeF(BASE_EQUATION_PT * self.scale)
        self.equation.setFont(big)
        bold = QFont(font)
        bold.setBold(True)
        bold.setPointSizeF(BASE_TEXT_PT * 1.15 * self.scale)
        self.title.setFont(bold)
        self.map_canvas.set_scale(self.scale)
        self._show()

    # ------------------------------------------------------------------ public
    def start(self, explanation: Explanation, description: str = "") -> None:
        """Show a new explanation from its first step; emits "explain_started"."""
        self.stop_playing()
        self.explanation = explanation
        self._description = description
        self._emitted = set()
        self.index = 0
        self.event_happened.emit("explain_started")
        self._show()
        self.setFocus()

    def clear(self) -> None:
        self.stop_playing()
        self.explanation = None
        self.index = 0
        self._show()

    @property
    def step(self) -> MicroStep | None:
        return None if self.explanation is None else self.explanation.steps[self.index]

    @property
    def is_playing(self) -> bool:
        return self._timer.isActive()

    def go_to(self, index: int) -> None:
        if self.explanation is None:
            return
        index = max(0, min(int(index), len(self.explanation) - 1))
        if index != self.index:
            self.index = index
            self.map_pos = None
            self._show()
            self.step_changed.emit(index)

    @property
    def focus_position(self) -> tuple | None:
        """The focus position on a map step (None on other steps)."""
        s = self.step
        if s is None or s.map_view is None:
            return None
        return self.map_pos if s.map_view.valid(self.map_pos) else s.map_view.start

    def set_focus_position(self, pos) -> bool:
        """Move the focus of the current map step to ``pos``; False if it has no such one."""
        s = self.step
        if s is None or s.map_view is None or not s.map_view.valid(tuple(pos)):
            return False
        self.map_pos = tuple(int(v) for v in pos)
        self._show()
        return True

    def _on_cell_clicked(self, grid: int, row: int, col: int) -> None:
        s = self.step
        if s is not None and s.map_view is not None:
            pos = s.map_view.pick(grid, row, col)
            if pos is not None:
                self.stop_playing()
                self.set_focus_position(pos)
        self.setFocus()

    def command(self, name: str) -> None:
        """Run a navigation command: next, previous, next_layer, previous_layer, first,
        last, next_position, previous_position, toggle_play, faster, slower, apply, close."""
        e = self.explanation
        if name == "close":
            self.stop_playing()
            self.close_requested.emit()
            return
        if name == "faster":
            self.speed.setValue(self.speed.value() + 1)
            return
        if name == "slower":
            self.speed.setValue(self.speed.value() - 1)
            return
        if e is None:
            return
        if name == "toggle_play":
            if self.is_playing:
                self.stop_playing()
            else:
                if self.index >= len(e) - 1:
                    self.go_to(0)
                self._timer.start()
                self._update_buttons()
            return
        if name == "apply":
            self.apply_requested.emit(e.network_weights())
            return
        if name != "toggle_play":
            self.stop_playing()
        if name in ("next_position", "previous_position"):
            pos = self.focus_position
            if pos is not None:
                step = self.step.map_view.moved(pos, 1 if name == "next_position" else -1)
                self.set_focus_position(step)
            return
        target = {"next": lambda: self.index + 1, "previous": lambda: self.index - 1,
                  "next_layer": lambda: e.next_group(self.index),
                  "previous_layer": lambda: e.previous_group(self.index),
                  "first": lambda: 0, "last": lambda: len(e) - 1}[name]()
        self.go_to(target)

    def stop_playing(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
        self._update_buttons()

    def view_state(self) -> tuple:
        """Everything the user sees, for tests (step, highlight, edge mode, equation)."""
        nv = self.network_view
        return (self.index, self.equation.text(), self.title.text(), self.position.text(),
                None if nv is None else nv.highlighted, None if nv is None else nv.edge_mode)

    # ------------------------------------------------------------------ events
    def event(self, event) -> bool:  # noqa: D401 - Qt override
        # Take our keys before the window's shortcuts (Space, Right arrow) see them.
        if event.type() == QEvent.Type.ShortcutOverride and self.explanation is not None:
            if event.key() in _KEYS and not (event.modifiers()
                                             & Qt.KeyboardModifier.ControlModifier):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Left) and shift:
            self.command("next_layer" if key == Qt.Key.Key_Right else "previous_layer")
            return
        name = _KEYS.get(key)
        if name is not None:
            self.command(name)
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_map()

    def _fit_map(self) -> None:
        """The map drawing takes at most about half the room above the buttons, so the
        equation stays in view below it."""
        room = self.scroll.viewport().height()
        self.map_canvas.set_max_height(max(120.0 * self.scale, 0.58 * room))

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.stop_playing()  # never leave a timer running behind a hidden panel
        super().hideEvent(event)

    def _on_tick(self) -> None:
        e = self.explanation
        if e is None or self.index >= len(e) - 1:
            self.stop_playing()
            return
        self.go_to(self.index + 1)

    def _on_speed(self, position: int) -> None:
        rate = SPEEDS[max(0, min(position, len(SPEEDS) - 1))]
        self._timer.setInterval(int(round(1000.0 / rate)))
        self.speed_label.setText(f"{rate:g} steps/s")

    # ------------------------------------------------------------------ drawing
    def _show(self) -> None:
        e = self.explanation
        s = self.step
        if e is None or s is None:
            self.header.setText("Pick a training example (click a point, a row or an image), "
                                "then choose Training \u203a Explain One Example (E).")
            self.phase_label.setText("")
            self.title.setText("")
            self.equation.setText("")
            self.note.setText("")
            self.position.setText("")
            self.map_canvas.set_view(None)
            self.map_row.hide()
            self._update_buttons()
            return
        self.header.setText(self._description)
        colour = PHASE_COLOURS[s.phase]
        self.phase_label.setText(f"<span style='color:{colour}; font-weight:600'>"
                                 f"{PHASE_TITLES[s.phase]}</span>")
        self.title.setText(s.title)
        view = s.map_view
        if view is not None:
            pos = self.focus_position
            self._fit_map()
            self.map_canvas.set_view(view, pos)
            self.map_row.show()
            self.map_position.setText(view.position_text(pos))
            self.prev_position_button.setEnabled(view.index_of(pos) > 0)
            self.next_position_button.setEnabled(view.index_of(pos) < view.size - 1)
            self.equation.setText(lines_html(view.lines(pos),
                                             BASE_EQUATION_PT * self.scale * 0.8))
        else:
            self.map_canvas.set_view(None)
            self.map_row.hide()
            self.equation.setText(equation_html(s))
        self.note.setText(s.note)
        self.position.setText(f"Step {self.index + 1} of {len(e)}")
        self._update_buttons()
        self._drive_view(e, s)
        self._emit_progress(e)

    def _update_buttons(self) -> None:
        e = self.explanation
        n = 0 if e is None else len(e)
        self.prev_button.setEnabled(n > 0 and self.index > 0)
        self.prev_layer_button.setEnabled(n > 0 and self.index > 0)
        self.next_button.setEnabled(n > 0 and self.index < n - 1)
        self.next_layer_button.setEnabled(n > 0 and self.index < n - 1)
        self.play_button.setEnabled(n > 0)
        self.play_button.setText("\u23f8 Pause" if self._timer.isActive() else "\u25b6 Play")
        self.apply_button.setEnabled(n > 0 and self.index == n - 1)

    def _drive_view(self, e: Explanation, s: MicroStep) -> None:
        nv = self.network_view
        if nv is None:
            return
        if s.phase == "backward":
            nv.set_edge_mode("gradients")
            nv.set_snapshot(SimpleNamespace(weights=e.old_weights,
                                            gradients=e.known_gradients(self.index), grid=None,
                                            masks=e.masks, per_column=True))
        else:
            nv.set_edge_mode("weights")
            weights = e.weights_at(self.index) if s.phase == "update" else e.old_weights
            nv.set_snapshot(SimpleNamespace(weights=weights, gradients=e.grads, grid=None,
                                            masks=e.masks, per_column=True))
        if s.map_view is not None:
            # a map step: the value in focus (the output pixel of the filter's map)
            unit = s.map_view.unit(self.focus_position)
            k, j = (s.node_layer, None) if unit is None else (s.node_layer + unit[0], unit[1])
            nv.highlight(k, j)
            self._scroll_into_view(nv, s, k, j)
        elif s.edge is not None:
            nv.highlight(s.node_layer, edge=s.edge)
            self._scroll_into_view(nv, s)
        else:
            nv.highlight(s.node_layer, s.neuron)
            self._scroll_into_view(nv, s)

    @staticmethod
    def _scroll_into_view(nv, s: MicroStep, k: int | None = None, j: int | None = None) -> None:
        """Scroll the canvas so the neuron or edge in focus is on screen."""
        canvas, scroll = getattr(nv, "canvas", None), getattr(nv, "scroll", None)
        if canvas is None or scroll is None:
            return
        try:
            if k is not None:
                point = canvas.node_rect(k, j or 0).center()
            elif s.edge is not None:
                point = canvas.edge_point(s.node_layer, s.edge[0], s.edge[1], 0.5)
            else:
                point = canvas.node_rect(s.node_layer, s.neuron or 0).center()
        except (IndexError, KeyError, AttributeError):
            return
        scroll.ensureVisible(int(point.x()), int(point.y()), 80, 60)

    def _emit_progress(self, e: Explanation) -> None:
        i = self.index
        marks = []
        if i >= e.last_of("forward"):
            marks.append("explain_forward_done")
        if i >= e.first_of("backward"):
            marks.append("explain_backward_reached")
        if i >= e.last_of("backward"):
            marks.append("explain_backward_done")
        if i >= e.last_of("update"):
            marks.append("explain_update_done")
        for name in marks:
            if name not in self._emitted:
                self._emitted.add(name)
                self.event_happened.emit(name)


def equation_html(step: MicroStep) -> str:
    """The step's equations as rich text: the rule small and grey, the numbers large."""
    return lines_html(step.lines)


def lines_html(step_lines, point_size: float | None = None) -> str:
    """Equation lines as rich text: the first (the rule) small and grey, the rest large
    (``point_size``: the numbers' size in points, e.g. smaller for a window's long sums)."""
    lines = [html.escape(line, quote=False) for line in step_lines]
    rule = lines[0] if len(lines) > 1 else ""
    rest = lines[1:] if len(lines) > 1 else lines
    parts = []
    if rule:
        size = "80%" if point_size is None else f"{point_size * 0.72:.1f}pt"
        parts.append(f"<div style='color:#666666; font-size:{size}'>{rule}</div>")
    style = "margin-top:4px" + ("" if point_size is None else f"; font-size:{point_size:.1f}pt")
    for line in rest:
        parts.append(f"<div style='{style}'>{line}</div>")
    return "".join(parts)


def shortcut_help() -> str:
    """One line listing the panel's keys (for tooltips and the help dialog)."""
    keys = [("Right", "next step"), ("Left", "previous step"), ("Page Down", "next layer"),
            ("Page Up", "previous layer"), ("Down", "next position"), ("Up", "previous position"),
            ("Space", "play"), ("Esc", "leave")]
    return ", ".join(f"{QKeySequence(k).toString()} {v}" for k, v in keys)
