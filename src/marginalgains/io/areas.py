"""Area tables: `area_code` with optional `area_name`, `area_type`, `parent_code` and numeric
covariates (population, age structure, deprivation, rurality ...) for finding similar areas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from marginalgains.errors import DataError


def read_areas(path: str | Path) -> pd.DataFrame:
    """Read an areas table (CSV or Parquet); codes and names stay text, other columns are read as they are."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: areas file not found")
    text_columns = {"area_code": str, "area_name": str, "area_type": str, "parent_code": str}
    try:
        table = pd.read_parquet(path) if path.suffix.lower() in {".parquet", ".pq"} else pd.read_csv(path, dtype=text_columns)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable areas table ({exc})") from None
    if "area_code" not in table.columns:
        raise DataError(f"{path}: an areas table needs an 'area_code' column; found {', '.join(map(str, table.columns))}")
    repeated = table["area_code"][table["area_code"].duplicated()]
    if len(repeated):
        raise DataError(f"{path}: area_code {repeated.iloc[0]!r} appears more than once")
    return table.astype({"area_code": str})
