"""Allocation against exhaustive enumeration, constraints, and reading interventions."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marginalgains.improve import ImproveError
from marginalgains.improve.fund import allocate, benefit_curve, read_interventions
from marginalgains.model import Indicator, Measure, Polarity


def brute_force(table, budget, min_share, max_per_area):
    tags = table["tags"].str.split(";")
    best = 0.0
    for size in range(len(table) + 1):
        for combo in itertools.combinations(range(len(table)), size):
            chosen = table.iloc[list(combo)]
            if chosen["cost"].sum() > budget + 1e-9 or chosen["group"].dropna().duplicated().any():
                continue
            if any(chosen.loc[tags.iloc[list(combo)].map(lambda s, t=t: t in s).to_numpy(), "cost"].sum()
                   < share * budget - 1e-9 for t, share in min_share.items()):
                continue
            if max_per_area is not None and (chosen.groupby("area_code")["cost"].sum() > max_per_area + 1e-9).any():
                continue
            best = max(best, chosen["benefit"].sum())
    return best


@pytest.mark.parametrize("seed", range(12))
def test_milp_matches_exhaustive_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 10))
    table = pd.DataFrame({
        "id": [f"I{i}" for i in range(n)],
        "cost": rng.integers(1, 20, n).astype(float),
        "benefit": rng.integers(0, 50, n).astype(float),
        "group": [f"G{g}" if g < 2 else None for g in rng.integers(0, 5, n)],
        "tags": rng.choice(["mh", "ltc", "mh;ltc"], n),
        "area_code": rng.choice(["A", "B", "C"], n),
    })
    budget = float(rng.integers(10, 50))
    min_share = {"mh": 0.2} if seed % 2 else {}
    max_per_area = 25.0 if seed % 3 == 0 else None
    expected = brute_force(table, budget, min_share, max_per_area)
    try:
        result = allocate(table, budget, min_share, max_per_area)
    except ImproveError:
        assert expected == 0 and min_share  # infeasible only when a share cannot be met
        return
    assert result.total_benefit == pytest.approx(expected)
    assert result.total_cost <= budget


def test_groups_pick_one_tier():
    tiers = pd.DataFrame({"id": ["light", "medium", "heavy", "other"], "cost": [1, 2, 4, 3.0],
                          "benefit": [10, 15, 18, 9.0], "group": ["g", "g", "g", None]})
    result = allocate(tiers, 5)
    assert sorted(result.chosen) == ["medium", "other"]  # 24 beats heavy alone (18) or light + other (19)
    assert result.total_benefit == 24


def test_min_share_forces_spending_on_a_priority():
    table = pd.DataFrame({"id": ["a", "b", "c"], "cost": [50, 50, 40.0], "benefit": [100, 90, 10.0],
                          "tags": ["ltc", "ltc", "mental_health"]})
    assert allocate(table, 100).chosen == ["a", "b"]
    forced = allocate(table, 100, min_share={"mental_health": 0.4})
    assert forced.chosen == ["a", "c"] and forced.total_benefit == 110


@pytest.mark.parametrize(
    ("budget", "kwargs", "message"),
    [
        (-5, {}, "budget must be zero or more"),
        (100, {"min_share": {"mental_health": 0.5}}, "cost only 0"),
        (100, {"min_share": {"ltc": 0.7, "x": 0.4}}, "more than the whole budget"),
        (100, {"min_share": {"ltc": 0.6, "x": 0.4}}, "no choice of interventions"),
    ],
)
def test_bad_allocations_are_clear_errors(budget, kwargs, message):
    table = pd.DataFrame({"id": ["a", "b", "x"], "cost": [50, 50, 40.0], "benefit": [1, 2, 3.0],
                          "tags": ["ltc", "ltc", "x"]})
    with pytest.raises(ImproveError, match=message):
        allocate(table, budget, **kwargs)


def test_benefit_curve_shows_what_each_step_buys():
    table = pd.DataFrame({"id": list("abc"), "cost": [1e6, 1e6, 1e6], "benefit": [300, 200, 100.0]})
    curve = benefit_curve(table, 3e6)
    assert curve["budget"].tolist() == [1e6, 2e6, 3e6]
    assert curve["benefit"].tolist() == [300, 500, 600]
    assert curve["extra_benefit"].tolist() == [300, 200, 100]


CARE = Indicator("care", "All care processes", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100,
                 tags=("long_term_conditions",), benefit_weight=2.0)
OPPORTUNITIES = pd.DataFrame({"indicator_id": "care", "area_code": ["A", "B", "C"],
                              "denominator": [1000.0, 500.0, 200.0], "gain": [30.0, 5.0, 0.0]})


def test_effects_are_capped_at_the_opportunity_and_weighted():
    raw = pd.DataFrame({
        "id": ["nurse-A", "audit-all", "drive-all", "text-B"],
        "cost": [100, 200, 300, 50],
        "indicator_id": "care",
        "area_code": ["A", "all", "", "B"],
        "effect": [2, 1, 100, 40],
        "effect_unit": ["points", "points", "people", "people"],
        "tag": [None, "mental_health", None, None],
    })
    table = read_interventions(raw, [CARE], OPPORTUNITIES).set_index("id")
    # nurse-A: 2 points of 1000 = 20 people (under A's 30); x weight 2
    assert table.loc["nurse-A", "benefit"] == pytest.approx(40)
    # audit-all: 1 point everywhere: 10, 5, 2 people capped at 30, 5, 0 -> 15; x 2
    assert table.loc["audit-all", "benefit"] == pytest.approx(30)
    # drive-all: 100 people nationally, capped at the national gain 35; x 2
    assert table.loc["drive-all", "benefit"] == pytest.approx(70)
    assert table.loc["text-B", "benefit"] == pytest.approx(10)
    assert table.loc["audit-all", "tags"] == "mental_health"
    assert table.loc["nurse-A", "tags"] == "long_term_conditions"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"indicator_id": "smoking"}, "unknown indicators smoking"),
        ({"area_code": "Z"}, r"unknown areas Z \(care\)"),
        ({"effect_unit": "percent"}, "points or people"),
        ({"effect": -1}, "zero or more"),
    ],
)
def test_bad_interventions_are_clear_errors(change, message):
    raw = pd.DataFrame({"id": ["x"], "cost": [1], "indicator_id": ["care"], "area_code": ["A"], "effect": [1]})
    with pytest.raises(ImproveError, match=message):
        read_interventions(raw.assign(**change), [CARE], OPPORTUNITIES)


def test_interventions_read_together_are_sized_as_each_alone():
    """Vectorised sizing over indicators, units and areas gives each intervention what it gets alone."""
    rate = Indicator("admit", "Admissions", Polarity.LOW_IS_GOOD, Measure.RATE, multiplier=1000)
    opportunities = pd.concat([OPPORTUNITIES, pd.DataFrame({"indicator_id": "admit", "area_code": ["C", "A", "B"],
                                                             "denominator": [4000.0, 2500.0, 900.0],
                                                             "gain": [12.0, 0.0, 3.5]})], ignore_index=True)
    raw = pd.DataFrame({"id": list("pqrstuv"), "cost": 1.0, "indicator_id": ["care", "admit"] * 3 + ["admit"],
                        "area_code": ["all", "all", "A", "C", "all", "B", "all"],
                        "effect": [1.5, 2.0, 4.0, 5.0, 20.0, 1.0, 0.5],
                        "effect_unit": ["points", "points", "points", "people", "people", "points", "points"]})
    together = read_interventions(raw, [CARE, rate], opportunities)["benefit"].tolist()
    alone = [read_interventions(raw.iloc[[i]], [CARE, rate], opportunities)["benefit"].iloc[0] for i in range(len(raw))]
    assert together == alone
    assert together[1] == pytest.approx(min(2.0 * 4000 / 1000, 12) + min(2.0 * 900 / 1000, 3.5))  # all areas, points


def quitting(id_, sex, synthetic=False):
    return Indicator(id_, "Smokers quitting", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100, sex=sex,
                     family="smk", synthetic=synthetic)


SMOKING = [quitting("smk-p", "Persons"), quitting("smk-m", "Male"), quitting("smk-f", "Female"),
           Indicator("care", "Care", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100)]
SMOKING_GAINS = pd.DataFrame({"indicator_id": ["smk-p"] * 2 + ["smk-m"] * 2 + ["smk-f"] * 2 + ["care"] * 2,
                              "area_code": list("ABABABAB"), "period": "2023/24", "denominator": 1000.0,
                              "gain": [30, 15, 20, 4, 12, 8, 10, 0.0]})
SMOKING_PLAN = pd.DataFrame({"id": ["p-all", "m-A", "f-A", "f-B", "care-A"], "cost": [200, 60, 50, 40, 100],
                             "indicator_id": ["smk-p", "smk-m", "smk-f", "smk-f", "care"],
                             "area_code": ["all", "A", "A", "B", "A"], "effect": [1000, 20, 12, 8, 10],
                             "effect_unit": "people"})


def test_persons_and_a_sex_of_one_area_are_never_both_funded():
    """Persons everywhere (capped at its national gain 30 + 15 = 45) holds A's men and B's women: the old
    allocation took p-all + m-A + f-B for 45 + 20 + 8 = 73, counting 28 people twice. Without them the
    best is p-all + care-A = 55 (m-A + f-A + f-B + care-A gives only 50)."""
    options = read_interventions(SMOKING_PLAN, SMOKING, SMOKING_GAINS)
    assert options.set_index("id").loc["p-all", ["benefit", "family", "breakdown", "period", "source"]].tolist() == [
        45, "smk", "Persons", "2023/24", "real"]
    assert allocate(options.drop(columns="family"), 300).total_benefit == 73  # the old count, without families
    result = allocate(options, 300)
    assert sorted(result.chosen) == ["care-A", "p-all"] and result.total_benefit == 55 and result.total_cost == 300
    assert (result.source, result.periods) == ("real", ["2023/24"])


def test_male_and_female_of_one_area_are_different_people_and_both_funded():
    options = read_interventions(SMOKING_PLAN, SMOKING, SMOKING_GAINS)
    result = allocate(options, 120)  # m-A + f-A: 110 for 32; f-A + f-B 20; care 10
    assert sorted(result.chosen) == ["f-A", "m-A"] and result.total_benefit == 32


def test_real_and_synthetic_interventions_are_never_funded_together():
    mixed = [*SMOKING[:3], Indicator("care", "Care", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, synthetic=True)]
    with pytest.raises(ImproveError, match=r"interventions, column 'indicator_id': interventions act on real "
                                           r"\(smk-p, smk-m, smk-f\) and SYNTHETIC \(care\) indicators"):
        read_interventions(SMOKING_PLAN, mixed, SMOKING_GAINS)
    table = pd.DataFrame({"id": ["a", "b"], "cost": [1, 1.0], "benefit": [1, 1.0], "source": ["real", "SYNTHETIC"]})
    with pytest.raises(ImproveError, match="column 'source': SYNTHETIC and real together"):
        allocate(table, 10)
    only_synthetic = [quitting(i.id, i.sex, synthetic=True) for i in SMOKING[:3]]
    plan = SMOKING_PLAN[SMOKING_PLAN["indicator_id"] != "care"]
    assert allocate(read_interventions(plan, only_synthetic, SMOKING_GAINS), 300).source == "SYNTHETIC"


def test_interventions_on_an_indicator_sized_in_two_periods_are_refused():
    twice = pd.concat([SMOKING_GAINS, SMOKING_GAINS.assign(period="2022/23")], ignore_index=True)
    with pytest.raises(ImproveError, match="indicator 'care' is sized in 2 periods"):
        read_interventions(SMOKING_PLAN, SMOKING, twice)


SEXES = ["Persons", "Male", "Female"]
AGES = ["All ages", "65+ yrs", "75+ yrs", "18-64 yrs"]
AREAS = ["A", "B", "all"]


def meets(a, b) -> bool:
    return a["area_code"] == b["area_code"] or "all" in (a["area_code"], b["area_code"])


def overlapping(chosen: pd.DataFrame) -> list:
    """Pairs of chosen interventions on different, overlapping breakdowns of one family for one area."""
    from marginalgains.improve.breakdowns import overlap

    rows = chosen.to_dict("records")
    return [(a["id"], b["id"]) for a, b in itertools.combinations(rows, 2)
            if a["family"] == b["family"] and a["indicator_id"] != b["indicator_id"] and meets(a, b)
            and overlap(Indicator(a["indicator_id"], "", "high_is_good", "proportion", sex=a["sex"], age=a["age"]),
                        Indicator(b["indicator_id"], "", "high_is_good", "proportion", sex=b["sex"], age=b["age"]))]


def breakdown_table(draw_ints, n, rng) -> pd.DataFrame:
    kinds = [(s, a) for s in SEXES for a in AGES]
    picked = [kinds[k] for k in draw_ints]
    return pd.DataFrame({
        "id": [f"I{i}" for i in range(n)], "cost": rng.integers(1, 20, n).astype(float),
        "benefit": rng.integers(0, 50, n).astype(float),
        "indicator_id": [f"{s}/{a}" for s, a in picked], "family": "f",
        "sex": [s for s, _ in picked], "age": [a for _, a in picked], "area_code": rng.choice(AREAS, n),
    })


@pytest.mark.parametrize("seed", range(12))
def test_milp_with_breakdowns_matches_exhaustive_enumeration(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 10))
    table = breakdown_table(rng.integers(0, len(SEXES) * len(AGES), n), n, rng)
    budget = float(rng.integers(10, 60))
    best = 0.0
    for size in range(n + 1):
        for combo in itertools.combinations(range(n), size):
            chosen = table.iloc[list(combo)]
            if chosen["cost"].sum() <= budget and not overlapping(chosen):
                best = max(best, chosen["benefit"].sum())
    result = allocate(table, budget)
    assert result.total_benefit == pytest.approx(best)
    assert not overlapping(result.table)


@settings(max_examples=60, deadline=None)
@given(kinds=st.lists(st.integers(0, len(SEXES) * len(AGES) - 1), min_size=1, max_size=30),
       seed=st.integers(0, 2**32 - 1), budget=st.floats(0, 400))
def test_fund_never_chooses_two_overlapping_breakdowns_of_one_family_for_one_area(kinds, seed, budget):
    """Whatever the options and budget: no area gets two breakdowns sharing people (Persons with a sex,
    All ages with a band, 65+ with 75+), an all-areas option being in every area."""
    table = breakdown_table(kinds, len(kinds), np.random.default_rng(seed))
    result = allocate(table, budget)
    assert not overlapping(result.table)
    assert result.total_cost <= budget + 1e-6
    assert result.total_benefit == pytest.approx(result.table["benefit"].sum())


@settings(max_examples=40, deadline=None)
@given(sources=st.lists(st.sampled_from(["real", "SYNTHETIC"]), min_size=1, max_size=12), budget=st.floats(0, 100))
def test_a_funded_total_is_of_one_source_only(sources, budget):
    table = pd.DataFrame({"id": [f"I{i}" for i in range(len(sources))], "cost": 5.0, "benefit": 1.0,
                          "source": sources})
    if len(set(sources)) > 1:
        with pytest.raises(ImproveError, match="real and SYNTHETIC benefits never add"):
            allocate(table, budget)
        return
    result = allocate(table, budget)
    assert result.source == sources[0] and set(result.table["source"]) <= {sources[0]}


def test_interventions_reaching_one_area_outside_a_group_are_named_as_stacked():
    from marginalgains.improve.fund import stacked_indicators

    table = pd.DataFrame({"id": ["a", "b", "c", "d", "e", "f"], "indicator_id": ["x", "x", "y", "y", "z", "z"],
                          "area_code": ["A", "all", "A", "B", "A", "A"], "group": [None, None, None, None, "g", "g"]})
    # x: A's own option and an all-areas one meet in A; y: different areas; z: two tiers of one group
    assert stacked_indicators(table) == ["x"]
    assert stacked_indicators(table.assign(area_code=["A", "B", "all", "all", "A", "B"])) == ["y"]
