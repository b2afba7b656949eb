"""Without onnx, onnxruntime and torch installed, the engine and the export package still
import, the PyTorch script is still written, and ONNX export says what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("onnx", "onnxruntime", "torch"):
            raise ImportError(f"No module named {name!r} (blocked)")

sys.meta_path.insert(0, Block())
from neuroviz.engine import Network
from neuroviz.export import ExportError, export_onnx, export_torch

net = Network.from_spec({"inputs": 2, "layers": [{"type": "layernorm"},
                         {"type": "dense", "units": 1, "activation": "sigmoid"}], "loss": "bce"})
print([p.name for p in export_torch(net, sys.argv[1] + "/model.py")])
try:
    export_onnx(net, sys.argv[1] + "/net.onnx")
except ExportError as exc:
    print("refused:", exc)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("onnx", "onnxruntime", "torch")))
"""


def test_export_without_optional_packages(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "['model.py', 'model.npz']"
    assert lines[1].startswith("refused: ONNX export needs the onnx package: pip install "
                               "'neuroviz[export]'")
    assert lines[2] == "[]"
    assert not (tmp_path / "net.onnx").exists()
