"""Open a CSV or Parquet file as a table of strings, refusing files that are not tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from marginalgains.errors import DataError

_SNIFF_BYTES = 64 * 1024


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV or Parquet with every column as text, so each cell can be checked and reported."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(path)
    return _read_csv(path)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if table.num_rows == 0:
        raise DataError(f"{path}: the file has no rows")
    frame = pa.table([_as_text(column) for column in table.columns], names=table.column_names).to_pandas()
    return frame.astype(object).where(frame.notna(), None)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column as text, cast in Arrow: dates and timestamps as `YYYY-MM-DD` (the form the period
    reader takes), numbers as Arrow writes them (5.0 as "5"); NULL and NaN stay missing."""
    kind = column.type
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return pc.strftime(column, format="%Y-%m-%d")
    if pa.types.is_floating(kind):
        column = pc.if_else(pc.is_nan(column), None, column)
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # lists, structs, non-UTF-8 bytes: Python's text
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a CSV file (it contains binary data)")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        if len(head) < _SNIFF_BYTES:
            raise DataError(f"{path}: not a CSV file (it is not UTF-8 text)") from None
    else:
        _check_separator(path, text.splitlines()[0])
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig",
            skipinitialspace=True, index_col=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.astype(object).where(frame.notna(), None)


def _check_separator(path: Path, header: str) -> None:
    """A CSV header is split by commas; a tab- or semicolon-separated file is refused by name, not misread."""
    if "," in header:
        return
    for separator, name in (("\t", "tabs"), (";", "semicolons")):
        if separator in header:
            raise DataError(f"{path}: the columns are separated by {name}, not commas; save it as CSV (comma-separated)")
    raise DataError(f"{path}: not a CSV file (the first line has no column separators)")
