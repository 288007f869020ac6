"""Open a CSV or Parquet file as a table of strings, refusing files that are not tables.

Row numbers stay true to the file: a ragged row (too few or too many fields), a blank line and a
row split by a bare carriage return keep their place in the table, empty, and are listed in
`frame.attrs["row_problems"]` (row index -> reason) for `validate.RowChecks` to reject. CSV cells
are trimmed of surrounding spaces; `frame.attrs["trimmed"]` counts the trimmed cells per column.
A table too big for the memory the run may use is refused before it is read (`marginalgains.memory`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from marginalgains import memory
from marginalgains.errors import DataError

ROW_PROBLEMS = "row_problems"
TRIMMED = "trimmed"
SPLIT_ROW = "a carriage return inside the row (it would split the record in two)"
_SNIFF_BYTES = 64 * 1024
_BARE_CR = re.compile(rb"\r(?!\n)")
_CR_MARK = "\x00"  # stands in for a bare carriage return inside a line (files holding NUL are refused before)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV or Parquet with every column as text, so each cell can be checked and reported."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file")
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(path)
    return _read_csv(path)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        _check_header(path, pq.read_schema(path).names)
        metadata = pq.read_metadata(path)
        memory.check_table(path, metadata.num_rows, metadata.num_columns)
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if table.num_rows == 0:
        raise DataError(f"{path}: the file has no rows")
    return _frame(pa.table([_as_text(column) for column in table.columns], names=table.column_names))


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
    memory.check_csv(path)
    data = path.read_bytes()
    head = data[:_SNIFF_BYTES]
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a CSV file (it contains binary data)")
    _check_utf8(path, data)
    data = data.removeprefix(b"\xef\xbb\xbf")
    first_line = data.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8")
    _check_separator(path, first_line)
    names = [name.strip() for name in next(csv.reader([first_line]))]
    _check_header(path, names)
    marked = b"\n" in data and _BARE_CR.search(data) is not None
    if marked:
        data = _BARE_CR.sub(_CR_MARK.encode(), data)
    ragged: dict[int, str] = {}
    table = _parse_csv(path, data, names, ragged)
    if table.num_rows + len(ragged) == 0:
        raise DataError(f"{path}: the file has a header but no rows")
    trimmed = [pc.utf8_trim_whitespace(column) for column in table.columns]
    counts = {name: len(column) - pc.sum(pc.equal(column, raw)).as_py() if len(column) else 0
              for name, column, raw in zip(names, trimmed, table.columns)}
    frame = _frame(pa.table(trimmed, names=names), ragged, marked)
    frame.attrs[TRIMMED] = counts
    return frame


def trimmed_notes(by_source: dict[str, dict[str, int]]) -> list[str]:
    """A sentence per input whose cells had spaces trimmed, saying how many, column by column."""
    notes = []
    for source, counts in by_source.items():
        trimmed = {column: n for column, n in counts.items() if n}
        if trimmed:
            notes.append(f"{source}: spaces trimmed around " + ", ".join(f"{n:,} cell(s) of {c!r}" for c, n in trimmed.items()))
    return notes


def _parse_csv(path: Path, data: bytes, names: list[str], ragged: dict[int, str]) -> pa.Table:
    """Arrow's CSV reader on one thread, so each ragged row is known by its record number."""
    def refuse_row(row) -> str:
        ragged[row.number - 2] = SPLIT_ROW if _CR_MARK in (row.text or "") else (
            f"ragged row: {row.actual_columns} field(s) where the header has {row.expected_columns}")
        return "skip"

    try:
        return pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(use_threads=False, skip_rows=1, column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                            invalid_row_handler=refuse_row),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None


def _frame(table: pa.Table, ragged: dict[int, str] | None = None, marked: bool = False) -> pd.DataFrame:
    """Text cells as Python strings (None for blank), with ragged, blank and split rows put back in
    their places and listed in `attrs[ROW_PROBLEMS]`."""
    blanks_as_null = [pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column) for column in table.columns]
    frame = pd.DataFrame({name: column.to_numpy(zero_copy_only=False)  # Arrow makes the Python strings, None for null
                          for name, column in zip(table.column_names, blanks_as_null)}, dtype=object)
    problems = dict(ragged or {})
    if problems:
        kept = np.setdiff1d(np.arange(len(frame) + len(problems)), np.fromiter(problems, int))
        frame = frame.set_axis(kept).reindex(np.arange(len(frame) + len(problems))).astype(object)
        frame = frame.where(frame.notna(), None)
    blank = frame.isna().all(axis=1).to_numpy().copy() if problems else _all_null(blanks_as_null, len(frame))
    blank[list(problems)] = False
    problems.update({int(r): "empty row (every cell blank)" for r in np.flatnonzero(blank)})
    if marked:
        split = frame.apply(lambda c: c.str.contains(_CR_MARK, regex=False).fillna(False)).any(axis=1).to_numpy()
        problems.update({int(r): SPLIT_ROW for r in np.flatnonzero(split)})
    frame.attrs[ROW_PROBLEMS] = problems
    return frame


def _all_null(columns: list[pa.ChunkedArray], rows: int) -> np.ndarray:
    """Rows whose every cell is null, in Arrow."""
    blank = pa.chunked_array([pa.array(np.ones(rows, dtype=bool))])
    for column in columns:
        blank = pc.and_(blank, pc.is_null(column))
    return blank.to_numpy(zero_copy_only=False).copy()


def _check_utf8(path: Path, data: bytes) -> None:
    """Refuse text that is not UTF-8 (a Latin-1 or Windows-1252 file), naming the first line that is not."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}: not UTF-8 text (line {line} has the byte {data[exc.start]:#04x}); "
                        "save it as CSV UTF-8") from None


def _check_header(path: Path, names: list[str]) -> None:
    """Each column is named once: with two `numerator` columns, which one is meant cannot be known."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(f"{path}: column {name!r} appears twice in the header (columns {seen[name]} and "
                            f"{position}); name each column once")
        seen[name] = position


def _check_separator(path: Path, header: str) -> None:
    """A CSV header is split by commas; a tab- or semicolon-separated file is refused by name, not misread."""
    if "," in header:
        return
    for separator, name in (("\t", "tabs"), (";", "semicolons")):
        if separator in header:
            raise DataError(f"{path}: the columns are separated by {name}, not commas; save it as CSV (comma-separated)")
    raise DataError(f"{path}: not a CSV file (the first line has no column separators)")
