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
    pareto: pd.DataFrame = field(default_factory=pd.DataFrame)
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
        """One sentence for the indicator's latest whole period."""
        row = self.summary[(self.summary["indicator_id"] == indicator_id)
                           & (self.summary["period"] == self.headline_period(indicator_id))].iloc[0]
        noun = self.provenance.get("area_noun", "areas")
        if row["n_areas"] == 1:
            noun = noun.removesuffix("s")
        if row["n_areas"] < 2:
            spread = "too few areas to compare"
        elif np.isfinite(row["fold"]):
            spread = f"{row['fold']:.1f}-fold range"
        else:
            spread = f"range {row['min']:.3g} to {row['max']:.3g} (no fold: the lowest is zero)"
        text = f"{indicator_id} {row['period']}: {row['n_areas']} {noun}"
        if row["n_below_min_denominator"] > 0:
            text += f" ({row['n_below_min_denominator']} more below the minimum denominator left out)"
        text += f", {spread}"
        if np.isfinite(row["fold_trimmed5"]):
            text += f" ({row['fold_trimmed5']:.1f}-fold without the 5 highest and lowest)"
        if pd.notna(row["n_high_998"]):
            text += (f"; {int(row['n_high_998'])} above and {int(row['n_low_998'])} below "
                     "the 99.8% funnel limits")
        return text


def build_atlas(
    values: pd.DataFrame,
    catalogue: Catalogue,
    provenance: dict | None = None,
    *,
    areas: pd.DataFrame | None = None,
    weakest_links: pd.DataFrame | None = None,
) -> Atlas:
    """Build the atlas from accepted IndicatorValues (any grain; months roll up to financial years).

    `areas` (area_code, optional area_name and numeric covariates) names areas and finds each
    area's peers; `weakest_links` (from the engine) gives each bundle's best single fix.
    """
    values = values[values["indicator_id"].isin(list(catalogue.indicators))]
    if values.empty:
        raise DataError("no rows were accepted, so there is nothing to analyse")
    annual = analysis_periods(values)
    areas_table = add_intervals(annual, catalogue)
    if areas is not None and "area_name" in areas:
        names = areas.drop_duplicates("area_code").set_index("area_code")["area_name"]
        areas_table["area_name"] = areas_table["area_code"].map(names)
    built = _build(values, areas_table, catalogue, provenance or {})
    built.improvement, built.provenance["opportunity_not_sized"] = improvement_tables(annual, catalogue, areas)
    built.benchmarks = {i: shared_benchmarks(t, catalogue[i]) for i, t in built.improvement.items()}
    built.pareto = opportunity_pareto(built.improvement)
    if weakest_links is not None and len(weakest_links):
        built.bundle_fixes = latest_bundle_fixes(weakest_links, catalogue)
    return built


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


def opportunity_pareto(tables: dict[str, ImprovementTable]) -> pd.DataFrame:
    """Area x indicator pairs by significant gain in people: where most of the gain lies."""
    stacked = [t.areas.assign(indicator_id=i, counted_gain=t.areas["gain"].where(t.areas["significant"], 0.0))
               for i, t in tables.items()]
    return pareto(pd.concat(stacked, ignore_index=True), column="counted_gain") if stacked else pd.DataFrame()


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


def add_intervals(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Each area's value and 95%/99.8% limits by its indicator's measure, on the indicator's scale."""
    parts = [_intervals(group, catalogue[indicator_id]) for indicator_id, group in frame.groupby("indicator_id", sort=False)]
    return pd.concat(parts, ignore_index=True)


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
        if not kind or group["numerator"].isna().any() or group["denominator"].isna().any():
            continue
        events, size = group["numerator"].sum(), group["denominator"].sum()
        if events > 0 and not (kind == "proportion" and events >= size):
            yield indicator_id, period, kind, group


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
                           "dispersion_scale": "arcsine" if kind == "proportion" else method})
        target = (1.0 if kind == "ratio" else numerator.sum() / denominator.sum()) * indicator.multiplier
        sizes = np.geomspace(max(denominator.min() * 0.8, 1.0), denominator.max() * 1.2, points)
        drawn = stats.funnel_limits(kind, target, sizes, CONFIDENCE_LEVELS, multiplier=indicator.multiplier)
        wide = stats.funnel_limits(kind, target, sizes, CONFIDENCE_LEVELS, multiplier=indicator.multiplier,
                                   tau2=tau2, method=method)
        wide = wide.filter(regex="^(lower|upper)").add_suffix("_adjusted")
        curves.append(drawn.join(wide).assign(indicator_id=indicator_id, period=period))
    return FunnelAnalysis(plain, adjusted,
                          pd.DataFrame(dispersion, columns=["indicator_id", "period", "phi", "tau2", "dispersion_scale"]),
                          pd.concat(curves, ignore_index=True) if curves else pd.DataFrame())


SPREAD_COLUMNS = ["fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv", "cv_weighted", "scv", "eb_ratio"]


def summarise(areas: pd.DataFrame, dispersion: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The variation summary and funnel counts per indicator x period.

    The variation summary leaves out areas below the indicator's minimum denominator (a handful
    of cases says little about an area) and is blank with fewer than two areas to compare; the
    funnel, which allows for size, counts every area.
    """
    keys = ["indicator_id", "period"]
    every_group = areas.groupby(keys).size().index
    minimum = areas["indicator_id"].map({i.id: i.min_denominator for i in catalogue})
    eligible = ~(areas["denominator"] < minimum)  # published values without a denominator stay in
    variation = stats.variation_table(areas[eligible], keys).set_index(keys).reindex(every_group)
    variation = variation.rename(columns={"n": "n_areas"}).reset_index()
    variation["n_areas"] = variation["n_areas"].fillna(0).astype("int64")
    variation.loc[variation["n_areas"] < 2, SPREAD_COLUMNS] = np.nan
    small = (~eligible).groupby([areas[k] for k in keys]).sum().rename("n_below_min_denominator")
    complete = areas.groupby(keys)["complete_year"].any()
    band = areas["funnel_band"]
    counts = areas.assign(
        n_high_998=band.eq(2), n_high_95=band.ge(1), n_low_95=band.le(-1), n_low_998=band.eq(-2),
        has_band=band.notna(),
    ).groupby(keys)[["n_high_998", "n_high_95", "n_low_95", "n_low_998", "has_band"]].sum()
    adjusted = areas["funnel_band_adjusted"]
    counts["n_outside_998_adjusted"] = adjusted.abs().eq(2).groupby([areas[k] for k in keys]).sum()
    for column in ["n_high_998", "n_high_95", "n_low_95", "n_low_998", "n_outside_998_adjusted"]:
        counts[column] = counts[column].astype("Int64").where(counts["has_band"] > 0)
    starts = areas.groupby(keys)["period_start"].first()
    summary = variation.join(counts.drop(columns="has_band"), on=keys).join(starts, on=keys)
    summary = summary.join(small, on=keys).join(complete, on=keys).merge(dispersion, on=keys, how="left")
    summary["pooled"] *= summary["indicator_id"].map({i.id: i.multiplier for i in catalogue})
    published = summary["indicator_id"].map(lambda i: catalogue[i].measure not in FUNNEL_KIND)
    summary.loc[published, ["pooled", "scv"]] = np.nan  # published DSRs and means: counts do not give the value
    return summary.sort_values(["indicator_id", "period_start"], ascending=[True, False], ignore_index=True)


def spc_series(values: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """XmR chart points for every area's series at its finest grain, one vectorised call per headline indicator."""
    parts = []
    for indicator_id, group in values.groupby("indicator_id", sort=False):
        indicator = catalogue[indicator_id]
        if indicator.bundle:
            continue  # a bundle's processes are shown within the bundle, not over time
        series = group.assign(value=_point_values(group, indicator), period_start=period_starts(group["period"]))
        series = series.sort_values(["area_code", "period_start"], ignore_index=True)
        with warnings.catch_warnings():  # short series are marked in the table (trial_limits), not warned about
            warnings.simplefilter("ignore", UserWarning)
            chart = stats.xmr(series["value"], groups=series["area_code"], improvement=IMPROVEMENT[indicator.polarity])
        by_series = chart.summary.set_index("group")
        points = chart.points.reset_index(drop=True)
        keep = ["area_code", "period", "period_start"]
        points = pd.concat([series[keep], points.drop(columns=[c for c in keep + ["group"] if c in points])], axis=1)
        codes = series["area_code"]
        parts.append(points.assign(indicator_id=indicator_id,
                                   trial_limits=codes.map(by_series["trial_limits"]).to_numpy(),
                                   variation=codes.map(by_series["variation"].astype(str)).to_numpy()))
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
        **given,
    }
