"""Tooltip and editor texts of the network view (names with exact values)."""

from __future__ import annotations

__all__ = ["DescriptionsMixin", "activation_title", "layer_name"]

_TITLES = {"linear": "Linear", "relu": "ReLU", "leaky_relu": "Leaky ReLU", "elu": "ELU",
           "tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus", "swish": "Swish",
           "gelu": "GELU", "sine": "Sine", "gaussian": "Gaussian", "softmax": "Softmax"}


def activation_title(name: str) -> str:
    """Display name of an activation ("leaky_relu" -> "Leaky ReLU")."""
    return _TITLES.get(name, name.replace("_", " ").title())


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _exact(v: float) -> str:
    return repr(float(v))


def layer_name(k: int, n_layers: int) -> str:
    if k == 0:
        return "Input"
    if k == n_layers:
        return "Output"
    return f"Hidden layer {k}"


class DescriptionsMixin:
    """Text half of :class:`neuroviz.app.network.view.NetworkView`."""

    # -- descriptions (tooltips) -------------------------------------------------------
    def _neuron_name(self, k: int, j: int) -> str:
        last = len(self.layer_sizes) - 1
        if k == 0:
            name = self.feature_names[j] if j < len(self.feature_names) else f"x{j + 1}"
            return f"input \u201c{name}\u201d"
        if k == last and j < len(self.output_names):
            return f"output neuron \u201c{self.output_names[j]}\u201d"
        return f"neuron {j + 1} of {layer_name(k, last).lower()}"

    def _edge_name(self, k: int, i: int, j: int) -> str:
        return f"{self._neuron_name(k - 1, i)} \u2192 {self._neuron_name(k, j)}"

    def describe(self, target: tuple) -> str:
        """Tooltip text for a hit-test result (exact values included)."""
        kind = target[0]
        if kind == "edge":
            _, k, i, j = target
            lines = [f"Weight: {self._edge_name(k, i, j)}"]
            if self.weights is not None:
                w = float(self.weights[k - 1][0][i, j])
                lines.append(f"w = {_fmt(w)}   (exact {_exact(w)})")
            if self.gradients is not None:
                g = float(self.gradients[k - 1][0][i, j])
                lines.append(f"dL/dw = {_fmt(g)}   (exact {_exact(g)})")
            lines.append("Click to type a new weight.")
            return "\n".join(lines)
        _, k, j = target
        name = self._neuron_name(k, j)
        lines = [name[0].upper() + name[1:]]
        if k >= 1:
            lines[0] += f" ({activation_title(self.activations[k - 1])})"
            if self.weights is not None:
                b = float(self.weights[k - 1][1][j])
                lines.append(f"bias b = {_fmt(b)}   (exact {_exact(b)})")
            if self.gradients is not None:
                g = float(self.gradients[k - 1][1][j])
                lines.append(f"dL/db = {_fmt(g)}   (exact {_exact(g)})")
        vals = self.example_values(k)
        if vals is not None:
            lines.append(f"value for the selected example = {_fmt(vals[j])}   "
                         f"(exact {_exact(vals[j])})")
        img = self.neuron_image(k, j)
        if img is not None:
            lines.append(f"over the plane: min {_fmt(img.min())}, max {_fmt(img.max())}")
        if k >= 1:
            lines.append("Click to type a new bias.")
        return "\n".join(lines)
