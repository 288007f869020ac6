"""Baselines and targets resolved from the data, each worked by hand."""

import pandas as pd
import pytest

from marginalgains.plans import Plan, track
from plans_fixtures import CATALOGUE, plan, series, values

# Four areas with flat months in 2022/23 (the baseline): 60, 80, 70 and 90 per 100.
FOUR = values(*(series("up", code, [n] * 24) for code, n in (("A", 60), ("B", 80), ("C", 70), ("D", 90))))


def resolved(plan_fields: dict, data=FOUR, areas=None):
    result = track([Plan.from_dict(plan(**plan_fields))], data, CATALOGUE, areas=areas)
    assert not result.errors, result.errors
    return result.scorecard.set_index("area_code")


def test_baseline_pools_the_baseline_months_counts():
    # 6 months at 50/100 and 6 at 62/200: (300 + 372) / (600 + 1200) = 37.333%
    data = values(series("up", "A", [50] * 6), series("up", "A", [62] * 18, start="2022-10", denominator=200))
    card = resolved({"target": 80}, data)
    assert card.loc["A", "baseline"] == pytest.approx(672 / 1800 * 100)


def test_recorded_baseline_and_target_are_kept_not_recomputed():
    card = resolved({"baseline": {"period": "2022/23", "value": 55.0}, "target": {"form": "benchmark",
                     "benchmark": "top_quartile", "values": {"A": 66.0}}})
    assert (card.loc["A", "baseline"], card.loc["A", "target"]) == (55.0, 66.0)


@pytest.mark.parametrize(("target", "expected"), [
    (78, 78.0), ("78%", 78.0), ("+12pp", 72.0), ("+10%", 66.0),
    ("national", (60 + 80 + 70 + 90) / 4),     # pooled: 300 of 400
    ("top_quartile", 82.5),                    # PERCENTILE.INC of 60, 70, 80, 90 at 75%: 80 + 0.25 x 10
    ("top_decile", 87.0),                      # at 90%: 80 + 0.7 x 10
])
def test_target_forms_resolve(target, expected):
    assert resolved({"target": target}).loc["A", "target"] == pytest.approx(expected)


def test_relative_change_for_a_lower_is_better_indicator():
    data = series("down", "A", [20] * 24)
    assert resolved({"indicator_id": "down", "target": "-10%"}, data).loc["A", "target"] == pytest.approx(18.0)


def test_peer_best5_is_the_mean_of_the_best_five_of_its_ten_nearest_peers():
    # A has size 0; areas of size 1..10 are its ten nearest peers, at 60..69 per 100; the area of
    # size 11 (at 99) is not a peer. Best five of the peers: 65..69, mean 67.
    codes = [f"X{i:02d}" for i in range(12)]
    rates = [40] + list(range(60, 70)) + [99]
    data = values(*(series("up", code, [n] * 24) for code, n in zip(codes, rates)))
    areas = pd.DataFrame({"area_code": codes, "size": [float(i) for i in range(12)]})
    card = resolved({"areas": "X00", "target": "peer_best5"}, data, areas)
    assert card.loc["X00", "target"] == pytest.approx(67.0)


def test_peer_best5_without_covariates_names_the_field():
    result = track([Plan.from_dict(plan(target="peer_best5"))], FOUR, CATALOGUE)
    assert [(e.field, "needs an areas table with covariates" in e.reason) for e in result.errors] == [("target", True)]


def test_own_best_is_the_best_whole_financial_year_by_the_baseline():
    # 2020/21 at 85, 2021/22 at 80, 2022/23 (baseline) at 70, then 2023/24
    data = series("up", "A", [85] * 12 + [80] * 12 + [70] * 12 + [72] * 12, start="2020-04")
    card = resolved({"target": "own_best", "baseline": {"period": "2022/23"}}, data)
    assert card.loc["A", "target"] == pytest.approx(85.0)


def test_own_best_ignores_part_years_and_years_after_the_baseline():
    # 2020/21 has only 11 months (at 95): not a whole year; 2023/24 (after the baseline) at 99
    data = series("up", "A", [95] * 11 + [80] * 12 + [70] * 12 + [99] * 12, start="2020-05")
    card = resolved({"target": "own_best"}, data)
    assert card.loc["A", "target"] == pytest.approx(80.0)


def test_multi_area_plan_resolves_each_area():
    card = resolved({"areas": ["A", "C"], "target": "+5pp"})
    assert card.loc["A", "target"] == pytest.approx(65.0) and card.loc["C", "target"] == pytest.approx(75.0)


def test_areas_of_a_type():
    data = FOUR.assign(area_type=FOUR["area_code"].map({"A": "ICB", "B": "ICB", "C": "LA", "D": "LA"}))
    card = resolved({"areas": {"type": "ICB"}, "target": "+5pp"}, data)
    assert sorted(card.index) == ["A", "B"]


def test_resolved_numbers_are_recorded_in_the_plans():
    result = track([Plan.from_dict(plan(target="top_quartile"))], FOUR, CATALOGUE)
    [recorded] = result.plans
    assert recorded.baseline.values == {"A": pytest.approx(60.0)}
    assert recorded.target.values == {"A": pytest.approx(82.5)}
