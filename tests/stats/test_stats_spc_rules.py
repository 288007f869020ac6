"""SPC rules as NHSRplotthedots 0.2.2: priority, trends (peaks), 2 of 3 on one side, shifts, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats import xmr
from marginalgains.stats.spc.rules import run_length, shift_run, trend_direction, two_of_three

from spc_helpers import STABLE, quiet_xmr
from stats_fixtures import plotthedots


def test_beyond_limits_takes_priority_and_improvement_names_the_side():
    result = xmr(STABLE + [30], improvement="decrease")
    assert result.points.point_type.iloc[-1] == "special_cause_concern"
    assert result.points.rule.iloc[-1] == "beyond_limits"
    assert result.variation == "concern_high"
    assert (result.points.point_type.iloc[:-1] == "common_cause").all()


def test_trend_of_seven_flags_the_run_and_six_is_an_option():
    values = [12, 11, 13, 12, 11, 12, 13, 11, 12, 13, 11.0, 11.2, 11.4, 11.6, 11.8, 12.0, 12.2]
    seven = xmr(values, improvement="increase").points
    assert (seven.rule.iloc[-7:] == "trend").all()
    assert seven.point_type.iloc[-7:].eq("special_cause_improvement").all()
    assert (seven.point_type.iloc[:-7] == "common_cause").all()
    shorter = xmr(values[:-1], improvement="increase").points
    assert (shorter.point_type == "common_cause").all()
    six = xmr(values[:-1], improvement="increase", trend_points=6).points
    assert (six.rule.iloc[-6:] == "trend").all()


def test_a_peak_shared_by_a_rising_and_a_falling_trend_takes_the_next_steps_direction():
    rise = [10.0, 10.5, 11.0, 11.5, 12.0, 12.5, 13.0]
    fall = [12.6, 12.2, 11.8, 11.4, 11.0, 10.6]  # with the peak 13.0: seven falling points
    points = xmr(STABLE + rise + fall, improvement="increase").points.iloc[len(STABLE):]
    assert (points.rule == "trend").all()
    types = points.point_type.tolist()
    assert types[:6] == ["special_cause_improvement"] * 6
    assert types[6:] == ["special_cause_concern"] * 7  # the peak (above the mean) joins the falling run


def test_trend_direction_matches_nhsrplotthedots_unit_cases():
    def trend(values):
        values = np.asarray(values, dtype=float)
        return trend_direction(values, np.r_[True, np.zeros(values.size - 1, dtype=bool)], 7).tolist()

    assert trend([1, 2, 3, 4, 5, 6]) == [0] * 6
    assert trend([1, 2, 3, 3, 4, 5, 6]) == [0] * 7  # an equal value breaks the run
    assert trend(list(range(1, 8))) == [1] * 7
    assert trend([2, *range(1, 8), 3]) == [0, 1, 1, 1, 1, 1, 1, 1, 0]
    assert trend([2, *range(7, 0, -1), 3]) == [0, -1, -1, -1, -1, -1, -1, -1, 0]


@pytest.mark.parametrize(
    ("close", "side", "expected"),
    [  # NHSRplotthedots 0.2.2 test-ptd_calculate_point_type.R, ptd_part_of_two_in_three cases
        ([1, 0, 1], [1, 1, 1], [1, 0, 1]),
        ([0, 1, 1], [1, 1, 1], [0, 1, 1]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 0, 1, 0, 0]),
        ([1, 0, 0, 1], [1] * 4, [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [1] * 5, [0, 0, 0, 1, 1]),
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),  # ... and the opposite-sides cases: never two of three
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_of_three_matches_nhsrplotthedots_unit_cases(close, side, expected):
    flagged = two_of_three(np.array(close, dtype=bool), np.array(side, dtype=float), np.zeros(len(close), int))
    assert flagged.astype(int).tolist() == expected


def test_two_of_three_flags_only_the_points_close_to_the_limit_on_one_side():
    values = [10, 11] * 10 + [13, 11, 13]
    points = xmr(values, screen_outliers=False).points
    last = points.iloc[-1]
    assert last.upper_2s < 13 < last.upl and 11 > last["mean"]  # the setup: all three above the mean
    assert points.rule.iloc[-3:].tolist() == ["two_of_three", "", "two_of_three"]
    assert (points.rule.iloc[:-3] == "").all()
    below = xmr(values[:-2] + [10, 13], screen_outliers=False).points
    assert (below.rule.iloc[-3:] == "").all()  # 10 lies below the mean: not 2 of 3 in 0.2.2
    off = xmr(values, screen_outliers=False, two_of_three=None).points
    assert (off.rule.iloc[-3:] == "").all()


def test_two_of_three_on_opposite_sides_is_common_cause_as_nhsrplotthedots():
    case = plotthedots()["two_in_three_opposite_sides"]
    points = quiet_xmr(case["values"], improvement="increase").points
    assert points.point_type.iloc[-2:].tolist() == case["last_two"]


def test_inclusive_two_of_three_counts_points_beyond_the_limit():
    values = [10, 11] * 10 + [13, 16]
    mdc = xmr(values, screen_outliers=False).points
    assert mdc.upper_2s.iloc[0] < 13 < mdc.upl.iloc[0] < 16
    assert mdc.rule.iloc[-2:].tolist() == ["", "beyond_limits"]
    inclusive = xmr(values, screen_outliers=False, two_of_three="inclusive").points
    assert inclusive.rule.iloc[-2:].tolist() == ["two_of_three", "beyond_limits"]


def test_shift_of_seven_on_one_side():
    values = [12, 10] * 5 + [11.5, 11.5, 11.6, 11.4, 11.3, 11.6, 11.7]
    points = xmr(values).points
    assert (points.rule.iloc[-7:] == "shift").all()
    assert (points.point_type.iloc[-7:] == "special_cause_neutral_high").all()
    assert (points.rule.iloc[:-7] == "").all()


def test_shift_run_matches_nhsrplotthedots_unit_cases():
    def shift(side):
        side = np.asarray(side, dtype=float)
        return shift_run(side, np.r_[True, np.zeros(side.size - 1, dtype=bool)], 7).astype(int).tolist()

    assert shift([1] * 6) == [0] * 6
    assert shift([1] * 6 + [-1]) == [0] * 7
    assert shift([1] * 8 + [-1]) == [1] * 8 + [0]
    assert shift([-1] * 8 + [1]) == [1] * 8 + [0]
    assert shift([1] * 3 + [0] + [1] * 4) == [0] * 8  # a point on the mean breaks the run


def test_a_missing_value_breaks_runs_and_is_common_cause():
    values = [12, 10] * 5 + [11.5, 11.5, 11.6, np.nan, 11.4, 11.3, 11.6, 11.7]
    points = xmr(values).points
    assert (points.rule == "").all() and (points.point_type == "common_cause").all()
    rising = [12, 11, 13, 12, 11, 12, 13, 11, 12, 13, 11.0, 11.2, 11.4, np.nan, 11.6, 11.8, 12.0, 12.2]
    assert (xmr(rising).points.rule == "").all()


def test_run_length_counts_each_run():
    assert run_length(np.array([True, False, False, True, True, False])).tolist() == [3, 3, 3, 1, 2, 2]
