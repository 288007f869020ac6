"""protect_values: counts, remainders and derived figures of IndicatorValues, with an audience."""

import numpy as np
import pandas as pd
import pytest

from marginalgains.disclosure import DisclosureError, load_rule, protect_values
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
