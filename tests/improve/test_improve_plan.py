"""The atlas-facing improvement table, its national summary, status, and the Pareto helper."""

import pandas as pd
import pytest

from marginalgains.improve import ImproveError
from marginalgains.improve.plan import improvement_table, opportunities, pareto
from marginalgains.model import Indicator, Measure, Polarity

CARE = Indicator("care", "People receiving all care processes", Polarity.HIGH_IS_GOOD, Measure.PROPORTION,
                 multiplier=100, unit="%")
ADMIT = Indicator("admit", "Emergency admissions", Polarity.LOW_IS_GOOD, Measure.RATE, multiplier=1000)
MIXED = Indicator("mixed", "Admitted from A&E", Polarity.NO_JUDGEMENT, Measure.PROPORTION)


def values():
    latest = pd.DataFrame({"indicator_id": "care", "area_code": list("ABCD"), "period": "2023/24",
                           "numerator": [50, 80, 90, 95], "denominator": [100] * 4})
    older = latest.assign(period="2022/23", numerator=[10, 10, 10, 10])
    admissions = pd.DataFrame({"indicator_id": "admit", "area_code": list("ABCD"), "period": "2023",
                               "numerator": [30, 10, 20, 12], "denominator": [1000] * 4})
    return pd.concat([older, latest, admissions, admissions.assign(indicator_id="mixed")], ignore_index=True)


COVARIATES = pd.DataFrame({"area_code": list("ABCD"), "area_name": ["w", "x", "y", "z"],
                           "deprivation_score": [1.0, 2.0, 3.0, 4.0]})


def test_latest_period_top_quartile_table_and_summary():
    result = improvement_table(values(), CARE)
    areas = result.areas.set_index("area_code")
    assert result.period == "2023/24" and result.benchmark == "top_quartile"
    assert areas["gain"].round(6).to_dict() == {"A": 41.25, "B": 11.25, "C": 1.25, "D": 0}
    assert areas["status"].to_dict() == {"A": "challenger", "B": "challenger", "C": "challenger",
                                         "D": "record_holder"}
    summary = result.summary
    assert summary.total_gain == pytest.approx(53.75)
    assert summary.significant_areas == 2 and summary.significant_gain == pytest.approx(52.5)
    assert summary.significant_gain_lower == pytest.approx(areas.loc[["A", "B"], "gain_lower"].sum())
    assert summary.sentence.startswith("In 2023/24, if each of the 4 areas matched the top quarter of areas, 54 more people")
    assert summary.population == "4 areas"


def test_peers_from_covariates_give_peer_best5_and_peer_lists():
    result = improvement_table(values(), CARE, COVARIATES, n_peers=3)
    areas = result.areas.set_index("area_code")
    assert result.benchmark == "peer_best5"
    assert areas.loc["A", "peers"] == ["B", "C", "D"]
    assert areas.loc["B", "peers"] == ["A", "C", "D"]  # A and C tie; A comes first
    assert areas.loc["A", "benchmark_value"] == pytest.approx((80 + 90 + 95) / 3)
    assert areas.loc["D", "status"] == "record_holder"
    assert areas.loc["C", "benchmark_value"] == pytest.approx((50 + 80 + 95) / 3)
    assert areas.loc["C", "status"] == "at_benchmark"
    assert "the best five of its three most similar areas" in result.summary.sentence


def test_missing_covariates_and_too_many_peers_are_clear_errors():
    with pytest.raises(ImproveError, match="covariates are missing for 1 areas"):
        improvement_table(values(), CARE, COVARIATES.head(3))
    with pytest.raises(ImproveError, match="only 4 areas"):
        improvement_table(values(), CARE, COVARIATES)


def test_opportunities_stack_judged_indicators_and_pareto_accumulates():
    table = opportunities(values(), [CARE, ADMIT, MIXED])
    assert set(table["indicator_id"]) == {"care", "admit"}
    admit = table[table["indicator_id"] == "admit"].set_index("area_code")
    # rates per 1,000: 30, 10, 20, 12; 25th percentile 11.5; area A avoids 18.5 admissions
    assert admit.loc["A", "gain"] == pytest.approx(18.5)
    chart = pareto(table[table["indicator_id"] == "care"])
    assert chart[["indicator_id", "area_code"]].iloc[0].tolist() == ["care", "A"]
    assert chart["cumulative_share"].iloc[-1] == pytest.approx(1)
    # care against the top quartile (91.25%): A 41.25 people short, B 11.25, C 1.25
    assert chart["share"].tolist() == pytest.approx([41.25 / 53.75, 11.25 / 53.75, 1.25 / 53.75])


def test_pareto_never_shares_a_total_across_periods_or_units():
    """care (people, 2023/24) and admit (admissions avoided, 2023) are not one total."""
    with pytest.raises(ImproveError, match=r"pareto, column 'period': the pairs hold 2 values \(2023, 2023/24\)"):
        pareto(opportunities(values(), [CARE, ADMIT]))
    pairs = pd.DataFrame({"indicator_id": ["a", "b"], "area_code": "A", "gain": [1.0, 2.0],
                          "unit": ["more people", "fewer events"]})
    with pytest.raises(ImproveError, match="column 'unit'"):
        pareto(pairs)


def test_a_bundles_processes_are_not_sized_again():
    from dataclasses import replace

    process = replace(CARE, id="care/hba1c", title="HbA1c", bundle="care")
    rows = values()
    process_rows = rows[rows["indicator_id"] == "care"].assign(indicator_id="care/hba1c")
    table = opportunities(pd.concat([rows, process_rows], ignore_index=True), [CARE, process, ADMIT])
    assert set(table["indicator_id"]) == {"care", "admit"}


@pytest.mark.parametrize(
    ("changes", "rows", "reason"),
    [
        ({"polarity": Polarity.NO_JUDGEMENT}, {}, "no direction"),
        ({"bundle": "care"}, {}, "process of the care bundle 'care'"),
        ({"measure": Measure.MEAN}, {}, "a mean"),
        ({}, {"numerator": float("nan")}, "no numerators and denominators"),
        ({"measure": Measure.DSR}, {"value": 250.0}, "published"),
        ({}, {"value": 95.0}, None),  # a published proportion is its counts' rate
        ({"measure": Measure.DSR}, {"value": float("nan")}, None),  # a DSR as O over O/DSR (the engine's)
    ],
)
def test_one_rule_says_whether_and_why_not_a_gain_is_sized(changes, rows, reason):
    from dataclasses import replace

    from marginalgains.improve.plan import sizing_problem

    problem = sizing_problem(replace(CARE, **changes), values().assign(**rows))
    assert problem is None if reason is None else reason in problem
    assert "no values" in sizing_problem(CARE, values().iloc[:0])


def test_opportunities_follow_the_rule():
    from dataclasses import replace

    dsr = replace(ADMIT, id="dsr", measure=Measure.DSR)
    published = replace(ADMIT, id="published", measure=Measure.DSR)
    rows = values()
    admissions = rows[rows["indicator_id"] == "admit"]
    rows = pd.concat([rows, admissions.assign(indicator_id="dsr"), admissions.assign(indicator_id="published", value=99.0)],
                     ignore_index=True)
    table = opportunities(rows, [CARE, ADMIT, MIXED, dsr, published])
    assert set(table["indicator_id"]) == {"care", "admit", "dsr"}


def test_peers_are_found_once_per_set_of_areas():
    from marginalgains.improve.plan import peer_finder

    find = peer_finder(COVARIATES, n_peers=2)
    first = find(pd.Series(list("DCBA")))
    assert find(pd.Series(list("ABCD"))) is first
    assert find(pd.Series(list("ABC"))) is not first
