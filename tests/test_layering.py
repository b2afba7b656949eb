"""The core packages stay free of Qt (ARCHITECTURE.md: imports go one way)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["neuroviz.engine", "neuroviz.data", "neuroviz.lessons",
                                    "neuroviz.cli", "neuroviz.experiment"])
def test_core_modules_import_no_qt(module):
    code = (f"import sys, {module}; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'shiboken6') or m.startswith('neuroviz.app')); "
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_engine_works_when_qt_cannot_be_imported(tmp_path):
    # A stand-in PySide6 that fails on import proves the engine never needs it.
    (tmp_path / "PySide6").mkdir()
    (tmp_path / "PySide6" / "__init__.py").write_text("raise ImportError('no Qt here')\n")
    code = ("import numpy as np; from neuroviz.engine import Network, Trainer; "
            "net = Network.from_spec({'inputs': 1, 'layers': [{'units': 1}], 'loss': 'mse'}); "
            "X = np.linspace(-1, 1, 20)[:, None]; "
            "print(Trainer(net, X, 2 * X, lr=0.1).run(200).train_loss < 0.01)")
    env_path = f"{tmp_path}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
