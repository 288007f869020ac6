"""Step 6: assemble a control chart from sorted values, centre and sigma: limits, rules, icons, assurance."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assurance import ASSURANCE, assurance_codes
from .icons import ICONS, POINT_TYPES, check_improvement, icon_codes, labels, point_type_codes
from .layout import Layout, layout, per_point
from .limits import check_fix
from .result import SPCResult
from .rules import RULES, apply_rules, check_rule_options

MIN_POINTS = 13
"""Limits resting on fewer points than this are trial limits (warning)."""


@dataclass(frozen=True)
class ChartOptions:
    """What every control chart takes besides its data (checked by :func:`chart_options`)."""

    improvement: str | None
    target: object
    trend_points: int
    shift_points: int
    two_of_three: str | None
    fix_after_n_points: int | None


def chart_options(improvement, target, trend_points, shift_points, two_of_three, fix_after_n_points) -> ChartOptions:
    """Check the shared options, naming any that is wrong."""
    check_improvement(improvement)
    check_rule_options(trend_points, shift_points, two_of_three)
    return ChartOptions(improvement, target, int(trend_points), int(shift_points), two_of_three,
                        check_fix(fix_after_n_points))


def chart_layout(n: int, name: str, groups, rebase) -> Layout:
    """The sorted layout of ``n`` points, refusing empty input by the argument's name."""
    if n == 0:
        raise ValueError(f"{name} must not be empty")
    return layout(n, groups, rebase)


def control_chart(values, centre, sigma, grid: Layout, options: ChartOptions,
                  bounds: tuple[float, float] = (-np.inf, np.inf)) -> SPCResult:
    """Apply the rules and summarise, given sorted values, per-point centre and 1-sigma width.

    Limits are centre +/- 3 sigma and the 2-sigma lines centre +/- 2 sigma, clipped to ``bounds``.
    """
    lower, upper = bounds
    with np.errstate(invalid="ignore"):
        lpl, upl = np.clip(centre - 3 * sigma, lower, upper), np.clip(centre + 3 * sigma, lower, upper)
        lower_2s, upper_2s = np.clip(centre - 2 * sigma, lower, upper), np.clip(centre + 2 * sigma, lower, upper)
    direction, rule = apply_rules(values, centre, lpl, upl, lower_2s, upper_2s, grid,
                                  options.trend_points, options.shift_points, options.two_of_three)
    point_type = point_type_codes(direction, options.improvement)
    target = per_point(options.target, "target", grid.order)
    assurance = assurance_codes(target, lpl, upl, options.improvement)
    back = grid.unsort
    points = pd.DataFrame(
        {"value": values, "mean": centre, "lpl": lpl, "upl": upl, "lower_2s": lower_2s, "upper_2s": upper_2s,
         "point_type": labels(point_type, POINT_TYPES), "rule": labels(rule, RULES),
         "assurance": labels(assurance, ASSURANCE)}
    ).iloc[back].reset_index(drop=True)

    observed = ~np.isnan(values)
    last, last_seen = grid.last, _last_observed(observed, grid)
    icons = np.where(last_seen >= 0, icon_codes(point_type[last_seen], direction[last_seen]), -1)
    summary = pd.DataFrame(
        {
            "points": np.bincount(grid.series[observed], minlength=grid.series_count),
            "mean": centre[last], "lpl": lpl[last], "upl": upl[last],
            "variation": labels(icons, ICONS),
            "assurance": np.array([None, *ASSURANCE], dtype=object)[assurance[last] + 1],
            "trial_limits": _trial(observed, grid, options.fix_after_n_points)[last],
        }
    )
    if grid.labels is not None:
        points.insert(0, "group", grid.labels[grid.series[back]])
        summary.insert(0, "group", grid.labels)
    trial = int(summary["trial_limits"].sum())
    if trial:
        warnings.warn(f"{trial} series have limits from fewer than {MIN_POINTS} points in their latest segment: "
                      "trial limits", UserWarning, stacklevel=3)
    return SPCResult(points, summary)


def _trial(observed: np.ndarray, grid: Layout, fix_after_n_points) -> np.ndarray:
    """Per point: its segment's limits rest on fewer than 13 points and more data would still move them."""
    in_basis = observed if fix_after_n_points is None else observed & (grid.position < fix_after_n_points)
    basis_size = np.bincount(grid.segment[in_basis], minlength=grid.segment_count)
    needed = MIN_POINTS if fix_after_n_points is None else min(MIN_POINTS, fix_after_n_points)
    return (basis_size < needed)[grid.segment]


def _last_observed(observed: np.ndarray, grid: Layout) -> np.ndarray:
    """Sorted index of the last observed point of each series (-1 when a series has none)."""
    index = np.where(observed, np.arange(observed.size), -1)
    last = np.full(grid.series_count, -1)
    np.maximum.at(last, grid.series, index)
    return last
