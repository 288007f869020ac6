"""Prioritising indicators nationally and per area by benefit (significant gain x weight)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def quitting(id_, sex, synthetic=False):
    return Indicator(id_, "Smokers quitting", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, sex=sex, family="smk",
                     synthetic=synthetic)


FAMILY = [quitting("smk-p", "Persons"), quitting("smk-m", "Male"), quitting("smk-f", "Female"), CARE,
          Indicator("flu", "Flu vaccinations", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, synthetic=True)]
FAMILY_OPPS = pd.DataFrame({
    "indicator_id": ["smk-p", "smk-p", "smk-m", "smk-m", "smk-f", "smk-f", "care", "care", "flu", "flu"],
    "area_code": list("ABABABABAB"), "period": "2023/24",
    "value": 0.5, "benchmark_value": 0.8,
    "gain": [30.0, 10.0, 20.0, 4.0, 12.0, 8.0, 9.0, 0.0, 100.0, 0.0],
    "gain_lower": 0.0, "gain_upper": 0.0,
    "significant": [True, True, True, False, True, True, True, False, True, False],
})


def test_breakdowns_of_one_family_are_ranked_once_and_real_apart_from_synthetic():
    """Persons (30 + 10 = 40) holds Male (20) and Female (12 + 8 = 20): the old ranking listed smk-p 1,
    care 2 (9 x 3 = 27), smk-f 3, smk-m 4 beside SYNTHETIC flu as 1, four priorities of 207 people, 40 of
    them twice. Now smk-p is 1 and care 2 among real indicators, Male and Female within smk-p, flu 1 of its own."""
    national = prioritise(FAMILY_OPPS, FAMILY).national
    assert national[["indicator_id", "rank", "within", "source", "benefit"]].astype(object).values.tolist() == [
        ["smk-p", 1, "smk-p", "real", 40.0], ["smk-f", pd.NA, "smk-p", "real", 20.0],
        ["smk-m", pd.NA, "smk-p", "real", 20.0], ["care", 2, "care", "real", 27.0],
        ["flu", 1, "flu", "SYNTHETIC", 100.0]]
    by_area = prioritise(FAMILY_OPPS, FAMILY).by_area
    assert by_area[["area_code", "indicator_id", "rank"]].astype(object).values.tolist() == [
        ["A", "smk-p", 1], ["A", "smk-m", pd.NA], ["A", "smk-f", pd.NA], ["A", "care", 2], ["A", "flu", 1],
        ["B", "smk-p", 1], ["B", "smk-f", pd.NA]]


def test_without_persons_male_and_female_are_each_ranked():
    national = prioritise(FAMILY_OPPS[~FAMILY_OPPS["indicator_id"].isin(["smk-p", "flu"])], FAMILY[1:4]).national
    assert national[["indicator_id", "rank"]].values.tolist() == [["care", 1], ["smk-f", 2], ["smk-m", 3]]


def test_an_indicator_in_two_periods_is_not_summed_over_them():
    with pytest.raises(ImproveError, match="indicator 'care' is sized in 2 periods"):
        prioritise(OPPS.assign(period=["2017/18", "2018/19", "2018/19", "2018/19"]), [CARE, TALK])


@settings(max_examples=50, deadline=None)
@given(flags=st.lists(st.booleans(), min_size=1, max_size=8), seed=st.integers(0, 2**32 - 1))
def test_ranks_never_mix_real_and_synthetic(flags, seed):
    rng = np.random.default_rng(seed)
    indicators = [Indicator(f"i{k}", "x", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, synthetic=s)
                  for k, s in enumerate(flags)]
    opps = pd.DataFrame({"indicator_id": [i.id for i in indicators], "area_code": "A", "value": 0.5,
                         "benchmark_value": 0.8, "gain": rng.uniform(1, 100, len(flags)), "gain_lower": 0.0,
                         "gain_upper": 0.0, "significant": True})
    national = prioritise(opps, indicators).national
    for kind, synthetic in (("real", False), ("SYNTHETIC", True)):
        rows = national[national["source"] == kind]
        assert rows["rank"].tolist() == list(range(1, flags.count(synthetic) + 1))
        assert rows["benefit"].is_monotonic_decreasing
    assert national["source"].tolist() == sorted(national["source"], key=lambda s: s == "SYNTHETIC")
