"""The ``neuroviz`` command.

``neuroviz``                    start the app (``--lessons DIR`` adds a folder of lessons)
``neuroviz train ...``          train headless and print the final losses and metrics
``neuroviz bench``              compare the Numba engine with the NumPy reference
``neuroviz lessons check ...``  validate lesson files
"""

from __future__ import annotations

import argparse
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
def _parse_layers(text: str) -> list[int]:
    text = text.strip()
    if text in ("", "0", "none"):
        return []
    try:
        units = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--layers expects hidden layer sizes like 8,8 (or 0 for none), got {text!r}") from None
    if any(u < 1 for u in units):
        raise argparse.ArgumentTypeError(f"--layers sizes must be at least 1, got {text!r}")
    return units


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
    from neuroviz.engine import Network, Trainer
    from neuroviz.fileio import atomic_write_json

    prog = "neuroviz train"
    options: dict[str, Any] = {}
    if args.features:
        options["features"] = args.features
    try:
        ds = load_dataset(args.dataset, noise=args.noise, train_ratio=args.train_ratio,
                          seed=args.seed, **options)
        spec = build_spec(ds, args.layers, args.activation)
        net = Network.from_spec(spec, seed=args.seed)
        trainer = Trainer(net, ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                          optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                          seed=args.seed, l1=args.l1, l2=args.l2, task=ds.task)
    except ValueError as exc:
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
        print(snap.message)
    metric = "accuracy" if snap.metric_name == "accuracy" else "R²"
    print(f"dataset {ds.name}  network {net}  {trainer.step} steps, {trainer.epoch} epochs "
          f"in {elapsed:.2f} s")
    print(f"train loss {snap.train_loss:.4f}  train {metric} {snap.train_metric:.4f}")
    if snap.test_loss is not None:
        print(f"test  loss {snap.test_loss:.4f}  test  {metric} {snap.test_metric:.4f}")
    if args.save:
        data = {"format": "neuroviz-network", "schema_version": 1, "spec": net.spec,
                "seed": args.seed,
                "weights": [[W.tolist(), b.tolist()] for W, b in net.get_weights()],
                "dataset": getattr(ds, "settings", {"name": ds.name}),
                "result": {"train_loss": snap.train_loss, "test_loss": snap.test_loss,
                           "metric": snap.metric_name, "train_metric": snap.train_metric,
                           "test_metric": snap.test_metric, "epochs": trainer.epoch}}
        try:
            atomic_write_json(args.save, data)
        except OSError as exc:
            return _fail(prog, f"cannot write {args.save}: {exc.strerror or exc}")
        print(f"saved {args.save}")
    return 1 if snap.diverged else 0


def load_network_file(path: str) -> Any:
    """Read a network saved by ``neuroviz train --save``; ValueError names the problem."""
    import json

    from neuroviz.engine import Network

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != "neuroviz-network":
        raise ValueError(f"{path}: not a neuroviz network file")
    try:
        net = Network.from_spec(data["spec"], seed=int(data.get("seed", 0)))
        net.set_weights([(w, b) for w, b in data["weights"]])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: missing or malformed field {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return net


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
    train.add_argument("--lr", type=float, default=0.03, help="learning rate (default 0.03)")
    train.add_argument("--batch-size", type=int, default=10)
    train.add_argument("--epochs", type=int, default=300)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--noise", type=float, default=0.0, help="0 to 0.5 (2-D sets)")
    train.add_argument("--train-ratio", type=float, default=0.5, help="0.1 to 0.9")
    train.add_argument("--features", type=_parse_features, default=None,
                       help="2-D input features, e.g. x1,x2,sin x1")
    train.add_argument("--l1", type=float, default=0.0)
    train.add_argument("--l2", type=float, default=0.0)
    train.add_argument("--save", metavar="FILE", help="write the trained network as JSON")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
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
    args = parser.parse_args(argv)
    if args.command == "train":
        if args.epochs < 1:
            return _fail("neuroviz train", f"--epochs must be at least 1, got {args.epochs}")
        return cmd_train(args)
    if args.command == "bench":
        from neuroviz.bench import run_benchmark

        return run_benchmark(quick=args.quick, startup=not args.no_startup)
    return start_app(args.lessons)


if __name__ == "__main__":
    sys.exit(main())
