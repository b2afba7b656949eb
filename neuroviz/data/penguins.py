"""Palmer penguins: real measurements of 344 penguins from three species.

Source: the ``penguins.csv`` carried by the ``palmerpenguins`` package (the data of
Horst, Hill and Gorman's R package; measurements by Gorman et al. 2014), CC0 1.0.
It ships unchanged as ``assets/penguins/penguins.csv`` (credit in ``assets/CREDITS.md``).

Inputs: bill length (mm), bill depth (mm), flipper length (mm), body mass (g); with
``island=True`` three 0/1 columns for the island, with ``sex=True`` two 0/1 columns
for the sex. Target: the species (Adelie, Chinstrap, Gentoo), one-hot.

Missing values are handled explicitly: 2 of the 344 rows have no measurements at
all and are always dropped (342 rows remain). The sex is missing in 11 rows (those 2
and 9 more); with ``sex=True`` those rows are dropped too (333 remain). The counts
are computed from the file and reported in ``Dataset.description``.

The four measurements are standardised with the mean and standard deviation of the
training rows only (``feature_mean``/``feature_std``); the 0/1 columns are left as
they are (mean 0 and std 1 in those arrays). The split is stratified by species.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._files import file_key, shipped_file
from .dataset import Dataset, split_indices, standardise, targets_for_labels
from .errors import DatasetError

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
SEXES = ("female", "male")
MEASUREMENTS = (
    ("bill_length_mm", "bill length (mm)"),
    ("bill_depth_mm", "bill depth (mm)"),
    ("flipper_length_mm", "flipper length (mm)"),
    ("body_mass_g", "body mass (g)"),
)
MISSING = ("", "NA", "na", "NaN", "nan")

TITLE = "Palmer penguins"
CREDIT = (
    "Palmer penguins data: Horst AM, Hill AP, Gorman KB (2020), palmerpenguins R "
    "package, doi:10.5281/zenodo.3960218; measurements from Gorman KB, Williams TD, "
    "Fraser WR (2014), PLoS ONE 9(3): e90081, doi:10.1371/journal.pone.0090081; "
    "Palmer Station LTER. License CC0 1.0."
)
SUMMARY = (
    "Real data: bill length, bill depth, flipper length and body mass of 344 penguins "
    "from the Palmer Archipelago, Antarctica (optionally island and sex) -> species "
    "(Adelie, Chinstrap, Gentoo)."
)


@dataclass(frozen=True)
class PenguinTable:
    """The CSV as parsed, one entry per data row (missing numbers are NaN)."""

    species: np.ndarray  # (n,) int64 index into SPECIES
    island: np.ndarray  # (n,) int64 index into ISLANDS
    sex: np.ndarray  # (n,) int64 index into SEXES, -1 when missing
    measurements: np.ndarray  # (n, 4) float64, NaN when missing


def read_penguins_csv(path: str | Path) -> PenguinTable:
    """Parse a ``penguins.csv``; DatasetError naming file and line on bad content."""
    path = Path(path)
    return _read_cached(file_key(path) if path.exists() else (str(path), 0, 0))


@functools.lru_cache(maxsize=4)
def _read_cached(key: tuple[str, int, int]) -> PenguinTable:
    path = Path(key[0])
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError as exc:
        raise DatasetError(f"missing data file {path}") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    if not rows:
        raise DatasetError(f"{path} is empty (expected the Palmer penguins CSV)")
    header = [h.strip() for h in rows[0]]
    need = ["species", "island", "sex"] + [m for m, _ in MEASUREMENTS]
    absent = [c for c in need if c not in header]
    if absent:
        raise DatasetError(f"{path}, line 1: missing column(s) {', '.join(absent)}")
    col = {name: header.index(name) for name in need}
    species, island, sex, meas = [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(f"{path}, line {line}: {len(row)} fields, expected {len(header)}")

        def category(name: str, allowed: tuple[str, ...], row=row, line=line) -> int:
            value = row[col[name]].strip()
            if value in allowed:
                return allowed.index(value)
            if name == "sex" and value in MISSING:
                return -1
            raise DatasetError(
                f"{path}, line {line}: unknown {name} {value!r} "
                f"(expected one of {', '.join(allowed)})"
            )

        species.append(category("species", SPECIES))
        island.append(category("island", ISLANDS))
        sex.append(category("sex", SEXES))
        values = []
        for name, _ in MEASUREMENTS:
            text = row[col[name]].strip()
            if text in MISSING:
                values.append(math.nan)
                continue
            try:
                value = float(text)
            except ValueError:
                raise DatasetError(
                    f"{path}, line {line}: {name} is not a number: {text!r}"
                ) from None
            if not math.isfinite(value) or value <= 0:
                raise DatasetError(f"{path}, line {line}: {name} is not a valid value: {text!r}")
            values.append(value)
        meas.append(values)
    if not species:
        raise DatasetError(f"{path} has a header but no data rows")
    return PenguinTable(
        species=np.array(species, np.int64),
        island=np.array(island, np.int64),
        sex=np.array(sex, np.int64),
        measurements=np.array(meas, np.float64).reshape(-1, len(MEASUREMENTS)),
    )


def load_penguins(
    train_ratio: float,
    seed: int,
    island: bool = False,
    sex: bool = False,
    path: str | Path | None = None,
) -> Dataset:
    """Build the penguins :class:`Dataset` (arguments already validated)."""
    if path is None:
        path = shipped_file("penguins", "penguins.csv")
    table = read_penguins_csv(path)
    n_rows = len(table.species)
    has_meas = np.all(np.isfinite(table.measurements), axis=1)
    keep = has_meas.copy()
    notes = [
        f"{n_rows} rows in the file; {n_rows - int(has_meas.sum())} rows with missing "
        f"measurements dropped"
    ]
    if sex:
        no_sex = has_meas & (table.sex < 0)
        keep &= table.sex >= 0
        notes.append(f"{int(no_sex.sum())} more rows with unknown sex dropped (sex=True)")

    labels = table.species[keep]
    columns = [table.measurements[keep]]
    names = [title for _, title in MEASUREMENTS]
    if island:
        columns.append(np.eye(len(ISLANDS))[table.island[keep]])
        names += [f"island: {name}" for name in ISLANDS]
    if sex:
        columns.append(np.eye(len(SEXES))[table.sex[keep]])
        names += [f"sex: {name}" for name in SEXES]
    X = np.column_stack(columns).astype(np.float64)

    rng = np.random.default_rng(seed)
    train, test = split_indices(len(labels), train_ratio, rng, labels)
    scaled = np.arange(X.shape[1]) < len(MEASUREMENTS)
    X_train, X_test, mean, std = standardise(X[train], X[test], scaled)
    counts = ", ".join(f"{int((labels == k).sum())} {name}" for k, name in enumerate(SPECIES))
    description = (
        f"{SUMMARY} {'; '.join(notes)}: {len(labels)} penguins used ({counts}). "
        f"Split {len(train)} train / {len(test)} test, stratified by species. "
        "Measurements standardised with training-split mean and standard deviation"
        + ("; island and sex columns are 0/1." if (island or sex) else ".")
    )
    return Dataset(
        name="penguins",
        title=TITLE,
        task="classification",
        kind="tabular",
        X_train=X_train,
        Y_train=targets_for_labels(labels[train], len(SPECIES)),
        X_test=X_test,
        Y_test=targets_for_labels(labels[test], len(SPECIES)),
        y_train=labels[train].copy(),
        y_test=labels[test].copy(),
        feature_names=names,
        class_names=list(SPECIES),
        target_name="species",
        description=description,
        credit=CREDIT,
        feature_mean=mean,
        feature_std=std,
    )
