"""Charts for rare events, as qicharts2: g (cases between events) and t (time between events).

When events are rare, monthly counts are mostly 0 or 1 and a c or p chart cannot signal; the
gap between consecutive events carries the information instead. A longer gap is fewer events,
so improvement is usually ``"increase"``.
"""

from __future__ import annotations

import numpy as np

from .._grouped import group_mean, group_median
from .._validate import as_float, non_negative
from .charts import chart_layout, chart_options, control_chart
from .limits import D2, Lines, basis, mean_moving_range, sigma_lines
from .result import SPCResult

T_POWER = 3.6
"""t chart transform y^(1/3.6) (Nelson 1994), which makes exponential gaps roughly normal."""


def gchart(cases_between, improvement=None, target=None, rebase=None, trend_points: int = 7, shift_points: int = 7,
           two_of_three="mdc", groups=None, fix_after_n_points: int | None = None) -> SPCResult:
    """g chart of cases (opportunities) between events: geometric limits, median centre line.

    Limits m +/- 3 sqrt(m (m + 1)) around the mean gap m (lower floored at 0); the centre line,
    and so the runs rules, use the median, since gaps are highly skewed (qicharts2 ``chart = "g"``).
    """
    gaps = non_negative(as_float(cases_between, "cases_between"), "cases_between").ravel()
    options = chart_options(improvement, target, trend_points, shift_points, two_of_three, fix_after_n_points)
    grid = chart_layout(gaps.size, "cases_between", groups, rebase)
    ordered = gaps[grid.order]
    fixed = basis(ordered, grid, options.fix_after_n_points)
    mean = group_mean(grid.segment, fixed, grid.segment_count)[grid.segment]
    median = group_median(grid.segment, fixed, grid.segment_count)[grid.segment]
    lines = sigma_lines(mean, np.sqrt(mean * (mean + 1)), (0.0, np.inf))
    return control_chart(ordered, median, lines, grid, options)


def tchart(time_between, improvement=None, target=None, screen_outliers: bool = False, rebase=None,
           trend_points: int = 7, shift_points: int = 7, two_of_three="mdc", groups=None,
           fix_after_n_points: int | None = None) -> SPCResult:
    """t chart of time between events: an individuals chart of y^(1/3.6), back-transformed (qicharts2 ``chart = "t"``).

    sigma = mean moving range / 1.128 of the transformed gaps (unscreened, as qicharts2, unless
    ``screen_outliers``); centre and limits are raised back to the power 3.6, a negative lower
    limit becoming 0. Gaps must be greater than zero.
    """
    gaps = as_float(time_between, "time_between").ravel()
    if np.any(gaps <= 0):
        raise ValueError("time_between must be greater than zero (two events at the same time: use a g chart)")
    options = chart_options(improvement, target, trend_points, shift_points, two_of_three, fix_after_n_points)
    grid = chart_layout(gaps.size, "time_between", groups, rebase)
    ordered = gaps[grid.order]
    fixed = basis(ordered ** (1 / T_POWER), grid, options.fix_after_n_points)
    centre = group_mean(grid.segment, fixed, grid.segment_count)[grid.segment]
    sigma = (mean_moving_range(fixed, grid, screen_outliers) / D2)[grid.segment]
    back = Lines(*(np.maximum(line, 0.0) ** T_POWER for line in sigma_lines(centre, sigma)))
    return control_chart(ordered, centre ** T_POWER, back, grid, options)
