"""protect_values: counts, remainders and derived figures of IndicatorValues, with an audience."""

import numpy as np
import pandas as pd
import pytest

from marginalgains.disclosure import Dimension, DisclosureError, Structure, audit, load_rule, protect_values
from marginalgains.disclosure.values import protect_subperiods
from marginalgains.model import Measure

UNDER_10 = load_rule("under-10")
NHS = load_rule("nhs-hes-2018")


def _values():
    return pd.DataFrame({
        "indicator_id": ["p"] * 4 + ["d"] * 4, "area_code": ["A", "B", "C", "D"] * 2, "period": "2019/20",
        "numerator": [3, 40, 50, 60, 2, 30, 40, 50], "denominator": [100, 100, 55, 200, 1000, 2000, 3000, 4000],
        "value": [3.0, 40.0, 90.9, 30.0, 150.0, 1400.0, 1300.0, 1250.0],
        "lower95": [1.0, 30.0, 80.0, 24.0, 20.0, 900.0, 900.0, 900.0],
    })


def test_small_numerator_and_small_remainder_are_hidden_with_their_values():
    protected = protect_values(_values(), UNDER_10, measures={"p": Measure.PROPORTION, "d": Measure.DSR})
    p = protected.table[protected.table["indicator_id"] == "p"].set_index("area_code")
    # A: 3 events; C: 55 - 50 = 5 people without the event (published counts would disclose it)
    assert p["numerator_status"].to_dict() == {"A": "primary", "B": "published", "C": "secondary", "D": "published"}
    assert p.loc[["A", "C"], ["value", "lower95"]].isna().all().all()
    assert p.loc["B", "value"] == 40.0 and p["value_status"].tolist() == ["follows", "published", "follows", "published"]
    remainder = protected.audit[protected.audit["part"] == "remainder"]
    assert remainder["status"].tolist() == ["secondary", "primary"]   # A's remainder 97 hides with its 3
    # the attacker's interval for A's 3 events: the national total 153 - 40 - 60 = 53 is shared with C's 50
    a = protected.audit[(protected.audit["area_code"] == "A") & (protected.audit["part"] == "numerator")]
    assert a[["lower", "upper"]].values.tolist() == [[0.0, 53.0]]


def test_nhs_rule_exempts_directly_standardised_rates():
    protected = protect_values(_values(), NHS, measures={"p": Measure.PROPORTION, "d": Measure.DSR})
    d = protected.table[protected.table["indicator_id"] == "d"].set_index("area_code")
    assert np.isnan(d.loc["A", "numerator"]) and d.loc["A", "value"] == 150.0
    assert d.loc["A", "value_status"] == "exempt"
    assert d["numerator_status"].to_dict() == {"A": "primary", "B": "secondary", "C": "published", "D": "published"}
    assert d.loc["B", "value"] == 1400.0 and d.loc["D", "denominator"] == 4000.0
    national = protected.totals.set_index(["indicator_id", "area_code"])
    assert national.loc[("d", "national"), "numerator"] == 122.0            # national: exact, unrounded
    assert national.loc[("d", "national"), "numerator_status"] == "national"
    assert protected.steps["exempt"] >= 1


def test_audience_sees_own_rows_in_full():
    protected = protect_values(_values(), UNDER_10, audience=["A"],
                               measures={"p": Measure.PROPORTION, "d": Measure.DSR})
    own = protected.table[protected.table["area_code"] == "A"]
    assert own["numerator"].tolist() == [3.0, 2.0] and own["value"].tolist() == [3.0, 150.0]
    assert set(own["numerator_status"]) == {"own"}


def test_region_hierarchy_totals_are_protected_too():
    hierarchy = {"A": "R1", "B": "R1", "C": "R2", "D": "R2", "R1": "ENG", "R2": "ENG"}
    values = _values()[lambda v: v["indicator_id"] == "p"]
    protected = protect_values(values, UNDER_10, hierarchy=hierarchy)
    totals = protected.totals.set_index("area_code")
    assert sorted(totals.index) == ["ENG", "R1", "R2"]
    assert totals.loc["ENG", "denominator"] == 455.0
    hidden = protected.audit
    assert (hidden.loc[hidden["status"] == "primary", "width"] >= 9).all()


def test_bad_values_are_refused():
    values = _values()
    values.loc[5, "numerator"] = -3
    with pytest.raises(DisclosureError, match="row 6, column 'numerator': a count must be a number of zero or more"):
        protect_values(values, UNDER_10)
    with pytest.raises(DisclosureError, match="one top"):
        protect_values(_values(), UNDER_10, hierarchy={"A": "R1", "B": "R2"})


def _quarters(events, expected=(10.0, 10.0, 10.0, 10.0), area="A"):
    return pd.DataFrame({"indicator_id": "r", "area_code": area,
                         "period": ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4"],
                         "numerator": events, "denominator": list(expected), "year": "2022/23"})


QUARTER_STRUCTURE = Structure((Dimension("indicator_id"),
                               Dimension("period", {f"2022/23 Q{q}": "2022/23" for q in range(1, 5)}),
                               Dimension("area_code")))


def _attack(quarters: pd.DataFrame, hidden) -> pd.DataFrame:
    """What an attacker deduces from the published year (the quarters' sum) and the visible quarters."""
    year = pd.DataFrame({"indicator_id": ["r"], "area_code": ["A"], "period": ["2022/23"],
                         "count": [float(quarters["numerator"].sum())]})
    shown = quarters[["indicator_id", "area_code", "period"]].assign(
        count=np.where(hidden, np.nan, quarters["numerator"].astype(float)))
    return audit(pd.concat([shown, year], ignore_index=True), QUARTER_STRUCTURE)


def test_a_small_quarter_of_a_published_year_cannot_be_worked_out_from_the_others():
    quarters = _quarters([3, 20, 25, 30])
    # hiding the 3 alone: the year (78) minus the other quarters gives it back exactly
    alone = _attack(quarters, [True, False, False, False])
    assert alone[["lower", "upper"]].values.tolist() == [[3.0, 3.0]]
    protected = protect_subperiods(quarters, UNDER_10, measures={"r": Measure.RATIO})
    table = protected.table.set_index("period")
    # the cheapest complement that leaves room of 9 (under-10's interval): the 20, then 3 + 20 = 23 to share
    assert table["numerator_status"].tolist() == ["primary", "secondary", "published", "published"]
    assert table["value_status"].tolist() == ["follows", "follows", "published", "published"]
    after = _attack(quarters, table["numerator"].isna().to_numpy())
    assert after[["lower", "upper"]].values.tolist() == [[0.0, 23.0], [0.0, 23.0]]
    assert protected.audit[["lower", "upper"]].values.tolist() == [[0.0, 23.0], [0.0, 23.0]]


def test_a_small_remainder_of_a_month_is_protected_and_the_audience_sees_its_own_months():
    months = pd.DataFrame({"indicator_id": "p", "area_code": ["A"] * 3 + ["B"] * 3,
                           "period": ["2022-04", "2022-05", "2022-06"] * 2,
                           "numerator": [40, 52, 60, 40, 52, 60], "denominator": [45, 100, 120, 45, 100, 120],
                           "year": "2022/23"})
    protected = protect_subperiods(months, NHS, audience=["B"], measures={"p": Measure.PROPORTION})
    a = protected.table[protected.table["area_code"] == "A"].set_index("period")
    # April: 45 - 40 = 5 without the event; publishing April's counts would disclose it
    assert a.loc["2022-04", "value_status"] == "follows"
    hidden = protected.audit[(protected.audit["area_code"] == "A") & (protected.audit["status"] == "primary")]
    assert hidden[["period", "part"]].values.tolist() == [["2022-04", "remainder"]]
    assert (hidden["width"] >= NHS.protection_interval).all()
    assert not a[["numerator", "denominator"]].stack().between(1, 7).any()
    b = protected.table[protected.table["area_code"] == "B"]
    assert b["numerator"].tolist() == [40.0, 52.0, 60.0] and set(b["value_status"]) == {"published"}


def test_subperiods_need_their_year():
    with pytest.raises(DisclosureError, match="no column 'year'"):
        protect_subperiods(_quarters([3, 20, 25, 30]).drop(columns="year"), UNDER_10)


def test_a_lone_area_hides_the_exempt_national_count_it_would_otherwise_give_away():
    # one area: England's count is that area's, so publishing the exempt national 3 would publish the 3
    values = pd.DataFrame({"indicator_id": "p", "area_code": ["A"], "period": "2019/20", "numerator": [3],
                           "denominator": [100], "value": [3.0]})
    protected = protect_values(values, NHS, measures={"p": Measure.PROPORTION})
    assert protected.table[["numerator_status", "denominator_status", "value_status"]].values.tolist() == [
        ["primary", "published", "follows"]]
    national = protected.totals.iloc[0]
    assert np.isnan(national["numerator"]) and national["numerator_status"] == "secondary"
    assert national["denominator"] == 100.0 and national["denominator_status"] == "national"
    # the 3 (and the 97 without the event) can be anything from 0 to the published 100
    assert protected.audit[["area_code", "part", "lower", "upper"]].values.tolist() == [
        ["A", "numerator", 0.0, 100.0], ["A", "remainder", 0.0, 100.0],
        ["national", "numerator", 0.0, 100.0], ["national", "remainder", 0.0, 100.0]]


def test_a_region_of_the_viewers_own_area_alone_is_shown_as_deduced():
    values = pd.DataFrame({"indicator_id": "p", "area_code": ["A", "B"], "period": "2019/20", "numerator": [3, 4],
                           "denominator": [100, 90], "value": [3.0, 4.4]})
    hierarchy = {"A": "R1", "B": "R2", "R1": "ENG", "R2": "ENG"}
    protected = protect_values(values, NHS, audience=["B"], hierarchy=hierarchy, measures={"p": Measure.PROPORTION})
    totals = protected.totals.set_index("area_code")
    # R2 is B alone: the viewer knows it, so it is shown (its 4 included); R1 is A alone, hidden with A
    assert totals.loc["R2", ["numerator", "numerator_status"]].tolist() == [4.0, "deduced"]
    assert np.isnan(totals.loc["R1", "numerator"]) and totals.loc["R1", "numerator_status"] == "primary"
    assert np.isnan(totals.loc["ENG", "numerator"])   # else ENG - R2 gives R1 = A's 3
    primary = protected.audit[protected.audit["status"] == "primary"]
    assert (primary["width"] >= NHS.protection_interval).all()
