"""Helpers for lesson tests: write small lesson files into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

FRONT = """\
+++
schema_version = 1
id = "tiny"
title = "Tiny"
summary = "A tiny lesson for tests."
level = "beginner"
minutes = 5
+++
"""

FIRST_SETTINGS = """\
[preset]
dataset = { name = "xor", noise = 0.0 }
network = { inputs = 2, loss = "bce", layers = [
  { type = "dense", units = 4, activation = "tanh" },
  { type = "dense", units = 1, activation = "sigmoid" },
] }
training = { optimizer = "adam", learning_rate = 0.03 }

[goal]
metric = "test_accuracy"
compare = ">="
value = 0.9

[solution]
epochs = 60
"""


def make_lesson(front: str = FRONT, steps: list[tuple[str, str | None, str]] | None = None,
                ) -> str:
    """Lesson source from front matter and (title, toml settings or None, text) steps."""
    if steps is None:
        steps = [("Solve XOR", FIRST_SETTINGS, "Press play.")]
    parts = [front]
    for title, settings, text in steps:
        parts.append(f"\n## {title}\n")
        if settings is not None:
            parts.append(f"\n```toml\n{textwrap.dedent(settings).strip()}\n```\n")
        parts.append(f"\n{text}\n")
    return "".join(parts)


@pytest.fixture
def write_lesson(tmp_path: Path):
    """``write_lesson(source, name="tiny.md")`` writes a lesson file and returns its path."""

    def write(source: str, name: str = "tiny.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        return path

    return write
