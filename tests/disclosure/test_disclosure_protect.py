"""Hand-worked tables: primary and secondary suppression, rounding with totals, and the audit before and after."""

import numpy as np
import pandas as pd
import pytest

from marginalgains.disclosure import Dimension, DisclosureError, Structure, audit, load_rule, protect
from marginalgains.disclosure.protect import UNPROTECTABLE
from marginalgains.disclosure.rules import rule_from_dict

UNDER_10 = load_rule("under-10")
ROW = Structure((Dimension.breakdown("part", "all", ["a", "b", "c", "d"]),))


def _row(counts):
    return pd.DataFrame({"part": ["all", "a", "b", "c", "d"], "count": [sum(counts), *counts]})


def test_primary_suppression_hides_one_to_nine_and_keeps_zero():
    rule = rule_from_dict({"name": "primary only", "threshold": 9, "protection_interval": 0})
    table = pd.DataFrame({"part": list("abcd"), "count": [3, 0, 9, 10]})
    protected = protect(table, Structure((Dimension("part"),)), rule)
    assert protected.table["count"].isna().tolist() == [True, False, True, False]
    assert protected.table["count_status"].tolist() == ["primary", "published", "primary", "published"]
    assert protected.steps == {"primary": 2, "secondary": 0, "rounded": 0}


def test_one_row_small_cell_recovered_by_subtraction_without_complements():
    table = _row([3, 12, 15, 40])
    only_primary = table.assign(count=table["count"].where(table["part"] != "a"))
    before = audit(only_primary, ROW)
    assert before[["lower", "upper"]].values.tolist() == [[3.0, 3.0]]     # 70 - 12 - 15 - 40 = 3: disclosed
    protected = protect(table, ROW, UNDER_10)
    # the cheapest complement that gives the row a 9-wide interval: the 12 (3 + 12 >= 9)
    assert protected.table.loc[protected.table["count"].isna(), "part"].tolist() == ["a", "b"]
    after = audit(protected.table, ROW)
    assert after[["lower", "upper"]].values.tolist() == [[0.0, 15.0], [0.0, 15.0]]
    assert protected.audit["width"].tolist() == [15.0, 15.0]


def test_complement_must_carry_the_protection_interval():
    # 2 + 1 = 3 < 9: hiding the 1 alone would leave the 2 within [0, 3]; the 6 is not enough either (8)
    protected = protect(_row([2, 1, 6, 40]), ROW, UNDER_10)
    hidden = protected.table.loc[protected.table["count"].isna(), "part"].tolist()
    assert hidden == ["a", "b", "c"]  # 1 and 6 are primary too; 2 + 1 + 6 = 9 reaches the interval
    assert protected.audit["width"].min() == 9.0


TWO_WAY = Structure((Dimension("area", {"A": "all", "B": "all", "C": "all"}),
                     Dimension.breakdown("sex", "T", ["M", "F"])), geography="area")


def _two_way():
    cells = {("A", "M"): 2, ("A", "F"): 20, ("B", "M"): 15, ("B", "F"): 25, ("C", "M"): 30, ("C", "F"): 35}
    rows = [(a, s, v) for (a, s), v in cells.items()]
    rows += [(a, "T", cells[a, "M"] + cells[a, "F"]) for a in "ABC"]
    rows += [("all", s, sum(v for (a, t), v in cells.items() if t == s)) for s in "MF"]
    rows += [("all", "T", sum(cells.values()))]
    return pd.DataFrame(rows, columns=["area", "sex", "count"])


def test_two_way_table_one_complement_is_not_enough():
    table = _two_way()
    hide = table.set_index(["area", "sex"])["count"].copy()
    hide[("A", "M")] = np.nan
    hide[("A", "F")] = np.nan           # the row's complement alone: column M still gives 47 - 15 - 30 = 2
    one_complement = audit(hide.reset_index(), TWO_WAY)
    assert one_complement[["lower", "upper"]].values.tolist() == [[2.0, 2.0], [20.0, 20.0]]
    protected = protect(table, TWO_WAY, UNDER_10)
    hidden = protected.table[protected.table["count"].isna()]
    assert sorted(zip(hidden["area"], hidden["sex"])) == [("A", "F"), ("A", "M"), ("B", "F"), ("B", "M")]
    after = audit(protected.table, TWO_WAY).set_index(["area", "sex"])
    # the rectangle moves by d: A,M + d, A,F - d, B,M - d, B,F + d with -2 <= d <= min(20, 15)
    assert after.loc[("A", "M"), ["lower", "upper"]].tolist() == [0.0, 17.0]
    assert after.loc[("B", "F"), ["lower", "upper"]].tolist() == [23.0, 40.0]
    assert protected.steps["secondary"] == 3


def test_rounding_totals_from_unrounded_counts_and_national_exempt():
    rule = load_rule("nhs-hes-2018")
    table = pd.DataFrame({"area": ["E1", "E2", "E3", "R1", "ENG"], "count": [12, 12, 13, 37, 37]})
    structure = Structure((Dimension("area", {"E1": "R1", "E2": "R1", "E3": "R1", "R1": "ENG"}),), geography="area")
    protected = protect(table, structure, rule)
    # 12 -> 10, 13 -> 15; the region's 37 -> 35 from its true count (not 10 + 10 + 15 = 35 by chance: 37 is rounded)
    assert protected.table["count"].tolist() == [10.0, 10.0, 15.0, 35.0, 37.0]
    assert protected.table["count_status"].tolist() == ["rounded"] * 4 + ["national"]
    twelve = pd.DataFrame({"area": ["E1", "E2", "R1", "ENG"], "count": [12, 12, 24, 24]})
    two = Structure((Dimension("area", {"E1": "R1", "E2": "R1", "R1": "ENG"}),), geography="area")
    assert protect(twelve, two, rule).table["count"].tolist() == [10.0, 10.0, 25.0, 24.0]


def test_audience_sees_its_own_cells_and_others_stay_protected():
    table = _two_way()
    protected = protect(table, TWO_WAY, UNDER_10, audience=["A"])
    own = protected.table[protected.table["area"] == "A"]
    assert own["count"].tolist() == [2.0, 20.0, 22.0] and set(own["count_status"]) == {"own"}
    assert protected.table["count"].isna().sum() == 0   # nobody else has a small count to hide


def test_same_table_same_answer():
    table = _two_way()
    first = protect(table, TWO_WAY, UNDER_10).table
    second = protect(table.sample(frac=1, random_state=3).sort_index(), TWO_WAY, UNDER_10).table
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize(("rule", "message"), [
    ({"name": "x", "threshold": -1}, "'threshold' must be at least 0"),
    ({"name": "x", "threshold": 5, "rounding": 0}, "'rounding' must be at least 1"),
    ({"name": "x", "threshold": 5, "suppress": True}, "unknown field(s) suppress"),
    ({"name": "x", "threshold": "five"}, "must be a whole number"),
    ({"name": "x", "threshold": 5, "exempt_measures": ["dsr", "odds"]}, "'odds' is not a valid Measure"),
])
def test_bad_rules_are_refused_naming_the_field(rule, message):
    with pytest.raises(DisclosureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rule_from_dict(rule, "rule.yaml")


def test_unknown_rule_name():
    with pytest.raises(DisclosureError, match="unknown disclosure rule 'nhs-2020'.*nhs-hes-2018, under-10"):
        load_rule("nhs-2020")


def test_rule_file(tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text("name: local\nthreshold: 4\nrounding: 10\n", encoding="utf-8")
    rule = load_rule(path)
    assert (rule.threshold, rule.rounding, rule.protection_interval, rule.zero_is_safe) == (4, 10, 4, True)
    path.write_text("name: local\nthreshold: 4\nrounding: 0\n", encoding="utf-8")
    with pytest.raises(DisclosureError, match=f"{path}: field 'rounding' must be at least 1, got 0"):
        load_rule(path)


def test_totals_that_do_not_add_up_are_refused():
    table = _row([3, 12, 15, 40])
    table.loc[0, "count"] = 71
    with pytest.raises(DisclosureError, match=r"row 1 \(part=all\), column 'count': the total 71 is not the sum "
                                              r"of its parts 70"):
        protect(table, ROW, UNDER_10)


def test_negative_or_missing_counts_are_refused():
    table = _row([3, 12, 15, 40])
    table.loc[2, "count"] = -1
    with pytest.raises(DisclosureError, match="row 3, column 'count': a count must be a number of zero or more"):
        protect(table, ROW, UNDER_10)


def test_known_cells_are_never_hidden_and_the_next_cheapest_complement_is_chosen():
    table = _row([3, 12, 15, 40])
    known = (table["part"] == "b").to_numpy()     # the 12 is published elsewhere: the viewer has it
    protected = protect(table, ROW, UNDER_10, known=known)
    assert protected.table["count_status"].tolist() == ["published", "primary", "known", "secondary", "published"]
    assert protected.table.loc[2, "count"] == 12.0   # shown as it is
    after = audit(protected.table, ROW)
    assert after[["lower", "upper"]].values.tolist() == [[0.0, 18.0], [0.0, 18.0]]    # 3 + 15 shared
    with pytest.raises(DisclosureError, match="known: 2 flags for a table of 5 cells"):
        protect(table, ROW, UNDER_10, known=np.array([True, False]))


def test_a_count_the_known_cells_pin_is_withheld_as_unprotectable_not_an_error():
    # the viewer has the total 8; a rule asking for a range of 12 cannot be met by any pattern
    table = pd.DataFrame({"part": ["a", "b", "all"], "count": [3, 5, 8]})
    structure = Structure((Dimension.breakdown("part", "all", ["a", "b"]),))
    rule = rule_from_dict({"name": "wide", "threshold": 7, "protection_interval": 12})
    protected = protect(table, structure, rule, known=np.array([False, False, True]))
    assert protected.table["count_status"].tolist() == ["unprotectable", "unprotectable", "known"]
    assert protected.table["count"].isna().tolist() == [True, True, False]
    assert protected.audit[["lower", "upper"]].values.tolist() == [[0.0, 8.0], [0.0, 8.0]]
    assert set(protected.audit["reason"]) == {UNPROTECTABLE} and protected.steps["unprotectable"] == 2
    assert "2 small counts withheld that cells the viewer sees in full pin more narrowly" in protected.summary()
