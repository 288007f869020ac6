"""Assurance against the trajectory (NHSRplotthedots 0.2.2) and the board status rule."""

import numpy as np
import pytest

from marginalgains.plans import Plan, track
from marginalgains.plans.status import board_status
from plans_fixtures import CATALOGUE, plan, series


def ptd_assurance(target: float, lpl: float, upl: float, increasing: bool) -> str:
    """NHSRplotthedots 0.2.2, R/ptd_calculate_assurance_type.R (its case_when, transcribed)."""
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


def test_assurance_is_judged_point_by_point_against_the_trajectory():
    # a rising trajectory crosses the limits: each point is judged against its own value, for
    # either polarity
    result = track([Plan.from_dict(plan(target=90))], series("up", "A", [60, 62] * 6 + [61] * 12), CATALOGUE)
    points = result.points[result.points["phase"] == "plan"]
    expected = [ptd_assurance(t, lo, hi, True) for t, lo, hi in zip(points["trajectory"], points["lpl"], points["upl"])]
    assert list(points["assurance"]) == expected
    assert {"inconsistent", "consistent_fail"} <= set(expected)  # the trajectory leaves the limits


@pytest.mark.parametrize(("point_type", "value", "trajectory", "sign", "status"), [
    ("special_cause_concern", 70, 60, 1, "deteriorating"),
    ("special_cause_improvement", 70, 68, 1, "improving, on trajectory"),
    ("special_cause_improvement", 68, 68, 1, "improving, on trajectory"),
    ("special_cause_improvement", 66, 68, 1, "improving, behind trajectory"),
    ("special_cause_improvement", 12, 15, -1, "improving, on trajectory"),    # lower is better: below the line
    ("special_cause_improvement", 16, 15, -1, "improving, behind trajectory"),
    ("common_cause", 80, 60, 1, "no significant change"),
    ("special_cause_neutral_high", 80, 60, 1, "no significant change"),
])
def test_status_rule(point_type, value, trajectory, sign, status):
    got = board_status(np.array([point_type]), np.array([value], float), np.array([trajectory], float),
                       np.array([sign], float))
    assert got[0] == status


def test_a_special_cause_improvement_on_its_trajectory_end_to_end():
    # baseline 2022/23 alternating 59/61 (mean 60); after it, 7+ points above the mean at 66..72
    data = series("up", "A", [59, 61] * 6 + [66, 67, 68, 69, 70, 71, 72, 72])
    card = track([Plan.from_dict(plan(target=72))], data, CATALOGUE).scorecard.iloc[0]
    assert card["variation"] == "improvement_high" and card["status"] == "improving, on trajectory"
    assert card["trajectory"] == pytest.approx(68)  # 8 months of 12 from 60 to 72


def test_assurance_against_a_falling_trajectory():
    result = track([Plan.from_dict(plan(indicator_id="down", target=40))],
                   series("down", "A", [60, 62] * 6 + [61] * 12), CATALOGUE)
    points = result.points[result.points["phase"] == "plan"]
    expected = [ptd_assurance(t, lo, hi, False) for t, lo, hi in zip(points["trajectory"], points["lpl"], points["upl"])]
    assert list(points["assurance"]) == expected and "consistent_fail" in expected  # the line drops below the limits
