"""The value each series should have reached, month by month, and at each of its periods.

- linear: baseline + (target - baseline) x (months since the baseline's last month) / (months
  from it to `by`), the target held after `by`;
- stepped: each step's value over its period's months, held until the next step (the baseline
  before the first);
- monthly: every month from the one after the baseline to `by`, given; the last value held.

A quarter's trajectory is the mean of its three months' values. An explicit trajectory must reach
the target by `by` (at least as good, for the indicator's polarity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from marginalgains.plans.model import Plan, month_index, month_label, period_months
from marginalgains.plans.resolve import Problems

TOLERANCE = 1e-9


@dataclass
class Explicit:
    """Monthly values of the series with an explicit trajectory, packed end to end."""

    values: np.ndarray
    offset: dict[int, int]
    length: dict[int, int]


def explicit_trajectories(series: pd.DataFrame, plans: dict[str, Plan], problems: Problems) -> tuple[pd.DataFrame, Explicit]:
    """Monthly tables of stepped and monthly trajectories, checked; bad plans set aside."""
    chunks, offset, length, at = [], {}, {}, 0
    for row in series[series["plan_id"].map(lambda p: plans[p].trajectory.form != "linear")].itertuples():
        plan = plans[row.plan_id]
        if len(plan.areas.codes) != 1:
            problems.add(plan.id, "trajectory", f"a {plan.trajectory.form} trajectory gives one area's values: "
                         "write one plan per area (or use linear)")
            continue
        months = _explicit_months(plan, row, problems)
        if months is None:
            continue
        reached = months[min(row.by - row.baseline_last, len(months)) - 1]
        if row.sign * (reached - row.target) < -TOLERANCE * max(1.0, abs(row.target)):
            problems.add(plan.id, "trajectory", f"it reaches {reached:.4g} by {plan.by}, short of the target "
                         f"{row.target:.4g}")
            continue
        chunks.append(months)
        offset[row.series], length[row.series] = at, len(months)
        at += len(months)
    kept = series[~series["plan_id"].isin(problems.bad)]
    return kept, Explicit(np.concatenate(chunks) if chunks else np.empty(0), offset, length)


def _explicit_months(plan: Plan, row, problems: Problems) -> np.ndarray | None:
    """Values for each month from the one after the baseline on (through `by` at least)."""
    first = row.baseline_last + 1
    steps = plan.trajectory.steps
    if plan.trajectory.form == "monthly":
        given = {month_index(label): value for label, value in steps.items()}
        missing = [month_label(m) for m in range(first, row.by + 1) if m not in given]
        early = [month_label(m) for m in given if m < first]
        if early:
            problems.add(plan.id, "trajectory.monthly", f"{early[0]} is not after the baseline (ending "
                         f"{month_label(row.baseline_last)})")
            return None
        if missing:
            problems.add(plan.id, "trajectory.monthly", f"months missing: {', '.join(missing[:6])}"
                         + (f" and {len(missing) - 6} more" if len(missing) > 6 else ""))
            return None
        last = max(given)
        return np.array([given[m] for m in range(first, last + 1)], dtype=float)
    spans = sorted((period_months(label), value) for label, value in steps.items())
    starts = np.array([s[0][0] for s in spans])
    if starts[0] < first:
        problems.add(plan.id, "trajectory.stepped", f"a step starts in {month_label(int(starts[0]))}, before the "
                     f"baseline ends ({month_label(row.baseline_last)})")
        return None
    if np.any(np.diff(starts) == 0):
        problems.add(plan.id, "trajectory.stepped", "two steps start in the same month")
        return None
    end = max(row.by, max(s[0][1] for s in spans))
    months = np.arange(first, end + 1)
    step = np.searchsorted(starts, months, side="right") - 1
    values = np.array([s[1] for s in spans], dtype=float)
    return np.where(step >= 0, values[np.clip(step, 0, None)], row.baseline)


def monthly_value(series: pd.DataFrame, explicit: Explicit, position: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Trajectory value at `month` for the series at `position` (rows of `series`)."""
    base = series["baseline"].to_numpy()[position]
    goal = series["target"].to_numpy()[position]
    last = series["baseline_last"].to_numpy()[position]
    span = (series["by"].to_numpy() - series["baseline_last"].to_numpy())[position]
    share = np.clip((month - last) / span, 0.0, 1.0)
    out = base + (goal - base) * share
    if explicit.offset:
        ids = series["series"].to_numpy()[position]
        offsets = pd.Series(explicit.offset).reindex(ids).to_numpy()
        lengths = pd.Series(explicit.length).reindex(ids).to_numpy()
        has = ~np.isnan(offsets)
        step = np.clip(month[has] - last[has] - 1, 0, lengths[has] - 1)
        table = explicit.values[(offsets[has] + step).astype(np.int64)]
        out[has] = np.where(month[has] <= last[has], base[has], table)
    return out


def point_trajectory(points: pd.DataFrame, series: pd.DataFrame, explicit: Explicit) -> np.ndarray:
    """Mean trajectory over each point's months; NaN in the baseline."""
    position = pd.Index(series["series"]).get_indexer(points["series"])
    first, last = points["first_month"].to_numpy(), points["last_month"].to_numpy()
    total = np.zeros(len(points))
    for shift in range(int((last - first).max()) + 1 if len(points) else 0):
        month = first + shift
        total += np.where(month <= last, monthly_value(series, explicit, position, np.minimum(month, last)), 0.0)
    mean = total / (last - first + 1)
    return np.where(points["phase"].to_numpy() == "plan", mean, np.nan)
