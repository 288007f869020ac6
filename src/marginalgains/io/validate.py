"""Row-level checks shared by the readers: each failing cell becomes a Rejection, nothing is dropped silently.

Row numbers count records from 1 (row 1 is the first record after the header).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marginalgains.errors import DataError, Rejection
from marginalgains.io.tabular import ROW_PROBLEMS
from marginalgains.periods import parse_period, plausible_years

LISTED_COPIES = 3
"""A duplicate's reason names this many rows of its key, then counts the rest (reasons stay bounded)."""
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NOT_FINITE = r"[+-]?(?:inf|infinity|nan)"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


@dataclass
class RowChecks:
    """Collects problems per row of one file, then splits the table into accepted and rejected."""

    file: str
    frame: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    set_aside: dict[str, int] = field(default_factory=dict)  # rows neither accepted nor rejected, counted by why

    def __post_init__(self) -> None:
        self.bad = np.zeros(len(self.frame), dtype=bool)
        problems = self.frame.attrs.get(ROW_PROBLEMS, {})  # ragged, blank or split rows, found by read_table
        for reason in sorted(set(problems.values())):
            rows = [r for r, why in problems.items() if why == reason]
            self.flag(np.isin(np.arange(len(self.frame)), rows), None, reason)

    def flag(self, mask, column: str | None, reasons) -> None:
        """Reject rows where `mask` holds (and no earlier check rejected them). `reasons` is one text,
        a per-row Series of texts, or a function of the flagged rows' positions giving their texts
        (so a reason is formatted only for the rows it is about)."""
        mask = np.asarray(mask, dtype=bool) & ~self.bad
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        if isinstance(reasons, str):
            texts = [reasons] * len(rows)
        elif callable(reasons):
            texts = list(reasons(rows))
        else:
            texts = list(pd.Series(reasons).iloc[rows])
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
    """Parse a column as finite numbers, rejecting the rest with the reason (and blanks, when required)."""
    column_values = checks.frame[column]
    missing = column_values.isna().to_numpy()
    if required:
        checks.flag(missing, column, "missing value")
    parsed, reasons = parse_numbers(column_values, checks.bad)
    checks.flag(reasons.notna().to_numpy(), column, reasons)
    return parsed


def parse_numbers(column: pd.Series, skip: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """Finite numbers from text (or numbers), and for each cell that is not one the reason (else None).

    Text must be a plain decimal (`12`, `-3.5`, `1e3`) or use well-formed thousands separators
    (`1,234`, `12,345.6`); `1.234,5`, `1,2,3,4`, `inf`, `NaN` and `1e400` are refused, not guessed
    at. Blank cells are missing (NaN) without a reason; `-0` keeps its sign for `non_negative`.
    Reasons are written only for failing cells outside `skip` (rows already rejected).
    """
    missing = column.isna()
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        parsed = column.astype(float)
        bad = ~missing & ~np.isfinite(parsed)
        reason = pd.Series(None, index=column.index, dtype=object)
        reason[bad] = [f"not a finite number: {v!r}" for v in parsed[bad]]
        return parsed.where(~bad), reason
    text = pc.utf8_trim_whitespace(_as_arrow_text(column, missing))
    plain = pc.match_substring_regex(text, f"^(?:{_NUMBER})$")
    thousands = pc.match_substring_regex(text, f"^(?:{_THOUSANDS})$")
    readable = pc.if_else(plain, text, pc.if_else(thousands, pc.replace_substring(text, ",", ""), pa.scalar(None, pa.string())))
    parsed = pd.Series(pc.cast(readable, pa.float64()).to_numpy(zero_copy_only=False), index=column.index)
    bad = (~missing & ~np.isfinite(parsed)).to_numpy()
    reason = pd.Series(None, index=column.index, dtype=object)
    failing = bad & (True if skip is None else ~skip)
    if failing.any():
        at = pa.array(np.flatnonzero(failing))  # the failing cells' texts and matches, taken in Arrow
        words = pd.Series(text.take(at).to_numpy(zero_copy_only=False), index=column.index[failing], dtype=object)
        plain_here, thousands_here = (pd.Series(m.take(at).to_numpy(zero_copy_only=False), index=words.index)
                                      for m in (plain, thousands))
        shown = column[failing].astype(str).map(repr)
        why = "not a number: " + shown
        why[words.str.contains(",", regex=False) & ~thousands_here] = "malformed thousands separator: " + shown
        infinite = words.str.fullmatch(_NOT_FINITE, case=False)
        why[plain_here | thousands_here | infinite] = "not a finite number: " + shown
        reason[failing] = why
    return parsed.where(np.isfinite(parsed)), reason


def _as_arrow_text(column: pd.Series, missing: pd.Series) -> pa.Array:
    """The cells as Arrow text, blank where missing: straight from Python strings, or through `str`
    when the column holds other objects."""
    try:
        return pc.fill_null(pa.array(column.to_numpy(dtype=object), type=pa.string(), from_pandas=True), "")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array(column.astype(object).where(~missing, "").astype(str), pa.string())


def non_negative(checks: RowChecks, column: str, values: pd.Series, what: str = "count") -> None:
    """Refuse negative values, and -0 (a sign on nothing is a typing slip or a broken export)."""
    checks.flag((values < 0).to_numpy() | np.signbit(values.to_numpy(dtype=float)), column,
                lambda rows: [f"negative {what}: {v:g}" for v in values.iloc[rows]])


def periods(checks: RowChecks, column: str, years: tuple[int, int] | None = None,
            missing: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Normalise period labels (a date becomes its month); return labels and grains.

    A period starting outside `years` (default `periods.plausible_years()`) is refused: a `9999/00`
    or `2099` typed by mistake would otherwise be the latest period, and the headline. A blank
    period is a "missing value", or the row's reason in `missing` where one is given."""
    first, last = years or plausible_years()
    text = checks.frame[column].fillna("").astype(str)
    codes, distinct = pd.factorize(text)  # one parse per distinct label, not per row, and no dict lookups
    labels = np.full(len(distinct), np.nan, dtype=object)
    grains = labels.copy()
    errors = np.full(len(distinct), "", dtype=object)
    refused = np.zeros(len(distinct), dtype=bool)
    for position, label in enumerate(distinct):
        try:
            grain, start = parse_period(label)
        except ValueError as exc:
            errors[position], refused[position] = str(exc) if label else "missing value", True
            continue
        if not first <= start.year <= last:
            errors[position] = (f"period {label.strip()!r} is outside the plausible years {first} to {last} "
                                "(set MARGINALGAINS_PERIOD_YEARS=FIRST-LAST to widen them)")
            refused[position] = True
            continue
        labels[position] = start.strftime("%Y-%m") if grain == "month" else label.strip()
        grains[position] = str(grain)
    failed = refused[codes]
    reasons = pd.Series(errors[codes], index=text.index, dtype=object)
    if missing is not None:
        reasons = reasons.where(text.ne("") | missing.isna(), missing)
    checks.flag(failed, column, reasons)
    return pd.Series(labels[codes], index=text.index, dtype=object), pd.Series(grains[codes], index=text.index, dtype=object)


def duplicates(checks: RowChecks, keys: list[str], column: str) -> None:
    """Reject every row of a repeated key (which copy is right cannot be known); each reason names
    the first few rows of its key and counts the copies, so reasons stay short however many there are."""
    keep = ~checks.bad
    live = checks.frame.loc[keep, keys]
    copied = live.duplicated(keep=False).to_numpy()
    if not copied.any():
        return
    repeated = live[copied].assign(_row=np.flatnonzero(keep)[copied] + 1)
    groups = repeated.groupby(keys, sort=False, dropna=False)
    key, order = groups.ngroup().to_numpy(), groups.cumcount().to_numpy()
    copies = pd.Series(np.bincount(key)[key], index=repeated.index)
    first = pd.DataFrame({"key": key, "order": order, "row": repeated["_row"].astype(str).to_numpy()})
    first = first[first["order"] < LISTED_COPIES].pivot(index="key", columns="order", values="row")
    listed = first[0]
    for position in range(1, first.shape[1]):
        listed = listed + (", " + first[position]).fillna("")
    listed = pd.Series(listed.reindex(key).to_numpy(), index=repeated.index)
    more = np.where(copies > LISTED_COPIES, " and " + (copies - LISTED_COPIES).map("{:,}".format) + " more ("
                    + copies.map("{:,}".format) + " copies)", "")
    mask = np.zeros(len(checks.frame), dtype=bool)
    mask[repeated["_row"].to_numpy() - 1] = True
    texts = pd.Series("", index=checks.frame.index)
    texts.loc[repeated.index] = "duplicate key (" + ", ".join(keys) + ") in rows " + listed + more
    checks.flag(mask, column, texts)
