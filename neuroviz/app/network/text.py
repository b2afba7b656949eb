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


_SHORT = {"dense": "dense", "dropout": "dropout", "layernorm": "norm", "conv2d": "conv",
          "maxpool": "max pool", "avgpool": "avg pool", "globalmaxpool": "global max",
          "globalavgpool": "global avg", "flatten": "flatten"}
_KIND_TITLES = {"dense": "Dense", "dropout": "Dropout", "layernorm": "Layer norm",
                "sum": "Block output", "conv2d": "Convolution", "maxpool": "Max pool",
                "avgpool": "Average pool", "globalmaxpool": "Global max pool",
                "globalavgpool": "Global average pool", "flatten": "Flatten"}
_MAP_HELP = {
    "conv2d": ". Each filter slides over every channel of the maps before it; each tile is "
              "one filter's feature map for the selected example, the small heatmap beside it "
              "the filter's weights (click it to edit them). Hover a pixel to see which input "
              "pixels it looks at (its receptive field).",
    "maxpool": ". Each value is the largest of a size \u00d7 size window of its channel: the "
               "maps shrink and keep their strongest responses.",
    "avgpool": ". Each value is the mean of a size \u00d7 size window of its channel: the maps "
               "shrink and get smoother.",
    "globalmaxpool": ". One value per channel: the largest value of its whole map.",
    "globalavgpool": ". One value per channel: the mean of its whole map.",
    "flatten": ". The maps' values in one row (row by row, channels last) for the dense "
               "layers after it; nothing is computed.",
}


def layer_name(k: int, n_layers: int) -> str:
    if k == 0:
        return "Input"
    if k == n_layers:
        return "Output"
    return f"Hidden layer {k}"


class DescriptionsMixin:
    """Text half of :class:`neuroviz.app.network.view.NetworkView`."""

    # -- descriptions (tooltips) -------------------------------------------------------
    def column_title(self, k: int) -> str:
        """Heading of column ``k``: "Input", "Hidden layer 2", "Dropout", "Block 1 output"..."""
        last = len(self.layer_sizes) - 1
        col = self.columns[k]
        if k in (0, last) or self.layout.is_dense or (col.kind == "dense" and col.inner is None):
            return layer_name(k, last)
        block = self.layout.block_of(k)
        if block is not None:
            b = self.layout.blocks.index(block) + 1
            if col.kind == "sum":
                return f"Block {b} output"
            return f"Block {b} \u00b7 {_SHORT[col.kind]}"
        return _KIND_TITLES[col.kind]

    def column_help(self, k: int) -> str:
        """A sentence on what column ``k``'s kind does (for its tooltip)."""
        col = self.columns[k]
        if col.kind == "dropout":
            return (f". While training, each value is dropped with probability "
                    f"{col.info['rate']:g} and the kept ones are multiplied by "
                    f"1/(1 \u2212 {col.info['rate']:g}); greyed, crossed units are the ones "
                    "dropped in the training step shown. Evaluation never drops.")
        if col.kind == "layernorm":
            return (". Each example's values are shifted to mean 0 and scaled to standard "
                    "deviation 1, then multiplied by a learned gain (the edges' colour) "
                    "and shifted by a learned bias.")
        if col.kind == "sum":
            if not col.info["skip"]:
                return ". The skip path is off: the block passes on f(h) only."
            extra = (" through a learned projection P (the widths differ)"
                     if col.info["projection"] else "")
            return (f". The block's input h comes round the bypass{extra} and is added to "
                    "what its layers computed, f(h); backward, the gradient flows both ways "
                    "and adds up, which keeps deep networks trainable.")
        return _MAP_HELP.get(col.kind, "")

    def _neuron_name(self, k: int, j: int) -> str:
        last = len(self.layer_sizes) - 1
        shape = self.columns[k].info.get("shape", ()) if k < len(self.columns) else ()
        if len(shape) == 3:  # a pixel of a feature map (or of the image)
            h, w, c = shape
            i, jj, ch = j // (w * c), (j // c) % w, j % c
            where = f"pixel (row {i + 1}, column {jj + 1})"
            if k == 0:
                return where + (f" of channel {ch + 1}" if c > 1 else "") + " of the image"
            what = "map of filter" if self.columns[k].kind == "conv2d" else "channel"
            return f"{where} of {what} {ch + 1} in {self.column_title(k).lower()}"
        if k == 0:
            name = self.feature_names[j] if j < len(self.feature_names) else f"x{j + 1}"
            return f"input \u201c{name}\u201d"
        if k == last and j < len(self.output_names):
            return f"output neuron \u201c{self.output_names[j]}\u201d"
        unit = "neuron" if self.columns[k].kind == "dense" else "unit"
        return f"{unit} {j + 1} of {self.column_title(k).lower()}"

    def _edge_name(self, k: int, i: int, j: int) -> str:
        return f"{self._neuron_name(k - 1, i)} \u2192 {self._neuron_name(k, j)}"

    def describe(self, target: tuple) -> str:
        """Tooltip text for a hit-test result (exact values included)."""
        kind = target[0]
        if kind == "filter":
            return self._describe_filter(target[1], target[2])
        if kind == "edge" and self.columns[target[1]].kind != "dense":
            return self._describe_link(*target[1:])
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
        col = self.columns[k]
        if col.kind == "dropout":
            mask = self.dropout_mask(k)
            if mask is not None:
                lines.append("dropped in the training step shown" if mask[j] == 0 else
                             f"kept in the training step shown: \u00d7{_fmt(mask[j])}")
        elif col.kind == "layernorm" and self.weights is not None:
            g, b = self.weights[k - 1]
            lines.append(f"gain = {_fmt(g[j])}, bias = {_fmt(b[j])}   "
                         f"(a = gain\u00b7n + bias)")
        elif col.kind == "sum":
            lines.append(self.column_help(k).lstrip(". "))
        if k >= 1 and col.kind == "dense":
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
        if k >= 1 and col.kind == "dense":
            lines.append("Click to type a new bias.")
        return "\n".join(lines)

    def _describe_link(self, k: int, i: int, j: int) -> str:
        col = self.columns[k]
        head = f"{self._neuron_name(k - 1, i)} \u2192 {self._neuron_name(k, j)}"
        if col.kind == "layernorm":
            lines = [f"Gain of {self._neuron_name(k, j)} (one-to-one: n \u2192 "
                     "gain\u00b7n + bias)"]
            if self.weights is not None:
                lines.append(f"gain = {_fmt(self.weights[k - 1][0][j])}")
            if self.gradients is not None:
                lines.append(f"dL/dgain = {_fmt(self.gradients[k - 1][0][j])}")
            return "\n".join(lines)
        if col.kind == "dropout":
            return f"{head}: passed on (\u00d71/(1 \u2212 rate)) or dropped while training"
        return f"{head}: f(h) goes into the sum"

    def _describe_filter(self, k: int, f: int) -> str:
        col = self.columns[k]
        size = col.info.get("kernel", 0)
        lines = [f"Filter {f + 1} of {self.column_title(k).lower()}: {size}\u00d7{size} "
                 f"weights per input channel"]
        if self.weights is not None and self.weights[k - 1][0] is not None:
            K, b = self.weights[k - 1]
            kf = K[..., f]
            lines.append(f"weights from {_fmt(kf.min())} to {_fmt(kf.max())}, "
                         f"bias b = {_fmt(b[f])}")
        lines.append("Click to edit this filter's weights.")
        return "\n".join(lines)
