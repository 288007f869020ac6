"""What a Fingertips indicator is, inferred from its rows, each inference with where it came from.

- Measure and multiplier: how `Value` relates to `Count / Denominator`. When most rows with
  counts agree on one power of ten (Value = Count / Denominator x 10^k), the indicator is a
  percentage or proportion (x1 or x100, counts within denominators) or a crude rate per 10^k,
  whatever the power; the rows that disagree are rejected by the reader. A name that says
  "directly standardised", "age-standardised" or "DSR", or values near but not equal to a
  crude rate in most rows, make a directly standardised rate (published value and limits).
  A value equal to its count is a head-count. Without counts, a name saying percentage or
  proportion (values within 0 to 100) is a published percentage. Anything else is a published mean.
- Modelled estimates: a name or `Value note` saying modelled, model-based or synthetic, or counts
  that are not whole.
- Polarity: areas rated Better or Worse (than England, or their parent) compared with the
  benchmark's value; without a benchmark row, the values of Better against Worse (or Similar) areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marginalgains.io.fingertips.columns import ENGLAND_COMPARISON, is_england, lookup, per_distinct
from marginalgains.model import Measure, Polarity

RTOL = 0.005  # Value against Count / Denominator x 10^k: Fingertips publishes values to several places
DSR_WORDING = re.compile(r"directly[\s-]+standardi[sz]ed|age[\s-]+standardi[sz]ed|\bDSRs?\b", re.IGNORECASE)
PERCENT_WORDING = re.compile(r"\bpercentage\b|\bproportion\b|%", re.IGNORECASE)
MODELLED_NOTE = re.compile(r"\bmodell?ed\b|\bsynthetic\b|\bmodel[\s-]+based\b", re.IGNORECASE)
_DSR_SPREAD = 3.0  # a DSR sits within a factor of this of the crude rate in most areas


@dataclass(frozen=True)
class Inferred:
    """A value and where it came from (which rows, or the catalogue)."""

    value: object
    source: str

    def as_dict(self) -> dict:
        value = self.value
        return {"value": value.value if hasattr(value, "value") else value, "from": self.source}


def measure(rows: pd.DataFrame) -> tuple[Inferred, Inferred]:
    """The measure and multiplier of one indicator's rows (`value`, `numerator`, `denominator`, name)."""
    name = str(rows["Indicator Name"].iloc[0])
    value, count, size = rows["value"], rows["numerator"], rows["denominator"]
    scale = value / (count / size)
    usable = np.isfinite(scale) & (scale > 0) & (count > 0) & (value > 0)
    power = np.round(np.log10(scale.where(usable)))
    wording = DSR_WORDING.search(name)
    if wording:
        how = f"the name says {wording.group(0)!r}"
        return (Inferred(Measure.DSR, f"{how}: a directly standardised rate (published value and limits)"),
                Inferred(_dsr_multiplier(scale[usable]), f"{how}; the value's size against Count / Denominator"
                         if usable.any() else f"{how}; no counts to scale by, so per 100,000 as Fingertips' DSRs are"))
    counted = count.notna() & value.notna()
    heads = counted & np.isclose(value, count, rtol=RTOL, atol=0)
    if counted.any() and heads.sum() * 2 > counted.sum() and not usable[~heads].any():
        return (Inferred(Measure.COUNT, f"Value = Count in {heads.sum()} of {counted.sum()} rows: a count of people "
                                        "or events, not a rate"), Inferred(1.0, "a count"))
    if not usable.any():
        percentage = PERCENT_WORDING.search(name)
        if percentage and value.between(0, 100).all():
            return (Inferred(Measure.PROPORTION, f"the name says {percentage.group(0)!r} and no counts are given: "
                                                 "a percentage, published value and limits kept"),
                    Inferred(100.0, "a percentage"))
        return (Inferred(Measure.MEAN, "no counts behind the values: published value and limits kept"),
                Inferred(1.0, "no counts to scale by"))
    n = int(usable.sum())
    exact = usable & (np.abs(scale / 10.0 ** power - 1) <= RTOL)
    k = power[exact].mode().iloc[0] if exact.any() else None
    agree = int((exact & (power == k)).sum())
    if agree * 2 > n:
        multiplier = float(10.0 ** k)
        proportion = multiplier in (1.0, 100.0) and not (count > size).any()
        kind = "" if proportion else (": counts above denominators" if multiplier in (1.0, 100.0) else ": a crude rate")
        return (Inferred(Measure.PROPORTION if proportion else Measure.RATE,
                         f"Value = Count / Denominator x {multiplier:,.0f} in {agree} of {n} rows with counts{kind}"),
                Inferred(multiplier, f"Value / (Count / Denominator) in {agree} rows"))
    multiplier = _dsr_multiplier(scale[usable])
    near = usable & (np.abs(np.log10(scale / multiplier)) <= np.log10(_DSR_SPREAD))
    rate_named = re.search(r"\brates?\b", name, re.IGNORECASE)
    if multiplier >= 1000 and (near.sum() * 2 > n or rate_named):
        why = (f"Value is near Count / Denominator x {multiplier:,.0f} but not equal to it in {int(near.sum())} of {n} rows"
               if near.sum() * 2 > n else f"the name says {rate_named.group(0)!r} and Value is not Count / Denominator "
                                          "x a power of ten")
        return (Inferred(Measure.DSR, f"{why}: a standardised rate (published value and limits)"),
                Inferred(multiplier, "the value's size against Count / Denominator"))
    return (Inferred(Measure.MEAN, f"Value is not Count / Denominator x a power of ten in most of the {n} rows "
                                   "with counts: published value and limits kept"),
            Inferred(1.0, "not a rate of its counts"))


def _dsr_multiplier(scale: pd.Series) -> float:
    """Per 100,000 (Fingertips' usual DSR scale) unless Value / (Count / Denominator) says another power."""
    if scale.empty:
        return 100000.0
    size = np.log10(scale.median())
    return 100000.0 if 4 <= size <= 6 else float(10.0 ** np.round(size))


def modelled(rows: pd.DataFrame) -> str:
    """Why an indicator's values are modelled estimates rather than counts ('' when they are not)."""
    notes = per_distinct(rows["Value note"], str, "")
    noted = per_distinct(notes, lambda note: MODELLED_NOTE.search(note) is not None).astype(bool)
    count = rows["numerator"]
    fractional = count.notna() & ~np.isclose(count, np.round(count), rtol=0, atol=1e-9)
    reasons = []
    named = MODELLED_NOTE.search(str(rows["Indicator Name"].iloc[0]))
    if named:
        reasons.append(f"the name says {named.group(0)!r}")
    if noted.any():
        reasons.append(f"the Value note of {int(noted.sum())} rows says {notes[noted].iloc[0]!r}")
    if fractional.any():
        reasons.append(f"{int(fractional.sum())} rows have counts that are not whole numbers "
                       f"(e.g. {count[fractional].iloc[0]:.10g})")
    if not reasons:
        return ""
    return ("modelled estimates (" + "; ".join(reasons) + "): published values and limits are kept, and no funnel, "
            "outlier count or gain in people is drawn from them")


def polarity(rows: pd.DataFrame, parent_columns: list[str]) -> Inferred:
    """High or low is good, from the Better/Worse ratings of one indicator's rows against their benchmarks."""
    england = is_england(rows["area_code"], rows["Area Type"])
    england_value = rows.loc[england].drop_duplicates("period").set_index("period")["value"]
    comparisons = [(ENGLAND_COMPARISON, lookup(rows["period"], england_value.to_dict()).astype(float), "England")]
    if parent_columns:
        by_area = rows.drop_duplicates(["period", "area_code"]).set_index(["period", "area_code"])["value"]
        parent = pd.MultiIndex.from_arrays([rows["period"], rows["Parent Code"].fillna("")])
        comparisons += [(c, pd.Series(by_area.reindex(parent).to_numpy(), index=rows.index), "the parent area")
                        for c in parent_columns]
    high = low = 0
    used, graded = [], False
    for column, benchmark, against in comparisons:
        rating = _ratings(rows[column])
        graded |= any(re.match(r"higher|lower", r) for r in pd.unique(rating))
        up, down = _votes(rows, rating, benchmark)
        if up or down:
            used.append(f"{column!r} (against {against}'s value, or Better against Worse areas)")
        high, low = high + up, low + down
    if high == low:
        why = ("rated Higher or Lower, not Better or Worse" if graded and not (high or low)
               else f"{high} rated rows say high is good and {low} low is good" if high
               else "no rows are rated Better or Worse")
        return Inferred(Polarity.NO_JUDGEMENT, why)
    direction = Polarity.HIGH_IS_GOOD if high > low else Polarity.LOW_IS_GOOD
    return Inferred(direction, f"{max(high, low)} of {high + low} rows rated Better or Worse agree, by "
                               + " and ".join(used))


def _ratings(cells: pd.Series) -> pd.Series:
    """Ratings stripped and in lower case ('' when blank), tidied once per distinct rating."""
    return per_distinct(cells, lambda rating: str(rating).strip().lower(), "")


def _starting(rating: pd.Series, word: str) -> pd.Series:
    """Ratings starting with `word`, judged once per distinct rating."""
    return rating.isin([r for r in pd.unique(rating) if r.startswith(word)])


def _votes(rows: pd.DataFrame, rating: pd.Series, benchmark: pd.Series) -> tuple[int, int]:
    """Rows saying high is good and low is good: Better above (or Worse below) the benchmark says high.
    Rated rows without a benchmark value vote by period: Better areas' median against Worse (or Similar)."""
    better, worse = _starting(rating, "better"), _starting(rating, "worse")
    side = np.sign(rows["value"] - benchmark)
    known = (better | worse) & benchmark.notna() & side.ne(0)
    vote = side.where(better, -side)[known]
    up, down = int((vote > 0).sum()), int((vote < 0).sum())
    unbenchmarked = benchmark.isna() & rating.ne("")
    loose = rows.loc[unbenchmarked].assign(rating=rating[unbenchmarked]) if unbenchmarked.any() else rows.iloc[:0]
    for _, group in loose.groupby("period"):
        medians = {kind: group.loc[group["rating"].str.startswith(kind), "value"].median()
                   for kind in ("better", "similar", "worse")}
        order = [medians[k] for k in ("better", "similar", "worse") if pd.notna(medians[k])]
        if len(order) < 2 or pd.isna(medians["better"]) and pd.isna(medians["worse"]):
            continue
        weight = int((group["rating"].str.startswith("better") | group["rating"].str.startswith("worse")).sum())
        top, bottom = (medians["better"] if pd.notna(medians["better"]) else medians["similar"],
                       medians["worse"] if pd.notna(medians["worse"]) else medians["similar"])
        if top > bottom:
            up += weight
        elif top < bottom:
            down += weight
    return up, down
