"""Fingertips-style judgements: comparison with a benchmark, quantile categories, recent trend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import as_float, broadcast, check_confidence, same_length, z_value
from .funnel import level_label
from .spc.layout import layout as spc_layout

POLARITIES = ("high_is_good", "low_is_good", "no_judgement")
TREND_POINTS = 5


def _check_polarity(polarity) -> str:
    polarity = "no_judgement" if polarity is None else polarity
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    return polarity


def compare(value, lower, upper, benchmark, polarity="no_judgement", confidence: float = 0.95) -> pd.Series:
    """Compare each interval with the benchmark, as Fingertips does: does the interval contain it?

    Returns a Series named ``compared_95`` (for the interval's ``confidence``) of ``better`` /
    ``similar`` / ``worse`` (``high_is_good`` or ``low_is_good``), or ``higher`` / ``similar`` /
    ``lower`` (``no_judgement``); ``not_compared`` where any input is missing. An interval that
    touches the benchmark counts as similar.
    """
    polarity = _check_polarity(polarity)
    check_confidence(confidence)
    val, low, high, bench = broadcast(
        value=as_float(value, "value"), lower=as_float(lower, "lower"),
        upper=as_float(upper, "upper"), benchmark=as_float(benchmark, "benchmark"),
    )
    if np.any(low > high):
        raise ValueError("lower must not exceed upper")
    names = {"high_is_good": ("better", "worse"), "low_is_good": ("worse", "better"), "no_judgement": ("higher", "lower")}
    above, below = names[polarity]
    missing = np.isnan(val) | np.isnan(low) | np.isnan(high) | np.isnan(bench)
    result = np.select([missing, low > bench, high < bench], ["not_compared", above, below], "similar")
    return pd.Series(result, name=f"compared_{level_label(confidence)}", dtype=object)


def quantile_category(values, n: int = 5, polarity="no_judgement") -> pd.arrays.IntegerArray:
    """Fingertips quantile category 1..n from PERCENTILE.INC cut points (nullable Int8, NA if missing).

    A value equal to a cut point falls in the lower category. ``no_judgement`` and
    ``low_is_good``: 1 holds the lowest values; ``high_is_good``: 1 holds the highest (1 is
    always the best quantile when there is a polarity).
    """
    polarity = _check_polarity(polarity)
    if int(n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    data = as_float(values, "values").ravel()
    present = ~np.isnan(data)
    category = np.zeros(data.shape, dtype=np.int8)
    if present.any():
        cuts = np.quantile(data[present], np.arange(1, n) / n)
        category = (1 + np.searchsorted(cuts, data, side="left")).astype(np.int8)
        if polarity == "high_is_good":
            category = (n + 1 - category).astype(np.int8)
    return pd.arrays.IntegerArray(np.where(present, category, 0).astype(np.int8), ~present)


def trend(values, lower, upper, confidence: float = 0.999, interval_confidence: float = 0.95, groups=None):
    """Recent trend over the last 5 points: ``increasing``, ``decreasing``, ``no_significant_change``
    or ``cannot_be_calculated`` (fewer than 5 points, a missing one, or a zero-width interval).

    Inverse-variance weighted regression of value on time, standard errors recovered from the
    ``interval_confidence`` limits; significant when |slope/SE| exceeds the two-sided normal
    quantile at ``confidence`` (Fingertips uses 99.9%). With ``groups`` (series id per point, in
    time order within each), returns a Series indexed by group; else a single label.
    """
    val = as_float(values, "values").ravel()
    low = as_float(lower, "lower").ravel()
    high = as_float(upper, "upper").ravel()
    same_length(values=val, lower=low, upper=high)
    layout = spc_layout(val.size, groups, rebase=None)
    codes, labels = layout.series, layout.labels
    val, low, high = val[layout.order], low[layout.order], high[layout.order]
    count = int(codes.max()) + 1 if codes.size else 1
    from_end = pd.Series(codes).groupby(codes).cumcount(ascending=False).to_numpy()
    keep = from_end < TREND_POINTS
    codes, val, time = codes[keep], val[keep], (TREND_POINTS - 1 - from_end[keep]).astype(float)
    se = (high[keep] - low[keep]) / (2 * z_value(interval_confidence))
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = 1 / se**2
    usable = np.isfinite(weight) & ~np.isnan(val)
    points = np.bincount(codes[usable], minlength=count)

    def total(x):
        return np.bincount(codes[usable], weights=x[usable], minlength=count)

    with np.errstate(divide="ignore", invalid="ignore"):
        w_sum = total(weight)
        t_mean = total(weight * time) / w_sum
        y_mean = total(weight * val) / w_sum
        spread = total(weight * (time - t_mean[codes]) ** 2)
        slope = total(weight * (time - t_mean[codes]) * (val - y_mean[codes])) / spread
        z = slope * np.sqrt(spread)
    critical = z_value(confidence)
    label = np.select(
        [points < TREND_POINTS, z > critical, z < -critical],
        ["cannot_be_calculated", "increasing", "decreasing"], "no_significant_change",
    ).astype(object)
    if labels is None:
        return str(label[0])
    return pd.Series(label, index=pd.Index(labels, name="group"), name="trend")
