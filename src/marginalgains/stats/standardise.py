"""Directly and indirectly standardised figures for one area's age (or other) bands (PHE methods)."""

from __future__ import annotations

import numpy as np

from ._validate import as_float, check_confidence, non_negative, same_length
from .ci import BYARS_FROM, poisson_limits


def _bands(**arrays) -> list[np.ndarray]:
    """Checked, equal-length, non-negative band arrays."""
    checked = {name: non_negative(as_float(values, name).ravel(), name) for name, values in arrays.items()}
    if same_length(**checked) == 0:
        raise ValueError(f"{next(iter(checked))} must not be empty")
    return list(checked.values())


def dsr(count, population, standard_population, multiplier: float = 100000, confidence: float = 0.95):
    """Directly standardised rate ``(value, lower, upper)`` per ``multiplier`` for one area.

    Dobson's method: value = sum(w x count/pop)/sum(w); limits = value + sqrt(var/O) x
    (Byars limit of O - O), var = sum(w^2 count/pop^2)/sum(w)^2, O the total count. All NaN when
    O is below 10 (PHE suppresses them) or any input is missing; a zero population gives NaN.
    """
    counts, pops, weights = _bands(count=count, population=population, standard_population=standard_population)
    check_confidence(confidence)
    total = counts.sum()
    if np.isnan(total + pops.sum() + weights.sum()) or total < BYARS_FROM or np.any(pops == 0):
        return (np.nan, np.nan, np.nan)
    value = np.sum(weights * counts / pops) / weights.sum()
    variance = np.sum(weights**2 * counts / pops**2) / weights.sum() ** 2
    byars_lower, byars_upper = poisson_limits(total, confidence, method="byars")
    scale = np.sqrt(variance / total)
    return (
        float(value * multiplier),
        float((value + scale * (byars_lower - total)) * multiplier),
        float((value + scale * (byars_upper - total)) * multiplier),
    )


def isr(count, population, ref_count, ref_population, confidence: float = 0.95):
    """Indirectly standardised ratio ``(observed, expected, ratio, lower, upper)`` for one area.

    expected = sum(population x ref_count/ref_population); ratio = O/E; limits =
    poisson_limits(O, auto)/E (exact below 10 events, Byars from 10). A zero reference
    population gives NaN.
    """
    counts, pops, ref_counts, ref_pops = _bands(
        count=count, population=population, ref_count=ref_count, ref_population=ref_population
    )
    observed = counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.sum(pops * ref_counts / np.where(ref_pops > 0, ref_pops, np.nan))
    lower, upper = poisson_limits(observed, confidence, method="auto")
    if not expected > 0:
        return (float(observed), float(expected), np.nan, np.nan, np.nan)
    return (float(observed), float(expected), float(observed / expected), float(lower / expected), float(upper / expected))
