"""Trajectories, worked by hand: linear, stepped, monthly, and quarters as the mean of their months."""

import pandas as pd
import pytest

from marginalgains.plans import Plan, track
from plans_fixtures import CATALOGUE, plan, series

# A: 2022/23 (baseline) at 60 per 100, then 2023/24 and 2024/25 at 70.
DATA = series("up", "A", [60] * 12 + [70] * 24)


def trajectory(data=DATA, **fields) -> pd.Series:
    result = track([Plan.from_dict(plan(**fields))], data, CATALOGUE)
    assert not result.errors, result.errors
    points = result.points
    return points.set_index("period")["trajectory"]


def test_linear_moves_a_twelfth_a_month_and_holds_the_target_after_by():
    # baseline 60 (ends 2023-03), target 72 by 2024-03: +1 a month
    line = trajectory(target=72)
    assert line["2023-04"] == pytest.approx(61) and line["2023-09"] == pytest.approx(66)
    assert line["2024-03"] == pytest.approx(72) and line["2025-03"] == pytest.approx(72)
    assert line[["2022-04", "2023-03"]].isna().all()  # no trajectory in the baseline


def test_stepped_holds_each_step_over_its_period():
    steps = {"2023/24 Q1": 62, "2023/24 Q2": 65, "2023/24 Q3": 68, "2023/24 Q4": 72}
    line = trajectory(target=72, trajectory={"stepped": steps})
    assert [line[m] for m in ("2023-04", "2023-06", "2023-07", "2023-12", "2024-03", "2024-09")] == \
        [62, 62, 65, 68, 72, 72]


def test_stepped_before_its_first_step_is_the_baseline():
    line = trajectory(target=72, trajectory={"stepped": {"2023/24 Q3": 66, "2023/24 Q4": 72}})
    assert line["2023-05"] == pytest.approx(60) and line["2023-10"] == 66


def test_monthly_table_is_used_as_given():
    table = {f"2023-{m:02d}": 60 + m for m in range(4, 13)} | {"2024-01": 71, "2024-02": 71.5, "2024-03": 72}
    line = trajectory(target=72, trajectory={"monthly": table})
    assert line["2023-04"] == 64 and line["2024-02"] == 71.5 and line["2024-12"] == 72


def test_a_quarter_takes_the_mean_of_its_months():
    # quarterly counts: 2022/23 (baseline) at 60, then 70; linear to 72 by 2024-03. 2023/24 Q1 covers
    # months 1, 2, 3 of 12 after the baseline: 60 + 12 x (1 + 2 + 3) / 3 / 12 = 62
    quarters = ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4", "2023/24 Q1", "2023/24 Q2", "2023/24 Q3"]
    data = pd.DataFrame({"indicator_id": "up", "area_code": "A", "period": quarters,
                         "numerator": [60.0] * 4 + [70.0] * 3, "denominator": 100.0})
    line = trajectory(data, target=72)
    assert line["2023/24 Q1"] == pytest.approx(62) and line["2023/24 Q3"] == pytest.approx(68)
