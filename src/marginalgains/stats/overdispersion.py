"""Overdispersion of indicator values about a funnel target (Spiegelhalter 2005, FunnelPlotR scales).

Each area gets a z-score on a variance-stabilising scale; the spread of those z-scores beyond
what sampling error explains is summarised as a multiplicative factor ``phi`` or an additive
between-area variance ``tau2`` (DerSimonian-Laird, or REML), or for proportions the
beta-binomial intra-area correlation ``rho``. Ratios of two counts use the
continuity-corrected log scale log((O + 0.5)/(D + 0.5)) (FunnelPlotR's "RC" data type).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import betaln

from ._validate import as_float, non_negative, same_length

KINDS = ("proportion", "ratio", "rate", "ratio_of_counts")
RATIO_SCALES = ("SHMI", "CQC")
CONTINUITY = 0.5  # added to both counts of a ratio of counts, so that zero counts have a log


@dataclass(frozen=True)
class Scale:
    """A variance-stabilising transform ``forward`` with its inverse and per-area standard error."""

    forward: object
    inverse: object
    standard_error: object


def _arcsine_inverse(y):
    return np.sin(np.clip(y, 0, np.pi / 2)) ** 2


def _square_inverse(y):
    return np.clip(y, 0, None) ** 2


ARCSINE = Scale(lambda p: np.arcsin(np.sqrt(p)), _arcsine_inverse, lambda n: 1 / (2 * np.sqrt(n)))
LOG = Scale(np.log, np.exp, lambda e: 1 / np.sqrt(e))
SQUARE_ROOT = Scale(np.sqrt, _square_inverse, lambda e: 1 / (2 * np.sqrt(e)))


def scale_for(kind: str, method: str) -> Scale:
    """The transform FunnelPlotR uses: arcsine for proportions, log (SHMI) or sqrt (CQC) for ratios.

    A ratio of counts has no one-argument scale (its transform needs both counts); see
    :func:`ratio_of_counts_z` and ``funnel._ratio_of_counts_limits``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "ratio_of_counts":
        raise ValueError("kind 'ratio_of_counts' has no single-value scale; use ratio_of_counts_z")
    if kind == "proportion":
        return ARCSINE
    if method not in RATIO_SCALES:
        raise ValueError(f"method must be one of {RATIO_SCALES} for kind {kind!r}, got {method!r}")
    return LOG if method == "SHMI" else SQUARE_ROOT


def _counts(numerator, denominator, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays of numerator and denominator for ``kind``."""
    num = non_negative(as_float(numerator, "numerator"), "numerator")
    den = non_negative(as_float(denominator, "denominator"), "denominator")
    same_length(numerator=num, denominator=den)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "proportion" and np.any(num > den):
        raise ValueError("numerator must not exceed denominator for a proportion")
    return num, den


def _relative(num: np.ndarray, den: np.ndarray, kind: str, target):
    usable = ~np.isnan(num) & (den > 0)
    if target is None:
        if kind == "ratio":
            target = 1.0
        else:
            total = den[usable].sum()
            target = num[usable].sum() / total if total > 0 else np.nan
    elif kind == "ratio_of_counts" and float(target) < 0:
        raise ValueError(f"target must not be negative for a ratio of counts, got {target}")
    size = np.where(usable, den, np.nan)
    if kind == "rate":
        size = size * target
        target_on_scale = 1.0
    else:
        target_on_scale = float(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = num / size
    return value, size, target_on_scale


def relative_values(numerator, denominator, kind: str, target=None):
    """Observed values on the scale the funnel compares, their sizes, and the target.

    Proportions: p = numerator/denominator against the pooled proportion, size n = denominator.
    Ratios: O/E (denominator = expected count) against 1. Rates: the count against the expected
    count target x denominator, i.e. a ratio of O to E with size E, against 1. Ratios of counts:
    O/D against the pooled sum(O)/sum(D), size D.
    Rows with a missing or zero denominator come back NaN.
    """
    num, den = _counts(numerator, denominator, kind)
    return _relative(num, den, kind, target)


def ratio_of_counts_se(count, denominator):
    """Standard error of log((O + 0.5)/(D + 0.5)): s = sqrt(1/(O + 0.5) + 1/(D + 0.5))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(1 / (count + CONTINUITY) + 1 / (denominator + CONTINUITY))


def ratio_of_counts_z(count, denominator, target: float) -> tuple[np.ndarray, np.ndarray]:
    """z-scores of ratios of counts and their standard errors.

    z = (log((O + 0.5)/(D + 0.5)) - log((tD + 0.5)/(D + 0.5))) / s = log((O + 0.5)/(tD + 0.5)) / s,
    with s = sqrt(1/(O + 0.5) + 1/(D + 0.5)) from the observed counts. The centre is the same
    transform applied to the on-target count tD, so an area exactly on target scores 0.
    """
    se = ratio_of_counts_se(count, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((count + CONTINUITY) / (target * denominator + CONTINUITY)) / se, se


def area_z_scores(numerator, denominator, kind: str, method: str = "SHMI", target=None):
    """Per-area ``(value, size, target_on_scale, z, se)`` on the kind's transformed scale."""
    num, den = _counts(numerator, denominator, kind)
    value, size, on_scale = _relative(num, den, kind, target)
    if kind == "ratio_of_counts":
        z, se = ratio_of_counts_z(np.where(np.isnan(size), np.nan, num), size, on_scale)
    else:
        z, se = z_scores(value, size, on_scale, scale_for(kind, method))
    return value, size, on_scale, z, se


def drops_outer_buckets(kind: str, method: str) -> bool:
    """SHMI decile-bucket trimming for O/E ratios and rates on the log scale; winsorising otherwise."""
    return kind in ("ratio", "rate") and method == "SHMI"


def z_scores(value, size, target: float, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Per-area z-scores on the transformed scale, and their standard errors."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se = scale.standard_error(size)
        return (scale.forward(value) - scale.forward(target)) / se, se


def _winsorise(z: np.ndarray, trim: float) -> np.ndarray:
    """Clip z-scores at the trim and 1 - trim quantiles (R type 7 / numpy linear)."""
    low, high = np.quantile(z, [trim, 1 - trim])
    return np.clip(z, low, high)


def _drop_outer_buckets(z: np.ndarray, trim: float) -> np.ndarray:
    """SHMI trimming: rank the z-scores, bucket floor(rank x k/(n+1)) with k = 1/trim, drop the end buckets."""
    buckets = round(1 / trim)
    rank = np.empty(z.size)
    rank[np.argsort(z, kind="stable")] = np.arange(1, z.size + 1)
    bucket = np.floor(rank * buckets / (z.size + 1))
    return (bucket > 0) & (bucket < buckets - 1)


TAU2_METHODS = ("DL", "REML")


def dispersion_from_z(z: np.ndarray, se: np.ndarray, trim: float, drop: bool,
                      tau2_method: str = "DL") -> tuple[float, float]:
    """``(phi, tau2)`` from z-scores: phi = mean z^2 after trimming; tau2 by DerSimonian-Laird
    (FunnelPlotR's) or restricted maximum likelihood (``tau2_method="REML"``).

    With fewer than two areas there is no spread between areas to estimate: both are NaN (and
    adjusted limits given a NaN are the plain ones).
    """
    if tau2_method not in TAU2_METHODS:
        raise ValueError(f"tau2_method must be one of {TAU2_METHODS}, got {tau2_method!r}")
    if z.size < 2:
        return (np.nan, np.nan)
    if drop:
        keep = _drop_outer_buckets(z, trim)
        z, se = z[keep], se[keep]
    else:
        z = _winsorise(z, trim)
    n = z.size
    if n < 2:
        return (np.nan, np.nan)
    if not np.all(np.isfinite(z)):
        raise ValueError("numerator: zero counts cannot be put on the log scale; use method='CQC'")
    phi = float(np.mean(z**2))
    if tau2_method == "REML":
        return (phi, reml_tau2(z * se, se**2))
    weight = 1 / se**2
    if n * phi < n - 1:
        return (phi, 0.0)
    tau2 = (n * phi - (n - 1)) / (weight.sum() - (weight**2).sum() / weight.sum())
    return (phi, float(tau2))


def reml_tau2(effects: np.ndarray, variances: np.ndarray, tolerance: float = 1e-10, steps: int = 500) -> float:
    """Between-area variance by restricted maximum likelihood (metafor's ``rma(method="REML")``).

    ``effects`` are the areas' deviations on the transformed scale (z x se), ``variances`` their
    sampling variances; the mean is estimated. Fisher scoring from the DerSimonian-Laird start,
    tau2 = sum w^2((y - mu)^2 - v)/sum w^2 + 1/sum w with w = 1/(v + tau2), kept at 0 or above.
    With fewer than two areas there is no between-area variance to estimate (NaN).
    """
    if effects.size < 2:
        return np.nan
    tau2 = 0.0
    for _ in range(steps):
        weight = 1 / (variances + tau2)
        mean = (weight * effects).sum() / weight.sum()
        updated = max(0.0, float((weight**2 * ((effects - mean) ** 2 - variances)).sum() / (weight**2).sum()
                                 + 1 / weight.sum()))
        if abs(updated - tau2) <= tolerance * max(1.0, tau2):
            return updated
        tau2 = updated
    return tau2


def overdispersion(numerator, denominator, kind: str, method: str = "SHMI", trim: float = 0.1, target=None,
                   tau2_method: str = "DL"):
    """Overdispersion ``(phi, tau2)`` of areas about the funnel target.

    kind ``"proportion"`` (arcsine sqrt scale, winsorised), ``"ratio"`` (denominator = expected
    count; ``method="SHMI"``: log scale with the top and bottom decile buckets dropped;
    ``method="CQC"``: sqrt scale, winsorised), ``"rate"`` (as a ratio of the count to
    target x denominator) or ``"ratio_of_counts"`` (numerator O and denominator D both counts;
    log((O + 0.5)/(D + 0.5)) scale about the pooled sum(O)/sum(D), winsorised; ``method`` is
    not used). ``trim`` is the winsorising/trimming fraction (0.1 = deciles); ``tau2_method``
    ``"DL"`` (DerSimonian-Laird, as FunnelPlotR) or ``"REML"``.
    """
    if not 0 < trim < 0.5:
        raise ValueError(f"trim must lie strictly between 0 and 0.5, got {trim}")
    _, _, _, z, se = area_z_scores(numerator, denominator, kind, method, target)
    usable = ~np.isnan(z)
    return dispersion_from_z(z[usable], se[usable], trim, drops_outer_buckets(kind, method), tau2_method)


def _beta_binomial_loglik(rho: float, num: np.ndarray, den: np.ndarray, mean: float) -> float:
    """Beta-binomial log-likelihood (gamma functions, so fractional counts are allowed) at ``rho``."""
    a, b = mean * (1 - rho) / rho, (1 - mean) * (1 - rho) / rho
    return float((betaln(num + a, den - num + b) - betaln(a, b)).sum())


def beta_binomial_rho(numerator, denominator, target=None) -> float:
    """Intra-area correlation rho of a beta-binomial about the pooled proportion (or ``target``), by
    maximum likelihood: an area's proportion then has variance t(1 - t)(1 + (n - 1) rho)/n.

    0 when the binomial fits as well (no extra variation); NaN with fewer than two usable areas or
    a pooled proportion of 0 or 1.
    """
    num, den = _counts(numerator, denominator, "proportion")
    usable = ~np.isnan(num) & (den > 0)
    num, den = num[usable], den[usable]
    mean = (num.sum() / den.sum() if den.sum() > 0 else np.nan) if target is None else float(target)
    if num.size < 2 or not 0 < mean < 1:
        return np.nan
    binomial = float((num * np.log(mean) + (den - num) * np.log1p(-mean)).sum())  # the limit as rho -> 0
    best = minimize_scalar(lambda rho: -_beta_binomial_loglik(rho, num, den, mean),
                           bounds=(_RHO_FLOOR, 1 - 1e-9), method="bounded", options={"xatol": 1e-12})
    return float(best.x) if -best.fun > binomial + 1e-6 else 0.0


_RHO_FLOOR = 1e-7
"""Below this the gamma functions of a = t(1 - rho)/rho lose the digits the likelihood needs."""
