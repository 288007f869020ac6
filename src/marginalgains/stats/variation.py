"""Summaries of variation between areas: fold, trimmed fold, percentile ratios, CV, SCV, EB ratio.

All ratios of area values are NaN when the divisor is zero or negative (a fold "from zero" is not
a finite measure of variation): see docs/methods.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._grouped import group_mean, group_sum
from ._validate import as_float, non_negative, same_length

TRIM = 5
"""Areas removed from each end for ``fold_trimmed5``; it needs at least 2 x TRIM + 1 areas."""

COLUMNS = (
    "n", "min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio",
    "cv", "cv_weighted", "scv", "pooled", "eb_ratio",
)


def _ratio(top, bottom):
    """top / bottom where bottom > 0, else NaN."""
    top = np.asarray(top, dtype=float)
    bottom = np.asarray(bottom, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)


def _group_quantiles(codes: np.ndarray, groups: int, values: np.ndarray, levels: list[float]) -> pd.DataFrame:
    """Linear-interpolation (PERCENTILE.INC) quantiles per group code, one column per level."""
    quantiles = pd.Series(values, dtype=float).groupby(codes).quantile(levels)
    return quantiles.unstack().reindex(index=range(groups), columns=levels)


def _trimmed_extremes(codes: np.ndarray, values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (TRIM+1)-th smallest and largest value per group (NaN with fewer than 2 x TRIM + 1 areas)."""
    order = np.lexsort((values, codes))
    sorted_codes, sorted_values = codes[order], values[order]
    first = np.searchsorted(sorted_codes, np.arange(counts.size))
    enough = counts > 2 * TRIM
    low = np.where(enough, sorted_values[np.clip(first + TRIM, 0, values.size - 1)], np.nan)
    high = np.where(enough, sorted_values[np.clip(first + counts - 1 - TRIM, 0, values.size - 1)], np.nan)
    return low, high


def _empirical_bayes(codes, num, den, pooled, groups) -> np.ndarray:
    """Poisson-gamma smoothed area rates (Marshall 1991 method of moments, global prior per group).

    Prior variance = max(0, s^2 - pooled/mean denominator), s^2 the denominator-weighted
    variance of area rates; each rate shrinks towards the pooled rate by a/(a + pooled/n).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        area_rate = num / den
        mean_size = group_mean(codes, den, groups)
        between = _ratio(group_sum(codes, den * (area_rate - pooled[codes]) ** 2, groups), group_sum(codes, den, groups))
        prior = np.clip(between - _ratio(pooled, mean_size), 0, None)[codes]
        shrink = prior / (prior + pooled[codes] / den)
        smoothed = np.where(np.isnan(shrink), pooled[codes], pooled[codes] + shrink * (area_rate - pooled[codes]))
    return np.where(np.isnan(area_rate), np.nan, smoothed)


def _prepare(frame, keys, value, numerator, denominator) -> pd.DataFrame:
    """Keys, value and (optional) rate inputs, with rows lacking a value dropped.

    A numerator or denominator named but not in the frame is an error (a misspelt name would
    otherwise give NaN statistics); None means there is none.
    """
    named = [c for c in (numerator, denominator) if c is not None]
    missing = [c for c in keys + [value] + named if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}")
    data = frame[keys].copy()
    data["_value"] = as_float(frame[value].to_numpy(), value)
    for source, target in ((numerator, "_num"), (denominator, "_den")):
        data[target] = np.nan if source is None else non_negative(as_float(frame[source].to_numpy(), source), source)
    unusable = ~(data["_den"] > 0) | data["_num"].isna()
    data.loc[unusable, ["_num", "_den"]] = np.nan
    return data[data["_value"].notna()]


def variation_table(
    frame: pd.DataFrame,
    by,
    value: str = "value",
    numerator: str | None = "numerator",
    denominator: str | None = "denominator",
) -> pd.DataFrame:
    """One row per group of ``by``: the group keys as columns, then :data:`COLUMNS` (see :func:`variation`).

    Numerator and denominator are optional: with ``None`` for them ``cv_weighted``, ``scv``,
    ``pooled`` and ``eb_ratio`` are NaN; a name not in the frame is an error. Grouped
    numpy/pandas operations, no loop per group.
    """
    keys = [by] if isinstance(by, str) else list(by)
    data = _prepare(frame, keys, value, numerator, denominator)
    grouped = data.groupby(keys, sort=True)
    codes = grouped.ngroup().to_numpy()
    groups = grouped.ngroups
    x, num, den = (data[c].to_numpy() for c in ("_value", "_num", "_den"))
    values = grouped["_value"]
    out = pd.DataFrame({"n": values.count(), "min": values.min(), "max": values.max()})
    counts = out["n"].to_numpy()
    out["fold"] = _ratio(out["max"], out["min"])
    low, high = _trimmed_extremes(codes, x, counts)
    out["fold_trimmed5"] = _ratio(high, low)
    q = _group_quantiles(codes, groups, x, [0.05, 0.25, 0.75, 0.95])
    out["p95_p5"] = _ratio(q[0.95], q[0.05])
    out["iqr_ratio"] = _ratio(q[0.75], q[0.25])
    out["cv"] = _ratio(values.std(ddof=1), values.mean())

    weight = group_sum(codes, den, groups)
    weighted_mean = _ratio(group_sum(codes, den * x, groups), weight)
    weighted_sd = np.sqrt(_ratio(group_sum(codes, den * (x - weighted_mean[codes]) ** 2, groups), weight))
    out["cv_weighted"] = _ratio(weighted_sd, weighted_mean)

    pooled = _ratio(group_sum(codes, num, groups), weight)
    out["pooled"] = pooled
    expected = den * pooled[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(expected > 0, ((num - expected) / expected) ** 2 - 1 / expected, np.nan)
    out["scv"] = 100 * pd.Series(term).groupby(codes).mean().reindex(range(groups)).to_numpy()

    eb = _group_quantiles(codes, groups, _empirical_bayes(codes, num, den, pooled, groups), [0.2, 0.8])
    out["eb_ratio"] = _ratio(eb[0.8], eb[0.2])
    out["n"] = out["n"].astype("int64")
    return out[list(COLUMNS)].reset_index()


def variation(values, numerator=None, denominator=None) -> dict:
    """Variation between areas: a dict of ``n, min, max, fold, fold_trimmed5, p95_p5, iqr_ratio,
    cv, cv_weighted, scv, pooled, eb_ratio``.

    ``values`` are the area indicator values; ``numerator``/``denominator`` (optional) the
    counts behind them, needed for ``cv_weighted`` (weights = denominators), ``scv``,
    ``pooled`` (sum numerator / sum denominator) and ``eb_ratio``.
    """
    data = {"value": as_float(values, "values").ravel()}
    for name, array in (("numerator", numerator), ("denominator", denominator)):
        if array is not None:
            data[name] = as_float(array, name).ravel()
    same_length(**data)
    frame = pd.DataFrame(data).assign(_group=0)
    given = [name if name in data else None for name in ("numerator", "denominator")]
    table = variation_table(frame, "_group", "value", *given)
    if table.empty:
        return {name: (0 if name == "n" else np.nan) for name in COLUMNS}
    row = table.iloc[0]
    return {name: (int(row[name]) if name == "n" else float(row[name])) for name in COLUMNS}
