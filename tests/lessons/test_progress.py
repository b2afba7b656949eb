"""Progress store: round trip, atomic writes, corrupt files."""

from __future__ import annotations

import json

import pytest

from neuroviz.lessons import ProgressStore


def test_round_trip(tmp_path):
    path = tmp_path / "sub" / "progress.json"
    store = ProgressStore(path)
    assert store.get("single-neuron").step == 1
    store.set_step("single-neuron", 3)
    store.complete_step("single-neuron", 1)
    store.complete_step("single-neuron", 2, n_steps=3)
    store.complete_step("xor", 1)
    again = ProgressStore(path)
    assert again.warning is None
    p = again.get("single-neuron")
    assert p.step == 3 and p.completed == {1, 2} and not p.finished
    again.complete_step("single-neuron", 3, n_steps=3)
    assert ProgressStore(path).get("single-neuron").finished
    assert again.fraction_done("single-neuron", 3) == 1.0
    assert again.fraction_done("xor", 4) == 0.25
    again.forget("xor")
    assert ProgressStore(path).lesson_ids() == ["single-neuron"]


def test_get_returns_a_copy(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.complete_step("a", 1)
    store.get("a").completed.add(99)
    assert store.get("a").completed == {1}


def test_no_temporary_files_left(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    for i in range(1, 6):
        store.set_step("a", i)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.json"]
    assert json.loads((tmp_path / "p.json").read_text())["lessons"]["a"]["step"] == 5


@pytest.mark.parametrize("content", [
    "{not json",
    "",
    "[1, 2, 3]",
    '{"version": 1, "lessons": {"a": {"step": "two"}}}',
    '{"version": 1, "lessons": {"a": {"step": 1, "completed": [0]}}}',
    '{"version": 99, "lessons": {}}',
])
def test_corrupt_file_starts_afresh_and_is_kept_aside(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_text(content)
    store = ProgressStore(path)
    assert store.warning and "unreadable" in store.warning
    assert store.get("a").step == 1
    assert path.read_text() == content  # reading changes nothing
    store.set_step("a", 2)
    assert (tmp_path / "p.json.corrupt").read_text() == content
    fresh = ProgressStore(path)
    assert fresh.warning is None and fresh.get("a").step == 2


def test_bad_step_numbers_are_refused(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    with pytest.raises(ValueError):
        store.set_step("a", 0)
    with pytest.raises(ValueError):
        store.complete_step("a", -1)
