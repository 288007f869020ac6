"""Read a Fingertips export into an inferred catalogue, checked values, comparators and inequality.

Each distinct (Indicator ID, Sex, Age) is one indicator. Its atlas id and title carry the
breakdown (`90366 (Male, 10+ yrs)`) whenever the export holds more than one, or one other than
Persons, All ages, so headlines and menus say which population they describe.
Rows read = accepted + rejected + set aside: repeated headers and byte-identical copies (England repeated in stacked
regional downloads) are kept once, deprivation quantile rows go to the inequality view, rows of
other category types and of indicators not selected are counted by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.io import validate
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.fingertips import infer
from marginalgains.io.fingertips.columns import ENGLAND_COMPARISON, REQUIRED, canonical_columns, lookup, parent_comparisons, per_distinct
from marginalgains.io.fingertips.inequality import inequality, is_deprivation, quantile_ranks
from marginalgains.io.fingertips.overlay import overlay, read_overrides
from marginalgains.io.selection import Selection
from marginalgains.io.tabular import TRIMMED, read_table
from marginalgains.io.values import ReadResult
from marginalgains.model import Indicator, Measure, distinct_titles

SOURCE = "Office for Health Improvement and Disparities, Fingertips (fingertips.phe.org.uk)"
LICENCE = "Open Government Licence v3.0"
COLLAPSED = "byte-identical duplicate rows (kept once)"
HEADERS = "repeated header rows (files stacked one after another)"
INEQUALITY = "deprivation decile and quintile rows (read into the inequality view, not compared as areas)"
PUBLISHED = ["indicator_id", "area_code", "area_name", "area_type", "period", "value", "lower95", "upper95"]
_LIMITS = {"Lower CI 95.0 limit": "lower95", "Upper CI 95.0 limit": "upper95",
           "Lower CI 99.8 limit": "lower998", "Upper CI 99.8 limit": "upper998"}
_TEXT = ["Indicator Name", "Area Name", "Area Type", "Sex", "Age", "Category Type", "Category"]
_ALL = "Persons, All ages"


@dataclass
class FingertipsExport:
    """What a Fingertips export gives the atlas."""

    catalogue: Catalogue
    read: ReadResult
    published: pd.DataFrame  # every accepted row's published value and 95% limits (England, regions: comparators)
    inference: dict[str, dict] = field(default_factory=dict)  # per indicator: each property and where it came from
    inequality: list[dict] = field(default_factory=list)

    def provenance(self) -> dict:
        return {"indicators": self.inference, "inequality": self.inequality,
                "collapsed_duplicate_rows": self.read.set_aside.get(COLLAPSED, 0)}


def read_fingertips(path: str | Path, overrides: str | Path | None = None, select: Selection | None = None,
                    name: str | None = None) -> FingertipsExport:
    """Read an export (`name` is what messages call it, e.g. its address), with optional overrides
    (a `--catalogue` file) and a selection of indicators (`--indicators`)."""
    file = name or str(path)
    raw = read_table(path).reset_index(drop=True)
    trimmed = {column: n for column, n in raw.attrs.get(TRIMMED, {}).items() if n}  # as the file names them
    headers = _header_rows(raw)
    frame = canonical_columns(file, raw)
    validate.require_columns(file, frame, REQUIRED)
    checks = validate.RowChecks(file, frame)
    frame.attrs.clear()  # the row problems are in `checks`; pandas would deep-copy attrs on every operation
    checks.put_aside(headers, HEADERS)
    checks.put_aside(frame.duplicated(keep="first").to_numpy(), COLLAPSED)
    for column in _TEXT:
        frame[column] = _single_spaced(frame[column])
    frame["base_id"] = frame["Indicator ID"].fillna("").astype(str).str.strip()
    frame["indicator_id"], frame["breakdown"], show_breakdown = _indicator_ids(frame)
    checks.flag(frame["base_id"].eq("").to_numpy(), "Indicator ID", "missing value")
    if select is not None:
        checks.put_aside(~select.matches(file, frame["base_id"], frame["indicator_id"]), select.not_selected)
    deprivation = _set_aside_categories(checks)
    _checked_rows(checks)
    validate.duplicates(checks, ["indicator_id", "Area Type", "area_code", "Category Type", "Category", "period"],
                        "Time period")
    catalogue, inference = _infer_catalogue(frame.loc[~checks.bad], file, show_breakdown, parent_comparisons(frame))
    if overrides is not None:
        dropped = frame.loc[checks.bad, ["base_id", "indicator_id"]].stack().unique()
        why = "not selected by --indicators, or every row rejected" if select is not None else "every row rejected"
        catalogue = _overlay(catalogue, inference, overrides, frame.loc[~checks.bad], {str(i): why for i in dropped})
    published = frame[["value", "lower95", "upper95"]].copy()
    _apply_measures(catalogue, checks, {i for i, record in inference.items()
                                        if record["multiplier"]["from"].startswith("catalogue")
                                        or record["measure"]["from"].startswith("catalogue")})
    quantiles = ~checks.bad & deprivation
    view = inequality(frame.loc[quantiles].assign(**published.loc[quantiles]), catalogue) if quantiles.any() else []
    checks.put_aside(quantiles, INEQUALITY)
    kept = ~checks.bad
    checks.rejections.sort(key=lambda r: r.row)
    read = ReadResult(_as_values(checks.accepted()), checks.rejections, len(frame), [file], checks.set_aside,
                      {file: trimmed} if trimmed else {})
    assert read.rows_accepted + read.rows_rejected + sum(read.set_aside.values()) == read.rows_read
    comparators = _as_values(frame.loc[kept].assign(**published.loc[kept]))[PUBLISHED]
    return FingertipsExport(catalogue, read, comparators, inference, view)


def _header_rows(raw: pd.DataFrame) -> np.ndarray:
    """Rows repeating the header as written (before aliases): files stacked one after another. Only
    rows whose first cell is the first column's name are compared in full."""
    candidates = np.flatnonzero(raw.iloc[:, 0].eq(raw.columns[0]).to_numpy(dtype=bool))
    headers = np.zeros(len(raw), dtype=bool)
    headers[candidates] = raw.iloc[candidates].eq(pd.Series(raw.columns, index=raw.columns)).all(axis=1).to_numpy()
    return headers


def _single_spaced(text: pd.Series) -> pd.Series:
    """Names with newlines and runs of spaces collapsed (once per distinct name); blanks as ''."""
    return per_distinct(text, lambda name: " ".join(str(name).split()), "")


def _indicator_ids(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, bool]:
    """Atlas ids, breakdown labels, and whether ids and titles show the breakdown (`90366 (Male, 10+ yrs)`):
    they do when the export holds several breakdowns, or one other than Persons, All ages."""
    label = per_distinct(frame["Sex"] + ", " + frame["Age"], lambda both: both.strip(", "))
    breakdowns = set(pd.unique(label))
    shown = len(breakdowns) > 1 or breakdowns - {_ALL, ""} != set()
    plain = label.eq("") if shown else pd.Series(True, index=frame.index)
    ids = frame["base_id"].where(plain, frame["base_id"] + " (" + label + ")")
    return ids, label, shown


def _set_aside_categories(checks: validate.RowChecks) -> pd.Series:
    """Rows of a category type other than deprivation quantiles are counted by name; deprivation
    rows must name their quantile. Returns which rows are deprivation quantiles."""
    frame = checks.frame
    category = frame["Category Type"]
    deprivation = is_deprivation(category)
    for name in pd.unique(category[category.ne("") & ~deprivation]):
        checks.put_aside(category.eq(name).to_numpy(),
                         f"rows of category type {name!r} (only deprivation deciles and quintiles are analysed)")
    frame["rank"] = quantile_ranks(category[deprivation], frame.loc[deprivation, "Category"]).reindex(frame.index)
    checks.flag((deprivation & frame["rank"].isna()).to_numpy(), "Category",
                lambda rows: [f"not a deprivation decile or quintile name: {name!r}" for name in frame["Category"].iloc[rows]])
    return deprivation


def _checked_rows(checks: validate.RowChecks) -> None:
    frame = checks.frame
    frame["area_code"] = frame["Area Code"].fillna("").astype(str).str.strip()
    checks.flag(frame["area_code"].eq("").to_numpy(), "Area Code", "missing value")
    frame["period"], frame["grain"] = validate.periods(checks, "Time period")
    note = frame["Value note"].fillna("")
    checks.flag((frame["Value"].isna() & note.ne("")).to_numpy(), "Value", "no value published (" + note + ")")
    frame["value"] = validate.numbers(checks, "Value")
    for column, target in (("Count", "numerator"), ("Denominator", "denominator")):
        frame[target] = validate.numbers(checks, column, required=False)
        validate.non_negative(checks, column, frame[target])
    checks.flag((frame["denominator"] == 0).to_numpy(), "Denominator", "zero denominator")
    for column, target in _LIMITS.items():
        frame[target] = validate.numbers(checks, column, required=False)  # blank when not published


def _infer_catalogue(rows: pd.DataFrame, file: str, show_breakdown: bool,
                     parents: list[str]) -> tuple[Catalogue, dict[str, dict]]:
    indicators, inference = {}, {}
    rows = rows[["indicator_id", "base_id", "Sex", "Age", "Indicator Name", "breakdown", "value", "numerator",
                 "denominator", "Value note",
                 "Category Type", "area_code", "Area Type", "Parent Code", "period", ENGLAND_COMPARISON, *parents]]
    for indicator_id, group in rows.groupby("indicator_id", sort=False):
        measure, multiplier = infer.measure(group)
        polarity = infer.polarity(group[group["Category Type"].eq("")], parents)
        modelled = infer.modelled(group)
        unit = _unit(measure.value, multiplier.value)
        name, breakdown = group["Indicator Name"].iloc[0], group["breakdown"].iloc[0]
        indicators[indicator_id] = Indicator(
            id=indicator_id, title=f"{name} ({breakdown})" if show_breakdown and breakdown else name,
            polarity=polarity.value, measure=measure.value, multiplier=multiplier.value, unit=unit,
            source=SOURCE, licence=LICENCE, modelled=modelled,
            sex=group["Sex"].iloc[0], age=group["Age"].iloc[0], family=group["base_id"].iloc[0])  # totals add one breakdown
        inference[indicator_id] = {
            "indicator_name": name, "breakdown": breakdown, "rows": len(group),
            "measure": measure.as_dict(), "multiplier": multiplier.as_dict(),
            "unit": {"value": unit, "from": "the measure and multiplier"}, "polarity": polarity.as_dict(),
            "modelled": modelled or None,
        }
    return Catalogue(distinct_titles(indicators), {k: {} for k in indicators}, file), inference


def _unit(measure: Measure, multiplier: float) -> str:
    if measure is Measure.PROPORTION:
        return "%" if multiplier == 100 else ""
    return f"per {multiplier:,.0f}" if measure in (Measure.RATE, Measure.DSR) else ""


def _overlay(catalogue: Catalogue, inference: dict[str, dict], overrides, rows: pd.DataFrame,
             dropped: dict[str, str]) -> Catalogue:
    """The inferred catalogue with the overrides applied, each recorded in `inference` with its file.
    A unit the file does not set follows an overridden measure or multiplier. `dropped`: ids in the
    export none of whose rows is analysed, and why (an override naming one is an error saying so)."""
    breakdowns = rows.groupby("base_id")["indicator_id"].unique().map(list).to_dict()
    with_denominators = set(rows.loc[rows["denominator"].notna(), "indicator_id"])
    catalogue, set_by = overlay(catalogue, read_overrides(overrides), overrides, breakdowns, with_denominators, dropped)
    indicators = dict(catalogue.indicators)
    for indicator_id, keys in set_by.items():
        if {"measure", "multiplier"} & set(keys) and "unit" not in keys:
            indicator = indicators[indicator_id]
            indicators[indicator_id] = replace(indicator, unit=_unit(indicator.measure, indicator.multiplier))
            keys = {**keys, "unit": f"the measure and multiplier, as set by catalogue {overrides}"}
        for key, source in keys.items():
            value = getattr(indicators[indicator_id], key)
            inference[indicator_id][key] = {"value": getattr(value, "value", value if not isinstance(value, tuple)
                                                             else list(value)), "from": source}
    return Catalogue(distinct_titles(indicators), catalogue.definitions, catalogue.path)


def _apply_measures(catalogue: Catalogue, checks: validate.RowChecks, overridden: set[str]) -> None:
    """Rows must agree with their indicator's measure; recomputed measures drop the published limits.

    A proportion or crude rate with counts is recomputed from them (not a modelled estimate): a row
    whose Value is not its Count / Denominator x multiplier is rejected, not allowed to turn the
    indicator into something else (`overridden`: ids whose measure or multiplier the catalogue
    set, which the reason then names), and counts above denominators are refused for proportions.
    """
    frame = checks.frame
    ids = frame["indicator_id"]
    measure = lookup(ids, {i.id: str(i.measure) for i in catalogue})
    multiplier = lookup(ids, {i.id: i.multiplier for i in catalogue}).astype(float)
    modelled = lookup(ids, {i.id: bool(i.modelled) for i in catalogue}).eq(True)
    counted = (frame["numerator"].notna() & frame["denominator"].notna()).groupby(ids).transform("any")
    # unknown ids have no measure; an indicator without a count in any row keeps its published figures
    recomputed = measure.isin([str(Measure.PROPORTION), str(Measure.RATE)]) & ~modelled & counted
    checks.flag((recomputed & (frame["numerator"].isna() | frame["denominator"].isna())).to_numpy(), "Count",
                "no Count or Denominator for an indicator whose limits are recomputed from counts")
    checks.flag((measure.eq(str(Measure.PROPORTION)) & (frame["numerator"] > frame["denominator"])).to_numpy(),
                "Count", "Count is above its Denominator for a proportion")
    crude = frame["numerator"] / frame["denominator"] * multiplier
    off = recomputed & frame["value"].notna() & ~np.isclose(frame["value"], crude, rtol=infer.RTOL, atol=0)
    basis = ids.isin(overridden).map({True: "as the catalogue's measure and multiplier say it is",
                                      False: "as the indicator's other rows are; which figure is right cannot be known"})
    checks.flag(off.to_numpy(), "Value", lambda rows: [
        f"Value {value:g} is not Count / Denominator x {times:,g} ({expected:.6g}), {why}"
        for value, times, expected, why in zip(frame["value"].iloc[rows], multiplier.iloc[rows], crude.iloc[rows],
                                               basis.iloc[rows])])
    for column in ("value", "lower95", "upper95", "lower998", "upper998"):
        frame[column] = frame[column].where(~recomputed)


def _as_values(rows: pd.DataFrame) -> pd.DataFrame:
    renamed = rows.rename(columns={"Area Name": "area_name", "Area Type": "area_type", "Parent Code": "parent_code"})
    columns = ["indicator_id", "area_code", "area_name", "area_type", "parent_code", "period", "grain",
               "numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]
    return renamed[columns].reset_index(drop=True)
