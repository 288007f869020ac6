"""Fingertips column names: as the site's export writes them, and the aliases fingertipsR and the
API use (`IndicatorID`, `Timeperiod`, `LowerCI95.0limit`, `Lower_CI_95.0_limit` ...)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from marginalgains.errors import DataError

REQUIRED = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Time period", "Value"]
OPTIONAL = ["Parent Code", "Parent Name", "Sex", "Age", "Category Type", "Category", "Lower CI 95.0 limit",
            "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
            "Value note", "Compared to England value or percentiles"]
ENGLAND_COMPARISON = "Compared to England value or percentiles"
_COMPARISON = re.compile(r"^comparedto(.+)valueorpercentiles$")
_ENGLAND_CODE = "E92000001"
_REGION_PREFIX = "E12"


def _key(name: str) -> str:
    """A column name without case, spaces or underscores: how the aliases agree."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


_CANONICAL = {_key(c): c for c in REQUIRED + OPTIONAL}


def canonical_columns(file: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every known column under its export name; two columns naming one are refused."""
    renamed: dict[str, str] = {}
    for column in frame.columns:
        target = _CANONICAL.get(_key(column), column)
        if target in renamed.values():
            first = next(k for k, v in renamed.items() if v == target)
            raise DataError(f"{file}: columns {first!r} and {column!r} are both {target!r}; keep one")
        renamed[column] = target
    frame = frame.rename(columns=renamed)
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = None
    return frame


def per_distinct(cells: pd.Series, function, missing=None) -> pd.Series:
    """`function` of each cell, called once per distinct value (an export repeats a few names,
    types and notes over many rows); `missing` for blank (null) cells."""
    codes, distinct = pd.factorize(cells)
    values = np.empty(len(distinct) + 1, dtype=object)
    values[:-1] = [function(value) for value in distinct]
    values[-1] = missing
    return pd.Series(values[codes], index=cells.index, dtype=object)


def lookup(keys: pd.Series, mapping: dict) -> pd.Series:
    """`keys.map(mapping)`, one look-up per distinct key (None for keys not in `mapping`)."""
    return per_distinct(keys, mapping.get)


def parent_comparisons(frame: pd.DataFrame) -> list[str]:
    """Columns comparing an area with its parent (`Compared to region value or percentiles` ...)."""
    return [c for c in frame.columns if (m := _COMPARISON.match(_key(c))) and m.group(1) != "england"]


def is_england(codes: pd.Series, types: pd.Series) -> pd.Series:
    """England's row, whether its Area Type says England or Country."""
    return codes.eq(_ENGLAND_CODE) | _lower_in(types, ("england", "country"))


def _lower_in(types: pd.Series, names: tuple[str, ...]) -> pd.Series:
    """Area types that are one of `names` in any case, judged once per distinct type."""
    return per_distinct(types, lambda t: str(t).lower() in names, False).astype(bool)


def is_region(codes: pd.Series, types: pd.Series) -> pd.Series:
    return codes.fillna("").str.startswith(_REGION_PREFIX) | types.fillna("").str.lower().str.startswith("region")
