"""Import a user's CSV table: read, describe columns, choose, encode, check (no Qt).

The import dialog is a thin front end to three steps:

1. :func:`read_table` reads the file (size, row and column limits checked first, a
   binary file refused) into a :class:`Table` of text cells with their line numbers.
2. :func:`describe_columns` says what each column holds (:class:`ColumnInfo`: numbers,
   categories or a mix, and how many values are missing); :func:`infer_task` guesses
   classification or regression for a target column.
3. :func:`build_import` turns the table and the user's :class:`ImportChoices` (target,
   feature columns, task, what to do with missing values) into a *payload*: plain data
   holding the encoded inputs and targets, ready to be saved inside an experiment and
   loaded with :func:`neuroviz.data.embedded.load_embedded` (which splits and
   standardises with the experiment's train share and seed).

Every problem raises :class:`DatasetError` with a message naming the file and the column
or line, and nothing is half done.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuroviz.fileio import FileLimitError, read_text_limited

from .embedded import MAX_EMBEDDED_VALUES, encode_array
from .errors import DatasetError

MISSING = ("", "NA", "N/A", "na", "n/a", "NaN", "nan", "null", "NULL", "?")
MAX_AUTO_CLASSES = 20
#: Limits of a CSV file, checked before the rows are parsed.
MAX_BYTES = 256 * 1024 * 1024
MAX_COLUMNS = 4096  # inputs the engine takes (plus the target column)
MAX_CLASSES = 256
#: Larger magnitudes make standardising or the squared error overflow.
MAX_MAGNITUDE = 1e100


#: At most this many data rows are imported (a larger file is refused before parsing).
MAX_ROWS = 1_000_000
#: Categories of one input column (each becomes a one-hot input).
MAX_CATEGORIES = 50
MISSING_CHOICES = ("error", "drop", "mean")


@dataclass
class Table:
    """A CSV file as text cells: ``header``, ``rows`` and each row's 1-based ``lines``."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    @property
    def name(self) -> str:
        return self.path.name

    def column(self, name: str) -> list[str]:
        k = self.header.index(name)
        return [row[k] for row in self.rows]


@dataclass
class ColumnInfo:
    """What one column holds.

    ``kind`` is "numeric" (every present value is a number), "categorical" (no value is a
    number), "mixed" (both; ``first_text`` is the line and value of the first non-number)
    or "empty" (every value missing).
    """

    name: str
    kind: str
    n_missing: int
    categories: list[str] = field(default_factory=list)
    first_text: tuple[int, str] | None = None
    first_missing_line: int | None = None


@dataclass
class ImportChoices:
    """The user's choices: target column, feature columns, task, missing values, scaling.

    ``missing`` is "error" (refuse missing values), "drop" (drop those rows) or "mean"
    (fill an input with its column's mean; rows with a missing target are dropped).
    """

    target: str
    features: list[str]
    task: str | None = None
    missing: str = "drop"
    standardise: bool = True


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def encode_classes(texts: list[str], numbers: list[float | None]
                   ) -> tuple[list[str], np.ndarray]:
    """Class names and int64 labels of a target column: when every value is a number
    (``numbers[i]`` is None for text), the classes are the distinct numbers in numeric order
    (named like ``2`` or ``0.5``); otherwise the distinct texts in sorted order."""
    if all(v is not None for v in numbers):
        keys = sorted(set(numbers))
        lookup = {k: i for i, k in enumerate(keys)}
        return [f"{k:g}" for k in keys], np.array([lookup[v] for v in numbers], dtype=np.int64)
    names = sorted(set(texts))
    lookup = {k: i for i, k in enumerate(names)}
    return names, np.array([lookup[t] for t in texts], dtype=np.int64)


def read_table(path: str | Path, *, max_rows: int = MAX_ROWS,
               delimiter: str | None = None) -> Table:
    """Read a CSV file with a header row into text cells (limits checked before parsing)."""
    path = Path(path)
    try:
        text = read_text_limited(path, MAX_BYTES)
    except FileNotFoundError:
        raise DatasetError(f"{path.name}: file not found ({path})") from None
    except FileLimitError as exc:
        raise DatasetError(f"{path.name}: {exc}") from None
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines - 1 > max_rows:
        raise DatasetError(f"{path.name}: {n_lines - 1:,} rows, at most {max_rows:,} can be "
                           "imported (use a sample of the file)")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DatasetError(f"{path.name}, line 1: empty file, expected a header row naming "
                           "the columns")
    if delimiter is None:
        delimiter = max((",", ";", "\t"), key=lines[0].count)
    try:
        parsed = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as exc:
        raise DatasetError(f"{path.name}: {exc}") from None
    header = [h.strip() for h in parsed[0]]
    if len(header) > MAX_COLUMNS + 1:
        raise DatasetError(f"{path.name}, line 1: {len(header):,} columns, at most "
                           f"{MAX_COLUMNS + 1:,}")
    if len(header) < 2:
        raise DatasetError(f"{path.name}, line 1: only one column; a table needs inputs and a "
                           "target (is the separator a comma, semicolon or tab?)")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DatasetError(f"{path.name}, line 1: the column name {dupes[0]!r} appears twice")
    if "" in header:
        raise DatasetError(f"{path.name}, line 1: column {header.index('') + 1} has no name")
    rows, numbers = [], []
    for line, row in enumerate(parsed[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DatasetError(f"{path.name}, line {line}: {len(row)} fields, expected "
                               f"{len(header)} (one per column of the header)")
        rows.append([c.strip() for c in row])
        numbers.append(line)
    if not rows:
        raise DatasetError(f"{path.name}: no data rows below the header")
    return Table(path, header, rows, numbers)


def describe_columns(table: Table) -> list[ColumnInfo]:
    """A :class:`ColumnInfo` for every column of ``table``."""
    infos = []
    for k, name in enumerate(table.header):
        n_missing, n_numbers, first_text, first_missing = 0, 0, None, None
        texts: set[str] = set()
        for row, line in zip(table.rows, table.lines):
            cell = row[k]
            if cell in MISSING:
                n_missing += 1
                if first_missing is None:
                    first_missing = line
            elif _number(cell) is not None:
                n_numbers += 1
            else:
                if first_text is None:
                    first_text = (line, cell)
                if len(texts) <= MAX_CLASSES:
                    texts.add(cell)
        if n_numbers == 0 and not texts:
            kind = "empty"
        elif not texts:
            kind = "numeric"
        elif n_numbers == 0:
            kind = "categorical"
        else:
            kind = "mixed"
        infos.append(ColumnInfo(name, kind, n_missing, sorted(texts) if kind == "categorical"
                                else [], first_text if kind == "mixed" else None,
                                first_missing))
    return infos


def infer_task(table: Table, target: str) -> str:
    """Classification for text labels or at most 20 distinct whole numbers, else regression."""
    values = [c for c in table.column(target) if c not in MISSING]
    numbers = [_number(c) for c in values]
    if not values or any(v is None for v in numbers):
        return "classification"
    whole = all(float(v).is_integer() for v in numbers)
    return "classification" if whole and len(set(numbers)) <= MAX_AUTO_CLASSES else "regression"


def usable_input(info: ColumnInfo, n_rows: int) -> bool:
    """Numbers, or text with a few categories (not a different text in every row)."""
    if info.kind == "numeric":
        return True
    present = n_rows - info.n_missing
    return info.kind == "categorical" and len(info.categories) <= MAX_CATEGORIES and \
        len(info.categories) < present


def default_choices(table: Table) -> ImportChoices:
    """Last column as the target, every usable other column as an input, task inferred."""
    infos = {c.name: c for c in describe_columns(table)}
    target = table.header[-1]
    features = [h for h in table.header if h != target and
                usable_input(infos[h], len(table.rows))]
    return ImportChoices(target, features, infer_task(table, target))


def build_import(table: Table, choices: ImportChoices) -> dict:
    """Encode ``table`` as ``choices`` say into an embedded-data payload.

    Numeric columns stay as they are; a categorical column becomes one 0/1 input per
    category named ``"column=category"``. Returns the payload (see
    :mod:`neuroviz.data.embedded`); its ``"notes"`` say what was dropped or filled.
    """
    name = table.name
    infos = {c.name: c for c in describe_columns(table)}
    target, features = choices.target, list(choices.features)
    if target not in infos:
        raise DatasetError(f"{name}: no column {target!r} to predict")
    if not features:
        raise DatasetError(f"{name}: choose at least one input column")
    for f in features:
        if f not in infos:
            raise DatasetError(f"{name}: no column {f!r}")
    if target in features:
        raise DatasetError(f"{name}: column {target!r} cannot be both the target and an input")
    if choices.missing not in MISSING_CHOICES:
        raise DatasetError(f"missing must be one of {', '.join(MISSING_CHOICES)}")
    usable = [h for h in table.header if h != target and
              usable_input(infos[h], len(table.rows))]
    if not usable and not any(infos[h].kind == "mixed" for h in features):
        raise DatasetError(f"{name}: no column besides the target {target!r} holds numbers (or "
                           f"a few categories); a network needs numeric inputs")
    task = choices.task or infer_task(table, target)
    if task not in ("classification", "regression"):
        raise DatasetError(f"task must be classification or regression, got {task!r}")
    for f in features:
        info = infos[f]
        if info.kind == "mixed":
            line, text = info.first_text
            raise DatasetError(f"{name}, line {line}: column {f!r} mixes numbers and text "
                               f"({text[:30]!r}); fix the value or leave the column out")
        if info.kind == "empty":
            raise DatasetError(f"{name}: column {f!r} has no values")
        if not usable_input(info, len(table.rows)):
            raise DatasetError(f"{name}: column {f!r} has a different text in almost every row "
                               f"(or more than {MAX_CATEGORIES}); it cannot be an input (is it a "
                               "name or an id?)")
    if choices.missing == "error":
        for col in [*features, target]:
            if infos[col].n_missing:
                raise DatasetError(f"{name}, line {infos[col].first_missing_line}: missing value "
                                   f"in column {col!r} ({infos[col].n_missing} missing in all)")

    # Rows: drop those with a missing target (always) or a missing input (when dropping).
    t_k = table.header.index(target)
    f_ks = [table.header.index(f) for f in features]
    keep, dropped = [], 0
    for i, row in enumerate(table.rows):
        if row[t_k] in MISSING or (choices.missing == "drop" and
                                   any(row[k] in MISSING for k in f_ks)):
            dropped += 1
        else:
            keep.append(i)
    if len(keep) < 4:
        raise DatasetError(f"{name}: only {len(keep)} usable rows (after dropping rows with "
                           "missing values), need at least 4")
    rows = [table.rows[i] for i in keep]
    lines = [table.lines[i] for i in keep]

    # Inputs: numeric columns as they are, categories one-hot; missing inputs -> NaN.
    columns, names, filled = [], [], {}
    for f, k in zip(features, f_ks):
        info = infos[f]
        if info.kind == "numeric":
            col = np.array([np.nan if r[k] in MISSING else float(r[k]) for r in rows])
            big = np.flatnonzero(np.abs(np.nan_to_num(col)) > MAX_MAGNITUDE)
            if big.size:
                raise DatasetError(f"{name}, line {lines[big[0]]}: column {f!r} has a value too "
                                   f"large to use (at most {MAX_MAGNITUDE:g} in size)")
            columns.append(col)
            names.append(f)
        else:
            cells = [r[k] for r in rows]
            for cat in info.categories:
                columns.append(np.array([np.nan if c in MISSING else float(c == cat)
                                         for c in cells]))
                names.append(f"{f}={cat}")
    X = np.column_stack(columns)
    if X.shape[1] > MAX_COLUMNS:
        raise DatasetError(f"{name}: {X.shape[1]:,} inputs after one-hot encoding, at most "
                           f"{MAX_COLUMNS:,}")
    missing = np.isnan(X)
    if missing.any():  # only with missing == "mean": fill with the column mean
        gone = np.flatnonzero(missing.all(axis=0))
        if gone.size:
            raise DatasetError(f"{name}: input {names[gone[0]]!r} has no values left to take "
                               "a mean of")
        means = np.array([np.nanmean(X[:, j]) for j in range(X.shape[1])])
        for f in features:
            if infos[f].n_missing:
                filled[f] = int(sum(1 for r in rows if r[table.header.index(f)] in MISSING))
        X = np.where(missing, means[None, :], X)

    # Targets.
    t_cells = [r[t_k] for r in rows]
    if task == "regression":
        values = [_number(c) for c in t_cells]
        bad = next((i for i, v in enumerate(values) if v is None), None)
        if bad is not None:
            raise DatasetError(f"{name}, line {lines[bad]}: the target {target!r} must be a "
                               f"number for regression, found {t_cells[bad][:30]!r}")
        y = np.array(values, dtype=np.float64)
        if np.abs(y).max() > MAX_MAGNITUDE:
            raise DatasetError(f"{name}: target {target!r} has values too large to predict")
        class_names: list[str] = []
    else:
        class_names, labels = encode_classes(t_cells, [_number(c) for c in t_cells])
        y = labels.astype(np.float64)
        if len(class_names) < 2:
            only = class_names[0] if class_names else ""
            raise DatasetError(f"{name}: the target {target!r} has only one class ({only!r}); "
                               "a classifier needs at least two")
        if len(class_names) > MAX_CLASSES:
            raise DatasetError(f"{name}: the target {target!r} has {len(class_names):,} "
                               f"classes, at most {MAX_CLASSES} (is it a number to predict? "
                               "choose regression)")
        counts = np.bincount(y.astype(np.int64), minlength=len(class_names))
        if counts.min() < 2:
            rare = class_names[int(np.argmin(counts))]
            raise DatasetError(f"{name}: class {rare!r} of the target {target!r} has only one "
                               "row; every class needs two (one to train, one to test)")
    if X.size + y.size > MAX_EMBEDDED_VALUES:
        raise DatasetError(f"{name}: {X.size + y.size:,} values, at most "
                           f"{MAX_EMBEDDED_VALUES:,} can be kept inside an experiment")
    scaled = [s for f, s in zip(features, [infos[f].kind == "numeric" for f in features])
              for _ in ([0] if infos[f].kind == "numeric" else infos[f].categories)]
    notes = [f"{len(rows):,} rows"]
    if dropped:
        notes.append(f"{dropped:,} rows with missing values dropped")
    for f, n in filled.items():
        notes.append(f"{n:,} missing values of {f!r} filled with the mean")
    return {
        "kind": "table",
        "title": table.path.stem,
        "source": table.name,
        "task": task,
        "target_name": target,
        "feature_names": names,
        "class_names": class_names,
        "standardise": [bool(choices.standardise and s) for s in scaled],
        "notes": "; ".join(notes),
        "X": encode_array(X),
        "y": encode_array(y),
    }
