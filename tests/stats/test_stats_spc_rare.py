"""g and t charts for rare events: qicharts2 figures (Montgomery 7.6, the cabg vignette) and hand-worked limits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import gchart, tchart

from stats_fixtures import qicharts2, with_missing


def quiet(chart, *args, **kwargs):
    """The chart with RuntimeWarnings as errors and the trial-limits warning (short series here) off."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return chart(*args, **kwargs)


def test_tchart_matches_qicharts2_montgomery_7_6():
    case = qicharts2()["montgomery_7_6_t"]
    points = quiet(tchart, case["time_between"]).points
    np.testing.assert_allclose(points["mean"], case["cl"], rtol=1e-12)
    np.testing.assert_allclose(points.upl, case["ucl"], rtol=1e-12)
    assert (points.lpl == case["lcl"]).all()
    assert (points.rule == "").all()


def test_tchart_limits_by_hand():
    gaps = np.array([8.0, 27, 1, 64, 8, 27, 125, 1])
    y = gaps ** (1 / 3.6)
    sigma = np.mean(np.abs(np.diff(y))) / 1.128
    points = quiet(tchart, gaps).points
    assert points["mean"].iloc[0] == pytest.approx(np.mean(y) ** 3.6)
    assert points.upl.iloc[0] == pytest.approx((np.mean(y) + 3 * sigma) ** 3.6)
    assert points.upper_2s.iloc[0] == pytest.approx((np.mean(y) + 2 * sigma) ** 3.6)
    assert points.lpl.iloc[0] == pytest.approx(max(np.mean(y) - 3 * sigma, 0) ** 3.6)


def test_gchart_limits_by_hand_with_a_median_centre():
    gaps = np.array([12.0, 3, 40, 7, 22, 5, 60, 9, 15, 2, 31, 18, 11])
    m = gaps.mean()
    points = gchart(gaps, improvement="increase").points
    assert (points["mean"] == np.median(gaps)).all()  # the centre line, and the runs rules, use the median
    assert points.upl.iloc[0] == pytest.approx(m + 3 * np.sqrt(m * (m + 1)))
    assert points.upper_2s.iloc[0] == pytest.approx(m + 2 * np.sqrt(m * (m + 1)))
    assert (points.lpl == 0).all()


@pytest.mark.parametrize(("chart", "field"), [(gchart, "dd"), (tchart, "dt")])
def test_cabg_deaths_24_and_25_are_unusually_far_apart_as_the_qicharts2_vignette(chart, field):
    case = qicharts2()["cabg_fatalities"]
    points = quiet(chart, with_missing(case[field]), improvement="increase").points
    beyond = np.flatnonzero(points.rule == "beyond_limits") + 1
    assert beyond.tolist() == case["beyond_limits_1based"]
    assert points.point_type.iloc[beyond[0] - 1] == "special_cause_improvement"
    assert points.point_type.iloc[0] == "common_cause" and np.isnan(points.value.iloc[0])


def test_grouped_rare_charts_equal_single_ones():
    rng = np.random.default_rng(11)
    gaps = rng.geometric(0.05, 80).astype(float)
    groups = np.repeat(["a", "b"], 40)
    for chart in (gchart, tchart):
        grouped = chart(gaps, groups=groups, fix_after_n_points=20)
        for name in "ab":
            mine = grouped.points[grouped.points.group == name].drop(columns="group").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, chart(gaps[groups == name], fix_after_n_points=20).points)


def test_bad_gaps_are_refused_by_name():
    with pytest.raises(ValueError, match="time_between must be greater than zero"):
        tchart([3.0, 0.0, 5.0])
    with pytest.raises(ValueError, match="cases_between"):
        gchart([3.0, -1.0])
