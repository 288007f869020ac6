"""Funnel plot limits and the band each area falls in (PHE proportions, Spiegelhalter Poisson).

Plain limits: proportions use the PHE Wilson-based limits; ratios (O/E) and rates use exact
Poisson limits with Spiegelhalter's (2005) interpolation; ratios of counts (O/D) use the
continuity-corrected log scale log((O + 0.5)/(D + 0.5)) at the on-target count O = tD.
Overdispersion-adjusted limits are drawn on FunnelPlotR's transformed scales and transformed back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ._validate import as_float, check_confidence, non_negative, z_value
from .overdispersion import (
    CONTINUITY,
    KINDS,
    area_z_scores,
    dispersion_from_z,
    drops_outer_buckets,
    ratio_of_counts_se,
    relative_values,
    scale_for,
)

LEVELS = (0.95, 0.998)
ADJUSTMENTS = (None, "multiplicative", "additive")


def level_label(confidence: float) -> str:
    """Column suffix for a confidence level: 0.95 -> '95', 0.998 -> '99_8'."""
    return f"{confidence * 100:g}".replace(".", "_")


def _proportion_limits(target: float, size: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """PHE: the p whose Wilson interval at n has the target as a bound, p = t +/- z sqrt(t(1-t)/n), in [0, 1]."""
    half = z * np.sqrt(target * (1 - target) / size)
    return np.clip(target - half, 0, 1), np.clip(target + half, 0, 1)


def _poisson_quantile(probability: float, mean: np.ndarray) -> np.ndarray:
    """Spiegelhalter's interpolated Poisson quantile r - (F(r) - p)/(F(r) - F(r - 1)), r = qpois(p)."""
    r = _sps.poisson.ppf(probability, mean)
    at_r = _sps.poisson.cdf(r, mean)
    below = _sps.poisson.cdf(r - 1, mean)
    return r - (at_r - probability) / (at_r - below)


def _ratio_limits(target: float, expected: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits of O/E around ``target`` at expected count E (the lower one floored at 0)."""
    alpha = 1 - confidence
    mean = target * expected
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.clip(_poisson_quantile(alpha / 2, mean), 0, None) / expected
        return lower, _poisson_quantile(1 - alpha / 2, mean) / expected


def _ratio_of_counts_limits(target, size, z, phi=1.0, tau2=0.0) -> tuple[np.ndarray, np.ndarray]:
    """O/D at size D whose log((O + 0.5)/(D + 0.5)) lies z sqrt(phi s0^2 + tau2) from the target's.

    On the log((O + 0.5)/(D + 0.5)) scale the centre at size D is log((tD + 0.5)/(D + 0.5)) and
    s0 = sqrt(1/(tD + 0.5) + 1/(D + 0.5)), the standard error at the on-target count O = tD.
    Transformed back at that D: O + 0.5 = (tD + 0.5) exp(+/-h), so the limit on the O/D scale is
    ((tD + 0.5) exp(+/-h) - 0.5)/D with h = z sqrt(phi s0^2 + tau2); the lower one floored at 0.
    """
    expected = target * size
    half = z * np.sqrt(phi * ratio_of_counts_se(expected, size) ** 2 + tau2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = ((expected + CONTINUITY) * np.exp(-half) - CONTINUITY) / size
        upper = ((expected + CONTINUITY) * np.exp(half) - CONTINUITY) / size
    return np.clip(lower, 0, None), upper


def _adjusted_limits(scale, target, size, z, phi, tau2) -> tuple[np.ndarray, np.ndarray]:
    """Limits target +/- z sqrt(phi V) or +/- z sqrt(V + tau2) on the transformed scale, transformed back."""
    variance = scale.standard_error(size) ** 2
    half = z * np.sqrt(phi * variance + tau2)
    centre = scale.forward(target)
    return scale.inverse(centre - half), scale.inverse(centre + half)


def limits_at(kind, target, size, confidence, phi=None, tau2=None, method="SHMI"):
    """Lower and upper limits at each size, on the values' own scale (proportion of 1, O/E, O/D)."""
    z = z_value(confidence)
    adjusted = phi is not None or tau2 is not None
    phi = 1.0 if phi is None else float(phi)
    tau2 = 0.0 if tau2 is None else float(tau2)
    if kind == "ratio_of_counts":
        return _ratio_of_counts_limits(target, size, z, phi, tau2)
    if adjusted:
        return _adjusted_limits(scale_for(kind, method), target, size, z, phi, tau2)
    if kind == "proportion":
        return _proportion_limits(target, size, z)
    return _ratio_limits(target, size, confidence)


def funnel_limits(
    kind: str,
    target: float,
    sizes,
    confidence=LEVELS,
    *,
    multiplier: float = 1,
    phi: float | None = None,
    tau2: float | None = None,
    method: str = "SHMI",
) -> pd.DataFrame:
    """Funnel limits for drawing: one row per size with ``size, target, lower_95, upper_95, ...``.

    ``kind``: ``"proportion"`` (target on the plotted scale, e.g. 80.6 with multiplier 100; sizes
    are denominators), ``"ratio"`` (O/E around target, usually 1; sizes are expected counts),
    ``"rate"`` (target rate per ``multiplier``; sizes are populations) or ``"ratio_of_counts"``
    (O/D around the target ratio, e.g. the pooled sum(O)/sum(D), per ``multiplier``; sizes are
    the denominator counts D; limits from the log((O + 0.5)/(D + 0.5)) scale at O = target x D).
    Pass ``phi`` for multiplicatively or ``tau2`` for additively overdispersion-adjusted limits
    (from :func:`overdispersion`); ``method`` picks the ratio scale for them (``"SHMI"`` log,
    ``"CQC"`` square root, squared back to the ratio scale).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "ratio_of_counts" and float(target) < 0:
        raise ValueError(f"target must not be negative for a ratio of counts, got {target}")
    if phi is not None and tau2 is not None:
        raise ValueError("phi and tau2: give one adjustment, not both")
    size = non_negative(as_float(sizes, "sizes"), "sizes")
    size = np.where(size > 0, size, np.nan)
    levels = (confidence,) if np.ndim(confidence) == 0 else tuple(confidence)
    target_plain = float(target) / multiplier
    frame = {"size": size, "target": np.full(size.shape, float(target))}
    for level in levels:
        check_confidence(level)
        if kind == "rate":
            lower, upper = limits_at("ratio", 1.0, size * target_plain, level, phi, tau2, method)
            lower, upper = lower * target_plain, upper * target_plain
        else:
            lower, upper = limits_at(kind, target_plain, size, level, phi, tau2, method)
        frame[f"lower_{level_label(level)}"] = lower * multiplier
        frame[f"upper_{level_label(level)}"] = upper * multiplier
    return pd.DataFrame(frame)


def _band(value, lower95, upper95, lower998, upper998) -> pd.arrays.IntegerArray:
    """2 above the 99.8% limit, 1 above 95% only, 0 within, -1 below 95% only, -2 below 99.8%."""
    band = (
        (value > upper998).astype(np.int8)
        + (value > upper95).astype(np.int8)
        - (value < lower998).astype(np.int8)
        - (value < lower95).astype(np.int8)
    )
    missing = np.isnan(value) | np.isnan(upper95)
    return pd.arrays.IntegerArray(np.where(missing, 0, band).astype(np.int8), missing)


def funnel_band(
    numerator,
    denominator,
    kind: str,
    target: float | None = None,
    overdispersion: str | None = None,
    *,
    method: str = "SHMI",
    trim: float = 0.1,
    phi: float | None = None,
    tau2: float | None = None,
):
    """Which funnel band each area falls in (nullable Int8: 2, 1, 0, -1, -2; NA for missing inputs).

    ``kind="proportion"``: numerator/denominator against the pooled proportion (or ``target``, a
    proportion of 1); ``"ratio"``: denominator is the expected count, target 1; ``"rate"``:
    counts over populations against the pooled rate (or ``target`` per unit of denominator);
    ``"ratio_of_counts"``: O/D of two counts against the pooled sum(O)/sum(D) (or ``target``),
    compared with the limits drawn at size D (the area's own denominator).
    ``overdispersion="multiplicative"`` or ``"additive"`` compares against limits widened by
    phi (never below 1) or tau2 estimated from these same areas (see :func:`overdispersion`).
    Or pass ``phi`` or ``tau2`` already estimated for these areas (used as given, as in
    :func:`funnel_limits`) to compare against limits widened by it without estimating again.
    """
    if overdispersion not in ADJUSTMENTS:
        raise ValueError(f"overdispersion must be one of {ADJUSTMENTS}, got {overdispersion!r}")
    if phi is not None and tau2 is not None:
        raise ValueError("phi and tau2: give one adjustment, not both")
    if overdispersion is not None and (phi is not None or tau2 is not None):
        raise ValueError("give overdispersion (to estimate phi or tau2 here) or phi/tau2 (already estimated), not both")
    ratio_kind = kind if kind in ("proportion", "ratio_of_counts") else "ratio"
    if overdispersion is None:
        value, size, on_scale = relative_values(numerator, denominator, kind, target)
    else:
        value, size, on_scale, z, se = area_z_scores(numerator, denominator, kind, method, target)
        usable = ~np.isnan(z)
        phi_hat, tau2_hat = dispersion_from_z(z[usable], se[usable], trim, drop=drops_outer_buckets(kind, method))
        if overdispersion == "multiplicative":
            phi = max(phi_hat, 1.0)
        else:
            tau2 = tau2_hat
    limits = [limits_at(ratio_kind, on_scale, size, level, phi, tau2, method) for level in LEVELS]
    (lower95, upper95), (lower998, upper998) = limits
    return _band(value, lower95, upper95, lower998, upper998)
