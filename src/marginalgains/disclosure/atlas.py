"""The atlas under a disclosure rule: every table a face writes carries only protected figures.

Applied to the built Atlas (computed from the true counts) before anything is rendered or
written. Each area's counts are protected with protect_values (areas add up to the national
total, whose pooled value the page shows); an area whose count is hidden loses its value, limits,
funnel positions, SPC series and opportunity unless the rule exempts its measure. The monthly
(or quarterly) points of its SPC charts are cells too, whose months add up to the published year
(`protect_subperiods`); a series that loses a month is charted from its published months, and a
plan tracked over it shows no figures. Summary spreads of values (minimum, maximum, folds,
percentile ratios, cv) are taken over the published values only; the pooled value is withheld
when the national count behind it is hidden. A care bundle's single fixes lose their small counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from marginalgains import stats
from marginalgains.atlas import SHARED_BENCHMARKS, Atlas, spc_series
from marginalgains.disclosure.breakdowns import Breakdown, catalogue_breakdowns
from marginalgains.disclosure.protect import Protected, round_to
from marginalgains.disclosure.rules import Rule
from marginalgains.disclosure.values import NATIONAL, protect_subperiods, protect_values
from marginalgains.model import VALUE_KEYS
from marginalgains.periods import SUBPERIODS_PER_YEAR, Grain, label_periods, parse_period, period_starts

AREA_DERIVED = ["value", "lower95", "upper95", "lower998", "upper998", "funnel_band", "funnel_band_adjusted"]
VALUE_SPREADS = ["min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv"]
RATIOS = {"fold", "fold_trimmed5", "p95_p5", "iqr_ratio"}
GAIN_COLUMNS = ["numerator", "denominator", "value", "lower", "upper", "gain", "gain_lower", "gain_upper",
                "significant", "robust", "status"]


def protect_atlas(atlas: Atlas, rule: Rule) -> Atlas:
    """A copy of `atlas` whose tables hold only what `rule` lets be published, and says so in its provenance."""
    return protect_atlas_for(atlas, rule)[0]


def protect_atlas_for(atlas: Atlas, rule: Rule, audience: Mapping[str, Iterable[str]] | None = None,
                      link_breakdowns: bool = True) -> tuple[Atlas, Protected]:
    """`atlas` protected for an audience that sees, per indicator, the areas in `audience[indicator]` in full
    (the public: none), with the protection of its counts (table, totals, audit, steps). The breakdowns of
    each family of the catalogue are one table; `link_breakdowns` False protects each indicator apart, which
    is safe only under a rule that hides every count (a fallback when the breakdowns do not add up)."""
    measures = {i.id: i.measure for i in atlas.catalogue}
    breakdowns = catalogue_breakdowns(atlas.catalogue) if link_breakdowns else {}
    hierarchy, root = comparator_hierarchy(atlas.areas, atlas.comparators)
    protected = _protect_areas(atlas.areas, rule, measures, audience or {}, hierarchy, breakdowns)
    comparators = protected_comparators(atlas.comparators, protected, rule, measures, {root, *hierarchy.values()})
    protected.totals = protected.totals[protected.totals["area_code"] == root].reset_index(drop=True)
    areas = protected.table
    withheld = areas["value_status"] == "follows"
    areas[[c for c in AREA_DERIVED if c in areas]] = areas[[c for c in AREA_DERIVED if c in areas]].where(~withheld)
    hidden_keys = set(map(tuple, areas.loc[withheld, VALUE_KEYS].astype(str).to_numpy()))
    hidden_series = {(i, a) for i, a, _ in hidden_keys}
    rolled = _rolled_up(atlas.spc, areas)
    spc, months, protected.subperiods = _protect_subperiod_points(atlas, atlas.spc[rolled], areas, rule, measures,
                                                                  audience or {}, breakdowns)
    spc = pd.concat([_without(atlas.spc[~rolled], hidden_series), spc], ignore_index=True)
    provenance = dict(atlas.provenance)
    provenance["methods"] = {**provenance.get("methods", {}),
                             "disclosure": protected.summary() + _subperiod_sentence(months)}
    provenance["disclosure"] = {"rule": rule.name, "title": rule.title, "source": rule.source,
                                "description": rule.describe(), "cells": protected.steps, "subperiods": months}
    if "comparators" in provenance:
        provenance["comparators"] = _comparator_records(provenance["comparators"], comparators)
    return replace(
        atlas, areas=areas.drop(columns=["numerator_status", "denominator_status"]),
        summary=_summary(atlas.summary, areas, protected.totals), comparators=comparators,
        benchmarks=_benchmarks(atlas, areas, protected.totals),
        spc=spc,
        improvement={k: replace(t, areas=_gains(t.areas, t.indicator.id, t.period, hidden_keys))
                     for k, t in atlas.improvement.items()},
        bundle_fixes=protected_fixes(atlas.bundle_fixes, hidden_keys, rule),
        pareto=atlas.pareto[[(i, a, p) not in hidden_keys for i, a, p in
                             atlas.pareto[VALUE_KEYS].astype(str).to_numpy()]] if len(atlas.pareto) else atlas.pareto,
        provenance=provenance), protected


def _protect_areas(areas: pd.DataFrame, rule: Rule, measures, audience: Mapping[str, Iterable[str]],
                   hierarchy: Mapping[str, str], breakdowns: Mapping[str, Breakdown]) -> Protected:
    """protect_values over every indicator at once, each seen in full where its audience says, the
    breakdowns of each family linked into one table."""
    return protect_values(areas.reset_index(drop=True), rule, hierarchy=hierarchy or None, audience=audience or None,
                          measures=measures, breakdowns=breakdowns)


def comparator_hierarchy(areas: pd.DataFrame, comparators: pd.DataFrame) -> tuple[dict[str, str], str]:
    """Area -> parent for the comparators whose areas are known: `(hierarchy, root)`.

    A comparator (England, a region) read from the input is a total over areas. The root is the one
    comparator with no parent whose type is a country or that other comparators name as their parent: every
    area adds up to it. A region is a comparator that compared areas name as their `parent_code`: each
    area goes to its region (else to the root), each region to the root. Areas outside the data that a
    comparator also counts are taken as known to an attacker (the most they could know), so a comparator
    is protected as the total of the areas given. With no root, the hierarchy is empty (every area adds
    up to one national total); comparators left out of it are unmapped (`protected_comparators`)."""
    if comparators is None or comparators.empty:
        return {}, NATIONAL
    codes = comparators.drop_duplicates("area_code")
    code = codes["area_code"].astype(str)
    parent = codes["parent_code"].astype(object) if "parent_code" in codes else pd.Series(None, index=codes.index)
    blank = parent.isna() | (parent.astype(str).str.strip() == "")
    kind = codes["area_type"].astype(str) if "area_type" in codes else pd.Series("", index=codes.index)
    roots = sorted(set(code[blank & (kind.isin(["England", "Country"]) | code.isin(set(parent[~blank].astype(str))))]))
    if len(roots) != 1:
        return {}, NATIONAL
    root, regions = roots[0], set(code) - set(roots)
    links = areas[["area_code", "parent_code"]].dropna().astype(str) if "parent_code" in areas else \
        pd.DataFrame(columns=["area_code", "parent_code"])
    links = links[links["parent_code"].isin(regions)].drop_duplicates("area_code")
    hierarchy = {a: root for a in areas["area_code"].astype(str).unique()}
    hierarchy.update(zip(links["area_code"], links["parent_code"]))
    hierarchy.update({r: root for r in sorted(set(links["parent_code"]))})
    return hierarchy, root


def protected_comparators(comparators: pd.DataFrame, protected: Protected, rule: Rule, measures,
                          mapped: set[str]) -> pd.DataFrame:
    """Comparator rows (England, regions read from the input) with only what the protection publishes.

    A mapped comparator (`mapped`: the root and regions of `comparator_hierarchy`) was protected as the
    total of its areas: its counts are shown (rounded as the rule says) only where that total's are, and
    its value and limits only where both are (or its measure is exempt). An unmapped one (its areas not
    known here, though an attacker may know them) is withheld, counts, value and limits, in any indicator
    x period where some area's count is hidden."""
    if comparators is None or comparators.empty or not {"numerator", "denominator"} <= set(comparators):
        return comparators
    rows = comparators.reset_index(drop=True).copy()
    keys = pd.MultiIndex.from_frame(rows[VALUE_KEYS].astype(str))
    totals = protected.totals.assign(**{k: protected.totals[k].astype(str) for k in VALUE_KEYS}).set_index(VALUE_KEYS)
    areas = protected.table
    any_hidden = (areas["numerator"].isna() | areas["denominator"].isna()).groupby(
        [areas["indicator_id"].astype(str), areas["period"].astype(str)]).any()
    unmapped_hidden = pd.MultiIndex.from_frame(rows[["indicator_id", "period"]].astype(str)).isin(
        any_hidden[any_hidden].index) & ~rows["area_code"].astype(str).isin(mapped).to_numpy()
    hidden_any = unmapped_hidden.copy()
    for part in ("numerator", "denominator"):
        status = totals[f"{part}_status"].reindex(keys).to_numpy(dtype=object) if len(totals) else \
            np.full(len(rows), None, dtype=object)
        hidden = np.isin(status, ["primary", "secondary", "unprotectable"]) | unmapped_hidden
        counts = rows[part].to_numpy(dtype=float)
        if rule.rounding:
            counts = np.where(np.isin(status, ["national", "own", "deduced", "not a count"]), counts,
                              round_to(counts, rule.rounding))
        rows[part] = np.where(hidden, np.nan, counts)
        hidden_any |= hidden
    exempt = rows["indicator_id"].map(lambda i: measures.get(i) in rule.exempt_measures).to_numpy(dtype=bool)
    derived = [c for c in ["value", "lower95", "upper95", "lower998", "upper998"] if c in rows]
    rows.loc[hidden_any & ~exempt, derived] = np.nan
    return rows


def _comparator_records(records: dict[str, list[dict]], comparators: pd.DataFrame) -> dict[str, list[dict]]:
    """The provenance's comparator values (per indicator: area, period, value, limits), withheld where the
    protected `comparators` withhold them or have no row to match."""
    if comparators is None or comparators.empty:
        return records
    shown = comparators.dropna(subset=[c for c in ("value", "lower95", "upper95") if c in comparators], how="all")
    published = set(map(tuple, shown[VALUE_KEYS].astype(str).to_numpy()))
    withheld = dict.fromkeys(["value", "lower95", "upper95"])
    return {indicator: [row if (str(indicator), str(row.get("area_code")), str(row.get("period"))) in published
                        else {**row, **{k: v for k, v in withheld.items() if k in row}} for row in rows]
            for indicator, rows in records.items()}


def _summary(summary: pd.DataFrame, areas: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Spreads of values (min, max, folds, percentile ratios, cv) over the published values only;
    the pooled value withheld where the national count behind it is hidden."""
    keys = ["indicator_id", "period"]
    published = areas.dropna(subset=["value"])
    spread = stats.variation_table(published, keys, numerator=None, denominator=None).set_index(keys)
    index = pd.MultiIndex.from_frame(summary[keys].astype(str))
    summary = summary.copy()
    no_ratios = summary["fold_trimmed5"].isna().to_numpy()  # head-counts and lone areas have no ratios
    for column in [c for c in VALUE_SPREADS if c in summary]:
        recomputed = spread[column].reindex(index).to_numpy() if len(spread) else np.full(len(summary), np.nan)
        blank = no_ratios if column in RATIOS else summary[column].isna().to_numpy()
        summary[column] = np.where(blank, np.nan, recomputed)
    national = totals.set_index(keys)
    hidden = national["numerator"].isna() | national["denominator"].isna()
    summary.loc[hidden.reindex(index).fillna(False).to_numpy(), "pooled"] = np.nan
    return summary


def _benchmarks(atlas: Atlas, areas: pd.DataFrame, totals: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The shared benchmarks of each indicator's latest period that its published counts allow: the pooled
    national value only while the national counts are published, and the top quartile's and decile's (pooled
    over some areas) only while no area is withheld (else, less the visible areas, they give a hidden one away)."""
    keys = ["indicator_id", "period"]
    withheld = set(map(tuple, areas.loc[areas["value_status"] == "follows", keys].astype(str).to_numpy()))
    hidden = totals["numerator"].isna() | totals["denominator"].isna()
    national_hidden = set(map(tuple, totals.loc[hidden, keys].astype(str).to_numpy()))
    kept = {}
    for indicator, benchmarks in atlas.benchmarks.items():
        key = (str(indicator), str(atlas.improvement[indicator].period))
        kept[indicator] = {name: value for name, value in benchmarks.items()
                           if (key not in national_hidden if name == SHARED_BENCHMARKS["national"]
                               else key not in withheld)}
    return kept


def _rolled_up(spc: pd.DataFrame, areas: pd.DataFrame) -> np.ndarray:
    """Which SPC points are months or quarters whose counts the atlas also shows summed into a financial year."""
    if spc.empty:
        return np.zeros(0, dtype=bool)
    grain = spc["period"].astype(str).map({p: parse_period(p)[0] for p in spc["period"].astype(str).unique()})
    sub_annual = grain.isin(list(SUBPERIODS_PER_YEAR)).to_numpy()
    years = pd.MultiIndex.from_frame(areas[VALUE_KEYS].astype(str))
    year = _financial_year(spc)
    return sub_annual & pd.MultiIndex.from_arrays([spc["indicator_id"].astype(str), spc["area_code"].astype(str),
                                                   year]).isin(years)


def _financial_year(points: pd.DataFrame) -> np.ndarray:
    return label_periods(period_starts(points["period"].astype(str)), Grain.FINANCIAL_YEAR).to_numpy()


def _protect_subperiod_points(atlas: Atlas, points: pd.DataFrame, areas: pd.DataFrame, rule: Rule, measures,
                              audience: Mapping[str, Iterable[str]], breakdowns: Mapping[str, Breakdown]
                              ) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """The monthly (or quarterly) SPC points, protected as cells whose months add up to their published year.

    A month is shown only when its year's counts are published (else the months would give the
    hidden year away) and protect_subperiods leaves its counts visible: a small month is hidden
    with complements among its year's months, so none can be worked out as the year minus the
    others. Exempt measures are shown as they are, as in the annual table. A series that loses a
    point is charted again from its published points alone (its mean and limits would otherwise
    give the hidden months away). Returns the points, the months per step and the audit of the
    hidden monthly cells (each with its financial `year`)."""
    counts = dict.fromkeys(["shown", "withheld", "in_hidden_years", "primary", "secondary"], 0)
    audit = pd.DataFrame(columns=["indicator_id", "period", "year", "area_code", "part", "status"])
    if points.empty:
        return points, counts, audit
    points = points.reset_index(drop=True)
    year = _financial_year(points)
    exempt = points["indicator_id"].map(lambda i: measures.get(i) in rule.exempt_measures).to_numpy(dtype=bool)
    published = areas.dropna(subset=["numerator", "denominator"])
    year_shown = pd.MultiIndex.from_arrays([points["indicator_id"].astype(str), points["area_code"].astype(str), year]) \
        .isin(pd.MultiIndex.from_frame(published[VALUE_KEYS].astype(str)))
    has_counts = {"numerator", "denominator"} <= set(points)
    keep = exempt.copy()
    candidates = ~exempt & year_shown & has_counts
    if candidates.any():
        months = points.loc[candidates, [*VALUE_KEYS, "numerator", "denominator"]].assign(year=year[candidates])
        shown, audit = _protect_months(months, rule, measures, audience, breakdowns)
        keep[np.flatnonzero(candidates)] = shown
        counts["primary"] = int((audit["status"] == "primary").sum())
        counts["secondary"] = int((audit["status"] == "secondary").sum())
    counts["withheld"], counts["shown"] = int((~keep).sum()), int(keep.sum())
    counts["in_hidden_years"] = int((~exempt & ~year_shown).sum())
    lost = pd.MultiIndex.from_frame(points.loc[~keep, ["indicator_id", "area_code"]].astype(str))
    series = pd.MultiIndex.from_frame(points[["indicator_id", "area_code"]].astype(str))
    again = series.isin(lost)
    redrawn = spc_series(points[keep & again].drop(columns="period_start"), atlas.catalogue) if (keep & again).any() \
        else points.iloc[:0]
    return pd.concat([points[~again], redrawn], ignore_index=True), counts, audit


def _protect_months(months: pd.DataFrame, rule: Rule, measures, audience: Mapping[str, Iterable[str]],
                    breakdowns: Mapping[str, Breakdown]) -> tuple[np.ndarray, pd.DataFrame]:
    """protect_subperiods over every indicator at once (each seen in full where its audience says, each
    family's breakdowns linked): whether each month's counts stay visible, and the audit of the hidden ones."""
    part = protect_subperiods(months.reset_index(drop=True), rule, audience=audience or None, measures=measures,
                              breakdowns=breakdowns)
    shown = (part.table["value_status"] != "follows").to_numpy()
    audit = part.audit[part.audit["indicator_id"] != ""]
    year = dict(zip(months["period"].astype(str), months["year"].astype(str)))
    return shown, audit.assign(year=audit["period"].astype(str).map(year))


def _subperiod_sentence(months: dict[str, int]) -> str:
    if not months["withheld"] and not months["shown"]:
        return ""
    text = (f"; {months['withheld']:,} of {months['shown'] + months['withheld']:,} monthly or quarterly points "
            f"withheld ({months['primary']:,} of their counts suppressed as small, {months['secondary']:,} more so "
            "none can be worked out from its year")
    if months["in_hidden_years"]:
        text += f"; {months['in_hidden_years']:,} points in years whose counts are hidden"
    return text + "), each series charted from its published points alone"


def protected_fixes(fixes: pd.DataFrame, hidden: set[tuple[str, str, str]], rule: Rule) -> pd.DataFrame:
    """A care bundle's single fixes (people missing only one process) under `rule`: a row is dropped
    when its area's bundle value is withheld (`hidden` keys) or its count of people is a small count
    (its rate if fixed would give the count back); other counts are rounded, and the rate if fixed
    moved to match the rounded count. Primary suppression only: these counts add up to no published
    total (a patient missing two processes is in none)."""
    if fixes.empty:
        return fixes
    keys = list(map(tuple, fixes[VALUE_KEYS].astype(str).to_numpy()))
    keep = ~np.array([k in hidden for k in keys], dtype=bool) & ~rule.is_primary(fixes["extra_people"].to_numpy())
    fixes = fixes[keep].copy()
    if rule.rounding:
        true = fixes["extra_people"].to_numpy(dtype=float)
        rounded = round_to(true, rule.rounding)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_person = np.where(true > 0, (fixes["rate_if_fixed"] - fixes["rate"]).to_numpy() / true, 0.0)
        fixes["extra_people"] = rounded
        fixes["rate_if_fixed"] = fixes["rate"].to_numpy() + per_person * rounded
    return fixes.reset_index(drop=True)


PLAN_FIGURES = ["value", "lower", "upper", "trajectory", "baseline", "target", "gap", "gap_people", "forecast",
                "forecast_month", "forecast_earliest", "forecast_latest", "slope", "slope_lower", "slope_upper",
                "cumulative_achieved", "cumulative_planned"]
PLAN_JUDGEMENTS = ["variation", "assurance", "status"]
WITHHELD = "withheld"


def protect_scorecard(scorecard: pd.DataFrame, charted: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """A plans scorecard (marginalgains.plans.track) with only what the protected atlas publishes.

    A plan x area is tracked month by month over the same counts as the atlas's SPC series
    (`charted`, before protection); its figures and judgements are shown only when every point of
    that series is in the protected one (`published`): the gap, forecast and status of a series
    with a hidden month would tell of that month. Otherwise its figures are withheld (NaN) and its
    judgements read "withheld"."""
    if scorecard.empty:
        return scorecard
    keys = ["indicator_id", "area_code"]

    def points(spc: pd.DataFrame) -> pd.Series:
        return spc[keys].astype(str).value_counts() if len(spc) else pd.Series(dtype=int)

    index = pd.MultiIndex.from_frame(scorecard[keys].astype(str))
    before, after = points(charted).reindex(index).to_numpy(), points(published).reindex(index).to_numpy()
    withheld = ~(np.isfinite(before) & (before == after))
    card = scorecard.copy()
    for column in [c for c in PLAN_FIGURES if c in card]:
        card[column] = card[column].where(~withheld)
    for column in [c for c in PLAN_JUDGEMENTS if c in card]:
        card[column] = card[column].astype(object).where(~withheld, WITHHELD)
    return card


def _without(spc: pd.DataFrame, series: set[tuple[str, str]]) -> pd.DataFrame:
    if spc.empty or not series:
        return spc
    keep = [(i, a) not in series for i, a in spc[["indicator_id", "area_code"]].astype(str).to_numpy()]
    return spc[keep].reset_index(drop=True)


def _gains(table: pd.DataFrame, indicator_id: str, period: str, hidden: set[tuple[str, str, str]]) -> pd.DataFrame:
    mask = np.array([(indicator_id, str(a), str(period)) in hidden for a in table["area_code"]], dtype=bool)
    table = table.copy()
    for column in [c for c in GAIN_COLUMNS if c in table]:
        table[column] = table[column].astype(object if table[column].dtype == bool else table[column].dtype)
        table.loc[mask, column] = np.nan if table[column].dtype != object else None
    return table
