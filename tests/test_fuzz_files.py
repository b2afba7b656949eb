"""A small, seeded run of the file fuzzer (benchmarks/fuzz.py): every format neuroviz reads.

Each mutant is loaded in a worker process; a hang is a mutant without an answer within the
fuzzer's per-mutant timeout, a crash a worker that died. Nothing may hang, crash or raise
anything but the loader's documented error, every rejection names the file, and every file
that is accepted must save again and train.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import fuzz  # noqa: E402

BAD = ("unnamed", "accepted-bad", "other", "hang", "crash")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return fuzz.fuzz(n=70, seed=20261202, workers=2, timeout=120, cli=30,
                     folder=tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("kind", [*fuzz.FORMATS, "cli"])
def test_no_mutant_crashes_hangs_or_escapes_the_documented_error(report, kind):
    entry = report[kind]
    problems = {o: entry["examples"].get(o, [])[:3] for o in BAD if entry["counts"].get(o)}
    assert not problems, problems
    # the run exercised both sides: some mutants are refused cleanly, and none is lost
    assert entry["counts"]["clean"] > 0
    assert sum(entry["counts"].values()) == (30 if kind == "cli" else 70)


def test_mutants_are_reproducible_from_the_seed(tmp_path):
    import random

    seeds = fuzz.make_seeds(tmp_path / "seeds")
    made = []
    for attempt in range(2):
        rng = random.Random(5)
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        made.append([fuzz.make_mutant(fmt, seeds[fmt], rng, folder, i).read_bytes()
                     for i, fmt in enumerate(fuzz.FORMATS * 5)])
    assert made[0] == made[1]
    assert len(set(made[0])) > 15  # and they differ from each other
