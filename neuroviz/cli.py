"""The ``neuroviz`` command.

``neuroviz``                    start the app (``--lessons DIR`` adds a folder of lessons)
``neuroviz train ...``          train headless and print the final losses and metrics
``neuroviz export ...``         write a saved network as ONNX or as a PyTorch script
``neuroviz bench``              compare the Numba engine with the NumPy reference
``neuroviz lessons check ...``  validate lesson files
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

from neuroviz import __version__


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one clear line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


# -- train ------------------------------------------------------------------------------------
#: The most epochs one ``neuroviz train`` run may ask for.
MAX_EPOCHS = 1_000_000


def _parse_layers(text: str) -> list[int]:
    text = text.strip()
    if text in ("", "0", "none"):
        return []
    from neuroviz.engine.network import MAX_LAYERS, MAX_UNITS

    parts = [part.strip() for part in text.split(",")]
    if not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise argparse.ArgumentTypeError(
            f"--layers expects hidden layer sizes like 8,8 (or 0 for none), got {text[:60]!r}")
    units = [int(part) for part in parts]
    if any(not 1 <= u <= MAX_UNITS for u in units):
        raise argparse.ArgumentTypeError(
            f"--layers sizes must be from 1 to {MAX_UNITS}, got {text[:60]!r}")
    if len(units) >= MAX_LAYERS:
        raise argparse.ArgumentTypeError(
            f"--layers: at most {MAX_LAYERS - 1} hidden layers, got {len(units)}")
    return units


def _bounded_int(name: str, low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high`` (checked before int())."""
    def parse(text: str) -> int:
        digits = text.strip().lstrip("+-")
        if not digits.isdigit() or len(digits) > 19:
            raise argparse.ArgumentTypeError(
                f"{name} expects a whole number from {low:,} to {high:,}, got {text[:40]!r}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be from {low:,} to {high:,}, got {value:,}")
        return value
    return parse


def _finite_float(name: str, low: float, high: float):
    """An argparse type: a finite number from ``low`` to ``high``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} expects a number, got {text[:40]!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number, got {text[:40]}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be from {low:g} to {high:g}, "
                                             f"got {text[:40]}")
        return value
    return parse


def _parse_features(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_spec(ds: Any, hidden: list[int], activation: str) -> dict[str, Any]:
    """A network spec for a dataset: the hidden layers, then the dataset's output layer."""
    layers = [{"type": "dense", "units": u, "activation": activation} for u in hidden]
    layers.append({"type": "dense", "units": ds.n_outputs, "activation": ds.output_activation})
    return {"inputs": ds.X_train.shape[1], "layers": layers, "loss": ds.loss}


def _progress(epoch: int, total: int, snap: Any, started: float) -> None:
    width = 30
    filled = int(width * epoch / total)
    bar = "#" * filled + "." * (width - filled)
    sys.stderr.write(f"\r[{bar}] epoch {epoch}/{total}  train loss {snap.train_loss:.4f}  "
                     f"{time.perf_counter() - started:5.1f} s")
    sys.stderr.flush()


def cmd_train(args: argparse.Namespace) -> int:
    from neuroviz.data import load_dataset
    from neuroviz.engine import Network, Trainer, normalise_spec
    from neuroviz.experiment import ExperimentError, check_spec_size
    from neuroviz.fileio import atomic_write_json

    prog = "neuroviz train"
    options: dict[str, Any] = {}
    if args.features:
        options["features"] = args.features
    try:
        ds = load_dataset(args.dataset, noise=args.noise, train_ratio=args.train_ratio,
                          seed=args.seed, **options)
        spec = build_spec(ds, args.layers, args.activation)
        try:
            check_spec_size(spec, "")
        except ExperimentError as exc:
            return _fail(prog, f"--layers: {exc}")
        normalise_spec(spec)  # every limit checked before anything is allocated
        net = Network.from_spec(spec, seed=args.seed)
        trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                          optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                          seed=args.seed, l1=args.l1, l2=args.l2, task=ds.task)
    except (ValueError, ExperimentError, OverflowError) as exc:
        return _fail(prog, str(exc))
    started = time.perf_counter()
    chunk = max(1, args.epochs // 50)
    snap = trainer.snapshot()
    show = not args.quiet
    while trainer.epoch < args.epochs and not trainer.diverged:
        snap = trainer.run_epochs(min(chunk, args.epochs - trainer.epoch))
        if show:
            _progress(trainer.epoch, args.epochs, snap, started)
    if show:
        sys.stderr.write("\n")
    elapsed = time.perf_counter() - started
    if snap.diverged:
        snap = trainer.snapshot()  # losses of the last finite weights, which the trainer kept
        print(f"{prog}: training diverged at epoch {trainer.epoch} of {args.epochs}: "
              f"{snap.message or 'the loss became NaN or infinite'}", file=sys.stderr)
    metric = "accuracy" if snap.metric_name == "accuracy" else "R²"
    print(f"dataset {ds.name}  network {net}  {trainer.step} steps, {trainer.epoch} epochs "
          f"in {elapsed:.2f} s")
    print(f"train loss {_fmt(snap.train_loss)}  train {metric} {_fmt(snap.train_metric)}")
    if snap.test_loss is not None:
        print(f"test  loss {_fmt(snap.test_loss)}  test  {metric} {_fmt(snap.test_metric)}")
    if args.save:
        data = {"format": "neuroviz-network", "schema_version": 1, "spec": net.spec,
                "seed": args.seed,
                "weights": [[W.tolist(), b.tolist()] for W, b in net.get_weights()],
                "dataset": getattr(ds, "settings", {"name": ds.name}),
                "result": {"train_loss": _finite(snap.train_loss),
                           "test_loss": _finite(snap.test_loss),
                           "metric": snap.metric_name,
                           "train_metric": _finite(snap.train_metric),
                           "test_metric": _finite(snap.test_metric), "epochs": trainer.epoch,
                           "diverged": bool(snap.diverged)}}
        try:
            atomic_write_json(args.save, data)
        except (OSError, ValueError) as exc:
            return _fail(prog, f"cannot write {args.save}: "
                               f"{getattr(exc, 'strerror', None) or exc}")
        if snap.diverged:
            print(f"saved the last finite weights (before the divergence, epoch "
                  f"{trainer.epoch}) to {args.save}")
        else:
            print(f"saved {args.save}")
    return 1 if snap.diverged else 0


def _finite(value: Any) -> Any:
    return value if value is None or math.isfinite(value) else None


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}"


class NetworkFileError(ValueError):
    """A file that cannot be opened as a saved network; the message names file and field."""


#: Limits of a network file (``neuroviz train --save``), checked before parsing deeply.
NETWORK_MAX_BYTES = 64 * 1024 * 1024
NETWORK_MAX_DEPTH = 32


def load_network_file(path: str) -> Any:
    """Read a network saved by ``neuroviz train --save``.

    Raises :class:`NetworkFileError` (a ValueError) naming the file and the field.
    """
    import json
    from pathlib import Path

    from neuroviz.engine import Network, normalise_spec
    from neuroviz.experiment import MAX_SEED, ExperimentError, check_spec_size
    from neuroviz.fileio import FileLimitError, find_bad_number, load_json, read_text_limited

    name = Path(path).name

    def fail(message: str) -> NetworkFileError:
        return NetworkFileError(f"{name}: {message}")

    try:
        text = read_text_limited(path, NETWORK_MAX_BYTES)
        data = load_json(text, NETWORK_MAX_DEPTH)
    except FileNotFoundError:
        raise fail(f"file not found ({path})") from None
    except FileLimitError as exc:
        raise fail(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise fail(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != "neuroviz-network":
        raise fail("not a neuroviz network file (no \"format\": \"neuroviz-network\")")
    bad = find_bad_number({k: data.get(k) for k in ("spec", "seed", "weights")})
    if bad is not None:
        raise fail(f"{bad[0]}: {bad[1]}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise fail(f"seed: expected a whole number from 0 to {MAX_SEED}, got "
                   f"{type(seed).__name__} {str(seed)[:30]}")
    if "spec" not in data or "weights" not in data:
        raise fail(f"{'spec' if 'spec' not in data else 'weights'}: missing")
    try:
        check_spec_size(data["spec"], "spec")
        normalise_spec(data["spec"])
        net = Network.from_spec(data["spec"], seed=seed)
    except ExperimentError as exc:
        raise fail(str(exc)) from None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise fail(f"spec: {exc}") from None
    weights = data["weights"]
    if not isinstance(weights, list) or len(weights) != len(net.spec["layers"]):
        raise fail(f"weights: expected a list of {len(net.spec['layers'])} [W, b] pairs")
    for index, pair in enumerate(weights):
        if not isinstance(pair, list) or len(pair) != 2:
            raise fail(f"weights[{index}]: expected a pair [W, b]")
    try:
        net.set_weights([(w, b) for w, b in weights])
    except (ValueError, TypeError, OverflowError) as exc:
        raise fail(f"weights: {exc}") from None
    return net


# -- export -----------------------------------------------------------------------------------
def load_export_source(path: str) -> Any:
    """The network (with weights, data and settings) of a saved experiment
    (``*.neuroviz.json``) or a ``neuroviz train --save`` network file.

    Raises a ValueError (ExperimentError, NetworkFileError) naming the file and the field.
    """
    from pathlib import Path

    from neuroviz.experiment import MAX_FILE_BYTES, MAX_JSON_DEPTH, load_experiment
    from neuroviz.export import ExportSource, dataset_arrays, source_from_experiment
    from neuroviz.fileio import load_json, read_text_limited

    try:
        raw = load_json(read_text_limited(path, MAX_FILE_BYTES), MAX_JSON_DEPTH)
    except Exception:  # noqa: BLE001 - the loaders below report the problem with the file
        raw = None
    if not (isinstance(raw, dict) and raw.get("format") == "neuroviz-network"):
        return source_from_experiment(load_experiment(path))
    net = load_network_file(path)
    source = ExportSource(net, training={"optimizer": "adam", "learning_rate": 0.03,
                                         "batch_size": 10})
    settings = raw.get("dataset")
    try:
        from neuroviz.data import load_dataset

        if not isinstance(settings, dict) or not isinstance(settings.get("name"), str):
            raise ValueError("no dataset settings")
        kwargs = {k: v for k, v in settings.items() if v is not None and k != "name"}
        ds = load_dataset(settings["name"], **kwargs)
        if ds.X_train.shape[1] != net.n_inputs or ds.Y_train.shape[1] != net.n_outputs:
            raise ValueError("the dataset does not fit the network")
        source.data = dataset_arrays(ds)
    except Exception as exc:  # noqa: BLE001 - the data is optional: report and go on
        source.notes.append(f"{Path(path).name}: dataset: {exc}; the training data is "
                            f"left out")
    return source


def cmd_export(args: argparse.Namespace) -> int:
    from neuroviz.export import ExportError, export_onnx, export_torch

    prog = "neuroviz export"
    if not args.onnx and not args.torch:
        return _fail(prog, "choose what to write: --onnx OUT.onnx and/or --torch OUT.py")
    try:
        source = load_export_source(args.input)
    except (ValueError, OSError) as exc:
        return _fail(prog, str(exc))
    for note in source.notes:
        print(f"{prog}: note: {note}", file=sys.stderr)
    try:
        if args.onnx:
            path = export_onnx(source.network, args.onnx,
                               dtype="float32" if args.float32 else "float64")
            print(f"saved {path} (ONNX, {'float32' if args.float32 else 'float64'})")
        if args.torch:
            paths = export_torch(source.network, args.torch, source.data, source.training)
            print(f"saved {', '.join(str(p) for p in paths)} (PyTorch script, weights"
                  f"{', training data' if source.data is not None else ''})")
    except ExportError as exc:
        return _fail(prog, str(exc))
    except OSError as exc:
        return _fail(prog, f"cannot write {exc.filename or ''}: {exc.strerror or exc}")
    return 0


# -- lessons ----------------------------------------------------------------------------------
def cmd_lessons(argv: list[str]) -> int:
    from neuroviz.lessons import cli_check

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: neuroviz lessons check [--run] [PATH ...]\n\n"
              "Validate lesson files (all shipped lessons when no PATH is given) and report\n"
              "every problem as file: step: field: reason.")
        return 0 if argv else 2
    if argv[0] != "check":
        print(f"neuroviz lessons: error: unknown command {argv[0]!r} "
              "(try 'neuroviz lessons check')", file=sys.stderr)
        return 2
    return cli_check(argv[1:])


# -- the app ----------------------------------------------------------------------------------
#: Shared libraries Qt's X11 (xcb) platform plugin loads, and the Debian/Ubuntu packages
#: that provide them. Without one, Qt aborts the process with a terse message.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1", "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0", "xcb-shape": "libxcb-shape0",
    "xcb-randr": "libxcb-randr0", "xkbcommon-x11": "libxkbcommon-x11-0",
    "fontconfig": "libfontconfig1", "EGL": "libegl1",
}


def missing_gui_libraries() -> list[str]:
    """Packages whose libraries Qt's X11 plugin needs but the system lacks (Linux only)."""
    import ctypes.util
    import os

    if not sys.platform.startswith("linux") or os.environ.get("NEUROVIZ_SKIP_LIBRARY_CHECK"):
        return []
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if (platform and not platform.startswith("xcb")) or not os.environ.get("DISPLAY"):
        return []  # offscreen, Wayland or no display: Qt reports its own problem
    return [package for library, package in XCB_LIBRARIES.items()
            if ctypes.util.find_library(library) is None]


def start_app(lesson_dirs: list[str]) -> int:
    missing = missing_gui_libraries()
    if missing:
        print("neuroviz: cannot open a window: Qt needs system libraries that are missing: "
              f"{', '.join(missing)}. Install them (Debian/Ubuntu: "
              f"sudo apt-get install {' '.join(missing)}) and start neuroviz again.",
              file=sys.stderr)
        return 1
    try:
        from neuroviz.app.window.main_window import run
    except ImportError as exc:
        print(f"neuroviz: cannot start the app: {exc}. Install it with 'pip install neuroviz' "
              "(PySide6-Essentials and pyqtgraph are needed).", file=sys.stderr)
        return 1
    return run(["neuroviz", *[f"--lessons={d}" for d in lesson_dirs]])


# -- entry point ------------------------------------------------------------------------------
def make_parser() -> argparse.ArgumentParser:
    from neuroviz.engine import ACTIVATIONS, OPTIMIZERS
    from neuroviz.experiment import MAX_BATCH_SIZE, MAX_SEED

    parser = _Parser(prog="neuroviz", description="See deep learning happen.")
    parser.add_argument("--version", action="version", version=f"neuroviz {__version__}")
    parser.add_argument("--lessons", metavar="DIR", action="append", default=[],
                        help="an extra folder of lessons to offer in the app")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = sub.add_parser("train", help="train a network headless")
    train.add_argument("--dataset", default="spiral", help="dataset name (default spiral)")
    train.add_argument("--layers", type=_parse_layers, default=[8, 8],
                       help="hidden layer sizes, e.g. 8,8; 0 for none (default 8,8)")
    train.add_argument("--activation", default="tanh", choices=ACTIVATIONS,
                       help="hidden activation (default tanh)")
    train.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    train.add_argument("--lr", type=_finite_float("--lr", -math.inf, math.inf), default=0.03,
                       help="learning rate (default 0.03)")
    train.add_argument("--batch-size", type=_bounded_int("--batch-size", 1, MAX_BATCH_SIZE),
                       default=10)
    train.add_argument("--epochs", type=_bounded_int("--epochs", 1, MAX_EPOCHS),
                       default=300, help=f"1 to {MAX_EPOCHS:,} (default 300)")
    train.add_argument("--seed", type=_bounded_int("--seed", 0, MAX_SEED), default=0)
    train.add_argument("--noise", type=_finite_float("--noise", -math.inf, math.inf),
                       default=0.0, help="0 to 0.5 (2-D sets)")
    train.add_argument("--train-ratio", type=_finite_float("--train-ratio", -math.inf, math.inf),
                       default=0.5, help="0.1 to 0.9")
    train.add_argument("--features", type=_parse_features, default=None,
                       help="2-D input features, e.g. x1,x2,sin x1")
    train.add_argument("--l1", type=_finite_float("--l1", 0.0, 10.0), default=0.0)
    train.add_argument("--l2", type=_finite_float("--l2", 0.0, 10.0), default=0.0)
    train.add_argument("--save", metavar="FILE", help="write the trained network as JSON")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    export = sub.add_parser(
        "export", help="write a saved network as ONNX or as a PyTorch script",
        description="Write the trained network of a saved experiment (*.neuroviz.json) or "
                    "of a 'neuroviz train --save' file as an ONNX model and/or a PyTorch "
                    "script (model.py with its weights in model.npz and the training data "
                    "in model_data.npz).")
    export.add_argument("input", metavar="IN", help="a saved experiment or network file")
    export.add_argument("--onnx", metavar="OUT.onnx", help="write an ONNX model "
                        "(needs the onnx package: pip install 'neuroviz[export]')")
    export.add_argument("--float32", action="store_true",
                        help="ONNX in float32 instead of float64 (smaller; agrees to ~1e-6)")
    export.add_argument("--torch", metavar="OUT.py", help="write a PyTorch script, its "
                        "weights and training data beside it")
    bench = sub.add_parser("bench", help="benchmark the engine against the NumPy reference")
    bench.add_argument("--quick", action="store_true", help="shorter runs (less precise)")
    bench.add_argument("--no-startup", action="store_true",
                       help="skip the cold/warm start measurement")
    sub.add_parser("lessons", help="lesson tools: 'neuroviz lessons check [PATH ...]'",
                   add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "lessons":
        return cmd_lessons(argv[1:])
    parser = make_parser()
    for arg in argv:  # argparse turns "--epochs=--" into an empty list instead of an error
        if arg.startswith("--") and arg.endswith("=--"):
            parser.error(f"argument {arg[:-3]}: expected a value, got '--'")
    args = parser.parse_args(argv)
    if args.command == "train":
        if args.epochs < 1:
            return _fail("neuroviz train", f"--epochs must be at least 1, got {args.epochs}")
        return cmd_train(args)
    if args.command == "export":
        return cmd_export(args)
    if args.command == "bench":
        from neuroviz.bench import run_benchmark

        return run_benchmark(quick=args.quick, startup=not args.no_startup)
    return start_app(args.lessons)


if __name__ == "__main__":
    sys.exit(main())
