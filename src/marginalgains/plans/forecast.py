"""When will the target be reached at the current rate? A straight line through the recent segment.

The recent segment is the series' points since its latest rebase (or since the baseline when no
rebase came after it). Its least-squares trend (value per month) has a 95% interval from the
t distribution with n - 2 degrees of freedom; the target is reached where the line through the
segment's latest fitted value, at that rate, meets it. The interval's ends use the slope's
limits: an end whose rate does not move towards the target has no date ("not at the slower
rate"). A point slope that does not move towards the target gives "not at this rate".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from marginalgains.plans.model import month_labels

MIN_POINTS = 3
CONFIDENCE = 0.95


def grouped_trend(group: np.ndarray, x: np.ndarray, y: np.ndarray, size: int) -> pd.DataFrame:
    """Least-squares slope per group with its interval: n, slope, slope_lower, slope_upper, x_last, fit_last."""
    n = np.bincount(group, minlength=size).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.bincount(group, x, size) / n
        y_mean = np.bincount(group, y, size) / n
        dx, dy = x - x_mean[group], y - y_mean[group]
        sxx = np.bincount(group, dx * dx, size)
        slope = np.bincount(group, dx * dy, size) / sxx
        residual = dy - slope[group] * dx
        se = np.sqrt(np.bincount(group, residual * residual, size) / (n - 2) / sxx)
        t = sps.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 2, 1))
    x_last = np.full(size, -np.inf)
    np.maximum.at(x_last, group, x)
    fit_last = y_mean + slope * (x_last - x_mean)
    enough = n >= MIN_POINTS
    return pd.DataFrame({"trend_points": n.astype(int), "slope": np.where(enough, slope, np.nan),
                         "slope_lower": np.where(enough, slope - t * se, np.nan),
                         "slope_upper": np.where(enough, slope + t * se, np.nan),
                         "x_last": x_last, "fit_last": fit_last})


def reach_month(trend: pd.DataFrame, rate: np.ndarray, target: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Month index when the line reaches the target at `rate` (NaN when it never does)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        months = np.maximum((target - trend["fit_last"].to_numpy()) / rate, 0.0)
        month = np.ceil(trend["x_last"].to_numpy() + months)
    return np.where(sign * rate > 0, month, np.nan)


def forecast(trend: pd.DataFrame, target: np.ndarray, sign: np.ndarray, latest: np.ndarray) -> pd.DataFrame:
    """forecast (words), forecast_month, forecast_earliest, forecast_latest (YYYY-MM or None)."""
    faster = np.where(sign > 0, trend["slope_upper"], trend["slope_lower"])
    slower = np.where(sign > 0, trend["slope_lower"], trend["slope_upper"])
    point, early, late = (reach_month(trend, r, target, sign) for r in (trend["slope"].to_numpy(), faster, slower))
    labels = [month_labels(a) for a in (point, early, late)]
    reached = sign * (latest - target) >= 0
    few = trend["trend_points"].to_numpy() < MIN_POINTS
    words = np.where(
        reached, "target reached",
        np.where(few, f"too few points since the last change to forecast (fewer than {MIN_POINTS})",
                 np.where(np.isnan(point), "not at this rate", _sentence(*labels))))
    blank = reached | few
    return pd.DataFrame({"forecast": words,
                         **{name: np.where(blank, None, label) for name, label in
                            zip(("forecast_month", "forecast_earliest", "forecast_latest"), labels)}})


def _sentence(point: np.ndarray, early: np.ndarray, late: np.ndarray) -> np.ndarray:
    late_text = np.where(pd.isna(late), "not at the slower rate", late.astype(str))
    return ("reached around " + point.astype(str) + " at this rate (95% interval " + early.astype(str)
            + " to " + late_text + ")").astype(object)
