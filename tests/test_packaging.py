"""A non-editable install ships assets/ and lessons/ and finds them from anywhere."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                             "-w", str(out), str(ROOT)], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stderr[-2000:]}")
    return next(out.glob("neuroviz-*.whl"))


def test_wheel_carries_assets_and_lessons(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "neuroviz/_assets/penguins/penguins.csv" in names
    assert "neuroviz/_assets/digits/digits.csv.gz" in names
    shipped = {p.relative_to(ROOT / "lessons").as_posix()
               for p in (ROOT / "lessons").rglob("*") if p.is_file()}
    assert shipped and {f"neuroviz/_lessons/{s}" for s in shipped} <= names


def test_installed_copy_finds_its_data_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(target), str(wheel)], check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import neuroviz, neuroviz.resources as r; from neuroviz.data import load_dataset; "
            "from neuroviz.lessons import check_paths; "
            "print(neuroviz.__file__); print(r.assets_dir()); print(r.lessons_dir()); "
            "print(load_dataset('penguins').X_train.shape[0] > 0); "
            "print(len(check_paths([str(r.lessons_dir())])))")
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    module, assets, lessons, loaded, problems = result.stdout.split("\n")[:5]
    assert module.startswith(str(target))
    assert assets == str(target / "neuroviz" / "_assets")
    assert lessons == str(target / "neuroviz" / "_lessons")
    assert loaded == "True" and problems == "0"
