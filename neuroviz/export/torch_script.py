"""PyTorch export: a short, readable ``model.py`` defining the network as ``torch.nn`` code,
its weights in an ``.npz`` beside it, and a commented training loop to continue from.

Writing the script needs neither torch nor onnx: it is text and NumPy arrays. Each layer
kind adds its modules through :meth:`Layer.export_torch` and the :class:`TorchWriter` below.
The model computes in float64, like neuroviz, so its predictions match ``Network.predict``.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from neuroviz.export.errors import ExportError
from neuroviz.export.files import write_atomic

#: The torch.nn module of each engine activation (``linear`` adds none).
ACTIVATION_MODULES: dict[str, str] = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softplus": "nn.Softplus()",
    "swish": "nn.SiLU()",
    "gelu": "nn.GELU()",
    "sine": "Sine()",
    "gaussian": "Gaussian()",
    "softmax": "nn.Softmax(dim=1)",
}

#: Small modules for activations torch.nn does not have.
ACTIVATION_CLASSES: dict[str, tuple[str, str]] = {
    "sine": ("Sine", 'class Sine(nn.Module):\n    """a = sin(z)"""\n\n'
                     "    def forward(self, z):\n        return torch.sin(z)\n"),
    "gaussian": ("Gaussian", 'class Gaussian(nn.Module):\n    """a = exp(−z²)"""\n\n'
                             "    def forward(self, z):\n        return torch.exp(-z * z)\n"),
}

#: The loss of each engine loss, as the training loop computes it.
LOSS_CODE: dict[str, str] = {
    "mse": "loss_fn = nn.MSELoss()  # mean of (p − y)² over examples and outputs",
    "bce": "loss_fn = nn.BCELoss()  # −mean(y·ln p + (1 − y)·ln(1 − p))",
    "softmax_ce": (
        "def loss_fn(p, y):  # softmax cross-entropy: −mean over examples of Σ_j y_j·ln p_j\n"
        "    return -(y * torch.log(p.clamp_min(1e-300))).sum(dim=1).mean()"),
}

#: The optimizer line for each engine optimizer (``{lr}`` and ``{momentum}`` filled in).
OPTIMIZER_CODE: dict[str, str] = {
    "sgd": "torch.optim.SGD(model.parameters(), lr={lr})",
    "momentum": "torch.optim.SGD(model.parameters(), lr={lr}, momentum={momentum})",
    "nesterov": "torch.optim.SGD(model.parameters(), lr={lr}, momentum={momentum}, "
                "nesterov=True)",
    "rmsprop": "torch.optim.RMSprop(model.parameters(), lr={lr})",
    "adam": "torch.optim.Adam(model.parameters(), lr={lr})",
}


class TorchWriter:
    """Collects the ``nn.Sequential`` lines, helper classes and weights of ``model.py``.

    ``module(code, note, **weights)`` adds one module (``weights`` keyed by the module's own
    parameter names, e.g. ``weight``); ``activation(name)`` adds an engine activation;
    ``block(template, attribute, note)`` opens a module holding an inner ``nn.Sequential``
    (a residual block); ``helper(name, source)`` adds a class definition once.
    """

    def __init__(self) -> None:
        self.helpers: dict[str, str] = {}
        self.weights: dict[str, np.ndarray] = {}
        self._stack: list[tuple[str, list[str]]] = [("layers.", [])]
        self._count: list[int] = [0]
        self.where = ""

    def _key(self, name: str) -> str:
        return f"{self._stack[-1][0]}{self._count[-1]}.{name}"

    def module(self, code: str, note: str = "", **weights: np.ndarray) -> None:
        for name, array in weights.items():
            self.weights[self._key(name)] = np.ascontiguousarray(array, dtype=np.float64)
        comment = f"  # {self.where}: {note}" if note and self.where else ""
        self._stack[-1][1].append(f"{code},{comment}")
        self._count[-1] += 1

    def activation(self, name: str) -> None:
        if name == "linear":
            return
        if name not in ACTIVATION_MODULES:
            raise ExportError(f"activation {name!r} has no PyTorch export")
        if name in ACTIVATION_CLASSES:
            self.helper(*ACTIVATION_CLASSES[name])
        self.module(ACTIVATION_MODULES[name])

    def helper(self, name: str, source: str) -> None:
        self.helpers.setdefault(name, source)

    @contextmanager
    def block(self, template: str, attribute: str, note: str = "", **weights: np.ndarray):
        """A module built as ``template`` with ``{inner}`` replaced by an ``nn.Sequential``
        of the modules added inside the ``with`` (reachable as ``.attribute``)."""
        for name, array in weights.items():
            self.weights[self._key(name)] = np.ascontiguousarray(array, dtype=np.float64)
        prefix = f"{self._stack[-1][0]}{self._count[-1]}.{attribute}."
        where = self.where
        self._stack.append((prefix, []))
        self._count.append(0)
        try:
            yield
        finally:
            _, lines = self._stack.pop()
            self._count.pop()
        inner = "nn.Sequential(\n" + "".join(f"    {line}\n" for line in lines) + ")"
        self.where = where
        code = template.replace("{inner}", inner)
        first, *rest = code.split("\n")
        comment = f"  # {where}: {note}" if note else ""
        self._stack[-1][1].append(first + comment + "".join(f"\n{r}" for r in rest) + ",")
        self._count[-1] += 1

    def lines(self) -> list[str]:
        return self._stack[0][1]


def _indent(lines: list[str], spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line.replace("\n", "\n" + pad) + "\n" for line in lines)


def torch_source(net: Any, weights_name: str = "model.npz", data_name: str = "model_data.npz",
                 training: dict[str, Any] | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """The text of ``model.py`` for ``net`` and the weights it loads (``state_dict`` names).

    ``training`` may give the training loop ``optimizer``, ``learning_rate``, ``momentum``
    and ``batch_size`` (the experiment's settings); the defaults are Adam, 0.01, batches of 10.
    """
    writer = TorchWriter()
    for i, layer in enumerate(net.layers):
        if layer.no_export:
            raise ExportError(f"layers[{i}]: a {layer.kind} layer cannot be exported: "
                              f"{layer.no_export}")
        writer.where = f"layers[{i}]"
        try:
            layer.export_torch(writer)
        except NotImplementedError as exc:
            raise ExportError(f"layers[{i}]: {exc}") from None
    training = dict(training or {})
    optimizer = training.get("optimizer", "adam")
    if optimizer not in OPTIMIZER_CODE:
        optimizer = "adam"
    lr = float(training.get("learning_rate", 0.01))
    momentum = float(training.get("momentum", 0.9))
    batch = int(training.get("batch_size", 10))
    n_in, n_out = net.n_inputs, net.n_outputs
    shape = tuple(net.input_shape)
    flat_note = ("" if len(shape) == 1 else
                 f"  # each {'×'.join(map(str, shape))} example becomes one row of {n_in}")
    helpers = "".join(f"\n\n\n{source.rstrip()}" for source in writer.helpers.values())
    text = f'''"""A network exported from neuroviz as PyTorch code:

    {net!r}

The weights neuroviz trained are in {weights_name} beside this file. Predictions:

    from model import load_model
    model = load_model()
    p = model(torch.tensor(x))   # x: float64 array of shape (n, {n_in}); p: (n, {n_out})

Continue training where neuroviz stopped (the training data is in {data_name}):

    python {Path(weights_name).stem}.py [EPOCHS]

which saves the new weights to {Path(weights_name).stem}_trained.npz (load them with
load_model("{Path(weights_name).stem}_trained.npz")).
"""

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent{helpers}


class Network(nn.Module):
    """The layers of the neuroviz network, in order (its spec's names in the comments)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
{_indent(writer.lines(), 12)}        )

    def forward(self, x):
        return self.layers(x.flatten(1)){flat_note}


def load_model(weights="{weights_name}"):
    """The network with saved weights, in float64 (as neuroviz computes) and in evaluation
    mode (dropout off)."""
    model = Network().double()
    saved = np.load(HERE / weights)
    model.load_state_dict({{name: torch.from_numpy(saved[name]) for name in saved.files}})
    return model.eval()


{LOSS_CODE[net.loss]}


if __name__ == "__main__":
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    torch.manual_seed(0)  # the same shuffles on every run
    if not (HERE / "{data_name}").exists():
        sys.exit("{data_name} is missing: save your training inputs and targets there, "
                 "e.g. np.savez('{data_name}', X_train=X, Y_train=Y)")
    model = load_model()
    data = np.load(HERE / "{data_name}")  # X_train, Y_train (and X_test, Y_test)
    X, Y = torch.from_numpy(data["X_train"]), torch.from_numpy(data["Y_train"])
    optimizer = {OPTIMIZER_CODE[optimizer].format(lr=lr, momentum=momentum)}
    model.train()  # dropout on while training
    for epoch in range(epochs):  # one pass over the training data per epoch
        total = 0.0
        for batch in torch.randperm(len(X)).split({batch}):  # shuffled mini-batches
            optimizer.zero_grad()  # forget the last step's gradients
            loss = loss_fn(model(X[batch]), Y[batch])  # forward pass and the loss
            loss.backward()  # backpropagation: dL/dw for every weight
            optimizer.step()  # one step downhill
            total += loss.item() * len(batch)
        print(f"epoch {{epoch + 1}}: training loss {{total / len(X):.4f}}")
    model.eval()
    np.savez(HERE / "{Path(weights_name).stem}_trained.npz",
             **{{name: value.numpy() for name, value in model.state_dict().items()}})
'''
    return text, writer.weights


def export_torch(net: Any, path: str | Path, data: dict[str, np.ndarray] | None = None,
                 training: dict[str, Any] | None = None) -> list[Path]:
    """Write ``model.py`` (any name ending in ``.py``), its weights (same name, ``.npz``)
    and, when ``data`` is given (``X_train``, ``Y_train``, optionally ``X_test``,
    ``Y_test``), the training data (``<name>_data.npz``). Returns the paths written.

    Needs no torch: the script imports it when it runs.
    """
    path = Path(path)
    if path.suffix.lower() != ".py":
        path = path.with_name(path.name + ".py")
    if not path.stem.isidentifier():
        raise ExportError(f"{path.name}: the script's name must be a Python module name "
                          f"(letters, digits and _, not starting with a digit), "
                          f"e.g. model.py")
    weights_path = path.with_suffix(".npz")
    data_path = path.with_name(f"{path.stem}_data.npz")
    text, weights = torch_source(net, weights_path.name, data_path.name, training)
    written = [write_atomic(weights_path, _npz_bytes(weights))]
    if data is not None:
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in data.items()
                  if v is not None}
        written.append(write_atomic(data_path, _npz_bytes(arrays)))
    written.insert(0, write_atomic(path, text))
    return written


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
