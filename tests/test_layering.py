"""Imports go one way (ARCHITECTURE.md): the core packages stay free of Qt, and the app's
features never import the window that composes them or the demos that show them."""

import ast
import subprocess
import sys
from pathlib import Path

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


APP = Path(__file__).resolve().parents[1] / "neuroviz" / "app"
FEATURES = ("training", "network", "output", "data", "explain", "timeline", "classroom",
            "lessons")


def _app_imports(path: Path) -> set[str]:
    """The ``neuroviz.app...`` modules a file imports (read with ast, nothing is run)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                package = path.relative_to(APP.parent.parent).parent.parts
                base = list(package[: len(package) - (node.level - 1)])
                module = ".".join(base + [node.module])
            else:
                module = node.module
            found.update(f"{module}.{a.name}" for a in node.names)
            found.add(module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("neuroviz.app")}


@pytest.mark.parametrize("feature", FEATURES)
def test_features_never_reach_into_the_window_that_composes_them(feature):
    # Only the composition root (window/) creates and wires features; a feature that imported
    # the main window or the root would close an import circle through it.
    root = ("neuroviz.app.window.main_window", "neuroviz.app.window.compose")
    for path in (APP / feature).rglob("*.py"):
        bad = sorted(m for m in _app_imports(path) if m.startswith(root))
        assert not bad, f"{path.relative_to(APP)} imports {bad}"


def test_views_never_import_their_demos():
    for path in APP.rglob("*.py"):
        if path.stem == "demo":
            continue
        bad = sorted(m for m in _app_imports(path) if m.endswith(".demo"))
        assert not bad, f"{path.relative_to(APP)} imports {bad}"
