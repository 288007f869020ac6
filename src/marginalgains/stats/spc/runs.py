"""Run charts: the median and the runs rules (Anhoej, as qicharts2; IHI shift and trend as options).

A point on the median, or missing, neither breaks nor extends a run. Per segment (qicharts2's
part) with n useful points (off the median): a run longer than round(log2(n)) + 3 (Schilling)
or fewer crossings of the median than qbinom(0.05, n - 1, 0.5) (Chen) signals non-random
variation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _sps

from .._grouped import group_median
from .._validate import as_float
from .charts import chart_layout
from .icons import ICONS, POINT_TYPES, check_improvement, icon_codes, labels, point_type_codes
from .layout import Layout
from .limits import basis, check_fix
from .result import SPCResult
from .rules import run_length, trend_direction

RUN_RULES = ["", "shift", "trend"]


def run_chart(values, improvement=None, rebase=None, groups=None, fix_after_n_points: int | None = None,
              shift_points: int | None = None, trend_points: int | None = None) -> SPCResult:
    """Run chart of ``values`` around each segment's median (of its first ``fix_after_n_points`` points if given).

    ``points``: ``[group,] value, median, point_type, rule``, where ``rule`` is ``shift`` for the
    points of a run too long by Anhoej's rule (or of ``shift_points`` or more, the IHI rule with
    6) and ``trend`` for ``trend_points`` or more rising or falling points (IHI: 5; off by
    default, as Anhoej). ``summary``: ``[group,] points, useful, median, longest_run,
    longest_run_max, crossings, crossings_min, runs_signal, variation`` for each series' latest segment.
    """
    data = as_float(values, "values").ravel()
    check_improvement(improvement)
    for name, points in (("shift_points", shift_points), ("trend_points", trend_points)):
        if points is not None and int(points) < 2:
            raise ValueError(f"{name} must be at least 2, got {points}")
    fix = check_fix(fix_after_n_points)
    grid = chart_layout(data.size, "values", groups, rebase)
    ordered = data[grid.order]
    median = group_median(grid.segment, basis(ordered, grid, fix), grid.segment_count)[grid.segment]
    side = np.sign(ordered - median)
    runs = runs_analysis(side, grid)
    threshold = runs["longest_run_max"] + 1 if shift_points is None else np.full(grid.segment_count, shift_points)
    shift = runs["run"] >= threshold[grid.segment]
    direction = np.where(shift, side, 0).astype(int)
    rule = np.where(shift, 1, 0)
    if trend_points is not None:
        trend = trend_direction(ordered, grid.new_segment(), int(trend_points))
        rule = np.where((direction == 0) & (trend != 0), 2, rule)
        direction = np.where(direction == 0, trend, direction)
    return _result(ordered, median, direction, rule, runs, grid, improvement)


def runs_analysis(side: np.ndarray, grid: Layout) -> dict[str, np.ndarray]:
    """Run length per point (0 off the runs) and, per segment, the Anhoej figures and signal."""
    useful = np.flatnonzero((side != 0) & ~np.isnan(side))
    kept, segment = side[useful], grid.segment[useful]
    breaks = np.r_[True, (kept[1:] != kept[:-1]) | (segment[1:] != segment[:-1])][: useful.size]
    length = run_length(breaks)
    run = np.zeros(side.size, dtype=np.int64)
    run[useful] = length
    count = grid.segment_count
    n = np.bincount(segment, minlength=count)
    longest = np.zeros(count, dtype=np.int64)
    np.maximum.at(longest, segment, length)
    crossings = np.maximum(np.bincount(segment, weights=breaks, minlength=count).astype(np.int64) - 1, 0)
    with np.errstate(divide="ignore"):
        longest_max = np.where(n > 0, np.round(np.log2(np.maximum(n, 1))) + 3, np.nan)
    crossings_min = np.where(n > 0, _sps.binom.ppf(0.05, np.maximum(n - 1, 0), 0.5), np.nan)
    signal = (n > 0) & ((longest > longest_max) | (crossings < crossings_min))
    return {"run": run, "useful": n, "longest_run": np.where(n > 0, longest, np.nan), "longest_run_max": longest_max,
            "crossings": np.where(n > 0, crossings, np.nan), "crossings_min": crossings_min, "runs_signal": signal}


def _result(values, median, direction, rule, runs, grid: Layout, improvement) -> SPCResult:
    point_type = point_type_codes(direction, improvement)
    back = grid.unsort
    points = pd.DataFrame({"value": values, "median": median, "point_type": labels(point_type, POINT_TYPES),
                           "rule": labels(rule, RUN_RULES)}).iloc[back].reset_index(drop=True)
    observed = ~np.isnan(values)
    last, last_seen = grid.last, grid.last_observed(observed)
    icons = np.where(last_seen >= 0, icon_codes(point_type[last_seen], direction[last_seen]), -1)
    latest = grid.segment[last]
    summary = pd.DataFrame({
        "points": np.bincount(grid.series[observed], minlength=grid.series_count),
        "useful": runs["useful"][latest], "median": median[last],
        **{key: runs[key][latest] for key in ("longest_run", "longest_run_max", "crossings", "crossings_min",
                                              "runs_signal")},
        "variation": labels(icons, ICONS),
    })
    if grid.labels is not None:
        points.insert(0, "group", grid.labels[grid.series[back]])
        summary.insert(0, "group", grid.labels)
    return SPCResult(points, summary)
