"""File fuzzer: every format neuroviz reads, and the command line.

Mutates real files (saved experiments, networks saved by ``neuroviz train --save``, the
shipped lessons, CSV data) in many ways: truncation, byte flips, deleted and duplicated
keys, wrong types, huge and non-finite numbers, deep nesting, huge sizes, UTF-16/32 and
byte-order marks, binary garbage, images outside the lesson folder. Each mutant is
loaded in a worker process with a timeout (a hang) and a memory limit; a dead worker is a
crash. Every outcome is one of

* ``accepted``       the loader returned and the result works (saves again, trains a step);
* ``clean``          the documented error (ExperimentError, NetworkFileError, DatasetError,
                     lesson problems) with a message naming the file;
* ``unnamed``        the documented error, but the message does not name the file;
* ``accepted-bad``   accepted, then saving or training it failed;
* ``other``          any other exception (the traceback's last line is kept);
* ``hang``/``crash`` the worker did not answer in time / died.

``python benchmarks/fuzz.py --n 2000 --seed 1`` runs 2,000 mutants per format plus 200
command lines and prints a table (``--json FILE`` writes the outcomes and examples).
The same seed gives the same mutants.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FORMATS = ("experiment", "network", "lesson", "csv")
OUTCOMES = ("accepted", "clean", "unnamed", "accepted-bad", "other", "hang", "crash")
MEMORY_LIMIT = 3 * 1024**3  # bytes of address space per worker (a MemoryError, not a swap)

# -- seed files -------------------------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def make_seeds(folder: Path) -> dict[str, list[Path]]:
    """Real files of every format in ``folder`` (written by neuroviz itself)."""
    import numpy as np

    from neuroviz.engine import Network
    from neuroviz.experiment import (
        DatasetSettings,
        Experiment,
        Hyperparameters,
        LossHistory,
        default_spec,
        save_experiment,
    )
    from neuroviz.fileio import atomic_write_json
    from neuroviz.resources import asset_path, lessons_dir

    folder.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, list[Path]] = defaultdict(list)
    net = Network.from_spec(default_spec(), seed=3)
    history = LossHistory()
    for epoch in range(6):
        history.append(epoch, 0.7 - 0.1 * epoch, 0.72 - 0.1 * epoch, 0.5 + 0.05 * epoch,
                       float("nan"))
    experiments = [
        Experiment(),
        Experiment(weights=[(w, b) for w, b in net.get_weights()], history=history, epoch=6,
                   seed=3, hyperparameters=Hyperparameters(optimizer="adam", batch_size=16)),
        Experiment(dataset=DatasetSettings(name="penguins", train_ratio=0.7, options={}),
                   spec={"inputs": 4, "layers": [
                       {"type": "dense", "units": 6, "activation": "relu"},
                       {"type": "dense", "units": 3, "activation": "softmax"}],
                         "loss": "softmax_ce"}),
    ]
    for i, experiment in enumerate(experiments):
        seeds["experiment"].append(save_experiment(experiment, folder / f"e{i}.neuroviz.json"))
    for i, spec in enumerate([default_spec(), {"inputs": 2, "layers": [
            {"type": "dense", "units": 3, "activation": "softmax"}], "loss": "softmax_ce"}]):
        net = Network.from_spec(spec, seed=i)
        data = {"format": "neuroviz-network", "schema_version": 1, "spec": net.spec, "seed": i,
                "weights": [[w.tolist(), b.tolist()] for w, b in net.get_weights()],
                "dataset": {"name": "circle", "noise": 0.0, "train_ratio": 0.5, "seed": i},
                "result": {"train_loss": 0.1, "test_loss": 0.2, "metric": "accuracy",
                           "train_metric": 0.9, "test_metric": 0.8, "epochs": 10}}
        seeds["network"].append(atomic_write_json(folder / f"n{i}.json", data))
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "dot.png").write_bytes(PNG)
    for lesson in sorted(lessons_dir().glob("[0-9]*.md"))[:6]:
        seeds["lesson"].append(Path(shutil.copy(lesson, folder / lesson.name)))
    rows = ["a,b,c,label"] + [f"{i % 7},{(i * 3) % 11 / 4},{i / 9:.3f},{'xy'[i % 2]}"
                              for i in range(40)]
    (folder / "small.csv").write_text("\n".join(rows) + "\n")
    reg = ["x,y"] + [f"{i / 10},{np.sin(i / 10):.4f}" for i in range(60)]
    (folder / "reg.csv").write_text("\n".join(reg) + "\n")
    seeds["csv"] += [folder / "small.csv", folder / "reg.csv",
                     Path(shutil.copy(asset_path("penguins", "penguins.csv"),
                                      folder / "penguins.csv"))]
    return dict(seeds)


# -- mutations --------------------------------------------------------------------------------

HUGE_NUMBERS = ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "18446744073709551616",
                "1" + "0" * 30, "9" * 5000, "2147483648", "-1", "0", "1e308", "-1e308",
                "4096", "5000", "99999999999999999999"]
TOML_NUMBERS = ["inf", "-inf", "nan", "18446744073709551616", "9" * 5000, "1e999",
                "1" + "0" * 30, "-1", "0", "4096", "1e308", "2147483648"]
OUTSIDE_IMAGES = ["/etc/hostname.png", "../outside.png", "file:///etc/passwd.png",
                  "images/fifo.png", "images/../../x.png", "asset:../../etc/x.png",
                  "http://example.com/x.png", "images/missing.png", "images"]


def _json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _json_paths(sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value[:6]):
            yield from _json_paths(sub, (*path, i))


def _set(value, path, new):
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return value


def _delete(value, path):
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return value


def _wrong_value(rng: random.Random):
    return rng.choice([None, True, "text", "", [], {}, [1, 2], {"a": 1}, -1, 0, 0.5,
                       10**6, ["dense"], [[]], "\u202e\ud7ff", 3.5])


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    """One structural mutation of a JSON document (falls back to byte mutations)."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return mutate_bytes(data, rng)
    paths = list(_json_paths(doc))
    path = rng.choice(paths[1:] or paths)
    kind = rng.randrange(8)
    if kind == 0 and path:
        doc = _delete(doc, path)
    elif kind == 1:
        doc = _set(doc, path, _wrong_value(rng))
    elif kind == 2:  # a huge or non-finite number, spliced in as text
        marker = "__FUZZ_NUMBER__"
        text = json.dumps(_set(doc, path, marker))
        return text.replace(f'"{marker}"', rng.choice(HUGE_NUMBERS)).encode()
    elif kind == 3:  # deep nesting
        depth = rng.choice([50, 1000, 100_000])
        marker = "__FUZZ_DEEP__"
        text = json.dumps(_set(doc, path, marker))
        return text.replace(f'"{marker}"', "[" * depth + "1" + "]" * depth).encode()
    elif kind == 4:  # huge sizes
        big = rng.choice([
            list(range(200_000)),
            [{"type": "dense", "units": 4096, "activation": "relu"}] * rng.choice([3, 100]),
            [{"type": "dense", "units": 2, "activation": "tanh"}] * 5000,
            [[0.0] * 4096] * 64, "x" * 2_000_000, '\\"' * 1_000_000, "[" * 100_000])
        doc = _set(doc, path, big)
    elif kind == 5:  # duplicated key, textually
        text = json.dumps(doc)
        match = rng.choice(list(re.finditer(r'"(\w+)": ', text)) or [None])
        if match is not None:
            text = text[:match.start()] + f'"{match.group(1)}": {json.dumps(_wrong_value(rng))}, ' \
                + text[match.start():]
        return text.encode()
    elif kind == 6:  # a network field set to something extreme
        for key, value in (("seed", 2**64), ("batch_size", 2**31), ("epoch", -5),
                           ("units", 0), ("inputs", 4097), ("learning_rate", 1e-320)):
            hits = [p for p in paths if p and p[-1] == key]
            if hits and rng.random() < 0.5:
                doc = _set(doc, rng.choice(hits), value)
                break
    else:
        return mutate_bytes(json.dumps(doc, indent=1).encode(), rng)
    return json.dumps(doc, indent=rng.choice([None, 1])).encode()


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One byte-level mutation: truncation, flips, insertions, encodings, garbage."""
    kind = rng.randrange(9)
    n = len(data)
    if kind == 0:
        return data[:rng.randrange(n + 1)]
    if kind == 1:
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if out:
                out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 2:
        i, j = sorted(rng.randrange(n + 1) for _ in range(2))
        return data[:i] + data[i:j] * rng.randint(2, 5) + data[j:]
    if kind == 3:
        i, j = sorted(rng.randrange(n + 1) for _ in range(2))
        return data[:i] + data[j:]
    if kind == 4:
        text = data.decode("utf-8", "replace")
        return text.encode(rng.choice(["utf-16", "utf-32", "utf-16-le", "utf-32-be",
                                       "utf-8-sig", "latin-1"]), "replace")
    if kind == 5:
        return rng.randbytes(rng.choice([0, 1, 100, 10_000]))
    if kind == 6:
        return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\x00\x00\xfe\xff", b"\x00"]) + data
    if kind == 7:
        i = rng.randrange(n + 1)
        return data[:i] + rng.choice([b"\x00", b"\xff\xfe", b"\r", b"\"", b"[", b"{", b"\\u",
                                      b"\xed\xa0\x80"]) * rng.randint(1, 50) + data[i:]
    return data * rng.randint(2, 4)


def mutate_lesson(data: bytes, rng: random.Random) -> bytes:
    """Lesson-aware mutations: TOML values, nesting, types, and images in every text field."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return mutate_bytes(data, rng)
    kind = rng.randrange(9)
    if kind == 0:  # a number becomes huge or non-finite
        numbers = list(re.finditer(r"(?<=[=\[,] )-?\d+(\.\d+)?", text))
        if numbers:
            m = rng.choice(numbers)
            return (text[:m.start()] + rng.choice(TOML_NUMBERS) + text[m.end():]).encode()
    if kind == 1:  # a value becomes deeply nested
        values = list(re.finditer(r"(?<== )[^\n]+", text))
        if values:
            m = rng.choice(values)
            depth = rng.choice([20, 500, 5000])
            nested = rng.choice(["[" * depth + "1" + "]" * depth,
                                 "{a = " * depth + "1" + "}" * depth])
            return (text[:m.start()] + nested + text[m.end():]).encode()
    if kind == 2:  # a value of the wrong type
        values = list(re.finditer(r"(?<== )[^\n]+", text))
        if values:
            m = rng.choice(values)
            wrong = rng.choice(['["dense"]', "{ a = 1 }", "true", '""', "[]", "-1", "1.5",
                                '"\u202e"', "[[1], [2]]", "{}"])
            return (text[:m.start()] + wrong + text[m.end():]).encode()
    if kind == 3:  # the unhashable layer type of the review
        return text.replace('{ type = "dense"', '{ type = ["dense"]', 1).replace(
            'units = ', 'type = ["dense"], units = ', 1 if rng.random() < 0.5 else 0).encode()
    if kind == 4:  # an image in a text field
        ref = rng.choice(OUTSIDE_IMAGES + ["images/dot.png"] * 2)
        form = rng.choice([f"![x]({ref})", f'<img src="{ref}">', f"<img src={ref}>",
                           f"<img src='{ref}'>", f"![x][r]\n\n[r]: {ref}"])
        where = rng.choice(["title", "summary", "heading", "hint", "text"])
        if where in ("title", "summary"):
            text = re.sub(rf'^{where} = "', lambda _: f'{where} = "{form} ', text, count=1,
                          flags=re.M)
        elif where == "heading":
            text = re.sub(r"^## ", lambda _: f"## {form} ", text, count=1, flags=re.M)
        elif where == "hint":
            text = re.sub(r'hints = \["', lambda _: f'hints = ["{form} ', text, count=1)
        else:
            text = text.rstrip() + "\n\n" + form + "\n"
        return text.encode()
    if kind == 5:  # huge sizes
        return rng.choice([data * 400, data + b"x" * 2_000_000,
                           # inputs that make naive patterns scan quadratically
                           data + rng.choice([b"<img ", b"![", b"![x](", b"[r]: ", b'"\\',
                                              b"<img src="]) * 150_000,
                           text.replace("units = ", "units = 4096, _u = ", 1).encode(),
                           text.replace('"dense"', '"dense", units = 4096', 3).encode()])
    if kind == 6:  # a deleted or duplicated line
        lines = text.splitlines(keepends=True) or [""]
        i = rng.randrange(len(lines))
        lines[i:i + 1] = [] if rng.random() < 0.5 else [lines[i]] * 2
        return "".join(lines).encode()
    if kind == 7:  # dotted keys nested deeply
        return text.replace("+++\n", "+++\n" + ".".join(["k"] * rng.choice([20, 3000]))
                            + " = 1\n", 1).encode()
    return mutate_bytes(data, rng)


def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    """CSV-aware mutations: columns, rows, extreme values, missing cells."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return mutate_bytes(data, rng)
    if len(lines) < 2:
        return mutate_bytes(data, rng)
    kind = rng.randrange(8)
    if kind == 0:  # many columns
        k = rng.choice([100, 5002])
        head = ",".join(f"c{i}" for i in range(k))
        return "\n".join([head + "," + lines[0]] + [",".join(["1"] * k) + "," + row
                                                    for row in lines[1:]]).encode()
    if kind == 1:  # an extreme value in one cell
        rows = [row.split(",") for row in lines]
        r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
        if c < len(rows[r]):
            rows[r][c] = rng.choice(["1e308", "-1e308", "inf", "nan", "1e999", "9" * 400,
                                     "0x10", "", "1,5", "\"", "1e-320"])
        return "\n".join(",".join(row) for row in rows).encode()
    if kind == 2:  # few rows
        return "\n".join(lines[:rng.randint(0, 5)]).encode()
    if kind == 3:  # many rows
        return "\n".join(lines + lines[1:] * rng.choice([10, 400])).encode()
    if kind == 4:  # a ragged or missing cell
        i = rng.randrange(1, len(lines))
        lines[i] = lines[i].rsplit(",", 1)[0] if rng.random() < 0.5 else lines[i] + ",7"
        return "\n".join(lines).encode()
    if kind == 5:  # the target: one class, many classes, a huge value
        rows = [row.split(",") for row in lines]
        choice = rng.randrange(3)
        for k, row in enumerate(rows[1:]):
            row[-1] = ["same", f"class{k}", "1e200" if k == 3 else row[-1]][choice]
        return "\n".join(",".join(row) for row in rows).encode()
    if kind == 6:  # a column of 0 and 1e308
        rows = [row.split(",") for row in lines]
        for k, row in enumerate(rows[1:]):
            row[0] = "1e308" if k % 2 else "0"
        return "\n".join(",".join(row) for row in rows).encode()
    return mutate_bytes(data, rng)


MUTATORS = {"experiment": mutate_json, "network": mutate_json, "lesson": mutate_lesson,
            "csv": mutate_csv}


def make_mutant(fmt: str, seeds: list[Path], rng: random.Random, folder: Path,
                index: int) -> Path:
    source = rng.choice(seeds)
    data = source.read_bytes()
    for _ in range(rng.choice([1, 1, 1, 2])):
        data = MUTATORS[fmt](data, rng) if rng.random() < 0.8 else mutate_bytes(data, rng)
    suffix = {"experiment": ".neuroviz.json", "network": ".json", "lesson": ".md",
              "csv": ".csv"}[fmt]
    path = folder / f"m{index:05d}{suffix}"
    path.write_bytes(data)
    return path


# -- loading one mutant (in a worker) ---------------------------------------------------------


def _named(message: str, path: Path) -> bool:
    return path.name in message or str(path) in message


def load_one(fmt: str, path: str) -> tuple[str, str]:
    """Load one file as neuroviz does; ``(outcome, detail)``."""
    path = Path(path)
    if fmt == "experiment":
        from neuroviz.experiment import ExperimentError, load_experiment, save_experiment

        try:
            experiment = load_experiment(path)
        except ExperimentError as exc:
            return ("clean" if _named(str(exc), path) else "unnamed"), str(exc)[:300]
        try:
            save_experiment(experiment, path.with_suffix(".again.json"))
            _train_experiment(experiment)
        except Exception as exc:  # noqa: BLE001 - the fuzzer's whole point
            return "accepted-bad", f"{type(exc).__name__}: {str(exc)[:300]}"
        return "accepted", ""
    if fmt == "network":
        import numpy as np

        from neuroviz import cli

        error = getattr(cli, "NetworkFileError", ValueError)  # ValueError before it existed
        try:
            net = cli.load_network_file(str(path))
        except error as exc:
            return ("clean" if _named(str(exc), path) else "unnamed"), str(exc)[:300]
        try:
            out = net.predict(np.zeros((3, net.n_inputs)))
            if not np.all(np.isfinite(out)):
                raise ValueError("non-finite predictions")
        except Exception as exc:  # noqa: BLE001
            return "accepted-bad", f"{type(exc).__name__}: {str(exc)[:300]}"
        return "accepted", ""
    if fmt == "lesson":
        from neuroviz.lessons import loader

        unexpected = getattr(loader, "UNEXPECTED_PROBLEM", "\0")
        lesson, problems = loader.read_lesson(path)
        if lesson is not None:
            return "accepted", ""
        text = "; ".join(str(p) for p in problems)
        if any(unexpected in p.reason for p in problems):
            return "other", text[:400]
        named = all(_named(p.file, path) for p in problems) and problems
        return ("clean" if named else "unnamed"), text[:300]
    if fmt == "csv":
        from neuroviz.data import DatasetError, load_csv

        try:
            ds = load_csv(path)
        except DatasetError as exc:
            return ("clean" if _named(str(exc), path) else "unnamed"), str(exc)[:300]
        try:
            _train_dataset(ds)
        except Exception as exc:  # noqa: BLE001
            return "accepted-bad", f"{type(exc).__name__}: {str(exc)[:300]}"
        return "accepted", ""
    raise ValueError(fmt)


def _train_dataset(ds, spec=None, seed=0, **hyper) -> None:
    import numpy as np

    from neuroviz.cli import build_spec
    from neuroviz.engine import Network, Trainer

    net = Network.from_spec(spec or build_spec(ds, [4], "tanh"), seed=seed)
    trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, task=ds.task,
                      seed=seed, **hyper)
    snap = trainer.run(2)
    if not np.isfinite(snap.train_loss):
        raise ValueError(f"the first steps gave a loss of {snap.train_loss}")


def _train_experiment(experiment) -> None:
    from neuroviz.engine import Network, Trainer
    from neuroviz.experiment import load_dataset_for

    ds = load_dataset_for(experiment.dataset)
    hp = experiment.hyperparameters
    net = Network.from_spec(experiment.spec, seed=experiment.seed)
    if experiment.weights is not None:
        net.set_weights(experiment.weights)
    trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test, task=ds.task,
                      optimizer=hp.optimizer, lr=hp.learning_rate, batch_size=hp.batch_size,
                      seed=experiment.seed, l1=hp.l1, l2=hp.l2)
    trainer.run(1)


def run_cli(argv: list[str]) -> tuple[str, str]:
    """Run ``neuroviz`` with ``argv`` in this process; a clean exit is status 0, 1 or 2."""
    from neuroviz.cli import main

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(argv)
    except SystemExit as exc:
        status = exc.code
    if status in (0, None):
        return "accepted", ""
    if status in (1, 2) and "Traceback" not in err.getvalue():
        return "clean", err.getvalue().strip()[-300:]
    return "other", f"status {status}: {err.getvalue()[-300:]}"


def _worker(conn) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    sys.setrecursionlimit(3000)
    while True:
        task = conn.recv()
        if task is None:
            return
        fmt, arg = task
        try:
            result = run_cli(arg) if fmt == "cli" else load_one(fmt, arg)
        except BaseException as exc:  # noqa: BLE001
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            result = ("other", f"{type(exc).__name__} at {where}: {str(exc)[:200]}")
        conn.send(result)


class Pool:
    """Worker processes that each load one file at a time, restarted after a hang or crash."""

    def __init__(self, workers: int, timeout: float):
        self.ctx = mp.get_context("spawn")
        self.timeout = timeout
        self.slots = [self._start() for _ in range(workers)]

    def _start(self):
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        proc.start()
        child.close()
        return [proc, parent, None, 0.0]  # process, pipe, task, started

    def run(self, tasks: list) -> list[tuple[str, str]]:
        results: list = [None] * len(tasks)
        queue = list(range(len(tasks)))[::-1]
        busy = 0
        while queue or busy:
            for slot in self.slots:
                if slot[2] is None and queue:
                    index = queue.pop()
                    slot[1].send(tasks[index])
                    slot[2], slot[3] = index, time.monotonic()
                    busy += 1
            for k, slot in enumerate(self.slots):
                proc, pipe, index, started = slot
                if index is None:
                    continue
                if pipe.poll(0.01):
                    try:
                        results[index] = pipe.recv()
                    except (EOFError, OSError):
                        results[index] = ("crash", f"worker died (exit {proc.exitcode})")
                        self._restart(k)
                    else:
                        slot[2] = None
                    busy -= 1
                elif not proc.is_alive():
                    results[index] = ("crash", f"worker died (exit {proc.exitcode})")
                    self._restart(k)
                    busy -= 1
                elif time.monotonic() - started > self.timeout:
                    results[index] = ("hang", f"no answer within {self.timeout:g} s")
                    self._restart(k)
                    busy -= 1
        return results

    def _restart(self, k: int) -> None:
        proc = self.slots[k][0]
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        self.slots[k] = self._start()

    def close(self) -> None:
        for proc, pipe, _, _ in self.slots:
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(None)
            proc.join(5)
            if proc.is_alive():
                proc.kill()


# -- command lines ----------------------------------------------------------------------------

BAD_VALUES = ["99999999999999999999", "18446744073709551616", "1" + "0" * 30, "-1", "0", "nan",
              "inf", "-inf", "1e999", "", "abc", "0x10", "1e-400", "\u0661", "2147483648",
              "1,2,x", "4096,4096,4096", ",".join(["1"] * 80), "5000", "--", "é" * 300]
OPTIONS = ["--epochs", "--seed", "--batch-size", "--lr", "--noise", "--train-ratio", "--layers",
           "--l1", "--l2", "--features", "--dataset", "--activation", "--optimizer", "--save"]


def make_command_lines(n: int, rng: random.Random, folder: Path) -> list[list[str]]:
    lines = []
    for i in range(n):
        argv = ["train", "--quiet", "--epochs", "2", "--dataset", "circle", "--layers", "3"]
        for _ in range(rng.randint(1, 3)):
            option = rng.choice(OPTIONS)
            value = rng.choice(BAD_VALUES)
            if option == "--save":
                value = rng.choice([str(folder), str(folder / "no" / "dir.json"),
                                    str(folder / f"cli{i}.json"), "/proc/version"])
            argv += [f"{option}={value}"] if rng.random() < 0.5 else [option, value]
        if rng.random() < 0.1:
            argv = rng.choice([["lessons", "check", str(folder / "nothing")], ["--nope"],
                               ["train", "--epochs"], ["lessons", "frob"], ["train", "x"]])
        lines.append(argv)
    return lines


# -- driver -----------------------------------------------------------------------------------


def fuzz(n: int, seed: int, workers: int = 2, timeout: float = 20.0, cli: int | None = None,
         folder: Path | None = None, formats=FORMATS) -> dict:
    """Run the fuzzer; returns ``{format: {"counts": {...}, "examples": {...}}}``."""
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="neuroviz-fuzz-")) if own else folder
    try:
        seeds = make_seeds(folder / "seeds")
        if "lesson" in formats:  # a pipe with an image's name, for lessons that point at it
            with contextlib.suppress(OSError, AttributeError):
                os.mkfifo(folder / "seeds" / "images" / "fifo.png")
        rng = random.Random(seed)
        tasks, kinds = [], []
        for fmt in formats:
            # lessons need their images beside them: mutants of a format share the seed folder
            where = folder / "seeds" if fmt == "lesson" else folder / fmt
            where.mkdir(exist_ok=True)
            for _ in range(n):
                path = make_mutant(fmt, seeds[fmt], rng, where, len(tasks))
                tasks.append((fmt, str(path)))
                kinds.append(fmt)
        n_cli = n // 10 if cli is None else cli
        for argv in make_command_lines(n_cli, rng, folder):
            tasks.append(("cli", argv))
            kinds.append("cli")
        pool = Pool(workers, timeout)
        try:
            results = pool.run(tasks)
        finally:
            pool.close()
        report: dict = {}
        for kind, task, (outcome, detail) in zip(kinds, tasks, results, strict=True):
            entry = report.setdefault(kind, {"counts": Counter(), "examples": {}})
            entry["counts"][outcome] += 1
            if outcome != "accepted":
                entry["examples"].setdefault(outcome, []).append(
                    {"input": task[1] if kind == "cli" else Path(task[1]).name,
                     "detail": detail})
        return report
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)


def print_report(report: dict) -> None:
    print(f"{'format':<12}" + "".join(f"{o:>13}" for o in OUTCOMES))
    for kind, entry in report.items():
        print(f"{kind:<12}" + "".join(f"{entry['counts'].get(o, 0):>13}" for o in OUTCOMES))
    for kind, entry in report.items():
        for outcome in ("other", "hang", "crash", "unnamed", "accepted-bad"):
            for example in entry["examples"].get(outcome, [])[:3]:
                print(f"  {kind} {outcome}: {str(example['input'])[:80]}: "
                      f"{example['detail'][:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="mutants per format (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per mutant")
    parser.add_argument("--cli", type=int, default=None, help="command lines (default n/10)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--json", metavar="FILE", help="write the outcomes and examples")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = fuzz(args.n, args.seed, args.workers, args.timeout, args.cli,
                  formats=tuple(args.formats.split(",")))
    print_report(report)
    print(f"{time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=dict))
    bad = sum(e["counts"].get(o, 0) for e in report.values()
              for o in ("other", "hang", "crash", "unnamed", "accepted-bad"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
