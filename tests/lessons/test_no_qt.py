"""The lessons package stays free of Qt, so it can be checked and tested headlessly."""

from __future__ import annotations

import subprocess
import sys


def test_lessons_package_imports_no_qt():
    code = (
        "import sys\n"
        "import neuroviz.lessons, neuroviz.lessons.runner, neuroviz.lessons.consistency\n"
        "from neuroviz.lessons import check_paths\n"
        "check_paths([])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
