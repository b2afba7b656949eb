"""Load a user's own CSV file as a tabular :class:`Dataset`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._validate import check_seed, check_train_ratio
from .dataset import TASKS, Dataset, split_indices, standardise, targets_for_labels
from .errors import DatasetError
from .tableimport import (
    MAX_AUTO_CLASSES,
    MAX_CLASSES,
    MAX_MAGNITUDE,
    MISSING,
    encode_classes,
    read_table,
)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def load_csv(
    path: str | Path,
    target: str | None = None,
    task: str | None = None,
    *,
    features: list[str] | tuple[str, ...] | None = None,
    train_ratio: float = 0.5,
    seed: int = 0,
    drop_missing: bool = False,
    delimiter: str | None = None,
) -> Dataset:
    """Read a CSV file with a header row into a standardised, split :class:`Dataset`.

    Parameters
    ----------
    path
        The file. The first row names the columns.
    target
        The column to predict; default the last column.
    task
        "classification" or "regression"; default: classification when the target
        has a non-numeric value, or only whole numbers with at most 20 distinct
        values; regression otherwise.
    features
        Input columns (default: every other column). They must be numeric.
    train_ratio, seed
        As for :func:`~neuroviz.data.load_dataset`; classification is stratified.
    drop_missing
        Missing values (empty, NA, NaN, ?) are an error naming the line, unless this
        is True: then those rows are dropped and the count is given in the description.
    delimiter
        Field separator; default: guessed among comma, semicolon and tab.

    Inputs are standardised with training-split statistics. Class names are the
    target's distinct values (sorted numerically when they are all numbers).
    """
    path = Path(path)
    train_ratio = check_train_ratio(train_ratio)
    seed = check_seed(seed)
    if task is not None and task not in TASKS:
        raise DatasetError(f"task must be one of {', '.join(TASKS)} or None, got {task!r}")
    table = read_table(path, delimiter=delimiter)
    header = table.header
    target = header[-1] if target is None else target
    if target not in header:
        raise DatasetError(
            f"{path}: no column {target!r} for the target (columns: {', '.join(header)})"
        )
    if features is None:
        features = [h for h in header if h != target]
    else:
        features = list(features)
        for name in features:
            if name not in header:
                raise DatasetError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
        if not features or target in features:
            raise DatasetError(f"{path}: features must be non-empty and exclude the target")
    f_idx = [header.index(f) for f in features]
    t_idx = header.index(target)

    X_rows, t_values, t_lines, n_dropped = [], [], [], 0
    for line, row in zip(table.lines, table.rows):
        cells = [row[i] for i in f_idx]
        t_text = row[t_idx]
        missing = [features[k] for k, c in enumerate(cells) if c in MISSING]
        if t_text in MISSING:
            missing.append(target)
        if missing:
            if drop_missing:
                n_dropped += 1
                continue
            raise DatasetError(
                f"{path}, line {line}: missing value in column {missing[0]!r} "
                "(use drop_missing=True to skip such rows)"
            )
        values = []
        for name, cell in zip(features, cells):
            value = _number(cell)
            if value is None:
                raise DatasetError(
                    f"{path}, line {line}: column {name!r} is not a number: {cell!r}"
                )
            if not math.isfinite(value):
                raise DatasetError(f"{path}, line {line}: column {name!r} is not finite: {cell!r}")
            if abs(value) > MAX_MAGNITUDE:
                raise DatasetError(f"{path}, line {line}: column {name!r} has the value "
                                   f"{cell[:30]!r}, too large to standardise (at most "
                                   f"{MAX_MAGNITUDE:g} in size)")
            values.append(value)
        X_rows.append(values)
        t_values.append(t_text)
        t_lines.append(line)
    if len(X_rows) < 4:
        raise DatasetError(f"{path}: only {len(X_rows)} usable data rows, need at least 4")
    X = np.array(X_rows, dtype=np.float64)

    numeric = [_number(t) for t in t_values]
    all_numeric = all(v is not None and math.isfinite(v) for v in numeric)
    if task is None:
        if not all_numeric:
            task = "classification"
        else:
            whole = all(float(v).is_integer() for v in numeric)
            task = (
                "classification"
                if whole and len(set(numeric)) <= MAX_AUTO_CLASSES
                else "regression"
            )
    rng = np.random.default_rng(seed)
    notes = f"{len(X_rows)} rows"
    if n_dropped:
        notes += f" ({n_dropped} rows with missing values dropped)"
    if task == "regression":
        if not all_numeric:
            bad = next(i for i, v in enumerate(numeric) if v is None or not math.isfinite(v))
            raise DatasetError(
                f"{path}, line {t_lines[bad]}: target {target!r} must be numeric for "
                f"regression, found {t_values[bad]!r}"
            )
        big = next((i for i, v in enumerate(numeric) if abs(v) > MAX_MAGNITUDE), None)
        if big is not None:
            raise DatasetError(
                f"{path}, line {t_lines[big]}: target {target!r} has the value "
                f"{t_values[big][:30]!r}, too large for a regression target (at most "
                f"{MAX_MAGNITUDE:g} in size)")
        Y = np.array(numeric, dtype=np.float64)[:, None]
        labels = None
        class_names: list[str] = []
    else:
        class_names, labels = encode_classes(
            t_values, numeric if all_numeric else [None] * len(t_values))
        if len(class_names) < 2:
            raise DatasetError(f"{path}: target {target!r} has only one class")
        if len(class_names) > MAX_CLASSES:
            raise DatasetError(f"{path}: target {target!r} has {len(class_names):,} classes, "
                               f"at most {MAX_CLASSES} (is it a number to predict? use "
                               "task='regression')")
        Y = targets_for_labels(labels, len(class_names))
    try:
        train, test = split_indices(len(X), train_ratio, rng, labels)
    except DatasetError as exc:
        raise DatasetError(f"{path}: {exc}") from None
    with np.errstate(over="ignore", invalid="ignore"):
        X_train, X_test, mean, std = standardise(X[train], X[test])
    finite = (np.isfinite(mean) & np.isfinite(std) & np.all(np.isfinite(X_train), axis=0)
              & np.all(np.isfinite(X_test), axis=0))
    if not finite.all():
        name = features[int(np.flatnonzero(~finite)[0])]
        raise DatasetError(f"{path}: column {name!r} cannot be standardised (its values are "
                           "too far apart; rescale the column)")
    return Dataset(
        name=path.stem,
        title=path.name,
        task=task,
        kind="tabular",
        X_train=X_train,
        Y_train=Y[train],
        X_test=X_test,
        Y_test=Y[test],
        y_train=None if labels is None else labels[train],
        y_test=None if labels is None else labels[test],
        feature_names=list(features),
        class_names=class_names,
        target_name=target,
        description=(
            f"Your data from {path.name}: {notes}, {len(features)} inputs, target "
            f"{target!r} ({task}). Split {len(train)} train / {len(test)} test; inputs "
            "standardised with training-split statistics."
        ),
        feature_mean=mean,
        feature_std=std,
        settings={
            "path": str(path),
            "target": target,
            "task": task,
            "train_ratio": train_ratio,
            "seed": seed,
            "features": list(features),
        },
    )
