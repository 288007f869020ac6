"""Confidence intervals for proportions, counts, rates and means (the PHEindicatormethods methods).

Every function is vectorised over its array arguments; missing inputs (NaN) give missing
outputs, as the reference tools give NA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ._validate import as_float, broadcast, check_confidence, is_scalar, non_negative, unwrap, z_value

BYARS_FROM = 10
"""PHE rule: exact Poisson limits below 10 events, Byars' approximation from 10."""


def _proportion_inputs(numerator, denominator) -> tuple[np.ndarray, np.ndarray]:
    """Checked, aligned numerator and denominator for a proportion (numerator <= denominator)."""
    num = non_negative(as_float(numerator, "numerator"), "numerator")
    den = non_negative(as_float(denominator, "denominator"), "denominator")
    num, den = broadcast(numerator=num, denominator=den)
    if np.any(num > den):
        raise ValueError("numerator must not exceed denominator for a proportion")
    return num, den


def _wilson_arrays(num: np.ndarray, den: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for checked arrays; a zero denominator gives NaN.

    At p = 0 and p = 1 the bound is set to exactly 0 or 1 (the formula's value, without rounding error).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(den > 0, den, np.nan)
        centre = 2 * num + z**2
        spread = z * np.sqrt(z**2 + 4 * num * (1 - num / den))
        scale = 2 * (den + z**2)
        lower = np.where((num == 0) & (den > 0), 0.0, (centre - spread) / scale)
        upper = np.where(num == den, 1.0, (centre + spread) / scale)
    return lower, upper


def wilson(numerator, denominator, confidence: float = 0.95):
    """Wilson score interval ``(lower, upper)`` for numerator/denominator, as proportions of 1.

    Non-integer numerators are accepted (PHE's tests use them); a zero denominator gives NaN.
    """
    num, den = _proportion_inputs(numerator, denominator)
    lower, upper = _wilson_arrays(num, den, z_value(confidence))
    scalar = is_scalar(numerator, denominator)
    return unwrap(lower, scalar), unwrap(upper, scalar)


def _exact_limits(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (chi-square) Poisson limits: qchisq(a/2, 2O)/2 and qchisq(1 - a/2, 2O + 2)/2."""
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(count > 0, _sps.chi2.ppf(alpha / 2, 2 * np.where(count > 0, count, 1)) / 2, 0.0)
        upper = _sps.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    lower = np.where(np.isnan(count), np.nan, lower)
    return lower, upper


def _byars_limits(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Byars' approximation to the Poisson limits.

    The lower limit is NaN where Byars' cube base turns negative (small counts at high
    confidence), as PHEindicatormethods reports NA there, and NaN for a zero count.
    """
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = 1 - 1 / (9 * count) - z / (3 * np.sqrt(count))
        lower = np.where((count > 0) & (base >= 0), count * base**3, np.nan)
        above = count + 1
        upper = above * (1 - 1 / (9 * above) + z / (3 * np.sqrt(above))) ** 3
    return lower, upper


def poisson_limits(count, confidence: float = 0.95, method: str = "auto"):
    """Limits ``(lower, upper)`` of an observed Poisson count.

    ``method``: ``"exact"`` (chi-square), ``"byars"``, or ``"auto"`` (exact below 10 events,
    Byars from 10: the PHE rule).
    """
    obs = non_negative(as_float(count, "count"), "count")
    confidence = check_confidence(confidence)
    if method == "exact":
        lower, upper = _exact_limits(obs, confidence)
    elif method == "byars":
        lower, upper = _byars_limits(obs, confidence)
    elif method == "auto":
        lower, upper = _byars_limits(obs, confidence)
        small = obs < BYARS_FROM
        lower[small], upper[small] = _exact_limits(obs[small], confidence)
    else:
        raise ValueError(f"method must be 'exact', 'byars' or 'auto', got {method!r}")
    scalar = is_scalar(count)
    return unwrap(lower, scalar), unwrap(upper, scalar)


def proportion(numerator, denominator, confidence: float = 0.95, multiplier: float = 1) -> pd.DataFrame:
    """Proportions with Wilson limits: a frame of ``value, lower, upper`` (times ``multiplier``)."""
    num, den = _proportion_inputs(numerator, denominator)
    lower, upper = _wilson_arrays(num, den, z_value(confidence))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return pd.DataFrame({"value": value * multiplier, "lower": lower * multiplier, "upper": upper * multiplier})


def rate(numerator, denominator, multiplier: float = 100000, confidence: float = 0.95) -> pd.DataFrame:
    """Crude rates with Poisson limits (exact below 10 events, Byars from 10): ``value, lower, upper``.

    A numerator above its denominator is allowed for rates; a zero denominator gives NaN.
    """
    num = non_negative(as_float(numerator, "numerator"), "numerator")
    den = non_negative(as_float(denominator, "denominator"), "denominator")
    num, den = broadcast(numerator=num, denominator=den)
    lower, upper = poisson_limits(num, confidence, method="auto")
    scale = multiplier / np.where(den > 0, den, np.nan)
    return pd.DataFrame({"value": num * scale, "lower": lower * scale, "upper": upper * scale})


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean with Student-t limits on n - 1 degrees of freedom: ``(mean, lower, upper)``.

    Any missing value makes all three NaN (as PHE's mean does without na.rm); with one value
    the mean is returned with NaN limits, with none all three are NaN.
    """
    data = as_float(values, "values").ravel()
    check_confidence(confidence)
    if data.size == 0 or np.isnan(data).any():
        return (np.nan, np.nan, np.nan)
    mean = float(data.mean())
    if data.size < 2:
        return (mean, np.nan, np.nan)
    half_width = _sps.t.ppf(0.5 + confidence / 2, data.size - 1) * data.std(ddof=1) / np.sqrt(data.size)
    return (mean, float(mean - half_width), float(mean + half_width))
