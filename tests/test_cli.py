"""The headless command line: training results on real datasets, errors, saved files."""

import json
import subprocess
import sys

import numpy as np
import pytest

from neuroviz.cli import load_network_file, main
from neuroviz.data import load_dataset


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "neuroviz", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args,metric,threshold", [
    (["--dataset", "spiral", "--layers", "8,8", "--features", "x1,x2,sin x1,sin x2",
      "--lr", "0.01", "--epochs", "1000", "--seed", "1"], "accuracy", 0.97),
    (["--dataset", "penguins", "--layers", "8", "--lr", "0.01", "--batch-size", "16",
      "--epochs", "200", "--seed", "1"], "accuracy", 0.97),
    (["--dataset", "digits", "--layers", "64", "--activation", "relu", "--lr", "0.003",
      "--batch-size", "32", "--epochs", "60", "--train-ratio", "0.7", "--seed", "1"],
     "accuracy", 0.96),
    (["--dataset", "boxoffice_budget", "--layers", "0", "--noise", "0.1", "--lr", "0.03",
      "--epochs", "300", "--seed", "1"], "R²", 0.95),
])
def test_documented_settings_reach_their_targets(tmp_path, capsys, args, metric, threshold):
    out = tmp_path / "net.json"
    assert main(["train", *args, "--quiet", "--save", str(out)]) == 0
    text = capsys.readouterr().out
    line = next(s for s in text.splitlines() if s.startswith("test "))
    assert f"test  {metric}" in line
    assert float(line.split()[-1]) >= threshold
    # The saved network reproduces the reported test metric on independently loaded data.
    saved = json.loads(out.read_text())
    net = load_network_file(str(out))
    ds = load_dataset(**saved["dataset"])
    pred = net.predict(ds.X_test)
    if metric == "accuracy":
        labels = np.argmax(pred, 1) if pred.shape[1] > 1 else (pred[:, 0] >= 0.5).astype(int)
        truth = np.argmax(ds.Y_test, 1) if pred.shape[1] > 1 else ds.Y_test[:, 0].astype(int)
        value = float(np.mean(labels == truth))
    else:
        value = 1 - np.sum((pred - ds.Y_test) ** 2) / np.sum((ds.Y_test - ds.Y_test.mean()) ** 2)
    assert value == pytest.approx(saved["result"]["test_metric"], abs=1e-9)
    assert value >= threshold


@pytest.mark.parametrize("args,words", [
    (["train", "--dataset", "nope"], "unknown dataset"),
    (["train", "--lr", "abc"], "--lr"),
    (["train", "--lr", "-1"], "learning rate"),
    (["train", "--layers", "8,x"], "--layers"),
    (["train", "--noise", "3"], "noise"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--features", "x9"], "x9"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line_and_status_2(args, words):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_save_is_atomic_and_reports_unwritable_paths(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "dir" / "net.json"
    code = main(["train", "--dataset", "xor", "--epochs", "2", "--quiet", "--save", str(missing)])
    assert code == 2 and "cannot write" in capsys.readouterr().err
    assert not missing.exists()
    target = tmp_path / "net.json"
    target.write_text("old content")
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--quiet",
                 "--save", str(target)]) == 0
    assert json.loads(target.read_text())["format"] == "neuroviz-network"
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temp files left behind


def test_bad_network_files_are_reported(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "neuroviz-network", "spec": {"inputs": 2')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_network_file(str(bad))
    bad.write_text(json.dumps({"format": "neuroviz-network",
                               "spec": {"inputs": 2, "layers": [{"units": 1}]},
                               "weights": [[[[1.0], [2.0], [3.0]], [0.0]]]}))
    with pytest.raises(ValueError, match=r"bad.json: weights\[0\]\[0\]: expected W of shape "
                                         r"\(2, 1\), got \(3, 1\)"):
        load_network_file(str(bad))


def test_progress_bar_goes_to_stderr():
    result = run_cli("train", "--dataset", "circle", "--epochs", "20")
    assert result.returncode == 0
    assert "epoch 20/20" in result.stderr and "test  accuracy" in result.stdout


def test_bench_quick_prints_ratios():
    result = run_cli("bench", "--quick", "--no-startup")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.rstrip().endswith("x")
            or "x  (µs per grid)" in line]
    assert len(rows) == 9  # 6 training cases, 2 convolutional ones and the heatmap case
    assert sum("conv 3x3x8" in row or "conv 8 > conv 16" in row for row in rows) == 2


def test_missing_x11_libraries_give_a_clear_message(monkeypatch, capsys):
    import ctypes.util

    import neuroviz.cli as cli

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library",
                        lambda name: None if name == "xcb-icccm" else (real(name) or "lib.so"))
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("NEUROVIZ_SKIP_LIBRARY_CHECK", raising=False)
    assert cli.missing_gui_libraries() == ["libxcb-icccm4"]
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm4" in err and "apt-get install" in err
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert cli.missing_gui_libraries() == []
