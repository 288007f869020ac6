"""Sums and means per group code (0..count-1) by bincount, ignoring missing values."""

from __future__ import annotations

import numpy as np


def group_sum(codes: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Sum of the non-missing values per group; NaN for a group with none."""
    present = ~np.isnan(values)
    total = np.bincount(codes[present], weights=values[present], minlength=count)
    return np.where(np.bincount(codes[present], minlength=count) > 0, total, np.nan)


def group_mean(codes: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Mean of the non-missing values per group; NaN for a group with none."""
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return group_sum(codes, values, count) / np.bincount(codes[present], minlength=count)


def group_median(codes: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Median of the non-missing values per group (codes 0..count-1); NaN for a group with none."""
    order = np.lexsort((values, codes))  # by group, then value, NaN last within each group
    ordered = values[order]
    present = np.bincount(codes[~np.isnan(values)], minlength=count)
    start = np.r_[0, np.cumsum(np.bincount(codes, minlength=count))[:-1]]
    low, high = start + (present - 1) // 2, start + present // 2
    safe = present > 0
    median = np.full(count, np.nan)
    median[safe] = (ordered[low[safe]] + ordered[high[safe]]) / 2
    return median
