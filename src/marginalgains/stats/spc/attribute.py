"""Charts for counts: p (proportions), u (rates) with Laney's p'/u', and c (counts of events)."""

from __future__ import annotations

import numpy as np

from .._validate import as_float, non_negative, same_length
from .charts import chart_layout, chart_options, control_chart
from .limits import attribute_limits, sigma_lines
from .result import SPCResult


def _counts(values, name: str) -> np.ndarray:
    return non_negative(as_float(values, name), name).ravel()


def _attribute_chart(numerator, denominator, kind, laney, multiplier, improvement, target, rebase, trend_points,
                     shift_points, two_of_three, groups, fix_after_n_points, name="numerator") -> SPCResult:
    """p or u chart: centre = pooled per segment (basis points), sigma binomial or Poisson, Laney optional."""
    num = _counts(numerator, name)
    den = _counts(denominator, "denominator")
    same_length(**{name: num}, denominator=den)
    if kind == "p" and np.any(num > den):
        raise ValueError("numerator must not exceed denominator for a p chart")
    options = chart_options(improvement, target, trend_points, shift_points, two_of_three, fix_after_n_points)
    grid = chart_layout(num.size, name, groups, rebase)
    den = den[grid.order]
    value, centre, sigma = attribute_limits(num[grid.order], np.where(den > 0, den, np.nan), kind, laney, grid,
                                            options.fix_after_n_points)
    centre, sigma = centre * multiplier, sigma * multiplier
    lines = sigma_lines(centre, sigma, (0.0, multiplier if kind == "p" else np.inf))
    return control_chart(value * multiplier, centre, lines, grid, options)


def pchart(numerator, denominator, laney: bool = False, multiplier: float = 1, improvement=None, target=None,
           rebase=None, trend_points: int = 7, shift_points: int = 7, two_of_three="mdc", groups=None,
           fix_after_n_points: int | None = None) -> SPCResult:
    """p chart of proportions (x ``multiplier``) with 3-sigma binomial limits, or Laney's p' chart.

    Laney p': sigma_i x sigma_z, sigma_z = mean moving range of the z-scores / 1.128, for
    large denominators where the binomial limits are too narrow. Same rules and result as :func:`xmr`.
    """
    return _attribute_chart(numerator, denominator, "p", laney, multiplier, improvement, target, rebase,
                            trend_points, shift_points, two_of_three, groups, fix_after_n_points)


def uchart(numerator, denominator, laney: bool = False, multiplier: float = 1, improvement=None, target=None,
           rebase=None, trend_points: int = 7, shift_points: int = 7, two_of_three="mdc", groups=None,
           fix_after_n_points: int | None = None) -> SPCResult:
    """u chart of rates (events per unit of denominator x ``multiplier``), Poisson limits, or Laney's u'."""
    return _attribute_chart(numerator, denominator, "u", laney, multiplier, improvement, target, rebase,
                            trend_points, shift_points, two_of_three, groups, fix_after_n_points)


def cchart(counts, improvement=None, target=None, rebase=None, trend_points: int = 7, shift_points: int = 7,
           two_of_three="mdc", groups=None, fix_after_n_points: int | None = None) -> SPCResult:
    """c chart of counts of events in equal opportunities: centre c = mean count, limits c +/- 3 sqrt(c), >= 0."""
    count = _counts(counts, "counts")
    return _attribute_chart(count, np.ones_like(count), "u", False, 1, improvement, target, rebase,
                            trend_points, shift_points, two_of_three, groups, fix_after_n_points, name="counts")
