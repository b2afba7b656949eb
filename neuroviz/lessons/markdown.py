"""Split a lesson file into its TOML front matter and its steps.

Layout of a lesson file::

    +++
    schema_version = 1        # TOML front matter between two '+++' lines
    id = "..."
    +++

    ## First step title       # every level-2 heading starts a step

    ```toml                   # optional: the step's settings, a toml code block
    [goal]                    #   directly after the heading
    ...
    ```

    Markdown text of the step ...

Headings and code blocks inside fenced code blocks are ignored.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

from neuroviz.fileio import find_bad_number, nesting_depth

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_STEP_HEADING = re.compile(r"^ {0,3}##(?!#)\s*(.*?)\s*#*\s*$")
_TOML_LINE = re.compile(r"line (\d+)")


@dataclass
class RawStep:
    title: str
    line: int                      # 1-based line of the heading
    settings: str | None = None    # TOML text of the settings block
    settings_line: int = 0         # 1-based line of the settings' first TOML line
    text: str = ""


@dataclass
class RawLesson:
    front_matter: str | None
    front_line: int
    steps: list[RawStep]
    problems: list[tuple[int | None, str, str]]   # (step, field, reason)


def split_lesson(source: str) -> RawLesson:
    """Split ``source`` into front matter and steps, noting layout problems."""
    lines = source.lstrip("\ufeff").splitlines()
    problems: list[tuple[int | None, str, str]] = []
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    front: str | None = None
    front_line = i + 2
    if i < len(lines) and lines[i].strip() == "+++":
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "+++"), None)
        if end is None:
            problems.append((None, "front matter", "the '+++' block at the top is never closed "
                                                   "by a second '+++' line"))
            return RawLesson(None, front_line, [], problems)
        front = "\n".join(lines[i + 1:end])
        i = end + 1
    else:
        problems.append((None, "front matter", "the file must start with a TOML front matter "
                                               "block between two '+++' lines"))
        return RawLesson(None, front_line, [], problems)

    steps: list[RawStep] = []
    preamble: list[str] = []
    body: list[str] = []
    fence: str | None = None

    def close_step() -> None:
        if steps:
            steps[-1].text = "\n".join(body).strip()
        body.clear()

    while i < len(lines):
        line = lines[i]
        if fence is None:
            heading = _STEP_HEADING.match(line)
            if heading:
                close_step()
                steps.append(RawStep(title=heading.group(1), line=i + 1))
                i += 1
                # a ```toml block directly after the heading holds the step's settings
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                opening = _FENCE.match(lines[j]) if j < len(lines) else None
                if opening and opening.group(2).lower() == "toml":
                    marker = opening.group(1)
                    end = next((k for k in range(j + 1, len(lines))
                                if lines[k].strip().startswith(marker[0] * len(marker))
                                and not lines[k].strip().strip(marker[0])), None)
                    if end is None:
                        problems.append((len(steps), "settings",
                                         f"the toml block opened on line {j + 1} is never closed"))
                        end = len(lines)
                    steps[-1].settings = "\n".join(lines[j + 1:end])
                    steps[-1].settings_line = j + 2
                    i = end + 1
                continue
            opening = _FENCE.match(line)
            if opening:
                fence = opening.group(1)
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
        (body if steps else preamble).append(line)
        i += 1
    close_step()
    if any(line.strip() for line in preamble):
        problems.append((None, "text", "text before the first step: start every step with a "
                                       "'## Step title' heading"))
    if not steps:
        problems.append((None, "steps", "the lesson has no steps (each step starts with a "
                                        "'## Step title' heading)"))
    return RawLesson(front, front_line, steps, problems)


#: Deepest nesting of arrays and inline tables a lesson's TOML may use (checked before
#: parsing: the TOML parser recurses once per level).
MAX_TOML_DEPTH = 16


def parse_toml(text: str, first_line: int) -> tuple[dict[str, Any] | None, str | None]:
    """Parse TOML; on error return ``(None, reason)`` with line numbers of the whole file.

    Nesting deeper than :data:`MAX_TOML_DEPTH` and whole numbers beyond 64 bits (TOML's own
    limit) are errors too, found before they can exhaust the parser or a later conversion.
    """
    depth = nesting_depth(text, toml=True)
    if depth > MAX_TOML_DEPTH:
        return None, (f"arrays or tables nested {depth} levels deep (at most "
                      f"{MAX_TOML_DEPTH} are allowed)")
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = _TOML_LINE.sub(lambda m: f"line {int(m.group(1)) + first_line - 1}", str(exc))
        return None, f"TOML syntax error: {message}"
    except (ValueError, RecursionError, OverflowError) as exc:  # e.g. a 5,000-digit number
        if "digits" in str(exc):
            return None, "a whole number has thousands of digits (TOML numbers are 64-bit)"
        return None, f"TOML syntax error: {exc}"
    if _data_depth(parsed) > MAX_TOML_DEPTH:  # dotted keys such as a.b.c.d... nest without brackets
        return None, f"keys or tables nested more than {MAX_TOML_DEPTH} levels deep"
    bad = find_bad_number(parsed, floats=False)
    if bad is not None:
        return None, f"{bad[0]}: {bad[1]} (TOML whole numbers are 64-bit)"
    return parsed, None


def _data_depth(value: Any) -> int:
    """How deeply dicts and lists nest in ``value`` (iterative, so it cannot recurse)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_TOML_DEPTH:
            break
        stack.extend((sub, depth + 1) for sub in items)
    return deepest
