"""Soak test of the file paths: open, save and reopen files many times and watch for leaks.

Each round opens and saves an experiment (through a symbolic link, over a file with mode
0644), reads a network file, the shipped lessons and a CSV file, and loads a handful of
fuzzed mutants. Afterwards it reports the resident memory growth between the first and
the last tenth of the rounds, open file descriptors, files left in the working folder
that neuroviz did not mean to write (temporaries), and whether the file modes and the link
survived.

``python benchmarks/file_soak.py --rounds 300``
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def soak(rounds: int, seed: int) -> dict:
    import fuzz

    from neuroviz.cli import load_network_file
    from neuroviz.data import load_csv
    from neuroviz.experiment import load_experiment, save_experiment
    from neuroviz.lessons import load_lessons
    from neuroviz.resources import lessons_dir

    folder = Path(tempfile.mkdtemp(prefix="neuroviz-soak-"))
    try:
        seeds = fuzz.make_seeds(folder / "seeds")
        work = folder / "work"
        work.mkdir()
        real = work / "real.neuroviz.json"
        shutil.copy(seeds["experiment"][1], real)
        os.chmod(real, 0o644)
        link = work / "link.neuroviz.json"
        link.symlink_to(real)
        rng = random.Random(seed)
        mutants = folder / "mutants"
        mutants.mkdir()
        memory, fds = [], []
        outcomes: dict[str, int] = {}
        started = time.perf_counter()
        for k in range(rounds):
            experiment = load_experiment(link)
            experiment.epoch += 1
            save_experiment(experiment, link)
            load_network_file(str(seeds["network"][k % len(seeds["network"])]))
            if k % 10 == 0:
                load_lessons([lessons_dir()])
            load_csv(seeds["csv"][k % 2])  # the two numeric seed files
            for fmt in fuzz.FORMATS:
                path = fuzz.make_mutant(fmt, seeds[fmt], rng, mutants, k)
                try:
                    outcome, _ = fuzz.load_one(fmt, str(path))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    outcome = f"other ({type(exc).__name__})"
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                path.unlink()
                for again in mutants.glob("*.again.json"):
                    again.unlink()
            memory.append(rss_mb())
            fds.append(open_fds())
        tenth = max(1, rounds // 10)
        leftovers = sorted(p.name for p in work.iterdir()
                           if p.name not in ("real.neuroviz.json", "link.neuroviz.json"))
        return {
            "rounds": rounds,
            "seconds": time.perf_counter() - started,
            "rss_first_mb": sum(memory[:tenth]) / tenth,
            "rss_last_mb": sum(memory[-tenth:]) / tenth,
            "fds_first": fds[0], "fds_last": fds[-1],
            "leftover_files": leftovers,
            "mode": oct(stat.S_IMODE(os.stat(real).st_mode)),
            "link_kept": link.is_symlink(),
            "epoch_after": load_experiment(real).epoch,
            "outcomes": outcomes,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = soak(args.rounds, args.seed)
    for key, value in result.items():
        print(f"{key:>15}: {value if not isinstance(value, float) else f'{value:.1f}'}")
    ok = (not result["leftover_files"] and result["mode"] == "0o644" and result["link_kept"]
          and result["fds_last"] <= result["fds_first"] + 2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
