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
    frame = _dates_as_iso_text(table).to_pandas()
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


def _dates_as_iso_text(table: pa.Table) -> pa.Table:
    """Date and timestamp columns as `YYYY-MM-DD` text, the form the period reader takes."""
    for position, field in enumerate(table.schema):
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            text = pc.strftime(table.column(position), format="%Y-%m-%d")
            table = table.set_column(position, field.name, text)
    return table


def _read_csv(path: Path) -> pd.DataFrame:
    head = path.open("rb").read(_SNIFF_BYTES)
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
        first_line = text.splitlines()[0]
        if "," not in first_line and "\t" not in first_line and ";" not in first_line:
            raise DataError(f"{path}: not a CSV file (the first line has no column separators)")
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
