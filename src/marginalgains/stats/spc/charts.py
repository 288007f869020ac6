"""Step 6: assemble a control chart from sorted values, centre and limit lines: rules, icons, assurance, summary."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assurance import ASSURANCE, assurance_codes
from .icons import ICONS, POINT_TYPES, check_improvement, icon_codes, labels, point_type_codes
from .layout import Layout, layout, per_point
from .limits import Lines, check_fix
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


def control_chart(values, centre, lines: Lines, grid: Layout, options: ChartOptions) -> SPCResult:
    """Apply the rules and summarise, given sorted values, the centre line and the limit lines per point."""
    lpl, upl, lower_2s, upper_2s = lines
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
    last, last_seen = grid.last, grid.last_observed(observed)
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
                      "trial limits", UserWarning, stacklevel=_caller_level())
    return SPCResult(points, summary)


def _caller_level() -> int:
    """warnings stacklevel of the first frame outside this package, so the warning names the caller's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__):
        frame, level = frame.f_back, level + 1
    return level


def _trial(observed: np.ndarray, grid: Layout, fix_after_n_points) -> np.ndarray:
    """Per point: its segment's limits rest on fewer than 13 observed points and are not yet fixed.

    Limits fixed by ``fix_after_n_points`` are final once the segment has that many points
    (the user chose the baseline), however few of them were observed.
    """
    in_basis = observed if fix_after_n_points is None else observed & (grid.position < fix_after_n_points)
    few = np.bincount(grid.segment[in_basis], minlength=grid.segment_count) < MIN_POINTS
    if fix_after_n_points is not None:
        few &= np.bincount(grid.segment, minlength=grid.segment_count) < fix_after_n_points
    return few[grid.segment]
