"""The XmR (individuals) chart."""

from __future__ import annotations

from .._validate import as_float
from .charts import chart_layout, chart_options, control_chart
from .limits import sigma_lines, xmr_limits
from .result import SPCResult


def xmr(
    values,
    improvement=None,
    target=None,
    screen_outliers: bool = True,
    rebase=None,
    trend_points: int = 7,
    shift_points: int = 7,
    two_of_three="mdc",
    groups=None,
    fix_after_n_points: int | None = None,
) -> SPCResult:
    """XmR chart with the Making Data Count rules as NHSRplotthedots 0.2.2; see :class:`SPCResult`.

    Limits = mean +/- 2.66 x mean moving range per series and rebased segment, from the
    segment's first ``fix_after_n_points`` points when given; 2-sigma lines at 2/3 of that.
    ``screen_outliers`` drops moving ranges >= 3.267 x their mean before recomputing. Rules in
    priority order: beyond a limit, a trend of ``trend_points`` rising or falling points, 2 of
    3 close to a limit on one side of the mean (``two_of_three="mdc"`` counts points between
    the 2-sigma line and the limit, ``"inclusive"`` also those beyond it, None turns it off),
    ``shift_points`` on one side of the mean. ``groups``: a series id per point (time order
    within each); ``rebase``: positions (or a boolean mask) where a new segment starts.
    ``target``: scalar or one per point (a trajectory), each point's assurance judged against
    its own. A missing value drops the moving ranges next to it and is common cause.
    """
    data = as_float(values, "values").ravel()
    options = chart_options(improvement, target, trend_points, shift_points, two_of_three, fix_after_n_points)
    grid = chart_layout(data.size, "values", groups, rebase)
    ordered = data[grid.order]
    centre, sigma = xmr_limits(ordered, grid, options.fix_after_n_points, screen_outliers)
    return control_chart(ordered, centre, sigma_lines(centre, sigma), grid, options)
