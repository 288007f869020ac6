"""Track plans against IndicatorValues: every plan x area at every period from its baseline on.

One pass over all series at once (no loop over series): resolve baselines and targets, build
trajectories, run the XmR chart for every series in one grouped call (per improvement direction
and fixing window) with the plans' rebases and a fixed baseline (limits from the first N points
of each segment: the baseline's points unless the plan says fix_after_n_points), judge each
point against its trajectory, then read the latest point of each series into the scorecard.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from marginalgains import stats
from marginalgains.improve import benchmarks as bm
from marginalgains.improve.opportunity import gains
from marginalgains.plans.forecast import forecast, grouped_trend
from marginalgains.plans.model import Plan, PlanError, month_labels
from marginalgains.plans.resolve import (Problems, attach_points, baseline_values, check_targets, expand_series,
                                         point_values, resolved_plans, target_values)
from marginalgains.plans.status import board_status
from marginalgains.plans.trajectories import Explicit, explicit_trajectories, monthly_value, point_trajectory

POINT_COLUMNS = ["plan_id", "indicator_id", "area_code", "period", "phase", "numerator", "denominator", "value",
                 "lower", "upper", "trajectory", "target", "gap", "gap_people", "gap_people_lower",
                 "gap_people_upper", "mean", "lpl", "upl", "point_type", "rule", "assurance", "rebase", "change",
                 "achieved_people", "planned_people", "cumulative_achieved", "cumulative_planned"]
SCORECARD_COLUMNS = ["plan_id", "title", "indicator_id", "area_code", "period", "value", "lower", "upper",
                     "trajectory", "baseline", "target", "by", "variation", "assurance", "status", "gap", "gap_people",
                     "forecast", "forecast_month", "forecast_earliest", "forecast_latest", "slope", "slope_lower",
                     "slope_upper", "cumulative_achieved", "cumulative_planned"]

BENEFIT_COLUMNS = ["plan_id", "achieved_people", "planned_people", "expected_people", "bought_people", "cost"]


@dataclass
class Tracking:
    """`points` (one row per plan x area x period from the baseline on), `scorecard` (one row per
    plan x area: its latest point), `benefit` (one row per plan: people benefited against plan
    and bought), `errors` (plans that could not be tracked), `plans` (the tracked plans with the
    numbers they resolved to)."""

    points: pd.DataFrame
    scorecard: pd.DataFrame
    benefit: pd.DataFrame
    errors: list[PlanError] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


def track(plans: list[Plan], values: pd.DataFrame, catalogue, areas: pd.DataFrame | None = None,
          errors: list[PlanError] | None = None) -> Tracking:
    """Track every plan that can be; each one that cannot is listed in `errors` with its field and reason.

    `values`: IndicatorValues (indicator_id, area_code, period, numerator, denominator, or published
    value/lower95/upper95) at monthly or quarterly grain; `catalogue` gives each indicator's polarity,
    measure and multiplier; `areas` (area_code and covariates, optional area_type) finds peers for
    peer_best5 and the areas of a type. `errors` from reading the plan file are carried along.
    """
    problems = Problems(list(errors or []))
    by_id = {p.id: p for p in plans}
    found = resolve_series(plans, values, catalogue, areas, problems)
    series, points, explicit = found.series, found.points, found.explicit
    after = (points["phase"] == "plan").groupby(points["series"]).sum().reindex(series["series"]).fillna(0)
    series = problems.flag(series, after.to_numpy() == 0, "baseline",
                           lambda s: "no values after the baseline yet for area " + s["area_code"] + ": nothing to track")
    points = points[points["series"].isin(series["series"])].reset_index(drop=True)
    series = series.reset_index(drop=True)
    if series.empty:
        return Tracking(pd.DataFrame(columns=POINT_COLUMNS), pd.DataFrame(columns=SCORECARD_COLUMNS),
                        pd.DataFrame(columns=BENEFIT_COLUMNS), problems.errors, [])
    changes = change_points(series, points, by_id, problems)
    keep = ~points["plan_id"].isin(problems.bad)
    points, series = points[keep].reset_index(drop=True), series[~series["plan_id"].isin(problems.bad)]
    changes = changes[changes["plan_id"].isin(series["plan_id"])]
    series = series.reset_index(drop=True)
    points = point_values(points, series)
    points["trajectory"] = point_trajectory(points, series, explicit)
    info = series.set_index("series")
    sign = points["series"].map(info["sign"]).to_numpy()
    points["target"] = points["series"].map(info["target"]).to_numpy()
    _mark_changes(points, changes)
    icons = _spc(points, sign, points["series"].map(fixing_window(series, points, by_id)).to_numpy())
    _gaps(points, series, sign)
    scorecard = _scorecard(points, series, by_id, icons, sign)
    return Tracking(points[POINT_COLUMNS], scorecard, _benefit(scorecard, by_id), problems.errors,
                    resolved_plans(plans, series))


@dataclass
class Resolution:
    """Plans with their baselines, targets and trajectories resolved: `plans` (numbers recorded),
    `errors`, `series` (one row per plan x area), `points` (their values from the baseline on) and
    the explicit trajectories' monthly values."""

    plans: list[Plan]
    errors: list[PlanError]
    series: pd.DataFrame
    points: pd.DataFrame
    explicit: Explicit

    def trajectory(self, plan_id: str, area_code: str, first: int, last: int) -> np.ndarray:
        """The monthly trajectory of one plan x area over month indices first..last."""
        position = np.flatnonzero((self.series["plan_id"] == plan_id) & (self.series["area_code"] == area_code))
        months = np.arange(first, last + 1)
        return monthly_value(self.series, self.explicit, np.repeat(position, len(months)), months)


def resolve(plans: list[Plan], values: pd.DataFrame, catalogue, areas: pd.DataFrame | None = None) -> Resolution:
    """Baselines, targets and trajectories of plans from the data, without needing data after the
    baseline (what `gains plan new` records); each plan that cannot be resolved is in `errors`."""
    problems = Problems([])
    found = resolve_series(plans, values, catalogue, areas, problems)
    return Resolution(resolved_plans(plans, found.series), problems.errors, found.series, found.points, found.explicit)


def resolve_series(plans: list[Plan], values: pd.DataFrame, catalogue, areas, problems: Problems) -> Resolution:
    by_id = {p.id: p for p in plans}
    values = values.assign(**{c: values[c] if pd.api.types.is_string_dtype(values[c]) else values[c].astype(str)
                              for c in ("area_code", "period")})
    series = expand_series(plans, values, catalogue, areas, problems)
    series, points = attach_points(series, values, problems)
    if series.empty:
        return Resolution([], problems.errors, series.assign(baseline=[], target=[]), points, Explicit(np.empty(0), {}, {}))
    series = series.assign(baseline=baseline_values(series, points, by_id))
    series = series.assign(target=target_values(series, values, by_id, areas, problems))
    series = check_targets(series[~series["plan_id"].isin(problems.bad)], problems)
    series, explicit = explicit_trajectories(series, by_id, problems)
    points = points[points["series"].isin(series["series"])].reset_index(drop=True)
    return Resolution([], problems.errors, series.reset_index(drop=True), points, explicit)


def change_points(series: pd.DataFrame, points: pd.DataFrame, plans: dict[str, Plan],
                  problems: Problems) -> pd.DataFrame:
    """Each change of each series at the first point on or after its month; changes outside the
    data, rebases within the baseline and rebases closer than the fixing window are errors."""
    rows = [(plan_id, n, c.date, c.event, c.reason, c.rebase) for plan_id in series["plan_id"].unique()
            for n, c in enumerate(plans[plan_id].changes)]
    table = pd.DataFrame(rows, columns=["plan_id", "number", "date", "event", "reason", "rebase"])
    table = table.merge(series[["plan_id", "series", "area_code", "baseline_last"]], on="plan_id")
    if table.empty:
        return table.assign(position=pd.Series(dtype=np.int64))
    month = table["date"].map(lambda d: int(d[:4]) * 12 + int(d[5:]) - 1).to_numpy()
    ids, last_months = points["series"].to_numpy(np.int64), points["last_month"].to_numpy(np.int64)
    position = np.searchsorted(ids * 100_000 + last_months, table["series"].to_numpy(np.int64) * 100_000 + month)
    start = np.searchsorted(ids, table["series"].to_numpy())
    end = np.searchsorted(ids, table["series"].to_numpy(), side="right")
    table = table.assign(month=month, start=start, data_first=month_labels(points["first_month"].to_numpy()[start]),
                         data_last=month_labels(last_months[np.maximum(end - 1, 0)]))
    outside = (month < points["first_month"].to_numpy()[start]) | (position >= end)
    _flag_each(problems, table, outside, lambda t: "changes[" + t["number"].astype(str) + "].date",
               lambda t: t["date"] + " is outside the data for " + t["area_code"] + " (" + t["data_first"] + " to "
               + t["data_last"] + ")")
    early = table["rebase"].to_numpy() & (month <= table["baseline_last"].to_numpy()) & ~outside
    _flag_each(problems, table, early, lambda t: "changes[" + t["number"].astype(str) + "].rebase",
               lambda t: "a rebase in " + t["date"] + " falls within the baseline, whose limits it would replace")
    table = table.assign(position=np.where(outside, -1, position))
    _check_overlaps(table[table["rebase"] & ~outside & ~early], series, points, plans, problems)
    return table[table["position"] >= 0]


def _flag_each(problems: Problems, table: pd.DataFrame, mask: np.ndarray, field, reason) -> None:
    """An error for each flagged change; `field` and `reason` are functions of the flagged rows."""
    flagged = table[np.asarray(mask, dtype=bool)]
    if len(flagged):
        for plan_id, name, text in zip(flagged["plan_id"], field(flagged), reason(flagged)):
            problems.add(plan_id, name, text)


def fixing_window(series: pd.DataFrame, points: pd.DataFrame, plans: dict[str, Plan]) -> pd.Series:
    """Points that fix each series' limits after a (re)start: the plan's fix_after_n_points, else
    the number of baseline points."""
    baseline_points = (points["phase"] == "baseline").groupby(points["series"]).sum()
    chosen = series["plan_id"].map(lambda p: plans[p].fix_after_n_points)
    counted = series["series"].map(baseline_points).clip(lower=2)  # limits need two points at least
    return chosen.fillna(counted).astype(int).set_axis(series["series"])


def _check_overlaps(rebases: pd.DataFrame, series: pd.DataFrame, points: pd.DataFrame, plans: dict[str, Plan],
                    problems: Problems) -> None:
    """Two rebases overlap when the later falls within the points fixing the earlier segment's limits."""
    if rebases.empty:
        return
    window = fixing_window(series, points, plans)
    ordered = rebases.sort_values(["series", "position"])
    previous = ordered.groupby("series")["position"].shift().fillna(ordered["start"]).astype(int)
    previous_date = ordered.groupby("series")["date"].shift().fillna("the start of the baseline")
    ordered = ordered.assign(previous_date=previous_date, window=ordered["series"].map(window))
    close = (ordered["position"] - previous < ordered["window"]).to_numpy()
    _flag_each(problems, ordered, close, lambda t: "changes[" + t["number"].astype(str) + "].rebase",
               lambda t: "the rebase in " + t["date"] + " overlaps the one before (" + t["previous_date"]
               + "): it falls within the " + t["window"].astype(str) + " points that fix the earlier limits")


def _mark_changes(points: pd.DataFrame, changes: pd.DataFrame) -> None:
    """`rebase` (a new segment starts here) and `change` (the labels of the changes at each point)."""
    rebase = np.zeros(len(points), dtype=bool)
    label = np.full(len(points), None, dtype=object)
    if len(changes):
        rebase[changes.loc[changes["rebase"], "position"].to_numpy()] = True
        text = changes.assign(label=changes["date"] + ": " + changes["event"]
                              + np.where(changes["reason"] != "", " (" + changes["reason"] + ")", ""))
        shared = text["position"].duplicated(keep=False)  # several changes at one point: joined, in order
        label[text.loc[~shared, "position"].to_numpy()] = text.loc[~shared, "label"].to_numpy()
        joined = text[shared].groupby("position")["label"].agg("; ".join)
        label[joined.index.to_numpy()] = joined.to_numpy()
    points["rebase"], points["change"] = rebase, pd.Series(label, index=points.index, dtype=object)


def _spc(points: pd.DataFrame, sign: np.ndarray, window: np.ndarray) -> pd.Series:
    """XmR columns for every point, limits fixed from the first `window` points of each segment and
    each point's assurance against its trajectory: one grouped call per improvement direction and
    window length. Returns the variation icon per series."""
    columns = {c: np.full(len(points), np.nan) for c in ("mean", "lpl", "upl")}
    codes = {c: np.full(len(points), -1, dtype=np.int64) for c in ("point_type", "rule", "assurance")}
    names, icons = {}, []
    keys, which = np.unique(window.astype(np.int64) * 2 + (sign > 0), return_inverse=True)
    for number, key in enumerate(keys):
        direction, fix = (1.0 if key % 2 else -1.0), key // 2
        rows = np.arange(len(points)) if len(keys) == 1 else np.flatnonzero(which == number)
        with warnings.catch_warnings():  # short segments are trial limits; the page says so
            warnings.simplefilter("ignore", UserWarning)
            chart = stats.xmr(points["value"].to_numpy()[rows], improvement="increase" if direction > 0 else "decrease",
                              target=points["trajectory"].to_numpy()[rows], rebase=points["rebase"].to_numpy()[rows],
                              groups=points["series"].to_numpy()[rows], fix_after_n_points=int(fix))
        for column in columns:
            columns[column][rows] = chart.points[column].to_numpy()
        for column in codes:  # the same categories from every call: keep codes, not text
            codes[column][rows] = chart.points[column].cat.codes.to_numpy()
            names[column] = chart.points[column].cat.categories
        icons.append(pd.Series(_text(chart.summary["variation"]), index=chart.summary["group"]))
    for column, array in columns.items():
        points[column] = array
    for column, array in codes.items():
        points[column] = pd.Categorical.from_codes(array, categories=names[column])
    return pd.concat(icons) if icons else pd.Series(dtype=object)


def _text(categorical: pd.Series) -> np.ndarray:
    """A categorical's labels as an object array (None where missing), without a per-row conversion."""
    codes = categorical.cat.codes.to_numpy()
    names = np.asarray(categorical.cat.categories, dtype=object)
    return np.where(codes >= 0, names[np.maximum(codes, 0)], None)


def _gaps(points: pd.DataFrame, series: pd.DataFrame, sign: np.ndarray) -> None:
    """Gap to the trajectory in units (positive = behind) and in people (improve's gain against the
    trajectory, with its MOVER interval); people benefited against the baseline, achieved and planned."""
    info = series.set_index("series")
    per_unit = (points["denominator"] / points["series"].map(info["multiplier"])).to_numpy(dtype=float, copy=True)
    per_unit[(points["series"].map(info["measure"]) == "mean").to_numpy()] = np.nan  # a mean counts no people
    value, trajectory = points["value"].to_numpy(), points["trajectory"].to_numpy()
    points["gap"] = sign * (trajectory - value)
    for column in ("gap_people", "gap_people_lower", "gap_people_upper"):
        points[column] = np.nan
    plan = (points["phase"] == "plan").to_numpy()
    for direction in (1.0, -1.0):
        rows = np.flatnonzero(plan & (sign == direction))
        area = bm.Intervals(value[rows], points["lower"].to_numpy()[rows], points["upper"].to_numpy()[rows])
        aim = bm.Intervals(trajectory[rows], trajectory[rows], trajectory[rows])
        found = gains(area, aim, direction, per_unit[rows])
        counted = np.isfinite(per_unit[rows])
        for column, got in zip(("gap_people", "gap_people_lower", "gap_people_upper"), found):
            points.loc[rows, column] = np.where(counted, got, np.nan)
    baseline = points["series"].map(info["baseline"]).to_numpy()
    points["achieved_people"] = np.where(plan, sign * (value - baseline) * per_unit, np.nan)
    points["planned_people"] = np.where(plan, sign * (trajectory - baseline) * per_unit, np.nan)
    grouped = points.groupby("series")
    points["cumulative_achieved"] = grouped["achieved_people"].cumsum().where(plan)
    points["cumulative_planned"] = grouped["planned_people"].cumsum().where(plan)


def _scorecard(points: pd.DataFrame, series: pd.DataFrame, plans: dict[str, Plan], icons: pd.Series,
               sign: np.ndarray) -> pd.DataFrame:
    """The latest point of each series, its status, and the forecast from its recent segment."""
    observed = (points["value"].notna() & (points["phase"] == "plan")).to_numpy()
    ids = points["series"].to_numpy()
    index = pd.Index(series["series"])
    last_observed = np.full(len(series), -1)
    np.maximum.at(last_observed, index.get_indexer(ids[observed]), np.flatnonzero(observed))
    latest = points.iloc[last_observed].reset_index(drop=True)  # every series has an observed plan point
    segment = np.cumsum(points["rebase"].to_numpy() | np.r_[True, ids[1:] != ids[:-1]])
    recent = observed & (segment == segment[last_observed][index.get_indexer(ids)])
    group = index.get_indexer(ids[recent])
    x = (points["first_month"].to_numpy()[recent] + points["last_month"].to_numpy()[recent]) / 2
    trend = grouped_trend(group, x, points["value"].to_numpy()[recent], len(series))
    s = series["sign"].to_numpy()
    predicted = forecast(trend, series["target"].to_numpy(), s, latest["value"].to_numpy())
    card = pd.DataFrame({
        "plan_id": series["plan_id"], "title": series["plan_id"].map(lambda p: plans[p].title),
        "indicator_id": series["indicator_id"], "area_code": series["area_code"],
        **{c: latest[c].to_numpy() for c in ("period", "value", "lower", "upper", "trajectory", "gap", "gap_people",
                                             "assurance", "cumulative_achieved", "cumulative_planned")},
        "baseline": series["baseline"], "target": series["target"], "by": month_labels(series["by"]),
        "variation": series["series"].map(icons).to_numpy(),
        "status": board_status(latest["point_type"].to_numpy(), latest["value"].to_numpy(),
                               latest["trajectory"].to_numpy(), s),
        **{c: trend[c].to_numpy() for c in ("slope", "slope_lower", "slope_upper")},
        **{c: predicted[c].to_numpy() for c in predicted.columns},
    })
    return card[SCORECARD_COLUMNS].reset_index(drop=True)


def _benefit(scorecard: pd.DataFrame, plans: dict[str, Plan]) -> pd.DataFrame:
    """Per plan: people benefited so far (all its areas, one indicator and period range) against
    plan, and what its interventions were expected or bought to give."""
    totals = scorecard.groupby("plan_id", sort=False)[["cumulative_achieved", "cumulative_planned"]].sum(min_count=1)
    rows = []
    for plan_id, achieved, planned in totals.itertuples():
        interventions = plans[plan_id].interventions
        bought = [i.effect for i in interventions if i.allocation and i.effect is not None]
        expected = [i.effect for i in interventions if i.effect is not None]
        cost = [i.cost for i in interventions if i.cost is not None]
        rows.append((plan_id, achieved, planned, sum(expected) if expected else np.nan,
                     sum(bought) if bought else np.nan, sum(cost) if cost else np.nan))
    return pd.DataFrame(rows, columns=BENEFIT_COLUMNS)
