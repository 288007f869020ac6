"""The Atlas: every table a face shows, built from IndicatorValues, with its provenance.

Flow: values (any grain) -> analysis periods (financial years from months or quarters) ->
each area's value and limits -> variation summary, funnel bands and limits (plain and
overdispersion-adjusted) per indicator x period -> SPC series at the finest grain.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from scipy import stats as _sps

from marginalgains import __version__, stats
from marginalgains.improve.bundles import single_fix_gains
from marginalgains.improve.errors import ImproveError
from marginalgains.improve.opportunity import opportunity
from marginalgains.improve.peers import covariate_columns
from marginalgains.improve.plan import ImprovementTable, latest_improvement, pareto, peer_finder, sizing_problem
from marginalgains.errors import DataError
from marginalgains.io.catalogue import Catalogue
from marginalgains.model import Indicator, Measure, Polarity
from marginalgains.periods import financial_years, period_starts, whole_years

CONFIDENCE_LEVELS = (0.95, 0.998)
FUNNEL_KIND = {Measure.PROPORTION: "proportion", Measure.RATE: "rate", Measure.RATIO: "ratio"}
SUMMARY_COLUMNS = [
    "indicator_id", "period", "n_areas", "min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio",
    "cv", "scv", "pooled", "n_high_998", "n_high_95", "n_low_95", "n_low_998",
    "phi", "overdispersed", "n_high_998_adjusted", "n_low_998_adjusted",
    "min_denominator", "n_below_min_denominator",
]
IMPROVEMENT = {Polarity.HIGH_IS_GOOD: "increase", Polarity.LOW_IS_GOOD: "decrease", Polarity.NO_JUDGEMENT: None}
METHODS = {
    "proportion": "Wilson score interval (PHEindicatormethods phe_proportion)",
    "rate": "exact Poisson limits below 10 events, Byars from 10 (PHEindicatormethods phe_rate)",
    "ratio": "Poisson limits of the observed count over the expected count",
    "funnel": "PHE funnel: at size n, the proportion whose Wilson interval at n has the pooled value as its bound",
    "overdispersion": "Spiegelhalter (2005) random-effects (additive) adjustment, z-scores winsorised at 10%/90%",
    "spc": "XmR chart, Making Data Count rules (NHSRplotthedots defaults)",
}


@dataclass
class Atlas:
    """The result object: tables for every indicator and period, and how they were made."""

    catalogue: Catalogue
    areas: pd.DataFrame
    summary: pd.DataFrame
    funnels: pd.DataFrame
    spc: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    improvement: dict[str, ImprovementTable] = field(default_factory=dict)
    pareto: pd.DataFrame = field(default_factory=pd.DataFrame)  # every total's pairs, ranked within its `group`
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per honest total (opportunity_totals)
    left_out: dict[str, str] = field(default_factory=dict)  # catalogue indicators not analysed: id -> reason
    comparators: pd.DataFrame = field(default_factory=pd.DataFrame)  # other area types' values (England, regions)
    bundle_fixes: pd.DataFrame = field(default_factory=pd.DataFrame)
    benchmarks: dict[str, dict[str, float]] = field(default_factory=dict)

    def headline_indicators(self) -> list[Indicator]:
        """Indicators shown in their own right: bundle components appear inside their bundle."""
        present = set(self.summary["indicator_id"])
        return [i for i in self.catalogue if i.id in present and i.bundle is None]

    def area_names(self) -> dict[str, str]:
        """Names of the areas that have one (A&E providers, for instance, have only codes)."""
        if "area_name" not in self.areas:
            return {}
        named = self.areas.dropna(subset=["area_name"]).drop_duplicates("area_code")
        return dict(zip(named["area_code"], named["area_name"]))

    def periods(self, indicator_id: str) -> list[str]:
        """Analysis periods of an indicator, latest first."""
        rows = self.summary[self.summary["indicator_id"] == indicator_id]
        return rows.sort_values("period_start", ascending=False)["period"].tolist()

    def headline_period(self, indicator_id: str) -> str:
        """The latest whole period (a financial year still in progress is not the headline)."""
        rows = self.summary[self.summary["indicator_id"] == indicator_id].sort_values("period_start", ascending=False)
        whole = rows[rows["complete_year"]]
        return (whole if len(whole) else rows)["period"].iloc[0]

    def headline(self, indicator_id: str) -> str:
        """One sentence for the indicator's latest whole period: its areas, spread and funnel outliers."""
        row = self.summary[(self.summary["indicator_id"] == indicator_id)
                           & (self.summary["period"] == self.headline_period(indicator_id))].iloc[0]
        noun = self.provenance.get("area_noun", "areas")
        if row["n_areas"] == 1:
            noun = noun.removesuffix("s")
        text = f"{indicator_id} {row['period']}: {row['n_areas']:,} {noun}"
        if row["n_below_min_denominator"] > 0:
            every = self.areas.loc[(self.areas["indicator_id"] == indicator_id)
                                   & (self.areas["period"] == row["period"]), "value"]
            text += spread_basis(row, noun, fold_of(every))
        indicator = self.catalogue[indicator_id]
        modelled = "; modelled estimates, as published: no funnel, outlier count or gain in people" if indicator.modelled else ""
        return text + ", " + spread_phrase(row, indicator.measure) + funnel_phrase(row) + modelled


def spread_basis(row, noun: str = "areas", every: float = np.nan) -> str:
    """What the spread is computed over when the minimum denominator leaves areas out: the threshold,
    how many were left out, and (when they would set it) the fold over every area (`every`), so a
    fold driven by a handful of cases is never quoted as the variation."""
    below = int(row.get("n_below_min_denominator") or 0)
    if below == 0:
        return ""
    text = (f" with a denominator of at least {row['min_denominator']:,g} ({below:,} smaller "
            f"{noun if below > 1 else noun.removesuffix('s')} left out of the spread")
    fold = row["fold"]
    if np.isfinite(fold) and pd.notna(every) and every > EXTREMES_DRIVE * fold:
        text += (f"; with them the range would be {every:.1f}-fold" if np.isfinite(every)
                 else "; with them the lowest would be zero")
    return text + ")"


def spread_phrase(row, measure: Measure | None = None) -> str:
    """The spread between areas in words: the fold range, or why there is none, with the robust
    folds (trimmed, p95/p5) beside it when zeros or a few extreme areas set the range."""
    if row["n_areas"] < 2:
        return "too few areas to compare"
    if measure is Measure.COUNT:
        return f"counts from {row['min']:,.0f} to {row['max']:,.0f} (a count, not a rate: no fold range)"
    trimmed = row["fold_trimmed5"] if row["n_areas"] >= TRIMMED_FOLD_AREAS else np.nan
    robust = [text.format(value) for value, text in ((trimmed, "{:.1f}-fold without the 5 highest and lowest"),
                                                     (row["p95_p5"], "{:.1f}-fold from the 5th to the 95th percentile"))
              if np.isfinite(value)]
    if not np.isfinite(row["fold"]):
        reason = ("the lowest is zero" if row["min"] == 0 else "the lowest is negative" if row["min"] < 0
                  else "a value is not finite")
        spread = f"range {row['min']:.3g} to {row['max']:.3g} (no fold: {reason})"
        return spread + ("; " + ", ".join(robust) if robust else "")
    spread = f"{row['fold']:.1f}-fold range"
    driven = np.isfinite(trimmed) and row["fold"] > EXTREMES_DRIVE * trimmed
    shown = robust if driven else robust[:1]
    return spread + (f" ({', '.join(shown)})" if shown else "")


EXTREMES_DRIVE = 2
"""A fold range more than twice the trimmed one is set by a few extreme areas: p95/p5 is quoted too."""
TRIMMED_FOLD_AREAS = 20
"""Fewest areas whose fold without the 5 highest and lowest a sentence quotes: with fewer, the trimming
drops over half of them (of 12 areas, it is the fold between two), so p95/p5 is quoted instead."""


def funnel_phrase(row) -> str:
    """Areas beyond the 99.8% funnel limits: against the overdispersion-adjusted limits first when
    the indicator is overdispersed (the plain limits then flag most areas), the plain counts beside."""
    if pd.isna(row["n_high_998"]):
        return ""
    plain = f"{int(row['n_high_998']):,} above and {int(row['n_low_998']):,} below"
    if not row.get("overdispersed", False) or pd.isna(row.get("n_high_998_adjusted")):
        return f"; {plain} the 99.8% funnel limits"
    high, low = int(row["n_high_998_adjusted"]), int(row["n_low_998_adjusted"])
    return (f"; {high + low:,} beyond the overdispersion-adjusted 99.8% limits ({high:,} above, {low:,} below); "
            f"{plain} the plain limits")


def build_atlas(
    values: pd.DataFrame,
    catalogue: Catalogue,
    provenance: dict | None = None,
    *,
    areas: pd.DataFrame | None = None,
    weakest_links: pd.DataFrame | None = None,
    comparators: pd.DataFrame | None = None,
) -> Atlas:
    """Build the atlas from accepted IndicatorValues (any grain; months roll up to financial years).

    `areas` (area_code, optional area_name and numeric covariates) names areas and finds each
    area's peers; `weakest_links` (from the engine) gives each bundle's best single fix;
    `comparators` are accepted rows of area types not compared (England, regions), kept beside.
    Every catalogue indicator that is not analysed is in `Atlas.left_out` with the reason.
    Running out of memory is a `DataError` naming the size, raised before anything is written.
    """
    try:
        return _build_atlas(values, catalogue, provenance, areas, weakest_links, comparators)
    except MemoryError:
        raise DataError(f"not enough memory to build the atlas from {len(values):,} rows "
                        f"({values['indicator_id'].nunique():,} indicators, {values['area_code'].nunique():,} areas, "
                        f"{values['period'].nunique():,} periods); nothing was written. Give fewer indicators "
                        "or periods, or run on a machine with more memory") from None


def _build_atlas(values, catalogue, provenance, areas, weakest_links, comparators) -> Atlas:
    values = values[values["indicator_id"].isin(list(catalogue.indicators))]
    if values.empty:
        raise DataError("no rows were accepted, so there is nothing to analyse")
    annual = analysis_periods(values)
    areas_table, left_out = add_intervals(annual, catalogue)
    if areas_table.empty:
        raise DataError("no indicator has a value to analyse: " + "; ".join(f"{i}: {r}" for i, r in left_out.items()))
    kept = values["indicator_id"].isin(areas_table["indicator_id"].unique())
    values, annual = values[kept], annual[annual["indicator_id"].isin(areas_table["indicator_id"].unique())]
    left_out = {**_without_rows(catalogue, values, comparators), **left_out}
    if areas is not None and "area_name" in areas:
        names = areas.drop_duplicates("area_code").set_index("area_code")["area_name"]
        areas_table["area_name"] = areas_table["area_code"].map(names)
    built = _build(values, areas_table, catalogue, provenance or {})
    built.left_out = left_out
    built.provenance["indicators_left_out"] = left_out
    if comparators is not None and len(comparators):
        built.comparators = add_intervals(analysis_periods(comparators), catalogue)[0]
    built.improvement, built.provenance["opportunity_not_sized"] = improvement_tables(annual, catalogue, areas)
    built.benchmarks = {i: shared_benchmarks(t, catalogue[i]) for i, t in built.improvement.items()}
    built.pareto, built.totals = opportunity_totals(built.improvement, built.provenance.get("area_noun", "areas"))
    # whole people or events: the gain's own interval is far wider than a fraction of one
    built.provenance["opportunity_totals"] = built.totals.round({"total": 0}).to_dict(orient="records")
    if weakest_links is not None and len(weakest_links):
        built.bundle_fixes = latest_bundle_fixes(weakest_links, catalogue)
    return built


def _without_rows(catalogue: Catalogue, values: pd.DataFrame, comparators: pd.DataFrame | None) -> dict[str, str]:
    """Catalogue indicators with no rows to compare, and why (none accepted, or only comparators' rows)."""
    present = set(values["indicator_id"])
    other_types = comparators.groupby("indicator_id").size() if comparators is not None and len(comparators) else {}
    reasons = {}
    for indicator in catalogue:
        if indicator.id in present or indicator.bundle:
            continue  # a bundle's processes are shown within their bundle
        if indicator.id in other_types:
            reasons[indicator.id] = (f"its only {other_types[indicator.id]:,} rows are of area types not compared "
                                     "(shown as comparators)")
        else:
            reasons[indicator.id] = "no rows were accepted for it (any refused are in rejections.csv)"
    return reasons


def _build(values, areas, catalogue, provenance) -> Atlas:
    funnels = funnel_analysis(areas, catalogue)
    areas["funnel_band"], areas["funnel_band_adjusted"] = funnels.plain_band, funnels.adjusted_band
    summary = summarise(areas, funnels.dispersion, catalogue)
    spc = spc_series(values, catalogue)
    return Atlas(catalogue, areas, summary, funnels.curves, spc, _provenance(catalogue, provenance))


def improvement_tables(annual: pd.DataFrame, catalogue: Catalogue,
                       areas: pd.DataFrame | None) -> tuple[dict[str, ImprovementTable], dict[str, str]]:
    """Opportunity against the benchmark for every headline indicator's latest whole year.

    Peers (the best five of ten most similar areas) where covariates cover the indicator's
    areas; otherwise the top quartile. Every indicator whose gain is not sized (the rule of
    `plan.sizing_problem`, or say no area reaches its minimum denominator) is left out of the
    tables, and the second mapping says why.
    """
    tables, not_sized = {}, {}
    find_peers = peer_finder(areas) if areas is not None else None
    by_indicator = dict(tuple(whole_years(annual).groupby("indicator_id", sort=False)))  # not a year in progress
    for indicator in catalogue:
        rows = by_indicator.get(indicator.id, annual.iloc[:0])
        problem = sizing_problem(indicator, rows)
        if problem:
            not_sized[indicator.id] = problem
            continue
        try:
            tables[indicator.id] = latest_improvement(rows, indicator,
                                                      find_peers if _covers(areas, rows["area_code"]) else None)
        except ImproveError as exc:
            not_sized[indicator.id] = str(exc)
    return tables, not_sized


SHARED_BENCHMARKS = {"national": "national (pooled)", "top_quartile": "top quartile", "top_decile": "top decile"}


def shared_benchmarks(table: ImprovementTable, indicator: Indicator) -> dict[str, float]:
    """Benchmarks every area shares, beside each area's own (its peers'), for the area profile.

    A benchmark no area is big enough to set (under the indicator's minimum denominator) is left out.
    """
    rows = table.areas[["area_code", "numerator", "denominator"]]
    values = {}
    for name, label in SHARED_BENCHMARKS.items():
        try:
            result = opportunity(rows, name, indicator.polarity, indicator.measure, indicator.multiplier,
                                 min_denominator=indicator.min_denominator)
        except ImproveError:
            continue
        values[label] = float(result["benchmark_value"].iloc[0])
    return values


def _covers(areas: pd.DataFrame | None, codes: pd.Series) -> bool:
    """Whether `areas` has covariates (its `covariate_columns`) for every one of these areas
    (an areas table may name some areas, such as A&E providers, without covariates)."""
    if areas is None or "area_code" not in areas or not covariate_columns(areas):
        return False
    complete = areas.dropna(subset=covariate_columns(areas))
    return set(codes.astype(str)) <= set(complete["area_code"].astype(str))


TOTAL_KEYS = ["source", "period", "unit"]
"""A total adds gains only within one of these: real or SYNTHETIC data, one period, one unit (more people, fewer events ...)."""


def opportunity_totals(tables: dict[str, ImprovementTable], noun: str = "areas") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Significant gains added up honestly: ``(pairs, totals)``.

    Pairs are area x indicator gains beyond chance ranked within their total (rank, share and
    cumulative share of that total). A total never adds real to SYNTHETIC data, one period to
    another, or people to events; of an indicator's breakdowns (Persons with Male and Female,
    All ages with an age band) only the broadest is added, and the others are listed beside it.
    Totals name their source, period, unit, areas, breakdown and the indicators in them.
    """
    carried, beside = total_breakdowns([t.indicator for t in tables.values()])
    stacked = [_gain_pairs(table) for indicator_id, table in tables.items() if indicator_id in carried]
    if not stacked:
        return pd.DataFrame(), pd.DataFrame(columns=["group", *TOTAL_KEYS, "total", "n_pairs", "n_areas",
                                                     "indicators", "breakdown", "beside", "sentence"])
    pairs = pd.concat(stacked, ignore_index=True)
    ranked, totals = [], []
    for key, group in pairs.groupby(TOTAL_KEYS, sort=False):  # a few groups, not one per area
        label = _total_label(*key)
        ranked.append(pareto(group, column="counted_gain").assign(**dict(zip(TOTAL_KEYS, key)), group=label))
        ids = sorted(group["indicator_id"].unique())
        others = sorted(i for i, t in tables.items() if i in beside and (_source(t.indicator), t.period) == key[:2])
        totals.append(_total_row(label, key, group, ids, others, tables, noun))
    totals = pd.DataFrame(totals)
    order = totals.assign(_synthetic=totals["source"] == "SYNTHETIC", _start=period_starts(totals["period"]))
    order = order.sort_values(["_synthetic", "_start", "total"], ascending=[True, False, False]).index
    totals = totals.loc[order].reset_index(drop=True)
    ranked = pd.concat(ranked, ignore_index=True)
    ranked["_order"] = ranked["group"].map({g: i for i, g in enumerate(totals["group"])})
    return ranked.sort_values(["_order", "rank"]).drop(columns="_order").reset_index(drop=True), totals


def total_breakdowns(indicators: list[Indicator]) -> tuple[set[str], set[str]]:
    """``(added, beside)``: per family of breakdowns, the one broadest breakdown is added to totals
    and the rest are shown beside it. With no single broadest (Male and Female, no Persons) none is
    added, so no total sums one sex with the other by default."""
    families: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        families.setdefault(indicator.family or indicator.id, []).append(indicator)
    added, beside = set(), set()
    for members in families.values():
        widest = max(m.breadth for m in members)
        top = [m for m in members if m.breadth == widest]
        if len(top) == 1:
            added.add(top[0].id)
        beside.update(m.id for m in members if not (len(top) == 1 and m is top[0]))
    return added, beside


def _source(indicator: Indicator) -> str:
    return "SYNTHETIC" if indicator.synthetic else "real"


def _gain_pairs(table: ImprovementTable) -> pd.DataFrame:
    """One indicator's area gains, counted only where beyond chance, with what a total needs to group them."""
    areas = table.areas
    return pd.DataFrame({
        "indicator_id": table.indicator.id, "area_code": areas["area_code"].to_numpy(),
        "counted_gain": areas["gain"].where(areas["significant"], 0.0).to_numpy(),
        "source": _source(table.indicator), "period": table.period,
        "unit": gain_unit(table.indicator),
        "breakdown": table.indicator.breakdown,
    })


def gain_unit(indicator: Indicator) -> str:
    """What a gain counts: "more people" (a proportion where high is good), "fewer events" (a rate
    where low is good), ...; gains in different units are never added."""
    direction = "more" if indicator.polarity is Polarity.HIGH_IS_GOOD else "fewer"
    return f"{direction} {'people' if indicator.measure is Measure.PROPORTION else 'events'}"


def _total_label(source: str, period: str, unit: str) -> str:
    return f"{period}, {unit}" + (" (SYNTHETIC data)" if source == "SYNTHETIC" else "")


def _total_row(label, key, group: pd.DataFrame, ids: list[str], others: list[str],
               tables: dict[str, ImprovementTable], noun: str) -> dict:
    source, period, unit = key
    total = float(group["counted_gain"].sum())
    n_areas = int(group["area_code"].nunique())
    breakdowns = sorted({b for b in group["breakdown"] if b})
    breakdown = ", ".join(breakdowns)
    sentence = (f"{period}{' (SYNTHETIC data)' if source == 'SYNTHETIC' else ''}: {total:,.0f} {unit} "
                f"beyond chance across {n_areas:,} {noun} and {len(ids)} indicator{'s' if len(ids) != 1 else ''}"
                + (f" ({breakdown})" if breakdown else ""))
    if others:
        sentence += "; not added, shown beside: " + "; ".join(
            f"{_with_breakdown(tables[i].indicator)} {tables[i].summary.significant_gain:,.0f}" for i in others)
    return {"group": label, "source": source, "period": period, "unit": unit, "total": total,
            "n_pairs": int((group["counted_gain"] > 0).sum()), "n_areas": n_areas, "indicators": ids,
            "breakdown": breakdown, "beside": others, "sentence": sentence}


def _with_breakdown(indicator: Indicator) -> str:
    """The indicator's id with its breakdown, once (a Fingertips id already names it: `93014 (Male, 19+ yrs)`)."""
    breakdown = indicator.breakdown or "another breakdown"
    return indicator.id if f"({breakdown})" in indicator.id else f"{indicator.id} ({breakdown})"


def latest_bundle_fixes(weakest_links: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """For each bundle's latest period: every area's processes ranked by the people fixing each alone adds."""
    starts = period_starts(weakest_links["period"].astype(str))
    latest = starts.groupby(weakest_links["indicator_id"]).transform("max")
    links = weakest_links[starts == latest]
    multipliers = {i: catalogue[i].multiplier for i in links["indicator_id"].unique()}
    parts = [single_fix_gains(group, multiplier=multipliers[i]) for i, group in links.groupby("indicator_id")]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def analysis_periods(values: pd.DataFrame) -> pd.DataFrame:
    """Counts per area and analysis period (financial years from months and quarters), with period starts."""
    annual = financial_years(values)
    annual["period_start"] = period_starts(annual["period"])
    return annual


def add_intervals(frame: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each area's value and 95%/99.8% limits by its indicator's measure, on the indicator's scale,
    and the indicators left out with the reason (none of their rows gives a value, or their
    measure needs published limits that are not there)."""
    parts, left_out = [], {}
    for indicator_id, group in frame.groupby("indicator_id", sort=False):
        try:
            part = _intervals(group, catalogue[indicator_id])
        except DataError as exc:
            left_out[indicator_id] = str(exc)
            continue
        if part["value"].isna().all():
            left_out[indicator_id] = f"none of its {len(part):,} rows gives a value (no counts or published values)"
            continue
        parts.append(part)
    return (pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0].assign(value=np.nan)), left_out


def _intervals(group: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    group = group.copy()
    if "value" in group and group["value"].notna().all():
        return group  # published values and limits, kept as reported (e.g. a DSR from Fingertips)
    for confidence, suffix in ((0.95, "95"), (0.998, "998")):
        table = _interval_table(group["numerator"], group["denominator"], indicator, confidence)
        group["value"] = table["value"].to_numpy()
        group[f"lower{suffix}"] = table["lower"].to_numpy()
        group[f"upper{suffix}"] = table["upper"].to_numpy()
    return group


def _interval_table(numerator, denominator, indicator: Indicator, confidence: float) -> pd.DataFrame:
    if indicator.measure is Measure.PROPORTION:
        return stats.proportion(numerator, denominator, confidence=confidence, multiplier=indicator.multiplier)
    if indicator.measure in (Measure.RATE, Measure.RATIO, Measure.DSR):
        # a DSR given as observed count over count/DSR: limits scale the count's Byars limits by DSR/O,
        # Dobson's method when the age bands are not at hand
        return stats.rate(numerator, denominator, multiplier=indicator.multiplier, confidence=confidence)
    raise DataError(f"indicator {indicator.id!r} is a {indicator.measure}: a sum and a count do not give the spread "
                    "its confidence interval needs; supply it with published values and limits (a Fingertips export)")


def _funnel_groups(frame: pd.DataFrame, catalogue: Catalogue):
    """Indicator x period groups that a funnel applies to: counts behind every value, and a pooled
    value strictly inside its range (a funnel around 0%, or 100%, has no width to judge by)."""
    for (indicator_id, period), group in frame.groupby(["indicator_id", "period"], sort=False):
        kind = FUNNEL_KIND.get(catalogue[indicator_id].measure)
        if not kind or catalogue[indicator_id].modelled or group[["numerator", "denominator"]].isna().any().any():
            continue
        events, size = group["numerator"].sum(), group["denominator"].sum()
        if events > 0 and not (kind == "proportion" and events >= size):
            yield indicator_id, period, kind, group


DISPERSION_COLUMNS = ("indicator_id", "period", "phi", "tau2", "dispersion_scale", "overdispersed")
OVERDISPERSION_LEVEL = 0.998


def overdispersed(phi: float, n_areas: int) -> bool:
    """Whether the spread of z-scores is itself beyond chance: n phi, the heterogeneity statistic Q,
    above the 99.8% point of chi-square on n - 1 degrees of freedom (so phi well above 1)."""
    return bool(n_areas > 1 and np.isfinite(phi) and n_areas * phi > _sps.chi2.ppf(OVERDISPERSION_LEVEL, n_areas - 1))


def dispersion_method(kind: str, numerator: pd.Series) -> str:
    """FunnelPlotR's SHMI (log) scale for ratios, or CQC (square root) where a zero count rules out logs."""
    return "CQC" if kind != "proportion" and (numerator == 0).any() else "SHMI"


@dataclass
class FunnelAnalysis:
    """Per area: the band against plain and adjusted limits; per indicator x period: phi, tau2
    and the scale they were estimated on; and the limits to draw."""

    plain_band: pd.Series
    adjusted_band: pd.Series
    dispersion: pd.DataFrame
    curves: pd.DataFrame


def funnel_analysis(areas: pd.DataFrame, catalogue: Catalogue, points: int = 80) -> FunnelAnalysis:
    """Funnels around each indicator-period's pooled value, plain and overdispersion-adjusted, in one pass."""
    plain = pd.Series(pd.NA, index=areas.index, dtype="Int8")
    adjusted = plain.copy()
    dispersion, curves = [], []
    for indicator_id, period, kind, group in _funnel_groups(areas, catalogue):
        indicator = catalogue[indicator_id]
        numerator, denominator = group["numerator"], group["denominator"]
        method = dispersion_method(kind, numerator)
        phi, tau2 = stats.overdispersion(numerator, denominator, kind, method=method)  # once; bands use tau2 (additive)
        plain.loc[group.index] = stats.funnel_band(numerator, denominator, kind)
        adjusted.loc[group.index] = stats.funnel_band(numerator, denominator, kind, tau2=tau2, method=method)
        dispersion.append({"indicator_id": indicator_id, "period": period, "phi": phi, "tau2": tau2,
                           "dispersion_scale": "arcsine" if kind == "proportion" else method,
                           "overdispersed": overdispersed(phi, len(group))})
        target = (1.0 if kind == "ratio" else numerator.sum() / denominator.sum()) * indicator.multiplier
        sizes = np.geomspace(max(denominator.min() * 0.8, 1.0), denominator.max() * 1.2, points)
        drawn = stats.funnel_limits(kind, target, sizes, CONFIDENCE_LEVELS, multiplier=indicator.multiplier)
        wide = stats.funnel_limits(kind, target, sizes, CONFIDENCE_LEVELS, multiplier=indicator.multiplier,
                                   tau2=tau2, method=method)
        wide = wide.filter(regex="^(lower|upper)").add_suffix("_adjusted")
        curves.append(drawn.join(wide).assign(indicator_id=indicator_id, period=period))
    return FunnelAnalysis(plain, adjusted,
                          pd.DataFrame(dispersion, columns=[*DISPERSION_COLUMNS]),
                          pd.concat(curves, ignore_index=True) if curves else pd.DataFrame())


BAND_COUNTS = ["n_high_998", "n_high_95", "n_low_95", "n_low_998", "n_outside_998_adjusted",
               "n_high_998_adjusted", "n_low_998_adjusted"]
SPREAD_COLUMNS = ["fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv", "cv_weighted", "scv", "eb_ratio"]


def summarise(areas: pd.DataFrame, dispersion: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The variation summary and funnel counts per indicator x period.

    The variation summary leaves out areas below the indicator's minimum denominator (a handful
    of cases says little about an area) and is blank with fewer than two areas to compare; the
    funnel, which allows for size, counts every area.
    """
    keys = ["indicator_id", "period"]
    every_group = areas.groupby(keys).size().index
    eligible = in_spread(areas, catalogue)
    variation = stats.variation_table(areas[eligible], keys).set_index(keys).reindex(every_group)
    variation = variation.rename(columns={"n": "n_areas"}).reset_index()
    variation["n_areas"] = variation["n_areas"].fillna(0).astype("int64")
    variation.loc[variation["n_areas"] < 2, SPREAD_COLUMNS] = np.nan
    band, adjusted = areas["funnel_band"], areas["funnel_band_adjusted"]
    flags = pd.DataFrame({  # one grouped pass over every per-area flag
        **{k: areas[k] for k in keys}, "n_below_min_denominator": ~eligible, "complete_year": areas["complete_year"],
        "n_high_998": band.eq(2), "n_high_95": band.ge(1), "n_low_95": band.le(-1), "n_low_998": band.eq(-2),
        "n_outside_998_adjusted": adjusted.abs().eq(2), "n_high_998_adjusted": adjusted.eq(2),
        "n_low_998_adjusted": adjusted.eq(-2), "has_band": band.notna(),
    }).fillna(False)
    counts = flags.groupby(keys, sort=False).sum()
    counts["complete_year"] = counts["complete_year"] > 0
    for column in BAND_COUNTS:
        counts[column] = counts[column].astype("Int64").where(counts["has_band"] > 0)
    starts = areas.groupby(keys, sort=False)["period_start"].first()
    summary = variation.join(counts.drop(columns="has_band"), on=keys).join(starts, on=keys)
    summary = summary.merge(dispersion, on=keys, how="left")
    summary["min_denominator"] = summary["indicator_id"].map({i.id: i.min_denominator for i in catalogue})
    summary["pooled"] *= summary["indicator_id"].map({i.id: i.multiplier for i in catalogue})
    published = summary["indicator_id"].map(lambda i: catalogue[i].measure not in FUNNEL_KIND or bool(catalogue[i].modelled))
    summary.loc[published, ["pooled", "scv"]] = np.nan  # published DSRs, means, modelled estimates: counts do not give the value
    counts = summary["indicator_id"].map(lambda i: catalogue[i].measure is Measure.COUNT)
    summary.loc[counts, ["fold", "fold_trimmed5", "p95_p5", "iqr_ratio"]] = np.nan  # head-counts: no ratio of rates
    return summary.sort_values(["indicator_id", "period_start"], ascending=[True, False], ignore_index=True)


def in_spread(areas: pd.DataFrame, catalogue: Catalogue) -> pd.Series:
    """Areas the spread (fold, percentiles, the page's range) is computed over: those at or above their
    indicator's minimum denominator; published values without a denominator stay in."""
    minimum = areas["indicator_id"].map({i.id: i.min_denominator for i in catalogue})
    return ~(areas["denominator"] < minimum)


def fold_of(values: pd.Series) -> float:
    """Highest over lowest value: infinite when the lowest is zero, NaN when it is negative or none is above zero."""
    low, high = values.min(), values.max()
    if not (high > 0 and low >= 0):
        return np.nan
    return float(high / low) if low > 0 else np.inf


def spc_series(values: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """XmR chart points for every area's series at its finest grain, one vectorised call per headline indicator."""
    parts = []
    for indicator_id, group in values.groupby("indicator_id", sort=False):
        indicator = catalogue[indicator_id]
        if indicator.bundle:
            continue  # a bundle's processes are shown within the bundle, not over time
        series = group.assign(value=_point_values(group, indicator))
        series = series[series["value"].notna()]
        codes = pd.factorize(series["area_code"])[0]
        series = series[np.bincount(codes)[codes] > 1] if len(codes) else series
        if series.empty:
            continue  # one period (or no values): no series to chart
        series = series.assign(period_start=period_starts(series["period"]))
        series = series.sort_values(["area_code", "period_start"], ignore_index=True)
        with warnings.catch_warnings():  # short series are marked in the table (trial_limits), not warned about
            warnings.simplefilter("ignore", UserWarning)
            chart = stats.xmr(series["value"], groups=series["area_code"], improvement=IMPROVEMENT[indicator.polarity])
        codes, areas = pd.factorize(series["area_code"])
        by_series = chart.summary.set_index("group").reindex(areas)  # one row per area, taken by position
        points = chart.points.reset_index(drop=True)
        keep = ["area_code", "period", "period_start"]
        counts = [c for c in ("numerator", "denominator") if c in series]  # what a disclosure rule protects
        points = pd.concat([series[keep + counts], points.drop(columns=[c for c in keep + ["group"] if c in points])],
                           axis=1)
        parts.append(points.assign(indicator_id=indicator_id,
                                   trial_limits=by_series["trial_limits"].to_numpy()[codes],
                                   variation=by_series["variation"].astype(str).to_numpy()[codes]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _point_values(group: pd.DataFrame, indicator: Indicator) -> pd.Series:
    """Each row's value on the indicator's scale: as published, or numerator / denominator x multiplier."""
    computed = group["numerator"] / group["denominator"] * indicator.multiplier
    return group["value"].fillna(computed) if "value" in group else computed


def _provenance(catalogue: Catalogue, given: dict) -> dict:
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "package_version": __version__,
        "confidence_levels": list(CONFIDENCE_LEVELS),
        "methods": METHODS,
        "sources": sorted({i.source for i in catalogue if i.source}),
        "licences": sorted({i.licence for i in catalogue if i.licence}),
        "synthetic_indicators": [i.id for i in catalogue if i.synthetic],
        "modelled_estimates": {i.id: i.modelled for i in catalogue if i.modelled},
        **given,
    }
