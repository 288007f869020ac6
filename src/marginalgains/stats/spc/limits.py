"""Step 2: centre line and 1-sigma width per point, from each segment's basis points.

The basis of a segment is all its points, or only its first ``fix_after_n_points`` points
(NHSRplotthedots ``fix_after_n_points``: limits fixed from a baseline, then carried forward).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._grouped import group_mean, group_sum
from .layout import Layout

LIMIT_FACTOR = 2.66
"""XmR process limits: mean +/- 2.66 x mean moving range (3 / d2, d2 = 1.128)."""
SCREEN_FACTOR = 3.267
"""Moving ranges at or above 3.267 x the mean moving range are screened out (NHSRplotthedots)."""
D2 = 1.128
"""Bias constant for moving ranges of two (sigma = mean moving range / d2): Laney's sigma_z, the t chart."""


class Lines(NamedTuple):
    """Process limits and 2-sigma lines per point."""

    lpl: np.ndarray
    upl: np.ndarray
    lower_2s: np.ndarray
    upper_2s: np.ndarray


def sigma_lines(centre, sigma, bounds: tuple[float, float] = (-np.inf, np.inf)) -> Lines:
    """centre +/- 3 sigma and +/- 2 sigma, clipped to ``bounds`` (0 for counts, 1 x multiplier for p)."""
    lower, upper = bounds
    with np.errstate(invalid="ignore"):
        return Lines(*(np.clip(centre + k * sigma, lower, upper) for k in (-3, 3, -2, 2)))


def check_fix(fix_after_n_points) -> int | None:
    """Accept None or a whole number of at least 2 points (one moving range)."""
    if fix_after_n_points is None:
        return None
    if isinstance(fix_after_n_points, bool) or int(fix_after_n_points) != fix_after_n_points:
        raise ValueError(f"fix_after_n_points must be a whole number, got {fix_after_n_points!r}")
    if fix_after_n_points < 2:
        raise ValueError(f"fix_after_n_points must be at least 2, got {fix_after_n_points}")
    return int(fix_after_n_points)


def basis(values: np.ndarray, layout: Layout, fix_after_n_points: int | None) -> np.ndarray:
    """``values`` where a point is in its segment's basis, NaN elsewhere."""
    if fix_after_n_points is None:
        return values
    return np.where(layout.position < fix_after_n_points, values, np.nan)


def moving_ranges(values: np.ndarray, layout: Layout) -> np.ndarray:
    """|x_t - x_(t-1)| within a segment: NaN at each segment's first point and next to a missing value."""
    ranges = np.full(values.shape, np.nan)
    ranges[1:] = np.abs(np.diff(values))
    ranges[layout.new_segment()] = np.nan
    return ranges


def mean_moving_range(values: np.ndarray, layout: Layout, screen: bool) -> np.ndarray:
    """Mean moving range per segment, optionally recomputed without ranges >= 3.267 x the mean.

    A segment whose moving ranges are all zero (a constant series) keeps a mean range of 0:
    nothing in it is an outlier, so screening leaves it alone.
    """
    ranges = moving_ranges(values, layout)
    mean_range = group_mean(layout.segment, ranges, layout.segment_count)
    if screen:
        threshold = SCREEN_FACTOR * mean_range[layout.segment]
        with np.errstate(invalid="ignore"):
            kept = np.where((ranges < threshold) | (threshold == 0), ranges, np.nan)
        mean_range = group_mean(layout.segment, kept, layout.segment_count)
    return mean_range


def xmr_limits(values, layout: Layout, fix_after_n_points, screen: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per point: the segment mean and sigma = 2.66 / 3 x mean moving range of the basis points."""
    fixed = basis(values, layout, fix_after_n_points)
    mean = group_mean(layout.segment, fixed, layout.segment_count)
    sigma = LIMIT_FACTOR / 3 * mean_moving_range(fixed, layout, screen)
    return mean[layout.segment], sigma[layout.segment]


def attribute_limits(num, den, kind: str, laney: bool, layout: Layout, fix_after_n_points):
    """Per point: value, pooled centre and sigma for a p (binomial) or u (Poisson) chart.

    A point with a denominator but no numerator keeps its limits (it is only not plotted).
    Laney's p'/u': sigma x sigma_z, sigma_z = mean moving range of the basis z-scores / 1.128.
    """
    usable = ~np.isnan(num) & ~np.isnan(den)
    count = layout.segment_count
    pooled_num = basis(np.where(usable, num, np.nan), layout, fix_after_n_points)
    pooled_den = np.where(np.isnan(pooled_num), np.nan, den)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = group_sum(layout.segment, pooled_num, count) / group_sum(layout.segment, pooled_den, count)
        centre = centre[layout.segment]
        value = num / den
        spread = centre * (1 - centre) if kind == "p" else centre
        sigma = np.sqrt(spread / den)
        if laney:
            z = basis((value - centre) / sigma, layout, fix_after_n_points)
            sigma = sigma * (mean_moving_range(z, layout, screen=False) / D2)[layout.segment]
    return value, centre, sigma

