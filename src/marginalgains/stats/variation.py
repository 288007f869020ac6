"""Summaries of variation between areas: fold, trimmed fold, percentile ratios, CV, SCV, EB ratio.

All ratios of area values are NaN when the divisor is zero or negative (a fold "from zero" is not
a finite measure of variation): see docs/methods.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def _trimmed_extremes(data: pd.DataFrame, keys: list[str], value: str, n: pd.Series) -> pd.DataFrame:
    """The (TRIM+1)-th smallest and largest value per group (NaN with fewer than 2 x TRIM + 1 areas)."""
    ordered = data.sort_values(keys + [value], kind="stable")
    rank = ordered.groupby(keys, sort=False).cumcount().to_numpy()
    size = n.reindex(pd.MultiIndex.from_frame(ordered[keys]) if len(keys) > 1 else ordered[keys[0]]).to_numpy()
    low = ordered[rank == TRIM].set_index(keys)[value]
    high = ordered[size - 1 - rank == TRIM].set_index(keys)[value]
    return pd.DataFrame({"low": low, "high": high}).reindex(n.index)


def _empirical_bayes_ratio(data: pd.DataFrame, keys: list[str], stats: pd.DataFrame) -> pd.Series:
    """80th/20th percentile of Poisson-gamma (Marshall 1991 moment) smoothed rates per group."""
    index = pd.MultiIndex.from_frame(data[keys]) if len(keys) > 1 else pd.Index(data[keys[0]])
    pooled = stats["pooled"].reindex(index).to_numpy()
    mean_size = stats["mean_size"].reindex(index).to_numpy()
    between = stats["between"].reindex(index).to_numpy()
    den = data["_den"].to_numpy()
    area_rate = data["_num"].to_numpy() / den
    prior_variance = np.clip(between - _ratio(pooled, mean_size), 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = prior_variance / (prior_variance + pooled / den)
    smoothed = np.where(np.isnan(shrink), pooled, pooled + shrink * (area_rate - pooled))
    smoothed = pd.Series(np.where(np.isnan(area_rate), np.nan, smoothed), index=index)
    q = smoothed.groupby(level=list(range(len(keys)))).quantile([0.2, 0.8]).unstack()
    return pd.Series(_ratio(q[0.8], q[0.2]), index=q.index).reindex(stats.index)


def _prepare(frame, keys, value, numerator, denominator) -> pd.DataFrame:
    """Keys, value and (optional) rate inputs, with rows lacking a value dropped."""
    missing = [c for c in keys + [value] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}")
    data = frame[keys].copy()
    data[value] = as_float(frame[value].to_numpy(), value)
    for source, target in ((numerator, "_num"), (denominator, "_den")):
        if source is not None and source in frame.columns:
            data[target] = non_negative(as_float(frame[source].to_numpy(), source), source)
        else:
            data[target] = np.nan
    unusable = ~(data["_den"] > 0) | data["_num"].isna()
    data.loc[unusable, ["_num", "_den"]] = np.nan
    return data[data[value].notna()]


def variation_table(
    frame: pd.DataFrame,
    by,
    value: str = "value",
    numerator: str | None = "numerator",
    denominator: str | None = "denominator",
) -> pd.DataFrame:
    """One row per group of ``by`` with the group keys and :data:`COLUMNS` (see :func:`variation`).

    Numerator and denominator columns are optional: without them ``cv_weighted``, ``scv``,
    ``pooled`` and ``eb_ratio`` are NaN. Computed with grouped pandas operations, no loop per group.
    """
    keys = [by] if isinstance(by, str) else list(by)
    data = _prepare(frame, keys, value, numerator, denominator)
    grouped = data.groupby(keys, sort=True)
    values = grouped[value]
    out = pd.DataFrame({"n": values.count(), "min": values.min(), "max": values.max()})
    out["fold"] = _ratio(out["max"], out["min"])
    trimmed = _trimmed_extremes(data, keys, value, out["n"])
    out["fold_trimmed5"] = _ratio(trimmed["high"], trimmed["low"])
    q = values.quantile([0.05, 0.25, 0.75, 0.95]).unstack()
    out["p95_p5"] = _ratio(q[0.95], q[0.05])
    out["iqr_ratio"] = _ratio(q[0.75], q[0.25])
    out["cv"] = _ratio(values.std(ddof=1), values.mean())

    weighted = data.assign(_w=data["_den"], _wx=data["_den"] * data[value]).groupby(keys, sort=True)
    weight_sum = weighted["_w"].sum(min_count=1)
    weighted_mean = _ratio(weighted["_wx"].sum(min_count=1), weight_sum)
    index = pd.MultiIndex.from_frame(data[keys]) if len(keys) > 1 else pd.Index(data[keys[0]])
    centred = data["_den"].to_numpy() * (data[value].to_numpy() - pd.Series(weighted_mean, out.index).reindex(index).to_numpy()) ** 2
    weighted_var = pd.Series(centred, index=index).groupby(level=list(range(len(keys)))).sum(min_count=1)
    out["cv_weighted"] = _ratio(np.sqrt(_ratio(weighted_var.reindex(out.index), weight_sum)), weighted_mean)

    num_sum = grouped["_num"].sum(min_count=1)
    out["pooled"] = _ratio(num_sum, weight_sum)
    pooled_row = out["pooled"].reindex(index).to_numpy()
    expected = data["_den"].to_numpy() * pooled_row
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(expected > 0, ((data["_num"].to_numpy() - expected) / expected) ** 2 - 1 / expected, np.nan)
    out["scv"] = 100 * pd.Series(term, index=index).groupby(level=list(range(len(keys)))).mean().reindex(out.index)

    rates = data["_num"].to_numpy() / data["_den"].to_numpy()
    spread = data["_den"].to_numpy() * (rates - pooled_row) ** 2
    eb_stats = pd.DataFrame(
        {
            "pooled": out["pooled"],
            "mean_size": weight_sum / grouped["_den"].count(),
            "between": _ratio(pd.Series(spread, index=index).groupby(level=list(range(len(keys)))).sum(min_count=1).reindex(out.index), weight_sum),
        }
    )
    out["eb_ratio"] = _empirical_bayes_ratio(data, keys, eb_stats)
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
    table = variation_table(frame, "_group", "value", "numerator", "denominator")
    if table.empty:
        return {name: (0 if name == "n" else np.nan) for name in COLUMNS}
    row = table.iloc[0]
    return {name: (int(row[name]) if name == "n" else float(row[name])) for name in COLUMNS}
