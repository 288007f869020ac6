"""Tracking end to end: gaps, people benefited, rebased limits, and bad plans set aside by name."""

import numpy as np
import pytest

from marginalgains.plans import Plan, track
from marginalgains.plans.model import Intervention
from plans_fixtures import CATALOGUE, plan, series, values

DATA = series("up", "A", [60] * 12 + [62, 65, 58])  # baseline 60 per 100; then three months


def tracked(data=DATA, **fields):
    result = track([Plan.from_dict(plan(**fields))], data, CATALOGUE)
    assert not result.errors, result.errors
    return result


def test_gap_in_units_and_people_against_the_trajectory():
    # trajectory 61, 62, 63 (60 -> 72 over 12 months); values 62, 65, 58
    points = tracked(target=72).points.set_index("period")
    assert list(points.loc[["2023-04", "2023-05", "2023-06"], "trajectory"]) == pytest.approx([61, 62, 63])
    assert list(points.loc[["2023-04", "2023-05", "2023-06"], "gap"]) == pytest.approx([-1, -3, 5])
    # improve's gain against the trajectory: max(0, 63 - 58) x 100 / 100 people, none when ahead
    assert list(points.loc[["2023-04", "2023-05", "2023-06"], "gap_people"]) == pytest.approx([0, 0, 5])
    june = points.loc["2023-06"]
    assert june["gap_people_lower"] < 5 < june["gap_people_upper"]


def test_people_benefited_achieved_against_planned():
    # achieved against the baseline: (62-60) + (65-60) + (58-60) = 5 people; planned 1 + 2 + 3 = 6
    result = tracked(target=72, interventions=[{"allocation": "INT-1", "cost": 1000, "effect": 4},
                                               {"text": "Coaching", "effect": 3}])
    points = result.points.set_index("period")
    assert list(points.loc[["2023-04", "2023-05", "2023-06"], "cumulative_achieved"]) == pytest.approx([2, 7, 5])
    assert list(points.loc[["2023-04", "2023-05", "2023-06"], "cumulative_planned"]) == pytest.approx([1, 3, 6])
    benefit = result.benefit.iloc[0]
    assert (benefit["achieved_people"], benefit["planned_people"]) == pytest.approx((5, 6))
    assert (benefit["bought_people"], benefit["expected_people"], benefit["cost"]) == (4, 7, 1000)


def test_lower_is_better_counts_falls_as_benefit():
    data = series("down", "A", [20] * 12 + [19, 17])
    points = tracked(data, indicator_id="down", target="-10%").points.set_index("period")
    assert points.loc["2023-05", "cumulative_achieved"] == pytest.approx(1 + 3)


def test_limits_after_a_rebase_come_from_the_new_segment():
    # 18 points alternating 59/61 (mean 60, every moving range 2), rebase, then 70/72 alternating.
    # XmR: mean +/- 2.66 x mean moving range = 60 +/- 5.32, then 71 +/- 5.32
    data = series("up", "A", [59, 61] * 9 + [70, 72] * 3)
    changes = [{"date": "2023-10", "event": "New pathway", "reason": "service redesign", "rebase": True}]
    points = tracked(data, target=72, changes=changes).points.set_index("period")
    assert (points.loc["2023-09", "mean"], points.loc["2023-09", "upl"]) == pytest.approx((60, 65.32))
    assert (points.loc["2023-10", "mean"], points.loc["2023-10", "lpl"], points.loc["2023-10", "upl"]) == \
        pytest.approx((71, 65.68, 76.32))
    assert points.loc["2023-10", "rebase"] and points.loc["2023-10", "change"] == \
        "2023-10: New pathway (service redesign)"


def test_limits_are_fixed_from_the_baseline():
    # baseline 2022/23 alternating 59/61 (mean 60, moving ranges 2): limits 60 +/- 5.32 however the
    # plan months move (without the fixed baseline they would be recomputed from all 18 points)
    data = series("up", "A", [59, 61] * 6 + [64, 65, 66, 67, 68, 69])
    points = tracked(data, target=72).points
    assert points["mean"].to_numpy() == pytest.approx(np.full(18, 60.0))
    assert points["upl"].to_numpy() == pytest.approx(np.full(18, 65.32))
    assert list(points["point_type"].iloc[-3:]) == ["special_cause_improvement"] * 3


def test_fix_after_n_points_sets_the_window():
    # limits from the first 4 points only: 59, 61, 59, 61 -> mean 60, mean moving range 2
    data = series("up", "A", [59, 61, 59, 61] + [70, 50] * 4 + [60] * 3)
    points = tracked(data, target=72, fix_after_n_points=4).points
    assert (points["mean"].iloc[0], points["upl"].iloc[0]) == pytest.approx((60, 65.32))


def test_a_change_without_rebase_is_labelled_but_keeps_the_limits():
    data = series("up", "A", [59, 61] * 9 + [70, 72] * 3)
    changes = [{"date": "2023-10", "event": "Ward closed", "reason": "staffing"}]
    points = tracked(data, target=72, changes=changes).points
    assert points["mean"].nunique() == 1 and not points["rebase"].any()
    assert points.loc[points["period"] == "2023-10", "change"].item() == "2023-10: Ward closed (staffing)"


GOOD = plan(id="good", areas="B")
BAD_CASES = [
    ({"indicator_id": "nope"}, "indicator_id", "unknown indicator 'nope'"),
    ({"indicator_id": "neutral"}, "indicator_id", "no judgement"),
    ({"areas": "Z"}, "areas", "no values of 'up' for area(s) Z"),
    ({"target": 50}, "target", "the target 50 for A is worse than its baseline 60 (high is good)"),
    ({"by": "2023-01"}, "by", "the target date 2023-01 is not after the baseline (ending 2023-03)"),
    ({"target": 72, "trajectory": {"stepped": {"2023/24": 70}}}, "trajectory", "reaches 70 by 2024-03, short of"),
    ({"target": 72, "trajectory": {"monthly": {"2023-04": 61, "2023-06": 72}}}, "trajectory.monthly",
     "months missing: 2023-05, 2023-07"),
    ({"changes": [{"date": "2030-01", "event": "x"}]}, "changes[0].date",
     "2030-01 is outside the data for A (2022-04 to 2024-03)"),
    ({"changes": [{"date": "2022-10", "event": "x", "rebase": True}]}, "changes[0].rebase", "falls within the baseline"),
    ({"changes": [{"date": "2023-06", "event": "x", "rebase": True}, {"date": "2023-09", "event": "y", "rebase": True}]},
     "changes[1].rebase", "the rebase in 2023-09 overlaps the one before (2023-06): it falls within the 12 points"),
    ({"changes": [{"date": "2023-04", "event": "x", "rebase": True}], "fix_after_n_points": 14},
     "changes[0].rebase", "overlaps the one before (the start of the baseline)"),
    ({"baseline": {"period": "2021/22"}}, "baseline", "no values between 2021-04 and 2022-03"),
]


@pytest.mark.parametrize(("fields", "field", "reason"), BAD_CASES)
def test_bad_plans_are_named_and_the_others_still_tracked(fields, field, reason):
    data = values(series("up", "A", [60] * 12 + [64] * 12), series("up", "B", [50] * 24))
    result = track([Plan.from_dict(plan(**fields)), Plan.from_dict(GOOD)], data, CATALOGUE)
    [error] = result.errors
    assert (error.plan_id, error.field) == ("p", field)
    assert reason in error.reason, error.reason
    assert list(result.scorecard["plan_id"]) == ["good"] and set(result.points["plan_id"]) == {"good"}


def test_interventions_are_plain_data():
    assert Plan.from_dict(plan(interventions=["Text only"])).interventions == (Intervention(text="Text only"),)


def test_every_plan_point_after_the_baseline_is_tracked():
    result = tracked(target=72)
    assert list(result.points["phase"]) == ["baseline"] * 12 + ["plan"] * 3
    assert np.isnan(result.points["trajectory"].iloc[:12]).all()
    assert result.scorecard["period"].item() == "2023-06"


def test_when_no_plan_can_be_tracked_the_tables_are_empty_and_every_error_listed():
    plans = [Plan.from_dict(plan(id="x", areas="Z")), Plan.from_dict(plan(id="y", indicator_id="nope"))]
    result = track(plans, DATA, CATALOGUE)
    assert [(e.plan_id, e.field) for e in result.errors] == [("x", "areas"), ("y", "indicator_id")]
    assert result.scorecard.empty and result.points.empty and result.plans == []


def test_two_changes_in_one_month_share_its_label():
    changes = [{"date": "2023-05", "event": "Ward closed", "reason": "staffing"}, {"date": "2023-05", "event": "New lead"}]
    points = tracked(target=72, changes=changes).points.set_index("period")
    assert points.loc["2023-05", "change"] == "2023-05: Ward closed (staffing); 2023-05: New lead"
    assert points["change"].notna().sum() == 1


def test_published_values_and_means_are_tracked_as_given():
    from marginalgains.io.catalogue import Catalogue
    from marginalgains.model import Indicator, Measure, Polarity

    catalogue = Catalogue({"m": Indicator("m", "Mean stay (days)", Polarity.LOW_IS_GOOD, Measure.MEAN)})
    data = series("m", "A", [500] * 12 + [450, 440])  # total days over 100 stays: a mean of 5, then 4.5, 4.4
    result = track([Plan.from_dict(plan(indicator_id="m", target=4))], data, catalogue)
    points = result.points.set_index("period")
    assert points.loc["2023-05", "value"] == pytest.approx(4.4) and np.isnan(points.loc["2023-05", "lower"])
    assert result.scorecard["baseline"].item() == pytest.approx(5.0)
    assert points["gap_people"].isna().all() and points["cumulative_achieved"].isna().all()  # no people in a mean
