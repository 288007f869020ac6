"""Statistical process control charts (XmR, p, u) with the Making Data Count rules, vectorised.

One call handles any number of series: pass ``groups`` (a series id per point, points in time
order within each series) and every step runs as grouped numpy operations over all points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._grouped import group_mean
from ._validate import as_float, non_negative, same_length

LIMIT_FACTOR = 2.66
"""XmR process limits: mean +/- 2.66 x mean moving range (3 / d2, d2 = 1.128)."""
SCREEN_FACTOR = 3.267
"""Moving ranges at or above 3.267 x the mean moving range are screened out (NHSRplotthedots)."""
D2 = 1.128
"""Bias constant for moving ranges of two, used for Laney's sigma_z."""
MIN_POINTS = 13
"""Fewer points than this give trial limits (warning)."""
TWO_OF_THREE = ("mdc", "inclusive", None)
IMPROVEMENT = ("increase", "decrease", None)
RULES = ["", "beyond_limits", "trend", "two_of_three", "shift"]


@dataclass(frozen=True)
class SPCResult:
    """An SPC chart: ``points`` (one row per input point, input order) and ``summary`` (one row per series).

    ``points``: ``[group,] value, mean, lpl, upl, lower_2s, upper_2s, point_type, rule``.
    ``summary``: ``[group,] points, mean, lpl, upl, variation, assurance, trial_limits``, limits
    from each series' latest segment; ``variation`` is the icon for the latest point.
    """

    points: pd.DataFrame
    summary: pd.DataFrame

    def _single(self, column: str):
        if len(self.summary) != 1:
            raise ValueError(f"{column}: this chart holds {len(self.summary)} series; read summary[{column!r}]")
        return self.summary[column].iloc[0]

    @property
    def variation(self) -> str:
        """Variation icon of a single series (latest point)."""
        return self._single("variation")

    @property
    def assurance(self):
        """Assurance icon of a single series (None without a target or improvement direction)."""
        return self._single("assurance")


@dataclass(frozen=True)
class _Layout:
    """Points sorted by series (stable), with series and segment codes in that order."""

    order: np.ndarray
    series: np.ndarray
    segment: np.ndarray
    labels: np.ndarray | None


def _layout(n: int, groups, rebase) -> _Layout:
    """Sort points by series (keeping time order) and number the rebased segments."""
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
    rebase_in = np.zeros(n, dtype=bool)
    if rebase is not None:
        rebase_array = np.asarray(rebase)
        if rebase_array.dtype == bool:
            same_length(values=rebase_in, rebase=rebase_array)
            rebase_in = rebase_array.copy()
        else:
            positions = rebase_array.astype(np.int64).ravel()
            if np.any((positions < 0) | (positions >= n)):
                raise ValueError(f"rebase positions must lie in 0..{n - 1}")
            rebase_in[positions] = True
    starts = rebase_in[order] | np.r_[True, series[1:] != series[:-1]]
    return _Layout(order, series, np.cumsum(starts) - 1, labels)


def _moving_ranges(values: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """|x_t - x_(t-1)| within a segment; NaN at each segment's first point."""
    ranges = np.full(values.shape, np.nan)
    ranges[1:] = np.abs(np.diff(values))
    ranges[np.r_[True, segment[1:] != segment[:-1]]] = np.nan
    return ranges


def _mean_moving_range(values, segment, count, screen: bool) -> np.ndarray:
    """Mean moving range per segment, optionally recomputed without ranges >= 3.267 x the mean."""
    ranges = _moving_ranges(values, segment)
    mean_range = group_mean(segment, ranges, count)
    if screen:
        with np.errstate(invalid="ignore"):
            kept = np.where(ranges < SCREEN_FACTOR * mean_range[segment], ranges, np.nan)
        mean_range = group_mean(segment, kept, count)
    return mean_range


def _shift(mask: np.ndarray, k: int, segment: np.ndarray) -> np.ndarray:
    """mask moved k places later (k > 0) or earlier (k < 0), False across segment boundaries."""
    out = np.zeros_like(mask)
    if k > 0:
        out[k:] = mask[:-k] & (segment[k:] == segment[:-k])
    else:
        out[:k] = mask[-k:] & (segment[:k] == segment[-k:])
    return out


def _run_length(breaks: np.ndarray) -> np.ndarray:
    """Length of the run each point belongs to, runs starting wherever ``breaks`` is True."""
    run = np.cumsum(breaks) - 1
    return np.bincount(run)[run]


def _trend(values, segment, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Points inside a run of ``points`` or more strictly rising (falling) values."""
    step = np.r_[0.0, np.diff(values)]
    new_segment = np.r_[True, segment[1:] != segment[:-1]]
    rising = _run_length(~(step > 0) | new_segment) >= points
    falling = _run_length(~(step < 0) | new_segment) >= points
    return rising, falling


def _two_of_three(beyond: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Points beyond a 2-sigma line that fall in some 3 consecutive points with 2 or more beyond it."""
    full = np.zeros_like(beyond)
    full[2:] = segment[2:] == segment[:-2]
    count = beyond.astype(int) + _shift(beyond, 1, segment) + _shift(beyond, 2, segment)
    window = full & (count >= 2)
    return beyond & (window | _shift(window, -1, segment) | _shift(window, -2, segment))


def _shift_rule(values, mean, segment, points: int) -> np.ndarray:
    """Points inside a run of ``points`` or more on one side of the mean (points on it break runs)."""
    side = np.sign(values - mean)
    breaks = np.r_[True, (side[1:] != side[:-1]) | (segment[1:] != segment[:-1])]
    return (_run_length(breaks) >= points) & (side != 0)


def _rules(values, mean, lpl, upl, lower_2s, upper_2s, segment, trend_points, shift_points, two_of_three):
    """Direction (+1 high, -1 low, 0 none) and rule code of each point, by rule priority."""
    side = np.sign(values - mean)
    rising, falling = _trend(values, segment, trend_points)
    trend_direction = np.where(rising & falling, side, rising.astype(int) - falling.astype(int))
    high_2s = values > upper_2s
    low_2s = values < lower_2s
    if two_of_three == "mdc":
        high_2s &= ~(values > upl)
        low_2s &= ~(values < lpl)
    two_three_direction = np.zeros(values.shape, dtype=int)
    if two_of_three is not None:
        two_three_direction = _two_of_three(high_2s, segment).astype(int) - _two_of_three(low_2s, segment)
    candidates = [
        (values > upl).astype(int) - (values < lpl),
        trend_direction,
        two_three_direction,
        np.where(_shift_rule(values, mean, segment, shift_points), side, 0),
    ]
    direction = np.zeros(values.shape, dtype=int)
    rule = np.zeros(values.shape, dtype=int)
    for code, candidate in enumerate(candidates, start=1):
        fresh = (direction == 0) & (candidate != 0)
        direction = np.where(fresh, candidate, direction)
        rule = np.where(fresh, code, rule)
    return direction, rule


POINT_TYPES = [
    "common_cause", "special_cause_improvement", "special_cause_concern",
    "special_cause_neutral_high", "special_cause_neutral_low",
]
ICONS = [
    "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
    "neutral_high", "neutral_low",
]


def _point_type_codes(direction: np.ndarray, improvement) -> np.ndarray:
    """Index into POINT_TYPES for each point, from its direction and the improvement direction."""
    if improvement is None:
        high, low = 3, 4
    elif improvement == "increase":
        high, low = 1, 2
    else:
        high, low = 2, 1
    return np.select([direction > 0, direction < 0], [high, low], 0)


def _icon_codes(point_type: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Index into ICONS: the MDC variation icon for a series from its latest point."""
    high = direction > 0
    return np.select(
        [point_type == 1, point_type == 2, point_type == 3, point_type == 4],
        [np.where(high, 1, 2), np.where(high, 3, 4), 5, 6],
        0,
    )


def _labels(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """A categorical of ``names`` from integer codes (-1 = missing)."""
    return pd.Categorical.from_codes(codes, categories=names)


def _assurance(target, lpl, upl, improvement) -> np.ndarray:
    """consistent_pass / consistent_fail / inconsistent from the target against the process limits."""
    if improvement is None:
        return np.full(np.shape(target), None, dtype=object)
    passes, fails = (lpl >= target, upl < target) if improvement == "increase" else (upl <= target, lpl > target)
    out = np.select([passes, fails], ["consistent_pass", "consistent_fail"], "inconsistent").astype(object)
    return np.where(np.isnan(target) | np.isnan(lpl), None, out)


def _check_options(improvement, trend_points, shift_points, two_of_three) -> None:
    if improvement not in IMPROVEMENT:
        raise ValueError(f"improvement must be one of {IMPROVEMENT}, got {improvement!r}")
    if two_of_three not in TWO_OF_THREE:
        raise ValueError(f"two_of_three must be one of {TWO_OF_THREE}, got {two_of_three!r}")
    for name, points in (("trend_points", trend_points), ("shift_points", shift_points)):
        if int(points) < 2:
            raise ValueError(f"{name} must be at least 2, got {points}")


def _chart(values, centre, sigma, layout, options) -> SPCResult:
    """Apply rules and summarise, given sorted values, per-point centre and 1-sigma width."""
    improvement, target, trend_points, shift_points, two_of_three, lower_bound, upper_bound = options
    observed = ~np.isnan(values)
    lpl = np.clip(centre - 3 * sigma, lower_bound, upper_bound)
    upl = np.clip(centre + 3 * sigma, lower_bound, upper_bound)
    lower_2s = np.clip(centre - 2 * sigma, lower_bound, upper_bound)
    upper_2s = np.clip(centre + 2 * sigma, lower_bound, upper_bound)

    seen = layout.segment[observed]
    direction = np.zeros(values.shape, dtype=int)
    rule = np.zeros(values.shape, dtype=int)
    direction[observed], rule[observed] = _rules(
        values[observed], centre[observed], lpl[observed], upl[observed],
        lower_2s[observed], upper_2s[observed], seen, trend_points, shift_points, two_of_three,
    )
    point_type = np.where(observed, _point_type_codes(direction, improvement), -1)

    n = values.size
    unsort = np.empty(n, dtype=np.int64)
    unsort[layout.order] = np.arange(n)
    points = pd.DataFrame(
        {"value": values, "mean": centre, "lpl": lpl, "upl": upl, "lower_2s": lower_2s,
         "upper_2s": upper_2s, "point_type": _labels(point_type, POINT_TYPES),
         "rule": _labels(np.where(observed, rule, -1), RULES)}
    ).iloc[unsort].reset_index(drop=True)

    series_count = int(layout.series.max()) + 1 if n else 0
    last = np.flatnonzero(np.r_[layout.series[1:] != layout.series[:-1], True]) if n else np.array([], int)
    last_seen = _last_observed(observed, layout.series, series_count)
    segment_size = np.bincount(layout.segment[observed], minlength=int(layout.segment.max()) + 1 if n else 0)
    icons = np.where(last_seen >= 0, _icon_codes(point_type[last_seen], direction[last_seen]), -1)
    target_last = target[last]
    summary = pd.DataFrame(
        {
            "points": np.bincount(layout.series[observed], minlength=series_count),
            "mean": centre[last], "lpl": lpl[last], "upl": upl[last],
            "variation": _labels(icons, ICONS),
            "assurance": _assurance(target_last, lpl[last], upl[last], improvement),
            "trial_limits": segment_size[layout.segment[last]] < MIN_POINTS,
        }
    )
    if layout.labels is not None:
        points.insert(0, "group", layout.labels[layout.series[unsort]])
        summary.insert(0, "group", layout.labels)
    trial = int(summary["trial_limits"].sum())
    if trial:
        warnings.warn(
            f"{trial} series have fewer than {MIN_POINTS} points in their latest segment: trial limits",
            UserWarning, stacklevel=3,
        )
    return SPCResult(points, summary)


def _last_observed(observed, series, count) -> np.ndarray:
    """Index of the last observed point of each series (-1 when a series has none)."""
    index = np.where(observed, np.arange(observed.size), -1)
    last = np.full(count, -1)
    np.maximum.at(last, series, index)
    return last


def _target_array(target, n: int, order: np.ndarray) -> np.ndarray:
    """Target per sorted point (scalar broadcast; NaN without one)."""
    if target is None:
        return np.full(n, np.nan)
    array = as_float(target, "target")
    if array.size == 1:
        return np.full(n, array[0])
    same_length(values=np.empty(n), target=array)
    return array[order]


def xmr(
    values,
    improvement=None,
    target=None,
    screen_outliers: bool = True,
    rebase=None,
    trend_points: int = 7,
    shift_points: int = 7,
    two_of_three="mdc",
    groups=None,
) -> SPCResult:
    """XmR (individuals) chart with Making Data Count rules; see :class:`SPCResult`.

    Limits = mean +/- 2.66 x mean moving range per series and rebased segment; 2-sigma lines at
    2/3 of that. ``screen_outliers`` drops moving ranges >= 3.267 x their mean before recomputing.
    Rules in priority order: beyond a limit, a trend of ``trend_points`` rising or falling points,
    2 of 3 beyond a 2-sigma line (``two_of_three="mdc"`` counts points between the 2-sigma line and
    the limit, ``"inclusive"`` also those beyond the limit, None turns it off), ``shift_points``
    on one side of the mean. ``groups``: a series id per point; ``rebase``: positions (or a
    boolean mask) where a new segment starts. ``target``: scalar or one per point (the latest
    point's target is judged). Missing values are skipped and get no point type.
    """
    data = as_float(values, "values").ravel()
    if data.size == 0:
        raise ValueError("values must not be empty")
    _check_options(improvement, trend_points, shift_points, two_of_three)
    layout = _layout(data.size, groups, rebase)
    sorted_values = data[layout.order]
    observed = ~np.isnan(sorted_values)
    segments = int(layout.segment.max()) + 1
    mean = group_mean(layout.segment, sorted_values, segments)
    mean_range = _mean_moving_range(sorted_values[observed], layout.segment[observed], segments, screen_outliers)
    sigma = LIMIT_FACTOR / 3 * mean_range[layout.segment]
    options = (improvement, _target_array(target, data.size, layout.order), trend_points, shift_points,
               two_of_three, -np.inf, np.inf)
    return _chart(sorted_values, mean[layout.segment], sigma, layout, options)


def _attribute_chart(numerator, denominator, kind, laney, multiplier, improvement, target, rebase,
                     trend_points, shift_points, two_of_three, groups) -> SPCResult:
    """p or u chart: centre = pooled per segment, sigma from the binomial or Poisson, Laney optional."""
    num = non_negative(as_float(numerator, "numerator"), "numerator").ravel()
    den = non_negative(as_float(denominator, "denominator"), "denominator").ravel()
    same_length(numerator=num, denominator=den)
    if num.size == 0:
        raise ValueError("numerator must not be empty")
    if kind == "p" and np.any(num > den):
        raise ValueError("numerator must not exceed denominator for a p chart")
    _check_options(improvement, trend_points, shift_points, two_of_three)
    layout = _layout(num.size, groups, rebase)
    num, den = num[layout.order], den[layout.order]
    den = np.where(den > 0, den, np.nan)
    usable = ~np.isnan(num) & ~np.isnan(den)
    num, den = np.where(usable, num, np.nan), np.where(usable, den, np.nan)
    segments = int(layout.segment.max()) + 1
    pooled_num = np.bincount(layout.segment[usable], weights=num[usable], minlength=segments)
    pooled_den = np.bincount(layout.segment[usable], weights=den[usable], minlength=segments)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (pooled_num / pooled_den)[layout.segment]
        value = num / den
        spread = centre * (1 - centre) if kind == "p" else centre
        sigma = np.sqrt(spread / den)
        if laney:
            z = (value - centre) / sigma
            sigma_z = _mean_moving_range(z[usable], layout.segment[usable], segments, screen=False) / D2
            sigma = sigma * sigma_z[layout.segment]
    upper_bound = multiplier if kind == "p" else np.inf
    options = (improvement, _target_array(target, num.size, layout.order), trend_points, shift_points,
               two_of_three, 0.0, upper_bound)
    return _chart(value * multiplier, centre * multiplier, sigma * multiplier, layout, options)


def pchart(numerator, denominator, laney: bool = False, multiplier: float = 1, improvement=None, target=None,
           rebase=None, trend_points: int = 7, shift_points: int = 7, two_of_three="mdc", groups=None) -> SPCResult:
    """p chart of proportions (x ``multiplier``) with 3-sigma binomial limits, or Laney's p' chart.

    Laney p': sigma_i x sigma_z, sigma_z = mean moving range of the z-scores / 1.128, for
    large denominators where the binomial limits are too narrow. Same rules and result as :func:`xmr`.
    """
    return _attribute_chart(numerator, denominator, "p", laney, multiplier, improvement, target, rebase,
                            trend_points, shift_points, two_of_three, groups)


def uchart(numerator, denominator, laney: bool = False, multiplier: float = 1, improvement=None, target=None,
           rebase=None, trend_points: int = 7, shift_points: int = 7, two_of_three="mdc", groups=None) -> SPCResult:
    """u chart of rates (events per unit of denominator x ``multiplier``), Poisson limits, or Laney's u'."""
    return _attribute_chart(numerator, denominator, "u", laney, multiplier, improvement, target, rebase,
                            trend_points, shift_points, two_of_three, groups)
