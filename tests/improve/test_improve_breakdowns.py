"""Which breakdowns share people, which one is counted, and one period per indicator."""

import math

import pandas as pd
import pytest

from marginalgains.improve import ImproveError
from marginalgains.improve.breakdowns import age_band, check_one_period, counted_within, overlap, overlapping_pairs
from marginalgains.model import Indicator, Measure, Polarity


def breakdown(id_, sex="", age="", family="smk"):
    return Indicator(id_, "Quitting smoking", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, sex=sex, age=age, family=family)


@pytest.mark.parametrize(("age", "band"), [
    ("", (0, math.inf)), ("All ages", (0, math.inf)), ("65+ yrs", (65, math.inf)), ("18-64 yrs", (18, 65)),
    ("<75 yrs", (0, 75)), ("<1 yr", (0, 1)), ("5 yrs", (5, 6)), ("53-70 yrs", (53, 71)), ("Not applicable", None),
])
def test_fingertips_age_labels_read_as_years(age, band):
    assert age_band(age) == band


@pytest.mark.parametrize(("a", "b", "shared"), [
    (("Persons", "All ages"), ("Male", "All ages"), True),
    (("Male", ""), ("Female", ""), False),
    (("", "All ages"), ("", "65+ yrs"), True),
    (("", "65+ yrs"), ("", "75+ yrs"), True),
    (("", "18-64 yrs"), ("", "65+ yrs"), False),
    (("Male", "65+ yrs"), ("Persons", "18-64 yrs"), False),
    (("", "Not applicable"), ("", "65+ yrs"), True),  # an age not understood shares people with any
])
def test_breakdowns_overlap_unless_their_sexes_or_ages_are_apart(a, b, shared):
    assert overlap(breakdown("a", *a), breakdown("b", *b)) is shared
    assert overlap(breakdown("b", *b), breakdown("a", *a)) is shared


def test_the_broadest_is_counted_and_the_others_within_it():
    family = [breakdown("smk-m", "Male"), breakdown("smk-p", "Persons"), breakdown("smk-f", "Female"),
              breakdown("old", "", "65+ yrs", "flu"), breakdown("older", "", "75+ yrs", "flu"),
              breakdown("young", "", "18-64 yrs", "flu"), breakdown("care", family="")]
    assert counted_within(family) == {"smk-p": "smk-p", "smk-m": "smk-p", "smk-f": "smk-p", "old": "old",
                                      "older": "old", "young": "young", "care": "care"}
    assert counted_within(family[::2]) == {"smk-m": "smk-m", "smk-f": "smk-f", "older": "older", "care": "care"}
    assert overlapping_pairs(family) == [("smk-m", "smk-p"), ("smk-p", "smk-f"), ("old", "older")]


def test_an_indicator_sized_in_two_periods_is_refused():
    two = pd.DataFrame({"indicator_id": ["care", "care", "talk"], "period": ["2017/18", "2018/19", "2018/19"]})
    with pytest.raises(ImproveError, match=r"column 'period': indicator 'care' is sized in 2 periods "
                                           r"\(2017/18, 2018/19\); gains of different periods never add"):
        check_one_period(two)
    check_one_period(two.iloc[1:])
