"""Area tables: `area_code` with optional `area_name`, `area_type`, `parent_code` and numeric
covariates (population, age structure, deprivation, rurality ...) for finding similar areas.

An areas table describes places rather than counting them, so a bad cell cannot be rejected
with its row: it stops the read, naming the row, column and cell. Spaces around cells are
trimmed, and how many were trimmed is kept in `attrs["trimmed"]` for the command to report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from marginalgains.errors import DataError
from marginalgains.io import validate
from marginalgains.io.tabular import ROW_PROBLEMS, TRIMMED, read_table, trimmed_notes

SOURCE = "source"
TEXT_COLUMNS = ("area_code", "area_name", "area_type", "parent_code")


def read_areas(path: str | Path) -> pd.DataFrame:
    """Read an areas table (CSV or Parquet): codes and names as text, every other column as numbers
    (a column of words, such as a region's name, stays text; a column of numbers with one word
    in it is refused at that cell)."""
    path = Path(path)
    frame = read_table(path)
    validate.require_columns(str(path), frame, ["area_code"])
    problems = frame.attrs.get(ROW_PROBLEMS, {})
    if problems:
        row = min(problems)
        raise DataError(f"{path}, row {row + 1}: {problems[row]}")
    blank = frame["area_code"].isna().to_numpy().nonzero()[0]
    if len(blank):
        raise DataError(f"{path}, row {blank[0] + 1}, column 'area_code': missing value")
    repeated = frame["area_code"][frame["area_code"].duplicated()]
    if len(repeated):
        code, row = repeated.iloc[0], repeated.index[0]
        first = frame.index[frame["area_code"] == code][0]
        raise DataError(f"{path}, row {row + 1}, column 'area_code': {code!r} appears more than once "
                        f"(first in row {first + 1})")
    for column in frame.columns:
        if column not in TEXT_COLUMNS and not column.endswith("_code"):
            frame[column] = _covariate(frame[column], path, column)
    frame.attrs[SOURCE] = str(path)
    return frame


def _covariate(cells: pd.Series, path: Path, column: str) -> pd.Series:
    """A column of numbers (blank cells missing), or of words; a number column with a word in it is refused."""
    parsed, reasons = validate.parse_numbers(cells)
    if reasons.isna().all():
        return parsed
    number_like = parsed.notna() | ~reasons.fillna("not a number").str.startswith("not a number")
    if number_like.any():
        row = reasons.first_valid_index()
        raise DataError(f"{path}, row {row + 1}, column {column!r}: {reasons[row]} in a column of numbers "
                        "(a covariate must be numeric throughout; leave the cell blank if it is unknown)")
    return cells


def trimmed_note(areas: pd.DataFrame | None) -> str | None:
    """A sentence saying how many cells of an areas table had spaces trimmed, if any did."""
    notes = [] if areas is None else trimmed_notes({areas.attrs.get(SOURCE, "areas"): areas.attrs.get(TRIMMED, {})})
    return notes[0] if notes else None
