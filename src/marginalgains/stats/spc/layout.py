"""Step 1: sort points by series (keeping time order) and number the rebased segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import as_float, same_length


@dataclass(frozen=True)
class Layout:
    """Points sorted by series (stable), with series and segment codes in that order.

    ``position`` is each point's place within its segment (0 for the first point, missing
    values counted), which is what ``fix_after_n_points`` counts.
    """

    order: np.ndarray
    series: np.ndarray
    segment: np.ndarray
    position: np.ndarray
    labels: np.ndarray | None

    @property
    def size(self) -> int:
        return self.order.size

    @property
    def series_count(self) -> int:
        return int(self.series[-1]) + 1 if self.size else 0

    @property
    def segment_count(self) -> int:
        return int(self.segment[-1]) + 1 if self.size else 0

    @property
    def unsort(self) -> np.ndarray:
        """Positions that put sorted arrays back into input order."""
        back = np.empty(self.size, dtype=np.int64)
        back[self.order] = np.arange(self.size)
        return back

    @property
    def last(self) -> np.ndarray:
        """Sorted index of each series' last point."""
        return np.flatnonzero(np.r_[self.series[1:] != self.series[:-1], True]) if self.size else self.series

    def last_observed(self, observed: np.ndarray) -> np.ndarray:
        """Sorted index of the last observed point of each series (-1 when a series has none)."""
        last = np.full(self.series_count, -1)
        np.maximum.at(last, self.series, np.where(observed, np.arange(observed.size), -1))
        return last

    def new_segment(self) -> np.ndarray:
        """True at the first point of every segment."""
        return np.r_[True, self.segment[1:] != self.segment[:-1]] if self.size else np.zeros(0, dtype=bool)


def layout(n: int, groups, rebase) -> Layout:
    """Sort ``n`` points by ``groups`` (a series id per point) and start a segment at each ``rebase``.

    ``rebase``: positions, or a boolean mask, of the points where a new segment starts.
    """
    if groups is None:
        series_in, labels = np.zeros(n, dtype=np.int64), None
    else:
        group_array = np.asarray(groups)
        same_length(values=np.empty(n), groups=group_array)
        series_in, labels = pd.factorize(group_array, sort=True)
        if np.any(series_in < 0):
            raise ValueError("groups must not contain missing ids")
    order = np.argsort(series_in, kind="stable")
    series = series_in[order]
    starts = _rebase_mask(n, rebase)[order] | np.r_[True, series[1:] != series[:-1]][:n]
    segment = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    position = np.arange(n) - first[segment] if n else segment
    return Layout(order, series, segment, position, labels)


def _rebase_mask(n: int, rebase) -> np.ndarray:
    """Boolean mask (input order) of the points where a new segment starts."""
    mask = np.zeros(n, dtype=bool)
    if rebase is None:
        return mask
    rebase_array = np.asarray(rebase)
    if rebase_array.dtype == bool:
        same_length(values=mask, rebase=rebase_array)
        return rebase_array.copy()
    positions = rebase_array.astype(np.int64).ravel()
    if np.any((positions < 0) | (positions >= n)):
        raise ValueError(f"rebase positions must lie in 0..{n - 1}")
    mask[positions] = True
    return mask


def per_point(values, name: str, order: np.ndarray) -> np.ndarray:
    """A scalar or one value per point (input order) as a float array in sorted order; NaN for None."""
    n = order.size
    if values is None:
        return np.full(n, np.nan)
    array = as_float(values, name).ravel()
    if array.size == 1:
        return np.full(n, array[0])
    same_length(values=np.empty(n), **{name: array})
    return array[order]
