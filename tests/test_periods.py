"""Period labels: the NHS and Fingertips conventions, parsed and produced."""

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from marginalgains.periods import Grain, label_periods, parse_period


@pytest.mark.parametrize("label, grain, start", [
    ("2018-04", Grain.MONTH, "2018-04-01"),
    ("2018-04-17", Grain.MONTH, "2018-04-01"),
    ("2018/19", Grain.FINANCIAL_YEAR, "2018-04-01"),
    ("1999/00", Grain.FINANCIAL_YEAR, "1999-04-01"),
    ("2018/19 Q4", Grain.QUARTER, "2019-01-01"),
    ("2018", Grain.YEAR, "2018-01-01"),
    ("2016 - 18", Grain.MULTI_YEAR, "2016-01-01"),
])
def test_parse(label, grain, start):
    assert parse_period(label) == (grain, pd.Timestamp(start))


@pytest.mark.parametrize("label", ["2018/20", "2018-00", "2018-02-30", "Q1 2018", "", "18/19"])
def test_refused(label):
    with pytest.raises(ValueError):
        parse_period(label)


@settings(deadline=None)  # the suite shares two cores: a slow example is not a wrong one
@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2026-12-31").date()),  # plausible years
       st.sampled_from([Grain.MONTH, Grain.QUARTER, Grain.FINANCIAL_YEAR, Grain.YEAR]))
def test_a_label_parses_back_to_a_period_containing_its_date(day, grain):
    label = label_periods(pd.Series([pd.Timestamp(day)]), grain).iloc[0]
    parsed_grain, start = parse_period(label)
    months = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.FINANCIAL_YEAR: 12, Grain.YEAR: 12}[grain]
    assert parsed_grain == grain
    assert start <= pd.Timestamp(day) < start + pd.DateOffset(months=months)
