"""Funnel plot limits and the band each area falls in (PHEindicatormethods' funnels).

Plain limits: proportions use the PHE Wilson-based limits; ratios (O/E) and rates PHE's exact
Poisson limits, and their labels PHE's test of each count's own interval; ratios of counts
(O/D) use the continuity-corrected log scale log((O + 0.5)/(D + 0.5)) at the on-target count
O = tD. Overdispersion-adjusted limits are drawn on FunnelPlotR's transformed scales and
transformed back (or, for proportions, with the beta-binomial variance), never inside the plain ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special as _spc

from ._validate import as_float, check_confidence, non_negative, z_value
from .ci import poisson_limits
from .overdispersion import CONTINUITY, KINDS, beta_binomial_rho, ratio_of_counts_se, relative_values, scale_for
from .overdispersion import overdispersion as _overdispersion

LEVELS = (0.95, 0.998)
ADJUSTMENTS = (None, "multiplicative", "additive", "beta_binomial")


def level_label(confidence: float) -> str:
    """Column suffix for a confidence level: 0.95 -> '95', 0.998 -> '99_8'."""
    return f"{confidence * 100:g}".replace(".", "_")


def _proportion_limits(target: float, size: np.ndarray, z: float, rho: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """PHE: the p whose Wilson interval at n has the target as a bound, p = t +/- z sqrt(t(1-t)/n), in [0, 1].

    With a beta-binomial intra-area correlation ``rho`` the variance is t(1 - t)(1 + (n - 1) rho)/n.
    """
    half = z * np.sqrt(target * (1 - target) * (1 + (size - 1) * rho) / size)
    return np.clip(target - half, 0, 1), np.clip(target + half, 0, 1)


def _ratio_limits(target: float, expected: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """PHE's exact Poisson funnel of O/E around ``target`` at expected count E (``calculate_funnel_limits``).

    The upper line is O/E for the count O whose exact lower limit qchisq(a/2, 2O)/2 is tE, the
    lower line the count whose exact upper limit qchisq(1 - a/2, 2O + 2)/2 is tE (floored at 0),
    with O read as continuous: P(O, tE) = a/2 and P(O + 1, tE) = 1 - a/2 in the regularised
    incomplete gamma P, solved for O by ``gdtrib``.
    """
    alpha = 1 - confidence
    mean = target * expected
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = _spc.gdtrib(1.0, alpha / 2, mean)
        lower = np.clip(_spc.gdtrib(1.0, 1 - alpha / 2, mean) - 1, 0, None)
        return lower / expected, upper / expected


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
    with np.errstate(divide="ignore", invalid="ignore"):  # a size of 0 (a target of 0) has no width: the plain limits
        variance = scale.standard_error(size) ** 2
        half = z * np.sqrt(phi * variance + tau2)
        centre = scale.forward(target)
        return scale.inverse(centre - half), scale.inverse(centre + half)


def _plain_limits(kind, target, size, confidence) -> tuple[np.ndarray, np.ndarray]:
    """Limits without an overdispersion allowance: PHE's for proportions, ratios and rates."""
    if kind == "ratio_of_counts":
        return _ratio_of_counts_limits(target, size, z_value(confidence))
    if kind == "proportion":
        return _proportion_limits(target, size, z_value(confidence))
    return _ratio_limits(target, size, confidence)


def limits_at(kind, target, size, confidence, phi=None, tau2=None, method="SHMI", rho=None):
    """Lower and upper limits at each size, on the values' own scale (proportion of 1, O/E, O/D).

    Adjusted limits (``phi``, ``tau2`` or, for proportions, the beta-binomial ``rho``) are never
    inside the plain ones: at a tiny size the transformed scale's limit can be tighter than the
    exact one (at t = 0.2 and n = 2 the arcsine scale's lower 95% limit is 0.052 where PHE's is
    0), and an allowance for extra variation must not make a funnel narrower.
    """
    plain = _plain_limits(kind, target, size, confidence)
    if phi is None and tau2 is None and rho is None:
        return plain
    z = z_value(confidence)
    if rho is not None:
        wide = _proportion_limits(target, size, z, float(rho))
    elif kind == "ratio_of_counts":
        wide = _ratio_of_counts_limits(target, size, z, 1.0 if phi is None else float(phi),
                                       0.0 if tau2 is None else float(tau2))
    else:
        wide = _adjusted_limits(scale_for(kind, method), target, size, z,
                                1.0 if phi is None else float(phi), 0.0 if tau2 is None else float(tau2))
    return np.fmin(wide[0], plain[0]), np.fmax(wide[1], plain[1])


def _one_adjustment(phi, tau2, rho, kind: str) -> None:
    """Refuse two adjustments at once, and a beta-binomial one for anything but a proportion."""
    if sum(x is not None for x in (phi, tau2, rho)) > 1:
        raise ValueError("phi, tau2 and rho: give one adjustment, not several")
    if rho is not None and kind != "proportion":
        raise ValueError(f"rho (beta-binomial) applies to proportions only, not kind {kind!r}")
    if rho is not None and not 0 <= float(rho) <= 1:
        raise ValueError(f"rho must lie between 0 and 1, got {rho}")


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
    rho: float | None = None,
) -> pd.DataFrame:
    """Funnel limits for drawing: one row per size with ``size, target, lower_95, upper_95, ...``.

    ``kind``: ``"proportion"`` (target on the plotted scale, e.g. 80.6 with multiplier 100; sizes
    are denominators), ``"ratio"`` (O/E around target, usually 1; sizes are expected counts),
    ``"rate"`` (target rate per ``multiplier``; sizes are populations) or ``"ratio_of_counts"``
    (O/D around the target ratio, e.g. the pooled sum(O)/sum(D), per ``multiplier``; sizes are
    the denominator counts D; limits from the log((O + 0.5)/(D + 0.5)) scale at O = target x D).
    Pass ``phi`` for multiplicatively or ``tau2`` for additively overdispersion-adjusted limits
    (from :func:`overdispersion`), or ``rho`` (from :func:`beta_binomial_rho`) for beta-binomial
    limits of a proportion; ``method`` picks the ratio scale for phi and tau2 (``"SHMI"`` log,
    ``"CQC"`` square root, squared back to the ratio scale). Adjusted limits never lie inside
    the plain ones.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "ratio_of_counts" and float(target) < 0:
        raise ValueError(f"target must not be negative for a ratio of counts, got {target}")
    _one_adjustment(phi, tau2, rho, kind)
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
            lower, upper = limits_at(kind, target_plain, size, level, phi, tau2, method, rho)
        frame[f"lower_{level_label(level)}"] = lower * multiplier
        frame[f"upper_{level_label(level)}"] = upper * multiplier
    return pd.DataFrame(frame)


def _band(high998, high95, low95, low998, missing) -> pd.arrays.IntegerArray:
    """2 beyond the upper 99.8% limit, 1 beyond 95% only, 0 within, -1 below 95% only, -2 below 99.8%."""
    band = (high998.astype(np.int8) + high95.astype(np.int8) - low998.astype(np.int8) - low95.astype(np.int8))
    return pd.arrays.IntegerArray(np.where(missing, 0, band).astype(np.int8), missing)


def _band_against_limits(value, limits) -> pd.arrays.IntegerArray:
    """The band of each value against ``[(lower95, upper95), (lower998, upper998)]``."""
    (lower95, upper95), (lower998, upper998) = limits
    return _band(value > upper998, value > upper95, value < lower95, value < lower998,
                 np.isnan(value) | np.isnan(upper95))


def _poisson_significance(count, expected) -> pd.arrays.IntegerArray:
    """PHE's ``assign_funnel_significance`` for ratios and rates: the count's own Poisson interval
    (exact below 10 events, Byars from 10) against the count expected on target.

    High when its lower limit exceeds the expected count, low when its upper limit falls short.
    """
    with np.errstate(invalid="ignore"):
        count = np.where(np.isnan(expected), np.nan, count)
        (lower95, upper95), (lower998, upper998) = (poisson_limits(count, level) for level in LEVELS)
        return _band(lower998 > expected, lower95 > expected, upper95 < expected, upper998 < expected,
                     np.isnan(count) | np.isnan(expected))


def _no_further_than(adjusted: pd.arrays.IntegerArray, plain: pd.arrays.IntegerArray) -> pd.arrays.IntegerArray:
    """An area within the plain limits is within the adjusted ones: the adjusted band is the plain
    band where it would reach further (PHE's labels use Byars' limits from 10 events, the drawn
    lines exact ones) or where the adjusted limits are undefined (a target of 0 has no width)."""
    further = np.asarray(adjusted.isna()) | (np.abs(adjusted.fillna(0).to_numpy(np.int8))
                                              > np.abs(plain.fillna(0).to_numpy(np.int8)))
    return pd.arrays.IntegerArray(np.where(further, plain.fillna(0).to_numpy(np.int8),
                                           adjusted.fillna(0).to_numpy(np.int8)).astype(np.int8),
                                  np.asarray(plain.isna()))


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
    rho: float | None = None,
    tau2_method: str = "DL",
):
    """Which funnel band each area falls in (nullable Int8: 2, 1, 0, -1, -2; NA for missing inputs).

    ``kind="proportion"``: numerator/denominator against the pooled proportion (or ``target``, a
    proportion of 1); ``"ratio"``: denominator is the expected count, target 1; ``"rate"``:
    counts over populations against the pooled rate (or ``target`` per unit of denominator);
    ``"ratio_of_counts"``: O/D of two counts against the pooled sum(O)/sum(D) (or ``target``),
    compared with the limits drawn at size D (the area's own denominator).
    Plain bands are PHE's labels (``assign_funnel_significance``): proportions against the
    Wilson-based limits, ratios and rates by the count's own Poisson interval.
    ``overdispersion="multiplicative"``, ``"additive"`` or ``"beta_binomial"`` (proportions)
    compares against limits widened by phi (never below 1), tau2 (``tau2_method`` ``"DL"`` or
    ``"REML"``) or rho estimated from these same areas (see :func:`overdispersion`,
    :func:`beta_binomial_rho`). Or pass ``phi``, ``tau2`` or ``rho`` already estimated for these
    areas (used as given, as in :func:`funnel_limits`). An area is never further out against
    the adjusted limits than against the plain ones.
    """
    if overdispersion not in ADJUSTMENTS:
        raise ValueError(f"overdispersion must be one of {ADJUSTMENTS}, got {overdispersion!r}")
    if overdispersion is not None and (phi is not None or tau2 is not None or rho is not None):
        raise ValueError("give overdispersion (to estimate it here) or phi/tau2/rho (already estimated), not both")
    _one_adjustment(phi, tau2, rho, kind)
    if overdispersion == "beta_binomial":
        if kind != "proportion":
            raise ValueError(f"overdispersion 'beta_binomial' applies to proportions only, not kind {kind!r}")
        rho = beta_binomial_rho(numerator, denominator, target)
    elif overdispersion is not None:
        phi_hat, tau2_hat = _overdispersion(numerator, denominator, kind, method, trim, target, tau2_method)
        if overdispersion == "multiplicative":
            phi = max(phi_hat, 1.0)
        else:
            tau2 = tau2_hat
    value, size, on_scale = relative_values(numerator, denominator, kind, target)
    ratio_kind = kind if kind in ("proportion", "ratio_of_counts") else "ratio"
    if ratio_kind == "ratio":
        plain = _poisson_significance(as_float(numerator, "numerator"), size * on_scale)
    else:
        plain = _band_against_limits(value, [_plain_limits(ratio_kind, on_scale, size, level) for level in LEVELS])
    if phi is None and tau2 is None and rho is None:
        return plain
    limits = [limits_at(ratio_kind, on_scale, size, level, phi, tau2, method, rho) for level in LEVELS]
    return _no_further_than(_band_against_limits(value, limits), plain)
