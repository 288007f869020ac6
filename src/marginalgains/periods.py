"""Period labels: parse what analysts write, and label dates at a grain.

Labels are the NHS and Fingertips conventions:
- month `2018-04` (a date such as `2018-04-01` is read as its month),
- financial quarter `2018/19 Q1` (April to June 2018),
- financial year `2018/19` (April 2018 to March 2019),
- calendar year `2018`,
- pooled years as Fingertips writes them: `2016 - 18` (calendar) or `2016/17 - 18/19` (financial).
"""

from __future__ import annotations

import os
import re
from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd


class Grain(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial_year"
    YEAR = "year"
    MULTI_YEAR = "multi_year"


_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_YEARS = re.compile(r"^(\d{4}) - (\d{2})$")
_FINANCIAL_YEARS = re.compile(r"^(\d{4})/(\d{2}) - (\d{2})/(\d{2})$")


def parse_period(label: str) -> tuple[Grain, pd.Timestamp]:
    """Return the grain and first day of a period label; ValueError says why one is refused."""
    text = str(label).strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if m[3] is None and month > 12 and month == (year + 1) % 100:
            raise ValueError(f"cannot read period {text!r}: write financial years as {year}/{month:02d}")
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is not between 1 and 12")
        if m[3] is not None:
            pd.Timestamp(year=year, month=month, day=int(m[3]))  # raises on an impossible date
        return Grain.MONTH, pd.Timestamp(year=year, month=month, day=1)
    if m := _QUARTER.match(text):
        start = int(m[1])
        _check_financial_year(start, int(m[2]))
        quarter = int(m[3])
        return Grain.QUARTER, pd.Timestamp(year=start, month=4, day=1) + pd.DateOffset(months=3 * (quarter - 1))
    if m := _FINANCIAL_YEAR.match(text):
        start = int(m[1])
        _check_financial_year(start, int(m[2]))
        return Grain.FINANCIAL_YEAR, pd.Timestamp(year=start, month=4, day=1)
    if _YEAR.match(text):
        return Grain.YEAR, pd.Timestamp(year=int(text), month=1, day=1)
    if m := _YEARS.match(text):
        return Grain.MULTI_YEAR, pd.Timestamp(year=int(m[1]), month=1, day=1)
    if m := _FINANCIAL_YEARS.match(text):
        _check_financial_year(int(m[1]), int(m[2]))
        return Grain.MULTI_YEAR, pd.Timestamp(year=int(m[1]), month=4, day=1)
    raise ValueError(
        f"cannot read period {text!r}: expected a month (2018-04), a financial quarter "
        "(2018/19 Q1), a financial year (2018/19), a year (2018) or pooled years (2016 - 18)"
    )


PERIOD_YEARS_VARIABLE = "MARGINALGAINS_PERIOD_YEARS"
FIRST_PLAUSIBLE_YEAR = 1900


def plausible_years() -> tuple[int, int]:
    """The first and last year a period may start in: 1900 to next year, or `FIRST-LAST` from the
    MARGINALGAINS_PERIOD_YEARS environment variable (for projections or historical series)."""
    setting = os.environ.get(PERIOD_YEARS_VARIABLE, "").strip()
    if not setting:
        return FIRST_PLAUSIBLE_YEAR, date.today().year + 1
    first, _, last = setting.partition("-")
    try:
        years = int(first), int(last)
    except ValueError:
        raise ValueError(f"{PERIOD_YEARS_VARIABLE} must be FIRST-LAST such as 1990-2030, got {setting!r}") from None
    if years[0] > years[1]:
        raise ValueError(f"{PERIOD_YEARS_VARIABLE}: the first year {years[0]} is after the last {years[1]}")
    return years


def _check_financial_year(start: int, end_two_digits: int) -> None:
    if (start + 1) % 100 != end_two_digits:
        raise ValueError(f"financial year {start}/{end_two_digits:02d} does not run into the next year")


def label_periods(dates: pd.Series, grain: Grain | str) -> pd.Series:
    """Label each date with the period of `grain` that contains it (vectorised)."""
    grain = Grain(grain)
    dates = pd.to_datetime(dates)
    year, month = dates.dt.year, dates.dt.month
    if grain is Grain.MONTH:
        return dates.dt.strftime("%Y-%m")
    if grain is Grain.YEAR:
        return year.astype(str)
    start = year - (month < 4).astype(int)
    fy = start.astype(str) + "/" + ((start + 1) % 100).map("{:02d}".format)
    if grain is Grain.FINANCIAL_YEAR:
        return fy
    quarter = ((month - 4) % 12) // 3 + 1
    return fy + " Q" + quarter.astype(str)


def period_starts(labels: pd.Series, unreadable_last: bool = False) -> pd.Series:
    """First day of each labelled period, for ordering. Labels must be valid, unless
    `unreadable_last`: then a missing or unreadable label sorts after every period (NaT)."""
    unique = pd.unique(np.asarray(labels, dtype=object))
    starts = {label: _start_or_none(label) if unreadable_last else parse_period(label)[1] for label in unique}
    return pd.Series(labels, copy=False).map(starts)


def _start_or_none(label) -> pd.Timestamp | None:
    if label is None:
        return None
    try:
        return parse_period(label)[1]
    except ValueError:
        return None


SUBPERIODS_PER_YEAR = {Grain.MONTH: 12, Grain.QUARTER: 4}


def financial_years(values: pd.DataFrame) -> pd.DataFrame:
    """Counts per indicator x area x financial year: months and quarters summed into their years.

    Only rows whose value comes from counts roll up (published values, such as a DSR with its
    own limits, stay at their grain). Each rolled-up row records `subperiods` (how many months
    or quarters it sums) and `complete_year` (whether any area of that indicator has the whole
    year: a year still in progress is then known as such, not passed off as a full one).
    """
    published = values["value"].notna() if "value" in values else pd.Series(False, index=values.index)
    sub_annual = values["grain"].isin(list(SUBPERIODS_PER_YEAR)) & ~published
    rolled = values[sub_annual]
    if len(rolled):
        expected = rolled["grain"].map({str(g): n for g, n in SUBPERIODS_PER_YEAR.items()})
        rolled = rolled.assign(period=label_periods(period_starts(rolled["period"]), Grain.FINANCIAL_YEAR).to_numpy(),
                               grain=str(Grain.FINANCIAL_YEAR), expected=expected.to_numpy())
        keys = ["indicator_id", "area_code", "period", "grain"]
        rolled = rolled.groupby(keys, as_index=False, sort=False).agg(
            numerator=("numerator", "sum"), denominator=("denominator", "sum"),
            subperiods=("numerator", "size"), expected=("expected", "max"))
        full = rolled["subperiods"] >= rolled["expected"]
        rolled["complete_year"] = full.groupby([rolled["indicator_id"], rolled["period"]]).transform("any")
        rolled = rolled.drop(columns="expected")
    kept = values[~sub_annual].assign(complete_year=True)
    return pd.concat([rolled, kept], ignore_index=True)


def whole_years(annual: pd.DataFrame) -> pd.DataFrame:
    """Rows of whole years only, for each indicator that has any (see `financial_years`)."""
    has_whole = annual.groupby("indicator_id")["complete_year"].transform("any")
    return annual[annual["complete_year"] | ~has_whole].reset_index(drop=True)
