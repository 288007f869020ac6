"""Breakdowns of one indicator protected as one table: Persons less Female gives no hidden Male count back.

Hand-worked tables (under-10: counts 1..9 hidden, every hidden small count's interval at least 9
wide, no rounding, nothing exempt) and a property over random families with rests. The attack is
always the attacker's own LPs (`audit`) over the joint table of everything published, the rests
(people of no listed sex or band) unknown to them: a rest is never published.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginalgains.disclosure import DisclosureError, audit, load_rule, protect_values
from marginalgains.disclosure.breakdowns import Breakdown, age_parents, age_range, catalogue_breakdowns
from marginalgains.disclosure.values import protect_subperiods
from marginalgains.model import Indicator, Measure, Polarity

UNDER_10 = load_rule("under-10")
PERIOD = "2023/24"
SEXES = {"m": Breakdown("s", "Male"), "f": Breakdown("s", "Female"), "p": Breakdown("s", "Persons")}


def values(counts: dict[str, tuple[int, ...]], areas="ABC") -> pd.DataFrame:
    """Events of each indicator per area (a ratio: the denominator an expected count, not people)."""
    rows = [(i, a, PERIOD, float(c), 100.0) for i, cs in counts.items() for a, c in zip(areas, cs)]
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])


def ratios(table: pd.DataFrame) -> dict[str, Measure]:
    return dict.fromkeys(table["indicator_id"].unique(), Measure.RATIO)


def attack(joint: pd.DataFrame, structure, published: pd.DataFrame) -> pd.DataFrame:
    """The attacker's intervals over the joint table: each published cell's count as `published` shows
    it (its own protection's cells, matched by indicator, period, part and area), every rest unknown (a rest of
    0 is no cell: taken as known, which only makes the attacker stronger)."""
    keys = ["indicator_id", "period", "part", "area_code"]
    shown = published.set_index(keys)["count"]
    counts = shown.reindex(pd.MultiIndex.from_frame(joint[keys])).to_numpy()
    result = audit(joint.assign(count=np.where(joint["indicator_id"] == "", np.nan, counts)), structure)
    return result.merge(joint[["family", "sex", "age", *keys]], on=["family", "sex", "age", "period", "part",
                                                                    "area_code"])


def interval(result: pd.DataFrame, indicator: str, area: str) -> tuple[float, float]:
    row = result[(result["indicator_id"] == indicator) & (result["area_code"] == area)]
    return float(row["lower"].iloc[0]), float(row["upper"].iloc[0])


def hidden(protected) -> set[tuple[str, str]]:
    table = protected.table
    return set(zip(table.loc[table["numerator"].isna(), "indicator_id"], table.loc[table["numerator"].isna(),
                                                                                       "area_code"]))


def test_without_linkage_persons_less_female_gives_male_back_and_with_it_no_count_is_narrower_than_9():
    # A's Male 3 is small. Protected apart, Male hides A and its cheapest complement B (20) and Persons and
    # Female are shown in full: the attacker has M_A <= P_A - F_A = 3 and M_A = (53 - 30) - M_B >= 23 - 20 = 3.
    table = values({"m": (3, 20, 30), "f": (47, 40, 25), "p": (50, 60, 55)})
    apart = protect_values(table, UNDER_10, measures=ratios(table))
    assert hidden(apart) == {("m", "A"), ("m", "B")}
    linked = protect_values(table, UNDER_10, measures=ratios(table), breakdowns=SEXES)
    assert interval(attack(linked.cells, linked.structure, apart.cells), "m", "A") == (3.0, 3.0)  # recovered
    # Linked: row A needs a second hidden cell, and so does each column: the cheapest rectangle is Male and
    # Female in A and C (3 + 30 + 47 + 25 = 105 people; with B 110, with Persons 133), Persons all shown.
    assert hidden(linked) == {("m", "A"), ("m", "C"), ("f", "A"), ("f", "C")}
    assert linked.steps["primary"] == 1 and linked.steps["secondary"] == 3
    # M_A + M_C = 53 - 20 = 33, F_A + F_C = 112 - 40 = 72, A's and C's rests are 105 - 33 - 72 = 0: M_A in [0, 33]
    result = attack(linked.cells, linked.structure, linked.cells)
    assert interval(result, "m", "A") == (0.0, 33.0)
    proof = linked.audit.set_index(["indicator_id", "area_code"])
    assert (proof.loc[("m", "A"), "lower"], proof.loc[("m", "A"), "upper"]) == (0.0, 33.0)
    assert (result.loc[result["indicator_id"] != "", "width"] == 33).all()  # each of the four: the same rectangle


def test_an_unknown_sex_is_the_rest_a_cell_protected_like_a_count():
    # B's Persons 62 are 20 men, 40 women and 2 of unknown sex: published in full, P_B - M_B - F_B gives the 2.
    table = values({"m": (30, 20, 35), "f": (47, 40, 25), "p": (77, 62, 60)})
    apart = protect_values(table, UNDER_10, measures=ratios(table))
    assert hidden(apart) == set()
    linked = protect_values(table, UNDER_10, measures=ratios(table), breakdowns=SEXES)
    rests = linked.cells[linked.cells["indicator_id"] == ""].set_index("area_code")["count_status"]
    # England's rest is 0 + 2 + 0 = 2 too: both are small counts, protected as cells (never published themselves);
    # A's and C's rests of 0 are no cells (known to be 0)
    assert rests.to_dict() == {"B": "primary", "national": "primary"}
    assert linked.steps["rests"] == 2 and linked.steps["primary"] == 0
    # England's rest needs a hidden cell in England's row (Male 85 is the cheapest; Female 112, Persons 199), which
    # needs a partner in the Male column, and B's rest one in row B: Male of B (20) is both, so two cells withheld
    assert hidden(linked) == {("m", "B")}
    assert linked.totals.set_index("indicator_id")["numerator_status"].to_dict() == {
        "m": "secondary", "f": "published", "p": "published"}
    # the attacker has M_B + rest_B = 62 - 40 = 22 and England's Male = 65 + M_B, its rest = rest_B (A's and C's
    # are 77 - 30 - 47 = 0 and 60 - 35 - 25 = 0): rest_B in [0, 22]
    result = attack(linked.cells, linked.structure, linked.cells)
    assert interval(result[result["area_code"] != "national"], "", "B") == (0.0, 22.0)
    assert "2 small counts left over by breakdowns" in linked.summary()


def test_totals_smaller_than_their_breakdowns_are_refused_naming_indicator_area_period_and_breakdowns():
    table = values({"m": (3, 20, 30), "f": (47, 40, 25), "p": (50, 55, 55)})
    with pytest.raises(DisclosureError) as error:
        protect_values(table, UNDER_10, measures=ratios(table), breakdowns=SEXES)
    assert str(error.value).startswith(
        f"indicator 'p', area B, period {PERIOD}: the breakdowns do not add up: p (Persons, All ages) 55 is less "
        "than its parts m (Male, All ages) 20, f (Female, All ages) 40 (sum 60)")


def test_age_labels_are_read_as_ranges_of_whole_years():
    assert age_range("18-64 yrs") == (18, 65) and age_range("65+ yrs") == (65, 1000)
    assert age_range("<75 yrs") == (0, 75) and age_range("Under 18") == (0, 18) and age_range("0-4 yrs") == (0, 5)
    assert age_range("All ages") == age_range("") == (0, 1000) and age_range("5 yrs") == (5, 6)
    assert age_range("Reception") is None and age_range("Year 6") is None


def test_each_band_is_a_part_of_the_smallest_band_containing_it_and_overlaps_are_refused():
    assert age_parents("f", ["All ages", "18+ yrs", "<18 yrs", "18-64 yrs", "65+ yrs", "Reception"]) == {
        "18+ yrs": "All ages", "<18 yrs": "All ages", "18-64 yrs": "18+ yrs", "65+ yrs": "18+ yrs"}
    with pytest.raises(DisclosureError, match="indicator 'f': age bands '16-64 yrs' and '18-74 yrs' overlap"):
        age_parents("f", ["16-64 yrs", "18-74 yrs", "All ages"])


def test_age_bands_add_up_to_all_ages_so_all_ages_less_one_band_gives_no_hidden_band_back():
    bands = {"all": Breakdown("d", "Male", "All ages"), "young": Breakdown("d", "Male", "18-64 yrs"),
             "old": Breakdown("d", "Male", "65+ yrs")}
    table = values({"young": (40, 50, 60), "old": (4, 30, 25), "all": (44, 80, 85)})
    apart = protect_values(table, UNDER_10, measures=ratios(table))
    linked = protect_values(table, UNDER_10, measures=ratios(table), breakdowns=bands)
    assert interval(attack(linked.cells, linked.structure, apart.cells), "old", "A") == (4.0, 4.0)
    # the cheapest rectangle: A and B (4 + 40 + 30 + 50 = 124 people; with C 129)
    assert hidden(linked) == {("old", "A"), ("old", "B"), ("young", "A"), ("young", "B")}
    result = attack(linked.cells, linked.structure, linked.cells)
    assert interval(result, "old", "A") == (0.0, 34.0)  # O_A + O_B = 59 - 25, Y_A + Y_B = 150 - 60, rests 0


def test_the_catalogue_gives_each_indicator_its_family_and_the_same_breakdown_twice_is_refused():
    def indicator(i, sex, family="s"):
        return Indicator(i, "Screening", Polarity.HIGH_IS_GOOD, Measure.RATIO, sex=sex, family=family)
    assert catalogue_breakdowns([indicator("m", "Male"), indicator("x", "", "")]) == {
        "m": Breakdown("s", "Male", ""), "x": Breakdown("x", "", "")}
    table = values({"m": (3, 20, 30), "p": (50, 60, 55), "q": (50, 60, 55)})
    with pytest.raises(DisclosureError, match=r"indicators \['p', 'q'\] are the same breakdown \(Persons, All ages\)"):
        protect_values(table, UNDER_10, measures=ratios(table),
                       breakdowns={"m": SEXES["m"], "p": SEXES["p"], "q": Breakdown("s", "All")})


@st.composite
def families(draw):
    """Areas x sexes (x two age bands and All ages, sometimes) of a proportion, from people of each sex (or none
    stated) and each band (or none listed): every published total is its parts plus a rest of zero or more."""
    n_areas, with_ages = draw(st.integers(2, 4)), draw(st.booleans())
    bands = ["0-64 yrs", "65+ yrs"] if with_ages else [""]
    small_or_not = st.one_of(st.integers(0, 9), st.integers(10, 60))
    rows = []
    for a in range(n_areas):
        people = {(s, g): (draw(small_or_not if s != "?" else st.sampled_from([0, 0, 1, 3, 12])),
                           draw(st.integers(0, 40)))
                  for s in ("Male", "Female", "?") for g in [*bands, *(["?"] if with_ages else [])]}

        def count(sexes, ages, people=people):
            return tuple(sum(people[s, g][k] for s in sexes for g in ages) for k in (0, 1))
        cells = {(s, g): count([s], [g]) for s in ("Male", "Female") for g in bands}
        cells.update({("Persons", g): count(["Male", "Female", "?"], [g]) for g in bands})
        if with_ages:
            everyone = [*bands, "?"]
            cells.update({(s, "All ages"): count([s], everyone) for s in ("Male", "Female")})
            cells["Persons", "All ages"] = count(["Male", "Female", "?"], everyone)
        rows += [(f"{s}|{g}", f"A{a}", PERIOD, float(n), float(n + r)) for (s, g), (n, r) in cells.items()]
    table = pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])
    breakdowns = {i: Breakdown("fam", *i.split("|")) for i in table["indicator_id"].unique()}
    return table, breakdowns


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(families())
def test_no_hidden_count_of_any_breakdown_or_rest_can_be_narrowed_below_the_protection_interval(case):
    table, breakdowns = case
    measures = dict.fromkeys(breakdowns, Measure.PROPORTION)
    protected = protect_values(table, UNDER_10, measures=measures, breakdowns=breakdowns)
    cells = protected.cells
    shown = cells.loc[cells["indicator_id"] != "", "count"].dropna()
    assert not ((shown >= 1) & (shown <= UNDER_10.threshold)).any()
    result = attack(cells, protected.structure, cells)
    small = result.merge(cells.loc[cells["count_status"] == "primary", ["family", "sex", "age", "period", "part",
                                                                         "area_code"]])
    assert (small["width"] >= UNDER_10.protection_interval - 1e-6).all(), small
    # the page's rows agree with the cells: every hidden count of a row is hidden in the joint table
    rows = protected.table
    assert rows["numerator"].isna().sum() == cells.loc[(cells["indicator_id"] != "") & (cells["part"] == "numerator")
                                                       & (cells["area_code"] != "national"), "count"].isna().sum()


def test_the_months_of_a_family_are_one_table_too_so_persons_less_female_gives_no_month_away():
    # one area, April and May of a published year: Male 3 and 20, Female 47 and 40, Persons their sums
    months = values({"m": (3, 20), "f": (47, 40), "p": (50, 60)}, areas="A")
    months = pd.concat([months.assign(period="2023-04"), months.assign(period="2023-05")], ignore_index=True)
    months["numerator"] = [3, 47, 50, 20, 40, 60]
    months["year"] = "2023/24"
    months = months.sort_values(["indicator_id", "period"]).reset_index(drop=True)
    apart = protect_subperiods(months, UNDER_10, measures=ratios(months))
    hidden_apart = set(map(tuple, months.loc[apart.table["numerator"].isna(), ["indicator_id", "period"]].to_numpy()))
    assert hidden_apart == {("m", "2023-04"), ("m", "2023-05")}  # April's 3 and its complement
    shown = apart.table.set_index(["indicator_id", "period"])["numerator"]
    assert shown["p", "2023-04"] - shown["f", "2023-04"] == 3   # Persons less Female gives it back
    linked = protect_subperiods(months, UNDER_10, measures=ratios(months), breakdowns=SEXES)
    hidden_linked = set(map(tuple, months.loc[linked.table["numerator"].isna(), ["indicator_id", "period"]].to_numpy()))
    # Male and Female of both months (3 + 20 + 47 + 40 = 110; with Persons, 133): M_Apr + M_May = 23 (the year),
    # M_Apr + F_Apr = 50, F_May = 60 - M_May: April's Male anywhere in [0, 23]
    assert hidden_linked == {("m", "2023-04"), ("m", "2023-05"), ("f", "2023-04"), ("f", "2023-05")}
    proof = linked.audit.set_index(["indicator_id", "period"])
    assert (proof.loc[("m", "2023-04"), "lower"], proof.loc[("m", "2023-04"), "upper"]) == (0.0, 23.0)
