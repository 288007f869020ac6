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
