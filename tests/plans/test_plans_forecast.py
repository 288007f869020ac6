"""Forecasts from the recent segment's trend, worked by hand."""

import numpy as np
import pytest
from scipy import stats as sps

from marginalgains.plans import Plan, track
from marginalgains.plans.forecast import forecast, grouped_trend
from marginalgains.plans.model import month_index
from plans_fixtures import CATALOGUE, plan, series


def test_trend_and_interval_by_hand():
    # y = 1, 3, 2, 5, 4 at x = 0..4: slope 8 / 10 = 0.8, residual SS 3.6, SE sqrt(3.6 / 3 / 10)
    trend = grouped_trend(np.zeros(5, int), np.arange(5.0), np.array([1.0, 3, 2, 5, 4]), 1).iloc[0]
    half = sps.t.ppf(0.975, 3) * np.sqrt(0.12)
    assert trend["slope"] == pytest.approx(0.8)
    assert (trend["slope_lower"], trend["slope_upper"]) == pytest.approx((0.8 - half, 0.8 + half))
    assert trend["fit_last"] == pytest.approx(4.6)


def test_grouped_trends_do_not_mix():
    group = np.array([0, 0, 0, 1, 1, 1])
    trend = grouped_trend(group, np.array([0.0, 1, 2, 0, 1, 2]), np.array([1.0, 2, 3, 9, 7, 5]), 2)
    assert list(trend["slope"]) == pytest.approx([1.0, -2.0])


def test_reach_month_and_its_interval():
    # fitted 4.6 at month index x_last = 100, target 10: 5.4 / 0.8 = 6.75 months -> month 107;
    # faster limit 0.8 + 1.1024 = 1.9024: 2.84 months -> 103; slower limit below zero: no date
    x = month_index("2020-01") + np.arange(5.0)
    trend = grouped_trend(np.zeros(5, int), x, np.array([1.0, 3, 2, 5, 4]), 1)
    got = forecast(trend, np.array([10.0]), np.array([1.0]), np.array([4.0])).iloc[0]
    assert got["forecast_month"] == "2020-12"      # ceil(2020-05 + 6.75) = 2020-12
    assert got["forecast_earliest"] == "2020-08"   # ceil(2020-05 + 2.84)
    assert got["forecast_latest"] is None
    assert got["forecast"] == "reached around 2020-12 at this rate (95% interval 2020-08 to not at the slower rate)"


@pytest.mark.parametrize(("y", "latest", "words"), [
    ([5.0, 4, 3, 2], 2.0, "not at this rate"),          # moving away from a higher target
    ([5.0, 6, 7, 8], 12.0, "target reached"),           # the latest value already meets it
    ([5.0, 6], 6.0, "too few points"),
])
def test_no_date_cases(y, latest, words):
    trend = grouped_trend(np.zeros(len(y), int), np.arange(len(y), dtype=float), np.array(y), 1)
    got = forecast(trend, np.array([10.0]), np.array([1.0]), np.array([latest])).iloc[0]
    assert got["forecast"].startswith(words) and got["forecast_month"] is None


def test_lower_is_better_reaches_downwards():
    trend = grouped_trend(np.zeros(4, int), np.arange(4.0), np.array([20.0, 19, 18, 17]), 1)
    got = forecast(trend, np.array([15.0]), np.array([-1.0]), np.array([17.0])).iloc[0]
    assert got["forecast_month"] == "0000-06"  # x_last 3, (15 - 17) / -1 = 2 months: index 5


def test_forecast_uses_only_the_segment_since_the_latest_rebase():
    # falling before the rebase in 2023-10, then rising 1 point a month from 60: the forecast sees the rise
    after = [60, 61, 62, 63, 64, 65]
    data = series("up", "A", [60] * 12 + [59, 58, 57, 56, 55, 54] + after)
    changes = [{"date": "2023-10", "event": "New pathway", "reason": "funding", "rebase": True}]
    card = track([Plan.from_dict(plan(target=72, changes=changes, fix_after_n_points=3))], data, CATALOGUE)
    row = card.scorecard.iloc[0]
    assert row["slope"] == pytest.approx(1.0) and row["forecast_month"] == "2024-10"  # 65 -> 72 in 7 months from 2024-03
