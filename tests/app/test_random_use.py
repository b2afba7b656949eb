"""A short, fixed-seed run of the random-use driver (benchmarks/random_use.py) on the real
window while it trains: menus, buttons, extreme values, mouse, keys, grabs and resizes.

Each run is its own process, so a crash is a failure here rather than the end of the test
session. Nothing in a run may raise, warn (beyond font noise of a minimal system), hang or
leave a thread running.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "benchmarks" / "random_use.py"


def load_driver():
    spec = importlib.util.spec_from_file_location("random_use_driver", DRIVER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [11, 12])
def test_random_use_of_the_window_is_clean(seed):
    driver = load_driver()
    # The hang limit only catches a GUI thread that stops answering altogether.
    report = driver.run_in_subprocess(seed, 150, hang_limit=120.0)
    details = "\n".join(report.exceptions[:3] + report.warnings[:3] + report.hangs[:1])
    assert not report.crashed, report.crashed
    assert report.actions >= 100, report.summary()  # the run really did something
    assert report.exceptions == [], details
    assert report.warnings == [], details
    assert report.hangs == [], details
    assert report.leaked_threads == [], report.leaked_threads
