"""Fingertips (OHID) CSV exports, read as analysts download them.

Each distinct (Indicator ID, Sex, Age) becomes one indicator. Rows of inequality breakdowns
(a non-empty `Category Type`) describe groups, not places: they are refused with that reason.
The measure is inferred from how `Value` relates to `Count / Denominator` (a percentage, a
proportion, or a crude rate per 1,000 / 100,000); otherwise the published value and 95%
limits are used as reported (a directly standardised rate when the name says standardised).
Polarity is inferred from the `Compared to England` column: where an area marked Better sits
above England, high is good; Higher/Lower or no judgements means no judgement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.io import validate
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.tabular import read_table
from marginalgains.io.values import ReadResult
from marginalgains.model import Indicator, Measure, Polarity

REQUIRED = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Time period", "Value"]
OPTIONAL = ["Parent Code", "Sex", "Age", "Category Type", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
            "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
            "Compared to England value or percentiles"]
SOURCE = "Office for Health Improvement and Disparities, Fingertips (fingertips.phe.org.uk)"
LICENCE = "Open Government Licence v3.0"
_SCALES = {1.0: (Measure.PROPORTION, 1), 100.0: (Measure.PROPORTION, 100),
           1000.0: (Measure.RATE, 1000), 100000.0: (Measure.RATE, 100000)}


def read_fingertips(path: str | Path) -> tuple[Catalogue, ReadResult]:
    """Read a Fingertips export: an inferred catalogue, and values with any published limits."""
    file = str(path)
    frame = read_table(path)
    validate.require_columns(file, frame, REQUIRED)
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = None
    checks = validate.RowChecks(file, frame.reset_index(drop=True))
    values = _checked_rows(checks)
    validate.duplicates(checks, ["indicator_id", "Area Type", "area_code", "period"], "Time period")  # a UA is listed under each type
    catalogue = _infer_catalogue(values.loc[~checks.bad], file)
    _apply_measures(catalogue, checks)
    accepted = checks.accepted()
    checks.rejections.sort(key=lambda r: r.row)
    return catalogue, ReadResult(_as_values(accepted), checks.rejections, len(frame), [file])


def _checked_rows(checks: validate.RowChecks) -> pd.DataFrame:
    frame = checks.frame
    frame["indicator_id"] = _indicator_ids(frame)
    frame["area_code"] = frame["Area Code"].str.strip()
    checks.flag(frame["area_code"].isna() | (frame["area_code"] == ""), "Area Code", "missing value")
    checks.flag(frame["Category Type"].fillna("").str.strip().ne("").to_numpy(), "Category Type",
                "inequality breakdown row (" + frame["Category Type"].astype(str)
                + "): a group, not an area; not analysed")
    frame["period"], frame["grain"] = validate.periods(checks, "Time period")
    note = frame.get("Value note", pd.Series(None, index=frame.index)).fillna("")
    checks.flag((frame["Value"].isna() & note.ne("")).to_numpy(), "Value", "no value published (" + note + ")")
    frame["value"] = validate.numbers(checks, "Value")
    for column, target in (("Count", "numerator"), ("Denominator", "denominator")):
        frame[target] = validate.numbers(checks, column, required=False)
        validate.non_negative(checks, column, frame[target])
    checks.flag((frame["denominator"] == 0).to_numpy(), "Denominator", "zero denominator")
    for column, target in (("Lower CI 95.0 limit", "lower95"), ("Upper CI 95.0 limit", "upper95"),
                           ("Lower CI 99.8 limit", "lower998"), ("Upper CI 99.8 limit", "upper998")):
        frame[target] = validate.numbers(checks, column, required=False)  # blank when not published
    return frame


def _indicator_ids(frame: pd.DataFrame) -> pd.Series:
    """`<Indicator ID>`, with sex and age appended when an indicator has several breakdowns."""
    base = frame["Indicator ID"].astype(str).str.strip()
    sex, age = frame["Sex"].fillna("").astype(str), frame["Age"].fillna("").astype(str)
    breakdown = sex + "|" + age
    several = breakdown.groupby(base).transform("nunique") > 1
    suffix = " (" + sex.str.lower() + ", " + age + ")"
    return base.where(~several, base + suffix)


def _infer_catalogue(rows: pd.DataFrame, file: str) -> Catalogue:
    indicators = {}
    for indicator_id, group in rows.groupby("indicator_id", sort=False):
        measure, multiplier = _infer_measure(group)
        indicators[indicator_id] = Indicator(
            id=indicator_id, title=str(group["Indicator Name"].iloc[0]),
            polarity=_infer_polarity(group), measure=measure, multiplier=multiplier,
            unit="%" if multiplier == 100 and measure is Measure.PROPORTION
            else (f"per {multiplier:,.0f}" if measure in (Measure.RATE, Measure.DSR) else ""),
            source=SOURCE, licence=LICENCE,
        )
    return Catalogue(indicators, {k: {} for k in indicators}, file)


def _infer_measure(group: pd.DataFrame) -> tuple[Measure, float]:
    crude = group["value"] / (group["numerator"] / group["denominator"])
    crude = crude[np.isfinite(crude) & (group["numerator"] > 0)]
    if len(crude):
        for known, (measure, multiplier) in _SCALES.items():
            if np.allclose(crude, known, rtol=0.005):
                if measure is Measure.PROPORTION and (group["numerator"] > group["denominator"]).any():
                    return Measure.RATE, multiplier
                return measure, multiplier
    standardised = group["Indicator Name"].str.contains("standardised|rate", case=False).any()
    return (Measure.DSR, 100000) if standardised else (Measure.MEAN, 1)


def _infer_polarity(group: pd.DataFrame) -> Polarity:
    comparison = group["Compared to England value or percentiles"].fillna("").str.lower()
    england = group.loc[group["Area Type"].str.lower() == "england"].set_index("period")["value"]
    benchmark = group["period"].map(england)
    better = comparison.str.startswith("better") & benchmark.notna()
    worse = comparison.str.startswith("worse") & benchmark.notna()
    above = group["value"] > benchmark
    if (better & above).any() or (worse & ~above).any():
        return Polarity.HIGH_IS_GOOD
    if (better & ~above).any() or (worse & above).any():
        return Polarity.LOW_IS_GOOD
    return Polarity.NO_JUDGEMENT


def _apply_measures(catalogue: Catalogue, checks: validate.RowChecks) -> None:
    """Proportions need counts within denominators; recomputable measures drop the published limits."""
    frame = checks.frame
    measure = frame["indicator_id"].map({i.id: i.measure for i in catalogue})
    recomputed = measure.isin([Measure.PROPORTION, Measure.RATE])
    checks.flag((recomputed & (frame["numerator"].isna() | frame["denominator"].isna())).to_numpy(), "Count",
                "no Count or Denominator for an indicator whose limits are recomputed from counts")
    checks.flag(((measure == Measure.PROPORTION) & (frame["numerator"] > frame["denominator"])).to_numpy(),
                "Count", "Count is above its Denominator for a proportion")
    for column in ("value", "lower95", "upper95", "lower998", "upper998"):
        frame[column] = frame[column].where(~recomputed)


def _as_values(rows: pd.DataFrame) -> pd.DataFrame:
    renamed = rows.rename(columns={"Area Name": "area_name", "Area Type": "area_type", "Parent Code": "parent_code"})
    columns = ["indicator_id", "area_code", "area_name", "area_type", "parent_code", "period", "grain",
               "numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]
    return renamed[columns].reset_index(drop=True)
