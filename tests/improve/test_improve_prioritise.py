"""Prioritising indicators nationally and per area by benefit (significant gain x weight)."""

import pandas as pd
import pytest

from marginalgains.improve import ImproveError
from marginalgains.improve.prioritise import prioritise
from marginalgains.model import Indicator, Measure, Polarity

CARE = Indicator("care", "Care processes", Polarity.HIGH_IS_GOOD, Measure.PROPORTION,
                 tags=("long_term_conditions",), benefit_weight=3.0)
TALK = Indicator("talk", "Talking therapies recovery", Polarity.HIGH_IS_GOOD, Measure.PROPORTION,
                 tags=("mental_health",))

OPPS = pd.DataFrame({
    "indicator_id": ["care", "care", "talk", "talk"],
    "area_code": ["A", "B", "A", "B"],
    "value": [0.5, 0.7, 0.4, 0.6], "benchmark_value": [0.8] * 4,
    "gain": [10.0, 4.0, 50.0, 20.0], "gain_lower": [5.0, 0.0, 20.0, 0.0], "gain_upper": [15.0, 9.0, 80.0, 40.0],
    "significant": [True, False, True, False],
})


def test_national_ranking_uses_significant_gain_times_weight():
    result = prioritise(OPPS, [CARE, TALK])
    national = result.national.set_index("indicator_id")
    assert national.loc["talk", "rank"] == 1 and national.loc["talk", "benefit"] == 50  # 50 people, weight 1
    assert national.loc["care", "benefit"] == 30  # 10 significant people x 3
    assert national.loc["care", "total_gain"] == 14 and national.loc["care", "significant_gain_lower"] == 5
    assert result.by_area[["area_code", "rank", "indicator_id"]].values.tolist() == [
        ["A", 1, "talk"], ["A", 2, "care"]]  # B's gains are all noise


def test_counting_all_gain_and_tag_filter():
    everything = prioritise(OPPS, [CARE, TALK], count="all").national.set_index("indicator_id")
    assert everything.loc["care", "benefit"] == 42 and everything.loc["talk", "benefit"] == 70
    mental = prioritise(OPPS, [CARE, TALK], tag="mental_health").national
    assert mental["indicator_id"].tolist() == ["talk"]
    with pytest.raises(ImproveError, match="no indicator is tagged 'cancer'"):
        prioritise(OPPS, [CARE, TALK], tag="cancer")
