"""Row-level checks shared by the readers: each failing cell becomes a Rejection, nothing is dropped silently.

Row numbers count records from 1 (row 1 is the first record after the header).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from marginalgains.errors import DataError, Rejection
from marginalgains.periods import parse_period


@dataclass
class RowChecks:
    """Collects problems per row of one file, then splits the table into accepted and rejected."""

    file: str
    frame: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    set_aside: dict[str, int] = field(default_factory=dict)  # rows neither accepted nor rejected, counted by why

    def __post_init__(self) -> None:
        self.bad = np.zeros(len(self.frame), dtype=bool)

    def flag(self, mask, column: str, reasons) -> None:
        """Reject rows where `mask` holds; `reasons` is one text or a per-row Series of texts."""
        mask = np.asarray(mask, dtype=bool) & ~self.bad
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        texts = [reasons] * len(rows) if isinstance(reasons, str) else list(pd.Series(reasons).iloc[rows])
        self.rejections.extend(Rejection(self.file, int(r) + 1, column, t) for r, t in zip(rows, texts))
        self.bad |= mask

    def put_aside(self, mask, why: str) -> None:
        """Take rows out without rejecting them (a repeated copy, a row not selected), counted under `why`."""
        mask = np.asarray(mask, dtype=bool) & ~self.bad
        if mask.any():
            self.set_aside[why] = self.set_aside.get(why, 0) + int(mask.sum())
            self.bad |= mask

    def accepted(self) -> pd.DataFrame:
        return self.frame.loc[~self.bad].reset_index(drop=True)


def require_columns(file: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """A missing column makes the whole file unreadable: say which, and what was found."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{file}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )


def numbers(checks: RowChecks, column: str, required: bool = True) -> pd.Series:
    """Parse a text column as numbers, rejecting text that is not a number (and blanks, when required)."""
    text = checks.frame[column]
    parsed = pd.to_numeric(text.str.replace(",", "", regex=False) if text.dtype == object else text,
                           errors="coerce").astype(float)
    missing = text.isna().to_numpy()
    if required:
        checks.flag(missing, column, "missing value")
    checks.flag(~missing & parsed.isna().to_numpy(), column,
                "not a number: " + text.astype(str).map(repr))
    return parsed


def non_negative(checks: RowChecks, column: str, values: pd.Series, what: str = "count") -> None:
    checks.flag((values < 0).to_numpy(), column, f"negative {what}: " + values.map("{:g}".format))


def periods(checks: RowChecks, column: str) -> tuple[pd.Series, pd.Series]:
    """Normalise period labels (a date becomes its month); return labels and grains."""
    text = checks.frame[column].fillna("").astype(str)
    labels, grains, errors = {}, {}, {}
    for label in pd.unique(text):  # one parse per distinct label, not per row
        try:
            grain, start = parse_period(label)
        except ValueError as exc:
            errors[label] = str(exc) if label else "missing value"
            continue
        labels[label] = start.strftime("%Y-%m") if grain == "month" else label.strip()
        grains[label] = str(grain)
    failed = text.isin(list(errors))
    checks.flag(failed.to_numpy(), column, text.map(errors).astype(object).fillna(""))
    return text.map(labels), text.map(grains)


def duplicates(checks: RowChecks, keys: list[str], column: str) -> None:
    """Reject every row of a repeated key: which copy is right cannot be known."""
    frame = checks.frame.loc[:, keys].copy()
    frame["_row"] = np.arange(1, len(frame) + 1)
    live = frame.loc[~checks.bad]
    repeated = live[live.duplicated(keys, keep=False)]
    if repeated.empty:
        return
    rows_by_key = repeated.groupby(keys, sort=False)["_row"].agg(lambda r: ", ".join(map(str, r)))
    reason = repeated.join(rows_by_key.rename("_rows"), on=keys)["_rows"]
    mask = np.zeros(len(frame), dtype=bool)
    mask[repeated["_row"].to_numpy() - 1] = True
    texts = pd.Series("", index=frame.index)
    texts.loc[repeated.index] = "duplicate key (" + ", ".join(keys) + ") in rows " + reason
    checks.flag(mask, column, texts)
