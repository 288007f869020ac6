"""From plans and IndicatorValues to one row per plan x area (a *series*) and its points, with
baseline and target resolved to numbers. Every check is vectorised over series; a plan that
fails one is set aside with a PlanError naming the field, and the other plans go on."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from marginalgains.improve import benchmarks as bm
from marginalgains.improve.errors import ImproveError
from marginalgains.improve.opportunity import opportunity
from marginalgains.improve.peers import peers as find_peers
from marginalgains.improve.plan import area_covariates
from marginalgains.model import Polarity
from marginalgains.periods import Grain, financial_years, parse_period
from marginalgains.plans.model import Baseline, Plan, PlanError, Target, month_index, month_label

TRACKED_GRAINS = {Grain.MONTH: 1, Grain.QUARTER: 3}
"""Grains a plan is tracked at, with their length in months."""


@dataclass
class Problems:
    """PlanErrors by plan id (one per plan and field); `bad` are the plans set aside."""

    errors: list[PlanError]

    @property
    def bad(self) -> set[str]:
        return {e.plan_id for e in self.errors}

    def add(self, plan_id: str, field: str, reason: str) -> None:
        if not any(e.plan_id == plan_id and e.field == field for e in self.errors):
            self.errors.append(PlanError(plan_id, field, reason))

    def flag(self, series: pd.DataFrame, mask, field: str, reasons) -> pd.DataFrame:
        """Record an error for each plan with a flagged series (`reasons`: text, or a function of
        the flagged rows giving one text each); return the series of the other plans."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            flagged = series[mask]
            texts = [reasons] * len(flagged) if isinstance(reasons, str) else list(reasons(flagged))
            for plan_id, reason in zip(flagged["plan_id"], texts):
                self.add(plan_id, field, reason)
        return series[~series["plan_id"].isin(self.bad)]


def period_months(labels: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First month index, last month index and grain of each period label (parsed once per label)."""
    codes, unique = pd.factorize(pd.Series(labels, copy=False))  # on the column itself: no object copy
    first, last, grain = np.zeros(len(unique), np.int64), np.zeros(len(unique), np.int64), []
    for n, label in enumerate(unique):
        parsed_grain, start = parse_period(label)
        first[n] = start.year * 12 + start.month - 1
        last[n] = first[n] + TRACKED_GRAINS.get(parsed_grain, 12) - 1
        grain.append(str(parsed_grain))
    return first[codes], last[codes], np.asarray(grain, dtype=object)[codes]


def expand_series(plans: list[Plan], values: pd.DataFrame, catalogue, areas: pd.DataFrame | None,
                  problems: Problems) -> pd.DataFrame:
    """One row per plan x area: plan_id, indicator_id, area_code, sign, multiplier, measure,
    baseline_first/last, by (month indices), series (a number)."""
    wanted = {p.indicator_id for p in plans}
    known_areas = {i: set(codes) for i, codes in values.groupby("indicator_id", sort=False)["area_code"].unique().items()
                   if i in wanted}
    types = _area_types(values, areas)
    rows = []
    for plan in plans:
        if plan.indicator_id not in catalogue:
            problems.add(plan.id, "indicator_id", f"unknown indicator {plan.indicator_id!r} (not in the catalogue)")
            continue
        indicator = catalogue[plan.indicator_id]
        polarity = Polarity(indicator.polarity)
        if polarity is Polarity.NO_JUDGEMENT:
            problems.add(plan.id, "indicator_id", f"{plan.indicator_id!r} has no judgement (neither high nor low is "
                         "better), so a target has no direction")
            continue
        present = known_areas.get(plan.indicator_id, set())
        if not present:
            problems.add(plan.id, "indicator_id", f"no values for indicator {plan.indicator_id!r}")
            continue
        codes = _plan_areas(plan, types, problems)
        missing = [c for c in codes if c not in present]
        if missing:
            problems.add(plan.id, "areas", f"no values of {plan.indicator_id!r} for area(s) {', '.join(missing[:5])}")
            continue
        for code in codes:
            rows.append((plan.id, plan.indicator_id, code, 1.0 if polarity is Polarity.HIGH_IS_GOOD else -1.0,
                         indicator.multiplier, str(indicator.measure), month_index(plan.baseline.first),
                         month_index(plan.baseline.last), month_index(plan.by)))
    series = pd.DataFrame(rows, columns=["plan_id", "indicator_id", "area_code", "sign", "multiplier", "measure",
                                         "baseline_first", "baseline_last", "by"])
    series = problems.flag(series, series["by"] <= series["baseline_last"], "by",
                           lambda s: "the target date " + s["by"].map(month_label) + " is not after the baseline "
                           "(ending " + s["baseline_last"].map(month_label) + ")")
    return series.reset_index(drop=True).assign(series=lambda s: np.arange(len(s)))


def _area_types(values: pd.DataFrame, areas: pd.DataFrame | None) -> pd.DataFrame | None:
    for table in (values, areas):
        if table is not None and "area_type" in table.columns:
            return table[["area_code", "area_type"]].drop_duplicates("area_code")
    return None


def _plan_areas(plan: Plan, types: pd.DataFrame | None, problems: Problems) -> list[str]:
    if not plan.areas.area_type:
        return list(plan.areas.codes)
    if types is None:
        problems.add(plan.id, "areas", "every area of a type needs area types in the data (an area_type column)")
        return []
    codes = sorted(types.loc[types["area_type"].astype(str) == plan.areas.area_type, "area_code"].astype(str))
    if not codes:
        problems.add(plan.id, "areas", f"no areas of type {plan.areas.area_type!r} "
                     f"(types: {', '.join(sorted(types['area_type'].astype(str).unique())[:8])})")
    return codes


def attach_points(series: pd.DataFrame, values: pd.DataFrame, problems: Problems) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series' rows from its baseline's first month on, sorted by series and time, with
    first/last month and phase (baseline or plan). Series whose data are not monthly or quarterly,
    or have no values in the baseline, are set aside."""
    wanted = values[values["indicator_id"].isin(series["indicator_id"].unique())]
    keep = [c for c in ("indicator_id", "area_code", "period", "numerator", "denominator", "value", "lower95",
                        "upper95") if c in wanted.columns]
    points = series[["series", "plan_id", "indicator_id", "area_code", "baseline_first", "baseline_last"]].merge(
        wanted[keep], on=["indicator_id", "area_code"])
    for column in ("numerator", "denominator", "value", "lower95", "upper95"):
        if column not in points:
            points[column] = np.nan
    points["first_month"], points["last_month"], points["grain"] = period_months(points["period"])
    coarse = points.loc[~points["grain"].isin([str(g) for g in TRACKED_GRAINS]), ["plan_id", "grain"]]
    for plan_id, grain in coarse.drop_duplicates("plan_id").itertuples(index=False):
        problems.add(plan_id, "indicator_id", f"values are by {grain}; plans are tracked on monthly or quarterly values")
    mixed = points.groupby("series")["grain"].nunique() > 1
    series = problems.flag(series, series["series"].map(mixed).fillna(False), "indicator_id",
                           "the values mix months and quarters; give one grain")
    points = points[points["series"].isin(series["series"]) & (points["first_month"] >= points["baseline_first"])]
    points = points.sort_values(["series", "first_month"], ignore_index=True)
    in_baseline = points["last_month"] <= points["baseline_last"]
    counted = in_baseline.groupby(points["series"]).sum().reindex(series["series"]).fillna(0).to_numpy()
    series = problems.flag(series, counted == 0, "baseline",
                           lambda s: "no values between " + s["baseline_first"].map(month_label) + " and "
                           + s["baseline_last"].map(month_label) + " for area " + s["area_code"])
    points = points[points["series"].isin(series["series"])].reset_index(drop=True)
    points["phase"] = pd.Categorical.from_codes((points["last_month"] > points["baseline_last"]).to_numpy(np.int8),
                                                ["baseline", "plan"])
    return series, points


def point_values(points: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """value, lower, upper per point: published where given, else from the counts by the measure's
    method (Wilson for proportions, Byars for rates and ratios; a mean from counts has no interval)."""
    out = points.assign(lower=points["lower95"], upper=points["upper95"])
    info = series.set_index("series")
    for (measure, multiplier), rows in out.groupby([out["series"].map(info["measure"]),
                                                    out["series"].map(info["multiplier"])]):
        counted = rows.index[rows["value"].isna()]
        if not len(counted):
            continue
        numerator, denominator = out.loc[counted, "numerator"], out.loc[counted, "denominator"]
        if measure == "mean":  # a sum over a count: the value, but no interval from counts alone
            out.loc[counted, "value"] = numerator / denominator * multiplier
            continue
        got = bm.intervals(numerator, denominator, measure, multiplier, 0.95)
        out.loc[counted, "value"], out.loc[counted, "lower"], out.loc[counted, "upper"] = got.value, got.lower, got.upper
    return out


def baseline_values(series: pd.DataFrame, points: pd.DataFrame, plans: dict[str, Plan]) -> np.ndarray:
    """Each series' baseline: the value recorded in the plan, else the pooled counts of its baseline
    months (x multiplier), else the mean of published baseline values."""
    base = points[points["phase"] == "baseline"]
    sums = base.groupby("series")[["numerator", "denominator"]].sum(min_count=1)
    pooled = sums["numerator"] / sums["denominator"]
    mean = base.groupby("series")["value"].mean()
    value = pooled.reindex(series["series"]).to_numpy() * series["multiplier"].to_numpy()
    value = np.where(np.isfinite(value), value, mean.reindex(series["series"]).to_numpy())
    recorded = _recorded(series, plans, lambda p: p.baseline.values)
    return np.where(np.isnan(recorded), value, recorded)


def _recorded(series: pd.DataFrame, plans: dict[str, Plan], getter) -> np.ndarray:
    """The numbers plans record per area (NaN where a plan records none), looked up in one join."""
    rows = [(plan_id, code, value) for plan_id in series["plan_id"].unique()
            for code, value in getter(plans[plan_id]).items()]
    if not rows:
        return np.full(len(series), np.nan)
    table = pd.DataFrame(rows, columns=["plan_id", "area_code", "recorded"])
    return series[["plan_id", "area_code"]].merge(table, how="left")["recorded"].to_numpy(float)


def target_values(series: pd.DataFrame, values: pd.DataFrame, plans: dict[str, Plan], areas: pd.DataFrame | None,
                  problems: Problems) -> np.ndarray:
    """Each series' target as a number: recorded in the plan, else by its form (a benchmark
    resolved at the baseline through improve's benchmark code)."""
    target = np.full(len(series), np.nan)
    forms = series["plan_id"].map(lambda p: plans[p].target.form).to_numpy()
    amounts = series["plan_id"].map(lambda p: plans[p].target.amount).astype(float).to_numpy()
    base = series["baseline"].to_numpy()
    target = np.where(forms == "absolute", amounts, target)
    target = np.where(forms == "change_points", base + np.nan_to_num(amounts), target)
    target = np.where(forms == "change_relative", base * (1 + np.nan_to_num(amounts) / 100), target)
    benchmark = series["plan_id"].map(lambda p: plans[p].target.benchmark)
    for name in ("national", "top_quartile", "top_decile", "peer_best5"):
        chosen = (benchmark == name).to_numpy()
        if chosen.any():
            target[chosen] = _benchmark_targets(series[chosen], values, name, areas, problems)
    own = (benchmark == "own_best").to_numpy()
    if own.any():
        target[own] = own_best(series[own], values, problems)
    recorded = _recorded(series, plans, lambda p: p.target.values)
    return np.where(np.isnan(recorded), target, recorded)


def _benchmark_targets(series: pd.DataFrame, values: pd.DataFrame, name: str, areas: pd.DataFrame | None,
                       problems: Problems) -> np.ndarray:
    """A benchmark at each series' baseline, over every area with values then (one call per
    indicator and baseline window)."""
    out = pd.Series(np.nan, index=series.index)
    for (indicator_id, first, last), group in series.groupby(["indicator_id", "baseline_first", "baseline_last"]):
        rows = values[values["indicator_id"] == indicator_id]
        start, end, _ = period_months(rows["period"])
        window = rows[(start >= first) & (end <= last)]
        pooled = window.groupby(window["area_code"].astype(str), as_index=False)[["numerator", "denominator"]].sum()
        try:
            peer_table = None
            if name == "peer_best5":
                if areas is None:
                    raise ImproveError("peer_best5 needs an areas table with covariates (give --areas)")
                peer_table = find_peers(area_covariates(areas, pooled["area_code"]))
            first_row = group.iloc[0]
            result = opportunity(pooled, name, "high_is_good" if first_row["sign"] > 0 else "low_is_good",
                                 first_row["measure"], first_row["multiplier"], peers=peer_table)
        except ImproveError as exc:
            for plan_id in group["plan_id"].unique():
                problems.add(plan_id, "target", f"{name} cannot be resolved at the baseline: {exc}")
            continue
        out[group.index] = result.set_index("area_code")["benchmark_value"].reindex(group["area_code"]).to_numpy()
    return out.to_numpy()


def own_best(series: pd.DataFrame, values: pd.DataFrame, problems: Problems) -> np.ndarray:
    """The area's best whole financial year ending by its baseline's last month: the record
    holder's target. Vectorised over series: one roll-up of the involved areas' values."""
    involved = values.merge(series[["indicator_id", "area_code"]].drop_duplicates(), on=["indicator_id", "area_code"])
    if "grain" not in involved:
        involved = involved.assign(grain=period_months(involved["period"])[2])
    keys = ["indicator_id", "area_code"]
    per_year = involved.groupby(keys)["grain"].first().map({"month": 12, "quarter": 4}).rename("per_year")
    annual = financial_years(involved).join(per_year, on=keys)
    annual = annual[annual["subperiods"] == annual["per_year"]]
    annual = annual.assign(year_last=period_months(annual["period"])[1] if len(annual) else [],
                           year_value=annual["numerator"] / annual["denominator"])
    joined = series[["series", "indicator_id", "area_code", "baseline_last", "sign", "multiplier"]].merge(
        annual, on=["indicator_id", "area_code"])
    joined = joined[joined["year_last"] <= joined["baseline_last"]]
    best = (joined["sign"] * joined["year_value"]).groupby(joined["series"]).max()
    found = best.reindex(series["series"]).to_numpy()
    result = found * series["sign"].to_numpy() * series["multiplier"].to_numpy()
    series_missing = series[np.isnan(result)]
    for plan_id, code in zip(series_missing["plan_id"], series_missing["area_code"]):
        problems.add(plan_id, "target", f"own_best needs a whole financial year of values for {code} "
                     "by the end of the baseline")
    return result


def check_targets(series: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """A target on the wrong side of the baseline for the indicator's polarity is an error."""
    worse = series["sign"] * (series["target"] - series["baseline"]) < 0

    def reasons(rows: pd.DataFrame) -> pd.Series:
        direction = np.where(rows["sign"] > 0, "high is good", "low is good")
        return ("the target " + rows["target"].map("{:.4g}".format) + " for " + rows["area_code"]
                + " is worse than its baseline " + rows["baseline"].map("{:.4g}".format) + " (" + direction + ")")

    return problems.flag(series, worse.to_numpy(), "target", reasons)


def resolved_plans(plans: list[Plan], series: pd.DataFrame) -> list[Plan]:
    """The plans with the baseline and target numbers they resolved to recorded in them."""
    numbers: dict[str, tuple[dict, dict]] = {}
    for plan_id, code, base, goal in zip(series["plan_id"], series["area_code"], series["baseline"], series["target"]):
        found = numbers.setdefault(plan_id, ({}, {}))
        found[0][code], found[1][code] = float(base), float(goal)
    return [replace(plan, baseline=Baseline(plan.baseline.first, plan.baseline.last, numbers[plan.id][0]),
                    target=Target(plan.target.form, plan.target.amount, plan.target.benchmark, numbers[plan.id][1]))
            for plan in plans if plan.id in numbers]
