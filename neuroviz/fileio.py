"""Small file helpers shared by the headless and GUI code (no Qt).

Reading: :func:`read_text_limited` refuses anything that is not a regular file (a FIFO or a
device would block forever) and anything larger than a limit, *before* reading it; it
decodes UTF-8 (and UTF-16/UTF-32 files that start with a byte-order mark). :func:`load_json`
checks the nesting depth with a cheap vectorised pre-scan before ``json.loads`` (which would
otherwise recurse until ``RecursionError``), keeps integers with absurd digit counts from
being converted (Python refuses above 4,300 digits), and reports the path of the first
non-finite or out-of-range number. Every problem is a :class:`FileLimitError` whose message
says what is wrong; loaders re-raise it as their own error type with the file name.

Writing: :func:`atomic_write_text` writes a temporary file beside the target and renames it
over the target, so a crash leaves either the old file or the new one. It keeps an existing
file's permissions, writes through a symbolic link to its target, and removes stale
temporaries of its own naming left by an earlier crash.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Integers with more digits than this are refused when decoding JSON (2**63 has 19).
MAX_INT_DIGITS = 20
#: Default nesting limit for JSON and TOML documents.
MAX_DEPTH = 32
#: A temporary file of ours older than this (seconds) is left over from a crash.
STALE_TEMP_AGE = 600.0
_TEMP_SUFFIX = ".tmp"


class FileLimitError(ValueError):
    """A file that is too large, too deep, not a regular file or not text (message says)."""


# -- reading --------------------------------------------------------------------------------


def read_bytes_limited(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; FileLimitError otherwise.

    ``FileNotFoundError`` is raised as is so callers can word "not found" themselves.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise FileLimitError("is a folder, not a file") from None
    except OSError as exc:
        raise FileLimitError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise FileLimitError(f"is {what} (a pipe, device or socket cannot be opened)")
        if info.st_size > max_bytes:
            raise FileLimitError(f"is too large ({_size(info.st_size)}; the limit is "
                                 f"{_size(max_bytes)})")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # the file grew while we read it
                raise FileLimitError(f"is too large (over {_size(max_bytes)})")
        return b"".join(chunks)
    except OSError as exc:
        raise FileLimitError(f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def decode_text(data: bytes) -> str:
    """Text of ``data``: UTF-8 (with or without BOM), or UTF-16/32 with a BOM."""
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"))
    encoding = next((name for bom, name in boms if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileLimitError(f"is not {encoding.upper().replace('-SIG', '')} text (undecodable "
                             f"byte at position {exc.start}; is it a binary file?)") from None
    if "\x00" in text:
        raise FileLimitError("contains NUL characters (is it a binary file?)")
    return text


def read_text_limited(path: str | os.PathLike, max_bytes: int) -> str:
    """Decoded text of a regular file of at most ``max_bytes`` (see :func:`decode_text`)."""
    return decode_text(read_bytes_limited(path, max_bytes))


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


# Every string pattern also matches an unterminated string (to the end of its line or of the
# text), so a match never fails after a long scan: the scan stays linear whatever the input.
_TOML_STRINGS = re.compile(
    rb'"""[\s\S]*?(?:"""|\Z)'
    rb"|'''[\s\S]*?(?:'''|\Z)"
    rb'|"[^"\\\n]*(?:\\[^\n]?[^"\\\n]*)*(?:"|(?=\n)|\Z)'
    rb"|'[^'\n]*(?:'|(?=\n)|\Z)"
    rb"|#[^\n]*")


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(text: str | bytes, *, toml: bool = False) -> int:
    """Deepest bracket nesting (``[`` and ``{``), vectorised and without recursion.

    For TOML (a lesson's settings, at most 1 MB) strings and comments are cut out first with
    one linear regular expression, as hints hold Markdown with brackets. For JSON every
    bracket counts, also inside strings: no field of neuroviz's JSON files holds text with
    brackets, and this keeps a 64 MB file to a fraction of a second whatever it holds (the
    decoder's own ``RecursionError`` stays the backstop for brackets hidden in strings).
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if toml:
        data = _TOML_STRINGS.sub(b'""', data)
    brackets = np.frombuffer(data.translate(None, _NOT_BRACKETS), dtype=np.uint8)
    if brackets.size == 0:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), np.int32(1), np.int32(-1))
    return int(np.cumsum(steps).max(initial=0))


def check_depth(text: str | bytes, max_depth: int = MAX_DEPTH, *, toml: bool = False) -> None:
    """FileLimitError if brackets nest deeper than ``max_depth``."""
    depth = nesting_depth(text, toml=toml)
    if depth > max_depth:
        raise FileLimitError(f"nested {depth} levels deep (at most {max_depth} are allowed)")


class HugeInt:
    """An integer literal with too many digits, kept as text so its field can be named."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text[:12]}... ({len(self.text)} digits)"


def _parse_int(text: str):
    return HugeInt(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def load_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` after a depth pre-scan; huge integers become :class:`HugeInt`.

    Raises FileLimitError (too deep) or ``json.JSONDecodeError``. ``NaN``, ``Infinity`` and
    overflowing literals such as ``1e999`` decode to non-finite floats: check them with
    :func:`find_bad_number`.
    """
    check_depth(text, max_depth)
    return json.loads(text, parse_int=_parse_int)


def find_bad_number(value: Any, path: str = "", *, int_limit: int = 2**63 - 1,
                    allow_nan: tuple[str, ...] = (),
                    floats: bool = True) -> tuple[str, str] | None:
    """The first ``(field, reason)`` of a huge integer or non-finite float in ``value``.

    Walks iteratively (no recursion). Fields are written ``a.b[3].c``. A field whose path
    starts with one of ``allow_nan`` may hold NaN (but not infinity); with ``floats=False``
    only integers are checked.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                stack.append((f"{where}.{key}" if where else str(key), sub))
        elif isinstance(item, list):
            if _plain_numbers(item, floats):
                continue
            for i in range(len(item) - 1, -1, -1):
                stack.append((f"{where}[{i}]", item[i]))
        elif isinstance(item, HugeInt):
            return where, f"the number {item!r} is far too large"
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if abs(item) > int_limit:
                return where, f"the number {item} is too large (at most {int_limit})"
        elif floats and isinstance(item, float) and not math.isfinite(item):
            if allow_nan and math.isnan(item) and where.startswith(allow_nan):
                continue
            return where, f"{item} is not a finite number"
    return None


def _plain_numbers(items: list, floats: bool) -> bool:
    """True if ``items`` is a (nested) list of ordinary numbers only: one NumPy check
    instead of a Python loop over a saved weight matrix."""
    if not items or isinstance(items[0], (dict, str, HugeInt)):
        return False
    try:
        array = np.array(items)
    except (ValueError, TypeError, OverflowError):
        return False  # ragged, or mixed types: walk it
    if array.dtype.kind in "ib":
        return True  # int64 at most
    if array.dtype.kind == "f":
        return not floats or bool(np.isfinite(array).all())
    return False


# -- writing --------------------------------------------------------------------------------


def _target_of(path: Path) -> Path:
    """Where writing ``path`` should land: through symbolic links to their final target."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def remove_stale_temporaries(path: str | os.PathLike, max_age: float = STALE_TEMP_AGE) -> int:
    """Delete temporaries of our naming (``.NAME.*.tmp``) beside ``path`` older than max_age.

    Younger ones may belong to a save in progress in another process and are left alone.
    Returns how many were removed.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)):
            continue
        middle = name[len(prefix):-len(_TEMP_SUFFIX)]
        if not middle or not re.fullmatch(r"[A-Za-z0-9_]+", middle):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > max_age:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then a rename.

    A crash or a full disk leaves either the old file or the new one, never half of one.
    An existing file keeps its permission bits; a new one gets the usual ones (0666 less the
    umask). A symbolic link stays a link: the file it points to is replaced. Returns ``path``.
    """
    path = Path(path)
    target = _target_of(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _default_mode()
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_json(path: str | os.PathLike, data: Any) -> Path:
    """Serialise ``data`` as indented JSON and write it atomically."""
    return atomic_write_text(path, json.dumps(data, indent=1, allow_nan=False) + "\n")
